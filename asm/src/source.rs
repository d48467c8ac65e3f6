//! Source text: files and their lines, read with limits (a regular file,
//! at most [`MAX_FILE_SIZE`] bytes, [`MAX_TOTAL_SOURCE`] in all).
//!
//! Every line the assembler reads is a [`LineRef`]: a span of a text in the
//! arena (a whole file, or one line made by macro expansion or by the C
//! preprocessor, [`crate::cpp`]) plus the file and line number that errors
//! name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::lexer::Dialect;

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
    /// Texts are `Rc<String>`: made from a `String` without copying it.
    pub texts: Vec<Rc<String>>,
    /// Files already read, by canonical path.
    by_path: HashMap<PathBuf, u32>,
    /// Bytes of every file read.
    total_bytes: u64,
}

/// A preprocessing error: the line, the byte offset in it, the message.
pub type PpError = (LineRef, u32, String);

impl Sources {
    pub fn add_text(&mut self, text: String) -> u32 {
        self.texts.push(Rc::new(text));
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

    /// Reads an included file: relative to the including file's directory
    /// (`dir`; `name_dir` is the same for the name errors show), else the
    /// main file's, else each of `include_dirs` (`-I`), else (as GNU as)
    /// the current directory. Reports a cycle if the file is already
    /// being read. A file read before is not read again.
    pub fn load(
        &mut self,
        dir: &Path,
        name_dir: &Path,
        inc: &str,
        stack: &[PathBuf],
        include_dirs: &[PathBuf],
    ) -> Result<u32, String> {
        let main = self.files.first().map(|f| {
            (
                f.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                Path::new(&f.name)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            )
        });
        let candidates = [Some((dir.to_path_buf(), name_dir.to_path_buf())), main]
            .into_iter()
            .flatten()
            .chain(include_dirs.iter().map(|d| (d.clone(), d.clone())));
        let (path, name) = candidates
            .map(|(d, n)| (d.join(inc), n.join(inc)))
            .find(|(p, _)| p.exists())
            .unwrap_or_else(|| (PathBuf::from(inc), PathBuf::from(inc)));
        self.load_path(&path, name.to_string_lossy().into_owned(), inc, stack)
    }

    /// Reads the file at `path` (once: a second include reuses the text).
    pub fn load_path(
        &mut self,
        path: &Path,
        name: String,
        shown: &str,
        stack: &[PathBuf],
    ) -> Result<u32, String> {
        let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if stack.contains(&canon) {
            return Err(format!(
                "include cycle: `{shown}` is already being included"
            ));
        }
        if let Some(&id) = self.by_path.get(&canon) {
            return Ok(id);
        }
        let text = read_source(path).map_err(|e| match e {
            ReadError::NotFound => include_not_found(shown),
            e => format!("include file `{shown}`: {e}"),
        })?;
        self.total_bytes += text.len() as u64;
        if self.total_bytes > MAX_TOTAL_SOURCE {
            return Err(format!(
                "include file `{shown}`: the sources add up to over {} MiB",
                MAX_TOTAL_SOURCE >> 20
            ));
        }
        let id = self.add_file(name, canon.clone(), text);
        self.by_path.insert(canon, id);
        Ok(id)
    }
}

/// The largest source file read (a generated source of a million lines
/// is about 30 MiB).
pub const MAX_FILE_SIZE: u64 = 64 << 20;
/// All files read by one assembly, together.
pub const MAX_TOTAL_SOURCE: u64 = 256 << 20;

/// Why a source file could not be read.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    NotRegular,
    TooLarge,
    NotUtf8,
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "not found"),
            ReadError::NotRegular => write!(f, "not a regular file"),
            ReadError::TooLarge => write!(f, "larger than {} MiB", MAX_FILE_SIZE >> 20),
            ReadError::NotUtf8 => write!(f, "not UTF-8 text"),
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

/// Reads a source file: a regular file (not a device or a pipe, which
/// might never end), of at most [`MAX_FILE_SIZE`] bytes, in UTF-8.
pub fn read_source(path: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
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

/// The error for an include file found nowhere: for one of trapvisor's
/// guest library (`lib/console.inc` and the others, in
/// `guest-programs/lib`), with the option that finds it.
pub fn include_not_found(inc: &str) -> String {
    if inc.starts_with("lib/") && inc.ends_with(".inc") {
        format!(
            "include file `{inc}` not found (trapvisor's guest library is in guest-programs/lib: \
             give -I guest-programs, or the path to it)"
        )
    } else {
        format!("include file `{inc}` not found")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines() {
        let v: Vec<_> = lines("a\r\nbc\n\nd").collect();
        assert_eq!(v, vec![(0, 1), (3, 5), (6, 6), (7, 8)]);
    }
}
