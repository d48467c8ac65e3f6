# giga.s: gigapages. (Reference solution of Shadow page tables, exercise
# 5: natively the gigapage costs one TLB entry and no fault; under the
# monitor the shadow is made of 4 KiB pages, one shadow fault for each
# page read: 16384 of them, and one for the code.)

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

        la      t0, root_table          # root[2]: 0x80000000, a 1 GiB leaf
        li      t1, (0x80000000 >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        sd      t1, 2*8(t0)
        srli    t0, t0, 12              # paging on
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma

        li      t0, 0x80000000          # t0 = the next page to read
        li      t1, 0x80000000 + (64 << 20)
        li      s0, 0                   # s0 = pages read
1:      lbu     t2, 0(t0)
        addi    s0, s0, 1
        li      t3, PAGE_SIZE
        add     t0, t0, t3
        bltu    t0, t1, 1b

        csrw    satp, zero              # paging off again, to reach the UART
        sfence.vma
        la      a0, msg_read
        call    puts
        mv      a0, s0
        call    put_dec
        la      a0, msg_pages
        call    puts

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_read:       .asciz "read "
msg_pages:      .asciz " pages\n"

        .bss
        .balign PAGE_SIZE
root_table:     .space PAGE_SIZE
        .space  4096
kstack_top:
