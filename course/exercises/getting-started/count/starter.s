# count.s: print the numbers 1 to 20, one per line, in decimal, then exit
# with code 0.
#
# Exercise (Getting started, 2). guest-programs/lib/console.inc has the
# printing routines (putc, puts, put_dec, put_hex): `.include` it in your
# .text, after defining UART, UART_LSR and LSR_THRE, and give the program
# a stack (la sp, stack_top) before you call them. The include is found
# when your file sits in guest-programs/ (next to lib/), or when you say
# where lib/ is: trapvisor run -I guest-programs count.s (trapvisor check
# does that for you).

        .equ UART,      0x10000000      # 16550 UART registers
        .equ UART_LSR,  5               #   line status register
        .equ LSR_THRE,  0x20            #   "transmitter ready" bit
        .equ FINISHER,  0x100000        # test finisher device

        .text
        .globl _start
_start:
        la      sp, stack_top

        # ... your loop here ...

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign 16
        .space  4096
stack_top:
