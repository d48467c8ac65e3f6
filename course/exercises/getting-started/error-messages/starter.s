# first.s, with three mistakes in it.
#
# Exercise (Getting started, 5). `trapvisor run starter.s` refuses to run
# this file: the assembler names the file, the line and the column of each
# mistake (exit status 2). Fix them, using only the messages, until the
# guest prints its line and exits with status 3 again, as first.s does.

        .equ UART,      0x10000000      # 16550 UART registers
        .equ UART_LSR,  5               #   line status register
        .equ LSR_THRE,  0x20            #   "transmitter ready" bit
        .equ FINISHER,  0x100000        # test finisher device

        .text
        .globl _start
_start:
        la      a0, mesage              # a0 = next byte to send
1:      lbu     t1, 0(a0)
        beqz    t1, 3f                  # NUL: done
        li      t0, UART
2:      lbu     t2, UART_LSR(t0)        # wait until the UART can take a byte
        andi    t2, t2, LSR_THRE
        beqz    t2, 2f
        sb      t1, 0(t0)               # send it
        addx    a0, a0, 1
        j       1b

3:      li      t0, FINISHER            # power off: 0x3333 | code << 16
        li      t1, 0x3333 | (3 << 16)
        sw      t1, 0(t0)
4:      j       4b                      # (never reached)

        .section .rodata
message:
        .asciz  "my first guest\n"
