//! Emulating `sret` from virtual S-mode (privileged spec 3.3.2, "Trap-Return
//! Instructions"): the guest's kernel returns from a trap.

use cpu::hart::Priv;

use super::{retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::stats::Emulated;
use crate::vcpu::sstatus;

/// `sret`: privilege ← SPP, SIE ← SPIE, SPIE ← 1, SPP ← U, pc ← sepc. The
/// new virtual mode may need the other shadow root. Always legal in S-mode
/// (the host never sets TSR).
pub fn emulate_sret<H: HostHart>(g: &mut Guest, hart: &mut H, bits: u32, log: &mut Log) -> bool {
    let v = &mut g.vcpu;
    let to = if v.sstatus & sstatus::SPP != 0 {
        Priv::Supervisor
    } else {
        Priv::User
    };
    let sie = if v.sstatus & sstatus::SPIE != 0 {
        sstatus::SIE
    } else {
        0
    };
    v.sstatus = (v.sstatus & !(sstatus::SIE | sstatus::SPP)) | sie | sstatus::SPIE;
    v.mode = to;
    let target = v.read_sepc();
    retire(g, hart, bits, Emulated::Sret);
    // `sret` ends the reservation, as natively.
    hart.set_reservation(None);
    g.storm.returned(g.vcpu.retired);
    hart.set_pc(target);
    g.shadow.activate(hart, &g.vcpu);
    log.say(|| format!("sret: virtual mode <- {to:?}, pc <- sepc {target:#x}"));
    true
}
