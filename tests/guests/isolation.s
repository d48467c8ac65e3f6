# isolation.s: a guest that reaches for memory it does not have. Run with
# --memory 4M (RAM = 0x80000000..0x80400000). Every access outside its RAM,
# direct or through a page table, must fault inside the guest itself, with
# the cause and stval real hardware gives. (Under the monitor beside one
# other 4M guest, machine address 0x80400000 is that guest's RAM and
# 0x80800000 the monitor's shadow page tables: both stay out of reach.)
# Prints one line per check and ends with the number of failed checks as
# its exit code.
        .equ RAM_END, 0x80400000
        .equ FINISHER, 0x100000

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      t0, trap
        csrw    stvec, t0
        li      s1, 0                   # failed checks

        # 1. A load just past the end of RAM: load access fault (5).
        li      s2, 5
        li      s3, RAM_END
        la      s4, 1f
        ld      t1, 0(s3)
1:      call    check

        # 2. A store far beyond it (where a neighbour's RAM would be).
        li      s2, 7
        li      s3, RAM_END + 0x400000
        la      s4, 1f
        sd      t1, 0(s3)
1:      call    check

        # 3. Paging on. Root: VA 0x80000000 (1 GiB) -> PA 0x80000000, VA 0
        #    (1 GiB) -> PA 0xc0000000 (no RAM there), VA 0x40000000 ->
        #    a next-level table at PA 0x90000000 (no RAM there either).
        la      t0, root
        li      t1, (0x80000000 >> 12) << 10 | 0xcf    # V R W X A D
        sd      t1, 16(t0)
        li      t1, (0xc0000000 >> 12) << 10 | 0xcf
        sd      t1, 0(t0)
        li      t1, (0x90000000 >> 12) << 10 | 0x01    # V: a pointer
        sd      t1, 8(t0)
        srli    t0, t0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma

        #    A load through the leaf that names no RAM: access fault, stval = VA.
        li      s2, 5
        li      s3, 0x1000
        la      s4, 1f
        ld      t1, 0(s3)
1:      call    check
        #    A load whose walk reads a PTE outside RAM: access fault too.
        li      s2, 5
        li      s3, 0x40000000
        la      s4, 1f
        ld      t1, 0(s3)
1:      call    check
        #    A store through an unmapped (invalid) entry: page fault (15).
        li      s2, 15
        li      s3, 0x0000003f00000000 - 0x1000
        la      s4, 1f
        sd      t1, 0(s3)
1:      call    check

        # Paging off again: through the table above, the finisher's VA
        # would map to PA 0xc0100000 (no device there) and fault.
        csrw    satp, zero
        sfence.vma

        # Report and end: exit code = failed checks.
        li      t0, FINISHER
        slli    t1, s1, 16
        li      t2, 0x3333
        or      t1, t1, t2
        bnez    s1, 2f
        li      t1, 0x5555
2:      sw      t1, 0(t0)
3:      j       3b

# check: did the last trap have scause = s2 and stval = s3? Prints "ok" or
# "NO" and the cause as one character ('0' + cause: 5, 7, ? for 15).
check:
        la      t0, seen_cause
        ld      t1, 0(t0)
        ld      t2, 8(t0)
        li      a0, 'o'
        li      a1, 'k'
        bne     t1, s2, 1f
        bne     t2, s3, 1f
        j       2f
1:      addi    s1, s1, 1
        li      a0, 'N'
        li      a1, 'O'
2:      li      a7, 1
        ecall
        mv      a0, a1
        ecall
        li      a0, ' '
        ecall
        addi    a0, t1, '0'
        ecall
        li      a0, '\n'
        ecall
        ret

# The trap handler: remember scause/stval, resume at s4.
        .align 2
trap:
        la      t0, seen_cause
        csrr    t1, scause
        sd      t1, 0(t0)
        csrr    t1, stval
        sd      t1, 8(t0)
        csrw    sepc, s4
        sret

        .data
        .align 3
seen_cause:
        .dword  -1, -1
        .align 12
root:
        .zero   4096
        .zero   4096
stack_top:
