# storm-handler.s: a trap handler that faults after one instruction. The
# load from address 8 faults (load access fault); the handler reads
# scause, then loads from address 8 itself, which faults again and enters
# the handler again, for ever. An instruction retires between the traps,
# but the handler never returns: a trap storm, reported with the load in
# _start as the first trap of the chain (exit status 126).
        .text
        .globl _start
_start:
        la      t0, handler
        csrw    stvec, t0
        ld      t1, 8(zero)             # the chain's first trap
        li      t0, 0x100000
        li      t1, 0x5555
        sw      t1, 0(t0)               # never reached
1:      j       1b

        .align 2
handler:
        csrr    t2, scause
        ld      t3, 8(zero)             # faults: the storm
        sret
