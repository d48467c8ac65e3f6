//! Emulating `wfi` (privileged spec 3.3.3): the guest waits for an
//! interrupt, and its virtual clock jumps to its timer deadline.

use super::{retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::stats::Emulated;
use crate::End;

/// `wfi` from virtual S-mode: it retires, then the guest sleeps.
pub fn emulate_wfi<H: HostHart>(g: &mut Guest, hart: &mut H, bits: u32, log: &mut Log) -> bool {
    retire(g, hart, bits, Emulated::Wfi);
    sleep(g, log);
    true
}

/// After a `wfi` retired: with an interrupt pending and enabled in `sie`
/// the hart does not sleep at all; otherwise time moves forward to the
/// timer deadline (MACHINE.md); with no deadline nothing can ever wake the
/// guest, a hang.
pub fn sleep(g: &mut Guest, log: &mut Log) {
    let v = &mut g.vcpu;
    if v.wakeup_pending() {
        log.say(|| "wfi: an interrupt is already pending, no sleep".into());
        return;
    }
    if v.deadline == u64::MAX {
        log.say(|| "wfi with no timer set and nothing pending: the guest hangs".into());
        g.end = Some(End::Hang);
        return;
    }
    let ticks = v.until_deadline();
    v.slept = v.slept.saturating_add(ticks);
    v.tick();
    let t = v.time();
    log.say(|| format!("wfi: sleeps {ticks} ticks, virtual time <- {t}"));
}
