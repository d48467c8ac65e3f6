# mybench.s: a benchmark of your own (Measuring virtualization, exercise 5).
#
# A loop of N iterations whose body makes the guest exit, under the
# monitor, for one reason: the reason you want to measure. As it stands
# the body is an addi, which never exits (addi-loop.s). Put in its place
# an instruction that exits, and nothing that exits for another reason:
# under --monitor --stats, that one exit reason must be more than 90% of
# all exits. Then time it and compare with csr-loop.s (exercise 1).

        .equ N, 1000000
        .text
        .globl _start
_start:
        li      s0, N
1:      addi    t0, t0, 1               # TODO: an instruction that exits
        addi    s0, s0, -1
        bnez    s0, 1b
        li      t0, 0x100000            # finisher: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b
