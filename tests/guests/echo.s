# echo.s: reads a line from the UART and prints it back in capitals,
# then ends with exit code 0; ends with code 1 when the input runs out
# first (it gives up after polling LSR 100000 times).
        .text
        .globl _start
_start:
        li      s0, 0x10000000
1:      li      t2, 100000
2:      lbu     t0, 5(s0)               # LSR
        andi    t0, t0, 1               # DR: a byte waits?
        bnez    t0, 3f
        addi    t2, t2, -1
        bnez    t2, 2b
        li      t1, 0x00013333          # no more input: fail, code 1
        j       9f
3:      lbu     t0, 0(s0)               # RBR
        li      t1, 'a'
        blt     t0, t1, 4f
        li      t1, 'z'
        bgt     t0, t1, 4f
        addi    t0, t0, 'A' - 'a'
4:      sb      t0, 0(s0)               # THR
        li      t1, '\n'
        bne     t0, t1, 1b
        li      t1, 0x5555
9:      li      t0, 0x100000
        sw      t1, 0(t0)
5:      j       5b
