//! The trapvisor assembler: the GNU as subset of `MACHINE.md` ("Assembly
//! sources") for RV64IMA/Zicsr/Zifencei, straight to an ELF64 executable.
//! It is assembler and linker in one: sections are laid out as
//! `guest-programs/link.ld` lays them out, and every relocation is
//! resolved here.
//!
//! Two passes. Pass 1 ([`assembler`]) reads statements, follows
//! `.include` and macro expansions, defines labels and emits bytes; every
//! size is fixed there. Values it cannot know yet (forward labels, branch
//! targets, `%pcrel_lo`) leave fixups that pass 2 ([`link`]) resolves once
//! the layout is known. Mnemonics and operand formats come from the
//! instruction table, [`cpu::isa`].
#![forbid(unsafe_code)]

mod assembler;
mod elf;
mod error;
mod expr;
mod lexer;
mod li;
mod link;
mod mnemonics;
mod source;

use std::path::{Path, PathBuf};

pub use error::{Error, Errors};

use assembler::{Asm, Class, Def, SymKind};
use expr::{Env, EvalError, Exprs, Names, Node, Val};

/// Where the program goes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address of `.text` (QEMU's OpenSBI jumps to `0x8020_0000`).
    pub origin: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            origin: 0x8020_0000,
        }
    }
}

/// An output section: `.text`, `.rodata`, `.data` or `.bss` (always all
/// four, in that order; an absent one has size 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: &'static str,
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// Contents (empty for `.bss`).
    pub data: Vec<u8>,
    pub write: bool,
    pub exec: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub addr: u64,
    pub global: bool,
    /// Defined by `.equ`/`.set` (not an address in a section).
    pub absolute: bool,
}

/// An assembled program.
#[derive(Clone, Debug)]
pub struct Output {
    /// The ELF executable.
    pub elf: Vec<u8>,
    pub entry: u64,
    pub sections: Vec<Section>,
    pub symbols: Vec<Symbol>,
}

impl Output {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|s| s.name == name).map(|s| s.addr)
    }
}

/// Assembles a file (`.s`, or `.S` with the preprocessor) with the default
/// options.
pub fn assemble_file(path: &Path) -> Result<Output, Errors> {
    assemble_file_with(path, &Options::default())
}

pub fn assemble_file_with(path: &Path, opts: &Options) -> Result<Output, Errors> {
    let name = path.to_string_lossy().into_owned();
    let text = std::fs::read(path).map_err(|e| Error::file(&name, format!("cannot read: {e}")))?;
    let text = String::from_utf8(text).map_err(|_| Error::file(&name, "not UTF-8 text"))?;
    assemble_source(&name, &text, opts)
}

/// Assembles `text` as if it were the file `name` (its extension chooses
/// the preprocessor; `.include` is relative to its directory).
pub fn assemble_source(name: &str, text: &str, opts: &Options) -> Result<Output, Errors> {
    let path = PathBuf::from(name);
    let canon = path.canonicalize().unwrap_or(path);
    let mut long = std::collections::HashSet::new();
    // Pass 1, again if some branches must take their long form (rare:
    // targets in other sections or beyond ±4 KiB). Branches only grow, so
    // this ends.
    let mut asm = loop {
        let mut asm = Asm::new();
        asm.long_branches = long.clone();
        let file = asm
            .src
            .add_file(name.to_string(), canon.clone(), text.to_string());
        asm.run(file);
        let grow = asm.branches_to_grow();
        if grow.is_empty() || !asm.errors.is_empty() || long.len() > 1_000_000 {
            break asm;
        }
        long.extend(grow);
    };
    asm.finish_sections();
    let (bases, mut out) = link::layout(&asm, opts.origin);
    let errs = link::apply_fixups(&mut asm, &bases);
    for (w, m) in errs {
        asm.error(w, m);
    }
    if !asm.errors.is_empty() {
        return Err(asm.take_errors());
    }
    for (o, class) in out.iter_mut().zip(link::CLASSES) {
        if class != Class::Bss {
            let mut data = Vec::with_capacity(o.size as usize);
            for (id, c) in asm.chunks.iter().enumerate() {
                if c.class == class {
                    let at = (bases[id] - o.addr) as usize;
                    data.resize(at, 0);
                    data.extend_from_slice(&c.data);
                }
            }
            data.resize(o.size as usize, 0);
            o.data = data;
        }
    }
    let env = link::Pass2 {
        syms: &asm.symtab.syms,
        bases: &bases,
    };
    let mut symbols = Vec::new();
    let mut elf_syms = Vec::new();
    for s in &asm.symtab.syms {
        if s.numeric || s.name.starts_with(".L") {
            continue;
        }
        let (addr, section) = match s.def {
            Def::Label { chunk, off } => {
                let class = asm.chunks[chunk as usize].class;
                let sec = link::CLASSES.iter().position(|&c| c == class);
                (bases[chunk as usize].wrapping_add(off), sec)
            }
            Def::Const(v) => (v as u64, None),
            Def::Deferred(e) => match env.value(&asm.exprs, e) {
                Ok(v) => (v as u64, None),
                Err(_) => continue,
            },
            Def::Undef => continue,
        };
        symbols.push(Symbol {
            name: s.name.to_string(),
            addr,
            global: s.global,
            absolute: section.is_none(),
        });
        elf_syms.push((s, addr, section));
    }
    let entry = symbols
        .iter()
        .find(|s| s.name == "_start")
        .map_or(out[0].addr, |s| s.addr);
    let aligns: Vec<u64> = out.iter().map(|o| o.align).collect();
    let sections: Vec<Section> = out
        .into_iter()
        .map(|o| Section {
            name: o.class.name(),
            addr: o.addr,
            size: o.size,
            data: o.data,
            write: matches!(o.class, Class::Data | Class::Bss),
            exec: o.class == Class::Text,
        })
        .collect();
    let elf_sections: Vec<elf::Section> = sections
        .iter()
        .zip(&aligns)
        .map(|(s, &align)| elf::Section {
            name: s.name,
            addr: s.addr,
            size: s.size,
            align,
            data: &s.data,
            write: s.write,
            exec: s.exec,
            nobits: s.name == ".bss",
        })
        .collect();
    let elf_symbols: Vec<elf::Symbol> = elf_syms
        .iter()
        .map(|(s, addr, section)| elf::Symbol {
            name: &s.name,
            value: *addr,
            section: *section,
            global: s.global,
            kind: match s.kind {
                SymKind::NoType => 0,
                SymKind::Object => 1,
                SymKind::Func => 2,
            },
        })
        .collect();
    let elf = elf::write(entry, &elf_sections, &elf_symbols);
    Ok(Output {
        elf,
        entry,
        sections,
        symbols,
    })
}

/// Assembles one instruction at `pc` (branch and jump targets are absolute
/// addresses). Pseudo-instructions are fine if they are one word.
///
/// As objdump prints them, a branch or jump target may be bare hex digits
/// (`j 80200010`); anywhere else a number without `0x` is decimal.
pub fn assemble_insn(text: &str, pc: u64) -> Result<u32, Error> {
    let mut asm = Asm::new();
    asm.chunks[0].align = 1;
    let file = asm.src.add_file(
        "<insn>".into(),
        PathBuf::from("<insn>"),
        objdump_targets(text),
    );
    asm.run(file);
    let (bases, _) = link::layout(&asm, pc);
    let errs = link::apply_fixups(&mut asm, &bases);
    for (w, m) in errs {
        asm.error(w, m);
    }
    if let Some(e) = asm.take_errors().0.into_iter().next() {
        return Err(e);
    }
    let text_chunk = &asm.chunks[0];
    let others = asm.chunks.iter().skip(1).any(|c| c.size > 0);
    match text_chunk.data.as_slice() {
        [a, b, c, d] if !others => Ok(u32::from_le_bytes([*a, *b, *c, *d])),
        _ => Err(Error {
            file: "<insn>".into(),
            line: 1,
            col: 1,
            message: format!(
                "`{}` is not exactly one instruction ({} bytes)",
                text.trim(),
                text_chunk.size
            ),
            source_line: text.to_string(),
        }),
    }
}

/// Prefixes `0x` to a branch or jump target written as bare hex digits.
fn objdump_targets(text: &str) -> String {
    let code = text.split('#').next().unwrap_or("").trim();
    let (mnemonic, operands) = code
        .split_once(|c: char| c.is_whitespace())
        .unwrap_or((code, ""));
    let takes_target = match mnemonics::lookup(mnemonic) {
        Some(mnemonics::Mnemonic::Real { op, .. }) => {
            matches!(op.format(), cpu::isa::Format::B | cpu::isa::Format::J)
        }
        Some(mnemonics::Mnemonic::Pseudo(p)) => {
            use mnemonics::Pseudo as P;
            matches!(
                p,
                P::Beqz
                    | P::Bnez
                    | P::Blez
                    | P::Bgez
                    | P::Bltz
                    | P::Bgtz
                    | P::Bgt
                    | P::Ble
                    | P::Bgtu
                    | P::Bleu
                    | P::J
            )
        }
        None => false,
    };
    let (head, last) = match operands.rsplit_once(',') {
        Some((h, l)) => (Some(h), l.trim()),
        None => (None, operands.trim()),
    };
    if !takes_target
        || last.is_empty()
        || !last.bytes().all(|c| c.is_ascii_hexdigit())
        || last.starts_with("0x")
    {
        return text.to_string();
    }
    match head {
        Some(h) => format!("{mnemonic} {h},0x{last}"),
        None => format!("{mnemonic} 0x{last}"),
    }
}

/// Evaluates a constant expression in which every name is 0 (for `#if`).
pub(crate) fn eval_constant(s: &str) -> Result<i64, String> {
    struct Zero;
    impl Names for Zero {
        fn symbol(&mut self, _: &str) -> Node {
            Node::Num(0)
        }
        fn local(&mut self, _: u64, _: bool) -> Result<Node, String> {
            Ok(Node::Num(0))
        }
        fn dot(&mut self) -> Node {
            Node::Num(0)
        }
    }
    struct NoSyms;
    impl Env for NoSyms {
        fn symbol(&self, _: &Exprs, id: u32, _: u32) -> Result<Val, EvalError> {
            Err(EvalError::Undefined(id))
        }
    }
    let mut toks = Vec::new();
    let mut c = false;
    if let Some(e) = lexer::tokenize(
        s,
        lexer::Dialect {
            slash_comments: true,
        },
        &mut c,
        &mut toks,
    ) {
        return Err(e.msg);
    }
    let mut exprs = Exprs::default();
    let mut pos = 0;
    let e = exprs
        .parse(s, &toks, &mut pos, &mut Zero)
        .map_err(|(_, m)| m)?;
    if pos != toks.len() {
        return Err("unexpected text after the expression".into());
    }
    match exprs.eval(e, &NoSyms, 0) {
        Ok(Val::Abs(v)) => Ok(v),
        _ => Err("not a constant".into()),
    }
}
