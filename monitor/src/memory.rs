//! Addresses a guest can't mix up with the monitor's, and how the machine's
//! RAM is carved up between guests (vm-memory's `GuestAddress` idea).
//!
//! Every guest sees RAM at [`RAM_BASE`] of its own size; behind it is a
//! slice of the one hart's RAM (machine memory). Crossing from a
//! guest-physical to a machine-physical address is a fallible translation,
//! checked against the guest's own slice, so a guest address can never name
//! another guest's memory or the monitor's page tables.

use cpu::hart::RAM_BASE;

/// Page size (Sv39 base pages).
pub const PAGE: u64 = 4096;
/// Size of an Sv39 megapage.
pub const MEGAPAGE: u64 = 2 << 20;

/// A guest-physical address: what the guest believes is physical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestPhys(pub u64);

impl std::fmt::LowerHex for GuestPhys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::LowerHex::fmt(&self.0, f)
    }
}

/// A machine-physical address: a byte of the real hart's RAM (the hart's
/// own physical address, which its port takes).
pub use cpu::port::PhysAddr as MachPhys;

/// One guest's RAM: `size` bytes seen at [`RAM_BASE`], backed by machine
/// memory at `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestRam {
    pub base: MachPhys,
    pub size: u64,
}

impl GuestRam {
    /// The machine address behind `len` bytes at `gpa`, if all of them are
    /// inside this guest's RAM.
    pub fn translate(&self, gpa: GuestPhys, len: u64) -> Option<MachPhys> {
        let off = gpa.0.checked_sub(RAM_BASE)?;
        let end = off.checked_add(len)?;
        (end <= self.size).then(|| MachPhys(self.base.0 + off))
    }

    /// Whether `gpa` is a byte of this guest's RAM.
    pub fn contains(&self, gpa: GuestPhys) -> bool {
        self.translate(gpa, 1).is_some()
    }
}

/// Rounds `n` up to a multiple of `align` (a power of two), `None` on
/// overflow.
pub fn align_up(n: u64, align: u64) -> Option<u64> {
    Some(n.checked_add(align - 1)? & !(align - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_stays_inside_the_guest() {
        let ram = GuestRam {
            base: MachPhys(RAM_BASE + 0x40_0000),
            size: 0x10_0000,
        };
        assert_eq!(
            ram.translate(GuestPhys(RAM_BASE), 8),
            Some(MachPhys(RAM_BASE + 0x40_0000))
        );
        assert_eq!(
            ram.translate(GuestPhys(RAM_BASE + 0xf_fff8), 8),
            Some(MachPhys(RAM_BASE + 0x4f_fff8))
        );
        assert_eq!(ram.translate(GuestPhys(RAM_BASE + 0xf_fff9), 8), None);
        assert_eq!(ram.translate(GuestPhys(RAM_BASE - 1), 1), None);
        assert_eq!(ram.translate(GuestPhys(u64::MAX), 8), None);
        assert!(!ram.contains(GuestPhys(0x1000_0000)));
    }
}
