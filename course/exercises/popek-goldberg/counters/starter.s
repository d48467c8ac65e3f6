# counters.s: the counters (Popek and Goldberg, exercise 3).
#
# Write a kernel that sets scounteren to 2 (TM: U-mode may read time),
# then enters U-mode (sepc = user_main, sstatus.SPP = 0, sret). The user
# program reads time, runs a fixed loop of 10000 iterations, reads time
# again, and reports the difference with a system call: a7 = 1,
# report(a0 = ticks). The kernel's trap handler prints
#   user: the loop took N ticks
# and shuts down. Then run it natively, alone under the monitor, and
# beside three copies of timeshare.s: the three numbers must be equal.

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354 # SBI System Reset extension

        .equ SSTATUS_SPP,    1 << 8
        .equ SCAUSE_ECALL_U, 8
        .equ SYS_REPORT,     1

        .text
        .globl _start
_start:
        la      sp, kstack_top

        # ... stvec, scounteren, then into U-mode at user_main ...

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

# ---------------------------------------------------------------------------
# The user program (U-mode).

user_main:
        # ... rdtime, the loop, rdtime, report(difference) ...
1:      j       1b

        .section .rodata
msg_took:       .asciz "user: the loop took "
msg_ticks:      .asciz " ticks\n"

        .bss
        .balign 16
        .space  4096
kstack_top:
