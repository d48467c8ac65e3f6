# benches/guests/csr_loop.s: one trap-and-emulate round trip per iteration.
#
# The guest kernel reads `sscratch` N times. Natively that is a plain
# instruction; under the monitor the guest runs in real U-mode, so each
# `csrr` traps (illegal instruction), the monitor emulates it against the
# virtual CSR and resumes the guest after it. Same loop shape as
# plain_loop.s, so the difference is the cost of the round trip.

        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555
        .equ N,           300000

        .text
        .globl _start
_start:
        li      t0, N
1:      csrr    t1, sscratch
        addi    t0, t0, -1
        bnez    t0, 1b

        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
2:      j       2b
