# clock.s: the clock is instructions (The machine, exercise 4).
#
# The guest reads instret and time, runs a loop of 1000 iterations, and
# reads both again. Before you run anything, predict the instret
# difference exactly: count every instruction that retires between the
# two reads of instret (a read returns the count of instructions retired
# before it). Then print the two differences, one a line, as
#   instret N
#   time M
# with puts and put_dec (lib/console.inc), and exit with code 0. Do not
# change the lines between the first rdinstret and the last rdtime: they
# are what you predicted.

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

        # ... print "instret " and s2 - s0, then "time " and s3 - s1 ...

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
        # ... your strings ...

        .bss
        .balign 16
        .space  4096
stack_top:
