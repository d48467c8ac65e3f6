# finisher.s: end the guest with exit code 42 through the test finisher.
# (Reference solution of The machine, exercise 1.)

        .equ FINISHER,  0x100000        # test finisher (QEMU's sifive_test)

        .text
        .globl _start
_start:
        li      t0, FINISHER
        li      t1, 0x3333 | (42 << 16) # "fail" with exit code 42
        sw      t1, 0(t0)
1:      j       1b                      # (never reached)
