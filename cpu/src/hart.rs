//! The hart: one RV64IMA core with S and U modes, and the run loop that the
//! native machine, the monitor and the debugger all drive.
//!
//! M-mode is not emulated as instructions: it is the host. A trap that
//! `medeleg`/`mideleg` do not delegate to S-mode leaves [`Hart::run`] as
//! [`Exit::Trap`], and the host (the native SEE, or the monitor) decides what
//! happens next, exactly as M-mode firmware would.
//!
//! CONTRACT: the public API below is what the machine, the monitor and the
//! debugger are written against (ARCHITECTURE.md).
//!
//! How it runs: [`Hart::run`] is an outer loop that looks at interrupts, the
//! timer and the budget, around an inner loop (`exec.rs`) that runs
//! pre-decoded instructions (`dcache.rs`) through a TLB (`mmu.rs`) until an
//! instruction limit, a trap, or an instruction that changes what the outer
//! loop looks at. Interrupts are only looked at when something that decides
//! them changed: never per instruction.

use std::ops::Range;

use crate::csr::{self, MSTATUS_RESET, STIP, S_INTERRUPTS};
use crate::dcache::DCache;
use crate::debug::{DebugEvent, DebugHooks, StormState};
use crate::exec::{Flow, Mode, Stop};
use crate::jit::Jit;
use crate::mmu::{Tlb, PAGE_SIZE};
use crate::ram::{RamError, Zeroed};
use crate::storm::{Storm, StormWatch};
use crate::trap::{Interrupt, Trap};

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
    /// The same exception at the same `pc`, over and over, with the
    /// trapped code making no progress ([`crate::storm`]). The trap has not
    /// been taken.
    TrapStorm(Storm),
    /// A stop a debugger asked for (see [`Hart::set_debug_stops`]).
    Debug(DebugEvent),
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

/// The trace digest of MACHINE.md: a running hash over the stream of
/// retired instructions (`pc` and instruction bits, in order), so that two
/// runs can be compared by one number.
///
/// Each step folds the pair into one word, spreading the 32 instruction bits
/// over all 64 with an odd multiplier (so no simple difference in `pc` can
/// cancel a difference in the bits), then mixes that word into the state with
/// one multiply and a rotation (which brings the well-mixed high half of the
/// product down, so high bits influence low bits on the next step). Only
/// xor, multiply and rotate are on the chain from one step to the next: the
/// digest costs a few cycles per instruction, not a stall.
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
    /// Odd: multiplying by it is a bijection of 64-bit words.
    pub(crate) const PRIME: u64 = 0x9e37_79b9_7f4a_7c15;
    pub(crate) const SPREAD: u64 = 0xff51_afd7_ed55_8ccd;

    pub const fn new() -> Digest {
        Digest {
            hash: Self::OFFSET,
            count: 0,
        }
    }

    /// The hash after one more retired instruction: the one definition of
    /// the digest's step ([`Digest::update`] and the hart's run loop use it).
    #[inline(always)]
    pub const fn step(hash: u64, pc: u64, bits: u32) -> u64 {
        let word = pc ^ (bits as u64).wrapping_mul(Self::SPREAD);
        (hash ^ word).wrapping_mul(Self::PRIME).rotate_left(29)
    }

    /// Adds one retired instruction.
    #[inline(always)]
    pub fn update(&mut self, pc: u64, bits: u32) {
        self.hash = Self::step(self.hash, pc, bits);
        self.count += 1;
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.hash)
    }
}

pub use crate::storm::TRAP_STORM_LIMIT;

/// What the hart counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HartStats {
    /// Retired instructions (= `instret`).
    pub retired: u64,
    /// Exceptions raised, by cause code (whoever took them).
    pub exceptions: [u64; 16],
    /// Interrupts taken, by cause code (whoever took them).
    pub interrupts: [u64; 16],
    /// Traps the hart entered into S-mode itself (delegated).
    pub delegated: u64,
    /// Traps handed to the host as [`Exit::Trap`].
    pub to_host: u64,
}

/// An LR reservation (unprivileged spec 8.2): the virtual address the `lr`
/// named (a later `sc` must name the same one) and the physical address it
/// reached (stores by other agents there end it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub va: u64,
    pub pa: u64,
}

/// One RV64IMA hart with its RAM. See the module documentation.
#[derive(Clone)]
pub struct Hart {
    /// The integer registers; `x[0]` always reads 0.
    pub x: [u64; 32],
    pub pc: u64,
    /// U or S while running guest code.
    pub privilege: Priv,
    pub csr: Csrs,
    /// The host's timer deadline, in `time` units; `u64::MAX` = none.
    pub timecmp: u64,
    /// Updated per retired instruction while [`Hart::set_digest`] is on.
    pub digest: Digest,
    pub(crate) instret: u64,
    pub(crate) slept: u64,
    /// RAM, lazily backed: untouched pages cost the host nothing.
    pub(crate) ram: Zeroed,
    pub(crate) dc: DCache,
    /// The current fetch page: virtual address, first slot, RAM offset.
    pub(crate) fpage: u64,
    pub(crate) fbase: usize,
    /// `fpage - 4 * fbase` (wrapping): the pc of slot `idx` of the fetch
    /// page is `fbias + 4 * idx`, one add in the hot loop.
    pub(crate) fbias: u64,
    pub(crate) fram: usize,
    pub(crate) tlb_x: Tlb,
    pub(crate) tlb_r: Tlb,
    pub(crate) tlb_w: Tlb,
    /// The TLB context of the current privilege/SUM/MXR.
    pub(crate) ctx: u64,
    /// The `satp` the TLB was filled under.
    pub(crate) tlb_satp: u64,
    /// The reservation of the last LR.
    pub(crate) reservation: Option<Reservation>,
    /// Everything goes through the generic executor (tests).
    pub(crate) reference: bool,
    /// Translated code for hot pages (see [`crate::jit`]).
    pub(crate) jit: Jit,
    digest_on: bool,
    trace_on: bool,
    pub(crate) breakpoints: Vec<u64>,
    /// A breakpoint just reported at this pc: resuming there runs it.
    pub(crate) bp_resume: Option<u64>,
    /// Watches, debug stops and the record of dirty RAM pages
    /// ([`crate::debug`]).
    pub(crate) debug: DebugHooks,
    stats: HartStats,
    /// Trap-storm detection over the traps entered into S-mode.
    storm: StormWatch,
    /// An `sret` retired in the last block (a trap return, for `storm`).
    pub(crate) sret_mark: bool,
}

impl std::fmt::Debug for Hart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hart")
            .field("pc", &format_args!("{:#x}", self.pc))
            .field("privilege", &self.privilege)
            .field("x", &self.x)
            .field("csr", &self.csr)
            .field("instret", &self.instret)
            .finish_non_exhaustive()
    }
}

impl Hart {
    /// A hart with `ram_size` bytes of RAM (rounded up to whole pages) at
    /// [`RAM_BASE`], in the state of MACHINE.md "State at entry" (pc 0).
    ///
    /// # Panics
    /// If the host cannot reserve the RAM: hosts that take the size from a
    /// user call [`Hart::with_ram`].
    pub fn new(ram_size: u64) -> Hart {
        match Hart::with_ram(ram_size) {
            Ok(hart) => hart,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Hart::new`], or why the host cannot give it `ram_size` bytes of
    /// RAM. The RAM is reserved, not allocated: pages the guest never
    /// touches cost nothing ([`crate::ram`]).
    pub fn with_ram(ram_size: u64) -> Result<Hart, RamError> {
        let too_big = || RamError {
            bytes: ram_size,
            mib: ram_size.div_ceil(1 << 20),
            reason: "more than this host can address".into(),
        };
        let ram_size = ram_size
            .checked_next_multiple_of(PAGE_SIZE)
            .filter(|&s| usize::try_from(s).is_ok())
            .ok_or_else(too_big)?;
        let pages = (ram_size / PAGE_SIZE) as usize;
        let mut hart = Hart {
            x: [0; 32],
            pc: 0,
            privilege: Priv::Supervisor,
            csr: Csrs {
                mstatus: MSTATUS_RESET,
                ..Csrs::default()
            },
            timecmp: u64::MAX,
            digest: Digest::new(),
            instret: 0,
            slept: 0,
            ram: Zeroed::new(ram_size as usize)?,
            dc: DCache::new(pages)?,
            fpage: u64::MAX,
            fbase: 1,
            fbias: u64::MAX.wrapping_sub(4),
            fram: 0,
            tlb_x: Tlb::new(),
            tlb_r: Tlb::new(),
            tlb_w: Tlb::new(),
            ctx: 0,
            tlb_satp: 0,
            reservation: None,
            reference: false,
            jit: Jit::new(true),
            digest_on: false,
            trace_on: false,
            breakpoints: Vec::new(),
            bp_resume: None,
            debug: DebugHooks::new(pages),
            stats: HartStats::default(),
            storm: StormWatch::default(),
            sret_mark: false,
        };
        hart.ctx = hart.tlb_context();
        Ok(hart)
    }

    /// Retired instructions.
    pub fn instret(&self) -> u64 {
        self.instret
    }

    /// The `time` CSR: (retired instructions + slept ticks) / 10.
    pub fn time(&self) -> u64 {
        self.instret.saturating_add(self.slept) / 10
    }

    /// `wfi`: moves the clock forward to `time` (never back), raising
    /// `mip.STIP` if that reaches the deadline.
    pub fn sleep_until(&mut self, time: u64) {
        let target = time.saturating_mul(10);
        let now = self.instret.saturating_add(self.slept);
        if target > now {
            self.slept += target - now;
        }
        self.update_timer();
    }

    pub fn set_digest(&mut self, on: bool) {
        self.digest_on = on;
    }

    /// A `tracing` TRACE event (target `cpu::insn`) per retired instruction.
    pub fn set_trace_insns(&mut self, on: bool) {
        self.trace_on = on;
    }

    /// `run` stops with [`Exit::Breakpoint`] before running an instruction
    /// at any of `addrs` (virtual addresses). Running again from the
    /// breakpoint runs that instruction. Only the breakpoints' own
    /// instructions leave the fast path (see [`crate::debug`]).
    pub fn set_breakpoints(&mut self, addrs: &[u64]) {
        let mut addrs = addrs.to_vec();
        addrs.sort_unstable();
        addrs.dedup();
        self.note_removed_breakpoints(&addrs);
        self.breakpoints = addrs;
    }

    /// Whether hot pages are translated to host code (on by default where
    /// the host is x86-64 Unix). Off, the interpreter's fast loop runs
    /// everything: the same run, to the instruction, only slower.
    pub fn set_translation(&mut self, on: bool) {
        self.jit.set_on(on);
    }

    /// Whether translation is on (and available on this host).
    pub fn translation(&self) -> bool {
        self.jit.on()
    }

    /// Translates a page of code the `entries`-th time the run loop comes
    /// to it (normally 4; 1 translates at once, as the tests do).
    #[doc(hidden)]
    pub fn set_translation_warmup(&mut self, entries: u32) {
        self.jit.set_warm(entries);
    }

    /// Pages translated so far, and times the translated code was all
    /// dropped because its buffer was full.
    pub fn translation_stats(&self) -> (u64, u64) {
        (self.jit.translated, self.jit.resets)
    }

    /// Runs every instruction through the generic executor instead of the
    /// pre-decoded fast path: slower, and the reference the fast path is
    /// tested against.
    #[doc(hidden)]
    pub fn set_reference_mode(&mut self, on: bool) {
        self.reference = on;
        self.dc.flush();
    }

    /// The physical addresses of RAM.
    pub fn ram_range(&self) -> Range<u64> {
        RAM_BASE..RAM_BASE + self.ram.len() as u64
    }

    /// Reads RAM at physical address `pa`; false (and `buf` untouched) if
    /// any byte is outside RAM.
    pub fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        match self.ram_offset(pa, buf.len() as u64) {
            Some(off) => {
                buf.copy_from_slice(&self.ram[off..off + buf.len()]);
                true
            }
            None => false,
        }
    }

    /// Writes RAM at physical address `pa` as the host; false (and nothing
    /// written) if any byte is outside RAM. Decoded code there is dropped,
    /// and the LR reservation ends if the write overlaps the reserved
    /// doubleword (a store by another agent; writes elsewhere, such as a
    /// monitor filling its own page tables, leave it alone).
    pub fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        match self.ram_offset(pa, data.len() as u64) {
            Some(off) => {
                if data.len() > 64 * 1024 {
                    self.dc.flush();
                }
                self.ram_write(off, data);
                if let Some(r) = self.reservation {
                    let start = r.pa & !7;
                    if pa < start.saturating_add(8) && start < pa.saturating_add(data.len() as u64)
                    {
                        self.reservation = None;
                    }
                }
                true
            }
            None => false,
        }
    }

    /// The LR reservation, if one is held (for a host that multiplexes
    /// several guests over this hart and saves it per guest).
    pub fn reservation(&self) -> Option<Reservation> {
        self.reservation
    }

    /// Replaces the LR reservation: a host restores a guest's own, or
    /// ends it (`None`) where that guest's hardware would, e.g. at a trap
    /// entry or `sret` the host emulates. A non-delegated trap leaves the
    /// reservation to the host.
    pub fn set_reservation(&mut self, r: Option<Reservation>) {
        self.reservation = r;
    }

    /// What the hart counted so far.
    pub fn stats(&self) -> &HartStats {
        &self.stats
    }

    pub(crate) fn set_stats(&mut self, stats: HartStats) {
        self.stats = stats;
    }

    /// The trap-storm detector's memory, for a snapshot.
    pub(crate) fn storm_state(&self) -> StormState {
        StormState {
            watch: self.storm.clone(),
            sret_mark: self.sret_mark,
        }
    }

    pub(crate) fn set_storm_state(&mut self, s: StormState) {
        self.storm = s.watch;
        self.sret_mark = s.sret_mark;
    }

    /// Trap entry into S-mode as the hardware does it (privileged spec
    /// 4.1.1, 4.1.2): `scause`, `sepc` (= `pc`), `stval`; SPP = the old
    /// privilege, SPIE = SIE, SIE = 0; privilege S; `pc` = the `stvec`
    /// target (vectored mode adds 4 × cause for interrupts only).
    pub fn take_trap(&mut self, trap: Trap) {
        let from = self.privilege;
        let c = &mut self.csr;
        c.scause = trap.cause_bits();
        c.sepc = self.pc;
        c.stval = trap.tval();
        let mut s = c.mstatus & !(csr::SSTATUS_SPP | csr::SSTATUS_SPIE | csr::SSTATUS_SIE);
        if from != Priv::User {
            s |= csr::SSTATUS_SPP;
        }
        if c.mstatus & csr::SSTATUS_SIE != 0 {
            s |= csr::SSTATUS_SPIE;
        }
        c.mstatus = s;
        let epc = c.sepc;
        self.pc = tvec_target(c.stvec, trap);
        self.privilege = Priv::Supervisor;
        self.reservation = None;
        self.ctx = self.tlb_context();
        tracing::debug!(
            target: "cpu::trap",
            "trap: {} at pc {epc:#x}, tval {:#x}: {from:?} -> Supervisor, to {:#x}",
            trap.name(),
            trap.tval(),
            self.pc
        );
    }

    /// An instruction the host trapped and emulated retires, as it would
    /// have natively: `instret` (and the clock) advance and the digest and
    /// trace see (`pc`, `bits`). Call it before moving `pc` past it.
    pub fn retire_emulated(&mut self, bits: u32) {
        if self.digest_on || self.trace_on {
            self.retired_instrumented(self.pc, bits);
        }
        self.instret += 1;
        // An emulated `sret` ends a trap handler, as a real one does.
        if bits == 0x1020_0073 {
            self.storm.returned(self.instret);
        }
        self.stats.retired = self.instret;
        self.update_timer();
    }

    /// Runs until something needs the host (see [`Exit`]), retiring at most
    /// `budget` instructions.
    pub fn run<D: Devices>(&mut self, dev: &mut D, budget: u64) -> Exit {
        if self.bp_resume != Some(self.pc) {
            self.bp_resume = None;
        }
        self.run_counted(dev, budget, false)
    }

    /// [`Hart::run`], with `budget` counting every event (retired
    /// instruction or trap raised, see [`crate::debug`]) when `events`.
    pub(crate) fn run_counted<D: Devices>(
        &mut self,
        dev: &mut D,
        budget: u64,
        events: bool,
    ) -> Exit {
        let exit = if self.trace_on {
            self.run_loop::<D, { Mode::FULL }>(dev, budget, events)
        } else if self.digest_on {
            self.run_loop::<D, { Mode::DIGEST }>(dev, budget, events)
        } else {
            self.run_loop::<D, { Mode::PLAIN }>(dev, budget, events)
        };
        self.stats.retired = self.instret;
        exit
    }

    fn run_loop<D: Devices, const MODE: u8>(
        &mut self,
        dev: &mut D,
        budget: u64,
        events: bool,
    ) -> Exit {
        // With `events`, each trap raised takes one from the instructions
        // still allowed, so that `end - instret` is always the events left.
        let mut end = self.instret.saturating_add(budget);
        loop {
            // Whatever the last instruction or the host changed.
            self.ctx = self.tlb_context();
            if self.csr.satp != self.tlb_satp {
                self.flush_tlb();
            }
            let stip = self.csr.mip & STIP;
            self.update_timer();
            if self.debug.stops.privileged && self.csr.mip & STIP != stip {
                return Exit::Debug(DebugEvent::Privileged);
            }
            if events && self.instret >= end {
                // Counted exactly: stop before an interrupt too.
                return Exit::BudgetExhausted;
            }
            if let Some(i) = self.pending_interrupt() {
                if events {
                    end -= 1;
                }
                if let Some(exit) = self.raise(Trap::Interrupt(i)) {
                    return exit;
                }
                if self.debug.stops.traps {
                    return Exit::Debug(DebugEvent::Trapped(Trap::Interrupt(i)));
                }
                continue;
            }
            if self.instret >= end {
                return Exit::BudgetExhausted;
            }
            let limit = end.min(self.timer_deadline());
            let stop = self.run_block::<D, MODE>(dev, limit);
            // An `sret` ends a trap handler (for trap-storm detection).
            if self.sret_mark {
                self.sret_mark = false;
                self.storm.returned(self.instret);
            }
            match stop {
                Stop::Flow(Flow::Recheck) if self.debug.stops.privileged => {
                    return Exit::Debug(DebugEvent::Privileged);
                }
                Stop::Limit | Stop::Flow(Flow::Next) | Stop::Flow(Flow::Recheck) => {}
                Stop::Flow(Flow::Exit(exit)) => return exit,
                Stop::Trap(trap) => {
                    if events {
                        end = end.saturating_sub(1);
                    }
                    if let Some(exit) = self.raise(trap) {
                        return exit;
                    }
                    if self.debug.stops.traps {
                        return Exit::Debug(DebugEvent::Trapped(trap));
                    }
                }
                Stop::Breakpoint => {
                    self.bp_resume = Some(self.pc);
                    return Exit::Breakpoint;
                }
            }
        }
    }

    /// A trap happened at `pc`: count it, and either enter it (delegated,
    /// unless it makes a trap storm) or hand it to the host.
    fn raise(&mut self, trap: Trap) -> Option<Exit> {
        match trap {
            Trap::Exception { cause, .. } => {
                self.stats.exceptions[cause.code() as usize & 15] += 1;
            }
            Trap::Interrupt(i) => self.stats.interrupts[i.code() as usize & 15] += 1,
        }
        if self.delegated(trap) {
            if let Some(storm) = self.storm.trap(trap, self.pc, self.instret) {
                tracing::debug!(target: "cpu::trap", "{storm}");
                return Some(Exit::TrapStorm(storm));
            }
            self.stats.delegated += 1;
            self.take_trap(trap);
            None
        } else {
            // The host takes it; when it resumes the hart it has handled
            // it, as M-mode firmware returning with `mret` would have.
            self.storm.returned(self.instret);
            self.stats.to_host += 1;
            tracing::debug!(
                target: "cpu::trap",
                "trap: {} at pc {:#x}, tval {:#x}: {:?} -> host",
                trap.name(),
                self.pc,
                trap.tval(),
                self.privilege
            );
            Some(Exit::Trap(trap))
        }
    }

    /// Privileged spec 3.1.8: a trap goes to S-mode when its bit is set in
    /// `medeleg`/`mideleg` (traps never go from M to S, and guest code never
    /// runs in M).
    fn delegated(&self, trap: Trap) -> bool {
        if self.privilege == Priv::Machine {
            return false;
        }
        let (deleg, code) = match trap {
            Trap::Exception { cause, .. } => (self.csr.medeleg, cause.code()),
            Trap::Interrupt(i) => (self.csr.mideleg, i.code()),
        };
        deleg >> code & 1 != 0
    }

    /// The interrupt to take now, if any (privileged spec 3.1.9): pending
    /// and enabled in `mie`; one not delegated goes to M (the host), which
    /// is always enabled below M; a delegated one is enabled in U-mode, and
    /// in S-mode when `sstatus.SIE` = 1. Host interrupts come first, then
    /// SEI > SSI > STI.
    fn pending_interrupt(&self) -> Option<Interrupt> {
        let pending = self.csr.mip & self.csr.mie & S_INTERRUPTS;
        if pending == 0 {
            return None;
        }
        let to_host = pending & !self.csr.mideleg;
        let s_enabled = match self.privilege {
            Priv::User => true,
            Priv::Supervisor => self.csr.mstatus & csr::SSTATUS_SIE != 0,
            Priv::Machine => false,
        };
        let to_s = if s_enabled {
            pending & self.csr.mideleg
        } else {
            0
        };
        let to_host = if self.privilege == Priv::Machine {
            0
        } else {
            to_host
        };
        [to_host, to_s].into_iter().find_map(|set| {
            [
                Interrupt::SupervisorExternal,
                Interrupt::SupervisorSoftware,
                Interrupt::SupervisorTimer,
            ]
            .into_iter()
            .find(|i| set & i.bit() != 0)
        })
    }

    /// Raises `mip.STIP` once `time >= timecmp`.
    fn update_timer(&mut self) {
        if self.timecmp != u64::MAX && self.time() >= self.timecmp {
            self.csr.mip |= STIP;
        }
    }

    /// The `instret` at which `time` reaches `timecmp` (so the inner loop
    /// stops exactly there), or `u64::MAX`.
    fn timer_deadline(&self) -> u64 {
        if self.timecmp == u64::MAX || self.csr.mip & STIP != 0 {
            return u64::MAX;
        }
        let at = self.timecmp.saturating_mul(10).saturating_sub(self.slept);
        if at > self.instret {
            at
        } else {
            u64::MAX
        }
    }

    /// In the instrumented loop: is `pc` a breakpoint to stop at?
    pub(crate) fn breakpoint_at(&mut self, pc: u64) -> bool {
        if self.breakpoints.binary_search(&pc).is_err() {
            return false;
        }
        self.bp_resume.take() != Some(pc)
    }

    /// Digest and trace for one retired instruction.
    pub(crate) fn retired_instrumented(&mut self, pc: u64, bits: u32) {
        if self.digest_on {
            self.digest.update(pc, bits);
        }
        if self.trace_on {
            tracing::trace!(
                target: "cpu::insn",
                "{pc:#010x}: {bits:08x}  {}",
                crate::disasm::disasm(bits, pc)
            );
        }
        self.bp_resume = None;
    }

    /// RAM access by offset (callers have checked the range).
    pub(crate) fn ram_read_u64(&self, off: usize) -> u64 {
        self.ram_read_sized(off, 8)
    }

    pub(crate) fn ram_read_u32(&self, off: usize) -> u32 {
        self.ram_read_sized(off, 4) as u32
    }

    pub(crate) fn ram_read_sized(&self, off: usize, size: u64) -> u64 {
        let mut b = [0u8; 8];
        if let Some(src) = self.ram.get(off..off.saturating_add(size as usize)) {
            b[..src.len()].copy_from_slice(src);
        }
        u64::from_le_bytes(b)
    }

    /// Writes RAM at offset `off`, keeping the decode cache coherent.
    pub(crate) fn ram_write(&mut self, off: usize, data: &[u8]) {
        if let Some(dst) = self.ram.get_mut(off..off.saturating_add(data.len())) {
            dst.copy_from_slice(data);
            self.dc.store_range(off, data.len());
            self.debug.mark_dirty(off, data.len());
        }
    }
}

/// Where a trap into S-mode lands (privileged spec 4.1.2): `stvec.BASE`,
/// plus 4 × cause for an interrupt in vectored mode.
fn tvec_target(stvec: u64, trap: Trap) -> u64 {
    let base = stvec & !3;
    match trap {
        Trap::Interrupt(i) if stvec & 3 == 1 => base.wrapping_add(4 * i.code()),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_writes_end_the_reservation_only_where_they_overlap_it() {
        let mut h = Hart::new(1 << 20);
        let r = Reservation {
            va: 0x8000_1000,
            pa: RAM_BASE + 0x1000,
        };
        h.set_reservation(Some(r));
        assert!(h.write_phys(RAM_BASE + 0x2000, &[1; 64]));
        assert!(h.write_phys(RAM_BASE + 0xff8, &[1; 8]));
        assert_eq!(h.reservation(), Some(r), "writes elsewhere leave it");
        assert!(h.write_phys(RAM_BASE + 0x1004, &[1]));
        assert_eq!(h.reservation(), None, "a write into it ends it");
    }

    /// The digest tells apart what an equivalence check must.
    #[test]
    fn the_digest_sees_order_pc_bits_and_length() {
        let digest = |stream: &[(u64, u32)]| {
            let mut d = Digest::new();
            for &(pc, b) in stream {
                d.update(pc, b);
            }
            d
        };
        let a = [(0x8000_0000, 0x13), (0x8000_0004, 0x93)];
        let swapped = [(0x8000_0004, 0x93), (0x8000_0000, 0x13)];
        let other_pc = [(0x8000_0000, 0x13), (0x8000_0008, 0x93)];
        let other_bits = [(0x8000_0000, 0x13), (0x8000_0004, 0x113)];
        assert_eq!(digest(&a).count, 2);
        assert_ne!(digest(&a), digest(&swapped), "order counts");
        assert_ne!(digest(&a), digest(&other_pc), "pc counts");
        assert_ne!(digest(&a), digest(&other_bits), "bits count");
        assert_ne!(digest(&a).hash, digest(&a[..1]).hash, "length counts");
    }
}
