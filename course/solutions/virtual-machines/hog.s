# hog.s: a guest that will not let go of the hart. (Reference solution of
# Virtual machines, exercise 2.)

        .text
        .globl _start
_start:
        csrci   sstatus, 2              # sstatus.SIE = 0: no interrupt reaches us
1:      j       1b                      # and spin, forever
