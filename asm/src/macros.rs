//! GNU as macros: reading a macro's parameters, splitting an invocation
//! into arguments, and substituting them into the body (gas manual,
//! "`.macro`", "`.altmacro`", "`.irp`"; binutils `gas/macro.c`, whose
//! rules are followed literally so that the bytes come out the same).
//!
//! The rules a user meets:
//! - Arguments are separated by commas or by blanks (`m 5 6`); blanks next
//!   to an operator do not separate (`m 1 + 2` is one argument, as GNU as
//!   squeezes them out before it reads the line), nor do commas or blanks
//!   inside parentheses or brackets.
//! - A quoted argument loses its outer quotes and keeps its content
//!   verbatim, escapes included (`"\"quoted\" word"` is `\"quoted\" word`).
//! - `name=value` gives a parameter by name; a `:vararg` parameter takes
//!   the rest of the line; `:req` ones must be given.
//! - In the body, `\name` is replaced everywhere, inside string literals
//!   too; `\@` is the number of macros expanded so far; `\()` is nothing,
//!   to end a name (`\reg\().w`). A `\name` that is no parameter stays.
//! - With `.altmacro`: `%expr` is the expression's value in decimal,
//!   `<text>` is `text` (`!` escapes the next character), quoted strings
//!   keep their quotes, parameters are replaced without `\` too, `&` glues
//!   a parameter to what follows, and `LOCAL name` makes a fresh label.

/// A macro parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: Box<str>,
    pub default: String,
    pub required: bool,
    pub vararg: bool,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.' || c == b'$'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

fn is_white(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// gas's `ISSEP`: characters that end a keyword name scan.
fn is_sep(c: u8, alt: bool) -> bool {
    matches!(c, b' ' | b'\t' | b',' | b'"' | b';' | b')' | b'(')
        || (alt && (c == b'<' || c == b'>'))
}

/// What GNU as's input scrubber leaves of the blanks of an operand list:
/// a blank survives (as one space) only between two words (names,
/// numbers, strings, `\` references), so that `1 + 2` reads as `1+2` but
/// `5 6` stays two words. Quoted strings are copied as they are.
pub fn scrub(text: &str) -> String {
    scrub_inner(text, false).0
}

/// [`scrub`], and for each byte of the result the offset in `text` it
/// came from (for error columns).
pub fn scrub_mapped(text: &str) -> (String, Vec<usize>) {
    scrub_inner(text, true)
}

fn scrub_inner(text: &str, want_map: bool) -> (String, Vec<usize>) {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut map: Vec<usize> = Vec::with_capacity(if want_map { b.len() } else { 0 });
    let mut i = 0;
    let word_end = |c: u8| is_name_char(c) || c == b'"' || c == b'\'';
    let word_start = |c: u8| is_name_char(c) || c == b'"' || c == b'\\' || c == b'%';
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.extend_from_slice(&b[start..i]);
            if want_map {
                map.extend(start..i);
            }
        } else if c == b'\'' {
            // gas's scrubber (app.c, LEX_IS_ONECHAR_QUOTE) turns a
            // character constant into its decimal value before a macro
            // sees its arguments: `P ' '` passes `32`, `P '='` is no
            // keyword argument. The closing quote is optional.
            let start = i;
            match crate::lexer::char_escape(b, i + 1) {
                Some((v, next)) => {
                    i = next;
                    if b.get(i) == Some(&b'\'') {
                        i += 1;
                    }
                    let digits = v.to_string();
                    out.extend_from_slice(digits.as_bytes());
                    if want_map {
                        map.extend(std::iter::repeat_n(start, digits.len()));
                    }
                }
                None => {
                    out.push(c);
                    if want_map {
                        map.push(i);
                    }
                    i += 1;
                }
            }
        } else if is_white(c) {
            let start = i;
            while i < b.len() && is_white(b[i]) {
                i += 1;
            }
            if let (Some(&p), Some(&n)) = (out.last(), b.get(i)) {
                if word_end(p) && word_start(n) {
                    out.push(b' ');
                    if want_map {
                        map.push(start);
                    }
                }
            }
        } else {
            out.push(c);
            if want_map {
                map.push(i);
            }
            i += 1;
        }
    }
    let s = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (s, map)
}

fn skip_white(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_white(b[i]) {
        i += 1;
    }
    i
}

/// gas's `sb_skip_comma`: blanks, one comma, blanks.
fn skip_comma(b: &[u8], i: usize) -> usize {
    let mut i = skip_white(b, i);
    if b.get(i) == Some(&b',') {
        i = skip_white(b, i + 1);
    }
    i
}

/// A name (gas's `get_token`); in alternate mode a `&` after it is eaten.
fn get_token(b: &[u8], mut i: usize, alt: bool) -> (usize, usize) {
    let start = i;
    if i < b.len() && is_name_start(b[i]) {
        i += 1;
        while i < b.len() && is_name_char(b[i]) {
            i += 1;
        }
    }
    let end = i.max(start);
    if alt && b.get(i) == Some(&b'&') {
        i += 1;
    }
    (end, i)
}

/// Evaluates `%expr` in alternate mode: given the text after `%`, the
/// value and how many bytes the expression took.
pub type PercentEval<'a> = &'a mut dyn FnMut(&str) -> Result<(i64, usize), String>;

/// gas's `getstring`: a run of quoted strings (and `<...>` in alternate
/// mode) starting at `b[i]`, appended to `out` without their quotes.
fn getstring(b: &[u8], mut i: usize, alt: bool, out: &mut Vec<u8>) -> usize {
    i = skip_white(b, i);
    while i < b.len() && (b[i] == b'"' || (alt && (b[i] == b'<' || b[i] == b'\''))) {
        if b[i] == b'<' {
            let mut nest = 0;
            i += 1;
            while i < b.len() && (b[i] != b'>' || nest > 0) {
                if b[i] == b'!' {
                    i += 1;
                    if let Some(&c) = b.get(i) {
                        out.push(c);
                    }
                    i += 1;
                } else {
                    if b[i] == b'>' {
                        nest -= 1;
                    }
                    if b[i] == b'<' {
                        nest += 1;
                    }
                    out.push(b[i]);
                    i += 1;
                }
            }
            i += 1;
        } else {
            let q = b[i];
            let mut escaped = false;
            i += 1;
            while i < b.len() {
                if b[i - 1] == b'\\' {
                    escaped = !escaped;
                } else {
                    escaped = false;
                }
                if alt && b[i] == b'!' {
                    i += 1;
                    if let Some(&c) = b.get(i) {
                        out.push(c);
                    }
                    i += 1;
                } else if escaped && b[i] == q {
                    out.push(q);
                    i += 1;
                } else {
                    if b[i] == q {
                        i += 1;
                        if i >= b.len() || b[i] != q {
                            break;
                        }
                    }
                    if let Some(&c) = b.get(i) {
                        out.push(c);
                    }
                    i += 1;
                }
            }
        }
    }
    i.min(b.len())
}

/// gas's `get_any_string`: one argument starting at `b[i]` into `out`.
fn get_any_string(
    b: &[u8],
    i: usize,
    alt: bool,
    out: &mut Vec<u8>,
    percent: &mut Option<PercentEval<'_>>,
) -> Result<usize, (usize, String)> {
    out.clear();
    let mut i = skip_white(b, i);
    if i >= b.len() {
        return Ok(i);
    }
    let base = |c: u8| matches!(c.to_ascii_lowercase(), b'b' | b'q' | b'h' | b'd');
    if b.len() > i + 2 && b[i + 1] == b'\'' && base(b[i]) {
        while i < b.len() && !is_sep(b[i], alt) {
            out.push(b[i]);
            i += 1;
        }
    } else if b[i] == b'%' && alt {
        let Some(eval) = percent.as_mut() else {
            return Err((i, "% operator needs an absolute expression".into()));
        };
        let rest = std::str::from_utf8(&b[i + 1..]).unwrap_or("");
        let (v, used) = eval(rest).map_err(|m| (i + 1, m))?;
        out.extend_from_slice(v.to_string().as_bytes());
        i += 1 + used;
    } else if b[i] == b'"' || (alt && (b[i] == b'<' || b[i] == b'\'')) {
        if alt && b[i] != b'<' {
            out.push(b'"');
            i = getstring(b, i, alt, out);
            out.push(b'"');
        } else {
            i = getstring(b, i, alt, out);
        }
    } else {
        // Brackets opened in this argument: blanks and commas inside do
        // not end it.
        let mut brackets: Vec<u8> = Vec::new();
        while i < b.len()
            && (b[i] == b'"'
                || (b[i] == b'\'' && alt)
                || !brackets.is_empty()
                || (!is_white(b[i]) && b[i] != b',' && (b[i] != b'<' || !alt)))
        {
            let c = b[i];
            match c {
                b'"' | b'\'' => {
                    out.push(c);
                    i += 1;
                    while i < b.len() && b[i] != c {
                        out.push(b[i]);
                        i += 1;
                    }
                    if i >= b.len() {
                        return Ok(i);
                    }
                }
                b'(' | b'[' => brackets.push(c),
                b')' if brackets.last() == Some(&b'(') => {
                    brackets.pop();
                }
                b']' if brackets.last() == Some(&b'[') => {
                    brackets.pop();
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
    }
    Ok(i)
}

fn utf8(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Reads a macro's parameter list (after its name): names separated by
/// commas or blanks, each maybe `:req` or `:vararg`, and `=default`.
pub fn parse_params(text: &str) -> Result<Vec<Param>, (usize, String)> {
    let b = text.as_bytes();
    let mut params: Vec<Param> = Vec::new();
    let mut i = skip_comma(b, 0);
    let mut buf = Vec::new();
    while i < b.len() {
        let (end, next) = get_token(b, i, false);
        if end == i {
            return Err((i, "expected a parameter name".into()));
        }
        let name = &text[i..end];
        if params.iter().any(|p| &*p.name == name) {
            return Err((i, format!("a parameter named `{name}` already exists")));
        }
        let mut p = Param {
            name: name.into(),
            default: String::new(),
            required: false,
            vararg: false,
        };
        i = skip_white(b, next);
        if b.get(i) == Some(&b':') {
            let (qe, qn) = get_token(b, i + 1, false);
            match &text[i + 1..qe] {
                "req" => p.required = true,
                "vararg" => p.vararg = true,
                q => {
                    return Err((
                        i,
                        format!("`{q}` is not a parameter qualifier (`:req` or `:vararg`)"),
                    ))
                }
            }
            i = skip_white(b, qn);
        }
        if b.get(i) == Some(&b'=') {
            i = get_any_string(b, i + 1, false, &mut buf, &mut None)?;
            p.default = utf8(std::mem::take(&mut buf));
        }
        params.push(p);
        i = skip_comma(b, i);
    }
    Ok(params)
}

/// Splits an invocation's argument text (already [`scrub`]bed) into one
/// value per parameter (the default where none is given). `%expr` in
/// alternate mode goes through `percent`.
pub fn parse_args(
    text: &str,
    params: &[Param],
    alt: bool,
    mut percent: Option<PercentEval<'_>>,
) -> Result<Vec<String>, (usize, String)> {
    let b = text.as_bytes();
    let mut values: Vec<Option<String>> = vec![None; params.len()];
    let mut next_positional = 0;
    let mut keyword_seen = false;
    let mut buf = Vec::new();
    let mut i = skip_white(b, 0);
    while i < b.len() {
        let start = i;
        let mut scan = i;
        while !alt && scan < b.len() && !is_sep(b[scan], alt) && b[scan] != b'=' {
            scan += 1;
        }
        if !alt && b.get(scan) == Some(&b'=') {
            keyword_seen = true;
            let (end, _) = get_token(b, i, false);
            if end != scan {
                return Err((start, "confusion in formal parameters".into()));
            }
            let key = &text[i..end];
            i = get_any_string(b, scan + 1, alt, &mut buf, &mut percent)?;
            match params.iter().position(|p| &*p.name == key) {
                Some(k) => values[k] = Some(utf8(std::mem::take(&mut buf))),
                None => return Err((start, format!("the macro has no parameter named `{key}`"))),
            }
        } else {
            if keyword_seen {
                return Err((start, "can't mix positional and keyword arguments".into()));
            }
            let Some(p) = params.get(next_positional) else {
                return Err((start, "too many arguments".into()));
            };
            if p.vararg {
                values[next_positional] = Some(text[i..].to_string());
                i = b.len();
            } else {
                i = get_any_string(b, i, alt, &mut buf, &mut percent)?;
                values[next_positional] = Some(utf8(std::mem::take(&mut buf)));
            }
            next_positional += 1;
        }
        let before = i;
        i = skip_comma(b, i);
        if i == before && i < b.len() && i == start {
            // Nothing was read (a lone `<` outside alternate mode, ...):
            // take the character as the argument's text, as gas would
            // not loop forever either.
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(params.len());
    for (p, v) in params.iter().zip(values) {
        match v.filter(|v| !v.is_empty()) {
            Some(v) => out.push(v),
            None if p.required => {
                return Err((
                    b.len(),
                    format!("missing value for required parameter `{}`", p.name),
                ))
            }
            None => out.push(p.default.clone()),
        }
    }
    Ok(out)
}

/// The values `.irp` (one per argument) or `.irpc` (one per character)
/// iterates over, after the parameter name: `(name, values)`.
pub fn parse_irp(
    text: &str,
    chars: bool,
    alt: bool,
) -> Result<(String, Vec<String>), (usize, String)> {
    let b = text.as_bytes();
    let i = skip_white(b, 0);
    let (end, next) = get_token(b, i, false);
    if end == i {
        return Err((i, "expected a parameter name".into()));
    }
    let name = text[i..end].to_string();
    let _ = next;
    let mut i = skip_comma(b, end);
    let mut values = Vec::new();
    if i >= b.len() {
        values.push(String::new());
        return Ok((name, values));
    }
    if chars {
        let mut in_quotes = false;
        if b[i] == b'"' {
            in_quotes = true;
            i += 1;
        }
        while i < b.len() {
            if b[i] == b'"' {
                in_quotes = !in_quotes;
                let nxt = skip_white(b, i + 1);
                if nxt >= b.len() {
                    break;
                }
            }
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            values.push(text[i..i + len].to_string());
            i += len;
            if !in_quotes {
                i = skip_white(b, i);
            }
        }
    } else {
        let mut buf = Vec::new();
        while i < b.len() {
            let before = i;
            i = get_any_string(b, i, alt, &mut buf, &mut None)?;
            values.push(utf8(std::mem::take(&mut buf)));
            i = skip_comma(b, i);
            if i == before {
                i += 1;
            }
        }
    }
    Ok((name, values))
}

/// The state one expansion's substitution needs.
pub struct Subst<'a> {
    pub params: &'a [Param],
    pub values: &'a [String],
    /// `\@`: the number of macros expanded before this one.
    pub counter: u64,
    pub alt: bool,
    /// Names made by `LOCAL` in alternate mode, and what they became.
    pub locals: Vec<(String, String)>,
}

impl Subst<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        if let Some(k) = self.params.iter().position(|p| &*p.name == name) {
            return self.values.get(k).map(String::as_str);
        }
        self.locals
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// One body line with the arguments put in. `local_count` numbers the
    /// labels `LOCAL` makes (`.LL0001`, ...), across the whole assembly.
    /// `None` if the line is an alternate-mode `LOCAL` line (it only
    /// declares names; nothing is left of it).
    pub fn line(&mut self, text: &str, local_count: &mut u64) -> Option<String> {
        let b = text.as_bytes();
        if self.alt {
            let t = skip_white(b, 0);
            if b.len() > t + 5 && b[t..t + 5].eq_ignore_ascii_case(b"local") && is_white(b[t + 5]) {
                let mut i = t + 5;
                loop {
                    i = skip_comma(b, i);
                    let (end, next) = get_token(b, i, false);
                    if end == i {
                        break;
                    }
                    *local_count += 1;
                    self.locals
                        .push((text[i..end].to_string(), format!(".LL{:04x}", *local_count)));
                    i = next;
                }
                return None;
            }
        }
        if !text.contains('\\') && !self.alt {
            return Some(text.to_string());
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if !self.alt && c != b'\\' {
                // Only `\` is special: copy up to the next one at once.
                let j = text[i..].find('\\').map_or(b.len(), |k| i + k);
                out.push_str(&text[i..j]);
                i = j;
                continue;
            }
            if c == b'\\' {
                i += 1;
                match b.get(i) {
                    Some(b'(') => {
                        // `\(text)` is `text`, literally.
                        let start = i + 1;
                        let mut j = start;
                        while j < b.len() && b[j] != b')' {
                            j += 1;
                        }
                        out.push_str(&text[start..j]);
                        i = (j + 1).min(b.len());
                    }
                    Some(b'@') => {
                        out.push_str(&self.counter.to_string());
                        i += 1;
                    }
                    Some(b'&') => {
                        out.push_str("\\&");
                        i += 1;
                    }
                    _ => {
                        let (end, mut next) = get_token(b, i, self.alt);
                        let name = &text[i..end];
                        if b.get(next) == Some(&b'\'') && end > i && !self.alt {
                            next += 1;
                        }
                        match self.lookup(name) {
                            Some(v) if end > i => out.push_str(v),
                            _ => {
                                out.push('\\');
                                out.push_str(&text[i..next]);
                            }
                        }
                        i = next;
                    }
                }
            } else if self.alt && is_name_start(c) {
                let (end, next) = get_token(b, i, true);
                match self.lookup(&text[i..end]) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&text[i..next]),
                }
                i = next.max(i + 1);
            } else {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(text: &str) -> Vec<Param> {
        parse_params(text).unwrap()
    }

    fn args(params_text: &str, call: &str) -> Vec<String> {
        parse_args(&scrub(call), &params(params_text), false, None).unwrap()
    }

    #[test]
    fn arguments_split_as_gas_splits_them() {
        // Each checked against GNU as 2.40.
        assert_eq!(args("a, b=9, c", "1 + 2"), ["1+2", "9", ""]);
        assert_eq!(args("a, b=9, c", "(1 + 2), 3"), ["(1+2)", "3", ""]);
        assert_eq!(args("a, b=9, c", "5 6 7"), ["5", "6", "7"]);
        assert_eq!(args("a b", "x, y"), ["x", "y"]);
        assert_eq!(args("msg", "\"hello world\""), ["hello world"]);
        assert_eq!(args("msg", r#""\"quoted\" word""#), [r#"\"quoted\" word"#]);
        assert_eq!(args("reg=t0, count=3", "count=10, reg=a2"), ["a2", "10"]);
        assert_eq!(args("a, rest:vararg", "1, 2, 3"), ["1", "2,3"]);
        assert_eq!(args("a", "f(1, 2)"), ["f(1,2)"]);
    }

    #[test]
    fn argument_errors() {
        let p = params("a");
        assert!(parse_args("1, 2", &p, false, None)
            .unwrap_err()
            .1
            .contains("too many arguments"));
        let p = params("a:req");
        assert!(parse_args("", &p, false, None)
            .unwrap_err()
            .1
            .contains("required"));
        let p = params("a, b");
        assert!(parse_args("b=1, 2", &p, false, None)
            .unwrap_err()
            .1
            .contains("mix"));
    }

    #[test]
    fn character_constants_are_numbers_before_arguments_split() {
        assert_eq!(scrub("' '"), "32");
        assert_eq!(scrub("'=', 'a"), "61,97");
        assert_eq!(scrub("'\\n'"), "10");
        assert_eq!(scrub("\"'x'\""), "\"'x'\"");
        let p = params("ch");
        assert_eq!(parse_args(&scrub("'='"), &p, false, None).unwrap(), ["61"]);
    }

    #[test]
    fn substitution() {
        let p = params("reg, n");
        let v = vec!["a0".to_string(), "4".to_string()];
        let mut s = Subst {
            params: &p,
            values: &v,
            counter: 7,
            alt: false,
            locals: Vec::new(),
        };
        let mut k = 0;
        assert_eq!(
            s.line(
                r#"addi \reg, \reg, \n; .ascii "\reg\n" # \@ \() \x"#,
                &mut k
            )
            .unwrap(),
            r#"addi a0, a0, 4; .ascii "a04" # 7  \x"#
        );
        // `.` is part of a name: `\reg.w` is no parameter.
        assert_eq!(s.line(r"\reg.w \reg\().w", &mut k).unwrap(), r"\reg.w a0.w");
    }

    #[test]
    fn alternate_mode() {
        let p = params("x, y");
        let mut pct = |s: &str| -> Result<(i64, usize), String> {
            let n = s.bytes().take_while(u8::is_ascii_digit).count();
            Ok((s[..n].parse::<i64>().unwrap_or(0) * 2, n))
        };
        let v = parse_args(&scrub("%21, <a, b>"), &p, true, Some(&mut pct)).unwrap();
        assert_eq!(v, ["42", "a,b"]);
        let mut s = Subst {
            params: &p,
            values: &v,
            counter: 0,
            alt: true,
            locals: Vec::new(),
        };
        let mut k = 0;
        assert_eq!(s.line("LOCAL lab", &mut k), None);
        assert_eq!(
            s.line("lab: .word x&0 # y", &mut k).unwrap(),
            ".LL0001: .word 420 # a,b"
        );
    }

    #[test]
    fn irp_values() {
        assert_eq!(
            parse_irp("r, a0, a1 ,a2", false, false).unwrap(),
            ("r".to_string(), vec!["a0".into(), "a1".into(), "a2".into()])
        );
        assert_eq!(
            parse_irp("c, 1 2 3", true, false).unwrap(),
            ("c".to_string(), vec!["1".into(), "2".into(), "3".into()])
        );
        assert_eq!(
            parse_irp("r", false, false).unwrap(),
            ("r".to_string(), vec![String::new()])
        );
    }
}
