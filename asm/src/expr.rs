//! Expressions: parsed into an arena once (pass 1), evaluated when their
//! symbols are known (pass 1 if possible, else pass 2).
//!
//! Operators and precedence follow GNU as ("Infix Operators" in the gas
//! manual), which differs from C: `* / % << >>` bind tightest, then
//! `| & ^`, then `+ -` and the comparisons (true is -1), then `&& ||`.
//! `>>` is a logical shift, as in gas.

use crate::lexer::{Tok, Token};

pub type ExprId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Shl,
    Shr,
    Or,
    And,
    Xor,
    Add,
    Sub,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    LAnd,
    LOr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Num(i64),
    /// A symbol, by index in the assembler's symbol table.
    Sym(u32),
    /// A fixed location: offset `off` in input section `chunk` (`.`).
    Loc {
        chunk: u16,
        off: u64,
    },
    Neg(ExprId),
    Not(ExprId),
    LNot(ExprId),
    Bin(BinOp, ExprId, ExprId),
}

/// The value of an expression: absolute, or (pass 1 only) relative to the
/// start of an input section whose address is not known yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    Abs(i64),
    Rel { chunk: u16, off: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// Not known yet (pass 1): a forward reference.
    Unknown,
    /// The symbol is never defined.
    Undefined(u32),
    DivZero,
    /// Arithmetic on addresses that no relocation can express.
    NotAbsolute,
    /// Nested deeper than [`MAX_EVAL_DEPTH`] (symbols defined through
    /// other symbols included).
    TooDeep,
}

/// How many operators deep an expression may be: a tree higher than
/// this is refused when it is parsed (`1+1+...+1` with over a thousand
/// terms), so that evaluating it cannot exhaust the stack.
pub const MAX_EXPR_HEIGHT: u32 = 1000;
/// How deeply parentheses and unary operators may nest while parsing.
pub const MAX_PARSE_NESTING: u32 = 256;
/// How deep evaluation may recurse, through symbols defined by other
/// symbols' expressions too.
pub const MAX_EVAL_DEPTH: u32 = 4000;

/// Resolves symbols while an expression is evaluated.
pub trait Env {
    fn symbol(&self, exprs: &Exprs, id: u32, depth: u32) -> Result<Val, EvalError>;
    /// The value of a fixed location (`.` where it was written).
    fn loc(&self, chunk: u16, off: u64) -> Val {
        Val::Rel {
            chunk,
            off: off as i64,
        }
    }
}

/// The expression arena.
#[derive(Default)]
pub struct Exprs {
    pub nodes: Vec<Node>,
    /// The height of each node's tree (a leaf is 1).
    heights: Vec<u32>,
    /// Parentheses and unary operators open while parsing.
    nesting: u32,
}

/// A parse error: byte offset in the line and message.
pub type ParseError = (u32, String);

/// Names an expression may mention: the assembler resolves them (symbols,
/// numeric local labels, `.`).
pub trait Names {
    fn symbol(&mut self, name: &str) -> Node;
    fn local(&mut self, label: u64, forward: bool) -> Result<Node, String>;
    fn dot(&mut self) -> Node;
}

impl Exprs {
    pub fn push(&mut self, n: Node) -> ExprId {
        let h = |id: ExprId| self.heights.get(id as usize).copied().unwrap_or(0);
        let height = 1 + match n {
            Node::Neg(a) | Node::Not(a) | Node::LNot(a) => h(a),
            Node::Bin(_, a, b) => h(a).max(h(b)),
            _ => 0,
        };
        self.nodes.push(n);
        self.heights.push(height);
        (self.nodes.len() - 1) as ExprId
    }

    /// Pushes `n`, or refuses an expression grown too high to evaluate.
    fn push_checked(&mut self, n: Node, at: u32) -> Result<ExprId, ParseError> {
        let id = self.push(n);
        if self.heights[id as usize] > MAX_EXPR_HEIGHT {
            return Err((
                at,
                format!("expression too complex (over {MAX_EXPR_HEIGHT} operators deep)"),
            ));
        }
        Ok(id)
    }

    /// The arena's size, to [`Exprs::truncate`] back to when an expression
    /// was fully evaluated and need not be kept.
    pub fn mark(&self) -> usize {
        self.nodes.len()
    }

    pub fn truncate(&mut self, mark: usize) {
        self.nodes.truncate(mark);
        self.heights.truncate(mark);
    }

    /// Evaluates expression `id`; `depth` is how deep the evaluation
    /// already is (0 at the top; [`Env::symbol`] passes its own on).
    pub fn eval(&self, id: ExprId, env: &impl Env, depth: u32) -> Result<Val, EvalError> {
        if depth > MAX_EVAL_DEPTH {
            return Err(EvalError::TooDeep);
        }
        let node = match self.nodes.get(id as usize) {
            Some(n) => *n,
            None => return Err(EvalError::NotAbsolute),
        };
        let depth = depth + 1;
        match node {
            Node::Num(v) => Ok(Val::Abs(v)),
            Node::Sym(s) => env.symbol(self, s, depth),
            Node::Loc { chunk, off } => Ok(env.loc(chunk, off)),
            Node::Neg(a) => Ok(Val::Abs(abs(self.eval(a, env, depth)?)?.wrapping_neg())),
            Node::Not(a) => Ok(Val::Abs(!abs(self.eval(a, env, depth)?)?)),
            Node::LNot(a) => Ok(Val::Abs((abs(self.eval(a, env, depth)?)? == 0) as i64)),
            Node::Bin(op, a, b) => {
                let va = self.eval(a, env, depth);
                let vb = self.eval(b, env, depth);
                // An undefined symbol is worth reporting over an unknown one.
                let (va, vb) = match (va, vb) {
                    (Err(e @ EvalError::Undefined(_)), _)
                    | (_, Err(e @ EvalError::Undefined(_))) => return Err(e),
                    (a, b) => (a?, b?),
                };
                binary(op, va, vb)
            }
        }
    }

    /// Parses an expression from `toks` starting at `*pos`, leaving `*pos`
    /// after it.
    pub fn parse(
        &mut self,
        line: &str,
        toks: &[Token],
        pos: &mut usize,
        names: &mut impl Names,
    ) -> Result<ExprId, ParseError> {
        self.parse_level(line, toks, pos, names, 4)
    }

    fn parse_level(
        &mut self,
        line: &str,
        toks: &[Token],
        pos: &mut usize,
        names: &mut impl Names,
        level: u8,
    ) -> Result<ExprId, ParseError> {
        if level == 0 {
            return self.parse_unary(line, toks, pos, names);
        }
        let mut lhs = self.parse_level(line, toks, pos, names, level - 1)?;
        while let Some((op, width)) = binop_at(toks, *pos, level) {
            let at = toks.get(*pos).map_or(0, |t| t.start);
            *pos += width;
            let rhs = self.parse_level(line, toks, pos, names, level - 1)?;
            lhs = self.push_checked(Node::Bin(op, lhs, rhs), at)?;
        }
        Ok(lhs)
    }

    fn parse_unary(
        &mut self,
        line: &str,
        toks: &[Token],
        pos: &mut usize,
        names: &mut impl Names,
    ) -> Result<ExprId, ParseError> {
        if self.nesting >= MAX_PARSE_NESTING {
            let at = toks.get(*pos).map_or(0, |t| t.start);
            return Err((
                at,
                format!("expression nested too deeply (over {MAX_PARSE_NESTING} parentheses or unary operators)"),
            ));
        }
        self.nesting += 1;
        let r = self.parse_primary(line, toks, pos, names);
        self.nesting = self.nesting.saturating_sub(1);
        r
    }

    fn parse_primary(
        &mut self,
        line: &str,
        toks: &[Token],
        pos: &mut usize,
        names: &mut impl Names,
    ) -> Result<ExprId, ParseError> {
        let end_at = toks.last().map_or(line.len() as u32, |t| t.end);
        let Some(t) = toks.get(*pos) else {
            return Err((end_at, "expected expression".into()));
        };
        *pos += 1;
        let text = &line[t.start as usize..t.end as usize];
        match t.kind {
            Tok::Num(v) => Ok(self.push(Node::Num(v as i64))),
            Tok::Ident if text == "." => {
                let n = names.dot();
                Ok(self.push(n))
            }
            Tok::Ident => {
                let n = names.symbol(text);
                Ok(self.push(n))
            }
            Tok::LocalRef { label, forward } => {
                let n = names.local(label, forward).map_err(|m| (t.start, m))?;
                Ok(self.push(n))
            }
            Tok::Punct(b'(') => {
                let inner = self.parse(line, toks, pos, names)?;
                match toks.get(*pos) {
                    Some(c) if c.kind == Tok::Punct(b')') => {
                        *pos += 1;
                        Ok(inner)
                    }
                    Some(c) => Err((c.start, "expected `)`".into())),
                    None => Err((end_at, "expected `)`".into())),
                }
            }
            Tok::Punct(b'-') => {
                let a = self.parse_unary(line, toks, pos, names)?;
                self.push_checked(Node::Neg(a), t.start)
            }
            Tok::Punct(b'+') => self.parse_unary(line, toks, pos, names),
            Tok::Punct(b'~') => {
                let a = self.parse_unary(line, toks, pos, names)?;
                self.push_checked(Node::Not(a), t.start)
            }
            Tok::Punct(b'!') => {
                let a = self.parse_unary(line, toks, pos, names)?;
                self.push_checked(Node::LNot(a), t.start)
            }
            _ => Err((t.start, format!("expected expression, found `{text}`"))),
        }
    }
}

/// The binary operator at `toks[pos]` if it belongs to precedence `level`,
/// and how many tokens it spans.
fn binop_at(toks: &[Token], pos: usize, level: u8) -> Option<(BinOp, usize)> {
    let t = toks.get(pos)?;
    let next = toks
        .get(pos + 1)
        .filter(|n| n.start == t.end)
        .map(|n| n.kind);
    let (op, width) = match (t.kind, next) {
        (Tok::Punct(b'*'), _) => (BinOp::Mul, 1),
        (Tok::Punct(b'/'), _) => (BinOp::Div, 1),
        (Tok::Punct(b'%'), _) => (BinOp::Rem, 1),
        (Tok::Shl, _) => (BinOp::Shl, 1),
        (Tok::Shr, _) => (BinOp::Shr, 1),
        (Tok::Punct(b'|'), Some(Tok::Punct(b'|'))) => (BinOp::LOr, 2),
        (Tok::Punct(b'&'), Some(Tok::Punct(b'&'))) => (BinOp::LAnd, 2),
        (Tok::Punct(b'|'), _) => (BinOp::Or, 1),
        (Tok::Punct(b'&'), _) => (BinOp::And, 1),
        (Tok::Punct(b'^'), _) => (BinOp::Xor, 1),
        (Tok::Punct(b'+'), _) => (BinOp::Add, 1),
        (Tok::Punct(b'-'), _) => (BinOp::Sub, 1),
        (Tok::Punct(b'='), Some(Tok::Punct(b'='))) => (BinOp::Eq, 2),
        (Tok::Punct(b'!'), Some(Tok::Punct(b'='))) => (BinOp::Ne, 2),
        (Tok::Punct(b'<'), Some(Tok::Punct(b'>'))) => (BinOp::Ne, 2),
        (Tok::Punct(b'<'), Some(Tok::Punct(b'='))) => (BinOp::Le, 2),
        (Tok::Punct(b'>'), Some(Tok::Punct(b'='))) => (BinOp::Ge, 2),
        (Tok::Punct(b'<'), _) => (BinOp::Lt, 1),
        (Tok::Punct(b'>'), _) => (BinOp::Gt, 1),
        _ => return None,
    };
    let op_level = match op {
        BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::Shl | BinOp::Shr => 1,
        BinOp::Or | BinOp::And | BinOp::Xor => 2,
        BinOp::LAnd | BinOp::LOr => 4,
        _ => 3,
    };
    (op_level == level).then_some((op, width))
}

fn abs(v: Val) -> Result<i64, EvalError> {
    match v {
        Val::Abs(a) => Ok(a),
        Val::Rel { .. } => Err(EvalError::NotAbsolute),
    }
}

fn binary(op: BinOp, a: Val, b: Val) -> Result<Val, EvalError> {
    match (op, a, b) {
        (BinOp::Add, Val::Rel { chunk, off }, Val::Abs(k))
        | (BinOp::Add, Val::Abs(k), Val::Rel { chunk, off }) => Ok(Val::Rel {
            chunk,
            off: off.wrapping_add(k),
        }),
        (BinOp::Sub, Val::Rel { chunk, off }, Val::Abs(k)) => Ok(Val::Rel {
            chunk,
            off: off.wrapping_sub(k),
        }),
        (BinOp::Sub, Val::Rel { chunk: c1, off: o1 }, Val::Rel { chunk: c2, off: o2 })
            if c1 == c2 =>
        {
            Ok(Val::Abs(o1.wrapping_sub(o2)))
        }
        (_, Val::Abs(x), Val::Abs(y)) => {
            let t = |c: bool| if c { -1 } else { 0 };
            Ok(Val::Abs(match op {
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div if y == 0 => return Err(EvalError::DivZero),
                BinOp::Rem if y == 0 => return Err(EvalError::DivZero),
                BinOp::Div => x.wrapping_div(y),
                BinOp::Rem => x.wrapping_rem(y),
                BinOp::Shl => u32::try_from(y)
                    .ok()
                    .and_then(|s| x.checked_shl(s))
                    .unwrap_or(0),
                BinOp::Shr => u32::try_from(y)
                    .ok()
                    .and_then(|s| (x as u64).checked_shr(s))
                    .unwrap_or(0) as i64,
                BinOp::Or => x | y,
                BinOp::And => x & y,
                BinOp::Xor => x ^ y,
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Eq => t(x == y),
                BinOp::Ne => t(x != y),
                BinOp::Lt => t(x < y),
                BinOp::Gt => t(x > y),
                BinOp::Le => t(x <= y),
                BinOp::Ge => t(x >= y),
                BinOp::LAnd => (x != 0 && y != 0) as i64,
                BinOp::LOr => (x != 0 || y != 0) as i64,
            }))
        }
        // Other address arithmetic: unknown in pass 1 (the addresses are
        // not fixed yet); in pass 2 every value is absolute.
        _ => Err(EvalError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::{tokenize, Dialect};

    struct NoNames;
    impl Names for NoNames {
        fn symbol(&mut self, name: &str) -> Node {
            Node::Num(if name == "FOUR" { 4 } else { 0 })
        }
        fn local(&mut self, _: u64, _: bool) -> Result<Node, String> {
            Err("no labels".into())
        }
        fn dot(&mut self) -> Node {
            Node::Loc { chunk: 0, off: 8 }
        }
    }
    struct NoEnv;
    impl Env for NoEnv {
        fn symbol(&self, _: &Exprs, id: u32, _: u32) -> Result<Val, EvalError> {
            Err(EvalError::Undefined(id))
        }
    }

    fn eval(text: &str) -> Result<Val, EvalError> {
        let mut toks = Vec::new();
        let mut c = false;
        tokenize(
            text,
            Dialect {
                slash_comments: false,
            },
            &mut c,
            &mut toks,
        );
        let mut ex = Exprs::default();
        let mut pos = 0;
        let id = ex.parse(text, &toks, &mut pos, &mut NoNames).unwrap();
        assert_eq!(pos, toks.len(), "{text}");
        ex.eval(id, &NoEnv, 0)
    }

    #[test]
    fn gas_precedence() {
        // Values checked against GNU as 2.40.
        assert_eq!(eval("1 + 1 & 2"), Ok(Val::Abs(1)));
        assert_eq!(eval("6 - 1 | 2"), Ok(Val::Abs(3)));
        assert_eq!(eval("2 * 3 << 1"), Ok(Val::Abs(12)));
        assert_eq!(eval("1 << 2 * 3"), Ok(Val::Abs(12)));
        assert_eq!(eval("-5 >> 1"), Ok(Val::Abs(0x7fff_ffff_ffff_fffd)));
        assert_eq!(eval("~0 + !0"), Ok(Val::Abs(0)));
        assert_eq!(eval("1 + 1 == 2"), Ok(Val::Abs(-1)));
        assert_eq!(eval("7 / -2"), Ok(Val::Abs(-3)));
        assert_eq!(eval("-7 % 3"), Ok(Val::Abs(-1)));
        assert_eq!(eval("(1 + 2) * FOUR ^ 'a'"), Ok(Val::Abs(12 ^ 97)));
        assert_eq!(eval("1 / 0"), Err(EvalError::DivZero));
        assert_eq!(eval(". + 4"), Ok(Val::Rel { chunk: 0, off: 12 }));
        assert_eq!(eval(". - ."), Ok(Val::Abs(0)));
        assert_eq!(eval("1 && 2 || 0"), Ok(Val::Abs(1)));
    }
}
