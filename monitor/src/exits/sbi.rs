//! Hypercalls: an `ecall` from virtual S-mode is the guest calling its SBI
//! (MACHINE.md "SBI"). The calls are decoded and carried out by the same
//! code as the native SEE's ([`cpu::sbi`]), over an [`SbiEnv`] that is this
//! one guest: its console, its virtual timer, its RAM.

use cpu::devices::Ended;
use cpu::sbi::{self, Fence, SbiCall, SbiEnv, SbiRet};

use super::Log;
use crate::guest::Guest;
use crate::host::HostHart;
use crate::memory::{GuestPhys, GuestRam};
use crate::shadow::ShadowMmu;
use crate::stats::Emulated;
use crate::vcpu::{Vcpu, SSIP};
use crate::vdev::VirtualDevices;
use crate::End;

/// The encoding of `ecall`.
pub const ECALL: u32 = 0x0000_0073;

/// One guest, as its SBI sees it.
struct GuestEnv<'a, H> {
    vcpu: &'a mut Vcpu,
    ram: &'a GuestRam,
    shadow: &'a mut ShadowMmu,
    devices: &'a mut VirtualDevices,
    hart: &'a mut H,
    ended: Option<Ended>,
}

impl<H: HostHart> SbiEnv for GuestEnv<'_, H> {
    fn console_write(&mut self, bytes: &[u8]) {
        self.devices.console().write(bytes);
    }
    fn console_read(&mut self) -> Option<u8> {
        self.devices.console().read()
    }
    fn set_timer(&mut self, stime: u64) {
        self.vcpu.set_timer(stime);
    }
    fn end(&mut self, end: Ended) {
        self.ended = Some(end);
    }
    fn raise_software_interrupt(&mut self) {
        self.vcpu.sip |= SSIP;
    }
    fn fence(&mut self, fence: Fence) {
        match fence {
            // The guest's translations are the shadow tables: they go, as
            // for an emulated `sfence.vma`.
            Fence::SfenceVma => self.shadow.flush(self.hart, self.vcpu),
            // Nothing to do: the real hart's decoded and translated code
            // follows every store to guest memory (the guest's and the
            // monitor's), so no stale instruction can run. (The guest's own
            // `fence.i` runs on the real hart, unprivileged.)
            Fence::FenceI => {}
        }
    }
    fn is_ram(&self, pa: u64, len: u64) -> bool {
        self.ram.translate(GuestPhys(pa), len).is_some()
    }
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        match self.ram.translate(GuestPhys(pa), buf.len() as u64) {
            Some(m) => self.hart.read_phys(m.0, buf),
            None => false,
        }
    }
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        match self.ram.translate(GuestPhys(pa), data.len() as u64) {
            Some(m) => self.hart.write_phys(m.0, data),
            None => false,
        }
    }
}

/// Steps the guest past the `ecall` of an answered SBI call, as the native
/// SEE does (`pc += 4`). The `ecall` raised an exception, so it does not
/// retire (privileged spec 3.3.1): it enters neither `instret` nor the
/// digest, natively or here.
fn step_past_ecall<H: HostHart>(hart: &mut H) {
    hart.set_pc(hart.pc().wrapping_add(4));
}

/// `ecall` from virtual S-mode: performs the SBI call, writes `a0`/`a1`,
/// and steps past the `ecall` (as the native SEE does: `pc += 4`).
pub fn hypercall<H: HostHart>(g: &mut Guest, hart: &mut H, log: &mut Log) {
    // The host takes the call and resumes the guest after it: a trap
    // return, as natively (`Hart::raise`).
    g.storm.returned(g.vcpu.retired);
    let mut x = [0u64; 32];
    for (r, v) in x.iter_mut().enumerate() {
        *v = hart.x(r as u8);
    }
    let call = SbiCall::from_regs(&x);
    let mut env = GuestEnv {
        vcpu: &mut g.vcpu,
        ram: &g.ram,
        shadow: &mut g.shadow,
        devices: &mut g.devices,
        hart,
        ended: None,
    };
    let ret = sbi::handle(call, &mut env);
    let ended = env.ended;
    g.stats.emulated(Emulated::SbiCall);
    if let Some(end) = ended {
        // Nothing comes back from a call that ended the guest.
        log.say(|| format!("ecall (SBI hypercall) {call:?}: the guest ends"));
        g.end = Some(End::Guest(end));
        return;
    }
    if ret == SbiRet::HartStopped {
        // No other hart can ever start this one again.
        log.say(|| format!("ecall (SBI hypercall) {call:?}: the only hart stopped"));
        g.end = Some(End::HartStopped);
        return;
    }
    ret.write_to(&mut x);
    hart.set_x(10, x[10]);
    hart.set_x(11, x[11]);
    step_past_ecall(hart);
    log.say(|| format!("ecall (SBI hypercall) {call:?}: answered {ret:?}"));
    if ret == SbiRet::Suspend {
        // A retentive suspend waits as `wfi` does, then returns 0.
        super::wfi::sleep(g, log);
    }
}
