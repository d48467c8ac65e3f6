//! Source text: files, their lines, and the C preprocessor subset for `.S`
//! files (`#include "file"`, `#define NAME value` of plain constants,
//! `#undef`, `#ifdef`/`#ifndef`/`#if`/`#elif`/`#else`/`#endif`).
//!
//! Every line the assembler reads is a [`LineRef`]: a span of a text in the
//! arena (a whole file, or one line made by macro expansion or `#define`
//! substitution) plus the file and line number that errors name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::lexer::{is_ident_char, tokenize, Dialect, Tok};

/// A line of source: where its text is and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRef {
    pub text: u32,
    pub start: u32,
    pub end: u32,
    pub file: u32,
    /// 1-based.
    pub line: u32,
}

pub struct SourceFile {
    /// The name errors use (as given, or relative to the including file).
    pub name: String,
    pub path: PathBuf,
    pub text: u32,
    /// A `.S` file: C preprocessor, `//` comments.
    pub cpp: bool,
}

#[derive(Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
    pub texts: Vec<Rc<str>>,
}

/// A preprocessing error: the line, the byte offset in it, the message.
pub type PpError = (LineRef, u32, String);

impl Sources {
    pub fn add_text(&mut self, text: impl Into<Rc<str>>) -> u32 {
        self.texts.push(text.into());
        (self.texts.len() - 1) as u32
    }

    pub fn add_file(&mut self, name: String, path: PathBuf, text: String) -> u32 {
        let cpp = path.extension().is_some_and(|e| e == "S" || e == "sx");
        let text = self.add_text(text);
        self.files.push(SourceFile {
            name,
            path,
            text,
            cpp,
        });
        (self.files.len() - 1) as u32
    }

    pub fn line_text(&self, l: LineRef) -> &str {
        self.texts
            .get(l.text as usize)
            .and_then(|t| t.get(l.start as usize..l.end as usize))
            .unwrap_or("")
    }

    pub fn dialect(&self, file: u32) -> Dialect {
        Dialect {
            slash_comments: self.files.get(file as usize).is_some_and(|f| f.cpp),
        }
    }

    /// Runs the preprocessor over `.S` file `file`, appending its lines
    /// (and those of the files it `#include`s) to `out`.
    pub fn preprocess(
        &mut self,
        file: u32,
        defines: &mut HashMap<String, String>,
        stack: &mut Vec<PathBuf>,
        out: &mut Vec<LineRef>,
        errors: &mut Vec<PpError>,
    ) {
        let Some(f) = self.files.get(file as usize) else {
            return;
        };
        let text_id = f.text;
        let text = self.texts[text_id as usize].clone();
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name_dir = Path::new(&f.name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // One entry per open #if: (this branch is live, some branch was taken).
        let mut conds: Vec<(bool, bool)> = Vec::new();
        let mut in_comment = false;
        let mut toks = Vec::new();
        for (i, (start, end)) in lines(&text).enumerate() {
            let l = LineRef {
                text: text_id,
                start: start as u32,
                end: end as u32,
                file,
                line: i as u32 + 1,
            };
            let line = &text[start..end];
            let live = conds.iter().all(|c| c.0);
            let trimmed = line.trim_start();
            if !in_comment && trimmed.starts_with('#') {
                let indent = (line.len() - trimmed.len()) as u32;
                let rest = trimmed[1..].trim_start();
                let word_len = rest.bytes().take_while(|&c| is_ident_char(c)).count();
                let (word, arg) = rest.split_at(word_len);
                let arg = strip_comment(arg).trim();
                let at = indent;
                let mut err = |msg: String| errors.push((l, at, msg));
                match word {
                    "ifdef" | "ifndef" => {
                        let defined = defines.contains_key(arg);
                        let take = live && (defined == (word == "ifdef"));
                        conds.push((take, take));
                    }
                    "if" => {
                        let v = live
                            && eval_condition(arg, defines).unwrap_or_else(|m| {
                                err(m);
                                false
                            });
                        conds.push((v, v));
                    }
                    "elif" => match conds.pop() {
                        Some((_, taken)) => {
                            let outer = conds.iter().all(|c| c.0);
                            let v = outer
                                && !taken
                                && eval_condition(arg, defines).unwrap_or_else(|m| {
                                    err(m);
                                    false
                                });
                            conds.push((v, taken || v));
                        }
                        None => err("#elif without #if".into()),
                    },
                    "else" => match conds.pop() {
                        Some((_, taken)) => {
                            let outer = conds.iter().all(|c| c.0);
                            conds.push((outer && !taken, true));
                        }
                        None => err("#else without #if".into()),
                    },
                    "endif" if conds.pop().is_none() => err("#endif without #if".into()),
                    "endif" => {}
                    _ if !live => {}
                    "define" => {
                        let n = arg.bytes().take_while(|&c| is_ident_char(c)).count();
                        let (name, value) = arg.split_at(n);
                        if name.is_empty() {
                            err("#define needs a name".into());
                        } else if value.starts_with('(') {
                            err(format!(
                                "function-like macro `{name}` is not supported (only #define NAME value)"
                            ));
                        } else {
                            defines.insert(name.to_string(), value.trim().to_string());
                        }
                    }
                    "undef" => {
                        defines.remove(arg);
                    }
                    "include" => {
                        let Some(inc) = arg
                            .strip_prefix('"')
                            .and_then(|a| a.strip_suffix('"'))
                            .or_else(|| arg.strip_prefix('<').and_then(|a| a.strip_suffix('>')))
                        else {
                            err("expected #include \"file\"".into());
                            continue;
                        };
                        match self.load(&dir, &name_dir, inc, stack) {
                            Ok(id) => {
                                // cpp reads what it includes with C comments.
                                if let Some(f) = self.files.get_mut(id as usize) {
                                    f.cpp = true;
                                }
                                if let Some(p) = self.files.get(id as usize).map(|f| f.path.clone())
                                {
                                    stack.push(p);
                                    self.preprocess(id, defines, stack, out, errors);
                                    stack.pop();
                                }
                            }
                            Err(m) => err(m),
                        }
                    }
                    "error" => err(format!("#error {arg}")),
                    "warning" | "pragma" | "line" | "ident" => {}
                    // Anything else after `#` is an assembler comment.
                    _ => {}
                }
                continue;
            }
            if !live {
                continue;
            }
            // Track block comments so that `#` inside them is no directive.
            tokenize(
                line,
                Dialect {
                    slash_comments: true,
                },
                &mut in_comment,
                &mut toks,
            );
            if !defines.is_empty() && toks.iter().any(|t| t.kind == Tok::Ident) {
                if let Some(new) = substitute(line, defines) {
                    let id = self.add_text(new);
                    let len = self.texts[id as usize].len() as u32;
                    out.push(LineRef {
                        text: id,
                        start: 0,
                        end: len,
                        file,
                        line: l.line,
                    });
                    continue;
                }
            }
            out.push(l);
        }
        if !conds.is_empty() {
            let line = lines(&text).count() as u32;
            let l = LineRef {
                text: text_id,
                start: 0,
                end: 0,
                file,
                line: line.max(1),
            };
            errors.push((l, 0, "#if without #endif".into()));
        }
    }

    /// Reads an included file, relative to the including file's directory
    /// (`dir`; `name_dir` is the same for the name errors show). Reports a
    /// cycle if the file is already being read.
    pub fn load(
        &mut self,
        dir: &Path,
        name_dir: &Path,
        inc: &str,
        stack: &[PathBuf],
    ) -> Result<u32, String> {
        // Relative to the including file, else to the main file's
        // directory (where `gcc -Wa,-I` would point), else (as GNU as) to
        // the current directory.
        let main = self.files.first().map(|f| {
            (
                f.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                Path::new(&f.name)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            )
        });
        let candidates = [Some((dir.to_path_buf(), name_dir.to_path_buf())), main];
        let (path, name) = candidates
            .into_iter()
            .flatten()
            .map(|(d, n)| (d.join(inc), n.join(inc)))
            .find(|(p, _)| p.exists())
            .unwrap_or_else(|| (PathBuf::from(inc), PathBuf::from(inc)));
        let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
        if stack.contains(&canon) {
            return Err(format!("include cycle: `{inc}` is already being included"));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|_| format!("include file `{inc}` not found"))?;
        let name = name.to_string_lossy().into_owned();
        Ok(self.add_file(name, canon, text))
    }
}

/// Byte spans of the lines of `text` (without `\n` or `\r\n`).
pub fn lines(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let end = match text.as_bytes()[pos..].iter().position(|&c| c == b'\n') {
            Some(n) => {
                pos = start + n + 1;
                start + n
            }
            None => {
                pos = text.len();
                text.len()
            }
        };
        let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some((start, end))
    })
}

fn strip_comment(s: &str) -> &str {
    let cut = [s.find("//"), s.find("/*")].into_iter().flatten().min();
    cut.map_or(s, |i| &s[..i])
}

/// Replaces every `#define`d identifier in `line` (outside strings and
/// character constants, on identifier boundaries, recursively as cpp does).
/// `None` if nothing changed.
pub fn substitute(line: &str, defines: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(line.len() + 16);
    let changed = subst_into(line, defines, &mut Vec::new(), &mut out);
    changed.then_some(out)
}

fn subst_into<'a>(
    line: &str,
    defines: &'a HashMap<String, String>,
    active: &mut Vec<&'a str>,
    out: &mut String,
) -> bool {
    let b = line.as_bytes();
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push_str(&line[start..i]);
        } else if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            out.push_str(&line[i..]);
            break;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && is_ident_char(b[i]) {
                i += 1;
            }
            out.push_str(&line[start..i]);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &line[start..i];
            match defines.get_key_value(word) {
                Some((k, v)) if !active.contains(&k.as_str()) && active.len() < 32 => {
                    active.push(k);
                    subst_into(v, defines, active, out);
                    active.pop();
                    changed = true;
                }
                _ => out.push_str(word),
            }
        } else {
            let len = line[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&line[i..i + len]);
            i += len;
        }
    }
    changed
}

/// Evaluates a `#if` condition: `defined NAME`, `defined(NAME)`, integers
/// and the usual operators, after `#define` substitution.
fn eval_condition(arg: &str, defines: &HashMap<String, String>) -> Result<bool, String> {
    let mut s = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find("defined") {
        s.push_str(&rest[..i]);
        let after = rest[i + 7..].trim_start();
        let (inner, tail) = if let Some(p) = after.strip_prefix('(') {
            let close = p.find(')').ok_or("expected `)` after defined(")?;
            (p[..close].trim(), &p[close + 1..])
        } else {
            let n = after.bytes().take_while(|&c| is_ident_char(c)).count();
            (&after[..n], &after[n..])
        };
        s.push_str(if defines.contains_key(inner) {
            " 1 "
        } else {
            " 0 "
        });
        rest = tail;
    }
    s.push_str(rest);
    let s = substitute(&s, defines).unwrap_or(s);
    crate::eval_constant(&s)
        .map(|v| v != 0)
        .map_err(|m| format!("bad #if condition: {m}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_whole_words_only() {
        let mut d = HashMap::new();
        d.insert("UART".to_string(), "0x10000000".to_string());
        d.insert("BASE".to_string(), "UART + 8".to_string());
        assert_eq!(
            substitute("li t0, BASE # UART", &d).as_deref(),
            Some("li t0, 0x10000000 + 8 # UART")
        );
        assert_eq!(substitute("li t0, UARTX, \"UART\"", &d), None);
    }

    #[test]
    fn splits_lines() {
        let v: Vec<_> = lines("a\r\nbc\n\nd").collect();
        assert_eq!(v, vec![(0, 1), (3, 5), (6, 6), (7, 8)]);
    }
}
