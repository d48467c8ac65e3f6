# .comm, .lcomm, .local + .comm, .uleb128, .sleb128.
        .text
        .globl _start
_start:
        la      a0, buf
        la      a1, lbuf
        la      a2, lbuf2
        la      a3, lc
        la      a4, b0
        .lcomm  lbuf, 5
        .lcomm  lbuf2, 20
        .local  lc
        .comm   lc, 4, 4
        .comm   buf, 10
        .bss
b0:     .zero   3
        .data
x:      .word   1
        .uleb128 0
        .uleb128 127
        .uleb128 128
        .uleb128 624485
        .uleb128 -1
        .sleb128 -1
        .sleb128 63
        .sleb128 64
        .sleb128 -64
        .sleb128 -65
        .sleb128 -123456
        .sleb128 0x7fffffffffffffff
        .sleb128 -0x8000000000000000
        .uleb128 (1 << 40) + 3
        # Symbols defined through symbols defined later.
        .word   F1
        .equ    F1, F2 + 1
        .equ    F2, F3 * 2
        .equ    F3, y - x
y:      .byte   7
