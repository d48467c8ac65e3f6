//! The C extension's compressed encodings (RVC) for RV64IMAC, in one table.
//!
//! Unprivileged spec (20191213), chapter 16 "“C” Standard Extension for
//! Compressed Instructions": "Each RVC instruction expands into a single
//! 32-bit instruction in either the base ISA (RV32I/E, RV64I, or RV128I) or
//! the F and D standard extensions" (16.1). [`ROWS`] lists the 33
//! compressed instructions an RV64IMAC hart has (table 16.5-16.7 without the
//! F/D loads and stores), each with its quadrant/funct pattern, the spec
//! section it comes from, how its fields expand to the base instruction and
//! when a base instruction is written compressed.
//!
//! - [`expand`]: a 16-bit parcel to its 32-bit equivalent, or `None` for a
//!   parcel that is no instruction on RV64IMAC: the all-zero parcel (16.6,
//!   "defined illegal"), the code points the spec marks *reserved* (16.11:
//!   `c.addi4spn` with `nzuimm=0`, `c.addiw` with `rd=0`, `c.addi16sp` and
//!   `c.lui` with `nzimm=0`, `c.lwsp`/`c.ldsp` with `rd=0`, `c.jr` with
//!   `rs1=0`, quadrant 0's funct3 100, quadrant 1's `100 1 11 1x`) and the
//!   F/D forms (`c.fld`, `c.fsd`, `c.fldsp`, `c.fsdsp`). HINTs (16.10, table
//!   16.3: `c.nop` with an immediate, `c.addi` with 0, `c.li`/`c.lui`/
//!   `c.mv`/`c.add`/`c.slli` writing `x0`, zero shifts) are instructions and
//!   expand to their base forms, which are base HINTs or no-ops themselves.
//! - [`compress`]: the compressed form GNU as (2.40, `-march=rv64imac`)
//!   chooses for a 32-bit instruction written as objdump prints it (`mv`,
//!   `li`, `ret`, `jr`, `j`, `beqz`, ... for the words that have those
//!   names), or `None` where it keeps the 32-bit form. GNU as never
//!   chooses a HINT, so `compress(expand(p)) == Some(p)` holds for every
//!   non-HINT parcel but three: `c.addi16sp` by ±16 or -32, which GNU as
//!   writes as `c.addi sp,...` (see [`is_canonical`]).
//!
//! GNU as's choice also depends on the spelling for a few words (`jalr
//! ra,0(a0)` stays 32-bit where `jalr a0` is compressed; `mv a0,zero`
//! stays 32-bit where `li a0,0` is compressed): the assembler handles those
//! spellings itself.

use crate::isa::{self, Insn, Op};

/// Which part of the spec a row implements, and its encoding.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The spec's name (`c.addi4spn`).
    pub name: &'static str,
    /// Bits that select the row, and their value.
    pub mask: u16,
    pub value: u16,
    /// The section of the unprivileged spec (20191213, chapter 16).
    pub spec: &'static str,
    /// The 32-bit equivalent, `None` for the row's reserved code points.
    expand: fn(u16) -> Option<Insn>,
    /// The row's parcel for a base instruction, if GNU as compresses it to
    /// this row.
    compress: fn(&Insn) -> Option<u16>,
}

// Field extraction (16.2, figure 16.1: the compressed formats).

fn bit(p: u16, n: u32) -> u32 {
    (p as u32 >> n) & 1
}
fn bits(p: u16, hi: u32, lo: u32) -> u32 {
    (p as u32 >> lo) & ((1 << (hi - lo + 1)) - 1)
}
/// `rd`/`rs1`, bits 11:7 (CR, CI).
fn r_hi(p: u16) -> u8 {
    bits(p, 11, 7) as u8
}
/// `rs2`, bits 6:2 (CR, CSS).
fn r_lo(p: u16) -> u8 {
    bits(p, 6, 2) as u8
}
/// `rs1'`/`rd'`, bits 9:7: x8-x15 (CL, CS, CA, CB).
fn rp_hi(p: u16) -> u8 {
    bits(p, 9, 7) as u8 + 8
}
/// `rd'`/`rs2'`, bits 4:2: x8-x15 (CIW, CL, CS, CA).
fn rp_lo(p: u16) -> u8 {
    bits(p, 4, 2) as u8 + 8
}
/// The CI format's 6-bit signed immediate: imm[5] at 12, imm[4:0] at 6:2.
fn ci_imm(p: u16) -> i32 {
    let v = bit(p, 12) << 5 | bits(p, 6, 2);
    ((v << 26) as i32) >> 26
}
fn sext(v: u32, width: u32) -> i32 {
    ((v << (32 - width)) as i32) >> (32 - width)
}

/// Is `r` one of the eight registers a 3-bit field names (x8-x15)?
fn is_rvc_reg(r: u8) -> bool {
    (8..16).contains(&r)
}
fn fits6(v: i32) -> bool {
    (-32..32).contains(&v)
}
/// The parcel's bits for a register in a 3-bit field at `at`.
fn rp(r: u8, at: u32) -> u16 {
    ((r as u16 - 8) & 7) << at
}
fn r5(r: u8, at: u32) -> u16 {
    (r as u16 & 31) << at
}
/// The CI immediate's bits (imm[5] at 12, imm[4:0] at 6:2).
fn ci(v: i32) -> u16 {
    let v = v as u32;
    ((v >> 5 & 1) << 12 | (v & 31) << 2) as u16
}

fn insn(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Option<Insn> {
    Some(Insn::new(op, rd, rs1, rs2, imm))
}

// The immediates of the loads, stores, jumps and branches, each as the
// spec's figure lays its bits out, both ways.

/// `c.addi4spn`: nzuimm[5:4|9:6|2|3] at 12:5.
fn addi4spn_imm(p: u16) -> u32 {
    bits(p, 12, 11) << 4 | bits(p, 10, 7) << 6 | bit(p, 6) << 2 | bit(p, 5) << 3
}
fn addi4spn_bits(v: u32) -> u16 {
    ((v >> 4 & 3) << 11 | (v >> 6 & 15) << 7 | (v >> 2 & 1) << 6 | (v >> 3 & 1) << 5) as u16
}
/// `c.lw`/`c.sw`: uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5.
fn w_imm(p: u16) -> u32 {
    bits(p, 12, 10) << 3 | bit(p, 6) << 2 | bit(p, 5) << 6
}
fn w_bits(v: u32) -> u16 {
    ((v >> 3 & 7) << 10 | (v >> 2 & 1) << 6 | (v >> 6 & 1) << 5) as u16
}
/// `c.ld`/`c.sd`: uimm[5:3] at 12:10, uimm[7:6] at 6:5.
fn d_imm(p: u16) -> u32 {
    bits(p, 12, 10) << 3 | bits(p, 6, 5) << 6
}
fn d_bits(v: u32) -> u16 {
    ((v >> 3 & 7) << 10 | (v >> 6 & 3) << 5) as u16
}
/// `c.lwsp`: uimm[5] at 12, uimm[4:2|7:6] at 6:2.
fn lwsp_imm(p: u16) -> u32 {
    bit(p, 12) << 5 | bits(p, 6, 4) << 2 | bits(p, 3, 2) << 6
}
fn lwsp_bits(v: u32) -> u16 {
    ((v >> 5 & 1) << 12 | (v >> 2 & 7) << 4 | (v >> 6 & 3) << 2) as u16
}
/// `c.ldsp`: uimm[5] at 12, uimm[4:3|8:6] at 6:2.
fn ldsp_imm(p: u16) -> u32 {
    bit(p, 12) << 5 | bits(p, 6, 5) << 3 | bits(p, 4, 2) << 6
}
fn ldsp_bits(v: u32) -> u16 {
    ((v >> 5 & 1) << 12 | (v >> 3 & 3) << 5 | (v >> 6 & 7) << 2) as u16
}
/// `c.swsp`: uimm[5:2|7:6] at 12:7.
fn swsp_imm(p: u16) -> u32 {
    bits(p, 12, 9) << 2 | bits(p, 8, 7) << 6
}
fn swsp_bits(v: u32) -> u16 {
    ((v >> 2 & 15) << 9 | (v >> 6 & 3) << 7) as u16
}
/// `c.sdsp`: uimm[5:3|8:6] at 12:7.
fn sdsp_imm(p: u16) -> u32 {
    bits(p, 12, 10) << 3 | bits(p, 9, 7) << 6
}
fn sdsp_bits(v: u32) -> u16 {
    ((v >> 3 & 7) << 10 | (v >> 6 & 7) << 7) as u16
}
/// `c.addi16sp`: nzimm[9] at 12, nzimm[4|6|8:7|5] at 6:2.
fn addi16sp_imm(p: u16) -> i32 {
    let v = bit(p, 12) << 9 | bit(p, 6) << 4 | bit(p, 5) << 6 | bits(p, 4, 3) << 7 | bit(p, 2) << 5;
    sext(v, 10)
}
fn addi16sp_bits(v: i32) -> u16 {
    let v = v as u32;
    ((v >> 9 & 1) << 12
        | (v >> 4 & 1) << 6
        | (v >> 6 & 1) << 5
        | (v >> 7 & 3) << 3
        | (v >> 5 & 1) << 2) as u16
}
/// `c.j`: offset[11|4|9:8|10|6|7|3:1|5] at 12:2.
fn j_imm(p: u16) -> i32 {
    let v = bit(p, 12) << 11
        | bit(p, 11) << 4
        | bits(p, 10, 9) << 8
        | bit(p, 8) << 10
        | bit(p, 7) << 6
        | bit(p, 6) << 7
        | bits(p, 5, 3) << 1
        | bit(p, 2) << 5;
    sext(v, 12)
}
fn j_bits(v: i32) -> u16 {
    let v = v as u32;
    ((v >> 11 & 1) << 12
        | (v >> 4 & 1) << 11
        | (v >> 8 & 3) << 9
        | (v >> 10 & 1) << 8
        | (v >> 6 & 1) << 7
        | (v >> 7 & 1) << 6
        | (v >> 1 & 7) << 3
        | (v >> 5 & 1) << 2) as u16
}
/// `c.beqz`/`c.bnez`: offset[8|4:3] at 12:10, offset[7:6|2:1|5] at 6:2.
fn b_imm(p: u16) -> i32 {
    let v = bit(p, 12) << 8
        | bits(p, 11, 10) << 3
        | bits(p, 6, 5) << 6
        | bits(p, 4, 3) << 1
        | bit(p, 2) << 5;
    sext(v, 9)
}
fn b_bits(v: i32) -> u16 {
    let v = v as u32;
    ((v >> 8 & 1) << 12
        | (v >> 3 & 3) << 10
        | (v >> 6 & 3) << 5
        | (v >> 1 & 3) << 3
        | (v >> 5 & 1) << 2) as u16
}

/// Can `v` be the offset of a compressed load or store whose offset is an
/// unsigned multiple of `scale` below `limit`?
fn uimm_fits(v: i32, scale: i32, limit: i32) -> bool {
    v >= 0 && v < limit && v % scale == 0
}

/// A CA-format row (`c.sub` ... `c.addw`): `rd' = rd' op rs2'`; GNU as also
/// takes the commuted operands of the commutative ones.
macro_rules! ca_row {
    ($name:literal, $value:literal, $op:ident, $commutes:literal) => {
        Row {
            name: $name,
            mask: 0xfc63,
            value: $value,
            spec: "16.5 Integer Register-Register Operations (CA)",
            expand: |p| insn(Op::$op, rp_hi(p), rp_hi(p), rp_lo(p), 0),
            compress: |i| {
                if i.op != Op::$op || !is_rvc_reg(i.rd) {
                    return None;
                }
                let other = if i.rs1 == i.rd {
                    i.rs2
                } else if $commutes && i.rs2 == i.rd {
                    i.rs1
                } else {
                    return None;
                };
                is_rvc_reg(other).then(|| $value | rp(i.rd, 7) | rp(other, 2))
            },
        }
    };
}

/// The compressed instructions of RV64IMAC (unprivileged spec 20191213,
/// tables 16.5-16.7), in the order GNU as prefers them where more than one
/// could encode an instruction (`addi sp,sp,16` is `c.addi`, not
/// `c.addi16sp`).
pub const ROWS: &[Row] = &[
    // Quadrant 0.
    Row {
        name: "c.addi4spn",
        mask: 0xe003,
        value: 0x0000,
        spec: "16.5 Integer Register-Immediate Operations (CIW): addi rd', x2, nzuimm; nzuimm=0 reserved",
        expand: |p| {
            let v = addi4spn_imm(p);
            if v == 0 {
                return None;
            }
            insn(Op::Addi, rp_lo(p), 2, 0, v as i32)
        },
        compress: |i| {
            (i.op == Op::Addi
                && i.rs1 == 2
                && is_rvc_reg(i.rd)
                && i.imm > 0
                && uimm_fits(i.imm, 4, 1024))
            .then(|| addi4spn_bits(i.imm as u32) | rp(i.rd, 2))
        },
    },
    Row {
        name: "c.lw",
        mask: 0xe003,
        value: 0x4000,
        spec: "16.3 Register-Based Loads and Stores (CL): lw rd', offset(rs1')",
        expand: |p| insn(Op::Lw, rp_lo(p), rp_hi(p), 0, w_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Lw && is_rvc_reg(i.rd) && is_rvc_reg(i.rs1) && uimm_fits(i.imm, 4, 128))
                .then(|| 0x4000 | w_bits(i.imm as u32) | rp(i.rs1, 7) | rp(i.rd, 2))
        },
    },
    Row {
        name: "c.ld",
        mask: 0xe003,
        value: 0x6000,
        spec: "16.3 Register-Based Loads and Stores (CL): ld rd', offset(rs1') (RV64)",
        expand: |p| insn(Op::Ld, rp_lo(p), rp_hi(p), 0, d_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Ld && is_rvc_reg(i.rd) && is_rvc_reg(i.rs1) && uimm_fits(i.imm, 8, 256))
                .then(|| 0x6000 | d_bits(i.imm as u32) | rp(i.rs1, 7) | rp(i.rd, 2))
        },
    },
    Row {
        name: "c.sw",
        mask: 0xe003,
        value: 0xc000,
        spec: "16.3 Register-Based Loads and Stores (CS): sw rs2', offset(rs1')",
        expand: |p| insn(Op::Sw, 0, rp_hi(p), rp_lo(p), w_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Sw && is_rvc_reg(i.rs2) && is_rvc_reg(i.rs1) && uimm_fits(i.imm, 4, 128))
                .then(|| 0xc000 | w_bits(i.imm as u32) | rp(i.rs1, 7) | rp(i.rs2, 2))
        },
    },
    Row {
        name: "c.sd",
        mask: 0xe003,
        value: 0xe000,
        spec: "16.3 Register-Based Loads and Stores (CS): sd rs2', offset(rs1') (RV64)",
        expand: |p| insn(Op::Sd, 0, rp_hi(p), rp_lo(p), d_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Sd && is_rvc_reg(i.rs2) && is_rvc_reg(i.rs1) && uimm_fits(i.imm, 8, 256))
                .then(|| 0xe000 | d_bits(i.imm as u32) | rp(i.rs1, 7) | rp(i.rs2, 2))
        },
    },
    // Quadrant 1.
    Row {
        name: "c.nop",
        mask: 0xef83,
        value: 0x0001,
        spec: "16.7 NOP Instruction (CI): addi x0, x0, 0; a non-zero imm is a HINT",
        expand: |p| insn(Op::Addi, 0, 0, 0, ci_imm(p)),
        // `nop` (addi zero,zero,0) only: GNU as writes no HINT.
        compress: |i| (i.op == Op::Addi && i.rd == 0 && i.rs1 == 0 && i.imm == 0).then_some(0x0001),
    },
    Row {
        name: "c.addi",
        mask: 0xe003,
        value: 0x0001,
        spec: "16.5 Integer Register-Immediate Operations (CI): addi rd, rd, nzimm; rd!=0 with imm=0 is a HINT",
        expand: |p| insn(Op::Addi, r_hi(p), r_hi(p), 0, ci_imm(p)),
        compress: |i| {
            (i.op == Op::Addi && i.rd != 0 && i.rs1 == i.rd && i.imm != 0 && fits6(i.imm))
                .then(|| 0x0001 | r5(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.addiw",
        mask: 0xe003,
        value: 0x2001,
        spec: "16.5 Integer Register-Immediate Operations (CI): addiw rd, rd, imm (RV64); rd=0 reserved",
        expand: |p| {
            let rd = r_hi(p);
            if rd == 0 {
                return None;
            }
            insn(Op::Addiw, rd, rd, 0, ci_imm(p))
        },
        compress: |i| {
            (i.op == Op::Addiw && i.rd != 0 && i.rs1 == i.rd && fits6(i.imm))
                .then(|| 0x2001 | r5(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.li",
        mask: 0xe003,
        value: 0x4001,
        spec: "16.5 Integer Constant-Generation Instructions (CI): addi rd, x0, imm; rd=0 is a HINT",
        expand: |p| insn(Op::Addi, r_hi(p), 0, 0, ci_imm(p)),
        compress: |i| {
            (i.op == Op::Addi && i.rd != 0 && i.rs1 == 0 && fits6(i.imm))
                .then(|| 0x4001 | r5(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.addi16sp",
        mask: 0xef83,
        value: 0x6101,
        spec: "16.5 Integer Register-Immediate Operations (CI): addi x2, x2, nzimm; nzimm=0 reserved",
        expand: |p| {
            let v = addi16sp_imm(p);
            if v == 0 {
                return None;
            }
            insn(Op::Addi, 2, 2, 0, v)
        },
        compress: |i| {
            (i.op == Op::Addi
                && i.rd == 2
                && i.rs1 == 2
                && i.imm != 0
                && i.imm % 16 == 0
                && (-512..512).contains(&i.imm))
            .then(|| 0x6101 | addi16sp_bits(i.imm))
        },
    },
    Row {
        name: "c.lui",
        mask: 0xe003,
        value: 0x6001,
        spec: "16.5 Integer Constant-Generation Instructions (CI): lui rd, nzimm (rd!=2); nzimm=0 reserved, rd=0 a HINT",
        expand: |p| {
            let v = ci_imm(p);
            if v == 0 || r_hi(p) == 2 {
                return None;
            }
            insn(Op::Lui, r_hi(p), 0, 0, v << 12)
        },
        compress: |i| {
            let v = i.imm >> 12;
            (i.op == Op::Lui && i.rd != 0 && i.rd != 2 && v != 0 && fits6(v))
                .then(|| 0x6001 | r5(i.rd, 7) | ci(v))
        },
    },
    Row {
        name: "c.srli",
        mask: 0xec03,
        value: 0x8001,
        spec: "16.5 Integer Register-Immediate Operations (CB): srli rd', rd', shamt; shamt=0 is a HINT",
        expand: |p| {
            let shamt = bit(p, 12) << 5 | bits(p, 6, 2);
            insn(Op::Srli, rp_hi(p), rp_hi(p), 0, shamt as i32)
        },
        compress: |i| {
            (i.op == Op::Srli && is_rvc_reg(i.rd) && i.rs1 == i.rd && i.imm != 0)
                .then(|| 0x8001 | rp(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.srai",
        mask: 0xec03,
        value: 0x8401,
        spec: "16.5 Integer Register-Immediate Operations (CB): srai rd', rd', shamt; shamt=0 is a HINT",
        expand: |p| {
            let shamt = bit(p, 12) << 5 | bits(p, 6, 2);
            insn(Op::Srai, rp_hi(p), rp_hi(p), 0, shamt as i32)
        },
        compress: |i| {
            (i.op == Op::Srai && is_rvc_reg(i.rd) && i.rs1 == i.rd && i.imm != 0)
                .then(|| 0x8401 | rp(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.andi",
        mask: 0xec03,
        value: 0x8801,
        spec: "16.5 Integer Register-Immediate Operations (CB): andi rd', rd', imm",
        expand: |p| insn(Op::Andi, rp_hi(p), rp_hi(p), 0, ci_imm(p)),
        compress: |i| {
            (i.op == Op::Andi && is_rvc_reg(i.rd) && i.rs1 == i.rd && fits6(i.imm))
                .then(|| 0x8801 | rp(i.rd, 7) | ci(i.imm))
        },
    },
    ca_row!("c.sub", 0x8c01, Sub, false),
    ca_row!("c.xor", 0x8c21, Xor, true),
    ca_row!("c.or", 0x8c41, Or, true),
    ca_row!("c.and", 0x8c61, And, true),
    ca_row!("c.subw", 0x9c01, Subw, false),
    ca_row!("c.addw", 0x9c21, Addw, true),
    Row {
        name: "c.j",
        mask: 0xe003,
        value: 0xa001,
        spec: "16.4 Control Transfer Instructions (CJ): jal x0, offset",
        expand: |p| insn(Op::Jal, 0, 0, 0, j_imm(p)),
        compress: |i| {
            (i.op == Op::Jal && i.rd == 0 && (-2048..2048).contains(&i.imm) && i.imm % 2 == 0)
                .then(|| 0xa001 | j_bits(i.imm))
        },
    },
    Row {
        name: "c.beqz",
        mask: 0xe003,
        value: 0xc001,
        spec: "16.4 Control Transfer Instructions (CB): beq rs1', x0, offset",
        expand: |p| insn(Op::Beq, 0, rp_hi(p), 0, b_imm(p)),
        compress: |i| {
            (i.op == Op::Beq && i.rs2 == 0 && is_rvc_reg(i.rs1) && branch_fits(i.imm))
                .then(|| 0xc001 | rp(i.rs1, 7) | b_bits(i.imm))
        },
    },
    Row {
        name: "c.bnez",
        mask: 0xe003,
        value: 0xe001,
        spec: "16.4 Control Transfer Instructions (CB): bne rs1', x0, offset",
        expand: |p| insn(Op::Bne, 0, rp_hi(p), 0, b_imm(p)),
        compress: |i| {
            (i.op == Op::Bne && i.rs2 == 0 && is_rvc_reg(i.rs1) && branch_fits(i.imm))
                .then(|| 0xe001 | rp(i.rs1, 7) | b_bits(i.imm))
        },
    },
    // Quadrant 2.
    Row {
        name: "c.slli",
        mask: 0xe003,
        value: 0x0002,
        spec: "16.5 Integer Register-Immediate Operations (CI): slli rd, rd, shamt; rd=0 or shamt=0 is a HINT",
        expand: |p| {
            let shamt = bit(p, 12) << 5 | bits(p, 6, 2);
            insn(Op::Slli, r_hi(p), r_hi(p), 0, shamt as i32)
        },
        compress: |i| {
            (i.op == Op::Slli && i.rd != 0 && i.rs1 == i.rd && i.imm != 0)
                .then(|| 0x0002 | r5(i.rd, 7) | ci(i.imm))
        },
    },
    Row {
        name: "c.lwsp",
        mask: 0xe003,
        value: 0x4002,
        spec: "16.3 Stack-Pointer-Based Loads and Stores (CI): lw rd, offset(x2); rd=0 reserved",
        expand: |p| {
            let rd = r_hi(p);
            if rd == 0 {
                return None;
            }
            insn(Op::Lw, rd, 2, 0, lwsp_imm(p) as i32)
        },
        compress: |i| {
            (i.op == Op::Lw && i.rd != 0 && i.rs1 == 2 && uimm_fits(i.imm, 4, 256))
                .then(|| 0x4002 | r5(i.rd, 7) | lwsp_bits(i.imm as u32))
        },
    },
    Row {
        name: "c.ldsp",
        mask: 0xe003,
        value: 0x6002,
        spec: "16.3 Stack-Pointer-Based Loads and Stores (CI): ld rd, offset(x2) (RV64); rd=0 reserved",
        expand: |p| {
            let rd = r_hi(p);
            if rd == 0 {
                return None;
            }
            insn(Op::Ld, rd, 2, 0, ldsp_imm(p) as i32)
        },
        compress: |i| {
            (i.op == Op::Ld && i.rd != 0 && i.rs1 == 2 && uimm_fits(i.imm, 8, 512))
                .then(|| 0x6002 | r5(i.rd, 7) | ldsp_bits(i.imm as u32))
        },
    },
    Row {
        name: "c.jr",
        mask: 0xf07f,
        value: 0x8002,
        spec: "16.4 Control Transfer Instructions (CR): jalr x0, 0(rs1); rs1=0 reserved",
        expand: |p| {
            let rs1 = r_hi(p);
            if rs1 == 0 {
                return None;
            }
            insn(Op::Jalr, 0, rs1, 0, 0)
        },
        compress: |i| {
            (i.op == Op::Jalr && i.rd == 0 && i.rs1 != 0 && i.imm == 0)
                .then(|| 0x8002 | r5(i.rs1, 7))
        },
    },
    Row {
        name: "c.mv",
        mask: 0xf003,
        value: 0x8002,
        spec: "16.5 Integer Register-Register Operations (CR): add rd, x0, rs2 (rs2!=0); rd=0 is a HINT",
        expand: |p| insn(Op::Add, r_hi(p), 0, r_lo(p), 0),
        // `mv rd,rs` (addi rd,rs,0) and `add rd,zero,rs`.
        compress: |i| match i.op {
            Op::Addi if i.imm == 0 && i.rd != 0 && i.rs1 != 0 => {
                Some(0x8002 | r5(i.rd, 7) | r5(i.rs1, 2))
            }
            Op::Add if i.rd != 0 && i.rs1 == 0 && i.rs2 != 0 => {
                Some(0x8002 | r5(i.rd, 7) | r5(i.rs2, 2))
            }
            _ => None,
        },
    },
    Row {
        name: "c.ebreak",
        mask: 0xffff,
        value: 0x9002,
        spec: "16.8 Breakpoint Instruction (CR): ebreak",
        expand: |_| insn(Op::Ebreak, 0, 0, 0, 0),
        compress: |i| (i.op == Op::Ebreak).then_some(0x9002),
    },
    Row {
        name: "c.jalr",
        mask: 0xf07f,
        value: 0x9002,
        spec: "16.4 Control Transfer Instructions (CR): jalr x1, 0(rs1) (rs1!=0)",
        expand: |p| insn(Op::Jalr, 1, r_hi(p), 0, 0),
        compress: |i| {
            (i.op == Op::Jalr && i.rd == 1 && i.rs1 != 0 && i.imm == 0)
                .then(|| 0x9002 | r5(i.rs1, 7))
        },
    },
    Row {
        name: "c.add",
        mask: 0xf003,
        value: 0x9002,
        spec: "16.5 Integer Register-Register Operations (CR): add rd, rd, rs2 (rs2!=0); rd=0 is a HINT",
        expand: |p| insn(Op::Add, r_hi(p), r_hi(p), r_lo(p), 0),
        compress: |i| {
            if i.op != Op::Add || i.rd == 0 {
                return None;
            }
            let other = if i.rs1 == i.rd {
                i.rs2
            } else if i.rs2 == i.rd {
                i.rs1
            } else {
                return None;
            };
            (other != 0).then(|| 0x9002 | r5(i.rd, 7) | r5(other, 2))
        },
    },
    Row {
        name: "c.swsp",
        mask: 0xe003,
        value: 0xc002,
        spec: "16.3 Stack-Pointer-Based Loads and Stores (CSS): sw rs2, offset(x2)",
        expand: |p| insn(Op::Sw, 0, 2, r_lo(p), swsp_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Sw && i.rs1 == 2 && uimm_fits(i.imm, 4, 256))
                .then(|| 0xc002 | swsp_bits(i.imm as u32) | r5(i.rs2, 2))
        },
    },
    Row {
        name: "c.sdsp",
        mask: 0xe003,
        value: 0xe002,
        spec: "16.3 Stack-Pointer-Based Loads and Stores (CSS): sd rs2, offset(x2) (RV64)",
        expand: |p| insn(Op::Sd, 0, 2, r_lo(p), sdsp_imm(p) as i32),
        compress: |i| {
            (i.op == Op::Sd && i.rs1 == 2 && uimm_fits(i.imm, 8, 512))
                .then(|| 0xe002 | sdsp_bits(i.imm as u32) | r5(i.rs2, 2))
        },
    },
];

fn branch_fits(v: i32) -> bool {
    (-256..256).contains(&v) && v % 2 == 0
}

/// The row a parcel belongs to (its reserved code points included), or
/// `None` for a parcel of no row (quadrant 0's funct3 100, the F/D forms,
/// quadrant 1's reserved CA code points) or a 32-bit instruction's first
/// parcel.
pub fn row(parcel: u16) -> Option<&'static Row> {
    if parcel & 3 == 3 {
        return None;
    }
    ROWS.iter().find(|r| parcel & r.mask == r.value)
}

/// The 32-bit base instruction a compressed parcel stands for (16.1: "Each
/// RVC instruction expands into a single 32-bit instruction"), or `None`
/// for an illegal or reserved parcel, or one that is not compressed.
pub fn expand(parcel: u16) -> Option<u32> {
    if parcel == 0 {
        // 16.6: "the all-zero 16-bit pattern is a defined illegal
        // instruction" (c.addi4spn with nzuimm=0).
        return None;
    }
    let insn = (row(parcel)?.expand)(parcel)?;
    Some(isa::encode(&insn))
}

/// An instruction as fetched, its first parcel in the low 16 bits, as the
/// base instruction it is and its length in bytes: a 32-bit instruction
/// (low bits `0b11`, unprivileged spec 1.5) is itself, 4 bytes; a
/// compressed parcel is its expansion ([`expand`]), 2 bytes, or `None` when
/// it is illegal or reserved (the illegal-instruction exception, with
/// `stval` the 16 bits: [`crate::trap::Trap::illegal_instruction`]).
///
/// The one place a hart expands compressed instructions: the reference
/// executor, the decode cache (and so the fast loop and the translator) and
/// the monitor's emulation all see the base instruction and its length
/// through it.
#[inline]
pub fn base(word: u32) -> Option<(u32, u64)> {
    if word & 3 == 3 {
        return Some((word, 4));
    }
    // Every parcel's expansion, computed once (0: none, no expansion is 0),
    // so that code running compressed instructions through the generic
    // path does not search the rows each time.
    static EXPANDED: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    let table = EXPANDED.get_or_init(|| (0..=u16::MAX).map(|p| expand(p).unwrap_or(0)).collect());
    match table.get(word as u16 as usize) {
        Some(&w) if w != 0 => Some((w, 2)),
        _ => None,
    }
}

/// The bits of the instruction fetched as `word` (its first parcel in the
/// low 16 bits): all 32 for a 32-bit instruction, the first 16 for a
/// compressed one. What the digest, the trace and `stval` record.
#[inline]
pub fn fetched_bits(word: u32) -> u32 {
    if word & 3 == 3 {
        word
    } else {
        word & 0xffff
    }
}

/// The compressed parcel GNU as writes for `word` with C enabled, as
/// objdump spells it, or `None` where it keeps the 32-bit word.
pub fn compress(word: u32) -> Option<u16> {
    let insn = isa::decode(word).ok()?;
    ROWS.iter().find_map(|r| (r.compress)(&insn))
}

/// Is the parcel a HINT (16.10, table 16.3): an instruction whose base
/// form writes `x0` or does nothing, reserved for microarchitectural
/// hints? (`c.nop` itself is no HINT.)
pub fn is_hint(parcel: u16) -> bool {
    let Some(r) = row(parcel) else {
        return false;
    };
    let (rd, imm, shamt) = (
        r_hi(parcel),
        ci_imm(parcel),
        bit(parcel, 12) << 5 | bits(parcel, 6, 2),
    );
    match r.name {
        "c.nop" => imm != 0,
        "c.addi" => imm == 0,
        "c.li" | "c.lui" | "c.mv" | "c.add" => rd == 0,
        "c.slli" => rd == 0 || shamt == 0,
        "c.srli" | "c.srai" => shamt == 0,
        _ => false,
    }
}

/// Does GNU as write this (non-HINT, legal) parcel's base instruction as
/// the parcel itself? All do but `c.addi16sp` by -32, -16 or 16, which the
/// `c.addi` row encodes first.
pub fn is_canonical(parcel: u16) -> bool {
    match row(parcel) {
        Some(r) if r.name == "c.addi16sp" => !fits6(addi16sp_imm(parcel)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_parcel_expands_and_compresses_back() {
        let (mut legal, mut hints, mut canonical) = (0, 0, 0);
        for p in 0..=u16::MAX {
            let Some(word) = expand(p) else {
                continue;
            };
            legal += 1;
            assert_eq!(word & 3, 3, "{p:#06x} expands to a 32-bit word");
            assert!(isa::decode(word).is_ok(), "{p:#06x} -> {word:#010x}");
            if is_hint(p) {
                hints += 1;
                continue;
            }
            let back = compress(word);
            if is_canonical(p) {
                canonical += 1;
                assert_eq!(back, Some(p), "{p:#06x} -> {word:#010x}");
            } else {
                // The other row means the same instruction.
                let q = back.unwrap_or_else(|| panic!("{p:#06x} is not compressed back"));
                assert_eq!(expand(q), Some(word), "{p:#06x} -> {q:#06x}");
            }
        }
        // What objdump -d disassembles as instructions in an rv64imac ELF,
        // but for 0x0000 and 0x6101 (c.addi16sp with nzimm=0, reserved).
        assert_eq!(legal, 38_551);
        assert!(hints > 0 && canonical > 30_000, "{hints} {canonical}");
    }

    #[test]
    fn base_is_the_expansion_with_its_length() {
        for p in 0..=u16::MAX {
            // Whatever the second parcel: a compressed one ignores it.
            let word = u32::from(p) | 0xabcd_0000;
            let want = if p & 3 == 3 {
                Some((word, 4))
            } else {
                expand(p).map(|w| (w, 2))
            };
            assert_eq!(base(word), want, "{p:#06x}");
        }
        assert_eq!(fetched_bits(0xabcd_4515), 0x4515);
        assert_eq!(fetched_bits(0x0000_0013), 0x0000_0013);
    }

    #[test]
    fn reserved_and_illegal_parcels_do_not_expand() {
        for p in [
            0x0000u16, // 16.6 defined illegal
            0x0010,    // c.addi4spn nzuimm=0 (rd'=a2)
            0x2000,    // c.fld: no D
            0x8000,    // quadrant 0, funct3 100
            0xa000,    // c.fsd
            0x2001,    // c.addiw rd=0
            0x6101,    // c.addi16sp 0
            0x6501,    // c.lui a0,0
            0x9c41,    // 100 1 11 10: reserved
            0x9c61,    // 100 1 11 11: reserved
            0x2002,    // c.fldsp
            0x4002,    // c.lwsp rd=0
            0x6002,    // c.ldsp rd=0
            0x8002,    // c.jr rs1=0
            0xa002,    // c.fsdsp
        ] {
            assert_eq!(expand(p), None, "{p:#06x}");
        }
        assert_eq!(expand(0x0003), None, "not a compressed parcel");
    }

    /// Known expansions, as `riscv64-unknown-elf-objdump -M no-aliases`
    /// names them (checked by hand).
    #[test]
    fn known_expansions() {
        let cases: &[(u16, Insn)] = &[
            (0x0001, Insn::new(Op::Addi, 0, 0, 0, 0)),        // c.nop
            (0x8082, Insn::new(Op::Jalr, 0, 1, 0, 0)),        // ret
            (0x852e, Insn::new(Op::Add, 10, 0, 11, 0)),       // c.mv a0,a1
            (0x4501, Insn::new(Op::Addi, 10, 0, 0, 0)),       // c.li a0,0
            (0x1141, Insn::new(Op::Addi, 2, 2, 0, -16)),      // c.addi sp,-16
            (0x7179, Insn::new(Op::Addi, 2, 2, 0, -48)),      // c.addi16sp sp,-48
            (0x0028, Insn::new(Op::Addi, 10, 2, 0, 8)),       // c.addi4spn a0,sp,8
            (0xe406, Insn::new(Op::Sd, 0, 2, 1, 8)),          // c.sdsp ra,8(sp)
            (0x60a2, Insn::new(Op::Ld, 1, 2, 0, 8)),          // c.ldsp ra,8(sp)
            (0x6505, Insn::new(Op::Lui, 10, 0, 0, 0x1000)),   // c.lui a0,0x1
            (0x7501, Insn::new(Op::Lui, 10, 0, 0, -0x20000)), // c.lui a0,0xfffe0
            (0x9002, Insn::new(Op::Ebreak, 0, 0, 0, 0)),      // c.ebreak
            (0x9502, Insn::new(Op::Jalr, 1, 10, 0, 0)),       // c.jalr a0
            (0xa001, Insn::new(Op::Jal, 0, 0, 0, 0)),         // c.j .
            (0xbffd, Insn::new(Op::Jal, 0, 0, 0, -2)),        // c.j .-2
            (0xc111, Insn::new(Op::Beq, 0, 10, 0, 4)),        // c.beqz a0,.+4
            (0xfd6d, Insn::new(Op::Bne, 0, 10, 0, -6)),       // c.bnez a0,.-6
            (0x8d0d, Insn::new(Op::Sub, 10, 10, 11, 0)),      // c.sub a0,a1
            (0x9d2d, Insn::new(Op::Addw, 10, 10, 11, 0)),     // c.addw a0,a1
            (0x2505, Insn::new(Op::Addiw, 10, 10, 0, 1)),     // c.addiw a0,1
            (0x8105, Insn::new(Op::Srli, 10, 10, 0, 1)),      // c.srli a0,1
            (0x057e, Insn::new(Op::Slli, 10, 10, 0, 31)),     // c.slli a0,31
            (0x1502, Insn::new(Op::Slli, 10, 10, 0, 32)),     // c.slli a0,32
            (0x4188, Insn::new(Op::Lw, 10, 11, 0, 0)),        // c.lw a0,0(a1)
            (0xc188, Insn::new(Op::Sw, 0, 11, 10, 0)),        // c.sw a0,0(a1)
        ];
        for &(p, insn) in cases {
            assert_eq!(expand(p), Some(isa::encode(&insn)), "{p:#06x}");
        }
    }

    #[test]
    fn gnu_as_choices_for_words_with_two_forms() {
        let w = |i: Insn| isa::encode(&i);
        // addi sp,sp,16: c.addi comes first.
        assert_eq!(compress(w(Insn::new(Op::Addi, 2, 2, 0, 16))), Some(0x0141));
        // add a0,a1,a0 is c.add a0,a1.
        assert_eq!(compress(w(Insn::new(Op::Add, 10, 11, 10, 0))), Some(0x952e));
        // and a0,a1,a0 is c.and a0,a1; sub a0,a1,a0 stays.
        assert_eq!(compress(w(Insn::new(Op::And, 10, 11, 10, 0))), Some(0x8d6d));
        assert_eq!(compress(w(Insn::new(Op::Sub, 10, 11, 10, 0))), None);
        // No HINTs: addi a0,a0,0 is c.mv a0,a0; li zero,1 stays.
        assert_eq!(compress(w(Insn::new(Op::Addi, 10, 10, 0, 0))), Some(0x852a));
        assert_eq!(compress(w(Insn::new(Op::Addi, 0, 0, 0, 1))), None);
        // jal ra stays (c.jal is RV32 only); out-of-range branches stay.
        assert_eq!(compress(w(Insn::new(Op::Jal, 1, 0, 0, 16))), None);
        assert_eq!(compress(w(Insn::new(Op::Beq, 0, 10, 0, 256))), None);
        assert_eq!(
            compress(w(Insn::new(Op::Beq, 0, 10, 0, -256))),
            Some(0xd101)
        );
    }

    proptest! {
        /// Whatever compress picks means what the word means.
        #[test]
        fn compress_preserves_meaning(word in any::<u32>()) {
            let word = word | 3;
            if let Some(p) = compress(word) {
                let back = expand(p).expect("compress picks legal parcels");
                prop_assert!(!is_hint(p));
                let (a, b) = (isa::decode(word).unwrap(), isa::decode(back).unwrap());
                // c.mv and c.add may commute or rename the operands of a
                // commutative add/and/or/xor/addw, or write mv as add.
                prop_assert!(a == b || same_effect(a, b), "{word:#010x} -> {p:#06x} -> {back:#010x}");
            }
        }

        #[test]
        fn expand_never_panics_and_is_32_bit(p in any::<u16>()) {
            if let Some(w) = expand(p) {
                prop_assert_eq!(w & 3, 3);
            }
        }
    }

    fn same_effect(a: Insn, b: Insn) -> bool {
        let commutes = matches!(a.op, Op::Add | Op::And | Op::Or | Op::Xor | Op::Addw);
        let mv = |i: Insn| match i.op {
            Op::Addi if i.imm == 0 => Some((i.rd, i.rs1)),
            Op::Add if i.rs1 == 0 => Some((i.rd, i.rs2)),
            Op::Add if i.rs2 == 0 => Some((i.rd, i.rs1)),
            _ => None,
        };
        (a.op == b.op && commutes && a.rd == b.rd && a.rs1 == b.rs2 && a.rs2 == b.rs1)
            || (mv(a).is_some() && mv(a) == mv(b))
    }
}
