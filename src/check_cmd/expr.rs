//! A check's `stat` assertion: `LEFT OP RIGHT` over one guest's object of
//! the `--stats=json` document, such as `monitor.emulated.sret == 1` or
//! `monitor.emulated.mmio_load == monitor.emulated.mmio_store`.
//!
//! Each side is an expression: paths of keys (`native.traps.total`),
//! integers (`1_000`, `0x10`), decimal numbers and "quoted strings",
//! combined with `+`, `-`, `*`, `/`, parentheses and the functions
//! `max(...)` and `min(...)`, as in
//! `monitor.exits.illegal_instruction - monitor.emulated.sret > 0`. OP is
//! `==`, `!=`, `<`, `<=`, `>` or `>=`. Integers add, subtract, multiply and
//! compare exactly; a division, or anything with a decimal number, is
//! computed in floating point; strings compare only for (in)equality.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    const ALL: [(&'static str, Op); 6] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];

    fn text(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(t, _)| t)
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

impl Arith {
    fn text(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
        }
    }

    /// Binding strength: `*` and `/` before `+` and `-`.
    fn precedence(self) -> u8 {
        match self {
            Arith::Add | Arith::Sub => 1,
            Arith::Mul | Arith::Div => 2,
        }
    }
}

/// One side of an assertion.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Path(Vec<String>),
    Int(i128),
    Float(f64),
    Str(String),
    Neg(Box<Expr>),
    Bin(Box<Expr>, Arith, Box<Expr>),
    /// `max(a, b, ...)` or `min(a, b, ...)`.
    Call(Func, Vec<Expr>),
}

/// The functions an expression may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Max,
    Min,
}

impl Func {
    fn named(name: &str) -> Option<Func> {
        match name {
            "max" => Some(Func::Max),
            "min" => Some(Func::Min),
            _ => None,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Func::Max => "max",
            Func::Min => "min",
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Path(p) => write!(f, "{}", p.join(".")),
            Expr::Int(i) => write!(f, "{i}"),
            Expr::Float(x) => write!(f, "{x}"),
            Expr::Str(s) => write!(f, "{s:?}"),
            Expr::Neg(e) => match **e {
                Expr::Bin(..) => write!(f, "-({e})"),
                _ => write!(f, "-{e}"),
            },
            Expr::Bin(l, op, r) => {
                let side = |e: &Expr, right: bool| match e {
                    // Parentheses where the text needs them to mean the same.
                    Expr::Bin(_, inner, _)
                        if inner.precedence() < op.precedence()
                            || (right && inner.precedence() == op.precedence()) =>
                    {
                        format!("({e})")
                    }
                    _ => e.to_string(),
                };
                write!(f, "{} {} {}", side(l, false), op.text(), side(r, true))
            }
            Expr::Call(func, args) => {
                let args: Vec<String> = args.iter().map(Expr::to_string).collect();
                write!(f, "{}({})", func.text(), args.join(", "))
            }
        }
    }
}

impl Expr {
    /// The paths it reads, in order, each once.
    fn paths(&self, out: &mut Vec<Vec<String>>) {
        match self {
            Expr::Path(p) if !out.contains(p) => out.push(p.clone()),
            Expr::Neg(e) => e.paths(out),
            Expr::Bin(l, _, r) => {
                l.paths(out);
                r.paths(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.paths(out)),
            _ => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    pub left: Expr,
    pub op: Op,
    pub right: Expr,
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op.text(), self.right)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Arith(Arith),
    Cmp(Op),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, c)) => s.push(c),
                        None => return Err(format!("unterminated string {}", &text[i..])),
                    }
                }
                out.push(Token::Str(s));
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '+' | '-' | '*' | '/' => {
                chars.next();
                out.push(Token::Arith(match c {
                    '+' => Arith::Add,
                    '-' => Arith::Sub,
                    '*' => Arith::Mul,
                    _ => Arith::Div,
                }));
            }
            '=' | '!' | '<' | '>' => {
                let rest = &text[i..];
                let Some(&(t, op)) = Op::ALL.iter().find(|(t, _)| rest.starts_with(t)) else {
                    return Err(format!(
                        "`{}` is not a comparison: use one of == != < <= > >=",
                        rest.chars().take(2).collect::<String>()
                    ));
                };
                for _ in 0..t.len() {
                    chars.next();
                }
                out.push(Token::Cmp(op));
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                let mut w = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                        w.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(w));
            }
            other => return Err(format!("unexpected `{other}` in `{text}`")),
        }
    }
    Ok(out)
}

/// A word: a number or a path.
fn word(t: &str) -> Result<Expr, String> {
    if t.starts_with(|c: char| c.is_ascii_digit()) {
        let digits: String = t.chars().filter(|&c| c != '_').collect();
        if let Ok(i) = digits.parse::<i128>() {
            return Ok(Expr::Int(i));
        }
        if let Some(hex) = digits.strip_prefix("0x") {
            if let Ok(i) = i128::from_str_radix(hex, 16) {
                return Ok(Expr::Int(i));
            }
        }
        return digits
            .parse::<f64>()
            .map(Expr::Float)
            .map_err(|_| format!("`{t}` is not a number"));
    }
    let keys: Vec<String> = t.split('.').map(str::to_string).collect();
    if keys.iter().all(|k| !k.is_empty()) {
        Ok(Expr::Path(keys))
    } else {
        Err(format!(
            "`{t}` is neither a number, a \"string\" nor a path such as monitor.exits.ecall"
        ))
    }
}

/// A recursive-descent parser over the tokens of one side.
struct Parser<'a> {
    toks: &'a [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    /// expression = term { (+|-) term }; term = factor { (*|/) factor }.
    fn expr(&mut self, min: u8) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while let Some(Token::Arith(op)) = self.peek() {
            let op = *op;
            if op.precedence() < min {
                break;
            }
            self.at += 1;
            let right = self.expr(op.precedence() + 1)?;
            left = Expr::Bin(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        let t = self.peek().cloned();
        self.at += 1;
        match t {
            Some(Token::Word(w)) if self.peek() == Some(&Token::Open) => {
                let func = Func::named(&w)
                    .ok_or_else(|| format!("no function `{w}` (there are max and min)"))?;
                self.at += 1;
                let mut args = vec![self.expr(1)?];
                loop {
                    match self.peek() {
                        Some(Token::Comma) => {
                            self.at += 1;
                            args.push(self.expr(1)?);
                        }
                        Some(Token::Close) => {
                            self.at += 1;
                            return Ok(Expr::Call(func, args));
                        }
                        _ => return Err(format!("`{w}(` is not closed")),
                    }
                }
            }
            Some(Token::Word(w)) => word(&w),
            Some(Token::Str(s)) => Ok(Expr::Str(s)),
            Some(Token::Arith(Arith::Sub)) => match self.factor()? {
                Expr::Int(i) => Ok(Expr::Int(-i)),
                Expr::Float(x) => Ok(Expr::Float(-x)),
                e => Ok(Expr::Neg(Box::new(e))),
            },
            Some(Token::Open) => {
                let e = self.expr(1)?;
                match self.peek() {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(e)
                    }
                    _ => Err("a `(` is not closed".into()),
                }
            }
            Some(Token::Close) => Err("a `)` closes nothing".into()),
            Some(Token::Comma) => Err("a `,` outside max(...) or min(...)".into()),
            Some(Token::Arith(op)) => Err(format!("`{}` lacks its left operand", op.text())),
            Some(Token::Cmp(_)) | None => Err("an operand is missing".into()),
        }
    }
}

/// Parses one side (the tokens between the ends and the comparison).
fn side(toks: &[Token]) -> Result<Expr, String> {
    let mut p = Parser { toks, at: 0 };
    let e = p.expr(1)?;
    match p.peek() {
        None => Ok(e),
        Some(Token::Close) => Err("a `)` closes nothing".into()),
        Some(Token::Comma) => Err("a `,` outside max(...) or min(...)".into()),
        Some(_) => Err("two operands without an operator between them".into()),
    }
}

/// A value being computed: a number kept exact while it is an integer.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Int(i128),
    Float(f64),
    Other(Value),
}

impl Val {
    fn of(v: &Value) -> Val {
        match v {
            Value::Number(n) => n
                .as_i64()
                .map(|i| Val::Int(i128::from(i)))
                .or_else(|| n.as_u64().map(|u| Val::Int(i128::from(u))))
                .or_else(|| n.as_f64().map(Val::Float))
                .unwrap_or(Val::Other(v.clone())),
            other => Val::Other(other.clone()),
        }
    }

    fn float(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Float(x) => Some(*x),
            Val::Other(_) => None,
        }
    }

    fn shown(&self) -> String {
        match self {
            Val::Int(i) => i.to_string(),
            Val::Float(x) => x.to_string(),
            Val::Other(Value::String(s)) => format!("{s:?}"),
            Val::Other(v) => v.to_string(),
        }
    }
}

fn arith(l: Val, op: Arith, r: Val) -> Result<Val, String> {
    if let (Val::Int(a), Val::Int(b), false) = (&l, &r, op == Arith::Div) {
        let v = match op {
            Arith::Add => a.checked_add(*b),
            Arith::Sub => a.checked_sub(*b),
            _ => a.checked_mul(*b),
        };
        if let Some(v) = v {
            return Ok(Val::Int(v));
        }
    }
    let (Some(a), Some(b)) = (l.float(), r.float()) else {
        return Err(format!(
            "`{}` works on numbers, not on {} and {}",
            op.text(),
            l.shown(),
            r.shown()
        ));
    };
    if op == Arith::Div && b == 0.0 {
        return Err(format!("division by zero ({} / 0)", l.shown()));
    }
    Ok(Val::Float(match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
    }))
}

fn eval(e: &Expr, guest: &Value) -> Result<Val, String> {
    match e {
        Expr::Int(i) => Ok(Val::Int(*i)),
        Expr::Float(x) => Ok(Val::Float(*x)),
        Expr::Str(s) => Ok(Val::Other(Value::from(s.clone()))),
        Expr::Path(keys) => lookup(guest, keys).map(Val::of),
        Expr::Neg(e) => arith(Val::Int(0), Arith::Sub, eval(e, guest)?),
        Expr::Bin(l, op, r) => arith(eval(l, guest)?, *op, eval(r, guest)?),
        Expr::Call(func, args) => {
            let mut best: Option<Val> = None;
            for a in args {
                let v = eval(a, guest)?;
                if v.float().is_none() {
                    return Err(format!(
                        "{}(...) works on numbers, not on {}",
                        func.text(),
                        v.shown()
                    ));
                }
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let ord = match compare(&v, &b) {
                            Some(Cmp::Ord(o)) => o,
                            _ => Ordering::Equal,
                        };
                        let better = match func {
                            Func::Max => ord == Ordering::Greater,
                            Func::Min => ord == Ordering::Less,
                        };
                        if better {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.ok_or_else(|| format!("{}() needs at least one value", func.text()))
        }
    }
}

impl Assertion {
    /// Whether it reads a path under `root` (such as `answer`).
    pub fn reads(&self, root: &str) -> bool {
        let mut paths = Vec::new();
        self.left.paths(&mut paths);
        self.right.paths(&mut paths);
        paths.iter().any(|p| p.first().is_some_and(|k| k == root))
    }

    pub fn parse(text: &str) -> Result<Assertion, String> {
        let toks = tokens(text)?;
        let cmps: Vec<usize> = toks
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t, Token::Cmp(_)))
            .map(|(i, _)| i)
            .collect();
        let [at] = cmps.as_slice() else {
            return Err(if cmps.is_empty() {
                format!("`{text}` has no comparison: write LEFT OP RIGHT with OP one of == != < <= > >=")
            } else {
                format!("`{text}` has more than one comparison")
            });
        };
        let Token::Cmp(op) = toks[*at] else {
            unreachable!("a comparison was found there")
        };
        Ok(Assertion {
            left: side(&toks[..*at])?,
            op,
            right: side(&toks[at + 1..])?,
        })
    }

    /// Whether the assertion holds of `guest`; `Err` says why it cannot be
    /// evaluated (a missing figure, a string compared with `<`). The `Ok`
    /// text shows the value of every path read, and of each side that is
    /// a computation.
    pub fn eval(&self, guest: &Value) -> Result<(bool, String), String> {
        let l = eval(&self.left, guest)?;
        let r = eval(&self.right, guest)?;
        let ord = compare(&l, &r)
            .ok_or_else(|| format!("cannot compare {} with {}", l.shown(), r.shown()))?;
        let held = match ord {
            Cmp::Ord(ord) => self.op.holds(ord),
            Cmp::Unordered => match self.op {
                Op::Eq => false,
                Op::Ne => true,
                _ => return Err(format!("strings compare only with == and !=: {self}")),
            },
        };
        if matches!(ord, Cmp::Unordered) {
            return Ok((held, format!("{} is not {}", l.shown(), r.shown())));
        }
        let mut paths = Vec::new();
        self.left.paths(&mut paths);
        self.right.paths(&mut paths);
        // Each figure read, and each side that is a computation; past a
        // few figures, the two sides' values alone (a long sum is read
        // better in the check's own text).
        let computed = |e: &Expr| matches!(e, Expr::Bin(..) | Expr::Neg(_) | Expr::Call(..));
        if paths.len() > MAX_SHOWN {
            let both = [
                ("the left side", &self.left, &l),
                ("the right side", &self.right, &r),
            ];
            let shown: Vec<String> = both
                .iter()
                .map(|(name, e, v)| match e {
                    Expr::Path(p) => format!("{} = {}", p.join("."), v.shown()),
                    e if computed(e) => format!("{name} = {}", v.shown()),
                    _ => String::new(),
                })
                .filter(|s| !s.is_empty())
                .collect();
            return Ok((held, shown.join(", ")));
        }
        let mut shown: Vec<String> = paths
            .iter()
            .filter_map(|p| {
                lookup(guest, p)
                    .ok()
                    .map(|v| format!("{} = {}", p.join("."), Val::of(v).shown()))
            })
            .collect();
        for (e, v) in [(&self.left, &l), (&self.right, &r)] {
            if computed(e) {
                shown.push(format!("{e} = {}", v.shown()));
            }
        }
        Ok((held, shown.join(", ")))
    }
}

/// The most figures an assertion's outcome names one by one.
const MAX_SHOWN: usize = 3;

enum Cmp {
    Ord(Ordering),
    /// Two strings (or booleans) that differ: only `==`/`!=` mean anything.
    Unordered,
}

fn compare(l: &Val, r: &Val) -> Option<Cmp> {
    match (l, r) {
        (Val::Int(a), Val::Int(b)) => Some(Cmp::Ord(a.cmp(b))),
        (Val::Other(a), Val::Other(b)) => match (a, b) {
            (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => {
                Some(if a == b {
                    Cmp::Ord(Ordering::Equal)
                } else {
                    Cmp::Unordered
                })
            }
            _ => None,
        },
        _ => l.float()?.partial_cmp(&r.float()?).map(Cmp::Ord),
    }
}

/// The figure at `keys` in `guest`, or an error naming what is there.
pub fn lookup<'a>(guest: &'a Value, keys: &[String]) -> Result<&'a Value, String> {
    let mut v = guest;
    for (k, key) in keys.iter().enumerate() {
        v = match v.get(key) {
            Some(next) => next,
            None if k == 1 && keys[0] == super::spec::ANSWER_PATH => {
                let given = match v {
                    Value::Object(m) if !m.is_empty() => {
                        format!(
                            "it answers {}",
                            m.keys().cloned().collect::<Vec<_>>().join(", ")
                        )
                    }
                    _ => "it answers nothing".into(),
                };
                return Err(format!("no answer `{key}` in the submission ({given})"));
            }
            None => {
                let here = if k == 0 {
                    "the guest's statistics".to_string()
                } else {
                    format!("`{}`", keys[..k].join("."))
                };
                let known = match v {
                    Value::Object(m) => m.keys().cloned().collect::<Vec<_>>().join(", "),
                    _ => "nothing: it is a single value".into(),
                };
                return Err(format!(
                    "no figure `{}`: {here} has {known}",
                    keys.join(".")
                ));
            }
        };
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guest() -> Value {
        json!({
            "status": 0,
            "end": { "kind": "sbi-shutdown" },
            "monitor": { "emulated": { "sret": 6, "mmio_load": 456, "mmio_store": 456 },
                         "exits": { "illegal_instruction": 53, "page_fault": 912 },
                         "direct_fraction": 0.864 },
        })
    }

    fn holds(text: &str) -> bool {
        Assertion::parse(text).unwrap().eval(&guest()).unwrap().0
    }

    #[test]
    fn comparisons() {
        assert!(holds("monitor.emulated.sret == 6"));
        assert!(!holds("monitor.emulated.sret == 1"));
        assert!(holds("monitor.emulated.sret >= 6"));
        assert!(holds("monitor.emulated.sret<=6"));
        assert!(holds("monitor.emulated.sret < 7"));
        assert!(holds("monitor.emulated.sret != 7"));
        assert!(holds(
            "monitor.emulated.mmio_load == monitor.emulated.mmio_store"
        ));
        assert!(holds("monitor.direct_fraction > 0.8"));
        assert!(holds("end.kind == \"sbi-shutdown\""));
        assert!(holds("end.kind != \"hang\""));
        assert!(holds("1_000 == 1000"));
        assert!(holds("status == 0x0"));
        assert!(holds("status > -1"));
    }

    #[test]
    fn arithmetic() {
        assert!(holds(
            "monitor.emulated.mmio_load + monitor.emulated.mmio_store == monitor.exits.page_fault"
        ));
        assert!(holds(
            "monitor.exits.illegal_instruction - monitor.emulated.sret == 47"
        ));
        assert!(holds("2 + 3 * 4 == 14"));
        assert!(holds("(2 + 3) * 4 == 20"));
        assert!(holds("10 - 4 - 3 == 3"), "left to right");
        assert!(
            holds("monitor.emulated.sret / 4 == 1.5"),
            "division is exact"
        );
        assert!(holds(
            "monitor.emulated.mmio_load * 10 > monitor.exits.page_fault * 4"
        ));
        assert!(holds("-monitor.emulated.sret == -6"));
        assert!(holds("-(1 + 2) == -3"));
        assert!(holds(
            "max(monitor.emulated.sret, monitor.exits.illegal_instruction, 7) == 53"
        ));
        assert!(holds("min(monitor.emulated.sret, 7) * 2 == 12"));
        assert!(holds("max(1) == 1"));
        // Integers stay exact beyond what a double holds.
        assert!(holds("9007199254740993 - 9007199254740992 == 1"));
    }

    #[test]
    fn the_values_are_shown() {
        let a = Assertion::parse("monitor.emulated.sret == 1").unwrap();
        assert_eq!(
            a.eval(&guest()).unwrap(),
            (false, "monitor.emulated.sret = 6".into())
        );
        assert_eq!(a.to_string(), "monitor.emulated.sret == 1");
        let a =
            Assertion::parse("monitor.exits.illegal_instruction-monitor.emulated.sret==1").unwrap();
        assert_eq!(
            a.to_string(),
            "monitor.exits.illegal_instruction - monitor.emulated.sret == 1"
        );
        assert_eq!(
            a.eval(&guest()).unwrap().1,
            "monitor.exits.illegal_instruction = 53, monitor.emulated.sret = 6, \
             monitor.exits.illegal_instruction - monitor.emulated.sret = 47"
        );
        let a = Assertion::parse(
            "monitor.emulated.sret + monitor.emulated.mmio_load + monitor.emulated.mmio_store \
             + monitor.exits.page_fault > monitor.exits.illegal_instruction",
        )
        .unwrap();
        assert_eq!(
            a.eval(&guest()).unwrap().1,
            "the left side = 1830, monitor.exits.illegal_instruction = 53"
        );
        assert_eq!(
            Assertion::parse("(1 + 2) * 3 == 1 - (2 - 3)")
                .unwrap()
                .to_string(),
            "(1 + 2) * 3 == 1 - (2 - 3)"
        );
        assert_eq!(
            Assertion::parse("end.kind == \"hang\"")
                .unwrap()
                .eval(&guest())
                .unwrap(),
            (false, "\"sbi-shutdown\" is not \"hang\"".into())
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = Assertion::parse("monitor.emulated.ecall == 1")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("no figure `monitor.emulated.ecall`"), "{e}");
        assert!(e.contains("sret, mmio_load, mmio_store"), "{e}");
        assert!(Assertion::parse("status = 0")
            .unwrap_err()
            .contains("not a comparison"));
        assert!(Assertion::parse("status 0")
            .unwrap_err()
            .contains("no comparison"));
        assert!(Assertion::parse("== 0").unwrap_err().contains("missing"));
        assert!(Assertion::parse("status == 0 == 1")
            .unwrap_err()
            .contains("more than one"));
        assert!(Assertion::parse("st-atus == 0").is_ok(), "a subtraction");
        assert!(Assertion::parse("st$atus == 0")
            .unwrap_err()
            .contains("unexpected `$`"));
        assert!(Assertion::parse("(status == 0")
            .unwrap_err()
            .contains("not closed"));
        assert!(Assertion::parse("status 1 == 0")
            .unwrap_err()
            .contains("without an operator"));
        assert!(Assertion::parse("monitor..x == 0")
            .unwrap_err()
            .contains("neither"));
        let e = Assertion::parse("end.kind < \"x\"")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("only with =="), "{e}");
        let e = Assertion::parse("end.kind == 3")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("cannot compare"), "{e}");
        let e = Assertion::parse("end.kind + 1 == 3")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("works on numbers"), "{e}");
        assert!(Assertion::parse("maxi(1, 2) == 2")
            .unwrap_err()
            .contains("no function `maxi`"));
        assert!(Assertion::parse("max(1, 2 == 2")
            .unwrap_err()
            .contains("not closed"));
        assert!(Assertion::parse("1, 2 == 2").unwrap_err().contains("`,`"));
        let e = Assertion::parse("max(end.kind, 1) == 1")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("works on numbers"), "{e}");
        let e = Assertion::parse("status / status == 1")
            .unwrap()
            .eval(&guest())
            .unwrap_err();
        assert!(e.contains("division by zero"), "{e}");
    }
}
