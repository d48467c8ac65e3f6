# alu.s: conformance checks for RV64I and M arithmetic edge cases.
#
# Every line this program prints is one check: "ok NAME", or "FAIL NAME got
# 0x... want 0x..." when the hart disagrees with the RISC-V unprivileged
# spec. The values here are where simple implementations go wrong: shift
# amounts are masked (to 6 bits, or 5 for the 32-bit "W" forms), W results
# are sign-extended from bit 31, division never traps (by zero or by
# overflow it has defined results), and the high halves of products depend
# on which operands are signed.
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
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
        .include "harness-routines.inc" # check(), the trap handler, printing
