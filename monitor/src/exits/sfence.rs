//! Emulating `sfence.vma` (privileged spec 4.2.1): the guest says its page
//! tables changed, so every shadow translation built from them goes.

use cpu::port::HartPort;
use cpu::trap::Trap;

use super::{retire, Action, Handled};
use crate::guest::Guest;
use crate::stats::Emulated;

/// `sfence.vma rs1, rs2` from virtual S-mode (illegal in U-mode, as
/// [`cpu::privileged::Core::check_sfence_vma`] says): drops the shadow
/// tables whatever the address and ASID (a finer flush is a course
/// exercise). `Err` is the guest's illegal instruction.
pub fn emulate_sfence_vma<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    bits: u32,
) -> Result<Handled, Trap> {
    g.vcpu.core().check_sfence_vma(bits)?;
    let pc = hart.arch().pc;
    g.shadow.flush(hart, &g.vcpu);
    retire(g, hart, bits, Emulated::SfenceVma);
    tracing::debug!(target: "monitor", "pc {pc:#x}: sfence.vma: shadow flushed");
    Ok(Handled::new("emulate_sfence_vma", Action::Emulated(Emulated::SfenceVma)).flushed(true))
}
