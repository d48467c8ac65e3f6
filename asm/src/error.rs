//! Assembly errors: `file:line:col: message`, the source line and a caret
//! under the column, like gcc and rustc. All errors of a run are collected.

use std::fmt;

/// One error, located in a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub file: String,
    /// 1-based line number (0 when the error is about the file as a whole).
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    pub message: String,
    /// The text of the line (after macro and `#define` substitution), if any.
    pub source_line: String,
    /// For a line of a macro body: the line that invoked the macro
    /// (`file:line`), as GNU as's "macro invoked from here".
    pub invoked_from: Option<String>,
}

impl Error {
    /// An error about a whole file (not found, unreadable).
    pub fn file(file: &str, message: impl Into<String>) -> Error {
        Error {
            file: file.to_string(),
            line: 0,
            col: 0,
            message: message.into(),
            source_line: String::new(),
            invoked_from: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.file, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )?;
        if !self.source_line.is_empty() {
            let line = self.source_line.replace('\t', " ");
            let pad = " ".repeat(self.col.saturating_sub(1) as usize);
            write!(f, "\n    {line}\n    {pad}^")?;
        }
        if let Some(at) = &self.invoked_from {
            write!(f, "\n{at}: note: macro invoked from here")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Every error of an assembly run, in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// The messages alone (`file:line:col: message`), one per error: handy
    /// in tests.
    pub fn headlines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|e| {
                if e.line == 0 {
                    format!("{}: {}", e.file, e.message)
                } else {
                    format!("{}:{}:{}: {}", e.file, e.line, e.col, e.message)
                }
            })
            .collect()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n{} errors", self.0.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl From<Error> for Errors {
    fn from(e: Error) -> Errors {
        Errors(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_gcc() {
        let e = Error {
            file: "hello.s".into(),
            line: 12,
            col: 5,
            message: "unknown instruction `addx`".into(),
            source_line: "    addx a0, a0, 1".into(),
            invoked_from: None,
        };
        assert_eq!(
            e.to_string(),
            "hello.s:12:5: unknown instruction `addx`\n        addx a0, a0, 1\n        ^"
        );
    }
}
