# classify.s: which instructions trap in U-mode, and with what scause?
#
# Exercise (Popek and Goldberg, 1). First write down, for each instruction
# of the table below, whether it is sensitive and what scause a kernel gets
# when its own user program executes it (or "ok" if it does not trap).
# Then make this kernel run each one in U-mode, one after another, and
# print one line per instruction: its name as in the table, ": ", and
# scause in decimal, or "ok" when it did not trap, e.g.
#   csrr a0, sscratch: 2
# then shut down. The user code (below) is written: each test instruction
# is followed by an ecall, which is reached only if the test instruction
# did not trap. The table gives, for each test, the address of its
# instruction, its name, and the scounteren to run it with.
#
# What is left to you: the kernel's loop (for each test: scounteren, sepc
# = the instruction, SPP = 0, sret) and its trap handler (compare sepc with
# the test's instruction: equal means that instruction trapped, with
# scause; otherwise it was the ecall after it: "ok"). Nothing the user code
# leaves in its registers needs to survive, so the handler can just reset
# sp to the top of the kernel's stack.

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

        # ... your kernel: stvec, then run the tests one by one ...

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
