// asm-diff-flags: -Itests/asm-corpus/include/cpp -DEXTRA=3 -DFLAG
/* cpp.S: the C preprocessor as `gcc -x assembler-with-cpp` runs it on
 * sources in the style of the official riscv-tests: an include found
 * through -I, function-like macros with variadic arguments, # and ##,
 * #if with C expressions and defined, #undef, line continuations,
 * -D on the command line, __LINE__. */
#include "test-macros.h"
#include "test-macros.h"    /* the include guard makes this a no-op */

#define UART 0x10000000
#define LSR (UART + 5)
#define SHIFTED (1 + 2 << 1)  /* C precedence: 6 */
#define EMPTY()
#define APPLY(f, ...) f(__VA_ARGS__)
#define ADD3(a, b, c) ((a) + (b) + (c))
#define COMMA_OPT(x, ...) .word x, ## __VA_ARGS__

        .text
        .globl _start
_start:
        TEST_RR_OP( 2,  add, 0x00000000, 0x00000000, 0x00000000 );
        TEST_RR_OP( 3,  add, 0x00000002, 0x00000001, 0x00000001 );
        TEST_RR_OP( 4,  sub, 0xfffffffffffffffc, 0x00000003, 0x00000007 );
        TEST_IMM_OP( 5, addi, 0x00000800, 0x00000000, 0x800 );
        TEST_IMM_OP( 6, xori, 0xffffffffff00f00f, 0x0000000000ff0f00, 0xf0f );
        TEST_LD_OP( 7, ld, 0x00ff00ff00ff00ff, 8, tdat );
        TEST_RR_OP( 8, mul, 0x0000000000001200, \
                    0x0000000000007e00, 0x6db6db6db6db6db7 );
        li      a1, LSR
        li      a2, SHIFTED
        li      a3, APPLY(ADD3, 1, 2, EXTRA)
        li      a4, __LINE__
#if defined(FLAG) && EXTRA > 2 && !defined(NOPE)
        li      a5, 1
#elif EXTRA
        li      a5, 2
#else
        li      a5, 3
#endif
#undef UART
#ifdef UART
        li      a6, -1
#else
        li      a6, 6
#endif
#if (1 ? 0 : 1) || (7 / 2 != 3) || (-1 >> 1) != -1
        this line is skipped
#endif
# this line starts with # and is no directive: a comment for the assembler
        EMPTY()
        TEST_PASSFAIL
        ret

        .section .rodata
name:   .asciz  XSTR(UART) " " STR(a  +  "b") " " XSTR(NAME_OF(9))
        COMMA_OPT(1)
        COMMA_OPT(2, 3, 4)
        .data
        .balign 8
tdat:   .dword  0x00ff00ff00ff00ff
        .dword  0x00ff00ff00ff00ff
