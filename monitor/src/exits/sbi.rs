//! Hypercalls: an `ecall` from virtual S-mode is the guest calling its SBI
//! (the book's "The machine", SBI). The calls are decoded and carried out
//! by the same code as the native firmware's ([`cpu::sbi`]), over an
//! [`SbiEnv`] that is this one guest: its console, its virtual timer, its
//! RAM.

use cpu::csr::SSIP;
use cpu::devices::Ended;
use cpu::port::HartPort;
use cpu::sbi::{self, Fence, SbiCall, SbiEnv, SbiRet};

use super::{Action, Handled};
use crate::guest::Guest;
use crate::memory::{GuestPhys, GuestRam};
use crate::shadow::ShadowMmu;
use crate::stats::Emulated;
use crate::vcpu::Vcpu;
use crate::vdev::VirtualDevices;
use crate::End;

/// One guest, as its SBI sees it.
struct GuestEnv<'a, H> {
    vcpu: &'a mut Vcpu,
    ram: &'a GuestRam,
    shadow: &'a mut ShadowMmu,
    devices: &'a mut VirtualDevices,
    hart: &'a mut H,
    ended: Option<Ended>,
    /// A remote `sfence.vma` dropped the shadow tables.
    flushed: bool,
}

impl<H: HartPort> SbiEnv for GuestEnv<'_, H> {
    fn console_write(&mut self, bytes: &[u8]) {
        self.devices.console().write(bytes);
    }
    fn console_read(&mut self) -> Option<u8> {
        self.devices.console().read()
    }
    fn set_timer(&mut self, stime: u64) {
        self.vcpu.arch.core.set_timer(stime);
    }
    fn end(&mut self, end: Ended) {
        self.ended = Some(end);
    }
    fn raise_software_interrupt(&mut self) {
        self.vcpu.arch.core.csr.mip |= SSIP;
    }
    fn fence(&mut self, fence: Fence) {
        match fence {
            // The guest's translations are the shadow tables: they go, as
            // for an emulated `sfence.vma`.
            Fence::SfenceVma => {
                self.shadow.flush(self.hart, self.vcpu);
                self.flushed = true;
            }
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
            Some(m) => self.hart.read_phys(m, buf),
            None => false,
        }
    }
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        match self.ram.translate(GuestPhys(pa), data.len() as u64) {
            Some(m) => self.hart.write_phys(m, data),
            None => false,
        }
    }
}

/// `ecall` from virtual S-mode: performs the SBI call, writes `a0`/`a1`,
/// and steps past the `ecall`, as the native firmware does (`pc += 4`).
/// The `ecall` raised an exception, so it does not retire (privileged spec
/// 3.3.1): it enters neither `instret` nor the digest, natively or here.
pub fn hypercall<H: HartPort>(g: &mut Guest, hart: &mut H) -> Handled {
    // The host takes the call and resumes the guest after it: a trap
    // return, as natively (`Hart::raise`).
    g.storm.returned(g.vcpu.retired());
    let pc = hart.arch().pc;
    let call = SbiCall::from_regs(&hart.arch().x);
    let mut env = GuestEnv {
        vcpu: &mut g.vcpu,
        ram: &g.ram,
        shadow: &mut g.shadow,
        devices: &mut g.devices,
        hart,
        ended: None,
        flushed: false,
    };
    let ret = sbi::handle(call, &mut env);
    let (ended, flushed) = (env.ended, env.flushed);
    g.stats.emulated(Emulated::SbiCall);
    if let Some(end) = ended {
        // Nothing comes back from a call that ended the guest.
        tracing::debug!(target: "monitor", "pc {pc:#x}: SBI {call}: the guest ends");
        return Handled::new("hypercall", Action::End(End::Guest(end)));
    }
    if ret == SbiRet::HartStopped {
        // No other hart can ever start this one again.
        tracing::debug!(target: "monitor", "pc {pc:#x}: SBI {call}: the only hart stopped");
        return Handled::new("hypercall", Action::End(End::HartStopped));
    }
    let arch = hart.arch_mut();
    ret.write_to(&mut arch.x);
    arch.x[0] = 0;
    arch.pc = pc.wrapping_add(4);
    tracing::debug!(target: "monitor", "pc {pc:#x}: SBI {call}: {ret}");
    if ret == SbiRet::Suspend {
        // A retentive suspend waits as `wfi` does, then returns 0.
        let slept = super::wfi::sleep_at(g, pc);
        if let Action::End(_) = slept.action {
            return slept;
        }
    }
    Handled::new("hypercall", Action::Emulated(Emulated::SbiCall)).flushed(flushed)
}
