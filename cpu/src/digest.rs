//! The trace digest of book/src/machine.md: a running hash over the stream of retired
//! instructions (`pc` and instruction bits, in order), so that two runs can
//! be compared by one number.

/// The trace digest.
///
/// Each step folds the pair into one word, spreading the 32 instruction bits
/// over all 64 with an odd multiplier (so no simple difference in `pc` can
/// cancel a difference in the bits), then mixes that word into the state with
/// one multiply and a rotation (which brings the well-mixed high half of the
/// product down, so high bits influence low bits on the next step). Only
/// xor, multiply and rotate are on the chain from one step to the next: the
/// digest costs a few cycles per instruction, not a stall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest {
    pub hash: u64,
    pub count: u64,
}

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

impl Digest {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    /// Odd: multiplying by it is a bijection of 64-bit words.
    pub(crate) const PRIME: u64 = 0x9e37_79b9_7f4a_7c15;
    pub(crate) const SPREAD: u64 = 0xff51_afd7_ed55_8ccd;

    pub const fn new() -> Digest {
        Digest {
            hash: Self::OFFSET,
            count: 0,
        }
    }

    /// The hash after one more retired instruction: the one definition of
    /// the digest's step ([`Digest::update`], the fast loop and translated
    /// code all compute it).
    #[inline(always)]
    pub const fn step(hash: u64, pc: u64, bits: u32) -> u64 {
        let word = pc ^ (bits as u64).wrapping_mul(Self::SPREAD);
        (hash ^ word).wrapping_mul(Self::PRIME).rotate_left(29)
    }

    /// Adds one retired instruction.
    #[inline(always)]
    pub fn update(&mut self, pc: u64, bits: u32) {
        self.hash = Self::step(self.hash, pc, bits);
        self.count += 1;
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest tells apart what an equivalence check must.
    #[test]
    fn the_digest_sees_order_pc_bits_and_length() {
        let digest = |stream: &[(u64, u32)]| {
            let mut d = Digest::new();
            for &(pc, b) in stream {
                d.update(pc, b);
            }
            d
        };
        let a = [(0x8000_0000, 0x13), (0x8000_0004, 0x93)];
        let swapped = [(0x8000_0004, 0x93), (0x8000_0000, 0x13)];
        let other_pc = [(0x8000_0000, 0x13), (0x8000_0008, 0x93)];
        let other_bits = [(0x8000_0000, 0x13), (0x8000_0004, 0x113)];
        assert_eq!(digest(&a).count, 2);
        assert_ne!(digest(&a), digest(&swapped), "order counts");
        assert_ne!(digest(&a), digest(&other_pc), "pc counts");
        assert_ne!(digest(&a), digest(&other_bits), "bits count");
        assert_ne!(digest(&a).hash, digest(&a[..1]).hash, "length counts");
    }
}
