//! The trapvisor assembler: GNU as syntax for RV64IMA/Zicsr/Zifencei and
//! the privileged instructions, straight to an ELF64 executable. It is
//! assembler and linker in one: sections are laid out as
//! `guest-programs/link.ld` lays them out, and every relocation is
//! resolved here. The bytes are GNU as's + ld's (`scripts/asm-diff.sh`
//! checks the guest programs and `tests/asm-corpus/` against them).
//!
//! # What it reads
//! - Instructions of the machine and the usual pseudo-instructions; an
//!   instruction of another extension (`fadd.s`, `c.addi`, `vadd.vv`,
//!   `andn`, ...) is an error that names the extension it needs.
//! - With the C extension ([`Options::compressed`], `--march
//!   rv64imac_zicsr_zifencei`, or `.option rvc`/`.option arch, +c`):
//!   instructions written compressed wherever GNU as writes them
//!   compressed (the table is `cpu::rvc`; the spellings GNU as treats
//!   apart are `Spelling` in `assembler.rs`), branches and jumps relaxed to
//!   `c.beqz`/`c.bnez`/`c.j` as GNU as relaxes them, code alignment padded
//!   with `c.nop`. The default ISA is rv64ima (no C), on purpose:
//!   every instruction a student writes is then 4 bytes (the book's
//!   "Compressed instructions" says why).
//! - Labels, numeric local labels (`1:` `1b` `1f`), `.equ`/`.set`/`=`
//!   (in any order: a symbol may be defined through symbols defined later),
//!   expressions with GNU as's operators and precedence, `%hi`/`%lo`/
//!   `%pcrel_hi`/`%pcrel_lo`.
//! - `;` between statements, `#` and `/* */` comments (`//` too in `.S`).
//! - Data and layout: `.byte` `.half` `.word` `.dword` (and their other
//!   names), `.ascii`/`.asciz`/`.string` (adjacent strings concatenate),
//!   `.zero`/`.space`/`.skip`, `.fill`, `.uleb128`/`.sleb128` (constants),
//!   `.align`/`.p2align`/`.balign`, `.text`/`.data`/`.rodata`/`.bss`/
//!   `.section`/`.pushsection`/`.popsection`, `.comm`/`.lcomm`/`.local`,
//!   `.globl`/`.weak` (an undefined weak symbol is 0)/`.type`/`.size`,
//!   `.option`, `.include` (the including file's directory, the main
//!   file's, then `-I`), `.end`, `.error`.
//! - Macros (`macros.rs`): `.macro`/`.endm` with defaults, `:req`,
//!   `:vararg`, keyword arguments, quoted arguments, `\@`, `\()`;
//!   `.exitm`, `.purgem`, `.altmacro` (`%expr`, `<...>`, `LOCAL`); `.rept`,
//!   `.irp`, `.irpc` ... `.endr`.
//! - Conditional assembly: `.if` `.ifdef` `.ifndef` `.ifc` `.ifnc`
//!   `.ifeqs` `.ifnes` `.ifb` `.ifnb` `.ifeq` `.ifne` `.ifge` `.ifgt`
//!   `.ifle` `.iflt`, `.elseif`, `.else`, `.endif`.
//! - `.S` files go through a C preprocessor first (`cpp.rs`): `#include`,
//!   object- and function-like `#define` with `#`, `##` and variadic
//!   arguments, `#if` with C expressions and `defined`, `-D`/`-I`
//!   ([`Options`]), enough for the official riscv-tests sources.
//!
//! Errors are `file:line:col: message` with the line and a caret; a
//! program without `_start` gets a warning ([`Output::warnings`]) and
//! starts at the beginning of `.text`.
//!
//! # Limits
//! Sources are hostile input: no input makes the assembler crash,
//! overflow its stack, or run or grow without end. Each limit ends the
//! assembly with an error at the line that crossed it.
//! - An expression may nest 256 parentheses or unary operators and be
//!   1000 operators deep (`1+1+...` with 1000 terms); evaluation stops at
//!   4000 levels (a symbol defined in terms of itself is named).
//! - Macros, `.rept` and `.irp` may nest 200 deep and produce, in all,
//!   1,000,000 lines (each repetition counts) and 64 MiB of substituted
//!   text: 40 macros each expanding the next twice stop there, within a
//!   second.
//! - A source file must be a regular file (not `/dev/zero` or a pipe) of
//!   at most 64 MiB; all files together at most 256 MiB; `.include`s nest
//!   at most 64 deep, and a file that includes itself is an error.
//! - The preprocessor: one line may make or copy 200,000 tokens while it
//!   is expanded, parentheses nest at most 200 deep, `#include` 64 deep,
//!   and its output is at most 64 MiB.
//! - No section grows past 1 GiB.
//!
//! # How it works
//! Two passes. Pass 1 (`assembler.rs`) reads statements (following
//! `.include`, macro expansions and repeats, each a frame on a stack, so
//! nothing recurses), defines labels and emits bytes; every size is fixed
//! there. Values it cannot know yet (forward labels, branch targets,
//! `%pcrel_lo`) leave fixups that pass 2 (`link.rs`) resolves once the
//! layout is known. Mnemonics and operand formats come from the
//! instruction table, [`cpu::isa`]. Pass 1 also records where each
//! emitted byte came from: [`Output::lines`], the line table a debugger
//! reads.
#![forbid(unsafe_code)]

mod assembler;
mod cpp;
mod dwarf;
mod elf;
mod error;
mod expr;
mod fast;
mod lexer;
mod li;
mod link;
mod macros;
mod mnemonics;
mod source;

use std::path::{Path, PathBuf};

pub use error::{Error, Errors};

use assembler::{Asm, Class, Def, SymKind};

/// Where the program goes, and where its includes are.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address of `.text` (QEMU's OpenSBI jumps to `0x8020_0000`).
    pub origin: u64,
    /// Directories searched for `.include` and `#include` files after the
    /// including file's own (`-I DIR`, in order).
    pub include_dirs: Vec<PathBuf>,
    /// Preprocessor macros of `.S` files (`-D NAME` is `("NAME", None)`,
    /// which defines it as `1`; `-D NAME=VAL` is `("NAME", Some("VAL"))`).
    pub defines: Vec<(String, Option<String>)>,
    /// Write DWARF debugging information (`-g`): the line table as
    /// `.debug_line`, with a compilation unit for `.text`, so that gdb
    /// shows source lines.
    pub debug_info: bool,
    /// The ISA has the C extension (`--march rv64imac_zicsr_zifencei`, see
    /// [`parse_march`]): instructions are written compressed wherever GNU
    /// as `-march=rv64imac_zicsr_zifencei` writes them compressed, until
    /// `.option norvc`. Off by default (`rv64ima`).
    pub compressed: bool,
}

/// Reads an ISA string as GNU as's `-march` takes it, for the ISAs this
/// machine can have: `rv64i` with any of `m`, `a`, `c` (in that order, as
/// the ISA naming rules of the unprivileged spec, chapter 27, require)
/// and the multi-letter `_zicsr`, `_zifencei`. Returns whether it has C.
pub fn parse_march(s: &str) -> Result<bool, String> {
    let lower = s.to_ascii_lowercase();
    let bad = |why: &str| {
        Err(format!(
            "unsupported ISA `{s}`: {why} (this machine is rv64ima_zicsr_zifencei, with or without c)"
        ))
    };
    let Some(rest) = lower.strip_prefix("rv64") else {
        return bad("it must start with rv64");
    };
    let mut parts = rest.split('_');
    let letters = parts.next().unwrap_or("");
    let Some(singles) = letters.strip_prefix('i') else {
        return bad("the base must be i");
    };
    let mut last = 0;
    let mut compressed = false;
    for c in singles.chars() {
        let Some(rank) = "mac".find(c).map(|r| r + 1) else {
            return bad(&format!("no extension `{c}`"));
        };
        if rank <= last {
            return bad("extensions must come in the order m, a, c, each once");
        }
        last = rank;
        compressed |= c == 'c';
    }
    for part in parts {
        if !matches!(part, "zicsr" | "zifencei") {
            return bad(&format!("no extension `{part}`"));
        }
    }
    Ok(compressed)
}

impl Default for Options {
    fn default() -> Options {
        Options {
            origin: 0x8020_0000,
            include_dirs: Vec::new(),
            defines: Vec::new(),
            debug_info: false,
            compressed: false,
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

/// A row of the line table: the bytes from `addr` up to the next row's
/// address (or the end of the section) were assembled from line `line`
/// of `files[file]`. A line of a macro body stands for the line that
/// invoked the macro (the outermost invocation); `.include`d files and
/// `.rept` bodies stand for themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEntry {
    pub addr: u64,
    pub file: u32,
    /// 1-based.
    pub line: u32,
    /// The bytes are instructions (not data or alignment padding).
    pub code: bool,
}

/// An assembled program.
#[derive(Clone, Debug)]
pub struct Output {
    /// The ELF executable.
    pub elf: Vec<u8>,
    pub entry: u64,
    pub sections: Vec<Section>,
    pub symbols: Vec<Symbol>,
    /// Every source file read (the main file first), as errors name them.
    pub files: Vec<String>,
    /// The line table, sorted by address: where each emitted byte of
    /// `.text`, `.rodata` and `.data` came from.
    pub lines: Vec<LineEntry>,
    /// Warnings (`file:line:col: warning: ...`): the program was built.
    pub warnings: Vec<Error>,
}

impl Output {
    /// The file and line that the byte at `addr` was assembled from.
    pub fn line_at(&self, addr: u64) -> Option<(&str, u32)> {
        let sec = self.sections.iter().find(|s| {
            s.name != ".bss" && (s.addr..s.addr.saturating_add(s.size)).contains(&addr)
        })?;
        let i = self.lines.partition_point(|e| e.addr <= addr);
        let e = self.lines.get(i.checked_sub(1)?)?;
        if e.addr < sec.addr {
            return None;
        }
        Some((self.files.get(e.file as usize)?.as_str(), e.line))
    }

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
    let text = source::read_source(path).map_err(|e| match e {
        source::ReadError::NotFound => Error::file(&name, "cannot read: no such file"),
        e => Error::file(&name, e.to_string()),
    })?;
    assemble_source(&name, &text, opts)
}

/// Assembles `text` as if it were the file `name` (its extension chooses
/// the preprocessor; `.include` is relative to its directory).
pub fn assemble_source(name: &str, text: &str, opts: &Options) -> Result<Output, Errors> {
    let path = PathBuf::from(name);
    let canon = path.canonicalize().unwrap_or(path);
    let mut long = std::collections::HashMap::new();
    // Pass 1, again if some branches must take a longer form (rare
    // without C: targets in other sections or beyond ±4 KiB; with C, every
    // compressed branch or jump whose target is out of its reach).
    // Branches only grow, so this ends.
    let mut asm = loop {
        let mut asm = Asm::new();
        asm.opts = opts.clone();
        asm.rvc = opts.compressed;
        asm.rvc_used = opts.compressed;
        if opts.compressed {
            // GNU as (md_begin): `.text` is aligned to the shortest
            // instruction, 2 bytes with C.
            if let Some(text) = asm.chunks.first_mut() {
                text.align = 2;
            }
        }
        asm.branch_lens = long.clone();
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
    let resolved = link::resolve(&asm, &bases);
    let errs = link::apply_fixups(&mut asm, &bases, &resolved);
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
        resolved: &resolved,
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
    let entry = match symbols.iter().find(|s| s.name == "_start") {
        Some(s) => s.addr,
        None => {
            asm.warnings.push(Error::file(
                name,
                format!(
                    "warning: no `_start` label: the program starts at the beginning of .text ({:#x})",
                    out[0].addr
                ),
            ));
            out[0].addr
        }
    };
    let mut lines: Vec<LineEntry> = asm
        .line_marks
        .iter()
        .filter(|m| {
            asm.chunks
                .get(m.chunk as usize)
                .is_some_and(|c| m.off < c.size)
        })
        .map(|m| LineEntry {
            addr: bases[m.chunk as usize].wrapping_add(m.off),
            file: m.file,
            line: m.line,
            code: m.code,
        })
        .collect();
    lines.sort_by_key(|e| e.addr);
    // Of several rows at one address (a statement that emitted nothing
    // after all), the last is the one that emitted.
    let mut table: Vec<LineEntry> = Vec::with_capacity(lines.len());
    for e in lines {
        match table.last_mut() {
            Some(last) if last.addr == e.addr => *last = e,
            Some(last) if last.file == e.file && last.line == e.line && last.code == e.code => {}
            _ => table.push(e),
        }
    }
    let files: Vec<String> = asm.src.files.iter().map(|f| f.name.clone()).collect();
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
    let debug = if opts.debug_info {
        let text = (sections[0].addr, sections[0].size);
        let dir = std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        // One sequence per code input section, to the end of its
        // contents, in the order the sections got their first instruction
        // (as GNU as orders them).
        let mut order: Vec<u16> = Vec::new();
        for m in asm.line_marks.iter().filter(|m| m.code) {
            if !order.contains(&m.chunk) {
                order.push(m.chunk);
            }
        }
        let code: Vec<(u64, u64)> = order
            .iter()
            .filter_map(|&i| {
                let c = asm.chunks.get(i as usize)?;
                let base = bases[i as usize];
                (c.class == Class::Text).then(|| (base, base.wrapping_add(c.content)))
            })
            .collect();
        dwarf::sections(text, &code, &table, &files, &dir)
    } else {
        Vec::new()
    };
    let elf = elf::write(entry, &elf_sections, &elf_symbols, &debug, asm.rvc_used);
    Ok(Output {
        elf,
        entry,
        sections,
        symbols,
        files,
        lines: table,
        warnings: std::mem::take(&mut asm.warnings),
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
    let resolved = link::resolve(&asm, &bases);
    let errs = link::apply_fixups(&mut asm, &bases, &resolved);
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
            invoked_from: None,
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
