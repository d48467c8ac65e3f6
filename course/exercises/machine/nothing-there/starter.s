# nothing.s: load from an address where nothing is (The machine,
# exercise 3). Set stvec to a trap handler, then load a word from
# 0x20000000. The handler prints "scause " and scause with put_hex, then
# ", stval " and stval with put_hex, and a newline, then shuts down.

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_SRST,  0x53525354

        .text
        .globl _start
_start:
        la      sp, stack_top

        # ... set stvec, then the load ...

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
