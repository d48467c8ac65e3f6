# bt-run.s: a kernel with a run of four sensitive instructions, done
# twice, for the debugger under `--strategy bt` (tests/debug/bt-run.tv).
# Binary translation patches each into a call into the monitor, and a
# call performs the ones that follow it too: the debugger must still stop
# at a breakpoint on the second, and a `stepi` must run one.

        .equ FINISHER,      0x100000
        .equ FINISH_PASS,   0x5555
        .equ SSTATUS_SPIE,  1 << 5

        .text
        .globl _start
_start:
        li      t0, 0x1234
        li      t1, SSTATUS_SPIE
        li      s2, 2
run:
        csrw    sscratch, t0
        csrs    sstatus, t1
        csrr    s0, sstatus
        csrr    s1, sscratch
        addi    t0, t0, 1
        addi    s2, s2, -1
        bnez    s2, run

        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
1:      j       1b
