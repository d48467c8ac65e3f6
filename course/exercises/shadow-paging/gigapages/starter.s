# giga.s: gigapages (Shadow page tables, exercise 5).
#
# Map the guest's RAM (0x80000000, identity) with one gigapage, turn Sv39
# on, and read one byte in every 4 KiB page of the first 64 MiB of RAM,
# counting the pages. Then print
#   read 16384 pages
# (the count, in decimal) and shut down. Either map the UART too (a
# megapage, as paging.s does) or turn paging off before you print.

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354

        .equ PTE_V,          1 << 0
        .equ PTE_R,          1 << 1
        .equ PTE_W,          1 << 2
        .equ PTE_X,          1 << 3
        .equ PTE_A,          1 << 6
        .equ PTE_D,          1 << 7
        .equ SATP_SV39,      8 << 60
        .equ PAGE_SIZE,      4096

        .text
        .globl _start
_start:
        la      sp, kstack_top

        # ... the gigapage, satp, the reads, the count ...

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign PAGE_SIZE
root_table:     .space PAGE_SIZE
        .space  4096
kstack_top:
