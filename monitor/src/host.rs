//! The monitor's port to the one real hart.
//!
//! The monitor drives a single [`cpu::hart::Hart`] and multiplexes every
//! guest over it. Everything it needs from that hart is listed in
//! [`HostHart`], so that the exit handlers can also be exercised against a
//! scripted hart in unit tests ("feed it a synthetic exit", STYLE.md). The
//! run loop is generic over this trait, so the real hart is called directly:
//! no `dyn` call per exit, none per instruction.

use cpu::hart::{Digest, Exit};

/// What the monitor needs from the real hart.
///
/// The hart runs with `medeleg = mideleg = 0`, `mcounteren = 0`, in U-mode,
/// with no devices and no timer of its own: every trap leaves [`HostHart::run`]
/// as an [`Exit::Trap`], and the monitor decides what the guest sees.
pub trait HostHart {
    /// Builds a hart whose RAM (machine memory) is `ram_size` bytes at
    /// [`cpu::hart::RAM_BASE`], deprivileged as described above.
    fn deprivileged(ram_size: u64) -> Self
    where
        Self: Sized;
    /// Runs the loaded guest for at most `budget` retired instructions.
    fn run(&mut self, budget: u64) -> Exit;
    /// Instructions retired by the real hart, all guests together.
    fn instret(&self) -> u64;
    fn x(&self, reg: u8) -> u64;
    /// Writes a register (writes to `x0` are dropped).
    fn set_x(&mut self, reg: u8, value: u64);
    fn pc(&self) -> u64;
    fn set_pc(&mut self, pc: u64);
    /// The running trace digest of the loaded guest.
    fn digest(&self) -> Digest;
    fn set_digest(&mut self, digest: Digest);
    /// Points the real MMU at a root page table the monitor owns (a full
    /// `satp` value) and flushes the TLB.
    fn set_satp(&mut self, satp: u64);
    /// Flushes the real TLB after the monitor edited page tables it owns.
    fn flush_tlb(&mut self);
    /// Reads machine RAM; `false` if any byte is outside it.
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool;
    /// Writes machine RAM; `false` (and nothing written) if outside it.
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool;

    /// Records that the monitor retired the instruction `bits` at the
    /// current `pc` on the guest's behalf (an emulated instruction): it goes
    /// into the trace digest exactly as if the hart had run it.
    fn retire_emulated(&mut self, bits: u32) {
        let mut d = self.digest();
        d.update(self.pc(), bits);
        self.set_digest(d);
    }
}
