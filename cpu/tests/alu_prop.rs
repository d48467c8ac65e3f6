//! Every register-register and register-immediate operation against a plain
//! reference model, on random operands (and on the edge values that matter:
//! 0, -1, MIN, MAX, shift amounts ≥ 32), through both the fast path and the
//! generic executor.
mod common;
use common::*;
use cpu::isa::{Format, Op, TABLE};
use proptest::prelude::*;

/// The unprivileged spec's definitions, written as plainly as possible.
#[allow(clippy::manual_checked_ops)] // plain on purpose: it is the model
fn model(op: Op, a: u64, b: u64) -> u64 {
    let sa = a as i64;
    let sb = b as i64;
    let w = |v: i64| v as i32 as i64 as u64; // sign-extend the low 32 bits
    let a32 = a as u32;
    let b32 = b as u32;
    match op {
        Op::Add | Op::Addi => (sa as i128 + sb as i128) as u64,
        Op::Sub => (sa as i128 - sb as i128) as u64,
        Op::Sll | Op::Slli => a << (b % 64),
        Op::Srl | Op::Srli => a >> (b % 64),
        Op::Sra | Op::Srai => (sa >> (b % 64)) as u64,
        Op::Slt | Op::Slti => u64::from(sa < sb),
        Op::Sltu | Op::Sltiu => u64::from(a < b),
        Op::Xor | Op::Xori => a ^ b,
        Op::Or | Op::Ori => a | b,
        Op::And | Op::Andi => a & b,
        Op::Addw | Op::Addiw => w((a32 as i64) + (b32 as i64)),
        Op::Subw => w((a32 as i64) - (b32 as i64)),
        Op::Sllw | Op::Slliw => w(((a32 as u64) << (b % 32)) as i64),
        Op::Srlw | Op::Srliw => w((a32 >> (b % 32)) as i64),
        Op::Sraw | Op::Sraiw => w(((a32 as i32) >> (b % 32)) as i64),
        Op::Mul => (a as u128 * b as u128) as u64,
        Op::Mulh => ((sa as i128 * sb as i128) >> 64) as u64,
        Op::Mulhsu => ((sa as i128 * b as i128) >> 64) as u64,
        Op::Mulhu => ((a as u128 * b as u128) >> 64) as u64,
        Op::Div => match (sa, sb) {
            (_, 0) => u64::MAX,
            (i64::MIN, -1) => i64::MIN as u64,
            _ => (sa / sb) as u64,
        },
        Op::Divu => {
            if b == 0 {
                u64::MAX
            } else {
                a / b
            }
        }
        Op::Rem => match (sa, sb) {
            (_, 0) => a,
            (i64::MIN, -1) => 0,
            _ => (sa % sb) as u64,
        },
        Op::Remu => {
            if b == 0 {
                a
            } else {
                a % b
            }
        }
        Op::Mulw => w((a32 as i64).wrapping_mul(b32 as i64)),
        Op::Divw => match (a32 as i32, b32 as i32) {
            (_, 0) => u64::MAX,
            (i32::MIN, -1) => w(i32::MIN as i64),
            (x, y) => w((x / y) as i64),
        },
        Op::Divuw => {
            if b32 == 0 {
                u64::MAX
            } else {
                w((a32 / b32) as i64)
            }
        }
        Op::Remw => match (a32 as i32, b32 as i32) {
            (x, 0) => w(x as i64),
            (i32::MIN, -1) => 0,
            (x, y) => w((x % y) as i64),
        },
        Op::Remuw => {
            if b32 == 0 {
                w(a32 as i64)
            } else {
                w((a32 % b32) as i64)
            }
        }
        _ => unreachable!("{op:?}"),
    }
}

fn alu_ops() -> Vec<Op> {
    TABLE
        .iter()
        .filter(|s| {
            matches!(
                s.format,
                Format::R | Format::I | Format::Shift64 | Format::Shift32
            ) && !matches!(s.ext, cpu::isa::Ext::A)
        })
        .map(|s| s.op)
        .collect()
}

fn operand() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        Just(0u64),
        Just(u64::MAX),
        Just(i64::MIN as u64),
        Just(i64::MAX as u64),
        Just(0x8000_0000u64),
        Just(0xffff_ffff_8000_0000u64),
        0u64..70,
    ]
}

/// Runs `op x7, x5, x6` (or `op x7, x5, imm`) and returns x7.
fn run_op(op: Op, a: u64, b: u64, imm: i32, reference: bool) -> u64 {
    let mut p = Asm::new();
    p.li(5, a).li(6, b);
    match op.format() {
        Format::R => p.r(op, 7, 5, 6),
        _ => p.i(op, 7, 5, imm),
    };
    p.sys(Op::Ecall);
    let mut h = hart_with(&p);
    h.set_reference_mode(reference);
    assert_eq!(run_to_exit(&mut h), HALT);
    h.arch.x[7]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn alu_matches_the_model(
        i in 0usize..1000, a in operand(), b in operand(), imm in any::<i32>(), reference in any::<bool>()
    ) {
        let ops = alu_ops();
        let op = ops[i % ops.len()];
        let (b, imm) = match op.format() {
            Format::R => (b, 0),
            Format::Shift64 => ((imm & 63) as u64, imm & 63),
            Format::Shift32 => ((imm & 31) as u64, imm & 31),
            _ => {
                let imm = (imm << 20) >> 20; // 12-bit signed
                (imm as i64 as u64, imm)
            }
        };
        prop_assert_eq!(run_op(op, a, b, imm, reference), model(op, a, b), "{:?} {:#x} {:#x}", op, a, b);
    }
}

#[test]
fn w_shifts_use_five_bits_and_sign_extend() {
    // sllw by 33 shifts by 1; srlw of a negative word is zero-extended
    // before the shift and the result sign-extended.
    assert_eq!(
        run_op(Op::Sllw, 0x4000_0000, 33, 0, false),
        0xffff_ffff_8000_0000
    );
    assert_eq!(
        run_op(Op::Srlw, 0xffff_ffff_8000_0000, 32, 0, false),
        0xffff_ffff_8000_0000
    );
    assert_eq!(
        run_op(Op::Srlw, 0xffff_ffff_8000_0000, 1, 0, false),
        0x4000_0000
    );
    assert_eq!(
        run_op(Op::Sraw, 0x8000_0000, 4, 0, false),
        0xffff_ffff_f800_0000
    );
    assert_eq!(run_op(Op::Mulh, -3i64 as u64, 5, 0, false), u64::MAX);
    assert_eq!(
        run_op(Op::Mulhsu, -1i64 as u64, u64::MAX, 0, false),
        u64::MAX
    );
    assert_eq!(
        run_op(Op::Div, i64::MIN as u64, u64::MAX, 0, false),
        i64::MIN as u64
    );
    assert_eq!(run_op(Op::Divu, 5, 0, 0, false), u64::MAX);
    assert_eq!(run_op(Op::Rem, 5, 0, 0, false), 5);
}
