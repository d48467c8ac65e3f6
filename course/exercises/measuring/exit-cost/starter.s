# addi-loop.s: 10 million iterations of a loop whose body never traps
# (Measuring virtualization, exercise 1). Make csr-loop.s from it: the
# same loop with `csrr t0, sscratch` in place of the `addi`, so that under
# the monitor every iteration is one exit.

        .equ N, 10000000
        .text
        .globl _start
_start:
        li      s0, N
1:      addi    t0, t0, 1               # innocuous: runs directly, even under the monitor
        addi    s0, s0, -1
        bnez    s0, 1b
        li      t0, 0x100000            # finisher: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b
