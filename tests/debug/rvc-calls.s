        .text
        .globl _start
_start:
        la      sp, stack_top
        li      a0, 5
        call    double
        nop
        li      a0, 7
        la      s1, double
        jalr    s1
        mv      s2, a0
        li      a0, 0x5555
        li      t0, 0x100000
        sw      a0, 0(t0)
1:      j       1b

double:
        addi    sp, sp, -16
        sd      ra, 8(sp)
        add     a0, a0, a0
        ld      ra, 8(sp)
        addi    sp, sp, 16
        ret

        .bss
        .space 4096
stack_top:
