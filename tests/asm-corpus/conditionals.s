# Conditional assembly: every .if form, .elseif/.else, nesting, inside
# macros and repeats, and whatever is in a false branch left alone.
        .text
        .globl _start
_start:
        .equ    ONE, 1
        .set    ZERO, 0
        .if     ONE
        .byte   1
        .else
        .byte   0xee
        .endif
        .if     ZERO
        .byte   0xee
        .elseif ONE + 1 == 2
        .byte   2
        .elseif 1
        .byte   0xee
        .else
        .byte   0xee
        .endif
        .if     0
        this is never assembled, nor are its .macro or .error lines
        .error  "not reached"
        .if     1
        .byte   0xee
        .else
        .byte   0xee
        .endif
        .else
        .byte   3
        .endif
        .ifdef  ONE
        .byte   4
        .endif
        .ifdef  NOT_DEFINED
        .byte   0xee
        .endif
        .ifndef NOT_DEFINED
        .byte   5
        .endif
        .ifnotdef ONE
        .byte   0xee
        .else
        .byte   6
        .endif
lab:    .ifdef  lab
        .byte   7
        .endif
        .ifc    a0, a0
        .byte   8
        .endif
        .ifc    "a b",  "a b"
        .byte   9
        .endif
        .ifnc   a,b
        .byte   10
        .endif
        .ifeqs  "x", "x"
        .byte   11
        .endif
        .ifnes  "x", "y"
        .byte   12
        .endif
        .ifb
        .byte   13
        .endif
        .ifnb   x
        .byte   14
        .endif
        .ifeq   ONE - 1
        .byte   15
        .endif
        .ifne   ONE
        .byte   16
        .endif
        .ifge   -1
        .byte   0xee
        .endif
        .ifgt   1
        .byte   17
        .endif
        .ifle   0
        .byte   18
        .endif
        .iflt   -5
        .byte   19
        .endif

        .macro  pick reg, wide=0
        .ifb    \reg
        .byte   0x20
        .elseif \wide
        .ifc    \reg, sp
        .byte   0x21
        .else
        .byte   0x22
        .endif
        .else
        .byte   0x23
        .endif
        .endm
        pick
        pick    sp, 1
        pick    a0, 1
        pick    a0

        .rept   3
        .if     . - _start > 30
        .byte   0x30
        .else
        .byte   0x31
        .endif
        .endr
        .if 1; .byte 0x40; .else; .byte 0xee; .endif
        .balign 4
        ret
