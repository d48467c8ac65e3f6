//! Small speed helpers for the per-line path: a fast non-cryptographic
//! hasher for the assembler's own tables (names from the source, never a
//! security boundary), and register-name lookup without string scans.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The "Fx" hash of rustc (multiply and rotate per word).
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// [`isa::reg_by_name`] without allocation or a scan: a decision tree
/// over the bytes of the ABI names of [`isa::REG_NAMES`] (and `fp`), and
/// `xN`. The test below holds it to the table.
pub fn reg_by_name(name: &str) -> Option<u8> {
    let d = |c: u8| c - b'0';
    Some(match *name.as_bytes() {
        [b'x', c] if c.is_ascii_digit() => d(c),
        [b'x', c1 @ b'1'..=b'3', c2] if c2.is_ascii_digit() && d(c1) * 10 + d(c2) < 32 => {
            d(c1) * 10 + d(c2)
        }
        [b'z', b'e', b'r', b'o'] => 0,
        [b'r', b'a'] => 1,
        [b's', b'p'] => 2,
        [b'g', b'p'] => 3,
        [b't', b'p'] => 4,
        [b't', c @ b'0'..=b'2'] => 5 + d(c),
        [b's', c @ b'0'..=b'1'] => 8 + d(c),
        [b'f', b'p'] => 8,
        [b'a', c @ b'0'..=b'7'] => 10 + d(c),
        [b's', c @ b'2'..=b'9'] => 16 + d(c),
        [b's', b'1', c @ b'0'..=b'1'] => 26 + d(c),
        [b't', c @ b'3'..=b'6'] => 25 + d(c),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu::isa;

    #[test]
    fn agrees_with_the_table() {
        let mut names: Vec<String> = isa::REG_NAMES.iter().map(|s| s.to_string()).collect();
        for i in 0..40 {
            names.push(format!("x{i}"));
            names.push(format!("x0{i}"));
        }
        names.extend(["fp", "", "x", "a8", "zeroo", "s12", "X1", "x-1"].map(String::from));
        for n in names {
            assert_eq!(reg_by_name(&n), isa::reg_by_name(&n), "{n:?}");
        }
    }
}
