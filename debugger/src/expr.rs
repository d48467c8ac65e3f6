//! Expressions, as GDB reads them for addresses and conditions: numbers
//! (`0x80200000`, `42`, `0b101`, `017` octal), symbols (`_start`),
//! registers and CSRs (`$a0`, `$pc`, `$sstatus`, `$priv`), values printed
//! before (`$1`), C's operators and `*ADDR` (the 64-bit value at a
//! virtual address). All arithmetic is on 64-bit words, wrapping.

use std::fmt;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Number(u64),
    /// A symbol of the focused guest's program.
    Symbol(String),
    /// `$name`: a register, CSR or convenience value.
    Var(String),
    /// `*e`: the doubleword at virtual address `e`.
    Deref(Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    LogicalNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
    LogicalAnd,
    LogicalOr,
}

/// A bad expression, or one that cannot be evaluated now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("{0}")]
    Syntax(String),
    #[error("No symbol \"{0}\" in the program.")]
    UnknownSymbol(String),
    #[error("No register, CSR or value named ${0}.")]
    UnknownVar(String),
    #[error("Cannot access memory at address {0:#x}")]
    Memory(u64),
    #[error("Division by zero")]
    DivisionByZero,
}

/// What an expression's names stand for.
pub trait Scope {
    /// `$name` (without the `$`).
    fn var(&self, name: &str) -> Option<u64>;
    fn symbol(&self, name: &str) -> Option<u64>;
    /// The doubleword at virtual address `addr`.
    fn read_u64(&self, addr: u64) -> Option<u64>;
}

/// Parses a number: `0x` hex, `0b` binary, `0` octal (as in C and GDB),
/// decimal; `_` may separate digits.
pub fn parse_number(text: &str) -> Option<u64> {
    let t = text.replace('_', "");
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t.as_str(), 10)
    };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(u64),
    Ident(String),
    Var(String),
    Op(&'static str),
}

const OPS: [&str; 22] = [
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "~",
    "!", "<", ">", "(", ")",
];

fn lex(text: &str) -> Result<Vec<Tok>, ExprError> {
    let mut toks = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            let n = parse_number(word)
                .ok_or_else(|| ExprError::Syntax(format!("invalid number \"{word}\"")))?;
            toks.push(Tok::Num(n));
        } else if c == '$' {
            let start = i + 1;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Var(text[start..i].to_string()));
        } else if c.is_ascii_alphabetic() || c == '_' || c == '.' {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'$'))
            {
                i += 1;
            }
            toks.push(Tok::Ident(text[start..i].to_string()));
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            toks.push(Tok::Op(op));
            i += op.len();
        } else {
            return Err(ExprError::Syntax(format!(
                "invalid character '{c}' in expression"
            )));
        }
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

/// Binary operators by precedence level, loosest first (C's order).
const LEVELS: [&[(&str, BinOp)]; 10] = [
    &[("||", BinOp::LogicalOr)],
    &[("&&", BinOp::LogicalAnd)],
    &[("|", BinOp::Or)],
    &[("^", BinOp::Xor)],
    &[("&", BinOp::And)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
    &[
        ("<", BinOp::Lt),
        ("<=", BinOp::Le),
        (">", BinOp::Gt),
        (">=", BinOp::Ge),
    ],
    &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
    &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
];

impl Parser {
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(op)) => Some(op),
            _ => None,
        }
    }

    fn binary(&mut self, level: usize) -> Result<Expr, ExprError> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self.peek_op() {
            let Some(&(_, bin)) = LEVELS[level].iter().find(|(s, _)| *s == op) else {
                break;
            };
            self.pos += 1;
            let rhs = self.binary(level + 1)?;
            lhs = Expr::Binary(bin, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let un = match self.peek_op() {
            Some("-") => Some(UnOp::Neg),
            Some("~") => Some(UnOp::Not),
            Some("!") => Some(UnOp::LogicalNot),
            Some("+") => {
                self.pos += 1;
                return self.unary();
            }
            Some("*") => {
                self.pos += 1;
                return Ok(Expr::Deref(Box::new(self.unary()?)));
            }
            _ => None,
        };
        if let Some(un) = un {
            self.pos += 1;
            return Ok(Expr::Unary(un, Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Num(n)) => Ok(Expr::Number(n)),
            Some(Tok::Ident(s)) => Ok(Expr::Symbol(s)),
            Some(Tok::Var(v)) => Ok(Expr::Var(v)),
            Some(Tok::Op("(")) => {
                let e = self.binary(0)?;
                if self.peek_op() != Some(")") {
                    return Err(ExprError::Syntax("missing ')'".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Op(op)) => Err(ExprError::Syntax(format!(
                "a value was expected before '{op}'"
            ))),
            None => Err(ExprError::Syntax("a value was expected".into())),
        }
    }
}

impl Expr {
    /// Parses a whole expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let toks = lex(text)?;
        if toks.is_empty() {
            return Err(ExprError::Syntax("an expression was expected".into()));
        }
        let mut p = Parser { toks, pos: 0 };
        let e = p.binary(0)?;
        if let Some(t) = p.toks.get(p.pos) {
            // Numbers as they are printed everywhere else (hex from 10 on):
            // `disassemble 0 0x10` said "16", which the user never typed.
            let what = match t {
                Tok::Num(n) => Expr::Number(*n).to_string(),
                Tok::Ident(s) => s.clone(),
                Tok::Var(v) => format!("${v}"),
                Tok::Op(op) => op.to_string(),
            };
            return Err(ExprError::Syntax(format!(
                "junk at end of expression: \"{what}\""
            )));
        }
        Ok(e)
    }

    /// The expression's value.
    pub fn eval(&self, scope: &dyn Scope) -> Result<u64, ExprError> {
        Ok(match self {
            Expr::Number(n) => *n,
            Expr::Symbol(s) => scope
                .symbol(s)
                .ok_or_else(|| ExprError::UnknownSymbol(s.clone()))?,
            Expr::Var(v) => scope
                .var(v)
                .ok_or_else(|| ExprError::UnknownVar(v.clone()))?,
            Expr::Deref(e) => {
                let a = e.eval(scope)?;
                scope.read_u64(a).ok_or(ExprError::Memory(a))?
            }
            Expr::Unary(op, e) => {
                let v = e.eval(scope)?;
                match op {
                    UnOp::Neg => v.wrapping_neg(),
                    UnOp::Not => !v,
                    UnOp::LogicalNot => u64::from(v == 0),
                }
            }
            Expr::Binary(op, a, b) => {
                let x = a.eval(scope)?;
                // `&&` and `||` do not evaluate what they need not.
                match op {
                    BinOp::LogicalAnd if x == 0 => return Ok(0),
                    BinOp::LogicalOr if x != 0 => return Ok(1),
                    _ => {}
                }
                let y = b.eval(scope)?;
                let (sx, sy) = (x as i64, y as i64);
                match op {
                    BinOp::Mul => x.wrapping_mul(y),
                    BinOp::Div => sx.checked_div(sy).ok_or(ExprError::DivisionByZero)? as u64,
                    BinOp::Rem => sx.checked_rem(sy).ok_or(ExprError::DivisionByZero)? as u64,
                    BinOp::Add => x.wrapping_add(y),
                    BinOp::Sub => x.wrapping_sub(y),
                    BinOp::Shl => x.wrapping_shl(y as u32),
                    BinOp::Shr => x.wrapping_shr(y as u32),
                    BinOp::Lt => u64::from(sx < sy),
                    BinOp::Le => u64::from(sx <= sy),
                    BinOp::Gt => u64::from(sx > sy),
                    BinOp::Ge => u64::from(sx >= sy),
                    BinOp::Eq => u64::from(x == y),
                    BinOp::Ne => u64::from(x != y),
                    BinOp::And => x & y,
                    BinOp::Xor => x ^ y,
                    BinOp::Or => x | y,
                    BinOp::LogicalAnd | BinOp::LogicalOr => u64::from(y != 0),
                }
            }
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) if *n < 10 => write!(f, "{n}"),
            Expr::Number(n) => write!(f, "{n:#x}"),
            Expr::Symbol(s) => write!(f, "{s}"),
            Expr::Var(v) => write!(f, "${v}"),
            Expr::Deref(e) => write!(f, "*{e}"),
            Expr::Unary(op, e) => {
                let s = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "~",
                    UnOp::LogicalNot => "!",
                };
                write!(f, "{s}{e}")
            }
            Expr::Binary(op, a, b) => {
                let s = LEVELS
                    .iter()
                    .flat_map(|l| l.iter())
                    .find(|(_, o)| o == op)
                    .map_or("?", |(s, _)| s);
                write!(f, "({a} {s} {b})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S;
    impl Scope for S {
        fn var(&self, name: &str) -> Option<u64> {
            match name {
                "a0" => Some(5),
                "sp" => Some(0x1000),
                _ => None,
            }
        }
        fn symbol(&self, name: &str) -> Option<u64> {
            (name == "_start").then_some(0x8020_0000)
        }
        fn read_u64(&self, addr: u64) -> Option<u64> {
            (addr == 0x1008).then_some(77)
        }
    }

    fn ev(s: &str) -> Result<u64, ExprError> {
        Expr::parse(s)?.eval(&S)
    }

    #[test]
    fn junk_after_an_expression_is_shown_in_hex_as_numbers_are_printed() {
        let junk = |s: &str| match Expr::parse(s) {
            Err(ExprError::Syntax(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(junk("0 0x10"), "junk at end of expression: \"0x10\"");
        assert_eq!(junk("0 7"), "junk at end of expression: \"7\"");
        assert_eq!(junk("1 $a0"), "junk at end of expression: \"$a0\"");
    }

    #[test]
    fn numbers_in_every_base() {
        assert_eq!(parse_number("0x80200000"), Some(0x8020_0000));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("0b101"), Some(5));
        assert_eq!(parse_number("017"), Some(15));
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("12ab"), None);
    }

    #[test]
    fn operators_follow_c_precedence() {
        assert_eq!(ev("1 + 2 * 3"), Ok(7));
        assert_eq!(ev("(1 + 2) * 3"), Ok(9));
        assert_eq!(ev("_start + 16"), Ok(0x8020_0010));
        assert_eq!(ev("$a0 == 5 && $sp > 0x800"), Ok(1));
        assert_eq!(ev("*($sp + 8)"), Ok(77));
        assert_eq!(ev("-1"), Ok(u64::MAX));
        assert_eq!(ev("1 << 4 | 1"), Ok(17));
        assert_eq!(ev("1 << 2 + 1"), Ok(8), "shifts bind looser than +");
        assert_eq!(ev("7 / 2"), Ok(3));
        assert_eq!(ev("-7 / 2"), Ok((-3i64) as u64));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(ev("nosuch"), Err(ExprError::UnknownSymbol("nosuch".into())));
        assert_eq!(ev("$zz"), Err(ExprError::UnknownVar("zz".into())));
        assert_eq!(ev("*0x10"), Err(ExprError::Memory(0x10)));
        assert_eq!(ev("1 / 0"), Err(ExprError::DivisionByZero));
        assert!(matches!(ev("(1"), Err(ExprError::Syntax(_))));
        assert!(matches!(ev("1 2"), Err(ExprError::Syntax(_))));
        assert!(matches!(ev("1 @ 2"), Err(ExprError::Syntax(_))));
    }
}
