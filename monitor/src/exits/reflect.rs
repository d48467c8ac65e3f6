//! Reflecting a trap into the guest: a virtual trap entry into its
//! `stvec`, exactly as the hardware would do it (privileged spec 4.1.1,
//! 4.1.2, 4.1.7-4.1.9).

use cpu::hart::Priv;
use cpu::trap::{Interrupt, Trap};

use super::Log;
use crate::guest::Guest;
use crate::host::HostHart;
use crate::vcpu::sstatus;

/// Where a trap lands: `stvec`'s base, plus 4 × cause for an interrupt in
/// vectored mode (MODE = 1).
pub fn tvec_addr(stvec: u64, trap: Trap) -> u64 {
    let base = stvec & !3;
    match trap {
        Trap::Interrupt(i) if stvec & 3 == 1 => base.wrapping_add(4 * i.code()),
        _ => base,
    }
}

/// Virtual trap entry: `sepc` ← pc, `scause`, `stval`, SPP ← mode,
/// SPIE ← SIE, SIE ← 0, mode ← S, pc ← `stvec`. Nothing retires.
pub fn enter_trap<H: HostHart>(g: &mut Guest, hart: &mut H, trap: Trap) {
    let v = &mut g.vcpu;
    v.sepc = hart.pc();
    v.scause = trap.cause_bits();
    v.stval = trap.tval();
    let spp = if v.mode == Priv::Supervisor {
        sstatus::SPP
    } else {
        0
    };
    let spie = if v.sstatus & sstatus::SIE != 0 {
        sstatus::SPIE
    } else {
        0
    };
    v.sstatus = (v.sstatus & !(sstatus::SPP | sstatus::SPIE | sstatus::SIE)) | spp | spie;
    v.mode = Priv::Supervisor;
    // Trap entry ends the reservation, as on the hardware.
    hart.set_reservation(None);
    hart.set_pc(tvec_addr(v.stvec, trap));
    g.shadow.activate(hart, &g.vcpu);
}

/// An exception the guest takes itself.
/// Stops the guest instead if it makes a trap storm, as the native hart
/// would report it ([`cpu::storm`]).
pub fn reflect<H: HostHart>(g: &mut Guest, hart: &mut H, trap: Trap, log: &mut Log) {
    let pc = hart.pc();
    if storm(g, trap, pc, log) {
        return;
    }
    enter_trap(g, hart, trap);
    g.stats.reflected += 1;
    let to = hart.pc();
    log.say(|| format!("{trap} at {pc:#x}: reflected to the guest's stvec {to:#x}"));
}

/// Counts a trap the guest takes towards a trap storm; on a storm, ends
/// the guest and says so.
pub fn storm(g: &mut Guest, trap: Trap, pc: u64, log: &mut Log) -> bool {
    let Some(storm) = g.storm.trap(trap, pc, g.vcpu.retired) else {
        return false;
    };
    log.say(|| format!("{storm}: guest stopped"));
    g.end = Some(crate::End::TrapStorm(storm));
    true
}

/// A virtual interrupt, injected before the guest's next instruction.
pub fn inject<H: HostHart>(g: &mut Guest, hart: &mut H, irq: Interrupt, log: &mut Log) {
    let pc = hart.pc();
    // (An interrupt never makes a storm; it may begin a chain of traps.)
    let _ = g.storm.trap(Trap::Interrupt(irq), pc, g.vcpu.retired);
    enter_trap(g, hart, Trap::Interrupt(irq));
    g.stats.interrupts += 1;
    let to = hart.pc();
    log.say(|| format!("{} injected at {pc:#x}, enters stvec {to:#x}", irq.name()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectored_mode_only_moves_interrupts() {
        let ecall = Trap::Exception {
            cause: cpu::trap::Exception::EcallFromU,
            tval: 0,
        };
        assert_eq!(tvec_addr(0x8020_0101, ecall), 0x8020_0100);
        let timer = Trap::Interrupt(Interrupt::SupervisorTimer);
        assert_eq!(tvec_addr(0x8020_0101, timer), 0x8020_0114);
        assert_eq!(tvec_addr(0x8020_0100, timer), 0x8020_0100);
    }
}
