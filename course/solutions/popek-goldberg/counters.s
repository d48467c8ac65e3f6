# counters.s: the counters. (Reference solution of Popek and Goldberg,
# exercise 3: 2000 ticks everywhere, because under the monitor the real
# mcounteren is 0, so every rdtime traps and the monitor answers with the
# guest's own virtual time.)

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

        la      t0, trap_entry
        csrw    stvec, t0
        csrw    sie, zero               # no interrupts
        li      t0, 2                   # scounteren.TM: U-mode may read time
        csrw    scounteren, t0
        la      t0, user_main
        csrw    sepc, t0
        li      t0, SSTATUS_SPP         # sret goes to U-mode
        csrc    sstatus, t0
        sret

        .balign 4
trap_entry:                             # the report (or anything else: stop)
        la      sp, kstack_top
        csrr    t0, scause
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, shutdown
        li      t1, SYS_REPORT
        bne     a7, t1, shutdown
        mv      s0, a0                  # the user's a0: the ticks
        la      a0, msg_took
        call    puts
        mv      a0, s0
        call    put_dec
        la      a0, msg_ticks
        call    puts

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
        rdtime  s0                      # allowed: scounteren.TM = 1
        li      t0, 10000
1:      addi    t0, t0, -1              # the fixed loop
        bnez    t0, 1b
        rdtime  t1
        sub     a0, t1, s0
        li      a7, SYS_REPORT
        ecall
2:      j       2b

        .section .rodata
msg_took:       .asciz "user: the loop took "
msg_ticks:      .asciz " ticks\n"

        .bss
        .balign 16
        .space  4096
kstack_top:
