# masked.s: masked, then unmasked. (Reference solution of Trap and
# emulate, exercise 5: the timer fires during the spin but stays pending;
# the csrsi that unmasks traps under the monitor, and the handler that
# emulates it finds the interrupt deliverable and injects it before the
# next instruction: sepc = unmask + 4, as natively.)

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_TIME,       0x54494D45 # SBI Timer extension
        .equ SBI_SRST,       0x53525354 # SBI System Reset extension

        .equ SSTATUS_SIE,    1 << 1
        .equ SIE_STIE,       1 << 5

        .text
        .globl _start
_start:
        la      sp, stack_top

        la      t0, handler
        csrw    stvec, t0
        csrci   sstatus, SSTATUS_SIE    # masked (it is 0 at entry anyway)
        li      t0, SIE_STIE            # the timer may interrupt, once unmasked
        csrw    sie, t0
        rdtime  a0                      # set_timer(now + 1000)
        addi    a0, a0, 1000
        li      a6, 0
        li      a7, SBI_TIME
        ecall
        li      t0, 25000               # spin: 25000 * 2 = 50000 instructions
2:      addi    t0, t0, -1
        bnez    t0, 2b

unmask: csrsi   sstatus, SSTATUS_SIE    # unmask
1:      j       1b                      # (the interrupt comes first)

        .balign 4
handler:
        la      a0, msg_sepc
        call    puts
        csrr    a0, sepc
        call    put_hex
        li      a0, '\n'
        call    putc

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_sepc:       .asciz "sepc "

        .bss
        .balign 16
        .space  4096
stack_top:
