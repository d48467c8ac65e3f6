# masked.s: masked, then unmasked (Trap and emulate, exercise 5).
#
# Arm the timer for 1000 ticks from now (SBI set_timer), enable the timer
# interrupt in sie.STIE but keep it masked (sstatus.SIE = 0), spin for
# 50000 instructions, then unmask with `csrsi sstatus, 2` on the line
# labelled `unmask` (the checks look for that label). The trap handler
# prints the sepc it interrupted, as
#   sepc 0x...
# and shuts down. Before you run it: which instruction will sepc name?

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

        # ... stvec, sie.STIE, the timer, the spin ...

unmask: csrsi   sstatus, SSTATUS_SIE    # unmask
1:      j       1b                      # (the interrupt comes first)

        .balign 4
handler:
        # ... print "sepc " and sepc in hex, then shut down ...

shutdown:                               # SBI system_reset(shutdown, no reason)
        li      a0, 0
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign 16
        .space  4096
stack_top:
