# privileged.s: a guest kernel trying what only M-mode may do. mret and
# M-mode CSRs are illegal instructions (stval = the instruction), and a
# satp write with an unsupported MODE is ignored, exactly as on hardware.
        .equ FINISHER, 0x100000
        .text
        .globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        li      s1, 0

        la      s4, 1f
        mret
1:      li      t1, 2
        li      t2, 0x30200073
        call    check

        la      s4, 1f
        csrr    a0, mstatus
1:      li      t1, 2
        li      t2, 0x30002573
        call    check

        la      s4, 1f
        csrw    mtvec, zero
1:      li      t1, 2
        li      t2, 0x30501073
        call    check

        # satp MODE 9 (Sv48) and 15: ignored; satp stays Bare (0).
        li      t0, 9 << 60 | 0x12345
        csrw    satp, t0
        li      t0, -1
        csrw    satp, t0
        csrr    t0, satp
        beqz    t0, 1f
        addi    s1, s1, 1
1:
        li      t0, FINISHER
        slli    t1, s1, 16
        li      t2, 0x3333
        or      t1, t1, t2
        bnez    s1, 2f
        li      t1, 0x5555
2:      sw      t1, 0(t0)
3:      j       3b

# check: last trap had scause = t1, stval = t2?
check:
        beq     a2, t1, 1f
        addi    s1, s1, 1
        ret
1:      beq     a3, t2, 2f
        addi    s1, s1, 1
2:      ret

        .align 2
trap:
        csrr    a2, scause
        csrr    a3, stval
        csrw    sepc, s4
        sret
