# benches/guests/syscall_loop.s: one system call per iteration.
#
# The guest kernel sets `stvec`, drops to U-mode with `sret`, and the user
# loop does `ecall` N times. Each lands in the kernel's handler, which
# steps `sepc` past the `ecall` and returns with `sret`. Natively the
# `ecall` is delegated to S-mode and nothing leaves the hart; under the
# monitor the `ecall` is reflected into the guest and the handler's CSR
# accesses and `sret` are emulated. A last `ecall` with a0 = 1 asks the
# kernel to end the run.

        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555
        .equ N,           100000

        .text
        .globl _start
_start:
        la      t0, handler
        csrw    stvec, t0
        la      t0, user
        csrw    sepc, t0
        li      t0, 0x100               # sstatus.SPP: return to U-mode
        csrc    sstatus, t0
        sret

user:
        li      a0, 0
        li      t0, N
1:      ecall
        addi    t0, t0, -1
        bnez    t0, 1b
        li      a0, 1
        ecall
2:      j       2b

        .align  2
handler:
        csrr    t1, sepc
        addi    t1, t1, 4
        csrw    sepc, t1
        bnez    a0, done
        sret

done:
        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
3:      j       3b
