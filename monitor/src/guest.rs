//! A guest: its virtual hart, its slice of memory, its shadow tables, its
//! devices, and what the monitor counted about it.

use cpu::trap::Trap;

use crate::memory::GuestRam;
use crate::shadow::ShadowMmu;
use crate::stats::GuestStats;
use crate::vcpu::Vcpu;
use crate::vdev::VirtualDevices;
use crate::End;

/// How many identical traps in a row, with nothing retiring, make a storm.
pub const STORM_LIMIT: u32 = 64;

/// Notices a guest (or a monitor bug) making no progress: the same trap at
/// the same `pc` again and again with no instruction retiring in between.
#[derive(Clone, Debug, Default)]
pub struct StormGuard {
    last: Option<(Trap, u64, u64)>,
    count: u32,
}

impl StormGuard {
    /// Records one trap; `true` once it has repeated [`STORM_LIMIT`] times.
    pub fn note(&mut self, trap: Trap, pc: u64, retired: u64) -> bool {
        let key = (trap, pc, retired);
        if self.last == Some(key) {
            self.count += 1;
        } else {
            self.last = Some(key);
            self.count = 1;
        }
        self.count >= STORM_LIMIT
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
}
