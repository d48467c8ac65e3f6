# clock.s: the clock is instructions. (Reference solution of The machine,
# exercise 4: instret 2003, time 200.)

        .equ UART,      0x10000000      # 16550 UART registers
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ FINISHER,  0x100000        # test finisher device

        .text
        .globl _start
_start:
        la      sp, stack_top
        rdinstret s0                    # before
        rdtime  s1
        li      t0, 1000
1:      addi    t0, t0, -1              # the loop: 1000 iterations
        bnez    t0, 1b
        rdinstret s2                    # after
        rdtime  s3

        la      a0, msg_instret
        call    puts
        sub     a0, s2, s0
        call    put_dec
        li      a0, '\n'
        call    putc
        la      a0, msg_time
        call    puts
        sub     a0, s3, s1
        call    put_dec
        li      a0, '\n'
        call    putc

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_instret:    .asciz "instret "
msg_time:       .asciz "time "

        .bss
        .balign 16
        .space  4096
stack_top:
