# exit42.s: says so, then ends through the finisher with exit code 42.
        .text
        .globl _start
_start:
        li      t0, 0x10000000
        li      t1, 'x'
        sb      t1, 0(t0)
        li      t1, '\n'
        sb      t1, 0(t0)
        li      t0, 0x100000
        li      t1, 0x002a3333          # fail, code 42 (0x2a)
        sw      t1, 0(t0)
1:      j       1b
