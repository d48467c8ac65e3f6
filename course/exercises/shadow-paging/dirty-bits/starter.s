# dirty.s: dirty bits (Shadow page tables, exercise 4).
#
# Map one page, at virtual address 0x400000, readable and writable by the
# kernel (V, R, W; no U) with A and D clear. Turn Sv39 on (the kernel and
# the UART must stay mapped: identity-map them as paging.s does). Then
#   1. read a doubleword of the page;
#   2. print its PTE's A and D bits, as "A=1 D=0";
#   3. write a doubleword of the page, and execute sfence.vma;
#   4. print the bits again;
# and shut down. The hart sets A and D itself (trapvisor, like QEMU, does
# not fault for them); under the monitor, the monitor must set them.

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354

        .equ PTE_V,          1 << 0
        .equ PTE_R,          1 << 1
        .equ PTE_W,          1 << 2
        .equ PTE_X,          1 << 3
        .equ PTE_U,          1 << 4
        .equ PTE_A,          1 << 6
        .equ PTE_D,          1 << 7
        .equ SATP_SV39,      8 << 60
        .equ PAGE_SIZE,      4096
        .equ TEST_PAGE,      0x400000   # the page whose bits we watch

        .text
        .globl _start
_start:
        la      sp, kstack_top

        # ... page tables, satp, then the four steps ...

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

# make_pte(a0 = physical address, a1 = flags) -> a0 = PTE
make_pte:
        srli    a0, a0, 12
        slli    a0, a0, 10
        or      a0, a0, a1
        ret

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign PAGE_SIZE
root_table:     .space PAGE_SIZE        # page tables: 512 PTEs each
mid_table:      .space PAGE_SIZE
leaf_table:     .space PAGE_SIZE
test_page:      .space PAGE_SIZE        # mapped at TEST_PAGE
        .space  4096
kstack_top:
