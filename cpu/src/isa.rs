//! The instruction table: every instruction trapvisor knows, defined once.
//!
//! Each row names an instruction's mnemonic, its operand format, and the
//! `mask`/`match` pair that recognises its encoding (as in Spike's
//! `encoding.h` and binutils' `riscv-opc.c`). The decoder ([`decode`]), the
//! encoder ([`encode`], used by the assembler), the disassembler and the
//! assembler's mnemonic lookup ([`Op::from_mnemonic`]) all read this table;
//! only the executor is written by hand.
//!
//! Covered: RV64I, M, A (with `.aq`/`.rl`), Zicsr, Zifencei and the
//! privileged instructions `sret`, `mret`, `wfi`, `sfence.vma` (unprivileged
//! spec 20191213, privileged spec 20211203). Instructions are 32 bits wide
//! today; [`Insn::len`] and [`parcel_len`] leave room for the 16-bit parcels
//! of the C extension.

use std::fmt;
use std::sync::OnceLock;

/// A fence of everything, as the instruction with no operands does it (a
/// hart's cached copies of memory that the two fences drop; the SBI's
/// remote fences ask a hart for one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// `fence.i`: instruction fetches see earlier stores.
    FenceI,
    /// `sfence.vma`: cached address translations go.
    SfenceVma,
}

/// How an instruction's operands are laid out in its encoding and written in
/// assembly. One variant per operand shape, shared by decode, encode,
/// disassembly and assembly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `rd, rs1, rs2`
    R,
    /// `rd, rs1, imm12` (sign-extended 12-bit immediate)
    I,
    /// `rd, imm12(rs1)`: loads
    Load,
    /// `rd, imm12(rs1)`: `jalr`
    Jalr,
    /// `rs2, imm12(rs1)`: stores
    S,
    /// `rs1, rs2, offset`: conditional branches (13-bit even offset)
    B,
    /// `rd, imm20`: `lui`/`auipc` (`imm` holds the value already shifted left by 12)
    U,
    /// `rd, offset`: `jal` (21-bit even offset)
    J,
    /// `rd, rs1, shamt6`: RV64 shifts by an immediate
    Shift64,
    /// `rd, rs1, shamt5`: 32-bit (`W`) shifts by an immediate
    Shift32,
    /// `rd, csr, rs1`
    Csr,
    /// `rd, csr, uimm5` (`uimm5` is held in `rs1`)
    CsrI,
    /// `rd, rs2, (rs1)` with `aq`/`rl` held in `imm` (bit 1 = aq, bit 0 = rl)
    Amo,
    /// `rd, (rs1)` with `aq`/`rl` held in `imm`: `lr.w`/`lr.d`
    Lr,
    /// `pred, succ` held in `imm` as `fm << 8 | pred << 4 | succ`
    Fence,
    /// No operands: `ecall`, `ebreak`, `sret`, `mret`, `wfi`, `fence.i`
    None,
    /// `rs1, rs2`: `sfence.vma`
    SfenceVma,
}

/// The ISA extension an instruction belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ext {
    I,
    M,
    A,
    Zicsr,
    Zifencei,
    Priv,
}

/// One row of the instruction table.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub op: Op,
    /// The mnemonic as GNU as and objdump spell it.
    pub name: &'static str,
    pub format: Format,
    /// Bits that identify the instruction ...
    pub mask: u32,
    /// ... and the value they must have.
    pub matches: u32,
    pub ext: Ext,
    /// How it runs.
    pub kind: Kind,
}

/// How an instruction runs: what the executors (the reference executor,
/// the fast loop, the translator) and the monitor share about it, so that
/// each is derived from the table rather than listing instructions again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `rd = alu(op, x[rs1], x[rs2])` for format R, `alu(op, x[rs1],
    /// imm)` otherwise (`exec::alu` holds the operations).
    Alu,
    /// `rd = imm`.
    Lui,
    /// `rd = pc + imm`.
    Auipc,
    /// `rd = pc + 4`, jump to `pc + imm`.
    Jal,
    /// `rd = pc + 4`, jump to `(x[rs1] + imm) & !1`.
    Jalr,
    /// Jump to `pc + imm` if `exec::taken(op, x[rs1], x[rs2])`.
    Branch,
    /// `rd` = the `size` bytes at `x[rs1] + imm`, sign- or zero-extended.
    Load { size: u8, signed: bool },
    /// The low `size` bytes of `x[rs2]` to `x[rs1] + imm`.
    Store { size: u8 },
    /// Memory ordering: nothing to do on one in-order hart.
    Fence,
    /// `fence.i`: decoded instructions may be stale.
    FenceI,
    /// LR/SC and AMOs (the A extension).
    Atomic,
    /// Zicsr.
    Csr,
    /// `ecall`, `ebreak` and the privileged instructions.
    System,
}

impl Kind {
    /// The width and signedness of a load, or the width of a store.
    pub fn memory(self) -> Option<(u8, bool)> {
        match self {
            Kind::Load { size, signed } => Some((size, signed)),
            Kind::Store { size } => Some((size, false)),
            _ => None,
        }
    }
}

/// Every instruction, one row each: `Op "mnemonic" Format Ext mask match
/// Kind`. Whoever needs the whole table invokes `isa_rows!(their_macro)`,
/// which calls `their_macro! { rows }`: the table here ([`TABLE`], [`Op`]),
/// the decode cache's operations (`XOp`, one per row plus the refinements
/// it adds) and the fast loop's dispatch are all made from these rows.
///
/// To add an instruction: add its row here (its encoding, and the [`Kind`]
/// saying how it runs), its semantics (`exec.rs`: for an [`Kind::Alu`] row
/// one arm of `alu`, for a [`Kind::Branch`] row one of `taken`; loads and
/// stores need nothing beyond the row),
/// and its translation to host code (`jit/translate.rs`, or it stops
/// translated code and the fast loop takes over). The book's appendix
/// "Adding an instruction" walks through it.
macro_rules! isa_rows {
    ($cb:ident $($pre:tt)*) => {
        $cb! {
            $($pre)*
            // RV64I: upper immediates and jumps
            Lui     "lui"     U       I 0x0000_007f 0x0000_0037 Lui;
            Auipc   "auipc"   U       I 0x0000_007f 0x0000_0017 Auipc;
            Jal     "jal"     J       I 0x0000_007f 0x0000_006f Jal;
            Jalr    "jalr"    Jalr    I 0x0000_707f 0x0000_0067 Jalr;
            // branches
            Beq     "beq"     B       I 0x0000_707f 0x0000_0063 Branch;
            Bne     "bne"     B       I 0x0000_707f 0x0000_1063 Branch;
            Blt     "blt"     B       I 0x0000_707f 0x0000_4063 Branch;
            Bge     "bge"     B       I 0x0000_707f 0x0000_5063 Branch;
            Bltu    "bltu"    B       I 0x0000_707f 0x0000_6063 Branch;
            Bgeu    "bgeu"    B       I 0x0000_707f 0x0000_7063 Branch;
            // loads and stores
            Lb      "lb"      Load    I 0x0000_707f 0x0000_0003 Load(1, true);
            Lh      "lh"      Load    I 0x0000_707f 0x0000_1003 Load(2, true);
            Lw      "lw"      Load    I 0x0000_707f 0x0000_2003 Load(4, true);
            Ld      "ld"      Load    I 0x0000_707f 0x0000_3003 Load(8, true);
            Lbu     "lbu"     Load    I 0x0000_707f 0x0000_4003 Load(1, false);
            Lhu     "lhu"     Load    I 0x0000_707f 0x0000_5003 Load(2, false);
            Lwu     "lwu"     Load    I 0x0000_707f 0x0000_6003 Load(4, false);
            Sb      "sb"      S       I 0x0000_707f 0x0000_0023 Store(1);
            Sh      "sh"      S       I 0x0000_707f 0x0000_1023 Store(2);
            Sw      "sw"      S       I 0x0000_707f 0x0000_2023 Store(4);
            Sd      "sd"      S       I 0x0000_707f 0x0000_3023 Store(8);
            // register-immediate
            Addi    "addi"    I       I 0x0000_707f 0x0000_0013 Alu;
            Slti    "slti"    I       I 0x0000_707f 0x0000_2013 Alu;
            Sltiu   "sltiu"   I       I 0x0000_707f 0x0000_3013 Alu;
            Xori    "xori"    I       I 0x0000_707f 0x0000_4013 Alu;
            Ori     "ori"     I       I 0x0000_707f 0x0000_6013 Alu;
            Andi    "andi"    I       I 0x0000_707f 0x0000_7013 Alu;
            Slli    "slli"    Shift64 I 0xfc00_707f 0x0000_1013 Alu;
            Srli    "srli"    Shift64 I 0xfc00_707f 0x0000_5013 Alu;
            Srai    "srai"    Shift64 I 0xfc00_707f 0x4000_5013 Alu;
            // register-register
            Add     "add"     R       I 0xfe00_707f 0x0000_0033 Alu;
            Sub     "sub"     R       I 0xfe00_707f 0x4000_0033 Alu;
            Sll     "sll"     R       I 0xfe00_707f 0x0000_1033 Alu;
            Slt     "slt"     R       I 0xfe00_707f 0x0000_2033 Alu;
            Sltu    "sltu"    R       I 0xfe00_707f 0x0000_3033 Alu;
            Xor     "xor"     R       I 0xfe00_707f 0x0000_4033 Alu;
            Srl     "srl"     R       I 0xfe00_707f 0x0000_5033 Alu;
            Sra     "sra"     R       I 0xfe00_707f 0x4000_5033 Alu;
            Or      "or"      R       I 0xfe00_707f 0x0000_6033 Alu;
            And     "and"     R       I 0xfe00_707f 0x0000_7033 Alu;
            // RV64I word operations
            Addiw   "addiw"   I       I 0x0000_707f 0x0000_001b Alu;
            Slliw   "slliw"   Shift32 I 0xfe00_707f 0x0000_101b Alu;
            Srliw   "srliw"   Shift32 I 0xfe00_707f 0x0000_501b Alu;
            Sraiw   "sraiw"   Shift32 I 0xfe00_707f 0x4000_501b Alu;
            Addw    "addw"    R       I 0xfe00_707f 0x0000_003b Alu;
            Subw    "subw"    R       I 0xfe00_707f 0x4000_003b Alu;
            Sllw    "sllw"    R       I 0xfe00_707f 0x0000_103b Alu;
            Srlw    "srlw"    R       I 0xfe00_707f 0x0000_503b Alu;
            Sraw    "sraw"    R       I 0xfe00_707f 0x4000_503b Alu;
            // memory ordering and the environment
            Fence   "fence"   Fence   I 0x0000_707f 0x0000_000f Fence;
            Ecall   "ecall"   None    I 0xffff_ffff 0x0000_0073 System;
            Ebreak  "ebreak"  None    I 0xffff_ffff 0x0010_0073 System;
            // Zifencei (rd, rs1 and imm are reserved and ignored)
            FenceI  "fence.i" None    Zifencei 0x0000_707f 0x0000_100f FenceI;
            // M
            Mul     "mul"     R       M 0xfe00_707f 0x0200_0033 Alu;
            Mulh    "mulh"    R       M 0xfe00_707f 0x0200_1033 Alu;
            Mulhsu  "mulhsu"  R       M 0xfe00_707f 0x0200_2033 Alu;
            Mulhu   "mulhu"   R       M 0xfe00_707f 0x0200_3033 Alu;
            Div     "div"     R       M 0xfe00_707f 0x0200_4033 Alu;
            Divu    "divu"    R       M 0xfe00_707f 0x0200_5033 Alu;
            Rem     "rem"     R       M 0xfe00_707f 0x0200_6033 Alu;
            Remu    "remu"    R       M 0xfe00_707f 0x0200_7033 Alu;
            Mulw    "mulw"    R       M 0xfe00_707f 0x0200_003b Alu;
            Divw    "divw"    R       M 0xfe00_707f 0x0200_403b Alu;
            Divuw   "divuw"   R       M 0xfe00_707f 0x0200_503b Alu;
            Remw    "remw"    R       M 0xfe00_707f 0x0200_603b Alu;
            Remuw   "remuw"   R       M 0xfe00_707f 0x0200_703b Alu;
            // A, word
            LrW      "lr.w"      Lr  A 0xf9f0_707f 0x1000_202f Atomic;
            ScW      "sc.w"      Amo A 0xf800_707f 0x1800_202f Atomic;
            AmoswapW "amoswap.w" Amo A 0xf800_707f 0x0800_202f Atomic;
            AmoaddW  "amoadd.w"  Amo A 0xf800_707f 0x0000_202f Atomic;
            AmoxorW  "amoxor.w"  Amo A 0xf800_707f 0x2000_202f Atomic;
            AmoandW  "amoand.w"  Amo A 0xf800_707f 0x6000_202f Atomic;
            AmoorW   "amoor.w"   Amo A 0xf800_707f 0x4000_202f Atomic;
            AmominW  "amomin.w"  Amo A 0xf800_707f 0x8000_202f Atomic;
            AmomaxW  "amomax.w"  Amo A 0xf800_707f 0xa000_202f Atomic;
            AmominuW "amominu.w" Amo A 0xf800_707f 0xc000_202f Atomic;
            AmomaxuW "amomaxu.w" Amo A 0xf800_707f 0xe000_202f Atomic;
            // A, doubleword
            LrD      "lr.d"      Lr  A 0xf9f0_707f 0x1000_302f Atomic;
            ScD      "sc.d"      Amo A 0xf800_707f 0x1800_302f Atomic;
            AmoswapD "amoswap.d" Amo A 0xf800_707f 0x0800_302f Atomic;
            AmoaddD  "amoadd.d"  Amo A 0xf800_707f 0x0000_302f Atomic;
            AmoxorD  "amoxor.d"  Amo A 0xf800_707f 0x2000_302f Atomic;
            AmoandD  "amoand.d"  Amo A 0xf800_707f 0x6000_302f Atomic;
            AmoorD   "amoor.d"   Amo A 0xf800_707f 0x4000_302f Atomic;
            AmominD  "amomin.d"  Amo A 0xf800_707f 0x8000_302f Atomic;
            AmomaxD  "amomax.d"  Amo A 0xf800_707f 0xa000_302f Atomic;
            AmominuD "amominu.d" Amo A 0xf800_707f 0xc000_302f Atomic;
            AmomaxuD "amomaxu.d" Amo A 0xf800_707f 0xe000_302f Atomic;
            // Zicsr
            Csrrw   "csrrw"   Csr   Zicsr 0x0000_707f 0x0000_1073 Csr;
            Csrrs   "csrrs"   Csr   Zicsr 0x0000_707f 0x0000_2073 Csr;
            Csrrc   "csrrc"   Csr   Zicsr 0x0000_707f 0x0000_3073 Csr;
            Csrrwi  "csrrwi"  CsrI  Zicsr 0x0000_707f 0x0000_5073 Csr;
            Csrrsi  "csrrsi"  CsrI  Zicsr 0x0000_707f 0x0000_6073 Csr;
            Csrrci  "csrrci"  CsrI  Zicsr 0x0000_707f 0x0000_7073 Csr;
            // privileged
            Sret      "sret"       None      Priv 0xffff_ffff 0x1020_0073 System;
            Mret      "mret"       None      Priv 0xffff_ffff 0x3020_0073 System;
            Wfi       "wfi"        None      Priv 0xffff_ffff 0x1050_0073 System;
            SfenceVma "sfence.vma" SfenceVma Priv 0xfe00_7fff 0x1200_0073 System;
        }
    };
}

/// Calls `$cb! { rows }` with the rows the fast paths run (the kinds
/// [`Kind::Alu`], `Auipc`, `Jal`, `Jalr`, `Branch`, `Load`, `Store`), each
/// as `Op Format Kind;` (`Load(1, true)` and `Store(4)` keep their
/// arguments). The decode cache's operations and the fast loop's dispatch
/// are made from these.
macro_rules! fast_rows {
    ($cb:ident) => {
        isa_rows! { fast_rows @munch $cb [] }
    };
    (@munch $cb:ident [$($acc:tt)*]) => {
        $cb! { $($acc)* }
    };
    (@munch $cb:ident [$($acc:tt)*] $op:ident $name:literal $fmt:ident $ext:ident $mask:literal
        $matches:literal $kind:ident $(($($arg:literal),*))?; $($rest:tt)*) => {
        fast_rows! { @keep $kind $cb [$($acc)*] [$op $fmt $kind $(($($arg),*))?;] $($rest)* }
    };
    (@keep Alu $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Auipc $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Jal $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Jalr $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Branch $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Load $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep Store $($t:tt)*) => { fast_rows! { @take $($t)* } };
    (@keep $other:ident $cb:ident [$($acc:tt)*] [$($row:tt)*] $($rest:tt)*) => {
        fast_rows! { @munch $cb [$($acc)*] $($rest)* }
    };
    (@take $cb:ident [$($acc:tt)*] [$($row:tt)*] $($rest:tt)*) => {
        fast_rows! { @munch $cb [$($acc)* $($row)*] $($rest)* }
    };
}

macro_rules! instructions {
    ($( $op:ident $name:literal $fmt:ident $ext:ident $mask:literal $matches:literal
        $kind:ident $(($($arg:literal),*))?; )*) => {
        /// An operation: one per row of [`TABLE`], in table order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op { $($op,)* }

        /// The instruction table.
        pub static TABLE: &[Spec] = &[
            $( Spec {
                op: Op::$op,
                name: $name,
                format: Format::$fmt,
                mask: $mask,
                matches: $matches,
                ext: Ext::$ext,
                kind: kind!($kind $(($($arg),*))?),
            }, )*
        ];
    };
}

/// A row's [`Kind`] from its table spelling (`Load(1, true)` and so on).
macro_rules! kind {
    (Load($size:literal, $signed:literal)) => {
        Kind::Load {
            size: $size,
            signed: $signed,
        }
    };
    (Store($size:literal)) => {
        Kind::Store { size: $size }
    };
    ($kind:ident) => {
        Kind::$kind
    };
}

isa_rows!(instructions);

/// A decoded instruction: the operation and its operand fields, unpacked.
///
/// Which fields mean something depends on [`Op::format`]; unused fields are
/// zero, so two encodings that differ only in ignored bits decode to equal
/// values. Eight bytes, so that decoded-instruction caches stay dense.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Insn {
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    /// The immediate, sign-extended (or the CSR number, shift amount,
    /// `aq`/`rl` bits or fence sets; see [`Format`]).
    pub imm: i32,
}

/// A 32-bit word that is not an instruction trapvisor implements: executing
/// it raises an illegal-instruction exception with the word in `stval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("illegal instruction {0:#010x}")]
pub struct Illegal(pub u32);

impl Op {
    /// This operation's row of the table.
    #[inline]
    pub fn spec(self) -> &'static Spec {
        &TABLE[self as usize]
    }

    /// The mnemonic, as objdump prints it.
    pub fn mnemonic(self) -> &'static str {
        self.spec().name
    }

    pub fn format(self) -> Format {
        self.spec().format
    }

    /// How it runs.
    #[inline]
    pub fn kind(self) -> Kind {
        self.spec().kind
    }

    /// Finds an operation by its base mnemonic (`"amoadd.w"`, not
    /// `"amoadd.w.aqrl"`; the assembler splits off ordering suffixes).
    pub fn from_mnemonic(name: &str) -> Option<Op> {
        TABLE.iter().find(|s| s.name == name).map(|s| s.op)
    }
}

impl Insn {
    pub const fn new(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> Insn {
        Insn {
            op,
            rd,
            rs1,
            rs2,
            imm,
        }
    }

    /// Length of the encoding in bytes (always 4 until the C extension).
    #[inline]
    #[allow(clippy::len_without_is_empty)] // an instruction is never empty
    pub fn len(&self) -> u64 {
        4
    }

    /// The `aq` bit of an AMO or LR/SC.
    pub fn aq(&self) -> bool {
        self.imm & 2 != 0
    }

    /// The `rl` bit of an AMO or LR/SC.
    pub fn rl(&self) -> bool {
        self.imm & 1 != 0
    }

    /// The CSR number of a Zicsr instruction.
    pub fn csr(&self) -> u16 {
        (self.imm & 0xfff) as u16
    }
}

/// Length in bytes of the instruction whose first 16-bit parcel is `parcel`
/// (RISC-V unprivileged spec, section 1.5 "Base Instruction-Length
/// Encoding"). Compressed (16-bit) parcels are not implemented yet: the
/// decoder reports them illegal.
pub fn parcel_len(parcel: u16) -> u64 {
    if parcel & 0b11 != 0b11 {
        2
    } else {
        4
    }
}

/// The bucket of a word: its major opcode (low 7 bits) and `funct3` (bits
/// 14:12), the fields nearly every row's mask includes.
#[inline(always)]
fn bucket_of(w: u32) -> usize {
    (w & 0x7f | (w >> 5) & 0x380) as usize
}

/// For each major opcode and `funct3`, the table rows that may match, in
/// table order (a row whose mask leaves `funct3` free, such as `lui`, is in
/// all eight of its opcode's buckets). Most buckets hold one row, so that
/// decoding a word compares it with one or two rows rather than with every
/// row of its opcode (eleven for SYSTEM, which the monitor decodes at every
/// privileged instruction it emulates).
fn buckets() -> &'static [Vec<&'static Spec>] {
    static BUCKETS: OnceLock<Vec<Vec<&'static Spec>>> = OnceLock::new();
    BUCKETS.get_or_init(|| {
        let mut b: Vec<Vec<&'static Spec>> = vec![Vec::new(); 1024];
        for spec in TABLE {
            debug_assert_eq!(spec.mask & 0x7f, 0x7f);
            for funct3 in 0..8u32 {
                let w = spec.matches & !0x7000 | funct3 << 12;
                if w & spec.mask == spec.matches {
                    b[bucket_of(w)].push(spec);
                }
            }
        }
        b
    })
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn sext(value: u32, width: u32) -> i32 {
    let shift = 32 - width;
    ((value << shift) as i32) >> shift
}

/// The immediate of a B-type (branch) word.
#[inline]
pub(crate) fn b_imm(w: u32) -> i32 {
    sext(
        bits(w, 31, 31) << 12 | bits(w, 7, 7) << 11 | bits(w, 30, 25) << 5 | bits(w, 11, 8) << 1,
        13,
    )
}

/// The immediate of a J-type (`jal`) word.
#[inline]
pub(crate) fn j_imm(w: u32) -> i32 {
    sext(
        bits(w, 31, 31) << 20
            | bits(w, 19, 12) << 12
            | bits(w, 20, 20) << 11
            | bits(w, 30, 21) << 1,
        21,
    )
}

/// Decodes a 32-bit instruction word. Every word either decodes or is
/// reported [`Illegal`]; nothing panics.
pub fn decode(w: u32) -> Result<Insn, Illegal> {
    let spec = buckets()
        .get(bucket_of(w))
        .and_then(|rows| rows.iter().find(|s| w & s.mask == s.matches))
        .ok_or(Illegal(w))?;
    let rd = bits(w, 11, 7) as u8;
    let rs1 = bits(w, 19, 15) as u8;
    let rs2 = bits(w, 24, 20) as u8;
    let i_imm = sext(bits(w, 31, 20), 12);
    let insn = |rd, rs1, rs2, imm| Ok(Insn::new(spec.op, rd, rs1, rs2, imm));
    match spec.format {
        Format::R => insn(rd, rs1, rs2, 0),
        Format::I | Format::Load | Format::Jalr => insn(rd, rs1, 0, i_imm),
        Format::S => insn(0, rs1, rs2, sext(bits(w, 31, 25) << 5 | bits(w, 11, 7), 12)),
        Format::B => insn(0, rs1, rs2, b_imm(w)),
        Format::U => insn(rd, 0, 0, (w & 0xffff_f000) as i32),
        Format::J => insn(rd, 0, 0, j_imm(w)),
        Format::Shift64 => insn(rd, rs1, 0, bits(w, 25, 20) as i32),
        Format::Shift32 => insn(rd, rs1, 0, bits(w, 24, 20) as i32),
        Format::Csr => insn(rd, rs1, 0, bits(w, 31, 20) as i32),
        Format::CsrI => insn(rd, rs1, 0, bits(w, 31, 20) as i32),
        Format::Amo => insn(rd, rs1, rs2, bits(w, 26, 25) as i32),
        Format::Lr => insn(rd, rs1, 0, bits(w, 26, 25) as i32),
        Format::Fence => {
            // Unprivileged spec 2.7: `rs1`/`rd` are reserved and ignored;
            // an `fm` other than 0 (or TSO with pred = succ = RW) is
            // reserved and behaves as a normal fence.
            let (fm, pred, succ) = (bits(w, 31, 28), bits(w, 27, 24), bits(w, 23, 20));
            let fm = if fm == 0b1000 && pred == 0b0011 && succ == 0b0011 {
                fm
            } else {
                0
            };
            insn(0, 0, 0, (fm << 8 | pred << 4 | succ) as i32)
        }
        Format::None => insn(0, 0, 0, 0),
        Format::SfenceVma => insn(0, rs1, rs2, 0),
    }
}

/// Encodes an instruction: the inverse of [`decode`] for every value
/// `decode` returns. Fields are masked to their width, so an out-of-range
/// operand never spills into another field (the assembler range-checks them
/// first and reports the error).
pub fn encode(insn: &Insn) -> u32 {
    let spec = insn.op.spec();
    let rd = (insn.rd as u32 & 0x1f) << 7;
    let rs1 = (insn.rs1 as u32 & 0x1f) << 15;
    let rs2 = (insn.rs2 as u32 & 0x1f) << 20;
    let imm = insn.imm as u32;
    let fields = match spec.format {
        Format::R => rd | rs1 | rs2,
        Format::I | Format::Load | Format::Jalr => rd | rs1 | (imm & 0xfff) << 20,
        Format::S => rs1 | rs2 | bits(imm, 11, 5) << 25 | bits(imm, 4, 0) << 7,
        Format::B => {
            rs1 | rs2
                | bits(imm, 12, 12) << 31
                | bits(imm, 10, 5) << 25
                | bits(imm, 4, 1) << 8
                | bits(imm, 11, 11) << 7
        }
        Format::U => rd | (imm & 0xffff_f000),
        Format::J => {
            rd | bits(imm, 20, 20) << 31
                | bits(imm, 10, 1) << 21
                | bits(imm, 11, 11) << 20
                | bits(imm, 19, 12) << 12
        }
        Format::Shift64 => rd | rs1 | (imm & 0x3f) << 20,
        Format::Shift32 => rd | rs1 | (imm & 0x1f) << 20,
        Format::Csr | Format::CsrI => rd | rs1 | (imm & 0xfff) << 20,
        Format::Amo => rd | rs1 | rs2 | (imm & 3) << 25,
        Format::Lr => rd | rs1 | (imm & 3) << 25,
        Format::Fence => (imm & 0xfff) << 20,
        Format::None => 0,
        Format::SfenceVma => rs1 | rs2,
    };
    (fields & !spec.mask) | spec.matches
}

/// ABI register names, indexed by register number (as objdump prints them).
pub const REG_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// Parses a register name: ABI (`a0`, `fp`) or numeric (`x10`).
pub fn reg_by_name(name: &str) -> Option<u8> {
    if let Some(digits) = name.strip_prefix('x') {
        let n: u8 = digits.parse().ok()?;
        return (n < 32 && n.to_string() == digits).then_some(n);
    }
    if name == "fp" {
        return Some(8);
    }
    REG_NAMES.iter().position(|&r| r == name).map(|i| i as u8)
}

/// CSR numbers and names (privileged spec, chapter 2, "CSR Listing", and
/// the extensions' CSRs), as objdump 2.40 names them; the numbered families
/// (`pmpcfgN`, `pmpaddrN`, `hpmcounterN[h]`, `mhpmcounterN[h]`,
/// `mhpmeventN[h]`) are in [`CSR_FAMILIES`].
pub const CSR_NAMES: &[(u16, &str)] = &[
    (0x001, "fflags"),
    (0x002, "frm"),
    (0x003, "fcsr"),
    (0x008, "vstart"),
    (0x009, "vxsat"),
    (0x00a, "vxrm"),
    (0x00f, "vcsr"),
    (0x015, "seed"),
    (0x100, "sstatus"),
    (0x104, "sie"),
    (0x105, "stvec"),
    (0x106, "scounteren"),
    (0x10a, "senvcfg"),
    (0x10c, "sstateen0"),
    (0x10d, "sstateen1"),
    (0x10e, "sstateen2"),
    (0x10f, "sstateen3"),
    (0x114, "sieh"),
    (0x140, "sscratch"),
    (0x141, "sepc"),
    (0x142, "scause"),
    (0x143, "stval"),
    (0x144, "sip"),
    (0x14d, "stimecmp"),
    (0x150, "siselect"),
    (0x151, "sireg"),
    (0x154, "siph"),
    (0x15c, "stopei"),
    (0x15d, "stimecmph"),
    (0x180, "satp"),
    (0x200, "vsstatus"),
    (0x204, "vsie"),
    (0x205, "vstvec"),
    (0x214, "vsieh"),
    (0x240, "vsscratch"),
    (0x241, "vsepc"),
    (0x242, "vscause"),
    (0x243, "vstval"),
    (0x244, "vsip"),
    (0x24d, "vstimecmp"),
    (0x250, "vsiselect"),
    (0x251, "vsireg"),
    (0x254, "vsiph"),
    (0x25c, "vstopei"),
    (0x25d, "vstimecmph"),
    (0x280, "vsatp"),
    (0x300, "mstatus"),
    (0x301, "misa"),
    (0x302, "medeleg"),
    (0x303, "mideleg"),
    (0x304, "mie"),
    (0x305, "mtvec"),
    (0x306, "mcounteren"),
    (0x308, "mvien"),
    (0x309, "mvip"),
    (0x30a, "menvcfg"),
    (0x30c, "mstateen0"),
    (0x30d, "mstateen1"),
    (0x30e, "mstateen2"),
    (0x30f, "mstateen3"),
    (0x310, "mstatush"),
    (0x313, "midelegh"),
    (0x314, "mieh"),
    (0x318, "mvienh"),
    (0x319, "mviph"),
    (0x31a, "menvcfgh"),
    (0x31c, "mstateen0h"),
    (0x31d, "mstateen1h"),
    (0x31e, "mstateen2h"),
    (0x31f, "mstateen3h"),
    (0x320, "mcountinhibit"),
    (0x340, "mscratch"),
    (0x341, "mepc"),
    (0x342, "mcause"),
    (0x343, "mtval"),
    (0x344, "mip"),
    (0x34a, "mtinst"),
    (0x34b, "mtval2"),
    (0x350, "miselect"),
    (0x351, "mireg"),
    (0x354, "miph"),
    (0x35c, "mtopei"),
    (0x5a8, "scontext"),
    (0x600, "hstatus"),
    (0x602, "hedeleg"),
    (0x603, "hideleg"),
    (0x604, "hie"),
    (0x605, "htimedelta"),
    (0x606, "hcounteren"),
    (0x607, "hgeie"),
    (0x608, "hvien"),
    (0x609, "hvictl"),
    (0x60a, "henvcfg"),
    (0x60c, "hstateen0"),
    (0x60d, "hstateen1"),
    (0x60e, "hstateen2"),
    (0x60f, "hstateen3"),
    (0x613, "hidelegh"),
    (0x615, "htimedeltah"),
    (0x618, "hvienh"),
    (0x61a, "henvcfgh"),
    (0x61c, "hstateen0h"),
    (0x61d, "hstateen1h"),
    (0x61e, "hstateen2h"),
    (0x61f, "hstateen3h"),
    (0x643, "htval"),
    (0x644, "hip"),
    (0x645, "hvip"),
    (0x646, "hviprio1"),
    (0x647, "hviprio2"),
    (0x64a, "htinst"),
    (0x655, "hviph"),
    (0x656, "hviprio1h"),
    (0x657, "hviprio2h"),
    (0x680, "hgatp"),
    (0x6a8, "hcontext"),
    (0x747, "mseccfg"),
    (0x757, "mseccfgh"),
    (0x7a0, "tselect"),
    (0x7a1, "tdata1"),
    (0x7a2, "tdata2"),
    (0x7a3, "tdata3"),
    (0x7a4, "tinfo"),
    (0x7a5, "tcontrol"),
    (0x7a8, "mcontext"),
    (0x7aa, "mscontext"),
    (0x7b0, "dcsr"),
    (0x7b1, "dpc"),
    (0x7b2, "dscratch0"),
    (0x7b3, "dscratch1"),
    (0xb00, "mcycle"),
    (0xb02, "minstret"),
    (0xb80, "mcycleh"),
    (0xb82, "minstreth"),
    (0xc00, "cycle"),
    (0xc01, "time"),
    (0xc02, "instret"),
    (0xc20, "vl"),
    (0xc21, "vtype"),
    (0xc22, "vlenb"),
    (0xc80, "cycleh"),
    (0xc81, "timeh"),
    (0xc82, "instreth"),
    (0xda0, "scountovf"),
    (0xdb0, "stopi"),
    (0xe12, "hgeip"),
    (0xeb0, "vstopi"),
    (0xf11, "mvendorid"),
    (0xf12, "marchid"),
    (0xf13, "mimpid"),
    (0xf14, "mhartid"),
    (0xf15, "mconfigptr"),
    (0xfb0, "mtopi"),
];

/// Numbered CSR families: `(prefix, suffix, number of member 0, members)`;
/// member `n` of a family is called `{prefix}{n}{suffix}` and numbered
/// `base + n`, for `n` in `members`.
pub const CSR_FAMILIES: &[(&str, &str, u16, std::ops::RangeInclusive<u16>)] = &[
    ("pmpcfg", "", 0x3a0, 0..=15),
    ("pmpaddr", "", 0x3b0, 0..=63),
    ("hpmcounter", "", 0xc00, 3..=31),
    ("hpmcounter", "h", 0xc80, 3..=31),
    ("mhpmcounter", "", 0xb00, 3..=31),
    ("mhpmcounter", "h", 0xb80, 3..=31),
    ("mhpmevent", "", 0x320, 3..=31),
    ("mhpmevent", "h", 0x720, 3..=31),
];

/// The name of CSR `addr`, if objdump has one for it.
pub fn csr_name(addr: u16) -> Option<String> {
    if let Some(&(_, name)) = CSR_NAMES.iter().find(|&&(a, _)| a == addr) {
        return Some(name.to_string());
    }
    CSR_FAMILIES
        .iter()
        .find_map(|(prefix, suffix, base, members)| {
            let n = addr.checked_sub(*base)?;
            members.contains(&n).then(|| format!("{prefix}{n}{suffix}"))
        })
}

/// The number of the CSR called `name`.
pub fn csr_by_name(name: &str) -> Option<u16> {
    if let Some(&(addr, _)) = CSR_NAMES.iter().find(|&&(_, n)| n == name) {
        return Some(addr);
    }
    CSR_FAMILIES
        .iter()
        .find_map(|(prefix, suffix, base, members)| {
            let digits = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let n: u16 = digits.parse().ok()?;
            (members.contains(&n) && n.to_string() == digits).then_some(base + n)
        })
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mnemonic())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_in_op_order() {
        for (i, spec) in TABLE.iter().enumerate() {
            assert_eq!(spec.op as usize, i, "{}", spec.name);
            assert_eq!(spec.matches & !spec.mask, 0, "{}", spec.name);
        }
    }

    #[test]
    fn no_two_rows_match_the_same_word() {
        for a in TABLE {
            for b in TABLE {
                if a.op == b.op {
                    continue;
                }
                let common = a.mask & b.mask;
                assert_ne!(
                    a.matches & common,
                    b.matches & common,
                    "{} and {} overlap",
                    a.name,
                    b.name
                );
            }
        }
    }

    #[test]
    fn decodes_known_words() {
        // addi a0, a0, -1
        assert_eq!(decode(0xfff5_0513), Ok(Insn::new(Op::Addi, 10, 10, 0, -1)));
        // lui a0, 0x80200
        assert_eq!(
            decode(0x8020_0537),
            Ok(Insn::new(Op::Lui, 10, 0, 0, 0x8020_0000u32 as i32))
        );
        // sd ra, 8(sp)
        assert_eq!(decode(0x0011_3423), Ok(Insn::new(Op::Sd, 0, 2, 1, 8)));
        // beq a0, a1, -4
        assert_eq!(decode(0xfeb5_0ee3), Ok(Insn::new(Op::Beq, 0, 10, 11, -4)));
        // jal ra, 0x800 forward
        assert_eq!(decode(0x0010_00ef).map(|i| i.imm), Ok(2048));
        // csrrw zero, satp, a0
        assert_eq!(
            decode(0x1805_1073),
            Ok(Insn::new(Op::Csrrw, 0, 10, 0, 0x180))
        );
        // amoadd.w.aqrl a0, a1, (a2)
        assert_eq!(
            decode(0x06b6_252f),
            Ok(Insn::new(Op::AmoaddW, 10, 12, 11, 3))
        );
        assert_eq!(decode(0x1020_0073).map(|i| i.op), Ok(Op::Sret));
        assert_eq!(decode(0x0000_0000), Err(Illegal(0)));
        assert_eq!(decode(0xffff_ffff), Err(Illegal(0xffff_ffff)));
        // lr.w with rs2 != 0 is reserved
        assert!(decode(0x1015_252f).is_err());
        // slli with shamt[5] set is fine on RV64; slliw with it is not
        assert!(decode(0x0205_1513).is_ok());
        assert!(decode(0x0205_151b).is_err());
    }

    #[test]
    fn encode_inverts_decode_on_known_words() {
        for w in [
            0xfff5_0513u32,
            0x8020_0537,
            0x0011_3423,
            0xfeb5_0ee3,
            0x0010_00ef,
            0x1805_1073,
            0x06b6_252f,
            0x1020_0073,
            0x0ff0_000f,
            0x8330_000f,
            0x1205_8073,
        ] {
            let insn = decode(w).unwrap();
            assert_eq!(encode(&insn), w, "{insn:?}");
        }
    }

    #[test]
    fn register_names() {
        assert_eq!(reg_by_name("a0"), Some(10));
        assert_eq!(reg_by_name("x31"), Some(31));
        assert_eq!(reg_by_name("fp"), Some(8));
        assert_eq!(reg_by_name("x32"), None);
        assert_eq!(reg_by_name("x01"), None);
        assert_eq!(reg_by_name("a8"), None);
    }

    #[test]
    fn csr_names_round_trip() {
        assert_eq!(csr_by_name("satp"), Some(0x180));
        assert_eq!(csr_name(0x180).as_deref(), Some("satp"));
        assert_eq!(csr_by_name("hpmcounter3"), Some(0xc03));
        assert_eq!(csr_name(0xc1f).as_deref(), Some("hpmcounter31"));
        assert_eq!(csr_by_name("hpmcounter32"), None);
    }
}
