//! Hypercalls: an `ecall` from virtual S-mode is the guest calling its SBI
//! (the book's "The machine", SBI). The calls are decoded and carried out
//! by the same code as the native firmware's ([`cpu::sbi`]), over an
//! [`SbiEnv`] that is this one guest: its console, its virtual timer, its
//! RAM.

use cpu::devices::Ended;
use cpu::port::HartPort;
use cpu::privileged::Core;
use cpu::sbi::{self, SbiCall, SbiEnv};

use super::{Action, Handled};
use crate::guest::Guest;
use crate::memory::{GuestPhys, GuestRam};
use crate::stats::Emulated;
use crate::vdev::VirtualDevices;
use crate::End;

/// One guest, as its SBI sees it.
struct GuestEnv<'a, H> {
    core: &'a mut Core,
    ram: &'a GuestRam,
    devices: &'a mut VirtualDevices,
    hart: &'a mut H,
    ended: Option<Ended>,
}

impl<H: HartPort> SbiEnv for GuestEnv<'_, H> {
    fn console_write(&mut self, bytes: &[u8]) {
        self.devices.console().write(bytes);
    }
    fn console_read(&mut self) -> Option<u8> {
        self.devices.console().read()
    }
    fn set_timer(&mut self, stime: u64) {
        self.core.set_timer(stime);
    }
    fn end(&mut self, end: Ended) {
        self.ended = Some(end);
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
        core: &mut g.vcpu.arch.core,
        ram: &g.ram,
        devices: &mut g.devices,
        hart,
        ended: None,
    };
    let ret = sbi::handle(call, &mut env);
    let ended = env.ended;
    g.stats.emulated(Emulated::SbiCall);
    if let Some(end) = ended {
        // Nothing comes back from a call that ended the guest.
        tracing::debug!(target: "monitor", "pc {pc:#x}: SBI {call}: the guest ends");
        return Handled::new("hypercall", Action::End(End::Guest(end)));
    }
    let arch = hart.arch_mut();
    ret.write_to(&mut arch.x);
    arch.x[0] = 0;
    arch.pc = pc.wrapping_add(4);
    tracing::debug!(target: "monitor", "pc {pc:#x}: SBI {call}: {ret}");
    Handled::new("hypercall", Action::Emulated(Emulated::SbiCall))
}
