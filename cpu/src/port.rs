//! The port through which a host drives a hart: the native firmware
//! ([`crate::machine`]), the monitor and the debugger are written against
//! [`HartPort`], so that each can also be fed a scripted hart in its tests
//! ("feed it a synthetic exit").
//!
//! A host sees the hart's architectural state whole ([`HartPort::arch`]:
//! registers, `pc`, privilege, CSRs, clock), runs it until an [`Exit`], and
//! reaches its RAM by host-physical address ([`PhysAddr`]).

use std::ops::Range;

use crate::arch::ArchState;
use crate::devices::Devices;
use crate::digest::Digest;
use crate::hart::{Exit, Hart, HartStats};
use crate::isa::Fence;
use crate::ram::RamError;

/// A physical address of the hart's own memory (what the monitor calls
/// machine-physical, as opposed to a guest's guest-physical addresses).
/// No arithmetic that could silently wrap: [`PhysAddr::checked_add`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(pub u64);

impl PhysAddr {
    /// `self + off`, or `None` past the end of the address space.
    pub fn checked_add(self, off: u64) -> Option<PhysAddr> {
        self.0.checked_add(off).map(PhysAddr)
    }
}

impl std::fmt::LowerHex for PhysAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::LowerHex::fmt(&self.0, f)
    }
}

/// What a host needs from a hart.
pub trait HartPort {
    /// A hart with `ram_size` bytes of RAM at [`crate::ram::RAM_BASE`] in
    /// its reset state, or why the host cannot reserve them.
    fn with_ram(ram_size: u64) -> Result<Self, RamError>
    where
        Self: Sized;
    /// Registers, `pc`, LR reservation, privilege, CSRs and clock.
    fn arch(&self) -> &ArchState;
    fn arch_mut(&mut self) -> &mut ArchState;
    /// Runs guest code until something needs the host (see [`Exit`]),
    /// retiring at most `budget` instructions.
    fn run<D: Devices>(&mut self, devices: &mut D, budget: u64) -> Exit;
    /// An instruction the host emulated retires, as it would have run:
    /// `instret` and the clock advance, and the digest and trace see it at
    /// the current `pc`. Called before `pc` moves past it.
    fn retire_emulated(&mut self, bits: u32);
    /// The trace digest so far (meaningful while it is on).
    fn digest(&self) -> Digest;
    /// Puts a saved digest back (a host that multiplexes guests keeps one
    /// per guest).
    fn restore_digest(&mut self, digest: Digest);
    /// Whether every retired instruction goes into the digest.
    fn set_digest(&mut self, on: bool);
    /// A `tracing` event per retired instruction.
    fn set_trace_insns(&mut self, on: bool);
    /// Whether hot code is translated to host code (the same run either
    /// way, only faster).
    fn set_translation(&mut self, on: bool);
    /// Forgets cached translations after the host edited page tables.
    fn flush_tlb(&mut self);
    /// A `fence.i` or `sfence.vma` of everything, as the instruction does
    /// it, for the SBI's remote fences (RFENCE) on this hart.
    fn fence(&mut self, fence: Fence);
    /// Reads RAM; `false` (and `buf` untouched) if any byte is outside it.
    fn read_phys(&self, pa: PhysAddr, buf: &mut [u8]) -> bool;
    /// Writes RAM as the host; `false` (and nothing written) if outside it.
    fn write_phys(&mut self, pa: PhysAddr, data: &[u8]) -> bool;
    /// The physical addresses of RAM.
    fn ram_range(&self) -> Range<u64>;
    /// Whether a debugger gave the hart a breakpoint at virtual address
    /// `va` ([`Hart::set_breakpoints`]): a host that performs several
    /// instructions in one exit (binary translation's calls) stops before
    /// one there, as the hart would.
    fn breakpoint_at(&self, va: u64) -> bool;
    /// Traps by cause and the like, for `--stats`.
    fn stats(&self) -> HartStats {
        HartStats::default()
    }
    /// Pages of guest code translated to host code so far (0 for a hart
    /// that only interprets).
    fn translated_pages(&self) -> u64 {
        0
    }
}

/// The real hart.
impl HartPort for Hart {
    fn with_ram(ram_size: u64) -> Result<Hart, RamError> {
        Hart::with_ram(ram_size)
    }
    fn arch(&self) -> &ArchState {
        &self.arch
    }
    fn arch_mut(&mut self) -> &mut ArchState {
        &mut self.arch
    }
    #[inline]
    fn run<D: Devices>(&mut self, devices: &mut D, budget: u64) -> Exit {
        Hart::run(self, devices, budget)
    }
    fn retire_emulated(&mut self, bits: u32) {
        Hart::retire_emulated(self, bits)
    }
    fn digest(&self) -> Digest {
        self.digest
    }
    fn restore_digest(&mut self, digest: Digest) {
        self.digest = digest;
    }
    fn set_digest(&mut self, on: bool) {
        Hart::set_digest(self, on)
    }
    fn set_trace_insns(&mut self, on: bool) {
        Hart::set_trace_insns(self, on)
    }
    fn set_translation(&mut self, on: bool) {
        Hart::set_translation(self, on)
    }
    fn flush_tlb(&mut self) {
        Hart::flush_tlb(self)
    }
    fn fence(&mut self, fence: Fence) {
        Hart::fence(self, fence)
    }
    fn read_phys(&self, pa: PhysAddr, buf: &mut [u8]) -> bool {
        Hart::read_phys(self, pa.0, buf)
    }
    fn write_phys(&mut self, pa: PhysAddr, data: &[u8]) -> bool {
        Hart::write_phys(self, pa.0, data)
    }
    fn ram_range(&self) -> Range<u64> {
        Hart::ram_range(self)
    }
    fn breakpoint_at(&self, va: u64) -> bool {
        Hart::has_breakpoint(self, va)
    }
    fn stats(&self) -> HartStats {
        Hart::stats(self).clone()
    }
    fn translated_pages(&self) -> u64 {
        self.translation_stats().0
    }
}
