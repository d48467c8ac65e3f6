# yes.s: prints "y" lines for ever, like yes(1). For checking that a run
# whose output pipe is closed (`trapvisor run yes.s | head`) ends quietly.
        .equ UART, 0x10000000
        .text
        .globl _start
_start:
        li      t0, UART
        li      t1, 'y'
        li      t2, '\n'
1:      sb      t1, 0(t0)
        sb      t2, 0(t0)
        j       1b
