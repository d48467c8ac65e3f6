//! A check's `stat` assertion: `LEFT OP RIGHT` over one guest's object of
//! the `--stats=json` document, such as `monitor.emulated.sret == 1` or
//! `monitor.emulated.mmio_load == monitor.emulated.mmio_store`.
//!
//! Each side is a path of keys (`native.traps.total`), an integer, a
//! decimal number or a "quoted string"; OP is `==`, `!=`, `<`, `<=`, `>`
//! or `>=`. Integers compare exactly, other numbers as floating point,
//! strings only for (in)equality.

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

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Path(Vec<String>),
    Int(i128),
    Float(f64),
    Str(String),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Path(p) => write!(f, "{}", p.join(".")),
            Operand::Int(i) => write!(f, "{i}"),
            Operand::Float(x) => write!(f, "{x}"),
            Operand::Str(s) => write!(f, "{s:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    pub left: Operand,
    pub op: Op,
    pub right: Operand,
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op.text(), self.right)
    }
}

fn operand(text: &str) -> Result<Operand, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("an operand is missing".into());
    }
    if let Some(inner) = t.strip_prefix('"') {
        return inner
            .strip_suffix('"')
            .map(|s| Operand::Str(s.to_string()))
            .ok_or_else(|| format!("unterminated string {t}"));
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        let digits: String = t.chars().filter(|&c| c != '_').collect();
        if let Ok(i) = digits.parse::<i128>() {
            return Ok(Operand::Int(i));
        }
        if let Some(hex) = digits.strip_prefix("0x") {
            if let Ok(i) = i128::from_str_radix(hex, 16) {
                return Ok(Operand::Int(i));
            }
        }
        return digits
            .parse::<f64>()
            .map(Operand::Float)
            .map_err(|_| format!("`{t}` is not a number"));
    }
    let keys: Vec<String> = t.split('.').map(str::to_string).collect();
    let good =
        |k: &String| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if keys.iter().all(good) {
        Ok(Operand::Path(keys))
    } else {
        Err(format!(
            "`{t}` is neither a number, a \"string\" nor a path such as monitor.exits.ecall"
        ))
    }
}

impl Assertion {
    pub fn parse(text: &str) -> Result<Assertion, String> {
        // The first operator in the text (two-character ones win at a
        // position, so `<=` is not read as `<`).
        let found = (0..text.len()).find_map(|i| {
            Op::ALL
                .iter()
                .find(|(t, _)| text[i..].starts_with(t))
                .map(|&(t, op)| (i, t.len(), op))
        });
        let Some((at, len, op)) = found else {
            return Err(format!(
                "`{text}` has no comparison: write LEFT OP RIGHT with OP one of == != < <= > >="
            ));
        };
        Ok(Assertion {
            left: operand(&text[..at])?,
            op,
            right: operand(&text[at + len..])?,
        })
    }

    /// Whether the assertion holds of `guest`; `Err` says why it cannot be
    /// evaluated (a missing figure, a string compared with `<`). The `Ok`
    /// text shows the values compared.
    pub fn eval(&self, guest: &Value) -> Result<(bool, String), String> {
        let l = value(&self.left, guest)?;
        let r = value(&self.right, guest)?;
        let shown = |v: &Value| match v {
            Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        let ord = compare(&l, &r)
            .ok_or_else(|| format!("cannot compare {} with {}", shown(&l), shown(&r)))?;
        if matches!(ord, Cmp::Unordered) {
            return match self.op {
                Op::Eq => Ok((false, format!("{} is not {}", shown(&l), shown(&r)))),
                Op::Ne => Ok((true, format!("{} is not {}", shown(&l), shown(&r)))),
                _ => Err(format!("strings compare only with == and !=: {self}")),
            };
        }
        let Cmp::Ord(ord) = ord else { unreachable!() };
        let held = self.op.holds(ord);
        let values = match (&self.left, &self.right) {
            (Operand::Path(_), Operand::Path(_)) => format!(
                "{} = {}, {} = {}",
                self.left,
                shown(&l),
                self.right,
                shown(&r)
            ),
            (Operand::Path(_), _) => format!("{} = {}", self.left, shown(&l)),
            (_, Operand::Path(_)) => format!("{} = {}", self.right, shown(&r)),
            _ => String::new(),
        };
        Ok((held, values))
    }
}

enum Cmp {
    Ord(Ordering),
    /// Two strings that differ: only `==`/`!=` mean anything.
    Unordered,
}

fn compare(l: &Value, r: &Value) -> Option<Cmp> {
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => {
            let int = |n: &serde_json::Number| {
                n.as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
            };
            match (int(a), int(b)) {
                (Some(x), Some(y)) => Some(Cmp::Ord(x.cmp(&y))),
                _ => a.as_f64()?.partial_cmp(&b.as_f64()?).map(Cmp::Ord),
            }
        }
        (Value::String(a), Value::String(b)) if a == b => Some(Cmp::Ord(Ordering::Equal)),
        (Value::String(_), Value::String(_)) => Some(Cmp::Unordered),
        (Value::Bool(a), Value::Bool(b)) if a == b => Some(Cmp::Ord(Ordering::Equal)),
        (Value::Bool(_), Value::Bool(_)) => Some(Cmp::Unordered),
        _ => None,
    }
}

/// An operand's value in `guest`.
fn value(o: &Operand, guest: &Value) -> Result<Value, String> {
    match o {
        Operand::Int(i) => Ok(if let Ok(v) = i64::try_from(*i) {
            Value::from(v)
        } else if let Ok(v) = u64::try_from(*i) {
            Value::from(v)
        } else {
            Value::from(*i as f64)
        }),
        Operand::Float(x) => Ok(Value::from(*x)),
        Operand::Str(s) => Ok(Value::from(s.clone())),
        Operand::Path(keys) => lookup(guest, keys).cloned(),
    }
}

/// The figure at `keys` in `guest`, or an error naming what is there.
pub fn lookup<'a>(guest: &'a Value, keys: &[String]) -> Result<&'a Value, String> {
    let mut v = guest;
    for (k, key) in keys.iter().enumerate() {
        v = match v.get(key) {
            Some(next) => next,
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
    }

    #[test]
    fn the_values_are_shown() {
        let a = Assertion::parse("monitor.emulated.sret == 1").unwrap();
        assert_eq!(
            a.eval(&guest()).unwrap(),
            (false, "monitor.emulated.sret = 6".into())
        );
        assert_eq!(a.to_string(), "monitor.emulated.sret == 1");
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
            .contains("no comparison"));
        assert!(Assertion::parse("== 0").unwrap_err().contains("missing"));
        assert!(Assertion::parse("st-atus == 0")
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
    }
}
