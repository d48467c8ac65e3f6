//! The C preprocessor for `.S` files, as `gcc -x assembler-with-cpp` runs
//! it (C17 6.10, "Preprocessing directives"; GNU cpp's assembler mode):
//!
//! - lines joined by `\` at their end, `/* */` and `//` comments removed;
//! - `#define` of object-like and function-like macros (with `...` and
//!   `__VA_ARGS__`, or GNU's named `args...`), `#` (stringize) and `##`
//!   (paste, and `, ## __VA_ARGS__` dropping the comma), `#undef`;
//! - `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`, with C's integer
//!   expressions and `defined NAME`/`defined(NAME)`;
//! - `#include "file"` (the including file's directory, then `-I`) and
//!   `#include <file>` (`-I` only; an absolute path is that file in both),
//!   `#pragma once`, `#error`, `#warning`; `__FILE__`,
//!   `__LINE__`, and the macros GCC predefines for
//!   `-march=rv64ima_zicsr_zifencei -mabi=lp64` (`__riscv_xlen` is 64,
//!   `__ASSEMBLER__` is 1, ...);
//! - as in GNU cpp's assembler mode, a `#` line that is no directive is a
//!   comment (`# loop forever`), and a `#` in a function-like macro's body
//!   that is not followed by a parameter stays a `#`.
//!
//! Macro expansion follows the standard's rescanning rules with the hide
//! sets of Prosser's algorithm (a macro is not expanded again inside its
//! own expansion). Each output line keeps the file and line it started
//! on, so that the assembler's errors and line table point at the source.
//!
//! Limits (hostile input ends with an error, never a crash or an endless
//! run): a logical line may expand to at most [`MAX_LINE_TOKENS`] tokens,
//! the output to [`MAX_OUTPUT_BYTES`], arguments may nest
//! [`MAX_NESTING`] deep, `#include` [`MAX_INCLUDE_DEPTH`] deep.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::source::{lines, LineRef, PpError, Sources};
use crate::Options;

/// Tokens the expansion of one logical line may produce and copy (the
/// longest line of the riscv-tests expands to about 2,000).
pub const MAX_LINE_TOKENS: usize = 200_000;
/// Bytes the preprocessor may output in all.
pub const MAX_OUTPUT_BYTES: u64 = 64 << 20;
/// Nesting of macro arguments being expanded, and of `#if` expressions.
pub const MAX_NESTING: u32 = 200;
/// Nesting of `#include`.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// The macros GCC 12 predefines for `-x assembler-with-cpp
/// -march=rv64ima_zicsr_zifencei -mabi=lp64` that a guest can use.
const PREDEFINED: &[(&str, &str)] = &[
    ("__ASSEMBLER__", "1"),
    ("__ELF__", "1"),
    ("__STDC__", "1"),
    ("__STDC_HOSTED__", "1"),
    ("_LP64", "1"),
    ("__LP64__", "1"),
    ("__riscv", "1"),
    ("__riscv_xlen", "64"),
    ("__riscv_i", "2001000"),
    ("__riscv_m", "2000000"),
    ("__riscv_a", "2001000"),
    ("__riscv_zicsr", "2000000"),
    ("__riscv_zifencei", "2000000"),
    ("__riscv_mul", "1"),
    ("__riscv_div", "1"),
    ("__riscv_muldiv", "1"),
    ("__riscv_atomic", "1"),
    ("__riscv_arch_test", "1"),
    ("__riscv_float_abi_soft", "1"),
    ("__riscv_cmodel_medlow", "1"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    Str,
    Char,
    Punct,
}

#[derive(Clone, Debug)]
struct PTok {
    kind: Kind,
    text: Rc<str>,
    /// Whitespace came before it.
    space: bool,
    /// Macros that must not expand this token again (a hide set).
    hide: Rc<[u32]>,
}

impl PTok {
    fn is(&self, p: &str) -> bool {
        self.kind == Kind::Punct && &*self.text == p
    }
}

struct Macro {
    id: u32,
    /// `None` for an object-like macro.
    params: Option<Vec<Rc<str>>>,
    /// The last parameter takes the rest of the arguments.
    variadic: bool,
    body: Vec<PTok>,
}

struct Cond {
    /// This group is being output.
    live: bool,
    /// Some group of this `#if` was taken.
    done: bool,
    else_seen: bool,
}

struct Cpp<'a> {
    src: &'a mut Sources,
    macros: HashMap<Rc<str>, Rc<Macro>>,
    next_id: u32,
    include_dirs: Vec<PathBuf>,
    stack: Vec<PathBuf>,
    /// The files that said `#pragma once` (canonical paths): an
    /// `#include` of one of them again includes nothing.
    once: HashSet<PathBuf>,
    out: &'a mut Vec<LineRef>,
    errors: &'a mut Vec<PpError>,
    output_bytes: u64,
    /// Set when a limit was hit: nothing more is output.
    stopped: bool,
    /// Where the line being expanded is (for `__FILE__`, `__LINE__` and
    /// errors).
    here: LineRef,
    file_name: Rc<str>,
    /// Tokens made or copied while expanding the current line.
    line_tokens: usize,
}

/// Preprocesses `.S` file `file`, appending its lines (and those of the
/// files it includes) to `out`.
pub fn preprocess(
    src: &mut Sources,
    file: u32,
    opts: &Options,
    out: &mut Vec<LineRef>,
    errors: &mut Vec<PpError>,
) {
    let path = src.files.get(file as usize).map(|f| f.path.clone());
    let mut cpp = Cpp {
        src,
        macros: HashMap::new(),
        next_id: 0,
        include_dirs: opts.include_dirs.clone(),
        stack: path.into_iter().collect(),
        once: HashSet::new(),
        out,
        errors,
        output_bytes: 0,
        stopped: false,
        here: LineRef {
            text: 0,
            start: 0,
            end: 0,
            file,
            line: 1,
        },
        file_name: "".into(),
        line_tokens: 0,
    };
    for (name, value) in PREDEFINED {
        cpp.define_text(name, value);
    }
    if opts.compressed {
        // GCC's for -march=rv64imac_zicsr_zifencei.
        cpp.define_text("__riscv_c", "2000000");
        cpp.define_text("__riscv_compressed", "1");
    }
    for (name, value) in &opts.defines {
        cpp.define_text(name, value.as_deref().unwrap_or("1"));
    }
    cpp.file(file, 0);
}

/// A logical line: its text (lines joined, comments replaced by a space)
/// and the physical line it starts on (1-based).
struct Logical {
    text: String,
    line: u32,
    /// The physical line's span, when the logical line is exactly it
    /// (so that unchanged lines can point at the source).
    span: Option<(u32, u32)>,
}

/// Splits `text` into logical lines: `\` joins, comments removed. String
/// and character literals are kept whole (a `'` with no closing `'` on
/// its line is a plain character, as in assembler mode).
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start_line = 0u32;
    let mut first_span: Option<(u32, u32)> = None;
    let mut joined = false;
    let mut in_comment = false;
    for (i, (s, e)) in lines(text).enumerate() {
        let phys = &text[s..e];
        if cur.is_empty() && !joined {
            start_line = i as u32 + 1;
            first_span = Some((s as u32, e as u32));
        }
        let (body, cont) = match phys.strip_suffix('\\') {
            Some(b) if !in_comment || phys.ends_with("\\") => (b, true),
            _ => (phys, false),
        };
        let changed = strip_comments(body, &mut in_comment, &mut cur);
        if changed || cont {
            first_span = None;
        }
        if cont || in_comment {
            joined = true;
            if in_comment && !cont {
                cur.push(' ');
            }
            continue;
        }
        out.push(Logical {
            text: std::mem::take(&mut cur),
            line: start_line,
            span: if joined { None } else { first_span },
        });
        joined = false;
    }
    if !cur.is_empty() || joined {
        out.push(Logical {
            text: cur,
            line: start_line.max(1),
            span: None,
        });
    }
    out
}

/// Appends `s` without its comments to `out`; true if it had any.
fn strip_comments(s: &str, in_comment: &mut bool, out: &mut String) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if *in_comment {
            changed = true;
            match s[i..].find("*/") {
                Some(j) => {
                    i += j + 2;
                    *in_comment = false;
                    out.push(' ');
                }
                None => return true,
            }
            continue;
        }
        let c = b[i];
        if c == b'"' || (c == b'\'' && closes(b, i)) {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push_str(&s[start..i]);
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            *in_comment = true;
            changed = true;
            i += 2;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            return true;
        } else {
            let len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + len]);
            i += len;
        }
    }
    changed
}

/// A `'` at `b[i]` that has its closing `'` on the line.
fn closes(b: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\'' => return j > i + 1,
            _ => j += 1,
        }
    }
    false
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

const PUNCT3: &[&str] = &["...", "<<=", ">>="];
const PUNCT2: &[&str] = &[
    "##", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++", "--", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=",
];

/// Splits a logical line into preprocessing tokens.
fn tokenize(s: &str) -> Vec<PTok> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut space = false;
    let empty: Rc<[u32]> = Rc::from([]);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        let start = i;
        let kind = if is_ident_start(c) {
            while i < b.len() && is_ident_char(b[i]) {
                i += 1;
            }
            Kind::Ident
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            // A pp-number: digits, letters, `.`, and `e+`-style signs.
            i += 1;
            while i < b.len() {
                let d = b[i];
                let sign =
                    matches!(d, b'+' | b'-') && matches!(b[i - 1], b'e' | b'E' | b'p' | b'P');
                if !(sign || is_ident_char(d) || d == b'.') {
                    break;
                }
                i += 1;
            }
            Kind::Number
        } else if c == b'"' || (c == b'\'' && closes(b, i)) {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            if c == b'"' {
                Kind::Str
            } else {
                Kind::Char
            }
        } else {
            let rest = &s[i..];
            let len = PUNCT3
                .iter()
                .chain(PUNCT2)
                .find(|p| rest.starts_with(*p))
                .map_or_else(
                    || rest.chars().next().map_or(1, char::len_utf8),
                    |p| p.len(),
                );
            i += len;
            Kind::Punct
        };
        out.push(PTok {
            kind,
            text: s[start..i.min(s.len())].into(),
            space,
            hide: empty.clone(),
        });
        space = false;
    }
    out
}

/// The tokens as text: one space where there was whitespace.
fn spell(toks: &[PTok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

fn union(a: &Rc<[u32]>, id: u32) -> Rc<[u32]> {
    if a.contains(&id) {
        return a.clone();
    }
    let mut v = a.to_vec();
    v.push(id);
    v.into()
}

fn intersect(a: &Rc<[u32]>, b: &Rc<[u32]>) -> Rc<[u32]> {
    a.iter()
        .copied()
        .filter(|x| b.contains(x))
        .collect::<Vec<_>>()
        .into()
}

type Fail = String;

impl Cpp<'_> {
    fn error(&mut self, msg: impl Into<String>) {
        self.errors.push((self.here, 0, msg.into()));
    }

    fn define_text(&mut self, name: &str, value: &str) {
        let body = tokenize(value);
        self.next_id += 1;
        self.macros.insert(
            name.into(),
            Rc::new(Macro {
                id: self.next_id,
                params: None,
                variadic: false,
                body,
            }),
        );
    }

    /// Preprocesses one file.
    fn file(&mut self, file: u32, depth: usize) {
        let Some(f) = self.src.files.get(file as usize) else {
            return;
        };
        let text_id = f.text;
        let name: Rc<str> = f.name.as_str().into();
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name_dir = Path::new(&f.name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let text = self.src.texts[text_id as usize].clone();
        let logical = logical_lines(&text);
        let mut conds: Vec<Cond> = Vec::new();
        let mut i = 0;
        while i < logical.len() && !self.stopped {
            let lg = &logical[i];
            i += 1;
            self.here = LineRef {
                text: text_id,
                start: lg.span.map_or(0, |s| s.0),
                end: lg.span.map_or(0, |s| s.1),
                file,
                line: lg.line,
            };
            self.file_name = name.clone();
            let live = conds.iter().all(|c| c.live);
            let trimmed = lg.text.trim_start();
            if let Some(rest) = trimmed.strip_prefix('#') {
                let rest = rest.trim_start();
                let n = rest.bytes().take_while(|&c| is_ident_char(c)).count();
                let (word, arg) = rest.split_at(n);
                let arg = arg.trim();
                self.directive(word, arg, live, &mut conds, (&dir, &name_dir), depth);
                continue;
            }
            if !live {
                continue;
            }
            let mut toks = tokenize(&lg.text);
            if toks.is_empty() {
                continue;
            }
            // A function-like macro call may go on over the next lines.
            let mut joined = false;
            while self.open_call(&toks) && i < logical.len() {
                let next = &logical[i];
                if next.text.trim_start().starts_with('#') {
                    break;
                }
                let mut more = tokenize(&next.text);
                if let Some(first) = more.first_mut() {
                    first.space = true;
                }
                toks.extend(more);
                joined = true;
                i += 1;
            }
            let expanded = match self.expand_line(toks) {
                Ok(t) => t,
                Err(m) => {
                    self.error(m);
                    continue;
                }
            };
            let line = spell(&expanded);
            let indent = &lg.text[..lg.text.len() - trimmed.len()];
            let unchanged = !joined
                && lg
                    .span
                    .is_some_and(|(s, e)| text[s as usize..e as usize] == lg.text)
                && lg.text[indent.len()..] == line;
            if unchanged {
                self.emit(self.here, 0);
            } else {
                let line = format!("{indent}{line}");
                let len = line.len() as u32;
                let id = self.src.add_text(line);
                let l = LineRef {
                    text: id,
                    start: 0,
                    end: len,
                    file,
                    line: lg.line,
                };
                self.emit(l, len as u64);
            }
        }
        if !conds.is_empty() && !self.stopped {
            self.here.start = 0;
            self.here.end = 0;
            self.error("#if without #endif");
        }
    }

    fn emit(&mut self, l: LineRef, bytes: u64) {
        self.output_bytes += bytes.max((l.end - l.start) as u64) + 1;
        if self.output_bytes > MAX_OUTPUT_BYTES {
            self.error(format!(
                "preprocessor output over {} MiB (runaway #include or macro?)",
                MAX_OUTPUT_BYTES >> 20
            ));
            self.stopped = true;
            return;
        }
        self.out.push(l);
    }

    /// True if the tokens end inside the arguments of a function-like
    /// macro call (more parentheses opened than closed after its name).
    fn open_call(&self, toks: &[PTok]) -> bool {
        let mut depth = 0i64;
        let mut in_call = false;
        for (k, t) in toks.iter().enumerate() {
            if t.kind == Kind::Ident
                && self
                    .macros
                    .get(&*t.text)
                    .is_some_and(|m| m.params.is_some())
                && depth == 0
            {
                in_call = toks.get(k + 1).is_none_or(|n| n.is("("));
            } else if t.is("(") {
                depth += 1;
            } else if t.is(")") {
                depth -= 1;
                if depth <= 0 {
                    depth = 0;
                    in_call = false;
                }
            }
        }
        in_call
    }

    fn directive(
        &mut self,
        word: &str,
        arg: &str,
        live: bool,
        conds: &mut Vec<Cond>,
        dirs: (&Path, &Path),
        depth: usize,
    ) {
        match word {
            "if" | "ifdef" | "ifndef" => {
                let v = live
                    && match word {
                        "if" => self.condition(arg),
                        _ => {
                            let name = arg.split_whitespace().next().unwrap_or("");
                            if name.is_empty() {
                                self.error(format!("#{word} needs a macro name"));
                            }
                            self.macros.contains_key(name) == (word == "ifdef")
                        }
                    };
                conds.push(Cond {
                    live: v,
                    done: v || !live,
                    else_seen: false,
                });
            }
            "elif" => {
                let outer = conds.len() < 2 || conds[..conds.len() - 1].iter().all(|c| c.live);
                let Some(c) = conds.last() else {
                    self.error("#elif without #if");
                    return;
                };
                if c.else_seen {
                    self.error("#elif after #else");
                }
                let v = outer && !c.done && self.condition(arg);
                if let Some(c) = conds.last_mut() {
                    c.live = v;
                    c.done |= v;
                }
            }
            "else" => {
                let outer = conds.len() < 2 || conds[..conds.len() - 1].iter().all(|c| c.live);
                match conds.last_mut() {
                    Some(c) if c.else_seen => {
                        self.error("#else after #else");
                    }
                    Some(c) => {
                        c.live = outer && !c.done;
                        c.done = true;
                        c.else_seen = true;
                    }
                    None => self.error("#else without #if"),
                }
            }
            "endif" if conds.pop().is_none() => self.error("#endif without #if"),
            "endif" => {}
            _ if !live => {}
            "define" => self.define(arg),
            "undef" => {
                let name = arg.split_whitespace().next().unwrap_or("");
                self.macros.remove(name);
            }
            "include" | "include_next" => self.include(arg, dirs, depth),
            "error" => self.error(format!("#error {arg}")),
            // As GCC's cpp: this file is included once (its own name, or
            // another that reaches the same file, includes nothing more).
            "pragma" if arg.split_whitespace().eq(["once"]) => {
                if let Some(f) = self.src.files.get(self.here.file as usize) {
                    let canon = f.path.canonicalize().unwrap_or_else(|_| f.path.clone());
                    self.once.insert(canon);
                }
            }
            // GNU cpp's assembler mode passes any other `#` line through;
            // to the assembler it is a comment.
            _ => {}
        }
    }

    fn define(&mut self, arg: &str) {
        let n = arg.bytes().take_while(|&c| is_ident_char(c)).count();
        let (name, rest) = arg.split_at(n);
        if name.is_empty() || name.as_bytes()[0].is_ascii_digit() {
            self.error("#define needs a macro name");
            return;
        }
        let (params, variadic, body) = if let Some(list) = rest.strip_prefix('(') {
            let Some(close) = list.find(')') else {
                self.error(format!("missing `)` in the parameter list of `{name}`"));
                return;
            };
            let mut params: Vec<Rc<str>> = Vec::new();
            let mut variadic = false;
            for p in list[..close].split(',').map(str::trim) {
                if variadic {
                    self.error(format!("`...` must be the last parameter of `{name}`"));
                    return;
                }
                if p == "..." {
                    params.push("__VA_ARGS__".into());
                    variadic = true;
                } else if let Some(named) = p.strip_suffix("...") {
                    params.push(named.trim().into());
                    variadic = true;
                } else if p.is_empty() && list[..close].trim().is_empty() {
                    break;
                } else if p.bytes().all(is_ident_char) && !p.is_empty() {
                    params.push(p.into());
                } else {
                    self.error(format!("bad parameter `{p}` of macro `{name}`"));
                    return;
                }
            }
            (Some(params), variadic, &list[close + 1..])
        } else {
            (None, false, rest)
        };
        let mut body = tokenize(body);
        if let Some(first) = body.first_mut() {
            first.space = false;
        }
        self.next_id += 1;
        self.macros.insert(
            name.into(),
            Rc::new(Macro {
                id: self.next_id,
                params,
                variadic,
                body,
            }),
        );
    }

    fn include(&mut self, arg: &str, (dir, name_dir): (&Path, &Path), depth: usize) {
        let arg = if arg.starts_with('"') || arg.starts_with('<') {
            arg.to_string()
        } else {
            // A computed include: `#include NAME`.
            match self.expand_line(tokenize(arg)) {
                Ok(t) => spell(&t),
                Err(m) => {
                    self.error(m);
                    return;
                }
            }
        };
        let (inc, quoted) = if let Some(a) = arg.strip_prefix('"') {
            (a.split('"').next().unwrap_or(""), true)
        } else if let Some(a) = arg.strip_prefix('<') {
            (a.split('>').next().unwrap_or(""), false)
        } else {
            self.error("expected #include \"file\" or #include <file>");
            return;
        };
        if depth >= MAX_INCLUDE_DEPTH {
            self.error(format!(
                "#include nested too deeply (over {MAX_INCLUDE_DEPTH})"
            ));
            return;
        }
        let mut candidates: Vec<(PathBuf, PathBuf)> = Vec::new();
        if Path::new(inc).is_absolute() {
            // An absolute path is that file, `"..."` or `<...>` alike (as
            // GCC's cpp): the `-I` directories are not searched.
            candidates.push((PathBuf::from(inc), PathBuf::from(inc)));
        } else {
            if quoted {
                candidates.push((dir.join(inc), name_dir.join(inc)));
            }
            for d in &self.include_dirs {
                candidates.push((d.join(inc), d.join(inc)));
            }
        }
        let Some((path, name)) = candidates.into_iter().find(|(p, _)| p.exists()) else {
            self.error(crate::source::include_not_found(inc));
            return;
        };
        if !self.once.is_empty() {
            let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
            if self.once.contains(&canon) {
                return;
            }
        }
        let name = name.to_string_lossy().into_owned();
        match self.src.load_path(&path, name, inc, &self.stack) {
            Ok(id) => {
                if let Some(f) = self.src.files.get_mut(id as usize) {
                    f.cpp = true;
                }
                let p = self.src.files.get(id as usize).map(|f| f.path.clone());
                let here = self.here;
                let file_name = self.file_name.clone();
                self.stack.extend(p.clone());
                self.file(id, depth + 1);
                if p.is_some() {
                    self.stack.pop();
                }
                self.here = here;
                self.file_name = file_name;
            }
            Err(m) => self.error(m),
        }
    }

    /// A `#if`/`#elif` condition: `defined` first, then macros, then C's
    /// integer arithmetic (any name left is 0).
    fn condition(&mut self, arg: &str) -> bool {
        let toks = tokenize(arg);
        let mut pre = Vec::with_capacity(toks.len());
        let mut k = 0;
        while k < toks.len() {
            let t = &toks[k];
            if t.kind == Kind::Ident && &*t.text == "defined" {
                let (name, next) = match toks.get(k + 1) {
                    Some(p) if p.is("(") => match (toks.get(k + 2), toks.get(k + 3)) {
                        (Some(n), Some(c)) if n.kind == Kind::Ident && c.is(")") => (n, k + 4),
                        _ => {
                            self.error("expected `defined(NAME)`");
                            return false;
                        }
                    },
                    Some(n) if n.kind == Kind::Ident => (n, k + 2),
                    _ => {
                        self.error("expected a name after `defined`");
                        return false;
                    }
                };
                let v = if self.macros.contains_key(&*name.text) {
                    "1"
                } else {
                    "0"
                };
                pre.push(PTok {
                    kind: Kind::Number,
                    text: v.into(),
                    space: true,
                    hide: Rc::from([]),
                });
                k = next;
            } else {
                pre.push(t.clone());
                k += 1;
            }
        }
        let expanded = match self.expand_line(pre) {
            Ok(t) => t,
            Err(m) => {
                self.error(m);
                return false;
            }
        };
        let mut p = ExprParser {
            toks: &expanded,
            pos: 0,
            depth: 0,
        };
        match p.ternary() {
            Ok(v) if p.pos == expanded.len() => v != 0,
            Ok(_) => {
                let t = expanded.get(p.pos).map_or("", |t| &*t.text).to_string();
                self.error(format!("bad #if condition: unexpected `{t}`"));
                false
            }
            Err(m) => {
                self.error(format!("bad #if condition: {m}"));
                false
            }
        }
    }

    /// Expands a whole line: first refuses parentheses nested deeper than
    /// [`MAX_NESTING`] (macro calls in arguments recurse).
    fn expand_line(&mut self, toks: Vec<PTok>) -> Result<Vec<PTok>, Fail> {
        let mut depth = 0u32;
        for t in &toks {
            if t.is("(") {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(format!(
                        "parentheses nested too deeply (over {MAX_NESTING} levels)"
                    ));
                }
            } else if t.is(")") {
                depth = depth.saturating_sub(1);
            }
        }
        self.line_tokens = 0;
        self.expand(toks, 0)
    }

    /// Counts `n` tokens made or copied for the current line.
    fn spend(&mut self, n: usize) -> Result<(), Fail> {
        self.line_tokens += n;
        if self.line_tokens > MAX_LINE_TOKENS {
            return Err(format!(
                "macro expansion too large (over {MAX_LINE_TOKENS} tokens for one line)"
            ));
        }
        Ok(())
    }

    /// Expands every macro in `toks` (C17 6.10.3.4: rescanning).
    fn expand(&mut self, toks: Vec<PTok>, nesting: u32) -> Result<Vec<PTok>, Fail> {
        if nesting > MAX_NESTING {
            return Err(format!(
                "macro arguments nested too deeply (over {MAX_NESTING} levels)"
            ));
        }
        let mut input: VecDeque<PTok> = toks.into();
        let mut out = Vec::new();
        while let Some(t) = input.pop_front() {
            if t.kind != Kind::Ident {
                out.push(t);
                continue;
            }
            let special = match &*t.text {
                "__LINE__" => Some((Kind::Number, self.here.line.to_string())),
                "__FILE__" => Some((Kind::Str, format!("{:?}", &*self.file_name))),
                _ => None,
            };
            if let Some((kind, text)) = special {
                out.push(PTok {
                    kind,
                    text: text.into(),
                    ..t
                });
                continue;
            }
            let Some(m) = self.macros.get(&*t.text).cloned() else {
                out.push(t);
                continue;
            };
            if t.hide.contains(&m.id) {
                out.push(t);
                continue;
            }
            let body = match &m.params {
                None => self.substitute(&m, &[], &union(&t.hide, m.id), nesting)?,
                Some(params) => {
                    if !input.front().is_some_and(|n| n.is("(")) {
                        out.push(t);
                        continue;
                    }
                    let (args, rparen) = self.collect_args(&mut input, &t.text)?;
                    let args = fit_args(args, params.len(), m.variadic).ok_or_else(|| {
                        format!(
                            "macro `{}` takes {} argument{}",
                            t.text,
                            params.len(),
                            if params.len() == 1 { "" } else { "s" }
                        )
                    })?;
                    let hide = union(&intersect(&t.hide, &rparen.hide), m.id);
                    self.substitute(&m, &args, &hide, nesting)?
                }
            };
            self.spend(body.len() + 1)?;
            let len = body.len();
            for b in body.into_iter().rev() {
                input.push_front(b);
            }
            if len > 0 {
                if let Some(f) = input.front_mut() {
                    f.space = t.space;
                }
            }
        }
        Ok(out)
    }

    /// The arguments of a call whose `(` is next in `input`, and its `)`.
    fn collect_args(
        &mut self,
        input: &mut VecDeque<PTok>,
        name: &str,
    ) -> Result<(Vec<Vec<PTok>>, PTok), Fail> {
        input.pop_front();
        let mut args = vec![Vec::new()];
        let mut depth = 0u32;
        while let Some(t) = input.pop_front() {
            if t.is("(") {
                depth += 1;
            } else if t.is(")") {
                if depth == 0 {
                    return Ok((args, t));
                }
                depth -= 1;
            } else if t.is(",") && depth == 0 {
                args.push(Vec::new());
                continue;
            }
            if let Some(a) = args.last_mut() {
                a.push(t);
            }
            self.spend(1)?;
        }
        Err(format!("unterminated call of macro `{name}`"))
    }

    /// A macro's body with its arguments put in (C17 6.10.3.1-3): `#p`
    /// stringized, `##` pasted, other parameters fully expanded first.
    fn substitute(
        &mut self,
        m: &Macro,
        args: &[Vec<PTok>],
        hide: &Rc<[u32]>,
        nesting: u32,
    ) -> Result<Vec<PTok>, Fail> {
        let params = m.params.as_deref().unwrap_or(&[]);
        let param = |t: &PTok| -> Option<usize> {
            (t.kind == Kind::Ident)
                .then(|| params.iter().position(|p| **p == *t.text))
                .flatten()
        };
        let body = &m.body;
        let mut out: Vec<PTok> = Vec::with_capacity(body.len());
        let mut k = 0;
        while k < body.len() {
            let t = &body[k];
            // `#param` (function-like macros only).
            if m.params.is_some() && t.is("#") {
                if let Some(p) = body.get(k + 1).and_then(param) {
                    out.push(PTok {
                        kind: Kind::Str,
                        text: stringize(args.get(p).map_or(&[][..], |a| a)).into(),
                        space: t.space,
                        hide: hide.clone(),
                    });
                    k += 2;
                    continue;
                }
            }
            if t.is("##") && !out.is_empty() && k + 1 < body.len() {
                let rhs = &body[k + 1];
                let mut right: Vec<PTok> = match param(rhs) {
                    Some(p) => args.get(p).cloned().unwrap_or_default(),
                    None => vec![rhs.clone()],
                };
                // GNU: `, ## __VA_ARGS__` drops the comma when the
                // variadic argument is empty, and pastes nothing when not.
                if m.variadic
                    && param(rhs) == Some(params.len().saturating_sub(1))
                    && out.last().is_some_and(|l| l.is(","))
                {
                    if right.is_empty() {
                        out.pop();
                    } else {
                        let expanded = self.expand(right, nesting + 1)?;
                        out.extend(expanded);
                    }
                    k += 2;
                    continue;
                }
                if !right.is_empty() {
                    let r = right.remove(0);
                    if let Some(l) = out.last_mut() {
                        let text = format!("{}{}", l.text, r.text);
                        let kind = match tokenize(&text).as_slice() {
                            [one] => one.kind,
                            _ => Kind::Punct,
                        };
                        l.text = text.into();
                        l.kind = kind;
                    }
                    for mut r in right {
                        r.hide = hide.clone();
                        out.push(r);
                    }
                }
                k += 2;
                continue;
            }
            if let Some(p) = param(t) {
                let arg = args.get(p).cloned().unwrap_or_default();
                let next_is_paste = body.get(k + 1).is_some_and(|n| n.is("##"));
                let mut toks = if next_is_paste {
                    arg
                } else {
                    self.expand(arg, nesting + 1)?
                };
                if let Some(f) = toks.first_mut() {
                    f.space = t.space;
                }
                out.extend(toks);
                k += 1;
                continue;
            }
            let mut c = t.clone();
            c.hide = hide.clone();
            out.push(c);
            k += 1;
        }
        // Prosser's `hsadd`: every token of the result is hidden from the
        // macros of `hide` too.
        for t in &mut out {
            if t.hide.is_empty() {
                t.hide = hide.clone();
            } else {
                for &id in hide.iter() {
                    t.hide = union(&t.hide, id);
                }
            }
        }
        Ok(out)
    }
}

/// Matches the arguments read to the parameters: `F()` is one empty
/// argument; a variadic macro's extra arguments join its last (with
/// their commas); a missing variadic argument is empty.
fn fit_args(mut args: Vec<Vec<PTok>>, n: usize, variadic: bool) -> Option<Vec<Vec<PTok>>> {
    if n == 0 {
        return (args.len() == 1 && args[0].is_empty()).then(Vec::new);
    }
    if variadic && args.len() > n {
        let rest = args.split_off(n - 1);
        let mut joined = Vec::new();
        for (i, a) in rest.into_iter().enumerate() {
            if i > 0 {
                joined.push(PTok {
                    kind: Kind::Punct,
                    text: ",".into(),
                    space: false,
                    hide: Rc::from([]),
                });
            }
            joined.extend(a);
        }
        args.push(joined);
    }
    if variadic && args.len() == n - 1 {
        args.push(Vec::new());
    }
    (args.len() == n).then_some(args)
}

/// `#arg`: the argument's spelling as a string literal (C17 6.10.3.2).
fn stringize(arg: &[PTok]) -> String {
    let mut s = String::from("\"");
    for (i, t) in arg.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        if matches!(t.kind, Kind::Str | Kind::Char) {
            for c in t.text.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
        } else {
            s.push_str(&t.text);
        }
    }
    s.push('"');
    s
}

/// C's integer constant expressions (C17 6.6), in 64 bits.
struct ExprParser<'a> {
    toks: &'a [PTok],
    pos: usize,
    depth: u32,
}

impl ExprParser<'_> {
    fn peek(&self) -> Option<&PTok> {
        self.toks.get(self.pos)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.peek().is_some_and(|t| t.is(p)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ternary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("expression nested too deeply".into());
        }
        let c = self.binary(0)?;
        let r = if self.eat("?") {
            let a = self.ternary()?;
            if !self.eat(":") {
                return Err("expected `:`".into());
            }
            let b = self.ternary()?;
            Ok(if c != 0 { a } else { b })
        } else {
            Ok(c)
        };
        self.depth -= 1;
        r
    }

    /// Binary operators by C precedence, loosest (`||`) first.
    fn binary(&mut self, level: usize) -> Result<i64, String> {
        const LEVELS: &[&[&str]] = &[
            &["||"],
            &["&&"],
            &["|"],
            &["^"],
            &["&"],
            &["==", "!="],
            &["<", ">", "<=", ">="],
            &["<<", ">>"],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut a = self.binary(level + 1)?;
        loop {
            let Some(op) = self
                .peek()
                .filter(|t| t.kind == Kind::Punct && LEVELS[level].contains(&&*t.text))
                .map(|t| t.text.clone())
            else {
                return Ok(a);
            };
            self.pos += 1;
            let b = self.binary(level + 1)?;
            a = match &*op {
                "||" => (a != 0 || b != 0) as i64,
                "&&" => (a != 0 && b != 0) as i64,
                "|" => a | b,
                "^" => a ^ b,
                "&" => a & b,
                "==" => (a == b) as i64,
                "!=" => (a != b) as i64,
                "<" => (a < b) as i64,
                ">" => (a > b) as i64,
                "<=" => (a <= b) as i64,
                ">=" => (a >= b) as i64,
                "<<" => a.wrapping_shl(b as u32 & 63),
                ">>" => a.wrapping_shr(b as u32 & 63),
                "+" => a.wrapping_add(b),
                "-" => a.wrapping_sub(b),
                "*" => a.wrapping_mul(b),
                "/" | "%" if b == 0 => return Err("division by zero".into()),
                "/" => a.wrapping_div(b),
                _ => a.wrapping_rem(b),
            };
        }
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err("expression nested too deeply".into());
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<i64, String> {
        let Some(t) = self.peek().cloned() else {
            return Err("expected a value".into());
        };
        self.pos += 1;
        match t.kind {
            Kind::Punct => match &*t.text {
                "-" => Ok(self.unary()?.wrapping_neg()),
                "+" => self.unary(),
                "~" => Ok(!self.unary()?),
                "!" => Ok((self.unary()? == 0) as i64),
                "(" => {
                    let v = self.ternary()?;
                    if self.eat(")") {
                        Ok(v)
                    } else {
                        Err("expected `)`".into())
                    }
                }
                other => Err(format!("unexpected `{other}`")),
            },
            Kind::Number => c_number(&t.text).ok_or_else(|| format!("bad number `{}`", t.text)),
            Kind::Char => {
                let b = t.text.as_bytes();
                let (v, _) = crate::lexer::char_escape(b, 1).unwrap_or((0, 0));
                Ok(v as i64)
            }
            // A name that is no macro (C17 6.10.1p4).
            Kind::Ident => Ok(0),
            Kind::Str => Err("a string in #if".into()),
        }
    }
}

/// A C integer constant: decimal, `0x` hex, `0b` binary, `0` octal, with
/// `u`/`l` suffixes.
fn c_number(s: &str) -> Option<i64> {
    let t = s.trim_end_matches(['u', 'U', 'l', 'L']);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    u64::from_str_radix(digits, radix).ok().map(|v| v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Preprocesses `text` as file `t.S` and returns the output lines.
    fn pp(text: &str) -> (Vec<String>, Vec<String>) {
        pp_with(text, &Options::default())
    }

    fn pp_with(text: &str, opts: &Options) -> (Vec<String>, Vec<String>) {
        let mut src = Sources::default();
        let f = src.add_file("t.S".into(), PathBuf::from("t.S"), text.into());
        let mut out = Vec::new();
        let mut errs = Vec::new();
        preprocess(&mut src, f, opts, &mut out, &mut errs);
        (
            out.iter()
                .map(|l| format!("{}: {}", l.line, src.line_text(*l).trim()))
                .collect(),
            errs.iter()
                .map(|(l, _, m)| format!("{}: {m}", l.line))
                .collect(),
        )
    }

    #[test]
    fn function_like_macros_as_in_riscv_tests() {
        let src = "#define MASK_XLEN(x) ((x) & 0xFFFFFFFFFFFFFFFF)\n\
                   #define TEST_CASE( testnum, testreg, correctval, code... ) \\\n\
                   test_ ## testnum: \\\n    li  x7, MASK_XLEN(correctval); \\\n    code; \\\n    bne testreg, x7, fail;\n\
                   #define TEST_RR_OP( testnum, inst, result, val1, val2 ) \\\n\
                   TEST_CASE( testnum, x14, result, \\\n      li  x1, MASK_XLEN(val1); \\\n      li  x2, MASK_XLEN(val2); \\\n      inst x14, x1, x2; \\\n    )\n\
                   TEST_RR_OP( 2,  add, 0x00000002, 0x00000001, 0x00000001 );\n";
        let (out, errs) = pp(src);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            out,
            ["13: test_2: li x7, ((0x00000002) & 0xFFFFFFFFFFFFFFFF); li x1, ((0x00000001) & 0xFFFFFFFFFFFFFFFF); li x2, ((0x00000001) & 0xFFFFFFFFFFFFFFFF); add x14, x1, x2;; bne x14, x7, fail;;"]
        );
    }

    #[test]
    fn conditions_use_c_precedence_and_defined() {
        let (out, errs) = pp(
            "#define A 2\n#if 1 + 2 << 1 == 6 && defined(A) && !defined B\nyes\n#elif 1\nno\n#else\nno\n#endif\n\
             #if __riscv_xlen == 64 ? A > 1 : 0\nxlen\n#endif\n#ifdef __ASSEMBLER__\nasm\n#endif\n",
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(out, ["3: yes", "10: xlen", "13: asm"]);
    }

    #[test]
    fn stringize_paste_variadic_and_comments() {
        let (out, errs) = pp(
            "#define S(x) #x\n#define CAT(a, b) a ## b\n#define V(f, ...) f(1, ## __VA_ARGS__)\n\
             S(a \"b\" c) CAT(x, 1) V(g) V(h, 2, 3) /* gone */ # asm comment\n\
             li a0, 1 // gone too\n# not a directive\n__LINE__ __FILE__\n",
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            out,
            [
                r#"4: "a \"b\" c" x1 g(1) h(1, 2, 3) # asm comment"#,
                "5: li a0, 1",
                "7: 7 \"t.S\""
            ]
        );
    }

    #[test]
    fn no_endless_recursion() {
        let (out, _) = pp("#define f(x) x f\n#define a a b\nf(1)(2) a\n");
        assert_eq!(out, ["3: 1 f(2) a b"]);
    }

    #[test]
    fn bombs_end_with_an_error() {
        let mut src = String::new();
        src.push_str("#define A0 x x\n");
        for i in 1..40 {
            src.push_str(&format!("#define A{i} A{} A{}\n", i - 1, i - 1));
        }
        src.push_str("A39\n");
        let (_, errs) = pp(&src);
        assert!(errs[0].contains("too large"), "{errs:?}");
        let deep = format!(
            "#define f(x) x\n{}1{}\n",
            "f(".repeat(5000),
            ")".repeat(5000)
        );
        let (_, errs) = pp(&deep);
        assert!(errs[0].contains("nested too deeply"), "{errs:?}");
        let deep = format!("#if {}1{}\n#endif\n", "(".repeat(5000), ")".repeat(5000));
        let (_, errs) = pp(&deep);
        assert!(errs[0].contains("nested too deeply"), "{errs:?}");
    }

    #[test]
    fn command_line_defines() {
        let opts = Options {
            defines: vec![("N".into(), Some("3".into())), ("FLAG".into(), None)],
            ..Options::default()
        };
        let (out, _) = pp_with("#if FLAG\nli a0, N\n#endif\n", &opts);
        assert_eq!(out, ["2: li a0, 3"]);
    }
}
