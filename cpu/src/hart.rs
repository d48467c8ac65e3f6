//! The hart: one RV64IMA core with S and U modes. Start reading here.
//!
//! A hart is three things:
//! - its **architectural state** ([`ArchState`]: registers, `pc`, the LR
//!   reservation, and the privileged core: privilege level, CSRs, clock);
//! - its **memory** ([`Mmu`]: RAM, the Sv39 translation in front of it, and
//!   the devices beyond it);
//! - an **execution engine** that runs instructions fast (decode cache, fast
//!   loop, translator to host code: `engine.rs`, `jit/`).
//!
//! What the hart does is [`Hart::step`]: take a pending interrupt, or fetch,
//! decode and execute one instruction, and retire it or raise its trap. It
//! is written the way the specifications describe it, one step at a time,
//! through the reference executor ([`crate::exec::execute`]). [`Hart::run`]
//! does the same thing many instructions at a time, through the engine: the
//! same instructions, the same traps, at the same `pc` and `instret`, only
//! faster. The tests hold the two together (`set_reference_mode` makes
//! `run` take one `step` at a time).
//!
//! M-mode is not emulated as instructions: it is the host. A trap that
//! `medeleg`/`mideleg` do not delegate to S-mode leaves [`Hart::run`] as
//! [`Exit::Trap`], and the host (the native firmware, or the monitor)
//! decides what happens next, exactly as M-mode firmware would.
//!
//! CONTRACT: the public API below is what the machine, the monitor and the
//! debugger are written against (ARCHITECTURE.md).

use std::ops::Range;

use crate::csr::STIP;
use crate::debug::{DebugEvent, DebugStops};
use crate::engine::{Engine, Mode, Stop};
use crate::exec::{self, Flow};
use crate::isa::Fence;
use crate::mmu::Mmu;
use crate::ram::RamError;
use crate::storm::{Storm, StormWatch};
use crate::trap::Trap;

pub use crate::arch::{ArchState, Reservation};
pub use crate::csr::Csrs;
pub use crate::devices::{Devices, NoDevices};
pub use crate::digest::Digest;
pub use crate::privileged::{Core, Priv};
pub use crate::ram::RAM_BASE;
pub use crate::storm::TRAP_STORM_LIMIT;

/// Why [`Hart::run`] (or [`Hart::step`]) returned to its caller.
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

/// One RV64IMA hart with its RAM. See the module documentation.
#[derive(Clone)]
pub struct Hart {
    /// Registers, `pc`, reservation, privilege, CSRs, clock.
    pub arch: ArchState,
    /// Updated per retired instruction while [`Hart::set_digest`] is on.
    pub digest: Digest,
    pub(crate) mmu: Mmu,
    pub(crate) engine: Engine,
    /// `run` takes one [`Hart::step`] at a time (tests).
    reference: bool,
    stats: HartStats,
    /// Trap-storm detection over the traps entered into S-mode.
    storm: StormWatch,
    /// The debugger's stops after traps and privileged changes
    /// ([`Hart::set_debug_stops`]; its watches are the MMU's).
    stop_traps: bool,
    stop_privileged: bool,
}

/// Everything architectural about a hart but its RAM: what a debugger's
/// snapshot keeps (RAM goes page by page, see [`Hart::take_dirty_pages`]).
/// Caches (decoded and translated code, TLBs) are not state: they follow
/// RAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HartState {
    pub arch: ArchState,
    pub digest: Digest,
    pub stats: HartStats,
    pub(crate) storm: StormWatch,
}

impl std::fmt::Debug for Hart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hart")
            .field("pc", &format_args!("{:#x}", self.arch.pc))
            .field("privilege", &self.arch.core.privilege)
            .field("x", &self.arch.x)
            .field("csr", &self.arch.core.csr)
            .field("instret", &self.arch.core.instret)
            .finish_non_exhaustive()
    }
}

impl Hart {
    /// A hart with `ram_size` bytes of RAM (rounded up to whole pages) at
    /// [`RAM_BASE`], in the state of book/src/machine.md "State at entry" (pc 0)
    /// before the firmware's set-up: S-mode, nothing delegated.
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
        let arch = ArchState::new(Core::reset());
        Ok(Hart {
            mmu: Mmu::new(ram_size, &arch.core)?,
            arch,
            digest: Digest::new(),
            engine: Engine::new(),
            reference: false,
            stats: HartStats::default(),
            storm: StormWatch::default(),
            stop_traps: false,
            stop_privileged: false,
        })
    }

    // --- one step, as the specifications describe it ------------------------

    /// One step of the hart: it takes a pending interrupt, or it runs one
    /// instruction. `Some(exit)` when the host must act (a trap it takes, a
    /// `wfi` with nothing to wake for, a device asking to be looked at).
    ///
    /// This is the hart's definition; [`Hart::run`] runs the same steps
    /// through the engine's decode cache, fast loop and translated code.
    pub fn step<D: Devices>(&mut self, dev: &mut D) -> Option<Exit> {
        if let Some(exit) = self.catch_up() {
            return Some(exit);
        }
        // Privileged spec 3.1.9: an interrupt that is pending and enabled
        // is taken before the next instruction.
        if let Some(i) = self.arch.core.pending_interrupt() {
            return self.raise(Trap::Interrupt(i));
        }
        match self.instruction(dev) {
            Stop::Limit => None,
            Stop::Flow(flow) => self.after(flow),
            Stop::Trap(trap) => self.raise(trap),
            Stop::Breakpoint => Some(Exit::Breakpoint),
        }
    }

    /// Fetches, decodes and executes the instruction at `pc`, then retires
    /// it ([`Stop::Limit`]: nothing more to do, or [`Stop::Flow`]), or says
    /// which trap it raises.
    fn instruction<D: Devices>(&mut self, dev: &mut D) -> Stop {
        let pc = self.arch.pc;
        // Fetch: translate `pc` (Sv39 or bare) and read the word from RAM.
        let fetched = self.mmu.fetch(&self.arch.core, pc);
        // Decode and execute (exec.rs): on a trap nothing has changed.
        let done = fetched.and_then(|bits| {
            exec::execute(&mut self.arch, &mut self.mmu, dev, bits).map(|flow| (bits, flow))
        });
        match done {
            // Retire: count it, add it to the digest and the trace.
            Ok((bits, flow)) => {
                self.arch.core.instret += 1;
                self.engine.retired(&mut self.digest, pc, bits);
                match flow {
                    Flow::Next => Stop::Limit,
                    flow => Stop::Flow(flow),
                }
            }
            Err(trap) => Stop::Trap(trap),
        }
    }

    /// Catches up with what the last instruction or the host changed: the
    /// MMU's view of privilege, `SUM`, `MXR` and `satp`, and the timer (a
    /// debugger that stops at privileged changes stops when it fires).
    #[inline(always)]
    fn catch_up(&mut self) -> Option<Exit> {
        self.mmu.sync(&self.arch.core);
        let stip = self.arch.core.csr.mip & STIP;
        self.arch.core.update_timer();
        (self.stop_privileged && self.arch.core.csr.mip & STIP != stip)
            .then_some(Exit::Debug(DebugEvent::Privileged))
    }

    /// What the run loop does once an instruction retired with `flow`.
    fn after(&mut self, flow: Flow) -> Option<Exit> {
        match flow {
            Flow::Next => None,
            Flow::Recheck if self.stop_privileged => Some(Exit::Debug(DebugEvent::Privileged)),
            Flow::Recheck => None,
            Flow::TrapReturn => {
                // `sret` ends a trap handler (for trap-storm detection).
                self.storm.returned(self.arch.core.instret);
                self.stop_privileged
                    .then_some(Exit::Debug(DebugEvent::Privileged))
            }
            Flow::Wfi => Some(Exit::Wfi),
            Flow::Device => Some(Exit::Device),
            Flow::Watch(hit) => Some(Exit::Debug(DebugEvent::Watch(hit))),
        }
    }

    /// A trap happened at `pc`: count it, and either enter it (delegated,
    /// unless it makes a trap storm) or hand it to the host.
    fn raise(&mut self, trap: Trap) -> Option<Exit> {
        let pc = self.arch.pc;
        match trap {
            Trap::Exception { cause, .. } => self.stats.exceptions[cause.code() as usize & 15] += 1,
            Trap::Interrupt(i) => self.stats.interrupts[i.code() as usize & 15] += 1,
        }
        if self.arch.core.delegated(trap) {
            if let Some(storm) = self.storm.trap(trap, pc, self.arch.core.instret) {
                tracing::debug!(target: "cpu::trap", "pc {pc:#x}: {storm}");
                return Some(Exit::TrapStorm(storm));
            }
            self.stats.delegated += 1;
            self.take_trap(trap);
            self.stop_traps
                .then_some(Exit::Debug(DebugEvent::Trapped(trap)))
        } else {
            // The host takes it; when it resumes the hart it has handled
            // it, as M-mode firmware returning with `mret` would have.
            self.storm.returned(self.arch.core.instret);
            self.stats.to_host += 1;
            tracing::debug!(
                target: "cpu::trap",
                "pc {pc:#x}: {}, to the firmware{}",
                trap.name(),
                tval_note(trap),
            );
            Some(Exit::Trap(trap))
        }
    }

    /// Trap entry into S-mode as the hardware does it
    /// ([`crate::privileged::Core::enter_trap`]): `pc` moves to the
    /// `stvec` target and the LR reservation ends.
    pub fn take_trap(&mut self, trap: Trap) {
        let (pc, from) = (self.arch.pc, self.arch.core.privilege);
        self.arch.take_trap(trap);
        self.mmu.sync(&self.arch.core);
        tracing::debug!(
            target: "cpu::trap",
            "pc {pc:#x}: {}{}: {} -> S, to stvec {:#x}",
            trap.name(),
            tval_note(trap),
            from.letter(),
            self.arch.pc
        );
    }

    // --- many steps, fast ---------------------------------------------------

    /// Runs until something needs the host (see [`Exit`]), retiring at most
    /// `budget` instructions.
    pub fn run<D: Devices>(&mut self, dev: &mut D, budget: u64) -> Exit {
        self.engine.start_run(self.arch.pc, false);
        self.run_counted(dev, budget, false)
    }

    /// Events since reset: retired instructions plus traps raised (a
    /// debugger's unit of a single step, [`crate::debug`]).
    pub fn events(&self) -> u64 {
        let traps: u64 = self
            .stats
            .exceptions
            .iter()
            .chain(&self.stats.interrupts)
            .sum();
        self.arch.core.instret.wrapping_add(traps)
    }

    /// Runs until something needs the host (see [`Exit`]) or `events`
    /// events have happened ([`Exit::BudgetExhausted`], before a pending
    /// interrupt if that would be the next). A breakpoint at `pc` where it
    /// starts does not stop it: that instruction runs (so that a debugger
    /// resumes from a breakpoint, and a single step always moves).
    pub fn run_events<D: Devices>(&mut self, dev: &mut D, events: u64) -> Exit {
        self.engine.start_run(self.arch.pc, true);
        self.run_counted(dev, events, true)
    }

    /// [`Hart::run`], with `budget` counting every event when `events`.
    fn run_counted<D: Devices>(&mut self, dev: &mut D, budget: u64, events: bool) -> Exit {
        let exit = if self.reference {
            self.run_loop::<D, { Mode::STEPS }>(dev, budget, events)
        } else if self.engine.instrumented() {
            self.run_loop::<D, { Mode::FULL }>(dev, budget, events)
        } else if self.engine.digest_on {
            self.run_loop::<D, { Mode::DIGEST }>(dev, budget, events)
        } else {
            self.run_loop::<D, { Mode::PLAIN }>(dev, budget, events)
        };
        self.stats.retired = self.arch.core.instret;
        exit
    }

    /// The run: between instructions it does what [`Hart::step`] does
    /// before each one, and the instructions run through the engine, a
    /// block at a time ([`Mode::STEPS`], the reference mode: one
    /// [`Hart::step`]'s instruction at a time). Interrupts are only looked
    /// at when something that decides them changed, never per instruction:
    /// a block ends at any instruction that changes them, and at the timer
    /// deadline. With `events`, each trap raised takes one from the
    /// instructions still allowed, so that `end - instret` is always the
    /// events left.
    fn run_loop<D: Devices, const MODE: u8>(
        &mut self,
        dev: &mut D,
        budget: u64,
        events: bool,
    ) -> Exit {
        let mut end = self.arch.core.instret.saturating_add(budget);
        loop {
            if let Some(exit) = self.catch_up() {
                return exit;
            }
            if events && self.arch.core.instret >= end {
                // Counted exactly: stop before an interrupt too.
                return Exit::BudgetExhausted;
            }
            if let Some(i) = self.arch.core.pending_interrupt() {
                if events {
                    end -= 1;
                }
                if let Some(exit) = self.raise(Trap::Interrupt(i)) {
                    return exit;
                }
                continue;
            }
            if self.arch.core.instret >= end {
                return Exit::BudgetExhausted;
            }
            let stop = if MODE == Mode::STEPS {
                if self.engine.breakpoint_at(self.arch.pc) {
                    Stop::Breakpoint
                } else {
                    self.instruction(dev)
                }
            } else {
                let limit = end.min(self.arch.core.timer_deadline());
                self.engine.run_block::<D, MODE>(
                    &mut self.arch,
                    &mut self.mmu,
                    &mut self.digest,
                    dev,
                    limit,
                )
            };
            match stop {
                Stop::Limit => {}
                Stop::Flow(flow) => {
                    if let Some(exit) = self.after(flow) {
                        return exit;
                    }
                }
                Stop::Trap(trap) => {
                    if events {
                        end = end.saturating_sub(1);
                    }
                    if let Some(exit) = self.raise(trap) {
                        return exit;
                    }
                }
                Stop::Breakpoint => {
                    self.engine.stopped_at_breakpoint(self.arch.pc);
                    return Exit::Breakpoint;
                }
            }
        }
    }

    // --- what the host may do ----------------------------------------------

    /// Retired instructions.
    pub fn instret(&self) -> u64 {
        self.arch.core.instret
    }

    /// The `time` CSR: (retired instructions + slept ticks) / 10.
    pub fn time(&self) -> u64 {
        self.arch.core.time()
    }

    /// `wfi`: moves the clock forward to `time` (never back), raising
    /// `mip.STIP` if that reaches the deadline.
    pub fn sleep_until(&mut self, time: u64) {
        self.arch.core.sleep_until(time);
    }

    /// An instruction the host trapped and emulated retires, as it would
    /// have natively: `instret` (and the clock) advance and the digest and
    /// trace see (`pc`, `bits`). Call it before moving `pc` past it.
    pub fn retire_emulated(&mut self, bits: u32) {
        if self.engine.digest_on || self.engine.trace_on {
            self.engine.retired(&mut self.digest, self.arch.pc, bits);
        }
        self.arch.core.instret += 1;
        self.stats.retired = self.arch.core.instret;
        self.arch.core.update_timer();
    }

    /// Whether every retired instruction goes into [`Hart::digest`].
    pub fn set_digest(&mut self, on: bool) {
        self.engine.digest_on = on;
    }

    /// A `tracing` TRACE event (target `cpu::insn`) per retired instruction.
    pub fn set_trace_insns(&mut self, on: bool) {
        self.engine.trace_on = on;
    }

    /// `run` stops with [`Exit::Breakpoint`] before running an instruction
    /// at any of `addrs` (virtual addresses). Running again from the
    /// breakpoint runs that instruction.
    pub fn set_breakpoints(&mut self, addrs: &[u64]) {
        self.engine.set_breakpoints(addrs, &mut self.mmu);
    }

    /// Whether a breakpoint is set at virtual address `va` (whether or not
    /// `run` would stop there now: resuming from one runs it).
    pub fn has_breakpoint(&self, va: u64) -> bool {
        self.engine.is_breakpoint(va)
    }

    /// The debugger's stops besides breakpoints ([`crate::debug`]). Cached
    /// translations of newly watched pages are dropped.
    pub fn set_debug_stops(&mut self, stops: DebugStops) {
        self.stop_traps = stops.traps;
        self.stop_privileged = stops.privileged;
        self.mmu.watches = stops.watches;
        self.mmu.hit = None;
        self.mmu.forget_loads_and_stores();
    }

    /// The debugger's stops.
    pub fn debug_stops(&self) -> DebugStops {
        DebugStops {
            watches: self.mmu.watches.clone(),
            traps: self.stop_traps,
            privileged: self.stop_privileged,
        }
    }

    /// The architectural state, without RAM.
    pub fn state(&self) -> HartState {
        HartState {
            arch: self.arch.clone(),
            digest: self.digest,
            stats: self.stats.clone(),
            storm: self.storm.clone(),
        }
    }

    /// Puts back a state from [`Hart::state`] (RAM is the caller's, through
    /// [`Hart::write_phys`]). Cached translations are dropped.
    pub fn set_state(&mut self, s: &HartState) {
        self.arch = s.arch.clone();
        self.arch.x[0] = 0;
        self.digest = s.digest;
        self.stats = s.stats.clone();
        self.storm = s.storm.clone();
        self.mmu.hit = None;
        self.flush_tlb();
        self.mmu.sync(&self.arch.core);
    }

    /// The RAM pages written since the last call (numbers counted from
    /// [`RAM_BASE`], ascending), and a fresh record from now on.
    pub fn take_dirty_pages(&mut self) -> Vec<usize> {
        let pages = self.mmu.ram.take_dirty_pages();
        // Stores through the store TLB would go unnoticed: drop it, so that
        // the next store to each page marks it again.
        self.mmu.forget_stores();
        pages
    }

    /// RAM page `n` (4096 bytes), if RAM has it.
    pub fn ram_page(&self, n: usize) -> Option<&[u8]> {
        self.mmu.ram.page(n)
    }

    /// Whether hot pages are translated to host code (on by default where
    /// the host is x86-64 Unix). Off, the interpreter's fast loop runs
    /// everything: the same run, to the instruction, only slower.
    pub fn set_translation(&mut self, on: bool) {
        self.engine.jit.set_on(on);
    }

    /// Whether translation is on (and available on this host).
    pub fn translation(&self) -> bool {
        self.engine.jit.on()
    }

    /// Translates a page of code the `entries`-th time the run loop comes
    /// to it (normally 4; 1 translates at once, as the tests do).
    #[doc(hidden)]
    pub fn set_translation_warmup(&mut self, entries: u32) {
        self.engine.jit.set_warm(entries);
    }

    /// Pages translated so far, and times the translated code was all
    /// dropped because its buffer was full.
    pub fn translation_stats(&self) -> (u64, u64) {
        (self.engine.jit.translated, self.engine.jit.resets)
    }

    /// Makes `run` take one [`Hart::step`] at a time, through the reference
    /// executor, instead of running blocks through the engine: slower, and
    /// the reference the engine is tested against.
    #[doc(hidden)]
    pub fn set_reference_mode(&mut self, on: bool) {
        self.reference = on;
    }

    /// The physical addresses of RAM.
    pub fn ram_range(&self) -> Range<u64> {
        self.mmu.ram.range()
    }

    /// Reads RAM at physical address `pa`; false (and `buf` untouched) if
    /// any byte is outside RAM.
    pub fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.mmu.ram.read_phys(pa, buf)
    }

    /// Writes RAM at physical address `pa` as the host; false (and nothing
    /// written) if any byte is outside RAM. Decoded code there is dropped,
    /// and the LR reservation ends if the write overlaps the reserved
    /// doubleword (a store by another agent; writes elsewhere, such as a
    /// monitor filling its own page tables, leave it alone).
    pub fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        if !self.mmu.ram.write_phys(pa, data) {
            return false;
        }
        if let Some(r) = self.arch.reservation {
            let start = r.pa & !7;
            if pa < start.saturating_add(8) && start < pa.saturating_add(data.len() as u64) {
                self.arch.reservation = None;
            }
        }
        true
    }

    /// Forgets every cached translation (after the host edits page tables;
    /// a `satp` the host changed is noticed by `run` itself).
    pub fn flush_tlb(&mut self) {
        self.mmu.flush(self.arch.core.csr.satp);
    }

    /// A fence of everything on this hart, as the instruction does it (for
    /// the SBI's remote fences, RFENCE): `fence.i` drops decoded and
    /// translated code, `sfence.vma` every cached translation.
    pub fn fence(&mut self, fence: Fence) {
        match fence {
            Fence::FenceI => self.mmu.ram.code.flush(),
            Fence::SfenceVma => self.flush_tlb(),
        }
    }

    /// The LR reservation, if one is held (for a host that multiplexes
    /// several guests over this hart and saves it per guest).
    pub fn reservation(&self) -> Option<Reservation> {
        self.arch.reservation
    }

    /// Replaces the LR reservation: a host restores a guest's own, or
    /// ends it (`None`) where that guest's hardware would, e.g. at a trap
    /// entry or `sret` the host emulates. A non-delegated trap leaves the
    /// reservation to the host.
    pub fn set_reservation(&mut self, r: Option<Reservation>) {
        self.arch.reservation = r;
    }

    /// What the hart counted so far.
    pub fn stats(&self) -> &HartStats {
        &self.stats
    }
}

/// `, tval 0x...` for a trap whose `stval` says something (a fault's
/// address, an illegal instruction's bits); nothing for the others.
pub fn tval_note(trap: Trap) -> String {
    match trap {
        Trap::Exception { tval, .. } if tval != 0 => format!(", tval {tval:#x}"),
        _ => String::new(),
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
}
