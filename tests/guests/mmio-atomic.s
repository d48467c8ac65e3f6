# mmio-atomic.s: atomics on the devices (book/src/machine.md "The hart").
# They work on RAM only: an lr on a device raises a load access fault (5),
# an amo a store/AMO access fault (7), stval = the address, and the device
# never sees the access (an amoswap.w of 0x5555 to the finisher would power
# it off; on QEMU it does). An sc there has no reservation: it fails
# (rd = 1) without touching the device. The handler prints '0' + scause,
# counts a wrong stval, and skips the instruction.
#
# Line 1: amoswap.w 0x5555 to the finisher, amoor.w and lr.w on the UART's
# scratch register, amoadd.d on the finisher: "7757". Line 2: the sc's
# result, then the scratch register, still 0: "1 0".
# Exit code: the number of wrong stvals (0).
        .equ UART, 0x10000000
        .equ FINISHER, 0x100000
        .text
        .globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        li      s1, 0                   # wrong stvals
        li      s3, UART                # where the handler prints
        li      t1, 0x5555
        li      s2, FINISHER
        amoswap.w t2, t1, (s2)          # 7: the finisher is not written
        li      s2, UART + 4            # MCR, LSR, MSR, SCR: a naturally aligned word
        amoor.w t2, t1, (s2)            # 7
        lr.w    t2, (s2)                # 5
        li      s2, FINISHER
        amoadd.d t2, t1, (s2)           # 7
        li      t1, '\n'
        sb      t1, 0(s3)
        li      t2, 7
        li      s2, UART + 4
        sc.w    t2, t1, (s2)            # no reservation: fails, no trap
        addi    t2, t2, '0'
        sb      t2, 0(s3)
        li      t1, ' '
        sb      t1, 0(s3)
        lbu     t2, 7(s3)               # the scratch register: still 0
        addi    t2, t2, '0'
        sb      t2, 0(s3)
        li      t1, '\n'
        sb      t1, 0(s3)

        li      t0, FINISHER
        slli    t1, s1, 16
        li      t2, 0x3333
        or      t1, t1, t2
        bnez    s1, 1f
        li      t1, 0x5555
1:      sw      t1, 0(t0)
2:      j       2b

        .align 2
trap:
        csrr    t3, scause
        addi    t3, t3, '0'
        sb      t3, 0(s3)
        csrr    t3, stval
        beq     t3, s2, 1f
        addi    s1, s1, 1
1:      csrr    t3, sepc
        addi    t3, t3, 4
        csrw    sepc, t3
        sret
