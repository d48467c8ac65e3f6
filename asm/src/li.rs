//! `li rd, imm`: how GNU as materialises a 64-bit constant.
//!
//! A 12-bit value is one `addi rd, zero, imm` (riscv-opc.c's `li d,j`
//! alias). Anything else goes through binutils' `load_const` (tc-riscv.c):
//! a value that is a sign-extended 32-bit number is `lui` and/or `addiw`;
//! a wider one is split into a sign-extended low 12 bits and an upper part,
//! the upper part is shifted right past its trailing zeros, built
//! recursively, then `slli` back and `addi` of the low part. The bytes must
//! match GNU as exactly, so the algorithm is kept literally.

use cpu::isa::{Insn, Op};

/// Appends the instructions GNU as emits for `li rd, value`.
pub fn li(rd: u8, value: i64, out: &mut Vec<Insn>) {
    if (-2048..2048).contains(&value) {
        out.push(Insn::new(Op::Addi, rd, 0, 0, value as i32));
    } else {
        load_const(rd, value, out);
    }
}

fn sext12(v: i64) -> i64 {
    ((v & 0xfff) ^ 0x800) - 0x800
}

fn load_const(rd: u8, value: i64, out: &mut Vec<Insn>) {
    let lower = sext12(value);
    let upper = value.wrapping_sub(lower);
    if value != value as i32 as i64 {
        // Reduce to a sign-extended 32-bit constant with SLLI and ADDI.
        let mut shift = 12;
        while shift < 63 && (upper >> shift) & 1 == 0 {
            shift += 1;
        }
        load_const(rd, upper >> shift, out);
        out.push(Insn::new(Op::Slli, rd, rd, 0, shift));
        if lower != 0 {
            out.push(Insn::new(Op::Addi, rd, rd, 0, lower as i32));
        }
    } else {
        let mut hi_reg = 0;
        if upper != 0 {
            // `lui` takes the upper 20 bits of the 32-bit value.
            out.push(Insn::new(
                Op::Lui,
                rd,
                0,
                0,
                (upper as u32 & 0xffff_f000) as i32,
            ));
            hi_reg = rd;
        }
        if lower != 0 || hi_reg == 0 {
            out.push(Insn::new(Op::Addiw, rd, hi_reg, 0, lower as i32));
        }
    }
}

/// How many instructions `li` of `value` takes.
#[cfg(test)]
pub fn li_len(value: i64) -> usize {
    let mut v = Vec::new();
    li(1, value, &mut v);
    v.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu::isa::encode;

    fn words(value: i64) -> Vec<u32> {
        let mut v = Vec::new();
        li(10, value, &mut v);
        v.iter().map(encode).collect()
    }

    /// Expected words from GNU as 2.40 (`li a0, VALUE`).
    #[test]
    fn matches_gnu_as() {
        let cases: &[(i64, &[u32])] = &[
            (5, &[0x00500513]),
            (-1, &[0xfff00513]),
            (0x12345, &[0x00012537, 0x3455051b]),
            (0x7ffff800, &[0x80000537, 0x8005051b]),
            (0x8000_0000, &[0x0010051b, 0x01f51513]),
            (0xffff_ffff, &[0x0010051b, 0x02051513, 0xfff50513]),
            (
                0x1234_5678_9abc_def0,
                &[
                    0x00247537, 0x8ad5051b, 0x00e51513, 0xc4d50513, 0x00c51513, 0x5e750513,
                    0x00d51513, 0xef050513,
                ],
            ),
            (-0x8000_0000, &[0x80000537]),
            (0x1_0000_0000, &[0x0010051b, 0x02051513]),
            (0x7fff_ffff, &[0x80000537, 0xfff5051b]),
            (0xffff_f800, &[0x0010051b, 0x02051513, 0x80050513]),
        ];
        for &(value, expected) in cases {
            assert_eq!(words(value), expected, "li a0, {value:#x}");
            assert_eq!(li_len(value), expected.len());
        }
    }
}
