//! Emulating a load or store to a device: guest device pages are never
//! mapped, so the access faults; the monitor decodes the instruction and
//! performs it on the guest's own virtual UART or finisher.
//!
//! A misaligned device access is not performed: natively it raises an
//! access fault (load 5, store 7, `stval` = the first address that is not
//! RAM), so the guest takes that fault here too (MACHINE.md "The hart").

use cpu::isa::{self, Op};

use super::{fetch, reflect, retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::memory::GuestPhys;
use crate::shadow::Access;
use crate::stats::Emulated;

/// The width in bytes and signedness of a load, or the width of a store.
fn width(op: Op) -> Option<(u8, bool)> {
    Some(match op {
        Op::Lb => (1, true),
        Op::Lh => (2, true),
        Op::Lw => (4, true),
        Op::Ld => (8, true),
        Op::Lbu => (1, false),
        Op::Lhu => (2, false),
        Op::Lwu => (4, false),
        Op::Sb => (1, false),
        Op::Sh => (2, false),
        Op::Sw => (4, false),
        Op::Sd => (8, false),
        _ => return None,
    })
}

/// Performs the faulting access at `va` (guest-physical `gpa`) on the
/// guest's virtual devices, as the hart would on real ones. An access
/// nothing answers, a misaligned one, or one by an instruction devices
/// don't take (an AMO), is the guest's access fault at `va`.
///
/// `va` is where the real hart's access faulted: for a misaligned access
/// that is the first byte the shadow tables do not map, which may lie on
/// the instruction's second page; natively `stval` is that byte too.
pub fn emulate_mmio<H: HostHart>(
    g: &mut Guest,
    hart: &mut H,
    access: Access,
    va: u64,
    gpa: GuestPhys,
    log: &mut Log,
) {
    let fault = access.access_fault(va);
    let Some(bits) = fetch(g, hart) else {
        return reflect::reflect(g, hart, fault, log);
    };
    let Ok(insn) = isa::decode(bits) else {
        return reflect::reflect(g, hart, fault, log);
    };
    let Some((size, signed)) = width(insn.op) else {
        return reflect::reflect(g, hart, fault, log);
    };
    let address = hart.x(insn.rs1).wrapping_add(insn.imm as i64 as u64);
    if address & (u64::from(size) - 1) != 0 {
        return reflect::reflect(g, hart, fault, log);
    }
    let is_store = insn.op.format() == isa::Format::S;
    if is_store {
        let value = hart.x(insn.rs2);
        if g.devices.store(gpa.0, size, value).is_none() {
            return reflect::reflect(g, hart, fault, log);
        }
        retire(g, hart, bits, Emulated::MmioStore);
        log.say(|| format!("store of {value:#x} ({size} bytes) to device {:#x}: performed on the virtual device", gpa.0));
        if let Some(end) = g.devices.ended() {
            g.end = Some(crate::End::Guest(end));
        }
    } else {
        let Some(raw) = g.devices.load(gpa.0, size) else {
            return reflect::reflect(g, hart, fault, log);
        };
        let shift = 64 - 8 * size as u32;
        let value = if signed {
            (((raw << shift) as i64) >> shift) as u64
        } else {
            (raw << shift) >> shift
        };
        hart.set_x(insn.rd, value);
        retire(g, hart, bits, Emulated::MmioLoad);
        log.say(|| {
            format!(
                "load ({size} bytes) from device {:#x}: virtual device answers {value:#x}",
                gpa.0
            )
        });
    }
}
