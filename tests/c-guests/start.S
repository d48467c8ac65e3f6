/*
 * start.S: the entry point shared by the C guests (tests/c-guests/NAME.c).
 *
 * QEMU's OpenSBI jumps to 0x80200000, so _start is placed first (.text.start,
 * and start.S comes first on the link line). It sets up a stack, zeroes .bss
 * (bounds from bss.ld), calls main() and ends the guest through the test
 * finisher at 0x100000: main returning 0 stores 0x5555 (pass, exit status 0),
 * returning N stores (N << 16) | 0x3333 (exit status N).
 */
    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, __stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)         /* .bss starts page-aligned; may overrun by <8 bytes */
    addi    t0, t0, 8
    j       1b
2:  li      a0, 0
    li      a1, 0
    call    main
    li      t0, 0x100000
    li      t1, 0x5555
    beqz    a0, 3f
    slli    a0, a0, 16
    li      t1, 0x3333
    or      t1, t1, a0
3:  sw      t1, 0(t0)
4:  j       4b                  /* not reached */

    .bss
    .balign 16
    .space  256 * 1024          /* the stack */
__stack_top:
