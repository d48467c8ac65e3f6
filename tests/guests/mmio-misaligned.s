# mmio-misaligned.s: misaligned loads and stores to the devices. Each one
# raises an access fault (load 5, store 7, stval = the first address that
# is not RAM), natively and under the monitor alike (book/src/machine.md "The
# hart"): the device never sees a partial or a whole access. The handler
# prints '0' + scause, counts a wrong stval, and skips the instruction.
#
# Line 1, paging off: sw past the finisher's word, lw from it, sh, lw and
# sd at odd UART offsets: "75757".
# Line 2, Sv39: virtual page 0 is a RAM page and virtual page 1 the UART,
# so an lw and an sw at 0xffe start in RAM and run into the UART; the
# fault's stval is 0x1000, the first device byte: "57".
# Exit code: the number of wrong stvals (0).
        .equ UART, 0x10000000
        .equ FINISHER, 0x100000
        .equ PTE_V, 1
        .equ PTE_RW, 2 | 4
        .equ PTE_X, 8
        .equ PTE_AD, 0x40 | 0x80
        .text
        .globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        li      s1, 0                   # wrong stvals
        li      s3, UART                # where the handler prints
        li      t1, 0x5555              # a pass, if a store got through
        li      s2, FINISHER + 0x2b
        sw      t1, 0(s2)               # store past the finisher's word: 7
        lw      t2, 0(s2)               # 5
        li      s2, UART + 1
        sh      t1, 0(s2)               # 7
        li      s2, UART + 3
        lw      t2, 0(s2)               # 5
        li      s2, UART + 4
        sd      t1, 0(s2)               # 7
        li      t1, '\n'
        sb      t1, 0(s3)

        # root[2]: the RAM gigapage, identity; root[0] -> l1, l1[0] -> l0;
        # l0[0] = a RAM page, l0[1] = the UART page.
        la      t0, root
        li      t1, (0x80000000 >> 12) << 10 | PTE_V | PTE_RW | PTE_X | PTE_AD
        sd      t1, 16(t0)
        la      t1, l1
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V
        sd      t1, 0(t0)
        la      t0, l1
        la      t1, l0
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V
        sd      t1, 0(t0)
        la      t0, l0
        la      t1, ram_page
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V | PTE_RW | PTE_AD
        sd      t1, 0(t0)
        li      t1, (UART >> 12) << 10 | PTE_V | PTE_RW | PTE_AD
        sd      t1, 8(t0)
        la      t0, root
        srli    t0, t0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        li      s3, 0x1000              # the UART, virtually
        li      s2, 0x1000              # the first byte that is not RAM
        li      t0, 0xffe
        lw      t2, 0(t0)               # 5
        sw      t1, 0(t0)               # 7
        li      t1, '\n'
        sb      t1, 0(s3)
        csrw    satp, zero
        sfence.vma

        li      t0, FINISHER
        slli    t1, s1, 16
        li      t2, 0x3333
        or      t1, t1, t2
        bnez    s1, 1f
        li      t1, 0x5555
1:      sw      t1, 0(t0)
2:      j       2b

        .align 2
trap:
        csrr    t3, scause
        addi    t3, t3, '0'
        sb      t3, 0(s3)
        csrr    t3, stval
        beq     t3, s2, 1f
        addi    s1, s1, 1
1:      csrr    t3, sepc
        addi    t3, t3, 4
        csrw    sepc, t3
        sret

        .bss
        .balign 4096
root:   .zero   4096
l1:     .zero   4096
l0:     .zero   4096
ram_page:
        .zero   4096
