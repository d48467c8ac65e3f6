//! Pass 1: reads statements (following `.include`s and macro expansions),
//! defines labels, and emits bytes into input sections. Every size is fixed
//! here; a value that is not known yet (a forward label, a branch target)
//! leaves a [`Fixup`] that pass 2 ([`crate::link`]) resolves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use cpu::isa::{self, Format, Insn, Op};

use crate::error::Error;
use crate::expr::{Env, EvalError, ExprId, Exprs, Names, Node, Val, MAX_EVAL_DEPTH};
use crate::fast::{reg_by_name, FxHashMap};
use crate::lexer::{tokenize, unescape, Tok, Token};
use crate::li::li;
use crate::macros::{self, Param, Subst};
use crate::mnemonics::{self, immediate_form, lookup, operand_syntax, Mnemonic, Pseudo};
use crate::source::{LineRef, Sources};

/// An error before it is located: byte offset in the line, and message.
pub(crate) type PErr = (u32, String);
type PResult<T> = Result<T, PErr>;

/// The output section an input section goes into (the layout of
/// `guest-programs/link.ld`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Text,
    Rodata,
    Data,
    Bss,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Text => ".text",
            Class::Rodata => ".rodata",
            Class::Data => ".data",
            Class::Bss => ".bss",
        }
    }

    /// The output section for an input section name, as the linker
    /// script maps them; other names go by their flags.
    pub fn of(name: &str, flags: Option<&str>, nobits: bool) -> Option<Class> {
        let matches = |base: &str| {
            name == base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        if matches(".text") {
            Some(Class::Text)
        } else if matches(".rodata") || matches(".srodata") {
            Some(Class::Rodata)
        } else if matches(".data") || matches(".sdata") {
            Some(Class::Data)
        } else if matches(".bss") || matches(".sbss") {
            Some(Class::Bss)
        } else {
            let flags = flags?;
            if flags.contains('x') {
                Some(Class::Text)
            } else if nobits {
                Some(Class::Bss)
            } else if flags.contains('w') {
                Some(Class::Data)
            } else if flags.contains('a') {
                Some(Class::Rodata)
            } else {
                None
            }
        }
    }
}

/// A row of the line table in pass 1: from offset `off` of input section
/// `chunk` on, the bytes come from `line` of `file`; `code` if they are
/// an instruction's (not data or padding).
#[derive(Clone, Copy, Debug)]
pub struct LineMark {
    pub chunk: u16,
    pub off: u64,
    pub file: u32,
    pub line: u32,
    pub code: bool,
}

/// An input section: what `.section NAME` collects.
pub struct Chunk {
    pub name: Box<str>,
    pub class: Class,
    pub align: u64,
    /// Contents (empty for `.bss`, which has only a size).
    pub data: Vec<u8>,
    pub size: u64,
    /// The size before the padding that ends a code section (set by
    /// [`Asm::finish_sections`]).
    pub content: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    Undef,
    Label {
        chunk: u16,
        off: u64,
    },
    Const(i64),
    /// `.equ`/`.set` of an expression not known when it was read.
    Deferred(ExprId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymKind {
    NoType,
    Func,
    Object,
}

pub struct Sym {
    pub name: Box<str>,
    pub def: Def,
    pub global: bool,
    pub kind: SymKind,
    /// An instance of a numeric local label (`1:`).
    pub numeric: bool,
    /// Defined by `.set`/`.equ`/`=`, so it may be redefined.
    pub settable: bool,
    /// Declared `.local` (a later `.comm` then allocates it in `.bss`).
    pub local: bool,
    /// Declared `.weak`: if never defined, its value is 0 (as the linker
    /// resolves an undefined weak symbol).
    pub weak: bool,
}

#[derive(Default)]
pub struct SymTab {
    pub syms: Vec<Sym>,
    pub index: FxHashMap<Box<str>, u32>,
}

impl SymTab {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.new_sym(name, false);
        self.index.insert(name.into(), id);
        id
    }

    fn new_sym(&mut self, name: &str, numeric: bool) -> u32 {
        self.syms.push(Sym {
            name: name.into(),
            def: Def::Undef,
            global: false,
            kind: SymKind::NoType,
            numeric,
            settable: false,
            local: false,
            weak: false,
        });
        (self.syms.len() - 1) as u32
    }
}

/// Numeric local label `N`: its latest definition, and the instance that
/// `Nf` references made before its next definition point to.
#[derive(Default)]
struct Local {
    last: Option<u32>,
    pending: Option<u32>,
}

/// Where in the source something was written.
#[derive(Clone, Copy, Debug)]
pub struct Where {
    pub line: LineRef,
    pub at: u32,
}

/// The instruction field (or data width) a fixup fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    I,
    S,
    U,
    B,
    J,
    Shamt(u8),
    Csr,
    Uimm5,
    Data(u8),
    /// The offset of a compressed branch (`c.beqz`/`c.bnez`, ±256 bytes).
    Cb,
    /// The offset of `c.j` (±2 KiB).
    Cj,
}

/// How the value written is computed from the expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reloc {
    /// The value itself.
    Abs,
    /// `%hi(x)`: `(x + 0x800) >> 12`.
    Hi,
    /// `%lo(x)`: the sign-extended low 12 bits.
    Lo,
    /// `%pcrel_hi(x)`: the high part of `x - pc`.
    PcrelHi,
    /// `%pcrel_lo(label)`: the low part of the `%pcrel_hi` at `label`.
    PcrelLo,
    /// The low part matching the `%pcrel_hi` of the same expression at
    /// this location (the second instruction of `la`, `call`, ...).
    PcrelLoAt { chunk: u16, off: u64 },
    /// `x - pc` (branches and jumps).
    Pcrel,
}

pub struct Fixup {
    pub chunk: u16,
    pub off: u64,
    pub field: Field,
    pub reloc: Reloc,
    pub expr: ExprId,
    pub at: Where,
    pub op: Option<Op>,
}

struct Macro {
    params: Vec<Param>,
    body: Rc<[LineRef]>,
}

/// What a recording (`.macro` ... `.endm`, `.rept`/`.irp`/`.irpc` ...
/// `.endr`) will become.
enum RecKind {
    Macro {
        name: String,
        params: Vec<Param>,
    },
    Rept {
        count: u64,
    },
    Irp {
        param: Rc<[Param]>,
        values: Vec<String>,
    },
}

/// A body being recorded, one statement per [`LineRef`] (GNU as reads
/// bodies statement by statement: `.macro init; .endm` is a whole macro).
struct Recording {
    kind: RecKind,
    body: Vec<LineRef>,
    /// Nested openers (`.macro` in a macro, `.rept`/`.irp` in a repeat).
    depth: u32,
    at: Where,
}

enum FrameKind {
    File {
        text: u32,
        pos: usize,
        line: u32,
    },
    Lines {
        lines: Rc<[LineRef]>,
        idx: usize,
    },
    /// `.rept`: the body, then again `left` more times.
    Repeat {
        lines: Rc<[LineRef]>,
        idx: usize,
        left: u64,
    },
    /// `.irp`/`.irpc`: the body once per value, each substituted when its
    /// turn comes (`lines`, read up to `idx`).
    Irp {
        body: Rc<[LineRef]>,
        param: Rc<[Param]>,
        values: Vec<String>,
        next: usize,
        lines: Rc<[LineRef]>,
        idx: usize,
    },
}

struct Frame {
    kind: FrameKind,
    file: u32,
    in_comment: bool,
    /// A macro, `.rept` or `.irp` expansion (counted against the limits).
    expansion: bool,
    /// The rest of a line whose statement pushed a frame (its statements
    /// run after that frame): conditionals belong to the frame below.
    rest: bool,
    /// The line this frame's lines stand for in the line table: the
    /// outermost macro invocation (`None`: each line stands for itself).
    origin: Option<LineRef>,
}

/// An open `.if`.
struct Cond {
    /// The frame (`frames.len()` when it was opened, rest frames aside)
    /// that must close it.
    frame: usize,
    /// Assembling around the `.if`.
    parent_live: bool,
    /// Assembling in the current branch.
    live: bool,
    /// Some branch was taken (so `.else`/`.elseif` are not).
    done: bool,
    else_seen: bool,
    at: Where,
}

/// `.comm` and `.lcomm` allocations, placed at the end of pass 1.
struct CommonSym {
    sym: u32,
    size: u64,
    align: u64,
    /// `.lcomm` or `.local` + `.comm`: in `.bss` itself (after its other
    /// contents, as GNU as's `bss_alloc` puts them in subsection 1);
    /// otherwise a common symbol, which the linker puts after all `.bss`.
    local: bool,
}

/// How deeply macros, `.rept` and `.irp` may nest.
const MAX_EXPANSION_DEPTH: usize = 200;
/// Lines that macro, `.rept` and `.irp` expansions may produce in one
/// assembly (each repetition counts as one more): about a second of work.
pub const MAX_EXPANDED_LINES: u64 = 1_000_000;
/// Bytes of text that macro and `.irp` substitution may produce.
pub const MAX_EXPANDED_BYTES: u64 = 64 << 20;
/// How deeply `.include`s may nest.
const MAX_INCLUDE_DEPTH: usize = 64;
/// No section grows past this (RAM is 128 MiB by default).
const MAX_SIZE: u64 = 1 << 30;

/// The assembler's state: everything pass 1 builds and pass 2 reads.
pub struct Asm {
    pub src: Sources,
    pub exprs: Exprs,
    pub symtab: SymTab,
    locals: HashMap<u64, Local>,
    pub chunks: Vec<Chunk>,
    cur: u16,
    section_stack: Vec<u16>,
    pub fixups: Vec<Fixup>,
    macros: FxHashMap<Box<str>, Rc<Macro>>,
    /// A bit per first letter (lowercased, modulo 64) of the macros ever
    /// defined: most statements are no macro, and this says so at once.
    macro_initials: u64,
    recording: Option<Recording>,
    frames: Vec<Frame>,
    conds: Vec<Cond>,
    /// Errors with a sort key (file, line, column).
    pub errors: Vec<((u32, u32, u32), Error)>,
    /// Warnings, in the order they were found.
    pub warnings: Vec<Error>,
    toks: Vec<Token>,
    insns: Vec<Insn>,
    /// Macros expanded so far (`\@`).
    expansions: u64,
    /// Labels made by `LOCAL` in alternate macro mode.
    local_labels: u64,
    /// Lines read from expansions, and bytes of text substitution made.
    expanded_lines: u64,
    expanded_bytes: u64,
    altmacro: bool,
    /// `.exitm` ended the frame the current line came from.
    line_abort: bool,
    commons: Vec<CommonSym>,
    /// `li` operands not known when read: checked at the end of pass 1
    /// for an undefined symbol, the likelier mistake.
    unknown_li: Vec<(Where, ExprId)>,
    /// Options of the whole run (`-I`, `-D`).
    pub opts: crate::Options,
    /// The line each emitted byte came from: (input section, offset, file,
    /// line), in emission order; a new entry only where the line changes.
    pub line_marks: Vec<LineMark>,
    /// The line the current statement stands for in the line table.
    origin: (u32, u32),
    /// Error lines already reported (one error per statement).
    stop: bool,
    /// Conditional branches (by ordinal) that take the long form: an
    /// inverted branch over a `jal`; with C, a compressed branch or jump
    /// that does not reach becomes its 4-byte form, or the inverted
    /// compressed branch over a `jal` (6 bytes). Lengths by branch ordinal,
    /// decided by [`Asm::branches_to_grow`]; a branch not listed has its
    /// shortest form.
    pub branch_lens: HashMap<u32, u8>,
    /// The C extension is on here (`--march` with c, `.option rvc`).
    pub rvc: bool,
    /// C was on somewhere (the ELF header's `EF_RISCV_RVC`).
    pub rvc_used: bool,
    /// `.option push` saves `rvc` here, `.option pop` restores it.
    option_stack: Vec<bool>,
    /// Which compressed forms the instruction being assembled may take,
    /// from how it is spelled.
    spelling: Spelling,
    /// Every conditional branch to a target, in order.
    branches: Vec<BranchRec>,
}

/// A branch or jump to a label, for relaxation.
struct BranchRec {
    chunk: u16,
    off: u64,
    expr: ExprId,
    /// `j` (unconditional), not a conditional branch.
    jump: bool,
    /// It has a compressed form (`c.j`, `c.beqz`, `c.bnez`).
    rvc: bool,
    /// Its length in bytes in this pass.
    len: u8,
}

/// GNU as picks a compressed form by the mnemonic as written, not only by
/// the instruction it means (binutils' opcode table lists compressed rows
/// per mnemonic): `jalr ra,0(a0)`, `jal zero,L` and `mv a0,zero` are never
/// compressed, though `jalr a0`, `j L` and `li a0,0` are the same
/// instructions; `add a0,a0,0` is the HINT `c.addi a0,0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// Whatever [`cpu::rvc::compress`] picks.
    Any,
    /// Never compressed.
    Never,
    /// `add rd,rs,imm`: only `c.addi` (with 0 too), `c.addi4spn`,
    /// `c.addi16sp`.
    AddImm,
}

/// Pass-1 values: labels are relative to their input section.
struct Pass1<'a> {
    syms: &'a [Sym],
}

impl Env for Pass1<'_> {
    fn symbol(&self, exprs: &Exprs, id: u32, depth: u32) -> Result<Val, EvalError> {
        match self.syms.get(id as usize).map(|s| s.def) {
            Some(Def::Label { chunk, off }) => Ok(Val::Rel {
                chunk,
                off: off as i64,
            }),
            Some(Def::Const(v)) => Ok(Val::Abs(v)),
            Some(Def::Deferred(e)) if depth < MAX_EVAL_DEPTH => exprs.eval(e, self, depth),
            Some(Def::Deferred(_)) => Err(EvalError::TooDeep),
            _ => Err(EvalError::Unknown),
        }
    }
}

/// Name resolution while parsing an expression.
struct NameCtx<'a> {
    symtab: &'a mut SymTab,
    locals: &'a mut HashMap<u64, Local>,
    chunk: u16,
    off: u64,
}

impl Names for NameCtx<'_> {
    fn symbol(&mut self, name: &str) -> Node {
        let id = self.symtab.intern(name);
        match self.symtab.syms[id as usize].def {
            // Constants fold now, so that a later `.set` does not change
            // what an earlier line meant.
            Def::Const(v) => Node::Num(v),
            _ => Node::Sym(id),
        }
    }

    fn local(&mut self, label: u64, forward: bool) -> Result<Node, String> {
        let entry = self.locals.entry(label).or_default();
        if forward {
            let id = match entry.pending {
                Some(id) => id,
                None => {
                    let id = self.symtab.new_sym(&label.to_string(), true);
                    entry.pending = Some(id);
                    id
                }
            };
            Ok(Node::Sym(id))
        } else {
            entry
                .last
                .map(Node::Sym)
                .ok_or_else(|| format!("no `{label}:` before `{label}b`"))
        }
    }

    fn dot(&mut self) -> Node {
        Node::Loc {
            chunk: self.chunk,
            off: self.off,
        }
    }
}

/// An immediate operand: an expression, possibly inside `%hi(...)` etc.
#[derive(Clone, Copy)]
struct Imm {
    reloc: Reloc,
    expr: ExprId,
    at: u32,
}

fn tok_text<'a>(line: &'a str, t: &Token) -> &'a str {
    line.get(t.start as usize..t.end as usize).unwrap_or("")
}

fn end_of(line: &str, toks: &[Token]) -> u32 {
    toks.last().map_or(line.len() as u32, |t| t.end)
}

/// An instruction's operands, split at top-level commas without
/// allocating (instructions have at most 4; more is an error).
struct Operands<'a> {
    items: [&'a [Token]; 6],
    len: usize,
}

impl<'a> Operands<'a> {
    fn split(toks: &'a [Token]) -> Option<Operands<'a>> {
        let mut ops = Operands {
            items: [&[]; 6],
            len: 0,
        };
        if toks.is_empty() {
            return Some(ops);
        }
        let mut depth = 0i32;
        let mut start = 0;
        for (i, t) in toks.iter().enumerate() {
            match t.kind {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => depth -= 1,
                Tok::Punct(b',') if depth <= 0 => {
                    *ops.items.get_mut(ops.len)? = &toks[start..i];
                    ops.len += 1;
                    start = i + 1;
                }
                _ => {}
            }
        }
        *ops.items.get_mut(ops.len)? = &toks[start..];
        ops.len += 1;
        Some(ops)
    }
}

impl<'a> std::ops::Deref for Operands<'a> {
    type Target = [&'a [Token]];
    fn deref(&self) -> &Self::Target {
        &self.items[..self.len]
    }
}

/// Splits operands at top-level commas.
fn split_commas(toks: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::with_capacity(4);
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') => depth -= 1,
            Tok::Punct(b',') if depth <= 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !toks.is_empty() {
        out.push(&toks[start..]);
    }
    out
}

/// What GNU as may compress an instruction spelled `name ops` to (see
/// [`Spelling`]).
fn spelling(line: &str, name: &str, ops: &[&[Token]]) -> Spelling {
    let is_reg = |op: &[Token]| matches!(op, [t] if t.kind == Tok::Ident && reg_by_name(tok_text(line, t)).is_some());
    let is_zero = |op: &[Token]| matches!(op, [t] if t.kind == Tok::Ident && reg_by_name(tok_text(line, t)) == Some(0));
    match name {
        // Only `jalr rs` and `jr rs` have compressed rows.
        "jalr" | "jr" if ops.len() == 1 && is_reg(ops[0]) => Spelling::Any,
        "jalr" | "jr" | "jal" => Spelling::Never,
        "mv" if ops.len() == 2 && is_zero(ops[1]) => Spelling::Never,
        "add" if ops.len() == 3 && !is_reg(ops[2]) => Spelling::AddImm,
        _ => Spelling::Any,
    }
}

fn sext12(v: i64) -> i64 {
    ((v & 0xfff) ^ 0x800) - 0x800
}

/// Computes the value a field gets, or the error a user sees. `pc` is the
/// address of the instruction; `target` the value of the expression.
pub fn field_value(
    field: Field,
    reloc: Reloc,
    value: i64,
    pc: i64,
    op: Option<Op>,
) -> Result<i64, String> {
    let name = op.map_or("", |o| o.mnemonic());
    let v = match reloc {
        Reloc::Abs => value,
        Reloc::Hi => (value.wrapping_add(0x800) >> 12) & 0xfffff,
        Reloc::Lo => sext12(value),
        Reloc::PcrelHi => {
            let d = value.wrapping_sub(pc);
            if !(-(1i64 << 31) - 0x800..(1i64 << 31) - 0x800).contains(&d) {
                return Err(format!(
                    "%pcrel_hi target {value:#x} out of range of pc {pc:#x} (±2 GiB)"
                ));
            }
            (d.wrapping_add(0x800) >> 12) & 0xfffff
        }
        Reloc::PcrelLo | Reloc::PcrelLoAt { .. } => sext12(value),
        Reloc::Pcrel => value.wrapping_sub(pc),
    };
    let range = |lo: i64, hi: i64, what: &str| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{what} {v} out of range for {name} ({lo}..{hi})"))
        }
    };
    match field {
        Field::I | Field::S => range(-2048, 2047, "immediate"),
        Field::U => range(0, 0xfffff, "immediate"),
        Field::Shamt(bits) => range(0, (1 << bits) - 1, "shift amount"),
        Field::Csr => range(0, 4095, "CSR number"),
        Field::Uimm5 => range(0, 31, "immediate"),
        Field::B | Field::J | Field::Cb | Field::Cj => {
            let reach = match field {
                Field::B => 1 << 12,
                Field::J => 1 << 20,
                Field::Cb => 1 << 8,
                _ => 1 << 11,
            };
            let what = if matches!(field, Field::B | Field::Cb) {
                "branch"
            } else {
                "jump"
            };
            if !(-reach..reach).contains(&v) {
                let reach = if reach >= 1024 {
                    format!("{} KiB", reach / 1024)
                } else {
                    format!("{reach} bytes")
                };
                Err(format!(
                    "{what} target {value:#x} out of range ({v:+} bytes from pc {pc:#x}; {name} reaches ±{reach})"
                ))
            } else if v & 1 != 0 {
                Err(format!("{what} target {value:#x} is not 2-byte aligned"))
            } else {
                Ok(v)
            }
        }
        Field::Data(size) => {
            if size >= 8 {
                return Ok(v);
            }
            let bits = size as u32 * 8;
            let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << bits) - 1);
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(format!(
                    "value {v:#x} does not fit in {size} byte{}",
                    if size > 1 { "s" } else { "" }
                ))
            }
        }
    }
}

/// Writes the offset `value` into the compressed branch or jump `parcel`.
pub fn patch_compressed(parcel: u16, value: i64) -> u16 {
    let Some(mut insn) = cpu::rvc::expand(parcel).and_then(|w| isa::decode(w).ok()) else {
        return parcel;
    };
    insn.imm = value as i32;
    cpu::rvc::compress(isa::encode(&insn)).unwrap_or(parcel)
}

/// Writes `value` into the instruction `word` (a field of `field`).
pub fn patch(word: u32, field: Field, value: i64) -> u32 {
    let Ok(mut insn) = isa::decode(word) else {
        return word;
    };
    insn.imm = match field {
        Field::U => (value << 12) as i32,
        Field::Uimm5 => {
            insn.rs1 = value as u8;
            return isa::encode(&insn);
        }
        _ => value as i32,
    };
    isa::encode(&insn)
}

impl Asm {
    pub fn new() -> Asm {
        let mut asm = Asm {
            src: Sources::default(),
            exprs: Exprs::default(),
            symtab: SymTab::default(),
            locals: HashMap::new(),
            chunks: Vec::new(),
            cur: 0,
            section_stack: Vec::new(),
            fixups: Vec::new(),
            macros: FxHashMap::default(),
            macro_initials: 0,
            recording: None,
            frames: Vec::new(),
            conds: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            toks: Vec::new(),
            insns: Vec::new(),
            expansions: 0,
            local_labels: 0,
            expanded_lines: 0,
            expanded_bytes: 0,
            altmacro: false,
            option_stack: Vec::new(),
            rvc: false,
            rvc_used: false,
            spelling: Spelling::Any,
            line_abort: false,
            commons: Vec::new(),
            unknown_li: Vec::new(),
            opts: crate::Options::default(),
            line_marks: Vec::new(),
            origin: (0, 0),
            stop: false,
            branch_lens: Default::default(),
            branches: Vec::new(),
        };
        // GNU as creates these three first, in this order; `.text` is
        // 4-byte aligned from the start.
        for (name, class, align) in [
            (".text", Class::Text, 4),
            (".data", Class::Data, 1),
            (".bss", Class::Bss, 1),
        ] {
            asm.chunks.push(Chunk {
                name: name.into(),
                class,
                align,
                data: Vec::new(),
                size: 0,
                content: 0,
            });
        }
        asm
    }

    /// Assembles file `file` (already added to the sources): pass 1.
    pub fn run(&mut self, file: u32) {
        self.push_file(file);
        while let Some(l) = self.next_line() {
            self.line(l);
            if self.stop {
                break;
            }
        }
        if let Some(rec) = self.recording.take() {
            let what = match rec.kind {
                RecKind::Macro { name, .. } => format!(".macro `{name}` without .endm"),
                RecKind::Rept { .. } => ".rept without .endr".to_string(),
                RecKind::Irp { .. } => ".irp without .endr".to_string(),
            };
            self.error(rec.at, what);
        }
        if !self.stop {
            for c in std::mem::take(&mut self.conds) {
                self.error(c.at, ".if without .endif");
            }
        }
        self.place_commons();
        self.check_unknown_li();
    }

    pub fn error(&mut self, w: Where, msg: impl Into<String>) {
        let e = self.located(w, msg.into());
        self.errors.push(((w.line.file, w.line.line, e.col), e));
    }

    pub fn warning(&mut self, w: Where, msg: impl Into<String>) {
        let e = self.located(w, msg.into());
        self.warnings.push(e);
    }

    fn located(&self, w: Where, message: String) -> Error {
        let text = self.src.line_text(w.line);
        let at = (w.at as usize).min(text.len());
        let col = text.get(..at).map_or(at, |s| s.chars().count()) as u32 + 1;
        let file = self
            .src
            .files
            .get(w.line.file as usize)
            .map_or_else(String::new, |f| f.name.clone());
        // A line of a macro body is named by its own place (where the
        // caret points) and by the invocation in the student's file.
        let invoked_from = self
            .frames
            .iter()
            .find_map(|f| f.origin)
            .filter(|o| (o.file, o.line) != (w.line.file, w.line.line))
            .map(|o| {
                let name = self
                    .src
                    .files
                    .get(o.file as usize)
                    .map_or("", |f| f.name.as_str());
                format!("{name}:{}", o.line)
            });
        Error {
            file,
            line: w.line.line,
            col,
            message,
            source_line: text.to_string(),
            invoked_from,
        }
    }

    /// Every error, in source order (pass-1 and pass-2 errors
    /// interleaved), but an include file that cannot be read first: the
    /// undefined symbols and other errors that follow from it are its
    /// consequences (GNU as stops at it).
    pub fn take_errors(&mut self) -> crate::Errors {
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|(k, _)| *k);
        errors.dedup_by(|a, b| a.1 == b.1);
        errors.sort_by_key(|(_, e)| !e.message.starts_with("include file `"));
        crate::Errors(errors.into_iter().map(|(_, e)| e).collect())
    }

    fn push_frame(&mut self, kind: FrameKind, file: u32, expansion: bool, origin: Option<LineRef>) {
        self.frames.push(Frame {
            kind,
            file,
            in_comment: false,
            expansion,
            rest: false,
            origin,
        });
    }

    fn push_file(&mut self, file: u32) {
        let Some(f) = self.src.files.get(file as usize) else {
            return;
        };
        if f.cpp {
            let mut lines = Vec::new();
            let mut errs = Vec::new();
            crate::cpp::preprocess(&mut self.src, file, &self.opts, &mut lines, &mut errs);
            for (line, at, msg) in errs {
                self.error(Where { line, at }, msg);
            }
            self.push_frame(
                FrameKind::Lines {
                    lines: lines.into(),
                    idx: 0,
                },
                file,
                false,
                None,
            );
        } else {
            let text = f.text;
            self.push_frame(
                FrameKind::File {
                    text,
                    pos: 0,
                    line: 0,
                },
                file,
                false,
                None,
            );
        }
    }

    /// The next line to assemble, from the innermost frame. Counts lines
    /// of expansions against [`MAX_EXPANDED_LINES`].
    fn next_line(&mut self) -> Option<LineRef> {
        loop {
            // A body that grew past the limit while it was substituted
            // (an argument doubling at each level) may have no line left
            // to count: report it here all the same.
            if self.expanded_bytes > MAX_EXPANDED_BYTES && !self.count_expanded(0) {
                return None;
            }
            let frame = self.frames.last_mut()?;
            let file = frame.file;
            let expansion = frame.expansion;
            let mut restarted = false;
            let mut irp_turn = None;
            let next = match &mut frame.kind {
                FrameKind::File { text, pos, line } => {
                    let t = &self.src.texts[*text as usize];
                    if *pos >= t.len() {
                        None
                    } else {
                        let start = *pos;
                        let b = t.as_bytes();
                        let nl = b[start..].iter().position(|&c| c == b'\n');
                        let mut end = nl.map_or(t.len(), |n| start + n);
                        *pos = nl.map_or(t.len(), |n| start + n + 1);
                        if end > start && b[end - 1] == b'\r' {
                            end -= 1;
                        }
                        *line += 1;
                        Some(LineRef {
                            text: *text,
                            start: start as u32,
                            end: end as u32,
                            file,
                            line: *line,
                        })
                    }
                }
                FrameKind::Lines { lines, idx } => {
                    let l = lines.get(*idx).copied();
                    *idx += 1;
                    l
                }
                FrameKind::Repeat { lines, idx, left } => {
                    if *idx >= lines.len() && *left > 0 {
                        *left -= 1;
                        *idx = 0;
                        restarted = true;
                    }
                    let l = lines.get(*idx).copied();
                    *idx += 1;
                    l
                }
                FrameKind::Irp {
                    body,
                    param,
                    values,
                    next,
                    lines,
                    idx,
                } => {
                    if *idx >= lines.len() && *next < values.len() {
                        irp_turn = Some((
                            body.clone(),
                            param.clone(),
                            std::mem::take(&mut values[*next]),
                        ));
                        *next += 1;
                        None
                    } else {
                        let l = lines.get(*idx).copied();
                        *idx += 1;
                        l
                    }
                }
            };
            if let Some((body, param, value)) = irp_turn {
                let values = [value];
                // In `.irp`, `\@` is the number of macros expanded so far.
                let lines = self.substitute_body(&body, &param, &values, self.expansions);
                if let Some(FrameKind::Irp { lines: l, idx, .. }) =
                    self.frames.last_mut().map(|f| &mut f.kind)
                {
                    *l = lines.into();
                    *idx = 0;
                }
                if !self.count_expanded(1) {
                    return None;
                }
                continue;
            }
            if restarted && !self.count_expanded(1) {
                return None;
            }
            match next {
                Some(l) => {
                    if expansion && !self.count_expanded(1) {
                        return None;
                    }
                    return Some(l);
                }
                None => self.pop_frame(),
            }
        }
    }

    /// Counts `n` lines of expansion; past the limit, reports it at the
    /// outermost invocation and stops.
    fn count_expanded(&mut self, n: u64) -> bool {
        self.expanded_lines += n;
        if self.expanded_lines <= MAX_EXPANDED_LINES && self.expanded_bytes <= MAX_EXPANDED_BYTES {
            return true;
        }
        let at = self
            .frames
            .iter()
            .find_map(|f| f.origin)
            .or_else(|| {
                self.frames.iter().rev().find_map(|f| match f.kind {
                    FrameKind::File { text, line, .. } => Some(LineRef {
                        text,
                        start: 0,
                        end: 0,
                        file: f.file,
                        line,
                    }),
                    _ => None,
                })
            })
            .unwrap_or(LineRef {
                text: 0,
                start: 0,
                end: 0,
                file: 0,
                line: 1,
            });
        let what = if self.expanded_bytes > MAX_EXPANDED_BYTES {
            format!("over {} MiB of text", MAX_EXPANDED_BYTES >> 20)
        } else {
            format!("over {MAX_EXPANDED_LINES} lines")
        };
        self.error(
            Where { line: at, at: 0 },
            format!("macro, .rept or .irp expansion too large ({what}: runaway recursion or repetition?)"),
        );
        self.stop = true;
        self.frames.clear();
        false
    }

    /// Pops the innermost frame; an `.if` it opened and did not close is
    /// an error.
    fn pop_frame(&mut self) {
        if let Some(f) = self.frames.pop() {
            if f.rest {
                return;
            }
        }
        let depth = self.frames.len();
        while self.conds.last().is_some_and(|c| c.frame > depth) {
            if let Some(c) = self.conds.pop() {
                self.error(
                    c.at,
                    ".if without .endif (the file or macro ends inside it)",
                );
            }
        }
    }

    /// The depth (`frames.len()` after it) of the frame that owns what a
    /// statement opens now: rest-of-line frames belong to the one below.
    fn owner_depth(&self) -> usize {
        self.frames
            .iter()
            .rposition(|f| !f.rest)
            .map_or(0, |i| i + 1)
    }

    fn expansion_depth(&self) -> usize {
        self.frames.iter().filter(|f| f.expansion).count()
    }

    /// Where the lines of a new expansion stand in the line table: the
    /// outermost invocation.
    fn origin_for(&self, l: LineRef) -> LineRef {
        self.frames.iter().find_map(|f| f.origin).unwrap_or(l)
    }

    fn skipping(&self) -> bool {
        self.conds.last().is_some_and(|c| !c.live)
    }

    /// One source line, split into statements at `;`: each is recorded
    /// into a body, skipped (in a false conditional) or assembled.
    fn line(&mut self, l: LineRef) {
        let text = self.src.texts[l.text as usize].clone();
        let line = text.get(l.start as usize..l.end as usize).unwrap_or("");
        let dialect = self.src.dialect(l.file);
        let mut toks = std::mem::take(&mut self.toks);
        let in_comment = match self.frames.last_mut() {
            Some(f) => &mut f.in_comment,
            None => &mut false,
        };
        let lex_err = tokenize(line, dialect, in_comment, &mut toks);
        self.origin = match self.frames.iter().find_map(|f| f.origin) {
            Some(o) => (o.file, o.line),
            None => (l.file, l.line),
        };
        self.line_abort = false;
        let mut lex_reported = false;
        let mut start = 0;
        for i in 0..=toks.len() {
            if i < toks.len() && toks[i].kind != Tok::Semi {
                continue;
            }
            if i > start {
                let st = &toks[start..i];
                if self.recording.is_some() {
                    self.record(l, line, st);
                } else if self.skipping() {
                    self.skip(l, line, st);
                } else if let Some(e) = &lex_err {
                    if !lex_reported {
                        self.error(Where { line: l, at: e.at }, e.msg.clone());
                        lex_reported = true;
                    }
                } else {
                    let depth = self.frames.len();
                    if let Err((at, msg)) = self.statement(l, line, st) {
                        self.error(Where { line: l, at }, msg);
                    }
                    if self.stop || self.line_abort {
                        break;
                    }
                    // A statement that pushed a frame (a macro, `.rept`,
                    // `.include`) runs it before the rest of the line.
                    if self.frames.len() > depth && i + 1 < toks.len() {
                        let from = toks[i + 1].start;
                        let rest = LineRef {
                            start: l.start + from,
                            ..l
                        };
                        let origin = self
                            .frames
                            .get(depth.saturating_sub(1))
                            .and_then(|f| f.origin);
                        self.frames.insert(
                            depth,
                            Frame {
                                kind: FrameKind::Lines {
                                    lines: Rc::from([rest]),
                                    idx: 0,
                                },
                                file: l.file,
                                in_comment: false,
                                expansion: false,
                                rest: true,
                                origin,
                            },
                        );
                        break;
                    }
                }
            }
            if self.stop || self.line_abort {
                break;
            }
            start = i + 1;
        }
        self.toks = toks;
    }

    /// The first word of a statement after its labels, lowercased, and
    /// the index of its token.
    fn first_word(line: &str, t: &[Token]) -> Option<(String, usize)> {
        let mut i = 0;
        while t.len() >= i + 2
            && t[i + 1].kind == Tok::Punct(b':')
            && matches!(t[i].kind, Tok::Ident | Tok::Num(_))
        {
            i += 2;
        }
        let w = t.get(i).filter(|w| w.kind == Tok::Ident)?;
        Some((tok_text(line, w).to_ascii_lowercase(), i))
    }

    /// A statement inside a body being recorded: the closing `.endm` or
    /// `.endr` (at nesting depth 0) ends the recording.
    fn record(&mut self, l: LineRef, line: &str, toks: &[Token]) {
        let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
            return;
        };
        // The first statement of a line keeps its indentation, so that
        // columns in errors are the source's.
        let lead = line
            .get(..first.start as usize)
            .is_some_and(|s| s.bytes().all(|c| c == b' ' || c == b'\t'));
        let piece = LineRef {
            start: l.start + if lead { 0 } else { first.start },
            end: l.start + last.end,
            ..l
        };
        let word = Self::first_word(line, toks);
        let Some(rec) = self.recording.as_mut() else {
            return;
        };
        let is_macro = matches!(rec.kind, RecKind::Macro { .. });
        let (opens, closes) = match word.as_ref().map(|(w, _)| w.as_str()) {
            Some(".macro") => (is_macro, false),
            Some(".rept" | ".rep" | ".irp" | ".irpc" | ".irep" | ".irepc") => (!is_macro, false),
            Some(".endm") => (false, is_macro),
            Some(".endr") => (false, !is_macro),
            _ => (false, false),
        };
        if opens {
            rec.depth += 1;
        } else if closes {
            if rec.depth == 0 {
                // Labels before the closing directive stay in the body.
                if let Some((_, k)) = word {
                    if k > 0 {
                        rec.body.push(LineRef {
                            end: l.start + toks[k - 1].end,
                            ..piece
                        });
                    }
                }
                self.finish_recording(l);
                return;
            }
            rec.depth -= 1;
        }
        rec.body.push(piece);
    }

    fn finish_recording(&mut self, l: LineRef) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        let body: Rc<[LineRef]> = rec.body.into();
        match rec.kind {
            RecKind::Macro { name, params } => {
                if self.macros.contains_key(name.as_str()) {
                    self.error(rec.at, format!("macro `{name}` is already defined"));
                    return;
                }
                self.macro_initials |= initial_bit(&name);
                self.macros
                    .insert(name.into(), Rc::new(Macro { params, body }));
            }
            RecKind::Rept { count } => {
                if count == 0 {
                    return;
                }
                if self.expansion_depth() >= MAX_EXPANSION_DEPTH {
                    self.error(rec.at, "expansions nested too deeply (over 200 levels)");
                    return;
                }
                let origin = self.frames.iter().find_map(|f| f.origin);
                self.push_frame(
                    FrameKind::Repeat {
                        lines: body,
                        idx: 0,
                        left: count - 1,
                    },
                    l.file,
                    true,
                    origin,
                );
            }
            RecKind::Irp { param, values } => {
                if self.expansion_depth() >= MAX_EXPANSION_DEPTH {
                    self.error(rec.at, "expansions nested too deeply (over 200 levels)");
                    return;
                }
                let origin = self.frames.iter().find_map(|f| f.origin);
                self.push_frame(
                    FrameKind::Irp {
                        body,
                        param,
                        values,
                        next: 0,
                        lines: Rc::from([]),
                        idx: 0,
                    },
                    l.file,
                    true,
                    origin,
                );
            }
        }
    }

    /// A statement in a false conditional: only the conditional
    /// directives count (for nesting, and `.else`/`.elseif`/`.endif`).
    fn skip(&mut self, l: LineRef, line: &str, t: &[Token]) {
        let Some((word, k)) = Self::first_word(line, t) else {
            return;
        };
        if let Some(Err((at, msg))) = self.conditional(l, line, &word, t[k].start, &t[k + 1..]) {
            self.error(Where { line: l, at }, msg);
        }
    }

    /// The conditional directives; `None` if `word` is none of them.
    /// In a false conditional, a nested `.if` is not evaluated.
    fn conditional(
        &mut self,
        l: LineRef,
        line: &str,
        word: &str,
        at: u32,
        args: &[Token],
    ) -> Option<PResult<()>> {
        let here = Where { line: l, at };
        let arg_at = args.first().map_or(end_of(line, args), |t| t.start);
        let raw = match (args.first(), args.last()) {
            (Some(a), Some(b)) => &line[a.start as usize..b.end as usize],
            _ => "",
        };
        match word {
            ".if" | ".ifdef" | ".ifndef" | ".ifnotdef" | ".ifc" | ".ifnc" | ".ifeqs" | ".ifnes"
            | ".ifb" | ".ifnb" | ".ifeq" | ".ifne" | ".ifge" | ".ifgt" | ".ifle" | ".iflt" => {
                let live = !self.skipping();
                let v = if live {
                    match self.condition(line, word, args, raw, arg_at) {
                        Ok(v) => v,
                        Err(e) => {
                            self.conds.push(Cond {
                                frame: self.owner_depth(),
                                parent_live: true,
                                live: false,
                                done: true,
                                else_seen: false,
                                at: here,
                            });
                            return Some(Err(e));
                        }
                    }
                } else {
                    false
                };
                self.conds.push(Cond {
                    frame: self.owner_depth(),
                    parent_live: live,
                    live: v,
                    done: v || !live,
                    else_seen: false,
                    at: here,
                });
                Some(Ok(()))
            }
            ".elseif" => {
                let Some(c) = self.conds.last() else {
                    return Some(Err((at, ".elseif without .if".into())));
                };
                if c.else_seen {
                    return Some(Err((at, ".elseif after .else".into())));
                }
                let (parent_live, done) = (c.parent_live, c.done);
                let v = if parent_live && !done {
                    match self.condition(line, ".if", args, raw, arg_at) {
                        Ok(v) => v,
                        Err(e) => return Some(Err(e)),
                    }
                } else {
                    false
                };
                if let Some(c) = self.conds.last_mut() {
                    c.live = v;
                    c.done |= v;
                }
                Some(Ok(()))
            }
            ".else" => {
                let Some(c) = self.conds.last_mut() else {
                    return Some(Err((at, ".else without .if".into())));
                };
                if c.else_seen {
                    return Some(Err((at, "duplicate .else".into())));
                }
                c.live = c.parent_live && !c.done;
                c.done = true;
                c.else_seen = true;
                Some(Ok(()))
            }
            ".endif" | ".endc" => {
                if self.conds.pop().is_none() {
                    return Some(Err((at, ".endif without .if".into())));
                }
                Some(Ok(()))
            }
            _ => None,
        }
    }

    /// Evaluates the condition of `.if`-family directive `word`.
    fn condition(
        &mut self,
        line: &str,
        word: &str,
        args: &[Token],
        raw: &str,
        arg_at: u32,
    ) -> PResult<bool> {
        match word {
            ".ifdef" | ".ifndef" | ".ifnotdef" => {
                let [t] = args else {
                    return Err((arg_at, format!("{word} takes one symbol name")));
                };
                if t.kind != Tok::Ident {
                    return Err((t.start, format!("{word} takes one symbol name")));
                }
                let name = tok_text(line, t);
                let defined = self
                    .symtab
                    .index
                    .get(name)
                    .is_some_and(|&id| self.symtab.syms[id as usize].def != Def::Undef);
                Ok(defined == (word == ".ifdef"))
            }
            ".ifb" | ".ifnb" => Ok(raw.trim().is_empty() == (word == ".ifb")),
            ".ifc" | ".ifnc" => {
                // GNU as (`s_ifc`): the first string runs to the first
                // comma, the second to the end; blanks around are dropped,
                // double quotes are kept (and compared).
                let Some((a, b)) = raw.split_once(',') else {
                    return Err((
                        arg_at,
                        format!("{word} needs two strings separated by a comma"),
                    ));
                };
                Ok((ifc_string(a) == ifc_string(b)) == (word == ".ifc"))
            }
            ".ifeqs" | ".ifnes" => {
                let ops = split_commas(args);
                let mut strs = Vec::new();
                for op in &ops {
                    match op {
                        [t] if t.kind == Tok::Str => {
                            let mut v = Vec::new();
                            unescape(tok_text(line, t), &mut v);
                            strs.push(v);
                        }
                        _ => {
                            return Err((
                                op.first().map_or(arg_at, |t| t.start),
                                format!("{word} needs two quoted strings"),
                            ))
                        }
                    }
                }
                match strs.as_slice() {
                    [a, b] => Ok((a == b) == (word == ".ifeqs")),
                    _ => Err((arg_at, format!("{word} needs two quoted strings"))),
                }
            }
            _ => {
                let v = self.const_expr(line, args, "the condition")?;
                Ok(match word {
                    ".if" | ".ifne" => v != 0,
                    ".ifeq" => v == 0,
                    ".ifge" => v >= 0,
                    ".ifgt" => v > 0,
                    ".ifle" => v <= 0,
                    _ => v < 0,
                })
            }
        }
    }

    fn statement(&mut self, l: LineRef, line: &str, mut t: &[Token]) -> PResult<()> {
        // Labels.
        while t.len() >= 2 && t[1].kind == Tok::Punct(b':') {
            match t[0].kind {
                Tok::Ident => self.define_label(tok_text(line, &t[0]), t[0].start)?,
                Tok::Num(n) => self.define_local(n),
                _ => break,
            }
            t = &t[2..];
        }
        let Some(first) = t.first() else {
            return Ok(());
        };
        if first.kind != Tok::Ident {
            return Err((
                first.start,
                format!(
                    "expected an instruction or directive, found `{}`",
                    tok_text(line, first)
                ),
            ));
        }
        let name = tok_text(line, first);
        // `sym = expr`
        if t.get(1).is_some_and(|n| n.kind == Tok::Punct(b'='))
            && t.get(2).is_none_or(|n| n.kind != Tok::Punct(b'='))
        {
            return self.assign(l, line, name, first.start, &t[2..], false);
        }
        if name.starts_with('.') {
            let b = name.as_bytes();
            let cond = |p: &[u8]| b.len() > p.len() && b[1..=p.len()].eq_ignore_ascii_case(p);
            if cond(b"if") || cond(b"else") || cond(b"endif") || cond(b"endc") {
                let lower = name.to_ascii_lowercase();
                if let Some(r) = self.conditional(l, line, &lower, first.start, &t[1..]) {
                    return r;
                }
            }
            return self.directive(l, line, name, first.start, &t[1..]);
        }
        if let Some(m) = self.find_macro(name) {
            return self.expand_macro(l, line, name, &m, &t[1..], first.end);
        }
        self.instruction(l, line, name, first, &t[1..])
    }

    /// A macro by name (case does not matter, as in GNU as).
    fn find_macro(&self, name: &str) -> Option<Rc<Macro>> {
        if self.macro_initials & initial_bit(name) == 0 {
            return None;
        }
        match self.macros.get(name) {
            Some(m) => Some(m.clone()),
            None if name.bytes().any(|c| c.is_ascii_uppercase()) => {
                self.macros.get(name.to_ascii_lowercase().as_str()).cloned()
            }
            None => None,
        }
    }

    fn define_label(&mut self, name: &str, at: u32) -> PResult<()> {
        let id = self.symtab.intern(name);
        let (chunk, off) = (self.cur, self.here());
        let sym = &mut self.symtab.syms[id as usize];
        match sym.def {
            Def::Undef => {
                sym.def = Def::Label { chunk, off };
                Ok(())
            }
            Def::Label { .. } => Err((at, format!("duplicate label `{name}`"))),
            _ => Err((at, format!("`{name}` is already defined as a constant"))),
        }
    }

    fn define_local(&mut self, n: u64) {
        let (chunk, off) = (self.cur, self.here());
        let entry = self.locals.entry(n).or_default();
        let id = match entry.pending.take() {
            Some(id) => id,
            None => self.symtab.new_sym(&n.to_string(), true),
        };
        if let Some(s) = self.symtab.syms.get_mut(id as usize) {
            s.def = Def::Label { chunk, off };
        }
        if let Some(e) = self.locals.get_mut(&n) {
            e.last = Some(id);
        }
    }

    fn here(&self) -> u64 {
        self.chunks.get(self.cur as usize).map_or(0, |c| c.size)
    }

    fn chunk(&mut self) -> &mut Chunk {
        let i = (self.cur as usize).min(self.chunks.len() - 1);
        &mut self.chunks[i]
    }

    fn parse_expr(&mut self, line: &str, toks: &[Token], pos: &mut usize) -> PResult<ExprId> {
        let mut names = NameCtx {
            symtab: &mut self.symtab,
            locals: &mut self.locals,
            chunk: self.cur,
            off: self.chunks.get(self.cur as usize).map_or(0, |c| c.size),
        };
        self.exprs.parse(line, toks, pos, &mut names)
    }

    /// Parses all of `toks` as one expression.
    fn whole_expr(&mut self, line: &str, toks: &[Token]) -> PResult<ExprId> {
        if toks.is_empty() {
            return Err((0, "expected expression".into()));
        }
        let mut pos = 0;
        let e = self.parse_expr(line, toks, &mut pos)?;
        if let Some(extra) = toks.get(pos) {
            return Err((
                extra.start,
                format!("unexpected `{}` after expression", tok_text(line, extra)),
            ));
        }
        Ok(e)
    }

    fn eval1(&self, e: ExprId) -> Result<Val, EvalError> {
        self.exprs.eval(
            e,
            &Pass1 {
                syms: &self.symtab.syms,
            },
            0,
        )
    }

    /// An expression that must be a constant now (alignments, counts).
    fn const_expr(&mut self, line: &str, toks: &[Token], what: &str) -> PResult<i64> {
        let at = toks.first().map_or(end_of(line, toks), |t| t.start);
        let mark = self.exprs.mark();
        let e = self.whole_expr(line, toks)?;
        let v = self.eval1(e);
        self.exprs.truncate(mark);
        match v {
            Ok(Val::Abs(v)) => Ok(v),
            Err(EvalError::DivZero) => Err((at, "division by zero".into())),
            _ => Err((at, format!("{what} must be a constant known at this point"))),
        }
    }

    fn assign(
        &mut self,
        l: LineRef,
        line: &str,
        name: &str,
        at: u32,
        toks: &[Token],
        equiv: bool,
    ) -> PResult<()> {
        let e = self.whole_expr(line, toks)?;
        let def = match self.eval1(e) {
            Ok(Val::Abs(v)) => Def::Const(v),
            Ok(Val::Rel { chunk, off }) => Def::Label {
                chunk,
                off: off as u64,
            },
            Err(EvalError::DivZero) => return Err((at, "division by zero".into())),
            Err(_) => Def::Deferred(e),
        };
        let id = self.symtab.intern(name);
        let sym = &mut self.symtab.syms[id as usize];
        if sym.def != Def::Undef && (!sym.settable || equiv) {
            return Err((at, format!("symbol `{name}` is already defined")));
        }
        sym.def = def;
        sym.settable = true;
        let _ = l;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn expand_macro(
        &mut self,
        l: LineRef,
        line: &str,
        name: &str,
        m: &Macro,
        args: &[Token],
        name_end: u32,
    ) -> PResult<()> {
        if self.expansion_depth() >= MAX_EXPANSION_DEPTH {
            return Err((
                0,
                format!("macro `{name}` nested too deeply (over {MAX_EXPANSION_DEPTH} levels: recursive?)"),
            ));
        }
        let raw = match (args.first(), args.last()) {
            (Some(a), Some(b)) => &line[a.start as usize..b.end as usize],
            _ => "",
        };
        let arg_at = args.first().map_or(name_end, |t| t.start);
        let scrubbed = macros::scrub(raw);
        let alt = self.altmacro;
        let values = {
            let mut percent = |s: &str| self.percent_expr(s);
            macros::parse_args(&scrubbed, &m.params, alt, Some(&mut percent))
        }
        .map_err(|(o, msg)| {
            let map = macros::scrub_mapped(raw).1;
            let at = (o..scrubbed.len())
                .find_map(|k| map.get(k).copied())
                .map_or(arg_at, |k| {
                    args.first().map_or(arg_at, |t| t.start) + k as u32
                });
            (at, format!("macro `{name}`: {msg}"))
        })?;
        // `\@` is the number of macros expanded before this one.
        let counter = self.expansions;
        self.expansions += 1;
        let lines = self.substitute_body(&m.body, &m.params, &values, counter);
        let origin = self.origin_for(l);
        self.push_frame(
            FrameKind::Lines {
                lines: lines.into(),
                idx: 0,
            },
            l.file,
            true,
            Some(origin),
        );
        Ok(())
    }

    /// A body with `values` put in for `params` (one new text per line),
    /// counted against [`MAX_EXPANDED_BYTES`].
    fn substitute_body(
        &mut self,
        body: &[LineRef],
        params: &[Param],
        values: &[String],
        counter: u64,
    ) -> Vec<LineRef> {
        let mut subst = Subst {
            params,
            values,
            counter,
            alt: self.altmacro,
            locals: Vec::new(),
        };
        let mut lines = Vec::with_capacity(body.len());
        for b in body {
            let text = self.src.line_text(*b);
            let Some(new) = subst.line(text, &mut self.local_labels) else {
                continue;
            };
            self.expanded_bytes += new.len() as u64 + 16;
            if self.expanded_bytes > MAX_EXPANDED_BYTES {
                break;
            }
            let len = new.len() as u32;
            let id = self.src.add_text(new);
            lines.push(LineRef {
                text: id,
                start: 0,
                end: len,
                file: b.file,
                line: b.line,
            });
        }
        lines
    }

    /// `%expr` in an alternate-mode macro argument: its value and the
    /// bytes it took.
    fn percent_expr(&mut self, s: &str) -> Result<(i64, usize), String> {
        let mut toks = Vec::new();
        let mut c = false;
        tokenize(
            s,
            crate::lexer::Dialect {
                slash_comments: false,
            },
            &mut c,
            &mut toks,
        );
        let mark = self.exprs.mark();
        let mut pos = 0;
        let r = self.parse_expr(s, &toks, &mut pos).map_err(|(_, m)| m);
        let v = r.map(|e| self.eval1(e));
        self.exprs.truncate(mark);
        match v? {
            Ok(Val::Abs(v)) => Ok((
                v,
                toks.get(pos.wrapping_sub(1)).map_or(0, |t| t.end as usize),
            )),
            _ => Err("% operator needs an absolute expression".into()),
        }
    }

    /// `.comm`/`.lcomm` symbols get their places: local ones at the end of
    /// `.bss`, common ones in a section of their own after every `.bss`
    /// input section (where `link.ld` puts `COMMON`), in source order.
    fn place_commons(&mut self) {
        let commons = std::mem::take(&mut self.commons);
        let mut common_chunk = None;
        for c in commons {
            let chunk = if c.local {
                2
            } else {
                *common_chunk.get_or_insert_with(|| {
                    self.chunks.push(Chunk {
                        name: "COMMON".into(),
                        class: Class::Bss,
                        align: 1,
                        data: Vec::new(),
                        size: 0,
                        content: 0,
                    });
                    self.chunks.len() - 1
                })
            };
            let Some(ch) = self.chunks.get_mut(chunk) else {
                continue;
            };
            ch.align = ch.align.max(c.align);
            let off = ch.size.next_multiple_of(c.align.max(1));
            ch.size = off + c.size;
            if let Some(s) = self.symtab.syms.get_mut(c.sym as usize) {
                if s.def == Def::Undef {
                    s.def = Def::Label {
                        chunk: chunk as u16,
                        off,
                    };
                }
            }
        }
    }

    /// Reports each `li` whose value was not known: an undefined symbol
    /// if it has one, else that the value must come first.
    fn check_unknown_li(&mut self) {
        for (w, e) in std::mem::take(&mut self.unknown_li) {
            let msg = match self.first_undefined(e) {
                Some(name) => format!(
                    "undefined symbol `{name}` (li needs a constant: define it with .equ, or use la for an address)"
                ),
                None => "li immediate must be a constant known at this point (define it with .equ before use, or use la for addresses)".to_string(),
            };
            self.error(w, msg);
        }
    }

    /// The first symbol in expression `e` that is never defined.
    fn first_undefined(&self, e: ExprId) -> Option<String> {
        let mut stack = vec![e];
        let mut steps = 0;
        while let Some(id) = stack.pop() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            match self.exprs.nodes.get(id as usize)? {
                Node::Sym(s) => {
                    let sym = self.symtab.syms.get(*s as usize)?;
                    match sym.def {
                        Def::Undef => return Some(sym.name.to_string()),
                        Def::Deferred(d) => stack.push(d),
                        _ => {}
                    }
                }
                Node::Neg(a) | Node::Not(a) | Node::LNot(a) => stack.push(*a),
                Node::Bin(_, a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                _ => {}
            }
        }
        None
    }

    // ---- sections and emission ----

    fn switch_section(&mut self, name: &str, class: Class) {
        let id = match self.chunks.iter().position(|c| &*c.name == name) {
            Some(i) => i,
            None => {
                self.chunks.push(Chunk {
                    name: name.into(),
                    class,
                    align: 1,
                    data: Vec::new(),
                    size: 0,
                    content: 0,
                });
                self.chunks.len() - 1
            }
        };
        self.cur = id as u16;
    }

    /// Notes in the line table that what is emitted next comes from the
    /// current statement's line.
    fn mark(&mut self, code: bool) {
        let chunk = self.cur;
        if self
            .chunks
            .get(chunk as usize)
            .is_none_or(|c| c.class == Class::Bss)
        {
            return;
        }
        let (file, line) = self.origin;
        if let Some(m) = self.line_marks.last() {
            if m.chunk == chunk && m.file == file && m.line == line && m.code == code {
                return;
            }
        }
        let off = self.here();
        self.line_marks.push(LineMark {
            chunk,
            off,
            file,
            line,
            code,
        });
    }

    fn emit_bytes(&mut self, bytes: &[u8], at: u32) -> PResult<()> {
        self.mark(false);
        self.put_bytes(bytes, at)
    }

    /// An instruction's bytes: a row of the line table that is code.
    fn emit_code(&mut self, bytes: &[u8], at: u32) -> PResult<()> {
        self.mark(true);
        self.put_bytes(bytes, at)
    }

    fn put_bytes(&mut self, bytes: &[u8], at: u32) -> PResult<()> {
        let c = self.chunk();
        if c.class == Class::Bss {
            if bytes.iter().any(|&b| b != 0) {
                return Err((
                    at,
                    "non-zero data in .bss (only .zero/.space may go there)".into(),
                ));
            }
        } else {
            c.data.extend_from_slice(bytes);
        }
        c.size += bytes.len() as u64;
        Ok(())
    }

    fn emit_fill(&mut self, len: u64, byte: u8, at: u32) -> PResult<()> {
        if len > MAX_SIZE {
            return Err((at, format!("size {len} is too large (over 1 GiB)")));
        }
        self.mark(false);
        let c = self.chunk();
        if c.class == Class::Bss {
            if byte != 0 {
                return Err((at, "non-zero data in .bss".into()));
            }
        } else {
            c.data.resize(c.data.len() + len as usize, byte);
        }
        c.size += len;
        Ok(())
    }

    fn emit_insn(&mut self, insn: Insn, at: u32) -> PResult<()> {
        if self.chunk().class == Class::Bss {
            return Err((at, "instruction in .bss".into()));
        }
        let w = isa::encode(&insn);
        self.emit_word(w, at)
    }

    /// An instruction word, compressed where GNU as would write it
    /// compressed (C on, and the spelling allows it).
    fn emit_word(&mut self, w: u32, at: u32) -> PResult<()> {
        match self.compressed_form(w) {
            Some(p) => self.emit_code(&p.to_le_bytes(), at),
            None => self.emit_code(&w.to_le_bytes(), at),
        }
    }

    fn compressed_form(&self, w: u32) -> Option<u16> {
        if !self.rvc {
            return None;
        }
        match self.spelling {
            Spelling::Any => cpu::rvc::compress(w),
            Spelling::Never => None,
            Spelling::AddImm => {
                let i = isa::decode(w).ok()?;
                if i.rd != 0 && i.rs1 == i.rd && (-32..32).contains(&i.imm) {
                    // binutils' `add d,CU,Co` row: c.addi, 0 included.
                    let v = i.imm as u16;
                    return Some(0x0001 | (i.rd as u16) << 7 | (v >> 5 & 1) << 12 | (v & 31) << 2);
                }
                let p = cpu::rvc::compress(w)?;
                let name = cpu::rvc::row(p)?.name;
                matches!(name, "c.addi4spn" | "c.addi16sp").then_some(p)
            }
        }
    }

    /// Emits `insn` with its immediate (field `field`) from `imm`: now if
    /// it is known, else through a fixup.
    fn emit_with(&mut self, l: LineRef, mut insn: Insn, field: Field, imm: Imm) -> PResult<()> {
        if matches!(imm.reloc, Reloc::Abs | Reloc::Hi | Reloc::Lo)
            && field != Field::B
            && field != Field::J
        {
            if let Ok(Val::Abs(v)) = self.eval1(imm.expr) {
                let v =
                    field_value(field, imm.reloc, v, 0, Some(insn.op)).map_err(|m| (imm.at, m))?;
                let w = patch(isa::encode(&insn), field, v);
                // GNU as compresses only an instruction whose operands are
                // plain constants (no %hi/%lo).
                let emitted = if imm.reloc == Reloc::Abs {
                    self.emit_word(w, imm.at)
                } else {
                    self.emit_code(&w.to_le_bytes(), imm.at)
                };
                return emitted.and_then(|()| {
                    if self.chunks[self.cur as usize].class == Class::Bss {
                        Err((imm.at, "instruction in .bss".into()))
                    } else {
                        Ok(())
                    }
                });
            }
        }
        if self.chunk().class == Class::Bss {
            return Err((imm.at, "instruction in .bss".into()));
        }
        let (chunk, off) = (self.cur, self.here());
        self.fixups.push(Fixup {
            chunk,
            off,
            field,
            reloc: imm.reloc,
            expr: imm.expr,
            at: Where {
                line: l,
                at: imm.at,
            },
            op: Some(insn.op),
        });
        insn.imm = 0;
        if field == Field::Uimm5 {
            insn.rs1 = 0;
        }
        // Filled in later: never compressed (GNU as compresses only what
        // it knows at this point).
        self.emit_code(&isa::encode(&insn).to_le_bytes(), imm.at)
    }

    /// A fixup for the instruction about to be emitted here.
    fn push_fixup(&mut self, l: LineRef, field: Field, imm: Imm, op: Option<Op>) {
        let (chunk, off) = (self.cur, self.here());
        self.fixups.push(Fixup {
            chunk,
            off,
            field,
            reloc: imm.reloc,
            expr: imm.expr,
            at: Where {
                line: l,
                at: imm.at,
            },
            op,
        });
    }

    fn emit_data(&mut self, l: LineRef, size: u8, e: ExprId, at: u32) -> PResult<()> {
        match self.eval1(e) {
            Ok(Val::Abs(v)) => {
                let v =
                    field_value(Field::Data(size), Reloc::Abs, v, 0, None).map_err(|m| (at, m))?;
                self.emit_bytes(&v.to_le_bytes()[..size as usize], at)
            }
            Err(EvalError::DivZero) => Err((at, "division by zero".into())),
            _ => {
                if self.chunk().class == Class::Bss {
                    return Err((at, "non-zero data in .bss".into()));
                }
                let (chunk, off) = (self.cur, self.here());
                self.fixups.push(Fixup {
                    chunk,
                    off,
                    field: Field::Data(size),
                    reloc: Reloc::Abs,
                    expr: e,
                    at: Where { line: l, at },
                    op: None,
                });
                self.emit_fill(size as u64, 0, at)
            }
        }
    }

    /// Pads to a multiple of `align` bytes: with `fill`, or in code with
    /// GNU as's padding (a zero byte to an even offset, `c.nop` to a
    /// multiple of 4, then `nop`s). Skipped if it would take more than
    /// `max` bytes.
    fn align_to(&mut self, align: u64, fill: Option<u8>, max: Option<u64>, at: u32) -> PResult<()> {
        if !align.is_power_of_two() || align > 1 << 32 {
            return Err((at, format!("alignment {align} is not a power of two")));
        }
        // The section is padded to its alignment at the end too (GNU as
        // does), so an alignment over the size limit is refused even where
        // it pads nothing yet: no guest has RAM to hold it.
        if align > MAX_SIZE {
            return Err((at, format!("alignment {align} is too large (over 1 GiB)")));
        }
        let min_insn = if self.rvc { 2 } else { 4 };
        let c = self.chunk();
        c.align = c.align.max(align);
        let pad = c.size.wrapping_neg() & (align - 1);
        if pad == 0 || max.is_some_and(|m| pad > m) {
            return Ok(());
        }
        if c.class == Class::Text && fill.is_none() {
            // GNU as (riscv_frag_align_code): code is never aligned to
            // less than an instruction (2 bytes with C, else 4), so such a
            // request pads nothing.
            if align <= min_insn {
                return Ok(());
            }
            let end = c.size + pad;
            self.mark(false);
            pad_code(self.chunk(), end);
            Ok(())
        } else {
            self.emit_fill(pad, fill.unwrap_or(0), at)
        }
    }

    /// Pass 1's last step: code sections end padded to their alignment, as
    /// GNU as leaves them.
    pub fn finish_sections(&mut self) {
        for c in &mut self.chunks {
            c.content = c.size;
            if c.class == Class::Text {
                let end = c.size.next_multiple_of(c.align.max(1));
                pad_code(c, end);
            }
        }
    }
}

/// LEB128 (DWARF 5, 7.6): 7 bits a byte, low first; unsigned, or signed
/// (two's complement, sign-extended from the last byte's bit 6).
fn leb128(v: i64, signed: bool, out: &mut Vec<u8>) {
    if signed {
        let mut v = v;
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
            out.push(if done { byte } else { byte | 0x80 });
            if done {
                break;
            }
        }
    } else {
        let mut v = v as u64;
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            out.push(if v == 0 { byte } else { byte | 0x80 });
            if v == 0 {
                break;
            }
        }
    }
}

fn pad_code(c: &mut Chunk, end: u64) {
    while c.size < end {
        let bytes: &[u8] = if c.size % 2 == 1 {
            &[0]
        } else if c.size % 4 == 2 || end - c.size < 4 {
            &[0x01, 0x00]
        } else {
            &[0x13, 0, 0, 0]
        };
        c.data.extend_from_slice(bytes);
        c.size += bytes.len() as u64;
    }
}

/// The bit of [`Asm::macro_initials`] for a name.
fn initial_bit(name: &str) -> u64 {
    name.as_bytes()
        .first()
        .map_or(0, |c| 1 << (c.to_ascii_lowercase() & 63))
}

/// A string of `.ifc`: blanks around it dropped; `'...'` quoting as in
/// GNU as's `get_mri_string` (doubled quotes stand for one).
fn ifc_string(s: &str) -> String {
    let t = s.trim_matches([' ', '\t']);
    if let Some(inner) = t.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(c);
        }
        return out;
    }
    t.to_string()
}

// ---- directives ----

impl Asm {
    fn directive(
        &mut self,
        l: LineRef,
        line: &str,
        name: &str,
        at: u32,
        args: &[Token],
    ) -> PResult<()> {
        let lower;
        let name = if name.bytes().any(|c| c.is_ascii_uppercase()) {
            lower = name.to_ascii_lowercase();
            lower.as_str()
        } else {
            name
        };
        let ops = || split_commas(args);
        let arg_at = args.first().map_or(end_of(line, args), |t| t.start);
        match name {
            ".text" => self.switch_section(".text", Class::Text),
            ".data" => self.switch_section(".data", Class::Data),
            ".bss" => self.switch_section(".bss", Class::Bss),
            ".rodata" => self.switch_section(".rodata", Class::Rodata),
            ".section" | ".pushsection" => {
                if name == ".pushsection" {
                    self.section_stack.push(self.cur);
                }
                self.section(line, args, arg_at)?;
            }
            ".popsection" => match self.section_stack.pop() {
                Some(c) => self.cur = c,
                None => return Err((at, ".popsection without .pushsection".into())),
            },
            ".globl" | ".global" | ".weak" | ".local" | ".hidden" | ".protected" => {
                for op in ops() {
                    let [t] = op else {
                        return Err((
                            op.first().map_or(arg_at, |t| t.start),
                            "expected a symbol name".into(),
                        ));
                    };
                    if t.kind != Tok::Ident {
                        return Err((t.start, "expected a symbol name".into()));
                    }
                    let id = self.symtab.intern(tok_text(line, t));
                    let sym = &mut self.symtab.syms[id as usize];
                    if matches!(name, ".globl" | ".global" | ".weak") {
                        sym.global = true;
                        sym.weak |= name == ".weak";
                    } else if name == ".local" {
                        sym.local = true;
                        sym.global = false;
                    }
                }
            }
            ".type" => {
                let ops = ops();
                if let (Some([s]), Some(kind)) = (ops.first(), ops.get(1)) {
                    let kind_text = kind.last().map_or("", |k| tok_text(line, k));
                    let id = self.symtab.intern(tok_text(line, s));
                    self.symtab.syms[id as usize].kind = match kind_text {
                        "function" => SymKind::Func,
                        "object" => SymKind::Object,
                        _ => SymKind::NoType,
                    };
                }
            }
            ".attribute" => {
                // `.attribute arch, "rv64i2p1_m2p0_a2p1_c2p0"` (or tag 5)
                // sets the ISA as `.option arch` does: GNU as turns C on or
                // off by it (GCC writes one at the top of its output).
                let ops = ops();
                let tag = ops.first().map(|o| {
                    let (a, b) = (o[0].start as usize, o[o.len() - 1].end as usize);
                    line[a..b].trim().to_ascii_lowercase()
                });
                if matches!(tag.as_deref(), Some("arch" | "tag_riscv_arch" | "5")) {
                    if let Some([t]) = ops.get(1) {
                        if t.kind == Tok::Str {
                            let mut b = Vec::new();
                            unescape(tok_text(line, t), &mut b);
                            let arch = String::from_utf8_lossy(&b).into_owned();
                            let c = cpu::image::arch_has_extension(&arch, 'c');
                            self.rvc = c;
                            self.rvc_used |= c;
                        }
                    }
                }
            }
            ".size" | ".file" | ".ident" | ".cfi_startproc" | ".cfi_endproc" | ".addrsig"
            | ".loc" => {}
            ".option" => {
                let word = args.first().map(|t| tok_text(line, t)).unwrap_or("");
                match word {
                    "push" => {
                        if self.option_stack.len() >= 1 << 16 {
                            return Err((arg_at, ".option push nested too deep".into()));
                        }
                        self.option_stack.push(self.rvc);
                    }
                    "pop" => match self.option_stack.pop() {
                        Some(rvc) => self.rvc = rvc,
                        None => {
                            return Err((arg_at, ".option pop without .option push".into()));
                        }
                    },
                    "rvc" => {
                        self.rvc = true;
                        self.rvc_used = true;
                    }
                    "norvc" => self.rvc = false,
                    "arch" => self.option_arch(line, &args[1..], arg_at)?,
                    "relax" | "norelax" | "pic" | "nopic" | "csr-check" | "no-csr-check" => {}
                    _ => return Err((arg_at, format!("unknown .option `{word}`"))),
                }
            }
            ".align" | ".p2align" | ".balign" => {
                let ops = ops();
                let first = ops.first().copied().unwrap_or(&[]);
                let n = self.const_expr(line, first, "alignment")?;
                let align = if name == ".balign" {
                    n as u64
                } else {
                    if !(0..=32).contains(&n) {
                        return Err((arg_at, format!("alignment 2^{n} is too large")));
                    }
                    1u64 << n
                };
                let fill = match ops.get(1) {
                    Some(t) if !t.is_empty() => Some(self.const_expr(line, t, "fill value")? as u8),
                    _ => None,
                };
                let max = match ops.get(2) {
                    Some(t) if !t.is_empty() => Some(self.const_expr(line, t, "maximum")? as u64),
                    _ => None,
                };
                self.align_to(align.max(1), fill, max, arg_at)?;
            }
            ".byte" => self.data(l, line, args, 1)?,
            ".half" | ".short" | ".2byte" => self.data(l, line, args, 2)?,
            ".word" | ".long" | ".int" | ".4byte" => self.data(l, line, args, 4)?,
            ".dword" | ".quad" | ".8byte" => self.data(l, line, args, 8)?,
            ".ascii" | ".asciz" | ".string" => {
                if args.is_empty() {
                    return Err((arg_at, "expected a string".into()));
                }
                let mut buf = Vec::new();
                for op in ops() {
                    match op {
                        // Adjacent strings are one (`"ab" "cd"`, as gas).
                        [t, ..] if op.iter().all(|t| t.kind == Tok::Str) => {
                            buf.clear();
                            for s in op {
                                unescape(tok_text(line, s), &mut buf);
                            }
                            if name != ".ascii" {
                                buf.push(0);
                            }
                            let b = std::mem::take(&mut buf);
                            self.emit_bytes(&b, t.start)?;
                            buf = b;
                        }
                        _ => {
                            return Err((
                                op.first().map_or(arg_at, |t| t.start),
                                "expected a string".into(),
                            ))
                        }
                    }
                }
            }
            ".zero" | ".space" | ".skip" => {
                let ops = ops();
                let n = self.const_expr(line, ops.first().copied().unwrap_or(&[]), "size")?;
                if n < 0 {
                    return Err((arg_at, format!("negative size {n}")));
                }
                let fill = match ops.get(1) {
                    Some(t) if name != ".zero" => self.const_expr(line, t, "fill value")? as u8,
                    _ => 0,
                };
                self.emit_fill(n as u64, fill, arg_at)?;
            }
            ".fill" => {
                let ops = ops();
                let n =
                    self.const_expr(line, ops.first().copied().unwrap_or(&[]), "repeat count")?;
                let size = match ops.get(1) {
                    Some(t) => self.const_expr(line, t, "size")?,
                    None => 1,
                };
                let value = match ops.get(2) {
                    Some(t) => self.const_expr(line, t, "value")?,
                    None => 0,
                };
                if n < 0 || !(0..=8).contains(&size) {
                    return Err((arg_at, "bad .fill arguments".into()));
                }
                if (n as u64).saturating_mul(size as u64) > MAX_SIZE {
                    return Err((arg_at, "size is too large (over 1 GiB)".into()));
                }
                // GNU as: a value wider than 4 bytes keeps only its low 4.
                let bytes = value.to_le_bytes();
                let mut item = [0u8; 8];
                let k = (size as usize).min(4);
                item[..k].copy_from_slice(&bytes[..k]);
                for _ in 0..n {
                    self.emit_bytes(&item[..size as usize], arg_at)?;
                }
            }
            ".equ" | ".set" | ".equiv" => {
                let ops = ops();
                match (ops.first(), ops.get(1)) {
                    (Some([s]), Some(e)) if s.kind == Tok::Ident => {
                        let sname = tok_text(line, s);
                        self.assign(l, line, sname, s.start, e, name == ".equiv")?;
                    }
                    _ => return Err((arg_at, format!("expected `{name} NAME, value`"))),
                }
            }
            ".macro" => {
                let Some(first) = args.first().filter(|t| t.kind == Tok::Ident) else {
                    return Err((arg_at, "expected a macro name".into()));
                };
                let mname = tok_text(line, first).to_ascii_lowercase();
                let rest = args
                    .last()
                    .map_or("", |t| &line[first.end as usize..t.end as usize]);
                let params =
                    macros::parse_params(rest).map_err(|(o, m)| (first.end + o as u32, m))?;
                self.recording = Some(Recording {
                    kind: RecKind::Macro {
                        name: mname,
                        params,
                    },
                    body: Vec::new(),
                    depth: 0,
                    at: Where { line: l, at },
                });
            }
            ".endm" => return Err((at, ".endm without .macro".into())),
            ".endr" => return Err((at, ".endr without .rept or .irp".into())),
            ".rept" | ".rep" => {
                let n = self.const_expr(line, args, "repeat count")?;
                self.recording = Some(Recording {
                    kind: RecKind::Rept {
                        count: n.max(0) as u64,
                    },
                    body: Vec::new(),
                    depth: 0,
                    at: Where { line: l, at },
                });
            }
            ".irp" | ".irpc" | ".irep" | ".irepc" => {
                let raw = match (args.first(), args.last()) {
                    (Some(a), Some(b)) => &line[a.start as usize..b.end as usize],
                    _ => "",
                };
                let chars = name.ends_with('c');
                let (param, values) = macros::parse_irp(&macros::scrub(raw), chars, self.altmacro)
                    .map_err(|(_, m)| (arg_at, m))?;
                let param: Rc<[Param]> = Rc::from([Param {
                    name: param.into(),
                    default: String::new(),
                    required: false,
                    vararg: false,
                }]);
                self.recording = Some(Recording {
                    kind: RecKind::Irp { param, values },
                    body: Vec::new(),
                    depth: 0,
                    at: Where { line: l, at },
                });
            }
            ".exitm" => {
                // Ends the innermost expansion (GNU as: the rest of its
                // input buffer), and the conditionals opened in it.
                match self.frames.iter().rposition(|f| f.expansion) {
                    Some(k) => {
                        self.frames.truncate(k);
                        let depth = self.frames.len();
                        while self.conds.last().is_some_and(|c| c.frame > depth) {
                            self.conds.pop();
                        }
                        self.line_abort = true;
                    }
                    None => self.warning(Where { line: l, at }, "ignoring .exitm outside a macro"),
                }
            }
            ".purgem" => {
                let [t] = args else {
                    return Err((arg_at, "expected a macro name".into()));
                };
                let key = tok_text(line, t).to_ascii_lowercase();
                if self.macros.remove(key.as_str()).is_none() {
                    return Err((
                        t.start,
                        format!("macro `{}` is not defined", tok_text(line, t)),
                    ));
                }
            }
            ".altmacro" => self.altmacro = true,
            ".noaltmacro" => self.altmacro = false,
            ".comm" | ".lcomm" => {
                let ops = ops();
                let Some([s]) = ops.first() else {
                    return Err((arg_at, format!("expected `{name} symbol, size`")));
                };
                if s.kind != Tok::Ident {
                    return Err((s.start, "expected a symbol name".into()));
                }
                let size_at = ops
                    .get(1)
                    .and_then(|o| o.first())
                    .map_or(arg_at, |t| t.start);
                let size = self.const_expr(line, ops.get(1).copied().unwrap_or(&[]), "size")?;
                if !(0..=MAX_SIZE as i64).contains(&size) {
                    return Err((size_at, format!("bad size {size}")));
                }
                let id = self.symtab.intern(tok_text(line, s));
                let sym = &self.symtab.syms[id as usize];
                if sym.def != Def::Undef || self.commons.iter().any(|c| c.sym == id) {
                    return Err((s.start, format!("symbol `{}` is already defined", sym.name)));
                }
                let local = name == ".lcomm" || sym.local;
                let align = match ops.get(2) {
                    Some(t) if name == ".comm" => {
                        let a = self.const_expr(line, t, "alignment")?;
                        if a < 0 || !(a as u64).is_power_of_two() && a != 0 || a > 1 << 16 {
                            return Err((
                                t.first().map_or(arg_at, |t| t.start),
                                format!("alignment {a} is not a power of two"),
                            ));
                        }
                        (a as u64).max(1)
                    }
                    Some(t) => {
                        return Err((
                            t.first().map_or(arg_at, |t| t.start),
                            "junk at end of line (.lcomm takes symbol, size)".into(),
                        ))
                    }
                    // GNU as: TC_IMPLICIT_LCOMM_ALIGNMENT for local ones;
                    // a common symbol is aligned to its size's power of
                    // two, at most 16.
                    None if local => match size {
                        8.. => 8,
                        4.. => 4,
                        2.. => 2,
                        _ => 1,
                    },
                    None => (size as u64).max(1).next_power_of_two().min(16),
                };
                let sym = &mut self.symtab.syms[id as usize];
                sym.kind = SymKind::Object;
                if !local {
                    sym.global = true;
                }
                self.commons.push(CommonSym {
                    sym: id,
                    size: size as u64,
                    align,
                    local,
                });
            }
            ".uleb128" | ".sleb128" => {
                if args.is_empty() {
                    return Err((arg_at, "expected a value".into()));
                }
                for op in ops() {
                    let v = self.const_expr(line, op, "the value of .uleb128/.sleb128")?;
                    let at = op.first().map_or(arg_at, |t| t.start);
                    let mut bytes = Vec::with_capacity(10);
                    leb128(v, name == ".sleb128", &mut bytes);
                    self.emit_bytes(&bytes, at)?;
                }
            }
            ".include" => {
                let [t] = args else {
                    return Err((arg_at, "expected .include \"file\"".into()));
                };
                if t.kind != Tok::Str {
                    return Err((t.start, "expected .include \"file\"".into()));
                }
                let mut buf = Vec::new();
                unescape(tok_text(line, t), &mut buf);
                let inc = String::from_utf8_lossy(&buf).into_owned();
                self.include(l, &inc, t.start)?;
            }
            ".end" => self.stop = true,
            ".error" | ".err" => {
                let msg = match args {
                    [t] if t.kind == Tok::Str => {
                        let mut buf = Vec::new();
                        unescape(tok_text(line, t), &mut buf);
                        String::from_utf8_lossy(&buf).into_owned()
                    }
                    _ => ".error directive invoked".into(),
                };
                return Err((at, msg));
            }
            _ => {
                if let Some(m) = self.find_macro(name) {
                    let name_end = at + name.len() as u32;
                    return self.expand_macro(l, line, name, &m, args, name_end);
                }
                return Err((at, format!("unknown directive `{name}`")));
            }
        }
        Ok(())
    }

    /// `.option arch, +c` / `-c` / `rv64imac_zicsr_zifencei` (a list of
    /// `+ext`/`-ext`, or a whole ISA string): only C can change here, the
    /// other extensions this machine has are accepted and stay.
    fn option_arch(&mut self, line: &str, args: &[Token], at: u32) -> PResult<()> {
        let Some(comma) = args.first().filter(|t| t.kind == Tok::Punct(b',')) else {
            return Err((
                at,
                "expected `.option arch, +ext` or `.option arch, ISA`".into(),
            ));
        };
        let end = args.last().map_or(comma.end, |t| t.end) as usize;
        let text = line.get(comma.end as usize..end).unwrap_or("");
        for item in text.split(',').map(str::trim) {
            let (sign, ext) = match item.as_bytes().first() {
                Some(b'+') => (Some(true), &item[1..]),
                Some(b'-') => (Some(false), &item[1..]),
                _ => (None, item),
            };
            match (sign, ext.trim()) {
                (Some(on), "c") => {
                    self.rvc = on;
                    self.rvc_used |= on;
                }
                (Some(true), "i" | "m" | "a" | "zicsr" | "zifencei") => {}
                (Some(_), other) => {
                    return Err((
                        at,
                        format!("extension `{other}` cannot be turned on or off here (this machine is rv64ima_zicsr_zifencei, with or without c)"),
                    ))
                }
                (None, isa) => {
                    let c = crate::parse_march(isa).map_err(|m| (at, m))?;
                    self.rvc = c;
                    self.rvc_used |= c;
                }
            }
        }
        Ok(())
    }

    fn section(&mut self, line: &str, args: &[Token], arg_at: u32) -> PResult<()> {
        let ops = split_commas(args);
        let Some(first) = ops.first().filter(|o| !o.is_empty()) else {
            return Err((arg_at, "expected a section name".into()));
        };
        let name = match first {
            [t] if t.kind == Tok::Str => {
                let mut b = Vec::new();
                unescape(tok_text(line, t), &mut b);
                String::from_utf8_lossy(&b).into_owned()
            }
            _ => {
                let (a, b) = (first[0].start as usize, first[first.len() - 1].end as usize);
                line[a..b].to_string()
            }
        };
        let flags = ops.get(1).and_then(|o| match o {
            [t] if t.kind == Tok::Str => Some(tok_text(line, t).trim_matches('"').to_string()),
            _ => None,
        });
        let nobits = ops
            .get(2)
            .is_some_and(|o| o.iter().any(|t| tok_text(line, t) == "nobits"));
        let class = Class::of(&name, flags.as_deref(), nobits).ok_or_else(|| (
            arg_at,
            format!(
                "unknown section `{name}`: use .text, .rodata, .data, .bss (or their .NAME.* forms), or give flags"
            ),
        ))?;
        self.switch_section(&name, class);
        Ok(())
    }

    fn data(&mut self, l: LineRef, line: &str, args: &[Token], size: u8) -> PResult<()> {
        if args.is_empty() {
            return Err((end_of(line, args), "expected a value".into()));
        }
        for op in split_commas(args) {
            let at = op.first().map_or(end_of(line, args), |t| t.start);
            let e = self.whole_expr(line, op).map_err(|(a, m)| (a.max(at), m))?;
            self.emit_data(l, size, e, at)?;
        }
        Ok(())
    }

    fn include(&mut self, l: LineRef, inc: &str, at: u32) -> PResult<()> {
        let (dir, name_dir) = match self.src.files.get(l.file as usize) {
            Some(f) => (
                f.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                Path::new(&f.name)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            ),
            None => (PathBuf::new(), PathBuf::new()),
        };
        let stack: Vec<PathBuf> = self
            .frames
            .iter()
            .filter_map(|f| self.src.files.get(f.file as usize).map(|s| s.path.clone()))
            .collect();
        if self
            .frames
            .iter()
            .filter(|f| !f.expansion && !f.rest)
            .count()
            > MAX_INCLUDE_DEPTH
        {
            return Err((
                at,
                format!("includes nested too deeply (over {MAX_INCLUDE_DEPTH})"),
            ));
        }
        let id = self
            .src
            .load(&dir, &name_dir, inc, &stack, &self.opts.include_dirs)
            .map_err(|m| (at, m))?;
        self.push_file(id);
        Ok(())
    }
}

// ---- instructions ----

impl Asm {
    fn reg(&self, line: &str, op: &[Token], at: u32) -> PResult<u8> {
        match op {
            [] => Err((at, "expected a register".into())),
            [t] if t.kind == Tok::Ident => {
                let name = tok_text(line, t);
                reg_by_name(name).ok_or_else(|| (t.start, format!("unknown register `{name}`")))
            }
            [t, extra, ..] if t.kind == Tok::Ident && reg_by_name(tok_text(line, t)).is_some() => {
                Err((extra.start, "expected `,`".into()))
            }
            [t, ..] => Err((
                t.start,
                format!("expected a register, found `{}`", tok_text(line, t)),
            )),
        }
    }

    /// An immediate, maybe `%hi(x)`, `%lo(x)`, `%pcrel_hi(x)`, `%pcrel_lo(x)`.
    fn imm(&mut self, line: &str, op: &[Token], at: u32) -> PResult<Imm> {
        let Some(first) = op.first() else {
            return Err((at, "expected an immediate".into()));
        };
        if first.kind == Tok::Punct(b'%') {
            let Some(m) = op.get(1).filter(|t| t.kind == Tok::Ident) else {
                return Err((
                    first.start,
                    "expected %hi, %lo, %pcrel_hi or %pcrel_lo".into(),
                ));
            };
            let reloc = match tok_text(line, m) {
                "hi" => Reloc::Hi,
                "lo" => Reloc::Lo,
                "pcrel_hi" => Reloc::PcrelHi,
                "pcrel_lo" => Reloc::PcrelLo,
                other => return Err((m.start, format!("unknown relocation `%{other}`"))),
            };
            if op.get(2).map(|t| t.kind) != Some(Tok::Punct(b'('))
                || op.last().map(|t| t.kind) != Some(Tok::Punct(b')'))
                || op.len() < 4
            {
                return Err((m.end, "expected `(`".into()));
            }
            let expr = self.whole_expr(line, &op[3..op.len() - 1])?;
            return Ok(Imm {
                reloc,
                expr,
                at: first.start,
            });
        }
        if first.kind == Tok::Ident && reg_by_name(tok_text(line, first)).is_some() && op.len() == 1
        {
            return Err((
                first.start,
                format!(
                    "expected an immediate, found register `{}`",
                    tok_text(line, first)
                ),
            ));
        }
        let expr = self.whole_expr(line, op)?;
        Ok(Imm {
            reloc: Reloc::Abs,
            expr,
            at: first.start,
        })
    }

    /// `offset(reg)`, `(reg)`, `%lo(x)(reg)`: the offset and the base
    /// register; `None` for the base if the operand is a bare expression
    /// (a symbol, for the global load/store forms).
    fn mem(&mut self, line: &str, op: &[Token], at: u32) -> PResult<(Option<Imm>, Option<u8>)> {
        let n = op.len();
        if n >= 3
            && op[n - 1].kind == Tok::Punct(b')')
            && op[n - 3].kind == Tok::Punct(b'(')
            && op[n - 2].kind == Tok::Ident
        {
            if let Some(r) = reg_by_name(tok_text(line, &op[n - 2])) {
                let off = if n == 3 {
                    None
                } else {
                    Some(self.imm(line, &op[..n - 3], at)?)
                };
                return Ok((off, Some(r)));
            }
            let reloc_call =
                n >= 5 && op[n - 4].kind == Tok::Ident && op[n - 5].kind == Tok::Punct(b'%');
            if !reloc_call {
                let name = tok_text(line, &op[n - 2]);
                return Err((op[n - 2].start, format!("unknown register `{name}`")));
            }
        }
        // `8(sp) extra`
        if let Some(close) = op.iter().position(|t| t.kind == Tok::Punct(b')')) {
            if close >= 2
                && op[close - 2].kind == Tok::Punct(b'(')
                && reg_by_name(tok_text(line, &op[close - 1])).is_some()
            {
                if let Some(extra) = op.get(close + 1) {
                    return Err((
                        extra.start,
                        format!("unexpected `{}`", tok_text(line, extra)),
                    ));
                }
            }
        }
        Ok((Some(self.imm(line, op, at)?), None))
    }

    /// A base register given alone (`jalr a0`, `jr t1`) or as a memory
    /// operand (`jalr 8(a0)`).
    fn base_or_mem(&mut self, line: &str, op: &[Token], at: u32) -> PResult<(u8, Imm)> {
        if let [t] = op {
            if let Some(r) = reg_by_name(tok_text(line, t)) {
                return Ok((r, self.zero_imm(at)));
            }
        }
        match self.mem(line, op, at)? {
            (off, Some(base)) => {
                let imm = match off {
                    Some(i) => i,
                    None => self.zero_imm(at),
                };
                Ok((base, imm))
            }
            _ => Err((at, "expected a register or `offset(register)`".into())),
        }
    }

    fn zero_imm(&mut self, at: u32) -> Imm {
        let expr = self.exprs.push(Node::Num(0));
        Imm {
            reloc: Reloc::Abs,
            expr,
            at,
        }
    }

    fn csr(&mut self, line: &str, op: &[Token], at: u32) -> PResult<Imm> {
        if let [t] = op {
            if t.kind == Tok::Ident {
                let name = tok_text(line, t);
                if let Some(n) = isa::csr_by_name(name) {
                    let expr = self.exprs.push(Node::Num(n as i64));
                    return Ok(Imm {
                        reloc: Reloc::Abs,
                        expr,
                        at: t.start,
                    });
                }
                let known = self
                    .symtab
                    .index
                    .get(name)
                    .is_some_and(|&id| self.symtab.syms[id as usize].def != Def::Undef);
                if !known {
                    return Err((t.start, format!("unknown CSR `{name}`")));
                }
            }
        }
        self.imm(line, op, at)
    }

    fn fence_set(&self, line: &str, op: &[Token], at: u32) -> PResult<i32> {
        let [t] = op else {
            return Err((
                op.first().map_or(at, |t| t.start),
                "expected a fence set (a combination of i, o, r, w)".into(),
            ));
        };
        let text = tok_text(line, t);
        let mut v = 0;
        for c in text.chars() {
            let bit = match c {
                'i' => 8,
                'o' => 4,
                'r' => 2,
                'w' => 1,
                _ => {
                    return Err((
                        t.start,
                        format!("bad fence set `{text}` (a combination of i, o, r, w)"),
                    ))
                }
            };
            if v & bit != 0 {
                return Err((
                    t.start,
                    format!("bad fence set `{text}` (a combination of i, o, r, w)"),
                ));
            }
            v |= bit;
        }
        Ok(v)
    }

    fn instruction(
        &mut self,
        l: LineRef,
        line: &str,
        name: &str,
        first: &Token,
        rest: &[Token],
    ) -> PResult<()> {
        let Some(mn) = lookup(name) else {
            let lower = name.to_ascii_lowercase();
            if let Some(base) = lower.strip_prefix("c.") {
                return Err((
                    first.start,
                    format!(
                        "`{name}`: compressed instructions are not written by their `c.` names here; write the base instruction (`{base}`), which is compressed where GNU as compresses it when the C extension is on (`--march rv64imac_zicsr_zifencei` or `.option rvc`)"
                    ),
                ));
            }
            if let Some(ext) = mnemonics::extension_of(&lower) {
                return Err((
                    first.start,
                    format!(
                        "`{name}` needs the {ext} extension, which this machine does not have (it is {})",
                        mnemonics::MACHINE_ISA
                    ),
                ));
            }
            return Err((first.start, format!("unknown instruction `{name}`")));
        };
        let end = end_of(line, rest).max(first.end);
        let Some(ops) = Operands::split(rest) else {
            return Err((first.start, format!("too many operands for `{name}`")));
        };
        let op_at =
            |i: usize| -> u32 { ops.get(i).and_then(|o| o.first()).map_or(end, |t| t.start) };
        if ops.iter().any(|o| o.is_empty()) {
            let i = ops.iter().position(|o| o.is_empty()).unwrap_or(0);
            return Err((
                op_at(i.saturating_sub(1)).max(first.end),
                "empty operand".into(),
            ));
        }
        let count_err = |syntax: &str| -> PErr {
            // `add a0 a1, a2`: say where the comma is missing.
            for op in ops.iter() {
                if let [r, next, ..] = op {
                    let is_reg = r.kind == Tok::Ident && reg_by_name(tok_text(line, r)).is_some();
                    if is_reg && next.kind != Tok::Punct(b'(') {
                        return (next.start, "expected `,`".into());
                    }
                }
            }
            let at = if ops.is_empty() { first.end } else { op_at(0) };
            (
                at,
                format!("wrong operands for `{name}` (expected {syntax})"),
            )
        };
        self.spelling = spelling(line, &name.to_ascii_lowercase(), &ops);
        let r = match mn {
            Mnemonic::Real { op, aqrl } => self.real(l, line, op, aqrl, &ops, &count_err, &op_at),
            Mnemonic::Pseudo(p) => {
                self.pseudo(l, line, name, p, &ops, &count_err, &op_at, first.start)
            }
        };
        self.spelling = Spelling::Any;
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn real(
        &mut self,
        l: LineRef,
        line: &str,
        op: Op,
        aqrl: u8,
        ops: &[&[Token]],
        count_err: &dyn Fn(&str) -> PErr,
        op_at: &dyn Fn(usize) -> u32,
    ) -> PResult<()> {
        let format = op.format();
        let syntax = operand_syntax(format);
        let n = ops.len();
        let at0 = op_at(0);
        match format {
            Format::R => {
                if n != 3 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs1 = self.reg(line, ops[1], op_at(1))?;
                let third_is_reg = matches!(ops[2], [t] if t.kind == Tok::Ident && reg_by_name(tok_text(line, t)).is_some());
                // A lone name that is no register and no symbol defined
                // yet is more likely a misspelt register than a constant.
                let unknown_name = matches!(ops[2], [t] if t.kind == Tok::Ident
                    && self.symtab.index.get(tok_text(line, t)).is_none_or(|&id| self.symtab.syms[id as usize].def == Def::Undef));
                if !third_is_reg && !unknown_name {
                    if let Some(iop) = immediate_form(op) {
                        let imm = self.imm(line, ops[2], op_at(2))?;
                        let field = match iop.format() {
                            Format::Shift64 => Field::Shamt(6),
                            Format::Shift32 => Field::Shamt(5),
                            _ => Field::I,
                        };
                        return self.emit_with(l, Insn::new(iop, rd, rs1, 0, 0), field, imm);
                    }
                }
                let rs2 = self.reg(line, ops[2], op_at(2))?;
                self.emit_insn(Insn::new(op, rd, rs1, rs2, 0), at0)
            }
            Format::I | Format::Shift64 | Format::Shift32 => {
                if n != 3 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs1 = self.reg(line, ops[1], op_at(1))?;
                let imm = self.imm(line, ops[2], op_at(2))?;
                let field = match format {
                    Format::Shift64 => Field::Shamt(6),
                    Format::Shift32 => Field::Shamt(5),
                    _ => Field::I,
                };
                if field != Field::I && imm.reloc != Reloc::Abs {
                    return Err((imm.at, "relocation not allowed in a shift amount".into()));
                }
                self.emit_with(l, Insn::new(op, rd, rs1, 0, 0), field, imm)
            }
            Format::Load => {
                if n != 2 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                match self.mem(line, ops[1], op_at(1))? {
                    (off, Some(base)) => {
                        let imm = match off {
                            Some(i) => i,
                            None => self.zero_imm(op_at(1)),
                        };
                        self.check_lo(imm)?;
                        self.emit_with(l, Insn::new(op, rd, base, 0, 0), Field::I, imm)
                    }
                    (Some(sym), None) => {
                        // `ld rd, symbol`: auipc rd + ld rd, lo(rd)
                        self.check_plain(sym)?;
                        self.pcrel_pair(
                            l,
                            Insn::new(Op::Auipc, rd, 0, 0, 0),
                            Insn::new(op, rd, rd, 0, 0),
                            Field::I,
                            sym,
                        )
                    }
                    (None, None) => Err(count_err(syntax)),
                }
            }
            Format::S => {
                if n != 2 && n != 3 {
                    return Err(count_err(syntax));
                }
                let rs2 = self.reg(line, ops[0], op_at(0))?;
                match self.mem(line, ops[1], op_at(1))? {
                    (off, Some(base)) if n == 2 => {
                        let imm = match off {
                            Some(i) => i,
                            None => self.zero_imm(op_at(1)),
                        };
                        self.check_lo(imm)?;
                        self.emit_with(l, Insn::new(op, 0, base, rs2, 0), Field::S, imm)
                    }
                    (Some(sym), None) if n == 3 => {
                        // `sd rs, symbol, rt`: auipc rt + sd rs, lo(rt)
                        self.check_plain(sym)?;
                        let rt = self.reg(line, ops[2], op_at(2))?;
                        self.pcrel_pair(
                            l,
                            Insn::new(Op::Auipc, rt, 0, 0, 0),
                            Insn::new(op, 0, rt, rs2, 0),
                            Field::S,
                            sym,
                        )
                    }
                    _ => Err(count_err("rs2, offset(rs1) or rs2, symbol, rt")),
                }
            }
            Format::Jalr => {
                let (rd, (base, imm)) = match n {
                    1 => (1, self.base_or_mem(line, ops[0], op_at(0))?),
                    2 => (
                        self.reg(line, ops[0], op_at(0))?,
                        self.base_or_mem(line, ops[1], op_at(1))?,
                    ),
                    3 => {
                        let rd = self.reg(line, ops[0], op_at(0))?;
                        let rs1 = self.reg(line, ops[1], op_at(1))?;
                        (rd, (rs1, self.imm(line, ops[2], op_at(2))?))
                    }
                    _ => return Err(count_err(syntax)),
                };
                self.emit_with(l, Insn::new(op, rd, base, 0, 0), Field::I, imm)
            }
            Format::B => {
                if n != 3 {
                    return Err(count_err(syntax));
                }
                let rs1 = self.reg(line, ops[0], op_at(0))?;
                let rs2 = self.reg(line, ops[1], op_at(1))?;
                self.branch(l, line, op, rs1, rs2, ops[2], op_at(2))
            }
            Format::U => {
                if n != 2 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let imm = self.imm(line, ops[1], op_at(1))?;
                match (op, imm.reloc) {
                    (_, Reloc::Abs | Reloc::Hi) | (Op::Auipc, Reloc::PcrelHi) => {}
                    _ => {
                        return Err((
                            imm.at,
                            format!("this relocation is not allowed in {}", op.mnemonic()),
                        ))
                    }
                }
                self.emit_with(l, Insn::new(op, rd, 0, 0, 0), Field::U, imm)
            }
            Format::J => {
                let (rd, target) = match n {
                    1 => (1, 0),
                    2 => (self.reg(line, ops[0], op_at(0))?, 1),
                    _ => return Err(count_err(syntax)),
                };
                self.jump(l, line, rd, ops[target], op_at(target))
            }
            Format::Csr | Format::CsrI => {
                if n != 3 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let csr = self.csr(line, ops[1], op_at(1))?;
                self.csr_op(l, line, op, rd, csr, ops[2], op_at(2))
            }
            Format::Amo => {
                if n != 3 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs2 = self.reg(line, ops[1], op_at(1))?;
                let rs1 = self.amo_addr(line, ops[2], op_at(2))?;
                self.emit_insn(Insn::new(op, rd, rs1, rs2, aqrl as i32), at0)
            }
            Format::Lr => {
                if n != 2 {
                    return Err(count_err(syntax));
                }
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs1 = self.amo_addr(line, ops[1], op_at(1))?;
                self.emit_insn(Insn::new(op, rd, rs1, 0, aqrl as i32), at0)
            }
            Format::Fence => {
                let sets = match n {
                    0 => 0xff,
                    2 => {
                        self.fence_set(line, ops[0], op_at(0))? << 4
                            | self.fence_set(line, ops[1], op_at(1))?
                    }
                    _ => return Err(count_err(syntax)),
                };
                self.emit_insn(Insn::new(op, 0, 0, 0, sets), at0)
            }
            Format::None => {
                if n != 0 {
                    return Err(count_err(syntax));
                }
                self.emit_insn(Insn::new(op, 0, 0, 0, 0), at0)
            }
            Format::SfenceVma => {
                let (rs1, rs2) = match n {
                    0 => (0, 0),
                    1 => (self.reg(line, ops[0], op_at(0))?, 0),
                    2 => (
                        self.reg(line, ops[0], op_at(0))?,
                        self.reg(line, ops[1], op_at(1))?,
                    ),
                    _ => return Err(count_err("[rs1[, rs2]]")),
                };
                self.emit_insn(Insn::new(op, 0, rs1, rs2, 0), at0)
            }
        }
    }

    fn check_lo(&self, imm: Imm) -> PResult<()> {
        match imm.reloc {
            Reloc::Abs | Reloc::Lo | Reloc::PcrelLo => Ok(()),
            _ => Err((
                imm.at,
                "only %lo or %pcrel_lo may be used as an offset".into(),
            )),
        }
    }

    fn check_plain(&self, imm: Imm) -> PResult<()> {
        match imm.reloc {
            Reloc::Abs => Ok(()),
            _ => Err((imm.at, "expected `(register)` after the offset".into())),
        }
    }

    fn amo_addr(&self, line: &str, op: &[Token], at: u32) -> PResult<u8> {
        // `(rs1)`, or `0(rs1)` as GNU as also accepts.
        let inner = match op {
            [o, r, c] if o.kind == Tok::Punct(b'(') && c.kind == Tok::Punct(b')') => r,
            [z, o, r, c]
                if z.kind == Tok::Num(0)
                    && o.kind == Tok::Punct(b'(')
                    && c.kind == Tok::Punct(b')') =>
            {
                r
            }
            _ => return Err((at, "expected `(register)`".into())),
        };
        self.reg(line, std::slice::from_ref(inner), inner.start)
    }

    #[allow(clippy::too_many_arguments)]
    fn csr_op(
        &mut self,
        l: LineRef,
        line: &str,
        op: Op,
        rd: u8,
        csr: Imm,
        src: &[Token],
        at: u32,
    ) -> PResult<()> {
        let is_reg =
            matches!(src, [t] if t.kind == Tok::Ident && reg_by_name(tok_text(line, t)).is_some());
        let (op, rs1, uimm) = if op.format() == Format::Csr && is_reg {
            (op, self.reg(line, src, at)?, None)
        } else {
            let iop = if op.format() == Format::CsrI {
                op
            } else {
                immediate_form(op).unwrap_or(op)
            };
            (iop, 0, Some(self.imm(line, src, at)?))
        };
        let insn = Insn::new(op, rd, rs1, 0, 0);
        match uimm {
            None => self.emit_with(l, insn, Field::Csr, csr),
            Some(u) => {
                // Two fields: resolve the CSR number now (it is a name or a
                // constant almost always), the immediate through emit_with.
                let n = match self.eval1(csr.expr) {
                    Ok(Val::Abs(v)) => field_value(Field::Csr, Reloc::Abs, v, 0, Some(op))
                        .map_err(|m| (csr.at, m))?,
                    _ => {
                        return Err((
                            csr.at,
                            "CSR number must be a constant known at this point".into(),
                        ))
                    }
                };
                self.emit_with(l, Insn::new(op, rd, 0, 0, n as i32), Field::Uimm5, u)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn branch(
        &mut self,
        l: LineRef,
        line: &str,
        op: Op,
        rs1: u8,
        rs2: u8,
        target: &[Token],
        at: u32,
    ) -> PResult<()> {
        let imm = self.imm(line, target, at)?;
        if imm.reloc != Reloc::Abs {
            return Err((
                imm.at,
                "a branch target must be a label or an address".into(),
            ));
        }
        let index = self.branches.len() as u32;
        // binutils' `beqz Cs,Cp` and `beq Cs,Cz,Cp` rows (and `bnez`,
        // `bne`): a branch on x8-x15 against zero, to a label.
        let constant = matches!(self.eval1(imm.expr), Ok(Val::Abs(_)));
        let rvc = self.rvc
            && !constant
            && matches!(op, Op::Beq | Op::Bne)
            && rs2 == 0
            && (8..16).contains(&rs1);
        let len = self
            .branch_lens
            .get(&index)
            .copied()
            .unwrap_or(if rvc { 2 } else { 4 });
        self.branches.push(BranchRec {
            chunk: self.cur,
            off: self.here(),
            expr: imm.expr,
            jump: false,
            rvc,
            len,
        });
        if self.chunk().class == Class::Bss {
            return Err((imm.at, "instruction in .bss".into()));
        }
        let pcrel = Imm {
            reloc: Reloc::Pcrel,
            ..imm
        };
        if len == 2 || len == 6 {
            let (bop, off) = match (len, op) {
                (2, _) => (op, 0),
                (_, Op::Beq) => (Op::Bne, 6),
                _ => (Op::Beq, 6),
            };
            let w = isa::encode(&Insn::new(bop, 0, rs1, 0, off));
            let p = cpu::rvc::compress(w).unwrap_or(0);
            if len == 2 {
                self.push_fixup(l, Field::Cb, pcrel, None);
                return self.emit_code(&p.to_le_bytes(), imm.at);
            }
            // GNU as (md_convert_frag): the inverted compressed branch
            // over a `jal`.
            self.emit_code(&p.to_le_bytes(), imm.at)?;
            return self.emit_with(l, Insn::new(Op::Jal, 0, 0, 0, 0), Field::J, pcrel);
        }
        if len == 8 {
            // GNU as: a branch that may not reach becomes the inverted
            // branch over a `jal` (tc-riscv.c, md_convert_frag).
            let inverted = match op {
                Op::Beq => Op::Bne,
                Op::Bne => Op::Beq,
                Op::Blt => Op::Bge,
                Op::Bge => Op::Blt,
                Op::Bltu => Op::Bgeu,
                _ => Op::Bltu,
            };
            let w = isa::encode(&Insn::new(inverted, 0, rs1, rs2, 8));
            self.emit_code(&w.to_le_bytes(), imm.at)?;
            return self.emit_with(
                l,
                Insn::new(Op::Jal, 0, 0, 0, 0),
                Field::J,
                Imm {
                    reloc: Reloc::Pcrel,
                    ..imm
                },
            );
        }
        self.emit_with(
            l,
            Insn::new(op, 0, rs1, rs2, 0),
            Field::B,
            Imm {
                reloc: Reloc::Pcrel,
                ..imm
            },
        )
    }

    /// Branch relaxation, as GNU as does it even with `-mno-relax`
    /// (tc-riscv.c, `relaxed_branch_length`): a conditional branch keeps
    /// its 4-byte form only if its target is a constant address, or a
    /// label in the same input section within ±4 KiB. The others must be
    /// assembled again in the long form; returns their ordinals.
    pub fn branches_to_grow(&self) -> Vec<(u32, u8)> {
        let mut grow = Vec::new();
        for (i, b) in self.branches.iter().enumerate() {
            // tc-riscv.c, relaxed_branch_length: a compressed form if the
            // target is in the same section within its reach, else the
            // 4-byte form within ±4 KiB, else the long form (6 bytes from a
            // compressed branch in reach of nothing shorter, 8 from any
            // other; a jump is always in reach of `jal`).
            let worst = if b.jump { 4 } else { 8 };
            let need = match self.eval1(b.expr) {
                Ok(Val::Abs(_)) => b.len,
                Ok(Val::Rel { chunk, off }) if chunk == b.chunk => {
                    let d = off.wrapping_sub(b.off as i64);
                    let rvc_reach = if b.jump { 2048 } else { 256 };
                    if b.rvc && (-rvc_reach..rvc_reach).contains(&d) {
                        2
                    } else if (-4096..4096).contains(&d) {
                        4
                    } else if !b.jump && b.rvc {
                        6
                    } else {
                        worst
                    }
                }
                _ => worst,
            };
            if need > b.len {
                grow.push((i as u32, need));
            }
        }
        grow
    }

    fn jump(&mut self, l: LineRef, line: &str, rd: u8, target: &[Token], at: u32) -> PResult<()> {
        let imm = self.imm(line, target, at)?;
        if imm.reloc != Reloc::Abs {
            return Err((imm.at, "a jump target must be a label or an address".into()));
        }
        // binutils' `j Ca` row: `j label` (not `jal zero,label`) may be
        // `c.j`, relaxed as a branch is.
        let constant = matches!(self.eval1(imm.expr), Ok(Val::Abs(_)));
        if self.rvc && rd == 0 && !constant && self.spelling == Spelling::Any {
            let index = self.branches.len() as u32;
            let len = self.branch_lens.get(&index).copied().unwrap_or(2);
            self.branches.push(BranchRec {
                chunk: self.cur,
                off: self.here(),
                expr: imm.expr,
                jump: true,
                rvc: true,
                len,
            });
            if len == 2 {
                if self.chunk().class == Class::Bss {
                    return Err((imm.at, "instruction in .bss".into()));
                }
                let pcrel = Imm {
                    reloc: Reloc::Pcrel,
                    ..imm
                };
                self.push_fixup(l, Field::Cj, pcrel, Some(Op::Jal));
                return self.emit_code(&0xa001u16.to_le_bytes(), imm.at);
            }
        }
        self.emit_with(
            l,
            Insn::new(Op::Jal, rd, 0, 0, 0),
            Field::J,
            Imm {
                reloc: Reloc::Pcrel,
                ..imm
            },
        )
    }

    /// `auipc` with `%pcrel_hi(sym)` followed by `second` with the matching
    /// low part (`la`, `call`, global loads and stores).
    fn pcrel_pair(
        &mut self,
        l: LineRef,
        auipc: Insn,
        second: Insn,
        field: Field,
        sym: Imm,
    ) -> PResult<()> {
        let (chunk, off) = (self.cur, self.here());
        self.emit_with(
            l,
            auipc,
            Field::U,
            Imm {
                reloc: Reloc::PcrelHi,
                ..sym
            },
        )?;
        self.emit_with(
            l,
            second,
            field,
            Imm {
                reloc: Reloc::PcrelLoAt { chunk, off },
                ..sym
            },
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn pseudo(
        &mut self,
        l: LineRef,
        line: &str,
        name: &str,
        p: Pseudo,
        ops: &[&[Token]],
        count_err: &dyn Fn(&str) -> PErr,
        op_at: &dyn Fn(usize) -> u32,
        at0: u32,
    ) -> PResult<()> {
        let n = ops.len();
        let want = |k: usize, syntax: &str| {
            if n == k {
                Ok(())
            } else {
                Err(count_err(syntax))
            }
        };
        let _ = name;
        use Pseudo as P;
        match p {
            P::Nop => {
                want(0, "no operands")?;
                self.emit_insn(Insn::new(Op::Addi, 0, 0, 0, 0), at0)
            }
            P::Unimp => {
                want(0, "no operands")?;
                if self.rvc {
                    // binutils' first `unimp` row: the all-zero parcel,
                    // a defined illegal instruction (spec 16.6).
                    return self.emit_code(&[0, 0], at0);
                }
                self.emit_insn(Insn::new(Op::Csrrw, 0, 0, 0, 0xc00), at0)
            }
            P::FenceTso => {
                want(0, "no operands")?;
                self.emit_insn(Insn::new(Op::Fence, 0, 0, 0, 0x833), at0)
            }
            P::Li => {
                want(2, "rd, imm")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let imm = self.imm(line, ops[1], op_at(1))?;
                if imm.reloc != Reloc::Abs {
                    return Err((
                        imm.at,
                        "li takes a constant (use lui/addi with %hi/%lo)".into(),
                    ));
                }
                match self.eval1(imm.expr) {
                    Ok(Val::Abs(v)) => self.emit_li(rd, v, imm.at),
                    Err(EvalError::DivZero) => Err((imm.at, "division by zero".into())),
                    Err(EvalError::TooDeep) => {
                        Err((imm.at, "expression too deep to evaluate".into()))
                    }
                    _ => {
                        // Reported at the end of pass 1, once it is known
                        // whether the symbol is defined later or never.
                        self.unknown_li.push((
                            Where {
                                line: l,
                                at: imm.at,
                            },
                            imm.expr,
                        ));
                        Ok(())
                    }
                }
            }
            P::La | P::Lla => {
                want(2, "rd, symbol")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let imm = self.imm(line, ops[1], op_at(1))?;
                self.check_plain(imm)?;
                match self.eval1(imm.expr) {
                    // GNU as loads a constant address with `li`.
                    Ok(Val::Abs(v)) => self.emit_li(rd, v, imm.at),
                    _ => self.pcrel_pair(
                        l,
                        Insn::new(Op::Auipc, rd, 0, 0, 0),
                        Insn::new(Op::Addi, rd, rd, 0, 0),
                        Field::I,
                        imm,
                    ),
                }
            }
            P::Mv
            | P::Not
            | P::Neg
            | P::Negw
            | P::SextW
            | P::ZextB
            | P::Seqz
            | P::Snez
            | P::Sltz
            | P::Sgtz => {
                want(2, "rd, rs")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs = self.reg(line, ops[1], op_at(1))?;
                let insn = match p {
                    P::Mv => Insn::new(Op::Addi, rd, rs, 0, 0),
                    P::Not => Insn::new(Op::Xori, rd, rs, 0, -1),
                    P::Neg => Insn::new(Op::Sub, rd, 0, rs, 0),
                    P::Negw => Insn::new(Op::Subw, rd, 0, rs, 0),
                    P::SextW => Insn::new(Op::Addiw, rd, rs, 0, 0),
                    P::ZextB => Insn::new(Op::Andi, rd, rs, 0, 255),
                    P::Seqz => Insn::new(Op::Sltiu, rd, rs, 0, 1),
                    P::Snez => Insn::new(Op::Sltu, rd, 0, rs, 0),
                    P::Sltz => Insn::new(Op::Slt, rd, rs, 0, 0),
                    _ => Insn::new(Op::Slt, rd, 0, rs, 0),
                };
                self.emit_insn(insn, at0)
            }
            P::SextB | P::SextH | P::ZextH | P::ZextW => {
                want(2, "rd, rs")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs = self.reg(line, ops[1], op_at(1))?;
                let (sh, right) = match p {
                    P::SextB => (56, Op::Srai),
                    P::SextH => (48, Op::Srai),
                    P::ZextH => (48, Op::Srli),
                    _ => (32, Op::Srli),
                };
                self.emit_insn(Insn::new(Op::Slli, rd, rs, 0, sh), at0)?;
                self.emit_insn(Insn::new(right, rd, rd, 0, sh), at0)
            }
            P::Sgt | P::Sgtu => {
                want(3, "rd, rs, rt")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let rs = self.reg(line, ops[1], op_at(1))?;
                let rt = self.reg(line, ops[2], op_at(2))?;
                let op = if p == P::Sgt { Op::Slt } else { Op::Sltu };
                self.emit_insn(Insn::new(op, rd, rt, rs, 0), at0)
            }
            P::Beqz | P::Bnez | P::Blez | P::Bgez | P::Bltz | P::Bgtz => {
                want(2, "rs, target")?;
                let rs = self.reg(line, ops[0], op_at(0))?;
                let (op, a, b) = match p {
                    P::Beqz => (Op::Beq, rs, 0),
                    P::Bnez => (Op::Bne, rs, 0),
                    P::Blez => (Op::Bge, 0, rs),
                    P::Bgez => (Op::Bge, rs, 0),
                    P::Bltz => (Op::Blt, rs, 0),
                    _ => (Op::Blt, 0, rs),
                };
                self.branch(l, line, op, a, b, ops[1], op_at(1))
            }
            P::Bgt | P::Ble | P::Bgtu | P::Bleu => {
                want(3, "rs, rt, target")?;
                let rs = self.reg(line, ops[0], op_at(0))?;
                let rt = self.reg(line, ops[1], op_at(1))?;
                let op = match p {
                    P::Bgt => Op::Blt,
                    P::Ble => Op::Bge,
                    P::Bgtu => Op::Bltu,
                    _ => Op::Bgeu,
                };
                self.branch(l, line, op, rt, rs, ops[2], op_at(2))
            }
            P::J => {
                want(1, "target")?;
                self.jump(l, line, 0, ops[0], op_at(0))
            }
            P::Jr => {
                // `jr rs`, `jr offset(rs)`, or GNU's `jr rs, offset`.
                let (base, imm) = match n {
                    1 => self.base_or_mem(line, ops[0], op_at(0))?,
                    2 => (
                        self.reg(line, ops[0], op_at(0))?,
                        self.imm(line, ops[1], op_at(1))?,
                    ),
                    _ => return Err(count_err("rs")),
                };
                self.emit_with(l, Insn::new(Op::Jalr, 0, base, 0, 0), Field::I, imm)
            }
            P::Ret => {
                want(0, "no operands")?;
                self.emit_insn(Insn::new(Op::Jalr, 0, 1, 0, 0), at0)
            }
            P::Call | P::Tail | P::Jump => {
                let (rd, tmp, target) = match (p, n) {
                    (P::Call, 1) => (1, 1, 0),
                    // `call rd, symbol` links through t1 (as GNU as does).
                    (P::Call, 2) => (self.reg(line, ops[0], op_at(0))?, 6, 1),
                    (P::Tail, 1) => (0, 6, 0),
                    (P::Jump, 2) => (0, self.reg(line, ops[1], op_at(1))?, 0),
                    (P::Jump, _) => return Err(count_err("symbol, temp")),
                    _ => return Err(count_err("symbol")),
                };
                let imm = self.imm(line, ops[target], op_at(target))?;
                self.check_plain(imm)?;
                self.pcrel_pair(
                    l,
                    Insn::new(Op::Auipc, tmp, 0, 0, 0),
                    Insn::new(Op::Jalr, rd, tmp, 0, 0),
                    Field::I,
                    imm,
                )
            }
            P::Csrr => {
                want(2, "rd, csr")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let csr = self.csr(line, ops[1], op_at(1))?;
                self.emit_with(l, Insn::new(Op::Csrrs, rd, 0, 0, 0), Field::Csr, csr)
            }
            P::Csrw | P::Csrs | P::Csrc | P::Csrwi | P::Csrsi | P::Csrci => {
                want(2, "csr, rs")?;
                let csr = self.csr(line, ops[0], op_at(0))?;
                let op = match p {
                    P::Csrw => Op::Csrrw,
                    P::Csrs => Op::Csrrs,
                    P::Csrc => Op::Csrrc,
                    P::Csrwi => Op::Csrrwi,
                    P::Csrsi => Op::Csrrsi,
                    _ => Op::Csrrci,
                };
                self.csr_op(l, line, op, 0, csr, ops[1], op_at(1))
            }
            P::Rdcycle | P::Rdtime | P::Rdinstret => {
                want(1, "rd")?;
                let rd = self.reg(line, ops[0], op_at(0))?;
                let csr = match p {
                    P::Rdcycle => 0xc00,
                    P::Rdtime => 0xc01,
                    _ => 0xc02,
                };
                self.emit_insn(Insn::new(Op::Csrrs, rd, 0, 0, csr), at0)
            }
        }
    }

    fn emit_li(&mut self, rd: u8, v: i64, at: u32) -> PResult<()> {
        let mut insns = std::mem::take(&mut self.insns);
        insns.clear();
        li(rd, v, &mut insns);
        let r = insns.iter().try_for_each(|i| self.emit_insn(*i, at));
        self.insns = insns;
        r
    }
}
