# alu.s: conformance checks for RV64I and M arithmetic edge cases.
#
# Every line this program prints is one check: "ok NAME", or "FAIL NAME got
# 0x... want 0x..." when the hart disagrees with the RISC-V unprivileged
# spec. The values here are where simple implementations go wrong: shift
# amounts are masked (to 6 bits, or 5 for the 32-bit "W" forms), W results
# are sign-extended from bit 31, division never traps (by zero or by
# overflow it has defined results), and the high halves of products depend
# on which operands are signed.
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
        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init

# --- Shifts -----------------------------------------------------------------
# RV64 shifts use the low 6 bits of the shift amount (0..63); the W forms
# (sllw, srlw, sraw) use the low 5 bits, work on the low 32 bits, and
# sign-extend the 32-bit result to 64 bits.
        li      s0, 1
        li      s1, 63
        sll     s2, s0, s1
        CHECK   sll-by-63, s2, 0x8000000000000000
        li      s1, 64                  # 64 & 63 = 0: no shift at all
        sll     s2, s0, s1
        CHECK   sll-by-64-is-by-0, s2, 1
        li      s0, -1
        li      s1, 60
        srl     s2, s0, s1
        CHECK   srl-zero-fills, s2, 0xf
        li      s0, 0x8000000000000000
        li      s1, 63
        sra     s2, s0, s1
        CHECK   sra-sign-fills, s2, -1
        srai    s2, s0, 4
        CHECK   srai, s2, 0xf800000000000000

        li      s0, 1
        li      s1, 31
        sllw    s2, s0, s1              # 0x80000000, sign-extended
        CHECK   sllw-by-31-sign-extends, s2, 0xffffffff80000000
        li      s0, 0x123456789
        li      s1, 32                  # 32 & 31 = 0: keep the low 32 bits
        sllw    s2, s0, s1
        CHECK   sllw-by-32-is-by-0, s2, 0x23456789
        slliw   s2, s0, 4
        CHECK   slliw-drops-high-bits, s2, 0x34567890
        li      s0, 0xffffffff80000000
        li      s1, 31
        srlw    s2, s0, s1
        CHECK   srlw-by-31, s2, 1
        li      s1, 36                  # 36 & 31 = 4
        srlw    s2, s0, s1
        CHECK   srlw-by-36-is-by-4, s2, 0x08000000
        li      s0, 0x80000000          # bits 63..32 clear: sraw ignores them
        li      s1, 4
        sraw    s2, s0, s1
        CHECK   sraw-uses-bit-31, s2, 0xfffffffff8000000
        li      s1, 32                  # by 0: just sign-extends
        sraw    s2, s0, s1
        CHECK   sraw-by-32-is-by-0, s2, 0xffffffff80000000
        sraiw   s2, s0, 31
        CHECK   sraiw-by-31, s2, -1
        srliw   s2, s0, 0               # srliw by 0 still sign-extends
        CHECK   srliw-by-0-sign-extends, s2, 0xffffffff80000000

# --- 32-bit arithmetic wraps, then sign-extends ------------------------------
        li      s0, 0x7fffffff
        li      s1, 1
        addw    s2, s0, s1
        CHECK   addw-overflow, s2, 0xffffffff80000000
        add     s2, s0, s1              # the 64-bit add does not wrap
        CHECK   add-no-overflow, s2, 0x80000000
        li      s0, 0x180000000         # low 32 bits 0x80000000
        subw    s2, s0, s1
        CHECK   subw-underflow, s2, 0x7fffffff
        li      s0, 0xffffffff
        addiw   s2, s0, 0               # sext.w
        CHECK   addiw-0-sign-extends, s2, -1
        li      s0, 0x7fffffff
        addiw   s2, s0, 1
        CHECK   addiw-overflow, s2, 0xffffffff80000000

# --- Comparisons: slt is signed, sltu unsigned -------------------------------
        li      s0, -1
        li      s1, 1
        slt     s2, s0, s1
        CHECK   slt-negative, s2, 1
        sltu    s2, s0, s1              # -1 is the largest unsigned number
        CHECK   sltu-negative, s2, 0
        slti    s2, s0, 0
        CHECK   slti, s2, 1
        li      s0, 5
        sltiu   s2, s0, -1              # the immediate is sign-extended first:
        CHECK   sltiu-imm-sign-extends, s2, 1 # 5 < 0xffff..ff, unsigned
        li      s0, 0x8000000000000000
        li      s1, 0x7fffffffffffffff
        slt     s2, s0, s1
        CHECK   slt-min-max, s2, 1
        sltu    s2, s0, s1
        CHECK   sltu-min-max, s2, 0

# --- lui and auipc sign-extend their 32-bit result on RV64 --------------------
        lui     s2, 0x80000
        CHECK   lui-sign-extends, s2, 0xffffffff80000000
        lui     s2, 0x7ffff
        CHECK   lui-positive, s2, 0x7ffff000
1:      auipc   s2, 0x80000             # pc + 0xffffffff80000000
        la      s3, 1b
        li      s4, 0xffffffff80000000
        add     s3, s3, s4
        CHECK_REG auipc-sign-extends, s2, s3
2:      auipc   s2, 0
        CHECK_ADDR auipc-0-is-pc, s2, 2b

# --- Writes to x0 are discarded ----------------------------------------------
        addi    x0, x0, 5
        mv      s2, x0
        CHECK   x0-stays-zero, s2, 0

# --- Loads: lb/lh/lw sign-extend, lbu/lhu/lwu zero-extend ---------------------
        la      s0, load_data           # the bytes 0x80 0x81 ... 0x87
        lb      s2, 0(s0)
        CHECK   lb-sign-extends, s2, 0xffffffffffffff80
        lbu     s2, 0(s0)
        CHECK   lbu, s2, 0x80
        lh      s2, 0(s0)
        CHECK   lh-sign-extends, s2, 0xffffffffffff8180
        lhu     s2, 0(s0)
        CHECK   lhu, s2, 0x8180
        lw      s2, 0(s0)
        CHECK   lw-sign-extends, s2, 0xffffffff83828180
        lwu     s2, 0(s0)
        CHECK   lwu, s2, 0x83828180
        ld      s2, 0(s0)
        CHECK   ld-little-endian, s2, 0x8786858483828180

# --- jalr clears bit 0 of the target, and writes rd = pc + 4 -----------------
        la      s0, 3f
        addi    s0, s0, 1               # an odd address: jalr ignores bit 0
        li      s2, 0
        jalr    s1, 0(s0)
4:      li      s2, 1                   # skipped
3:      CHECK   jalr-clears-bit-0, s2, 0
        CHECK_ADDR jalr-links-pc+4, s1, 4b
        la      s0, 5f
        jalr    s0, 0(s0)               # rd = rs1: the target is read first
5:      CHECK_ADDR jalr-rd-equals-rs1, s0, 5b

# --- Division: no traps. By zero: quotient all ones, remainder = dividend.
# The one overflow, MIN / -1, gives quotient MIN and remainder 0.
        li      s0, 1234
        li      s1, 0
        div     s2, s0, s1
        CHECK   div-by-zero, s2, -1
        divu    s2, s0, s1
        CHECK   divu-by-zero, s2, 0xffffffffffffffff
        rem     s2, s0, s1
        CHECK   rem-by-zero, s2, 1234
        remu    s2, s0, s1
        CHECK   remu-by-zero, s2, 1234
        li      s0, 0x8000000000000000
        li      s1, -1
        div     s2, s0, s1
        CHECK   div-min-by-minus-1, s2, 0x8000000000000000
        rem     s2, s0, s1
        CHECK   rem-min-by-minus-1, s2, 0
        li      s0, -7                  # rounds toward zero; the remainder
        li      s1, 2                   # has the dividend's sign
        div     s2, s0, s1
        CHECK   div-rounds-toward-zero, s2, -3
        rem     s2, s0, s1
        CHECK   rem-sign-of-dividend, s2, -1
        divu    s2, s0, s1
        CHECK   divu-negative-is-large, s2, 0x7ffffffffffffffc

        li      s0, 0xabcdef0000001234  # W forms: only the low 32 bits count
        li      s1, 0xffffffff00000000  # low 32 bits zero: division by zero
        divw    s2, s0, s1
        CHECK   divw-by-zero, s2, -1
        divuw   s2, s0, s1
        CHECK   divuw-by-zero, s2, -1   # 0xffffffff, sign-extended
        remw    s2, s0, s1
        CHECK   remw-by-zero, s2, 0x1234
        li      s0, 0x80000000
        remuw   s2, s0, s1
        CHECK   remuw-by-zero-sign-extends, s2, 0xffffffff80000000
        li      s1, -1
        divw    s2, s0, s1
        CHECK   divw-min-by-minus-1, s2, 0xffffffff80000000
        remw    s2, s0, s1
        CHECK   remw-min-by-minus-1, s2, 0
        li      s1, 0x100000002         # divides by 2 (bit 32 is ignored)
        divuw   s2, s0, s1
        CHECK   divuw-ignores-high-bits, s2, 0x40000000
        divw    s2, s0, s1
        CHECK   divw-signed, s2, 0xffffffffc0000000

# --- Multiplication: mul is the low 64 bits; mulh/mulhsu/mulhu the high 64
# bits of the 128-bit product of signed*signed, signed*unsigned and
# unsigned*unsigned operands.
        li      s0, -1
        li      s1, -1
        mul     s2, s0, s1
        CHECK   mul-minus-1-squared, s2, 1
        mulh    s2, s0, s1              # (-1)(-1) = 1: high half 0
        CHECK   mulh-minus-1-squared, s2, 0
        mulhu   s2, s0, s1              # (2^64-1)^2 = 2^128 - 2^65 + 1
        CHECK   mulhu-max-squared, s2, 0xfffffffffffffffe
        mulhsu  s2, s0, s1              # (-1)(2^64-1): high half all ones
        CHECK   mulhsu-minus-1-by-max, s2, -1
        li      s0, 2
        mulhsu  s2, s0, s1              # 2(2^64-1) = 2^65 - 2
        CHECK   mulhsu-2-by-max, s2, 1
        li      s0, -2
        li      s1, 3
        mulh    s2, s0, s1              # -6: high half all ones
        CHECK   mulh-negative, s2, -1
        mulhu   s2, s0, s1              # 3(2^64-2) = 2^65 + 2^64 - 6
        CHECK   mulhu-negative-is-large, s2, 2
        mulhsu  s2, s1, s0              # 3 * (2^64-2): rs1 signed, rs2 unsigned
        CHECK   mulhsu-unsigned-rs2, s2, 2
        li      s0, 0x8000000000000000
        mulh    s2, s0, s0              # (-2^63)^2 = 2^126
        CHECK   mulh-min-squared, s2, 0x4000000000000000
        mul     s2, s0, s0
        CHECK   mul-min-squared, s2, 0
        li      s0, 0x7fffffff
        li      s1, 2
        mulw    s2, s0, s1              # 0xfffffffe, sign-extended
        CHECK   mulw-overflow, s2, -2
        li      s0, 0x1234500000003
        li      s1, 0x6789a00000005
        mulw    s2, s0, s1              # only the low 32 bits: 3 * 5
        CHECK   mulw-ignores-high-bits, s2, 15

        j       finish

        .section .rodata
        .balign 8
load_data:      .byte 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87

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
