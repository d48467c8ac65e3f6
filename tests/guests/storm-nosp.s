# storm-nosp.s: a trap handler that forgets to set up its stack. sp is 0
# at entry (book/src/machine.md), so the handler's first push stores to
# 0xfffffffffffffff0, which is nothing: a store access fault, which enters
# the handler again, one frame lower each time. The fault address moves,
# the pc and the cause do not, and the handler never returns: a trap
# storm, reported with the ebreak in _start as the chain's first trap
# (exit status 126).
        .text
        .globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        ebreak                          # the chain's first trap
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)               # never reached
1:      j       1b

        .align 2
trap:
        addi    sp, sp, -32
        sd      ra, 0(sp)               # faults: the storm
        sd      t0, 8(sp)
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        ld      t0, 8(sp)
        ld      ra, 0(sp)
        addi    sp, sp, 32
        sret
