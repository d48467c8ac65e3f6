# benches/guests/plain_loop.s: the yardstick for benches/monitor.rs.
#
# N iterations of three plain instructions (addi, addi, bnez), in S-mode,
# then the finisher. Runs at full speed natively and under the monitor
# alike: nothing in the loop traps.

        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555
        .equ N,           300000

        .text
        .globl _start
_start:
        li      t0, N
1:      addi    t1, t1, 1               # stands where the measured op is
        addi    t0, t0, -1
        bnez    t0, 1b

        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
2:      j       2b
