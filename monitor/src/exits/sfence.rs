//! Emulating `sfence.vma` (privileged spec 4.2.1): the guest says its page
//! tables changed, so every shadow translation built from them goes.

use cpu::isa::Insn;

use super::{retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::stats::Emulated;

/// `sfence.vma rs1, rs2` from virtual S-mode: drops the shadow tables
/// (whatever the address and ASID: a finer flush is a course exercise).
pub fn emulate_sfence_vma<H: HostHart>(
    g: &mut Guest,
    hart: &mut H,
    _insn: Insn,
    bits: u32,
    log: &mut Log,
) -> bool {
    g.shadow.flush(hart, &g.vcpu);
    retire(g, hart, bits, Emulated::SfenceVma);
    log.say(|| "sfence.vma: shadow flushed".into());
    true
}
