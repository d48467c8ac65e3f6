//! A guest: its virtual hart, its slice of memory, its shadow tables, its
//! devices, and what the monitor counted about it.

use cpu::storm::StormWatch;

use crate::memory::GuestRam;
use crate::shadow::ShadowMmu;
use crate::stats::GuestStats;
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
