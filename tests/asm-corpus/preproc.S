/* preproc.S: the C preprocessor subset for .S files.
 * #include, #define of plain constants, #ifdef/#ifndef/#if/#else/#endif,
 * and C comments. */
#include "include/consts.h"

#define UART        0x10000000
#define UART_LSR    (UART + 5)  // line status register
#define TWICE       (FROM_HEADER * 2)

        .text
        .globl _start
_start:
        li      t0, UART            // the UART
        lbu     t1, 5(t0)           /* LSR */
        li      t2, UART_LSR
        li      a0, TWICE
#ifdef FROM_HEADER
        li      a1, FROM_HEADER
#else
        li      a1, -1
#endif
#ifndef NOT_DEFINED
        li      a2, 1
#endif
#if FROM_HEADER > 2 && defined(UART)
        li      a3, 3
#elif 1
        li      a3, 4
#endif
#if 0
        this line is never assembled
#endif
        la      a4, msg
        # an assembler comment, not a directive
        ret
        .section .rodata
msg:    .asciz  "UART at UART"
