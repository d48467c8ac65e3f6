//! Emulating `wfi` (privileged spec 3.3.3): the guest waits for an
//! interrupt, and its virtual clock jumps to its timer deadline.

use cpu::port::HartPort;
use cpu::privileged::Sleep;
use cpu::trap::Trap;

use super::{retire, Action, Handled};
use crate::guest::Guest;
use crate::stats::Emulated;
use crate::End;

/// `wfi` from virtual S-mode (illegal in U-mode, as
/// [`cpu::privileged::Core::check_wfi`] says): it retires, then the guest
/// sleeps. `Err` is the guest's illegal instruction.
pub fn emulate_wfi<H: HartPort>(g: &mut Guest, hart: &mut H, bits: u32) -> Result<Handled, Trap> {
    g.vcpu.core().check_wfi(bits)?;
    let pc = hart.arch().pc;
    retire(g, hart, bits, Emulated::Wfi);
    let slept = sleep_at(g, pc);
    Ok(match slept.action {
        Action::End(_) => slept,
        _ => Handled::new("emulate_wfi", Action::Emulated(Emulated::Wfi)),
    })
}

/// After a `wfi` retired: the guest sleeps, or hangs, by the rule the
/// native firmware applies ([`cpu::privileged::Core::sleep_in_wfi`]): with
/// an interrupt already pending it does not sleep; otherwise only its timer
/// can still wake it (no other guest can set its SSIP, there is no PLIC).
pub fn sleep<H: HartPort>(g: &mut Guest, hart: &mut H) -> Handled {
    let pc = hart.arch().pc.wrapping_sub(4);
    sleep_at(g, pc)
}

pub(crate) fn sleep_at(g: &mut Guest, pc: u64) -> Handled {
    match g.vcpu.arch.core.sleep_in_wfi() {
        Sleep::Pending => {
            tracing::debug!(target: "monitor", "pc {pc:#x}: wfi: an interrupt is already pending, no sleep");
        }
        Sleep::Slept { ticks, until } => {
            tracing::debug!(target: "monitor", "pc {pc:#x}: wfi: sleeps {ticks} ticks, until virtual time {until}");
        }
        Sleep::Hang { why } => {
            tracing::debug!(target: "monitor", "pc {pc:#x}: {why}: the guest hangs");
            return Handled::new("sleep", Action::End(End::Hang));
        }
    }
    Handled::new("sleep", Action::Nothing)
}
