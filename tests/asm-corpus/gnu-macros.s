# GNU as macro features that real sources use: quoted arguments,
# arguments inside string literals, `;` as a statement separator (also
# around .macro/.endm), blank-separated and keyword arguments, :vararg,
# :req, \(), \@, .exitm, .purgem, recursion ended by .if, .altmacro.
        .text
        .globl _start
_start:
        .macro  SAY msg
        .asciz  "\msg"
        .endm

        .macro  init; .endm
        .macro  two a, b; .byte \a; .byte \b; .endm

        .macro  m a, b=9, c
        .word   \a
        .byte   \b
        .ascii  "<\c>"
        .endm

        .macro  v first, rest:vararg
        .ascii  "\first|\rest|"
        .endm

        .macro  need r:req, k=1
        addi    \r, \r, \k
        .endm

        .macro  suffix reg
        .ascii  "\reg\().w\reg"
        .endm

        .macro  count
        .byte   \@
        .endm

        .macro  sum from=0, to=5
        .word   \from
        .if     \to-\from
        sum     "(\from+1)", \to
        .endif
        .endm

        .macro  early n
        .byte   1
        .if     \n > 2
        .exitm
        .endif
        .byte   2
        .endm

        init
        li      x1, 0;  li x2, 0 ; li x3, 3
        two     1, 2; two 3 4
        SAY     "hello world"
        SAY     "\"quoted\" word"
        SAY     "tab\there"
        m       1 + 2
        m       1 +2
        m       (1 + 2), 3
        m       5 6 7
        m       c=x, a=4
        v       1, 2, 3
        v       only
        need    a0
        need    a1, 5
        need    k=7, r=a2
        suffix  a0
        count
        count
        sum
        sum     3, 6
        early   1
        early   3
        .byte   0x55; .macro late; .byte 0x66; .endm; late
        .purgem late
        .macro  late
        .byte   0x77
        .endm
        late
        .macro  ADD rd, rs, rt
        .byte   0x88
        .endm
        ADD     a0, a1, a2
        add     a0, a1, a2

        .altmacro
        .macro  am x, y
        LOCAL   lab
lab:    .word   x&0
        .ascii  y
        j       lab
        .endm
        am      %3+4, <"hi">
        am      1, "yo"
        .macro  table n
        .word   n
        .endm
        .irp    k, 1, 2
        table   %(k*10)
        .endr
        .noaltmacro
        .balign 4
        ret

# A character constant as an argument is its number (gas scrubs it
# before the arguments split): a blank or '=' is no separator.
        .macro  LICH ch
        li      a0, \ch
        .endm
        LICH    ' '
        LICH    'a'
        LICH    '='
        LICH    '\n'
