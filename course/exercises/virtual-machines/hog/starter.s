# hog.s: a guest that will not let go of the hart (Virtual machines,
# exercise 2). Clear sstatus.SIE, so that no interrupt can reach the guest
# kernel, then loop forever. Run it beside hello.s under the monitor:
#
#   trapvisor run --max-instructions 10000000 guest-programs/hello.s hog.s
#
# This starter ends at once instead: make it hog.

        .equ FINISHER,  0x100000

        .text
        .globl _start
_start:
        li      t0, FINISHER            # ends the guest: remove this
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b
