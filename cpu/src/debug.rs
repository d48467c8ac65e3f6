//! What a debugger needs from the hart, kept apart from the run loop it
//! hooks into: counting *events* (so that a run can stop after exactly N of
//! them, and history can be replayed to the event), breakpoints that cost
//! only on the pages that hold them, watched memory, stops after traps and
//! privileged changes, the record of RAM pages written (for incremental
//! snapshots), and the hart's whole architectural state as a value.
//!
//! **Events.** An event is a retired instruction or a trap raised (an
//! exception or an interrupt, delegated to S-mode or handed to the host):
//! each moves the hart's visible state forward, and none can be split. A
//! debugger's single step is one event: `stepi` on a faulting load shows
//! the trap taken, the next `stepi` runs the handler's first instruction.
//! [`Hart::events`] counts them since reset; [`Hart::run_events`] runs at
//! full speed (translated code included) and stops after exactly N, before
//! a pending interrupt if that is what the next event would be.
//!
//! **Breakpoints.** A breakpoint does not make the hart interpret
//! everything. When the fetch page holds one, its slot is made
//! [`XOp::Slow`] (when the page is entered, and whenever the slot is
//! decoded again); the fast loop and translated code stop at a slow slot as
//! they always do, and the generic executor looks at the breakpoint list
//! before it runs one. Every other instruction of the page, and every other
//! page, still runs translated.
//!
//! **Watches.** A watched page never gets a TLB entry for the watched kind
//! of access, so every load or store to it takes the slow path, which notes
//! an access that touches a watched range; the instruction completes, then
//! the run returns [`Exit::Debug`] with [`DebugEvent::Watch`].
//!
//! **Dirty pages.** Every RAM page written since the last
//! [`Hart::take_dirty_pages`] is marked: the slow store path and every host
//! write mark the page they write, and a page gets a store TLB entry (the
//! only way to store without the slow path) only once it is marked.
//! Taking the record drops the store TLB, so the next store to any page is
//! noticed again.

use crate::dcache::{Slot, XOp, SLOTS_PER_PAGE, UNDECODED};
use crate::hart::{Csrs, Devices, Digest, Exit, Hart, HartStats, Priv, Reservation};
use crate::mmu::{Access, PAGE_SIZE};
use crate::storm::StormWatch;
use crate::trap::Trap;

/// A range of virtual addresses watched for loads, stores or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub start: u64,
    pub len: u64,
    pub read: bool,
    pub write: bool,
}

impl Watch {
    fn overlaps(&self, va: u64, size: u64) -> bool {
        va < self.start.saturating_add(self.len) && self.start < va.saturating_add(size)
    }

    /// Whether the 4 KiB virtual page at `page` holds part of the range.
    fn on_page(&self, page: u64) -> bool {
        self.overlaps(page, PAGE_SIZE)
    }
}

/// A completed access that touched a watched range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchHit {
    /// The access: its virtual address and size in bytes.
    pub va: u64,
    pub size: u64,
    /// Whether it read, wrote (an AMO does both).
    pub read: bool,
    pub write: bool,
    /// The instruction that made it.
    pub pc: u64,
}

/// Why the run loop stopped for a debugger (see [`Hart::set_debug_stops`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugEvent {
    /// An instruction that loaded or stored in a watched range retired;
    /// `pc` is past it.
    Watch(WatchHit),
    /// A trap was entered into S-mode (delegated); `pc` is the handler's
    /// first instruction.
    Trapped(Trap),
    /// An instruction that may change privileged state retired (a CSR
    /// access, `sret`, `sfence.vma`, `fence.i`, a `wfi` that goes on), or
    /// the timer raised `sip.STIP`.
    Privileged,
}

/// The debugger's stops besides breakpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebugStops {
    pub watches: Vec<Watch>,
    /// Stop after every trap entered into S-mode.
    pub traps: bool,
    /// Stop after everything that may change a CSR.
    pub privileged: bool,
}

/// Everything architectural about a hart but its RAM: what a snapshot
/// keeps (RAM goes page by page, see [`Hart::take_dirty_pages`]). Caches
/// (decoded and translated code, TLBs) are not state: they follow RAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HartState {
    pub x: [u64; 32],
    pub pc: u64,
    pub privilege: Priv,
    pub csr: Csrs,
    pub timecmp: u64,
    pub digest: Digest,
    pub instret: u64,
    pub slept: u64,
    pub reservation: Option<Reservation>,
    pub stats: HartStats,
    pub(crate) storm: StormState,
}

/// The trap-storm detector's memory (see `Hart::raise`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StormState {
    pub watch: StormWatch,
    pub sret_mark: bool,
}

/// The pieces of the hart this module adds (one field of `Hart`).
#[derive(Clone, Debug, Default)]
pub(crate) struct DebugHooks {
    pub stops: DebugStops,
    /// An access to a watched range by the instruction running now.
    pub hit: Option<WatchHit>,
    /// One bit per RAM page: written since the last `take_dirty_pages`.
    pub dirty: Vec<u64>,
    /// Breakpoints removed since decoded code was last dropped (their
    /// slots may still be slow).
    pub stale_breakpoints: usize,
}

/// Removed breakpoints whose slow slots are kept before the decode cache
/// is dropped to make them fast again.
const STALE_BREAKPOINTS: usize = 64;

impl DebugHooks {
    pub(crate) fn new(ram_pages: usize) -> DebugHooks {
        DebugHooks {
            dirty: vec![0; ram_pages.div_ceil(64)],
            ..DebugHooks::default()
        }
    }

    /// Marks the RAM pages of `[off, off + len)` written.
    #[inline]
    pub(crate) fn mark_dirty(&mut self, off: usize, len: usize) {
        if len == 0 {
            return;
        }
        for page in off >> 12..=(off + len - 1) >> 12 {
            if let Some(w) = self.dirty.get_mut(page / 64) {
                *w |= 1 << (page % 64);
            }
        }
    }
}

impl Hart {
    /// Events since reset: retired instructions plus traps raised (see the
    /// module documentation).
    pub fn events(&self) -> u64 {
        let stats = self.stats();
        let traps: u64 = stats.exceptions.iter().chain(&stats.interrupts).sum();
        self.instret().wrapping_add(traps)
    }

    /// Runs until something needs the host (see [`Exit`]) or `events`
    /// events have happened ([`Exit::BudgetExhausted`], before a pending
    /// interrupt if that would be the next). A breakpoint at `pc` where it
    /// starts does not stop it: that instruction runs (so that a debugger
    /// resumes from a breakpoint, and a single step always moves).
    pub fn run_events<D: Devices>(&mut self, dev: &mut D, events: u64) -> Exit {
        self.bp_resume = Some(self.pc);
        self.run_counted(dev, events, true)
    }

    /// The debugger's stops besides breakpoints. Cached translations of
    /// newly watched pages are dropped.
    pub fn set_debug_stops(&mut self, stops: DebugStops) {
        self.debug.stops = stops;
        self.debug.hit = None;
        self.tlb_r.flush();
        self.tlb_w.flush();
    }

    /// The debugger's stops.
    pub fn debug_stops(&self) -> &DebugStops {
        &self.debug.stops
    }

    /// The architectural state, without RAM.
    pub fn state(&self) -> HartState {
        HartState {
            x: self.x,
            pc: self.pc,
            privilege: self.privilege,
            csr: self.csr.clone(),
            timecmp: self.timecmp,
            digest: self.digest,
            instret: self.instret,
            slept: self.slept,
            reservation: self.reservation,
            stats: self.stats().clone(),
            storm: self.storm_state(),
        }
    }

    /// Puts back a state from [`Hart::state`] (RAM is the caller's, through
    /// [`Hart::write_phys`]). Cached translations are dropped.
    pub fn set_state(&mut self, s: &HartState) {
        self.x = s.x;
        self.x[0] = 0;
        self.pc = s.pc;
        self.privilege = s.privilege;
        self.csr = s.csr.clone();
        self.timecmp = s.timecmp;
        self.digest = s.digest;
        self.instret = s.instret;
        self.slept = s.slept;
        self.reservation = s.reservation;
        self.set_stats(s.stats.clone());
        self.set_storm_state(s.storm.clone());
        self.debug.hit = None;
        self.flush_tlb();
        self.ctx = self.tlb_context();
    }

    /// The RAM pages written since the last call (numbers counted from
    /// [`crate::hart::RAM_BASE`], ascending), and a fresh record from now on.
    pub fn take_dirty_pages(&mut self) -> Vec<usize> {
        let mut pages = Vec::new();
        for (i, w) in self.debug.dirty.iter_mut().enumerate() {
            let mut bits = std::mem::take(w);
            while bits != 0 {
                pages.push(i * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        // Stores through the store TLB would go unnoticed: drop it, so that
        // the next store to each page marks it again.
        self.tlb_w.flush();
        pages
    }

    /// RAM page `n` (4096 bytes), if RAM has it.
    pub fn ram_page(&self, n: usize) -> Option<&[u8]> {
        let off = n.checked_mul(PAGE_SIZE as usize)?;
        self.ram.get(off..off.checked_add(PAGE_SIZE as usize)?)
    }

    /// Breakpoints are about to become `new`: the slots of removed ones
    /// stay slow (still right, a little slower) until enough of them pile
    /// up, then all decoded code is dropped and decoded afresh.
    pub(crate) fn note_removed_breakpoints(&mut self, new: &[u64]) {
        let removed = self
            .breakpoints
            .iter()
            .filter(|b| new.binary_search(b).is_err())
            .count();
        self.debug.stale_breakpoints += removed;
        if self.debug.stale_breakpoints > STALE_BREAKPOINTS {
            self.debug.stale_breakpoints = 0;
            self.dc.flush();
        }
    }

    /// Whether a breakpoint is set at `pc`.
    pub(crate) fn is_breakpoint(&self, pc: u64) -> bool {
        !self.breakpoints.is_empty() && self.breakpoints.binary_search(&pc).is_ok()
    }

    /// The fetch page was entered: the slots of its breakpoints become
    /// [`XOp::Slow`], so that the fast loop and translated code stop there
    /// and the generic executor looks at them. Translated code of the page
    /// made before is dropped (the slot counts as changed).
    pub(crate) fn mark_breakpoint_slots(&mut self) {
        let first = self.breakpoints.partition_point(|&b| b < self.fpage);
        for i in first..self.breakpoints.len() {
            let Some(&bp) = self.breakpoints.get(i) else {
                break;
            };
            let off = bp.wrapping_sub(self.fpage);
            if off >= PAGE_SIZE {
                break;
            }
            if off & 3 != 0 {
                continue;
            }
            let idx = self.fbase + (off >> 2) as usize;
            if self.dc.slots.get(idx).is_some_and(|s| s.op != XOp::Slow) {
                let bits = self.dc.bits.get(idx).copied().unwrap_or(0);
                let decoded = self.dc.slots.get(idx).is_some_and(|s| *s != UNDECODED);
                // Reset first (a decoded slot's reset drops stale
                // translated code), then fill as slow.
                self.dc.invalidate(self.fram + off as usize, 4);
                if decoded {
                    self.dc.fill(idx, SLOW, bits);
                }
            }
        }
    }

    /// The slot to decode at `pc`: `slot`, or [`XOp::Slow`] at a breakpoint.
    pub(crate) fn breakpoint_slot(&self, pc: u64, slot: Slot) -> Slot {
        if self.is_breakpoint(pc) {
            SLOW
        } else {
            slot
        }
    }

    /// Whether a load or store TLB entry may be made for the page of `va`:
    /// not when that kind of access to it is watched.
    pub(crate) fn tlb_may_cache(&self, va: u64, acc: Access) -> bool {
        let watches = &self.debug.stops.watches;
        if watches.is_empty() {
            return true;
        }
        let page = va & !(PAGE_SIZE - 1);
        !watches.iter().any(|w| {
            w.on_page(page)
                && match acc {
                    Access::Load => w.read,
                    Access::Store => w.write,
                    Access::Fetch => false,
                }
        })
    }

    /// A load (`read`) and/or store (`write`) of `size` bytes at `va` is
    /// about to complete: note it if it touches a watched range.
    #[inline]
    pub(crate) fn note_access(&mut self, va: u64, size: u64, read: bool, write: bool) {
        if self.debug.stops.watches.is_empty() {
            return;
        }
        let hit = self
            .debug
            .stops
            .watches
            .iter()
            .any(|w| w.overlaps(va, size) && ((read && w.read) || (write && w.write)));
        if hit {
            self.debug.hit = Some(WatchHit {
                va,
                size,
                read,
                write,
                pc: self.pc,
            });
        }
    }
}

/// A slot that the generic executor runs from its bits.
const SLOW: Slot = Slot {
    op: XOp::Slow,
    ..UNDECODED
};

// Slots of a page are `SLOTS_PER_PAGE` words: a breakpoint's slot index is
// its offset in the page over 4.
const _: () = assert!(SLOTS_PER_PAGE as u64 * 4 == PAGE_SIZE);
