//! Emulating `sret` from virtual S-mode (privileged spec 3.3.2, "Trap-Return
//! Instructions"): the guest's kernel returns from a trap.

use cpu::port::HartPort;
use cpu::trap::Trap;

use super::{retire, Action, Handled};
use crate::guest::Guest;
use crate::stats::Emulated;

/// `sret`, as the guest's virtual hart runs it
/// ([`cpu::privileged::Core::sret`]: privilege ← SPP, SIE ← SPIE, SPIE ← 1,
/// SPP ← U; illegal in U-mode). It retires, ends the reservation and the
/// trap handler (for trap-storm detection), and the new virtual mode may
/// need the other shadow root. `Err` is the guest's illegal instruction.
pub fn emulate_sret<H: HartPort>(g: &mut Guest, hart: &mut H, bits: u32) -> Result<Handled, Trap> {
    let target = g.vcpu.arch.core.sret(bits)?;
    let pc = hart.arch().pc;
    retire(g, hart, bits, Emulated::Sret);
    let arch = hart.arch_mut();
    arch.reservation = None;
    arch.pc = target;
    g.storm.returned(g.vcpu.retired());
    g.shadow.activate(hart, &g.vcpu);
    tracing::debug!(
        target: "monitor",
        "pc {pc:#x}: sret: virtual mode <- {}, pc <- sepc {target:#x}",
        g.vcpu.core().privilege.letter()
    );
    Ok(Handled::new(
        "emulate_sret",
        Action::Emulated(Emulated::Sret),
    ))
}
