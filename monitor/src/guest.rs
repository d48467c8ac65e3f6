//! A guest: its virtual hart, its slice of memory, its shadow tables, its
//! devices, and what the monitor counted about it.

use cpu::storm::StormWatch;

use crate::memory::GuestRam;
use crate::shadow::ShadowMmu;
use crate::stats::GuestStats;
use crate::strategy::GuestStrategy;
use crate::vcpu::Vcpu;
use crate::vdev::VirtualDevices;
use crate::End;

/// The monitor's own guard: a shadow fill at the same `pc` and address,
/// again and again with nothing retiring, would be a monitor bug looping
/// forever; the guest is stopped instead.
#[derive(Clone, Debug, Default)]
pub struct FillGuard {
    last: Option<(u64, u64, u64)>,
    count: u32,
}

impl FillGuard {
    pub const LIMIT: u32 = 16;

    pub fn fill(&mut self, pc: u64, va: u64, retired: u64) -> bool {
        let key = (pc, va, retired);
        if self.last == Some(key) {
            self.count += 1;
        } else {
            self.last = Some(key);
            self.count = 1;
        }
        self.count >= Self::LIMIT
    }
}

/// One guest under the monitor.
#[derive(Debug)]
pub struct Guest {
    pub name: String,
    /// The `guest` span its events are logged in (`--trace` prefixes them
    /// with its name).
    pub span: tracing::Span,
    pub vcpu: Vcpu,
    pub ram: GuestRam,
    pub shadow: ShadowMmu,
    pub devices: VirtualDevices,
    pub stats: GuestStats,
    /// Set once the guest has ended; it is never scheduled again.
    pub end: Option<End>,
    /// Stop the guest after this many retired instructions.
    pub max_instructions: u64,
    /// The native hart's trap-storm rule, over the traps this guest takes
    /// (reflected exceptions, injected interrupts) and its trap returns
    /// (emulated `sret`s, answered SBI calls), with its own retired count:
    /// a storming guest stops at the same instruction as natively.
    pub storm: StormWatch,
    pub fills: FillGuard,
    /// The virtualization strategy and its state for this guest.
    pub strategy: GuestStrategy,
    /// While an exit is answered: the retired count the run loop's step
    /// ends at (the quantum's end, or a debugger's step limit). An exit
    /// that performs more than the instruction that exited (binary
    /// translation's calls, [`crate::strategy::bt`]) performs none at or
    /// past it, so that a step of `n` instructions never runs more and
    /// where the quantum ends does not depend on how the exits were
    /// answered. `u64::MAX` outside the run loop.
    pub step_end: u64,
}

/// An ELF image as loaded by `cpu::image` (what `trapvisor run` loads),
/// ready to hand to [`crate::Monitor::add_guest`].
impl From<&cpu::image::Image> for crate::GuestImage {
    fn from(image: &cpu::image::Image) -> crate::GuestImage {
        crate::GuestImage {
            entry: image.entry,
            segments: image
                .segments
                .iter()
                .map(|s| (s.addr, s.data.clone(), s.mem_size))
                .collect(),
        }
    }
}

/// Everything about a guest a snapshot keeps besides its memory (which is
/// the hart's): its virtual hart, shadow bookkeeping, devices' state,
/// counters and guards ([`crate::Session::snapshot`]).
#[derive(Clone, Debug)]
pub struct GuestState {
    pub vcpu: crate::vcpu::Vcpu,
    pub shadow: ShadowMmu,
    pub devices: cpu::devices::DeviceState,
    pub stats: GuestStats,
    pub end: Option<End>,
    pub storm: StormWatch,
    pub fills: FillGuard,
    pub strategy: GuestStrategy,
}

impl Guest {
    /// What a snapshot keeps of this guest.
    pub fn state(&self) -> GuestState {
        GuestState {
            vcpu: self.vcpu.clone(),
            shadow: self.shadow.clone(),
            devices: self.devices.bus.state(),
            stats: self.stats.clone(),
            end: self.end,
            storm: self.storm.clone(),
            fills: self.fills.clone(),
            strategy: self.strategy.clone(),
        }
    }

    /// Puts back what [`Guest::state`] took.
    pub fn set_state(&mut self, s: &GuestState) {
        self.vcpu = s.vcpu.clone();
        self.shadow = s.shadow.clone();
        self.devices.bus.set_state(&s.devices);
        self.stats = s.stats.clone();
        self.end = s.end;
        self.storm = s.storm.clone();
        self.fills = s.fills.clone();
        self.strategy = s.strategy.clone();
    }
}
