# csr-loop.s: 10 million iterations of a loop whose body traps under the
# monitor. (Reference solution of Measuring virtualization, exercise 1.)

        .equ N, 10000000
        .text
        .globl _start
_start:
        li      s0, N
1:      csrr    t0, sscratch            # privileged: one exit per iteration (virtualized)
        addi    s0, s0, -1
        bnez    s0, 1b
        li      t0, 0x100000            # finisher: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b
