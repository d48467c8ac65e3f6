# count.s, with a rdcycle: the same everywhere?
#
# Exercise (Getting started, 3). Start from your count.s of exercise 2
# (copy it over this file, or write the loop below): it prints 1 to 20,
# one per line, and exits with 0. Run it with --stats natively and under
# the monitor and compare the two digests. Then add `rdcycle t0` somewhere
# between _start and the finisher store, and compare again.
#
# The printing routines are in guest-programs/lib/console.inc (see
# "Printing numbers" in Getting started).

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
