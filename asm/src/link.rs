//! Pass 2, the linker's half: lays the input sections out as
//! `guest-programs/link.ld` does, then resolves every fixup now that every
//! address is known.
//!
//! Layout: `.text` at the origin, then `.rodata`, `.data` and `.bss`, each
//! starting at the next 4 KiB boundary (or its own alignment, if larger).
//! Within an output section the input sections follow in the order GNU as
//! would have put them in the object file (`.text`, `.data`, `.bss` first,
//! the others as they first appear), each at its own alignment.

use std::collections::HashMap;

use crate::assembler::{
    field_value, patch, patch_compressed, Asm, Class, Def, Field, Reloc, Sym, Where,
};
use crate::expr::{Env, EvalError, Exprs, Node, Val, MAX_EVAL_DEPTH};

/// One output section, laid out.
pub struct OutSection {
    pub class: Class,
    pub addr: u64,
    pub size: u64,
    pub align: u64,
    /// Contents (empty for `.bss`).
    pub data: Vec<u8>,
}

pub const CLASSES: [Class; 4] = [Class::Text, Class::Rodata, Class::Data, Class::Bss];
const PAGE: u64 = 0x1000;

/// Addresses of every input section, and the output sections' extents.
pub fn layout(asm: &Asm, origin: u64) -> (Vec<u64>, Vec<OutSection>) {
    let mut bases = vec![0u64; asm.chunks.len()];
    let mut out = Vec::new();
    let mut cursor = origin;
    for (i, class) in CLASSES.into_iter().enumerate() {
        if i > 0 {
            cursor = cursor.wrapping_add(PAGE - 1) & !(PAGE - 1);
        }
        let align = asm
            .chunks
            .iter()
            .filter(|c| c.class == class)
            .map(|c| c.align)
            .max()
            .unwrap_or(1);
        let addr = align_up(cursor, align);
        let mut pos = addr;
        for (id, c) in asm.chunks.iter().enumerate() {
            if c.class == class {
                pos = align_up(pos, c.align);
                bases[id] = pos;
                pos = pos.wrapping_add(c.size);
            }
        }
        out.push(OutSection {
            class,
            addr,
            size: pos.wrapping_sub(addr),
            align,
            data: Vec::new(),
        });
        cursor = pos;
    }
    (bases, out)
}

fn align_up(v: u64, align: u64) -> u64 {
    let a = align.max(1);
    v.wrapping_add(a - 1) & !(a - 1)
}

/// Pass-2 values: everything is absolute.
pub struct Pass2<'a> {
    pub syms: &'a [Sym],
    pub bases: &'a [u64],
    /// Symbols defined by expressions, resolved in dependency order
    /// ([`resolve`]); `None` for the others, and for those that depend on
    /// a cycle.
    pub resolved: &'a Resolved,
}

/// The values of `.set`/`.equ` symbols whose expressions were not known in
/// pass 1, computed once every address is known, each after the symbols
/// it uses (a chain of any length, no recursion); and for those that
/// cannot be computed because their definitions go round in a circle, a
/// symbol of that circle.
#[derive(Default)]
pub struct Resolved {
    pub values: Vec<Option<i64>>,
    pub cycle: Vec<Option<u32>>,
}

/// The symbols that expression `e` names, without recursion.
fn refs(exprs: &Exprs, e: u32, out: &mut Vec<u32>) {
    out.clear();
    let mut stack = vec![e];
    while let Some(id) = stack.pop() {
        match exprs.nodes.get(id as usize) {
            Some(Node::Sym(s)) => out.push(*s),
            Some(Node::Neg(a) | Node::Not(a) | Node::LNot(a)) => stack.push(*a),
            Some(Node::Bin(_, a, b)) => {
                stack.push(*a);
                stack.push(*b);
            }
            _ => {}
        }
    }
}

/// Resolves every deferred symbol (see [`Resolved`]): a depth-first walk
/// of the symbols' dependencies with an explicit stack.
pub fn resolve(asm: &Asm, bases: &[u64]) -> Resolved {
    let syms = &asm.symtab.syms;
    let n = syms.len();
    let mut r = Resolved {
        values: vec![None; n],
        cycle: vec![None; n],
    };
    let deferred = |s: u32| match syms.get(s as usize).map(|s| s.def) {
        Some(Def::Deferred(e)) => Some(e),
        _ => None,
    };
    // 0: not seen, 1: on the stack, 2: done.
    let mut state = vec![0u8; n];
    let mut names = Vec::new();
    for start in 0..n as u32 {
        if deferred(start).is_none() || state[start as usize] != 0 {
            continue;
        }
        let mut stack = vec![(start, false)];
        while let Some((x, children_done)) = stack.pop() {
            let Some(e) = deferred(x) else {
                continue;
            };
            refs(&asm.exprs, e, &mut names);
            if children_done {
                let cycle = names
                    .iter()
                    .find_map(|&t| r.cycle.get(t as usize).copied().flatten());
                if cycle.is_some() {
                    r.cycle[x as usize] = cycle;
                } else {
                    let env = Pass2 {
                        syms,
                        bases,
                        resolved: &r,
                    };
                    if let Ok(Val::Abs(v)) = asm.exprs.eval(e, &env, 0) {
                        r.values[x as usize] = Some(v);
                    }
                }
                state[x as usize] = 2;
                continue;
            }
            match state[x as usize] {
                2 => continue,
                1 => {
                    // Reached again while its own definition is being
                    // resolved: a circle.
                    r.cycle[x as usize] = Some(x);
                    continue;
                }
                _ => {}
            }
            state[x as usize] = 1;
            stack.push((x, true));
            for &t in &names {
                match state.get(t as usize) {
                    Some(0) if deferred(t).is_some() => stack.push((t, false)),
                    Some(1) => r.cycle[t as usize] = Some(t),
                    _ => {}
                }
            }
        }
    }
    r
}

impl Env for Pass2<'_> {
    fn symbol(&self, exprs: &Exprs, id: u32, depth: u32) -> Result<Val, EvalError> {
        match self.syms.get(id as usize).map(|s| s.def) {
            Some(Def::Label { chunk, off }) => Ok(self.loc(chunk, off)),
            Some(Def::Const(v)) => Ok(Val::Abs(v)),
            Some(Def::Deferred(_))
                if self
                    .resolved
                    .values
                    .get(id as usize)
                    .copied()
                    .flatten()
                    .is_some() =>
            {
                Ok(Val::Abs(self.resolved.values[id as usize].unwrap_or(0)))
            }
            Some(Def::Deferred(e)) if depth < MAX_EVAL_DEPTH => exprs.eval(e, self, depth),
            Some(Def::Deferred(_)) => Err(EvalError::TooDeep),
            Some(Def::Undef) if self.syms.get(id as usize).is_some_and(|s| s.weak) => {
                Ok(Val::Abs(0))
            }
            _ => Err(EvalError::Undefined(id)),
        }
    }

    fn loc(&self, chunk: u16, off: u64) -> Val {
        let base = self.bases.get(chunk as usize).copied().unwrap_or(0);
        Val::Abs(base.wrapping_add(off) as i64)
    }
}

impl Pass2<'_> {
    pub fn value(&self, exprs: &Exprs, e: u32) -> Result<i64, String> {
        match exprs.eval(e, self, 0) {
            Ok(Val::Abs(v)) => Ok(v),
            Ok(Val::Rel { .. }) | Err(EvalError::Unknown) | Err(EvalError::NotAbsolute) => {
                Err("expression is not a constant or an address".into())
            }
            Err(EvalError::DivZero) => Err("division by zero".into()),
            Err(EvalError::TooDeep) => {
                let mut names = Vec::new();
                refs(exprs, e, &mut names);
                let cycle = names
                    .iter()
                    .find_map(|&t| self.resolved.cycle.get(t as usize).copied().flatten());
                Err(match cycle.and_then(|c| self.syms.get(c as usize)) {
                    Some(s) => format!("symbol `{}` is defined in terms of itself", s.name),
                    None => "expression too deep to evaluate".into(),
                })
            }
            Err(EvalError::Undefined(id)) => Err(match self.syms.get(id as usize) {
                Some(s) if s.numeric => format!("undefined local label `{}f`", s.name),
                Some(s) => format!("undefined symbol `{}`", s.name),
                None => "undefined symbol".into(),
            }),
        }
    }
}

/// Resolves every fixup into the section contents. Errors are returned
/// with their location.
pub fn apply_fixups(asm: &mut Asm, bases: &[u64], resolved: &Resolved) -> Vec<(Where, String)> {
    let mut errors = Vec::new();
    let env = Pass2 {
        syms: &asm.symtab.syms,
        bases,
        resolved,
    };
    // Where each `%pcrel_hi` is, and what it points at, for `%pcrel_lo`.
    let mut his: HashMap<u64, i64> = HashMap::new();
    for f in &asm.fixups {
        if f.reloc == Reloc::PcrelHi {
            if let Ok(v) = env.value(&asm.exprs, f.expr) {
                his.insert(bases[f.chunk as usize].wrapping_add(f.off), v);
            }
        }
    }
    // A pc-relative reference to an undefined weak symbol: as GNU ld does,
    // `auipc` becomes `lui rd, 0` and its low part is taken from 0.
    let undef_weak = |e: u32| match asm.exprs.nodes.get(e as usize) {
        Some(Node::Sym(id)) => asm
            .symtab
            .syms
            .get(*id as usize)
            .is_some_and(|s| s.weak && s.def == Def::Undef),
        _ => false,
    };
    let mut to_lui: Vec<(u16, u64)> = Vec::new();
    let mut patches: Vec<(u16, u64, Field, i64)> = Vec::with_capacity(asm.fixups.len());
    for f in &asm.fixups {
        if undef_weak(f.expr) {
            match f.reloc {
                Reloc::PcrelHi => {
                    to_lui.push((f.chunk, f.off));
                    patches.push((f.chunk, f.off, f.field, 0));
                    continue;
                }
                Reloc::PcrelLo | Reloc::PcrelLoAt { .. } => {
                    patches.push((f.chunk, f.off, f.field, 0));
                    continue;
                }
                _ => {}
            }
        }
        let pc = bases[f.chunk as usize].wrapping_add(f.off) as i64;
        let value = match env.value(&asm.exprs, f.expr) {
            Ok(v) => v,
            Err(m) => {
                errors.push((f.at, m));
                continue;
            }
        };
        let resolved = match f.reloc {
            Reloc::PcrelLo => match his.get(&(value as u64)) {
                Some(&target) => field_value(f.field, Reloc::Lo, target.wrapping_sub(value), pc, f.op),
                None => Err(format!(
                    "%pcrel_lo: no auipc with %pcrel_hi at {value:#x} (the operand must be the label of the auipc)"
                )),
            },
            Reloc::PcrelLoAt { chunk, off } => {
                let auipc = bases[chunk as usize].wrapping_add(off) as i64;
                field_value(f.field, Reloc::Lo, value.wrapping_sub(auipc), pc, f.op)
            }
            // Against an address (not a constant, which pass 1 did), the
            // linker checks that lui+addi can reach it: a sign-extended
            // 32-bit value.
            Reloc::Hi if !(-(1i64 << 31) - 0x800..(1i64 << 31) - 0x800).contains(&value) => Err(
                format!(
                    "%hi of {value:#x} out of range: lui/addi reach only ±2 GiB around 0 (use la, or a lower origin)"
                ),
            ),
            r => field_value(f.field, r, value, pc, f.op),
        };
        match resolved {
            Ok(v) => patches.push((f.chunk, f.off, f.field, v)),
            Err(m) => errors.push((f.at, m)),
        }
    }
    for (chunk, off) in to_lui {
        if let Some(dst) = asm
            .chunks
            .get_mut(chunk as usize)
            .and_then(|c| c.data.get_mut(off as usize..off as usize + 4))
        {
            let mut w = [0u8; 4];
            w.copy_from_slice(dst);
            // auipc (opcode 0x17) -> lui (0x37), same rd and immediate.
            let word = u32::from_le_bytes(w) ^ 0x17 ^ 0x37;
            dst.copy_from_slice(&word.to_le_bytes());
        }
    }
    for (chunk, off, field, v) in patches {
        let Some(c) = asm.chunks.get_mut(chunk as usize) else {
            continue;
        };
        let off = off as usize;
        match field {
            Field::Data(size) => {
                if let Some(dst) = c.data.get_mut(off..off + size as usize) {
                    dst.copy_from_slice(&v.to_le_bytes()[..size as usize]);
                }
            }
            Field::Cb | Field::Cj => {
                if let Some(dst) = c.data.get_mut(off..off + 2) {
                    let parcel = u16::from_le_bytes([dst[0], dst[1]]);
                    dst.copy_from_slice(&patch_compressed(parcel, v).to_le_bytes());
                }
            }
            _ => {
                if let Some(dst) = c.data.get_mut(off..off + 4) {
                    let mut w = [0u8; 4];
                    w.copy_from_slice(dst);
                    let word = patch(u32::from_le_bytes(w), field, v);
                    dst.copy_from_slice(&word.to_le_bytes());
                }
            }
        }
    }
    errors
}
