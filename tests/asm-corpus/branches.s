# Branch relaxation as GNU as does it: a conditional branch to a label in
# another section, or beyond +-4 KiB, becomes an inverted branch over a jal.
        .text
        .globl _start
_start:
        beq     a0, a1, far_away        # > 4 KiB ahead: long form
        bne     a0, a1, near            # near: short
        blt     a0, a1, other_section   # another input section: long form
        bge     a0, a1, near
        bltu    a0, a1, far_away
        bgeu    a0, a1, far_away
        beqz    a0, far_away
        bgt     a0, a1, other_section
        .balign 16
near:   nop
        .rept   1030
        addi    a0, a0, 1
        .endr
        .balign 32
far_away:
        bnez    a0, _start              # > 4 KiB back: long form
        bnez    a0, near                # just in range?
        j       _start
        ret

        .section .text.other, "ax"
other_section:
        beq     a0, a1, _start
        ret
