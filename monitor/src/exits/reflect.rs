//! Reflecting a trap into the guest: a virtual trap entry into its
//! `stvec`, by the privileged core's own rule
//! ([`cpu::privileged::Core::enter_trap`], privileged spec 4.1.1, 4.1.2,
//! 4.1.7-4.1.9), on the guest's virtual state.

use cpu::port::HartPort;
use cpu::trap::{Interrupt, Trap};

use super::{Action, Handled};
use crate::guest::Guest;
use crate::End;

/// Virtual trap entry at the guest's `pc`: `sepc`, `scause`, `stval`,
/// SPP, SPIE, SIE, mode ← S ([`cpu::privileged::Core::enter_trap`]); `pc`
/// moves to the handler and the reservation ends, as on the hardware; the
/// new virtual mode may need the other shadow root. Nothing retires.
pub fn enter_trap<H: HartPort>(g: &mut Guest, hart: &mut H, trap: Trap) {
    let arch = hart.arch_mut();
    arch.pc = g.vcpu.arch.core.enter_trap(arch.pc, trap);
    arch.reservation = None;
    g.shadow.activate(hart, &g.vcpu);
}

/// An exception the guest takes itself. Stops the guest instead if it
/// makes a trap storm, as the native hart would report it
/// ([`cpu::storm`]).
pub fn reflect<H: HartPort>(g: &mut Guest, hart: &mut H, trap: Trap) -> Handled {
    let pc = hart.arch().pc;
    if let Some(storm) = g.storm.trap(trap, pc, g.vcpu.retired()) {
        tracing::debug!(target: "monitor", "pc {pc:#x}: {storm}: guest stopped");
        return Handled::new("reflect", Action::End(End::TrapStorm(storm)));
    }
    enter_trap(g, hart, trap);
    g.stats.reflected += 1;
    let to = hart.arch().pc;
    tracing::debug!(
        target: "monitor",
        "pc {pc:#x}: {trap}: reflected to the guest's stvec {to:#x}"
    );
    Handled::new("reflect", Action::Reflected(trap))
}

/// A virtual interrupt, injected before the guest's next instruction.
pub fn inject<H: HartPort>(g: &mut Guest, hart: &mut H, irq: Interrupt) {
    let pc = hart.arch().pc;
    // (An interrupt never makes a storm; it may begin a chain of traps.)
    let _ = g.storm.trap(Trap::Interrupt(irq), pc, g.vcpu.retired());
    enter_trap(g, hart, Trap::Interrupt(irq));
    g.stats.interrupts += 1;
    let to = hart.arch().pc;
    tracing::debug!(
        target: "monitor",
        "pc {pc:#x}: {} injected, enters stvec {to:#x}",
        irq.name()
    );
}
