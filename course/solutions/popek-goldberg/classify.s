# classify.s: which instructions trap in U-mode, and with what scause?
# (Reference solution of Popek and Goldberg, exercise 1: the kernel runs
# each test with sret and takes it back with the trap that follows, the
# test's own or its ecall's.)

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354 # SBI System Reset extension

        .equ SSTATUS_SPP,    1 << 8     # sstatus: privilege sret returns to
        .equ NTESTS,         11
        .equ TEST_SIZE,      24         # bytes per entry of `tests`

        .text
        .globl _start
_start:
        la      sp, kstack_top

        la      t0, trap_entry
        csrw    stvec, t0
        csrw    sie, zero               # no interrupts
        la      s0, tests               # s0 = the next test
        la      s1, tests_end

run_test:                               # run test s0 in U-mode
        beq     s0, s1, shutdown
        ld      t0, 16(s0)
        csrw    scounteren, t0
        ld      t0, 0(s0)
        csrw    sepc, t0
        li      t0, SSTATUS_SPP         # sret goes to U-mode
        csrc    sstatus, t0
        sret

        .balign 4
trap_entry:                             # back from test s0, by a trap
        la      sp, kstack_top
        ld      a0, 8(s0)               # "NAME: "
        call    puts
        la      a0, msg_colon
        call    puts
        csrr    t0, sepc
        ld      t1, 0(s0)
        bne     t0, t1, 1f              # the ecall after it: no trap
        csrr    a0, scause
        call    put_dec
        j       2f
1:      la      a0, msg_ok
        call    puts
2:      li      a0, 10
        call    putc
        addi    s0, s0, TEST_SIZE
        j       run_test

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

# ---------------------------------------------------------------------------
# The user code: each test instruction, then an ecall.

t_sscratch:     csrr    a0, sscratch
                ecall
t_mhartid:      csrr    a0, mhartid
                ecall
t_rdtime0:      rdtime  a0
                ecall
t_rdtime2:      rdtime  a0
                ecall
t_fencei:       fence.i
                ecall
t_wfi:          wfi
                ecall
t_sfence:       sfence.vma
                ecall
t_sret:         sret
                ecall
t_mret:         mret
                ecall
t_ebreak:       ebreak
                ecall
t_ecall:        ecall
                ecall

        .section .rodata
        .balign 8
tests:          # the instruction's address, its name, scounteren for it
        .dword  t_sscratch, n_sscratch, 0
        .dword  t_mhartid,  n_mhartid,  0
        .dword  t_rdtime0,  n_rdtime0,  0
        .dword  t_rdtime2,  n_rdtime2,  2
        .dword  t_fencei,   n_fencei,   0
        .dword  t_wfi,      n_wfi,      0
        .dword  t_sfence,   n_sfence,   0
        .dword  t_sret,     n_sret,     0
        .dword  t_mret,     n_mret,     0
        .dword  t_ebreak,   n_ebreak,   0
        .dword  t_ecall,    n_ecall,    0

tests_end:

msg_colon:      .asciz ": "
msg_ok:         .asciz "ok"

n_sscratch:     .asciz "csrr a0, sscratch"
n_mhartid:      .asciz "csrr a0, mhartid"
n_rdtime0:      .asciz "rdtime a0 (scounteren = 0)"
n_rdtime2:      .asciz "rdtime a0 (scounteren = 2)"
n_fencei:       .asciz "fence.i"
n_wfi:          .asciz "wfi"
n_sfence:       .asciz "sfence.vma"
n_sret:         .asciz "sret"
n_mret:         .asciz "mret"
n_ebreak:       .asciz "ebreak"
n_ecall:        .asciz "ecall"

        .bss
        .balign 16
        .space  4096
kstack_top:
