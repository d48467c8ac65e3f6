//! Mnemonic lookup: every instruction of [`cpu::isa::TABLE`] (with the
//! `.aq`/`.rl`/`.aqrl` spellings of AMOs and LR/SC), and the
//! pseudo-instructions GNU as knows for RV64IMA/Zicsr/Zifencei.

use std::sync::OnceLock;

use cpu::isa::{Format, Op, TABLE};

use crate::fast::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    Nop,
    Li,
    La,
    Lla,
    Mv,
    Not,
    Neg,
    Negw,
    SextW,
    SextB,
    SextH,
    ZextB,
    ZextH,
    ZextW,
    Seqz,
    Snez,
    Sltz,
    Sgtz,
    Sgt,
    Sgtu,
    Beqz,
    Bnez,
    Blez,
    Bgez,
    Bltz,
    Bgtz,
    Bgt,
    Ble,
    Bgtu,
    Bleu,
    J,
    Jr,
    Ret,
    Call,
    Tail,
    Jump,
    Csrr,
    Csrw,
    Csrs,
    Csrc,
    Csrwi,
    Csrsi,
    Csrci,
    Rdcycle,
    Rdtime,
    Rdinstret,
    FenceTso,
    Unimp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mnemonic {
    /// A row of the instruction table; `aqrl` is the ordering suffix
    /// (bit 1 = aq, bit 0 = rl).
    Real {
        op: Op,
        aqrl: u8,
    },
    Pseudo(Pseudo),
}

const PSEUDOS: &[(&str, Pseudo)] = &[
    ("nop", Pseudo::Nop),
    ("li", Pseudo::Li),
    ("la", Pseudo::La),
    ("lla", Pseudo::Lla),
    ("mv", Pseudo::Mv),
    ("not", Pseudo::Not),
    ("neg", Pseudo::Neg),
    ("negw", Pseudo::Negw),
    ("sext.w", Pseudo::SextW),
    ("sext.b", Pseudo::SextB),
    ("sext.h", Pseudo::SextH),
    ("zext.b", Pseudo::ZextB),
    ("zext.h", Pseudo::ZextH),
    ("zext.w", Pseudo::ZextW),
    ("seqz", Pseudo::Seqz),
    ("snez", Pseudo::Snez),
    ("sltz", Pseudo::Sltz),
    ("sgtz", Pseudo::Sgtz),
    ("sgt", Pseudo::Sgt),
    ("sgtu", Pseudo::Sgtu),
    ("beqz", Pseudo::Beqz),
    ("bnez", Pseudo::Bnez),
    ("blez", Pseudo::Blez),
    ("bgez", Pseudo::Bgez),
    ("bltz", Pseudo::Bltz),
    ("bgtz", Pseudo::Bgtz),
    ("bgt", Pseudo::Bgt),
    ("ble", Pseudo::Ble),
    ("bgtu", Pseudo::Bgtu),
    ("bleu", Pseudo::Bleu),
    ("j", Pseudo::J),
    ("jr", Pseudo::Jr),
    ("ret", Pseudo::Ret),
    ("call", Pseudo::Call),
    ("tail", Pseudo::Tail),
    ("jump", Pseudo::Jump),
    ("csrr", Pseudo::Csrr),
    ("csrw", Pseudo::Csrw),
    ("csrs", Pseudo::Csrs),
    ("csrc", Pseudo::Csrc),
    ("csrwi", Pseudo::Csrwi),
    ("csrsi", Pseudo::Csrsi),
    ("csrci", Pseudo::Csrci),
    ("rdcycle", Pseudo::Rdcycle),
    ("rdtime", Pseudo::Rdtime),
    ("rdinstret", Pseudo::Rdinstret),
    ("fence.tso", Pseudo::FenceTso),
    ("unimp", Pseudo::Unimp),
];

fn table() -> &'static FxHashMap<&'static str, Mnemonic> {
    static MAP: OnceLock<FxHashMap<&'static str, Mnemonic>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = FxHashMap::default();
        for spec in TABLE {
            m.insert(
                spec.name,
                Mnemonic::Real {
                    op: spec.op,
                    aqrl: 0,
                },
            );
            if matches!(spec.format, Format::Amo | Format::Lr) {
                for (suffix, aqrl) in [(".aq", 2u8), (".rl", 1), (".aqrl", 3)] {
                    let name: &'static str =
                        Box::leak(format!("{}{suffix}", spec.name).into_boxed_str());
                    m.insert(name, Mnemonic::Real { op: spec.op, aqrl });
                }
            }
        }
        // Old names GNU as still accepts.
        m.insert(
            "scall",
            Mnemonic::Real {
                op: Op::Ecall,
                aqrl: 0,
            },
        );
        m.insert(
            "sbreak",
            Mnemonic::Real {
                op: Op::Ebreak,
                aqrl: 0,
            },
        );
        for &(name, p) in PSEUDOS {
            m.insert(name, Mnemonic::Pseudo(p));
        }
        m
    })
}

/// Looks a mnemonic up (case-insensitively, as GNU as does).
pub fn lookup(name: &str) -> Option<Mnemonic> {
    match table().get(name) {
        Some(m) => Some(*m),
        None if name.bytes().any(|c| c.is_ascii_uppercase()) => {
            table().get(name.to_ascii_lowercase().as_str()).copied()
        }
        None => None,
    }
}

/// The machine the assembler targets, as messages name it. Compressed
/// instructions are not implemented yet: when they are, this becomes
/// `"RV64IMAC"` and the `c.` line of [`extension_of`] goes.
pub const MACHINE_ISA: &str = "RV64IMA";

/// Floating-point operations (F, D, Q, Zfh; Zfa's too), by the name
/// before the first `.`.
const FLOAT_BASES: &[&str] = &[
    "fadd", "fsub", "fmul", "fdiv", "fsqrt", "fmin", "fmax", "fmadd", "fmsub", "fnmadd", "fnmsub",
    "fsgnj", "fsgnjn", "fsgnjx", "fcvt", "fmv", "feq", "flt", "fle", "fgt", "fge", "fclass",
    "fneg", "fabs", "fli", "fminm", "fmaxm", "fround", "froundnx", "fcvtmod", "fleq", "fltq",
];

/// Instructions of other extensions, with the extension they need.
const OTHER: &[(&[&str], &str)] = &[
    (
        &[
            "andn",
            "orn",
            "xnor",
            "clz",
            "clzw",
            "ctz",
            "ctzw",
            "cpop",
            "cpopw",
            "max",
            "maxu",
            "min",
            "minu",
            "rol",
            "rolw",
            "ror",
            "rori",
            "roriw",
            "rorw",
            "orc.b",
            "rev8",
            "sh1add",
            "sh2add",
            "sh3add",
            "sh1add.uw",
            "sh2add.uw",
            "sh3add.uw",
            "add.uw",
            "slli.uw",
            "bclr",
            "bclri",
            "bext",
            "bexti",
            "binv",
            "binvi",
            "bset",
            "bseti",
            "clmul",
            "clmulh",
            "clmulr",
            "brev8",
            "zip",
            "unzip",
            "pack",
            "packh",
            "packw",
            "xperm4",
            "xperm8",
        ],
        "B (bit manipulation: Zba, Zbb, Zbc, Zbs, Zbk*)",
    ),
    (&["czero.eqz", "czero.nez"], "Zicond (conditional zero)"),
    (
        &[
            "cbo.clean",
            "cbo.flush",
            "cbo.inval",
            "cbo.zero",
            "prefetch.i",
            "prefetch.r",
            "prefetch.w",
        ],
        "Zicbom/Zicboz/Zicbop (cache-block operations)",
    ),
    (&["pause"], "Zihintpause"),
    (&["wrs.nto", "wrs.sto"], "Zawrs"),
    (
        &["amocas.w", "amocas.d", "amocas.q"],
        "Zacas (atomic compare-and-swap)",
    ),
    (
        &["sinval.vma", "sfence.w.inval", "sfence.inval.ir"],
        "Svinval",
    ),
    (&["hfence.vvma", "hfence.gvma"], "H (hypervisor)"),
    (
        &[
            "frcsr", "fscsr", "frrm", "fsrm", "frflags", "fsflags", "fsrmi", "fsflagsi",
        ],
        "F (single-precision floating point)",
    ),
    (&["flw", "fsw"], "F (single-precision floating point)"),
    (&["fld", "fsd"], "D (double-precision floating point)"),
    (&["flq", "fsq"], "Q (quad-precision floating point)"),
    (&["flh", "fsh"], "Zfh (half-precision floating point)"),
];

/// The extension an instruction that this machine lacks belongs to (by
/// its lowercase name), for the message a student sees: `fadd.s` is F,
/// `c.addi` is C, `vadd.vv` is V, `andn` is B.
pub fn extension_of(name: &str) -> Option<&'static str> {
    // Compressed instructions: gone from here once the machine has C.
    if name.starts_with("c.") {
        return Some("C (compressed instructions)");
    }
    if let Some((_, ext)) = OTHER.iter().find(|(names, _)| names.contains(&name)) {
        return Some(ext);
    }
    let mut parts = name.split('.');
    let base = parts.next().unwrap_or("");
    if FLOAT_BASES.contains(&base) && name.contains('.') {
        let types: Vec<&str> = parts.collect();
        return Some(if types.contains(&"q") {
            "Q (quad-precision floating point)"
        } else if types.contains(&"d") {
            "D (double-precision floating point)"
        } else if types.contains(&"h") {
            "Zfh (half-precision floating point)"
        } else {
            "F (single-precision floating point)"
        });
    }
    if base.starts_with("hlv") || base.starts_with("hsv") {
        return Some("H (hypervisor)");
    }
    let vector_suffix = name.split('.').skip(1).any(|p| {
        matches!(
            p,
            "v" | "vv"
                | "vx"
                | "vi"
                | "vf"
                | "vs"
                | "vm"
                | "vvm"
                | "vxm"
                | "vim"
                | "vfm"
                | "wv"
                | "wx"
                | "wi"
                | "wf"
                | "mm"
        )
    });
    if name.starts_with('v') && (name.starts_with("vset") || vector_suffix) {
        return Some("V (vector)");
    }
    None
}

/// The immediate form of a register-register operation, which GNU as
/// accepts under the register form's name (`add a0, a0, 1` is `addi`).
pub fn immediate_form(op: Op) -> Option<Op> {
    Some(match op {
        Op::Add => Op::Addi,
        Op::And => Op::Andi,
        Op::Or => Op::Ori,
        Op::Xor => Op::Xori,
        Op::Slt => Op::Slti,
        Op::Sltu => Op::Sltiu,
        Op::Sll => Op::Slli,
        Op::Srl => Op::Srli,
        Op::Sra => Op::Srai,
        Op::Addw => Op::Addiw,
        Op::Sllw => Op::Slliw,
        Op::Srlw => Op::Srliw,
        Op::Sraw => Op::Sraiw,
        Op::Csrrw => Op::Csrrwi,
        Op::Csrrs => Op::Csrrsi,
        Op::Csrrc => Op::Csrrci,
        _ => return None,
    })
}

/// How a format's operands are written, for error messages.
pub fn operand_syntax(format: Format) -> &'static str {
    match format {
        Format::R => "rd, rs1, rs2",
        Format::I => "rd, rs1, imm",
        Format::Load => "rd, offset(rs1)",
        Format::Jalr => "rd, offset(rs1)",
        Format::S => "rs2, offset(rs1)",
        Format::B => "rs1, rs2, target",
        Format::U => "rd, imm20",
        Format::J => "rd, target",
        Format::Shift64 | Format::Shift32 => "rd, rs1, shamt",
        Format::Csr => "rd, csr, rs1",
        Format::CsrI => "rd, csr, uimm5",
        Format::Amo => "rd, rs2, (rs1)",
        Format::Lr => "rd, (rs1)",
        Format::Fence => "pred, succ",
        Format::None => "no operands",
        Format::SfenceVma => "rs1, rs2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_and_suffix_is_found() {
        for spec in TABLE {
            assert_eq!(
                lookup(spec.name),
                Some(Mnemonic::Real {
                    op: spec.op,
                    aqrl: 0
                })
            );
        }
        assert_eq!(
            lookup("amoswap.d.aqrl"),
            Some(Mnemonic::Real {
                op: Op::AmoswapD,
                aqrl: 3
            })
        );
        assert_eq!(
            lookup("LR.W.AQ"),
            Some(Mnemonic::Real {
                op: Op::LrW,
                aqrl: 2
            })
        );
        assert_eq!(lookup("add.aq"), None);
    }

    #[test]
    fn other_extensions_are_named() {
        let cases = [
            ("fadd.s", "F"),
            ("fcvt.d.w", "D"),
            ("fmadd.q", "Q"),
            ("fmv.x.h", "Zfh"),
            ("flw", "F"),
            ("fsd", "D"),
            ("frcsr", "F"),
            ("c.addi", "C"),
            ("c.j", "C"),
            ("vadd.vv", "V"),
            ("vsetvli", "V"),
            ("vle32.v", "V"),
            ("andn", "B"),
            ("sh1add.uw", "B"),
            ("czero.eqz", "Zicond"),
            ("hlv.w", "H"),
        ];
        for (name, ext) in cases {
            let got = extension_of(name).unwrap_or("none");
            assert!(got.starts_with(ext), "{name}: {got}");
            assert!(lookup(name).is_none(), "{name} is in the table");
        }
        for name in ["addx", "foo", "v", "fence.x", "valid"] {
            assert_eq!(extension_of(name), None, "{name}");
        }
        assert_eq!(lookup("ret"), Some(Mnemonic::Pseudo(Pseudo::Ret)));
    }
}
