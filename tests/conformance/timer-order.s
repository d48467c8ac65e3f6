# timer-order.s: conformance checks for when interrupts are taken.
#
# A supervisor interrupt i (1 software, 5 timer) is taken when
#   it is pending (sip bit i) and enabled (sie bit i), and
#   the hart is in U-mode, or in S-mode with sstatus.SIE = 1.
# The hart must look again right after any write to sip, sie or sstatus and
# right after sret (privileged spec, "Supervisor Interrupt Registers"), so an
# interrupt that such an instruction unmasks is taken before the next
# instruction runs: sepc is then the address of that next instruction. With
# several pending at once, software (1) goes before timer (5).
#
# sip.STIP mirrors the timer (the SBI set_timer call controls it) and is
# read-only to S-mode; sip.SSIP is S-mode's own to set and clear. wfi wakes
# up for an interrupt that is pending and enabled in sie even while
# sstatus.SIE = 0 (it then carries on without taking it).
#
# The timer is made pending with set_timer(0), "a deadline in the past", so
# nothing here depends on how fast time runs.
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
        .equ INTERRUPT,   1 << 63
        .equ IRQ_S_SOFT,  1
        .equ IRQ_S_TIMER, 5
        .equ SSIP,        1 << IRQ_S_SOFT       # the same bits in sip and sie
        .equ STIP,        1 << IRQ_S_TIMER
        .equ SBI_TIME,    0x54494D45
        .equ CAUSE_ECALL_U, 8

        .macro  SET_TIMER value         # SBI set_timer(value)
        li      a7, SBI_TIME
        li      a6, 0
        li      a0, \value
        ecall
        .endm

# STATUS name, value: check sstatus's SPP, SPIE and SIE as the trap left them.
        .macro  STATUS name, value
        LOAD    s2, trap_status
        andi    s2, s2, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
        CHECK   \name, s2, \value
        .endm

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init            # sie = 0, sstatus.SIE = 0

# --- Pending but not enabled in sie: not taken -------------------------------
        SET_TIMER 0                     # STIP = 1 from now on
        csrr    s2, sip
        andi    s2, s2, STIP
        CHECK   timer-pending, s2, STIP
        csrsi   sstatus, SSTATUS_SIE
        TRAP_TO 1f
        nop
        nop
1:      EXPECT_NO_TRAP stie-0-not-taken

# --- Enabling it in sie (SIE = 1): taken before the next instruction -----------
        li      s3, STIP
        li      s2, 0                   # s2: a marker the next instruction sets
        TRAP_TO 1f
        csrs    sie, s3
2:      li      s2, 1
1:      EXPECT_TRAP csrs-sie-takes-it-at-once, INTERRUPT | IRQ_S_TIMER, 2b, 0
        CHECK   csrs-sie-next-instruction-not-run, s2, 0
        STATUS  interrupt-from-S-sstatus, SSTATUS_SPP | SSTATUS_SPIE
        csrci   sstatus, SSTATUS_SIE    # (the handler masked sie)

# --- Enabled in sie, SIE = 0: not taken until SIE is set ----------------------
        li      s3, STIP
        csrs    sie, s3
        TRAP_TO 1f
        nop
        nop
1:      EXPECT_NO_TRAP sie-0-not-taken
        li      s2, 0
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE
2:      li      s2, 1
1:      EXPECT_TRAP csrsi-sstatus-takes-it-at-once, INTERRUPT | IRQ_S_TIMER, 2b, 0
        CHECK   csrsi-sstatus-next-instruction-not-run, s2, 0
        csrci   sstatus, SSTATUS_SIE

# --- wfi wakes up for it even with SIE = 0, without taking it -----------------
        li      s3, STIP
        csrs    sie, s3
        TRAP_TO 1f
        wfi
        nop
1:      EXPECT_NO_TRAP wfi-wakes-with-sie-0
        csrw    sie, zero

# --- sret with SPIE = 1 unmasks it: taken before the first instruction ----------
        li      s3, STIP
        csrs    sie, s3
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrs    sstatus, t0
        la      t0, 2f
        csrw    sepc, t0
        li      s2, 0
        TRAP_TO 1f
        sret                            # to S-mode at 2f, with SIE = 1
2:      li      s2, 1
1:      EXPECT_TRAP sret-takes-it-at-once, INTERRUPT | IRQ_S_TIMER, 2b, 0
        CHECK   sret-target-not-run, s2, 0
        csrci   sstatus, SSTATUS_SIE

# --- In U-mode S interrupts are taken whatever sstatus.SIE says ------------------
        li      s3, STIP
        csrs    sie, s3
        la      t0, u_code
        csrw    sepc, t0
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrc    sstatus, t0             # to U-mode, SIE = 0 there
        li      s2, 0
        TRAP_TO 1f
        sret
1:      EXPECT_TRAP u-mode-takes-it-with-sie-0, INTERRUPT | IRQ_S_TIMER, u_code, 0
        CHECK   u-mode-code-not-run, s2, 0
        STATUS  interrupt-from-U-sstatus, 0

# --- sip.STIP is read-only to S-mode ------------------------------------------
        li      t0, STIP
        csrc    sip, t0                 # no effect: still pending
        csrr    s2, sip
        andi    s2, s2, STIP
        CHECK   csrc-sip-stip-ignored, s2, STIP
        SET_TIMER -1                    # only set_timer clears it
        csrr    s2, sip
        andi    s2, s2, STIP
        CHECK   set-timer-clears-stip, s2, 0
        li      t0, STIP
        csrs    sip, t0                 # no effect: still clear
        csrr    s2, sip
        andi    s2, s2, STIP
        CHECK   csrs-sip-stip-ignored, s2, 0
        li      s3, STIP                # nothing pending: nothing taken
        csrs    sie, s3
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE
        nop
1:      EXPECT_NO_TRAP cleared-timer-not-taken
        csrci   sstatus, SSTATUS_SIE
        csrw    sie, zero

# --- sip.SSIP is S-mode's: a software interrupt to itself ----------------------
        csrsi   sip, SSIP
        csrr    s2, sip
        andi    s2, s2, SSIP
        CHECK   csrs-sip-ssip-sets-it, s2, SSIP
        csrci   sip, SSIP
        csrr    s2, sip
        andi    s2, s2, SSIP
        CHECK   csrc-sip-ssip-clears-it, s2, 0
        csrsi   sip, SSIP
        csrsi   sstatus, SSTATUS_SIE
        li      s2, 0
        TRAP_TO 1f
        csrsi   sie, SSIP
2:      li      s2, 1
1:      EXPECT_TRAP ssip-taken, INTERRUPT | IRQ_S_SOFT, 2b, 0
        CHECK   ssip-next-instruction-not-run, s2, 0
        csrci   sstatus, SSTATUS_SIE
        csrr    s2, sip                 # taking it did not clear it
        andi    s2, s2, SSIP
        CHECK   ssip-still-pending-after-trap, s2, SSIP

# --- Software before timer when both are pending --------------------------------
        SET_TIMER 0                     # SSIP and STIP both pending
        li      s3, SSIP | STIP
        csrs    sie, s3
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE
2:      nop
1:      EXPECT_TRAP software-before-timer, INTERRUPT | IRQ_S_SOFT, 2b, 0
        csrci   sstatus, SSTATUS_SIE
        csrci   sip, SSIP
        li      s3, STIP                # now the timer's turn
        csrs    sie, s3
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE
2:      nop
1:      EXPECT_TRAP then-timer, INTERRUPT | IRQ_S_TIMER, 2b, 0
        csrci   sstatus, SSTATUS_SIE
        SET_TIMER -1

        j       finish

u_code: li      s2, 1                   # must not run before the interrupt
        ecall
        .include "harness-routines.inc" # check(), the trap handler, printing
