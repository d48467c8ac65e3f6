# bad-syntax.s: an assembly error on line 5.
        .text
        .globl _start
_start:
        addx    a0, a0, 1
