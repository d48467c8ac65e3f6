# dirty.s: dirty bits. (Reference solution of Shadow page tables, exercise
# 4. Under the monitor the guest's PTE is writable with D clear, so the
# shadow PTE starts read-only: the first store takes a real store page
# fault, the monitor sets D in the guest's PTE and retries the store: one
# more shadow fault filled than with D set from the start.)
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

        # root[2]: the kernel's gigapage at 0x80000000, identity.
        la      s0, root_table
        li      a0, 0x80000000
        li      a1, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        call    make_pte
        sd      a0, 2*8(s0)
        # root[0] -> mid_table; mid[0x80]: the UART's megapage;
        # mid[2] -> leaf_table; leaf[0]: the test page, A and D clear.
        la      a0, mid_table
        li      a1, PTE_V
        call    make_pte
        sd      a0, 0(s0)
        la      s1, mid_table
        li      a0, UART
        li      a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        call    make_pte
        sd      a0, 0x80*8(s1)
        la      a0, leaf_table
        li      a1, PTE_V
        call    make_pte
        sd      a0, 2*8(s1)
        la      a0, test_page
        li      a1, PTE_V | PTE_R | PTE_W
        call    make_pte
        la      s2, leaf_table          # s2 = &the test page's PTE
        sd      a0, 0(s2)

        la      t0, root_table          # paging on
        srli    t0, t0, 12
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma

        li      t0, TEST_PAGE           # 1. read it
        ld      t1, 0(t0)
        call    print_ad                # 2.
        li      t0, TEST_PAGE           # 3. write it
        li      t1, 42
        sd      t1, 0(t0)
        sfence.vma
        call    print_ad                # 4.
        j       shutdown

# print_ad: "A=a D=d" of the test page's PTE (at s2), and a newline.
print_ad:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s3, 8(sp)
        ld      s3, 0(s2)
        la      a0, msg_a
        call    puts
        srli    a0, s3, 6               # A: bit 6
        andi    a0, a0, 1
        call    put_dec
        la      a0, msg_d
        call    puts
        srli    a0, s3, 7               # D: bit 7
        andi    a0, a0, 1
        call    put_dec
        li      a0, '\n'
        call    putc
        ld      ra, 0(sp)
        ld      s3, 8(sp)
        addi    sp, sp, 16
        ret

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

        .section .rodata
msg_a:          .asciz "A="
msg_d:          .asciz " D="

        .bss
        .balign PAGE_SIZE
root_table:     .space PAGE_SIZE        # page tables: 512 PTEs each
mid_table:      .space PAGE_SIZE
leaf_table:     .space PAGE_SIZE
test_page:      .space PAGE_SIZE        # mapped at TEST_PAGE
        .space  4096
kstack_top:
