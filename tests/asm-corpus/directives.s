# Every data and section directive. .text, .rodata, .data, .bss and the
# .section names that map onto them.
        .option push
        .option norvc
        .option arch, rv64ima
        .option relax
        .option norelax
        .option rvc
        .option pop
        .file   "directives.s"
        .attribute stack_align, 16

        .equ    ONE, 1
        .set    TWO, ONE + 1
        THREE = TWO + ONE
        .set    COUNTER, 0
        .set    COUNTER, COUNTER + 1
        .equiv  FOUR, 4

        .text
        .globl  _start
        .type   _start, @function
_start:
        li      a0, COUNTER
        li      a1, FOUR
        .byte   1
        .balign 4
        .byte   1, 2, 3
        .align  3
        nop
        .p2align 4
        .balign 16, 0
        addi    a0, a0, THREE
        .size   _start, . - _start
        .section .text.unlikely
        .byte   7
        .p2align 2
        .section .text.hot, "ax", @progbits
        .balign 8
        ret
        .text
        .word   0x13
        .balign 8
        .byte   1
        .p2align 3

        .section .rodata
ro_start:
        .byte   1, -1, 255, 'a', '\n', ONE + TWO
        .half   0x1234, -2, 65535
        .short  7
        .2byte  8
        .word   0xdeadbeef, -1, ro_start
        .long   9
        .int    10
        .4byte  11
        .dword  0x123456789abcdef0, -1, ro_start + 3
        .quad   12
        .8byte  ro_end - ro_start
        .ascii  "plain", "two"
        .asciz  "tab\there\n"
        .string "quote\" backslash\\ octal\101\060 hex\x41 bell\a"
        .zero   3
        .space  5
        .space  4, 0xab
        .skip   2
        .fill   3, 2, 0x1234
        .fill   2, 4, -1
        .fill   2
        .p2align 3, 0xcc
        .balign 4, 0xdd, 2
        .byte   1
        .balign 16, 0xee, 3
        .byte   2
        .balign 8, 0xee, 8
        .word   (1 << 31) >> 3, ~0, 7 / 2, -7 % 3, 1 + 1 & 2, 6 - 1 | 2, 2 * 3 << 1
        .word   (1 + 2) * 3, 0x10 ^ 0x11, !0, !5, -(-4), 0b1011, 017, 'A' + 1
ro_end:
        .section .rodata.str1.1, "aMS", @progbits, 1
        .asciz  "merged strings"
        .section .srodata
        .dword  1
        .section .rodata.cst8
        .balign 8
        .dword  2

        .data
d0:     .byte   1
        .balign 8
d1:     .dword  d0, d1, _start
        .section .data.rel
        .word   3
        .section .sdata, "aw"
        .half   4
        .section .sdata.x, "aw"
        .p2align 2
        .word   5
        .section .data.more
        .byte   6
        .pushsection .rodata.pushed
        .byte   9
        .popsection
        .byte   7

        .bss
        .balign 16
stack:  .space  4096
stack_top:
        .section .bss.page, "aw", @nobits
        .balign 4096
page:   .zero   4096
        .section .sbss
        .word   0
        .zero   12
        .section .sbss.tiny, "aw", @nobits
        .byte   0
