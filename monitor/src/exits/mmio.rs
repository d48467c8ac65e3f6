//! Emulating a load or store to a device: guest device pages are never
//! mapped, so the access faults; the monitor decodes the instruction and
//! performs it on the guest's own virtual UART or finisher.
//!
//! A misaligned device access is not performed: natively it raises an
//! access fault (load 5, store 7, `stval` = the first address that is not
//! RAM), so the guest takes that fault here too (the book's "The machine").

use cpu::exec::extend;
use cpu::isa::{self, Kind};
use cpu::port::HartPort;

use super::{fetch, reflect, retire, Action, Handled};
use crate::guest::Guest;
use crate::memory::GuestPhys;
use crate::shadow::Access;
use crate::stats::Emulated;
use crate::End;

/// Performs the faulting access at `va` (guest-physical `gpa`) on the
/// guest's virtual devices, as the hart would on real ones, with the width
/// the instruction's table row gives ([`Kind::memory`]). An access nothing
/// answers, a misaligned one, or one by an instruction devices don't take
/// (an AMO), is the guest's access fault at `va`.
///
/// `va` is where the real hart's access faulted: for a misaligned access
/// that is the first byte the shadow tables do not map, which may lie on
/// the instruction's second page; natively `stval` is that byte too.
pub fn emulate_mmio<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    access: Access,
    va: u64,
    gpa: GuestPhys,
) -> Handled {
    let fault = access.access_fault(va);
    let Some(bits) = fetch(g, hart) else {
        return reflect::reflect(g, hart, fault);
    };
    // A compressed load or store (`c.lw`, `c.sdsp`, ...) is its base
    // instruction, 2 bytes long (`retire` moves `pc` by that).
    let Some(insn) = cpu::rvc::base(bits).and_then(|(base, _)| isa::decode(base).ok()) else {
        return reflect::reflect(g, hart, fault);
    };
    let kind = insn.op.kind();
    let Some((size, signed)) = kind.memory() else {
        return reflect::reflect(g, hart, fault);
    };
    let arch = hart.arch();
    let pc = arch.pc;
    let address = arch.xr(insn.rs1).wrapping_add(insn.imm as i64 as u64);
    if address & (u64::from(size) - 1) != 0 {
        return reflect::reflect(g, hart, fault);
    }
    if let Kind::Store { .. } = kind {
        let value = arch.xr(insn.rs2);
        if g.devices.store(gpa.0, size, value).is_none() {
            return reflect::reflect(g, hart, fault);
        }
        retire(g, hart, bits, Emulated::MmioStore);
        tracing::debug!(
            target: "monitor",
            "pc {pc:#x}: {size}-byte store of {value:#x} to device {gpa:#x}: performed on the virtual device"
        );
        if let Some(end) = g.devices.ended() {
            return Handled::new("emulate_mmio", Action::End(End::Guest(end)));
        }
        Handled::new("emulate_mmio", Action::Emulated(Emulated::MmioStore))
    } else {
        let Some(raw) = g.devices.load(gpa.0, size) else {
            return reflect::reflect(g, hart, fault);
        };
        let bits_wide = 8 * u64::from(size);
        let raw = if bits_wide == 64 {
            raw
        } else {
            raw & ((1 << bits_wide) - 1)
        };
        let value = extend(raw, u64::from(size), signed);
        hart.arch_mut().set_x(insn.rd, value);
        retire(g, hart, bits, Emulated::MmioLoad);
        tracing::debug!(
            target: "monitor",
            "pc {pc:#x}: {size}-byte load from device {gpa:#x}: the virtual device answers {value:#x}"
        );
        Handled::new("emulate_mmio", Action::Emulated(Emulated::MmioLoad))
    }
}
