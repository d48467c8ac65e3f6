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
# ---------------------------------------------------------------------------
# The check harness, the same in every tests/conformance program. These
# macros are its interface; its routines and data are at the end of the file.
#
#   CHECK name, reg, value      print "ok name" if reg == value (any 64-bit
#                               constant), else "FAIL name got 0x.. want 0x.."
#   CHECK_REG name, reg, reg2   the same, against another register (not a1)
#   CHECK_ADDR name, reg, label the same, against the address of label
#   TRAP_TO label               arm the trap handler: the next trap records
#                               scause, sepc, stval and sstatus, and resumes
#                               at label, in S-mode
#   EXPECT_TRAP name, cause, epc, tval   disarm the handler, then check the
#                               recorded scause (-1 if nothing trapped), that
#                               sepc = the address of label epc, and stval
#   EXPECT_TRAP_A name, cause, epc, label  the same, stval = address of label
#   EXPECT_TRAP_I name, cause, epc         the same, stval = the instruction
#                               bits at epc (for illegal instructions)
#   EXPECT_NO_TRAP name         disarm, then check that nothing trapped
#   LOAD reg, var               reg = the dword at var (e.g. trap_status)
#
# The macros and check() change t0-t2, a0-a3 and ra: keep values in s0-s11.
# The trap handler itself changes no register; after an interrupt it clears
# sie, so that the interrupt cannot come again. A trap that nobody armed for
# prints a FAIL line and execution carries on after the instruction.

        .equ UART,            0x10000000  # 16550 UART: THR at +0, LSR at +5
        .equ UART_LSR,        5
        .equ LSR_THRE,        0x20        #   LSR: ready for a byte
        .equ FINISHER,        0x100000    # test finisher
        .equ FINISH_PASS,     0x5555      #   exit code 0
        .equ FINISH_FAIL,     0x13333     #   0x3333 | 1 << 16: exit code 1

        .equ SSTATUS_SIE,     1 << 1      # S-mode interrupt enable
        .equ SSTATUS_SPIE,    1 << 5      # SIE before the trap
        .equ SSTATUS_SPP,     1 << 8      # privilege before the trap (1 = S)
        .equ SSTATUS_SUM,     1 << 18     # S-mode may access U pages
        .equ SSTATUS_MXR,     1 << 19     # loads from X-only pages allowed

        .equ TF_RESUME,       0           # trap_frame: resume here (0: unarmed)
        .equ TF_T5,           8           #   the interrupted t5
        .equ TF_SAVE,         16          #   15 registers, for unexpected traps
        .equ TF_SIZE,         16 + 15 * 8

        .macro  NAME reg, name          # reg = address of the string "name"
        .section .rodata
99:     .asciz  "\name"
        .text
        la      \reg, 99b
        .endm

        .macro  CHECK name, reg, value
        mv      a1, \reg
        li      a2, \value
        NAME    a0, \name
        call    check
        .endm

        .macro  CHECK_REG name, reg, reg2
        mv      a1, \reg
        mv      a2, \reg2
        NAME    a0, \name
        call    check
        .endm

        .macro  CHECK_ADDR name, reg, label
        mv      a1, \reg
        la      a2, \label
        NAME    a0, \name
        call    check
        .endm

        .macro  LOAD reg, var
        la      \reg, \var
        ld      \reg, 0(\reg)
        .endm

        .macro  TRAP_TO label
        la      t0, \label
        call    trap_arm
        .endm

        .macro  EXPECT_TRAP name, cause, epc, tval
        li      a1, \cause
        la      a2, \epc
        li      a3, \tval
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_TRAP_A name, cause, epc, label
        li      a1, \cause
        la      a2, \epc
        la      a3, \label
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_TRAP_I name, cause, epc
        li      a1, \cause
        la      a2, \epc
        lwu     a3, 0(a2)
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_NO_TRAP name
        call    trap_disarm
        LOAD    a1, trap_cause
        li      a2, -1
        NAME    a0, \name
        call    check
        .endm
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

# ===========================================================================
# The check harness's routines (the same in every tests/conformance program).

        .text

# harness_init: take every trap at trap_entry, with no interrupts enabled.
harness_init:
        la      t0, trap_entry
        csrw    stvec, t0
        la      t0, trap_frame
        csrw    sscratch, t0
        csrw    sie, zero
        csrci   sstatus, SSTATUS_SIE
        ret

# check(a0 = name, a1 = got, a2 = want): print "ok NAME", or "FAIL NAME got
# 0xGOT want 0xWANT" and count a failure. expect_trap uses check_suffix,
# which prints a3 (a string, or 0 for none) after the name.
check:
        li      a3, 0
check_suffix:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        mv      s3, a3
        la      t0, nchecks
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_ok
        beq     s1, s2, 1f
        la      t0, nfailed
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_fail
1:      call    puts
        mv      a0, s0
        call    puts
        beqz    s3, 2f
        mv      a0, s3
        call    puts
2:      beq     s1, s2, 3f
        la      a0, s_got
        call    puts
        mv      a0, s1
        call    put_hex
        la      a0, s_want
        call    puts
        mv      a0, s2
        call    put_hex
3:      li      a0, 10                  # '\n'
        call    putc
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        addi    sp, sp, 48
        ret

# trap_arm(t0 = resume address): the next trap resumes there. Until a trap
# happens, scause/sepc/stval read back as -1 ("no trap").
trap_arm:
        la      t1, trap_frame
        sd      t0, TF_RESUME(t1)
        li      t0, -1
        la      t1, trap_cause
        sd      t0, 0(t1)
        sd      t0, 8(t1)               # trap_epc
        sd      t0, 16(t1)              # trap_tval
        sd      t0, 24(t1)              # trap_status
        ret

trap_disarm:
        la      t1, trap_frame
        sd      zero, TF_RESUME(t1)
        ret

# expect_trap(a0 = name, a1 = scause, a2 = sepc, a3 = stval wanted): disarm
# and check the three, as "NAME: scause", "NAME: sepc" and "NAME: stval".
expect_trap:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        mv      s3, a3
        call    trap_disarm
        mv      a0, s0
        LOAD    a1, trap_cause
        mv      a2, s1
        la      a3, s_scause
        call    check_suffix
        mv      a0, s0
        LOAD    a1, trap_epc
        mv      a2, s2
        la      a3, s_sepc
        call    check_suffix
        mv      a0, s0
        LOAD    a1, trap_tval
        mv      a2, s3
        la      a3, s_stval
        call    check_suffix
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        addi    sp, sp, 48
        ret

# finish: print the totals and end through the test finisher, with exit
# code 0 if every check passed, else 1.
finish:
        csrw    satp, zero              # physical addresses again
        la      a0, s_done
        call    puts
        LOAD    a0, nchecks
        call    put_dec
        la      a0, s_checks
        call    puts
        LOAD    a0, nfailed
        call    put_dec
        la      a0, s_failed
        call    puts
        LOAD    t0, nfailed
        li      t1, FINISH_PASS
        beqz    t0, 1f
        li      t1, FINISH_FAIL
1:      li      t0, FINISHER
        sw      t1, 0(t0)
2:      j       2b

# The trap handler. Every trap lands here (or, with a vectored stvec, is
# sent here). It saves what the hart reported, masks interrupts if it was
# one (so that it cannot fire again), and, if a test armed it, resumes at
# the test's label in S-mode. It changes no register: t6 is swapped with
# sscratch (which points at trap_frame) and t5 is saved there.
        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = &trap_frame, sscratch = old t6
        sd      t5, TF_T5(t6)
        csrr    t5, scause
        sd      t5, TF_SIZE + 0(t6)     # trap_cause (follows trap_frame)
        csrr    t5, sepc
        sd      t5, TF_SIZE + 8(t6)     # trap_epc
        csrr    t5, stval
        sd      t5, TF_SIZE + 16(t6)    # trap_tval
        csrr    t5, sstatus
        sd      t5, TF_SIZE + 24(t6)    # trap_status
        csrr    t5, scause
        bgez    t5, 1f
        csrw    sie, zero               # an interrupt: mask them all
1:      ld      t5, TF_RESUME(t6)
        beqz    t5, trap_unexpected
        sd      zero, TF_RESUME(t6)     # armed: disarm, resume at the label
        csrw    sepc, t5
        li      t5, SSTATUS_SPP         # ... in S-mode
        csrs    sstatus, t5
trap_return:
        ld      t5, TF_T5(t6)
        csrrw   t6, sscratch, t6
        sret

# Nobody expected this trap: report it, count a failure and go on after
# the instruction (an interrupt resumes where it hit). After 10 of them the
# hart is too broken to go on: finish.
trap_unexpected:
        sd      ra, TF_SAVE + 0(t6)
        sd      sp, TF_SAVE + 8(t6)
        sd      t0, TF_SAVE + 16(t6)
        sd      t1, TF_SAVE + 24(t6)
        sd      t2, TF_SAVE + 32(t6)
        sd      t3, TF_SAVE + 40(t6)
        sd      t4, TF_SAVE + 48(t6)
        sd      a0, TF_SAVE + 56(t6)
        sd      a1, TF_SAVE + 64(t6)
        sd      a2, TF_SAVE + 72(t6)
        sd      a3, TF_SAVE + 80(t6)
        sd      a4, TF_SAVE + 88(t6)
        sd      a5, TF_SAVE + 96(t6)
        sd      a6, TF_SAVE + 104(t6)
        sd      a7, TF_SAVE + 112(t6)
        la      sp, trap_stack_top
        la      t0, nfailed
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_unexpected
        call    puts
        csrr    a0, scause
        call    put_hex
        la      a0, s_u_sepc
        call    puts
        csrr    a0, sepc
        call    put_hex
        la      a0, s_u_stval
        call    puts
        csrr    a0, stval
        call    put_hex
        li      a0, 10
        call    putc
        la      t0, nunexpected
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t0, 10
        bgeu    t1, t0, finish
        csrr    t0, scause
        bltz    t0, 1f
        csrr    t0, sepc                # an exception: skip the instruction
        addi    t0, t0, 4
        csrw    sepc, t0
1:      ld      ra, TF_SAVE + 0(t6)
        ld      sp, TF_SAVE + 8(t6)
        ld      t0, TF_SAVE + 16(t6)
        ld      t1, TF_SAVE + 24(t6)
        ld      t2, TF_SAVE + 32(t6)
        ld      t3, TF_SAVE + 40(t6)
        ld      t4, TF_SAVE + 48(t6)
        ld      a0, TF_SAVE + 56(t6)
        ld      a1, TF_SAVE + 64(t6)
        ld      a2, TF_SAVE + 72(t6)
        ld      a3, TF_SAVE + 80(t6)
        ld      a4, TF_SAVE + 88(t6)
        ld      a5, TF_SAVE + 96(t6)
        ld      a6, TF_SAVE + 104(t6)
        ld      a7, TF_SAVE + 112(t6)
        j       trap_return

# putc(a0 = byte): wait until the UART can take a byte, then send it.
putc:
        li      t0, UART
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

# puts(a0 = NUL-terminated string)
puts:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
1:      lbu     a0, 0(s0)
        beqz    a0, 2f
        call    putc
        addi    s0, s0, 1
        j       1b
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# put_hex(a0): "0x" and the hex digits, without leading zeros.
put_hex:
        addi    sp, sp, -32
        sd      ra, 24(sp)
        addi    t0, sp, 23              # build the string backwards
        sb      zero, 0(t0)
        la      t1, hex_digits
1:      andi    t2, a0, 15
        add     t2, t1, t2
        lbu     t2, 0(t2)
        srli    a0, a0, 4
        addi    t0, t0, -1
        sb      t2, 0(t0)
        bnez    a0, 1b
        li      t2, 120                 # 'x'
        sb      t2, -1(t0)
        li      t2, 48                  # '0'
        sb      t2, -2(t0)
        addi    a0, t0, -2
        call    puts
        ld      ra, 24(sp)
        addi    sp, sp, 32
        ret

# put_dec(a0 = unsigned number)
put_dec:
        addi    sp, sp, -32
        sd      ra, 24(sp)
        addi    t0, sp, 23
        sb      zero, 0(t0)
        li      t1, 10
1:      remu    t2, a0, t1
        divu    a0, a0, t1
        addi    t2, t2, 48              # '0'
        addi    t0, t0, -1
        sb      t2, 0(t0)
        bnez    a0, 1b
        mv      a0, t0
        call    puts
        ld      ra, 24(sp)
        addi    sp, sp, 32
        ret

        .section .rodata
s_ok:           .asciz "ok "
s_fail:         .asciz "FAIL "
s_got:          .asciz " got "
s_want:         .asciz " want "
s_scause:       .asciz ": scause"
s_sepc:         .asciz ": sepc"
s_stval:        .asciz ": stval"
s_unexpected:   .asciz "FAIL unexpected trap: scause "
s_u_sepc:       .asciz " sepc "
s_u_stval:      .asciz " stval "
s_done:         .asciz "done: "
s_checks:       .asciz " checks, "
s_failed:       .asciz " failed\n"
hex_digits:     .ascii "0123456789abcdef"

        .data
        .balign 8
trap_frame:     .space TF_SIZE
trap_cause:     .dword -1               # what the last trap reported
trap_epc:       .dword -1
trap_tval:      .dword -1
trap_status:    .dword -1
trap_vector:    .dword -1               # set by traps.s's vectored stubs
nchecks:        .dword 0
nfailed:        .dword 0
nunexpected:    .dword 0

        .bss
        .balign 16
        .space  4096
stack_top:
        .space  1024
trap_stack_top:
