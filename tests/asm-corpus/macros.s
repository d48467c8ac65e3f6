# .macro with arguments, defaults, keyword arguments, \@, .rept, .include.
        .include "include/regs.inc"

        .macro  push2 a, b
        addi    sp, sp, -16
        save    \a, 0
        save    \b, slot=1
        .endm

        .macro  counted
label_\@:
        addi    a0, a0, \@
        .endm

        .macro  spin reg=t0, count=3
        li      \reg, \count
99:     addi    \reg, \reg, -1
        bnez    \reg, 99b
        .endm


        .text
        .globl _start
_start:
        push2   ra, s0
        counted
        counted
        spin
        spin    a1
        spin    count=10, reg=a2
        li      a0, STACK_SIZE + NESTED_INCLUDE
        .rept   3
        addi    a0, a0, 1
        .endr
        .rept   2
        .rept   2
        nop
        .endr
        .endr
        ret
