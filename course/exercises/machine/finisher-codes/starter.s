# finisher.s: end the guest through the test finisher (The machine,
# exercise 1). Make it end with exit code 42: a 32-bit store of
# 0x3333 | code << 16 to the finisher at 0x100000.

        .equ FINISHER,  0x100000        # test finisher (QEMU's sifive_test)

        .text
        .globl _start
_start:
        li      t0, FINISHER
        li      t1, 0x5555              # "pass": exit code 0. Change me.
        sw      t1, 0(t0)
1:      j       1b                      # (never reached)
