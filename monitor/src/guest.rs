//! A guest: its virtual hart, its slice of memory, its shadow tables, its
//! devices, and what the monitor counted about it.

use crate::memory::GuestRam;
use crate::shadow::ShadowMmu;
use crate::stats::GuestStats;
use crate::vcpu::Vcpu;
use crate::vdev::VirtualDevices;
use crate::End;

/// How many times in a row the same exception may hit the same `pc`
/// without progress before the guest is stopped: the native hart's limit,
/// so a storming guest stops at the same instruction either way.
pub const STORM_LIMIT: u32 = 1000;

/// The native hart's trap-storm rule, applied to the exceptions the guest
/// takes (reflected ones and SBI calls; an emulated instruction is no trap
/// natively): the same cause at the same `pc` again, with nothing retired
/// since the last such exception or `sret`, counts towards a storm.
#[derive(Clone, Debug, Default)]
pub struct StormGuard {
    last: Option<(u64, u64)>,
    count: u32,
    progress_mark: u64,
}

impl StormGuard {
    /// Records an exception the guest takes; `true` if it is a storm (the
    /// guest must be stopped before taking it).
    pub fn exception(&mut self, cause: u64, pc: u64, retired: u64) -> bool {
        if self.last == Some((cause, pc)) && retired == self.progress_mark {
            self.count += 1;
        } else {
            self.count = 1;
            self.last = Some((cause, pc));
        }
        self.progress_mark = retired;
        self.count >= STORM_LIMIT
    }

    /// An `sret` retired: the handler returned, that is progress.
    pub fn sret(&mut self, retired: u64) {
        self.progress_mark = retired;
    }
}

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
    pub storm: StormGuard,
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
