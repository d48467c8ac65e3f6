# dbcn.s: try to read other guests' memory through the SBI (Containers,
# exercise 3). Probe for the Debug Console extension (DBCN, 0x4442434E),
# then call its write(num_bytes = 1, addr_lo, addr_hi = 0) for one byte at
# each 16 MiB boundary from 0x80000000 up to, but not including,
# 0x90000000, and print one line per call: the address with put_hex, a
# space, and the error code the call returned in a0, in decimal
# ("0x80000000 0", "0x88000000 -3"). Then shut down.
#
# Run it beside another guest:
#   trapvisor run guest-programs/timeshare.s dbcn.s

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_SRST,  0x53525354

        .text
        .globl _start
_start:
        la      sp, stack_top

        # ... your calls here ...

        li      a0, 0                   # SBI system_reset(shutdown, no reason)
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign 16
        .space  4096
stack_top:
