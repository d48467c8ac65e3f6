//! The hart: one RV64IMA core with S and U modes, and the run loop that the
//! native machine, the monitor and the debugger all drive.
//!
//! M-mode is not emulated as instructions: it is the host. A trap that
//! `medeleg`/`mideleg` do not delegate to S-mode leaves [`Hart::run`] as
//! [`Exit::Trap`], and the host (the native SEE, or the monitor) decides what
//! happens next, exactly as M-mode firmware would.
//!
//! CONTRACT (the public API below is what the machine, the monitor and the
//! debugger are written against; bodies are filled in by the hart issue).

use crate::trap::Trap;

/// Where RAM starts in the physical address space (MACHINE.md).
pub const RAM_BASE: u64 = 0x8000_0000;

/// A privilege level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priv {
    User = 0,
    Supervisor = 1,
    Machine = 3,
}

/// The CSR state the hart keeps. The S-mode CSRs `sstatus`, `sie` and `sip`
/// are views of `mstatus`, `mie` and `mip` (privileged spec 4.1.1, 4.1.3);
/// the host reads and writes the M-level fields directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csrs {
    pub mstatus: u64,
    pub mie: u64,
    pub mip: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mcounteren: u64,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub satp: u64,
    pub scounteren: u64,
}

/// Why [`Hart::run`] returned to its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// A trap that is not delegated to S-mode, so M-mode (the host) takes
    /// it. `pc` is the trapping instruction (the `ecall` itself for an
    /// environment call); no register or CSR has been written.
    Trap(Trap),
    /// The budget of retired instructions given to `run` is used up.
    BudgetExhausted,
    /// A `wfi` retired with no enabled interrupt pending: the hart sleeps.
    /// `pc` is past the `wfi`.
    Wfi,
    /// `pc` reached a breakpoint address; the instruction there has not run.
    Breakpoint,
    /// A device store asked the host to look at its devices (the test
    /// finisher was written). The store has completed.
    Device,
    /// The same exception at the same `pc`, over and over, with no
    /// instruction retiring in between: the guest can make no progress.
    TrapStorm { trap: Trap, pc: u64 },
}

/// Memory-mapped devices: every physical address outside RAM.
///
/// `None` means nothing answers at that address: an access fault.
pub trait Devices {
    /// Loads `size` (1, 2, 4 or 8) bytes from device address `pa`.
    fn load(&mut self, pa: u64, size: u8) -> Option<u64>;
    /// Stores `size` bytes; `Some(true)` asks the run loop to return
    /// [`Exit::Device`] once the instruction has retired.
    fn store(&mut self, pa: u64, size: u8, value: u64) -> Option<bool>;
}

/// No devices at all: every access outside RAM faults (the monitor's view).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDevices;

impl Devices for NoDevices {
    fn load(&mut self, _pa: u64, _size: u8) -> Option<u64> {
        None
    }
    fn store(&mut self, _pa: u64, _size: u8, _value: u64) -> Option<bool> {
        None
    }
}

/// The trace digest of MACHINE.md: a running FNV-1a-style hash over the
/// stream of retired instructions (`pc`, then the instruction bits), so that
/// two runs can be compared by one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digest {
    pub hash: u64,
    pub count: u64,
}

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

impl Digest {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    pub const fn new() -> Digest {
        Digest {
            hash: Self::OFFSET,
            count: 0,
        }
    }

    /// Adds one retired instruction.
    #[inline(always)]
    pub fn update(&mut self, pc: u64, bits: u32) {
        self.hash = (self.hash ^ pc).wrapping_mul(Self::PRIME);
        self.hash = (self.hash ^ bits as u64).wrapping_mul(Self::PRIME);
        self.count += 1;
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.hash)
    }
}
