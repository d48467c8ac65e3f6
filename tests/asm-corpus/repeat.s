# .rept, .irp, .irpc: nested, with labels, with macros inside.
        .text
        .globl _start
_start:
        .irp    r, a0, a1 a2, t0
        addi    \r, \r, 1
        .endr
        .irp    n
        .byte   1\n
        .endr
        .irpc   c, 0123
        .byte   \c
        .endr
        .irpc   c, 4 5 6
        .byte   \c
        .endr
        .rept   2
        .irp    r, s1, s2
        .rept   2
        mv      \r, zero
        .endr
        .endr
        .endr
        .rept   0
        .byte   0xee
        .endr
        .irp    op, add, sub, xor
        \op     a0, a1, a2
        .endr
        .macro  regs name:req
        .irp    i, 1, 2
\name\i:        .byte   \i
        .endr
        .endm
        regs    lab
        .irp    x, 1                    # \@ here: macros expanded so far
        .half   \@
        .endr
        .rept 3; nop; .endr
        .balign 4
        j       lab1
