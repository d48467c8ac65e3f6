# count.s with a rdcycle: prints the numbers 1 to 20, one per line, then
# exits with code 0. (Reference solution of Getting started, exercise 3.)

        .equ UART,      0x10000000      # 16550 UART registers
        .equ UART_LSR,  5               #   line status register
        .equ LSR_THRE,  0x20            #   "transmitter ready" bit
        .equ FINISHER,  0x100000        # test finisher device

        .text
        .globl _start
_start:
        la      sp, stack_top
        li      s0, 1                   # s0 = the next number
        li      s1, 20                  # s1 = the last one
1:      rdcycle t0                      # the counter read the exercise asks for
        mv      a0, s0
        call    put_dec                 # may change t0-t6 and a0-a7, not s0/s1
        li      a0, '\n'
        call    putc
        addi    s0, s0, 1
        ble     s0, s1, 1b

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign 16
        .space  4096
stack_top:
