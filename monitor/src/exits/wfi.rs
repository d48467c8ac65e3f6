//! Emulating `wfi` (privileged spec 3.3.3): the guest waits for an
//! interrupt, and its virtual clock jumps to its timer deadline.

use super::{retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::stats::Emulated;
use crate::vcpu::STIP;
use crate::End;

/// `wfi` from virtual S-mode: it retires, then the guest sleeps.
pub fn emulate_wfi<H: HostHart>(g: &mut Guest, hart: &mut H, bits: u32, log: &mut Log) -> bool {
    retire(g, hart, bits, Emulated::Wfi);
    sleep(g, log);
    true
}

/// After a `wfi` retired (privileged spec 3.3.3: it waits for an interrupt
/// enabled in `sie`, whatever `sstatus.SIE` says): with one already
/// pending the hart does not sleep. Otherwise only the guest's timer can
/// still wake it (no other guest can set its SSIP, there is no PLIC): if the
/// timer is set and enabled, virtual time moves to the deadline (or as far
/// as the clock goes, for a deadline `time` never reaches); if not,
/// nothing can ever wake the guest and it hangs (as the native SEE says).
pub fn sleep(g: &mut Guest, log: &mut Log) {
    let v = &mut g.vcpu;
    if v.wakeup_pending() {
        log.say(|| "wfi: an interrupt is already pending, no sleep".into());
        return;
    }
    if v.deadline == u64::MAX || v.sie & STIP == 0 {
        log.say(|| "wfi with nothing that can ever wake the guest: it hangs".into());
        g.end = Some(End::Hang);
        return;
    }
    // To the deadline, or to the end of the clock if `time` never reaches
    // it (as the hart's `sleep_until`).
    let ticks = v.until_deadline().min(u64::MAX - v.clock());
    v.slept = v.slept.saturating_add(ticks);
    v.tick();
    let t = v.time();
    log.say(|| format!("wfi: sleeps {ticks} ticks, virtual time <- {t}"));
}
