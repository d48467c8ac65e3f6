# memend.s: where does memory end? (Virtual machines, exercise 3.) Load a
# byte from every 4 KiB page from 0x80000000 upwards, counting pages, until
# a load traps. The trap handler prints
#     pages N, scause 0x..., stval 0x...
# (N with put_dec, the two CSRs with put_hex) and shuts down.

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_SRST,  0x53525354

        .text
        .globl _start
_start:
        la      sp, stack_top

        # ... stvec, then the loop ...

shutdown:
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
