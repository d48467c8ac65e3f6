# mmio-loop.s: a benchmark of MMIO exits. (Reference solution of Measuring
# virtualization, exercise 5: every iteration reads the UART's line status
# register, which under the monitor is a page fault on a device page,
# decoded and performed on the virtual UART. Compared with csr-loop.s's
# csrr, the monitor also decodes a load and walks to a device.)

        .equ N, 1000000
        .equ UART, 0x10000000
        .equ UART_LSR, 5
        .text
        .globl _start
_start:
        li      s0, N
        li      s1, UART
1:      lbu     t0, UART_LSR(s1)        # an MMIO exit under the monitor
        addi    s0, s0, -1
        bnez    s0, 1b
        li      t0, 0x100000            # finisher: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
2:      j       2b
