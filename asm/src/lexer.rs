//! The lexer: one source line into tokens.
//!
//! GNU as syntax for RISC-V: `#` starts a comment (and so does `//` in `.S`
//! files, which the C preprocessor would strip), `/* */` comments may span
//! lines, `;` separates statements. Numbers are decimal, `0x` hex, `0b`
//! binary or leading-`0` octal; `1b`/`1f` refer to numeric local labels;
//! `'a'` (or GNU's `'a`) is a character constant.

/// What a token is. Text of identifiers and strings is recovered from the
/// line through the token's span, so lexing allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// `[A-Za-z_.$][A-Za-z0-9_.$]*`
    Ident,
    /// A number or character constant.
    Num(u64),
    /// A numeric local label reference, `1b` or `1f`.
    LocalRef { label: u64, forward: bool },
    /// A string literal, quotes included in the span.
    Str,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// Any other single punctuation character.
    Punct(u8),
    /// `;`: the end of a statement.
    Semi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    /// Byte offsets of the token in its line.
    pub start: u32,
    pub end: u32,
}

/// A lexical error: the byte offset where it was found and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub at: u32,
    pub msg: String,
}

/// Comment conventions of the file being lexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// `//` starts a comment (C preprocessor sources, `.S`).
    pub slash_comments: bool,
}

pub fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.' || c == b'$'
}

pub fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

/// Tokenizes `line` into `out` (cleared first). `in_comment` carries an open
/// `/* */` comment from the previous line into this one and out again.
/// Lexing goes on after an error so that the statement boundaries (and the
/// other statements of the line) are still found; the first error is returned.
pub fn tokenize(
    line: &str,
    dialect: Dialect,
    in_comment: &mut bool,
    out: &mut Vec<Token>,
) -> Option<LexError> {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0usize;
    let mut err: Option<LexError> = None;
    let tok = |kind, start: usize, end: usize| Token {
        kind,
        start: start as u32,
        end: end as u32,
    };
    while i < b.len() {
        if *in_comment {
            match find(b, i, b"*/") {
                Some(j) => {
                    *in_comment = false;
                    i = j + 2;
                    continue;
                }
                None => return err,
            }
        }
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\x0c' => i += 1,
            b'#' => break,
            b'/' if b.get(i + 1) == Some(&b'*') => {
                *in_comment = true;
                i += 2;
            }
            b'/' if dialect.slash_comments && b.get(i + 1) == Some(&b'/') => break,
            b';' => {
                out.push(tok(Tok::Semi, i, i + 1));
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    err.get_or_insert(LexError {
                        at: start as u32,
                        msg: "unterminated string".into(),
                    });
                    return err;
                }
                out.push(tok(Tok::Str, start, i.min(b.len())));
            }
            b'\'' => {
                let start = i;
                i += 1;
                match char_escape(b, i) {
                    Some((v, next)) => {
                        i = next;
                        if b.get(i) == Some(&b'\'') {
                            i += 1;
                        }
                        out.push(tok(Tok::Num(v), start, i));
                    }
                    None => {
                        err.get_or_insert(LexError {
                            at: start as u32,
                            msg: "unterminated character constant".into(),
                        });
                        return err;
                    }
                }
            }
            b'0'..=b'9' => {
                let start = i;
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                match number(&line[start..i]) {
                    Ok(kind) => out.push(tok(kind, start, i)),
                    Err(msg) => {
                        err.get_or_insert(LexError {
                            at: start as u32,
                            msg,
                        });
                        out.push(tok(Tok::Num(0), start, i));
                    }
                }
            }
            c if is_ident_start(c) => {
                let start = i;
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                out.push(tok(Tok::Ident, start, i));
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                out.push(tok(Tok::Shl, i, i + 2));
                i += 2;
            }
            b'>' if b.get(i + 1) == Some(&b'>') => {
                out.push(tok(Tok::Shr, i, i + 2));
                i += 2;
            }
            c if c.is_ascii_graphic() => {
                out.push(tok(Tok::Punct(c), i, i + 1));
                i += 1;
            }
            _ => {
                // Non-ASCII outside strings and comments.
                let len = line[i..].chars().next().map_or(1, char::len_utf8);
                err.get_or_insert(LexError {
                    at: i as u32,
                    msg: format!("unexpected character `{}`", &line[i..i + len]),
                });
                i += len;
            }
        }
    }
    err
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Decodes one possibly escaped character starting at `b[i]`: its value and
/// the index after it.
pub fn char_escape(b: &[u8], i: usize) -> Option<(u64, usize)> {
    let c = *b.get(i)?;
    if c != b'\\' {
        return Some((c as u64, i + 1));
    }
    let e = *b.get(i + 1)?;
    let simple = match e {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'b' => Some(8),
        b'f' => Some(12),
        b'v' => Some(11),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        b'\'' => Some(b'\''),
        _ => None,
    };
    if let Some(v) = simple {
        return Some((v as u64, i + 2));
    }
    match e {
        // Octal, up to three digits; GNU as takes 8 and 9 as digits too.
        b'0'..=b'9' => {
            let mut v = 0u64;
            let mut j = i + 1;
            while j < b.len() && j < i + 4 && b[j].is_ascii_digit() {
                v = v * 8 + (b[j] - b'0') as u64;
                j += 1;
            }
            Some((v & 0xff, j))
        }
        b'x' | b'X' => {
            let mut v = 0u64;
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                v = (v << 4) | (b[j] as char).to_digit(16).unwrap_or(0) as u64;
                j += 1;
            }
            Some((v & 0xff, j))
        }
        // GNU as keeps an unknown escape's character (`\a` is `a`).
        _ => Some((e as u64, i + 2)),
    }
}

/// Decodes a string literal's body (the span includes the quotes).
pub fn unescape(lit: &str, out: &mut Vec<u8>) {
    let b = lit.as_bytes();
    let end = b.len().saturating_sub(1);
    let mut i = 1;
    while i < end {
        match char_escape(&b[..end], i) {
            Some((v, next)) => {
                out.push(v as u8);
                i = next;
            }
            None => break,
        }
    }
}

fn number(text: &str) -> Result<Tok, String> {
    let lower = text.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(bin) = lower
        .strip_prefix("0b")
        .filter(|d| !d.is_empty() && d.bytes().all(|c| c == b'0' || c == b'1'))
    {
        (bin, 2)
    } else if let Some(label) = lower.strip_suffix('b').or_else(|| lower.strip_suffix('f')) {
        if !label.is_empty() && label.bytes().all(|c| c.is_ascii_digit()) {
            let forward = lower.ends_with('f');
            let label = label
                .parse::<u64>()
                .map_err(|_| format!("bad local label `{text}`"))?;
            return Ok(Tok::LocalRef { label, forward });
        }
        (lower.as_str(), 10)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() {
        return Err(format!("bad number `{text}`"));
    }
    u64::from_str_radix(digits, radix)
        .map(Tok::Num)
        .map_err(|e| {
            if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
                format!("number `{text}` does not fit in 64 bits")
            } else {
                format!("bad number `{text}`")
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut c = false;
        assert_eq!(
            tokenize(
                line,
                Dialect {
                    slash_comments: true
                },
                &mut c,
                &mut out
            ),
            None
        );
        out.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numbers_in_every_radix() {
        assert_eq!(
            kinds("10 0x1F 0b101 017 0 'a' '\\n' 'b"),
            vec![
                Tok::Num(10),
                Tok::Num(31),
                Tok::Num(5),
                Tok::Num(15),
                Tok::Num(0),
                Tok::Num(97),
                Tok::Num(10),
                Tok::Num(98)
            ]
        );
    }

    #[test]
    fn local_label_references() {
        assert_eq!(
            kinds("1b 23f"),
            vec![
                Tok::LocalRef {
                    label: 1,
                    forward: false
                },
                Tok::LocalRef {
                    label: 23,
                    forward: true
                }
            ]
        );
    }

    #[test]
    fn comments_and_separators() {
        assert_eq!(kinds("a ; b # c"), vec![Tok::Ident, Tok::Semi, Tok::Ident]);
        assert_eq!(kinds("a /* x */ b // c"), vec![Tok::Ident, Tok::Ident]);
        let mut out = Vec::new();
        let mut c = false;
        let d = Dialect {
            slash_comments: false,
        };
        tokenize("a /* open", d, &mut c, &mut out);
        assert!(c);
        tokenize("still */ b", d, &mut c, &mut out);
        assert!(!c);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn strings_and_errors() {
        let mut buf = Vec::new();
        unescape(r#""a\n\x41\101\"""#, &mut buf);
        assert_eq!(buf, b"a\nAA\"");
        let mut out = Vec::new();
        let mut c = false;
        let d = Dialect {
            slash_comments: false,
        };
        let e = tokenize(".ascii \"abc", d, &mut c, &mut out).unwrap();
        assert_eq!((e.at, e.msg.as_str()), (7, "unterminated string"));
        let e = tokenize("0x", d, &mut c, &mut out).unwrap();
        assert_eq!(e.msg, "bad number `0x`");
        let e = tokenize("99999999999999999999", d, &mut c, &mut out).unwrap();
        assert!(e.msg.contains("does not fit"));
    }
}
