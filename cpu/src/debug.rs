//! What a debugger asks of the hart, as values: watched memory, the stops
//! it wants besides breakpoints, and why a run stopped for it.
//!
//! Where each hook lives (each beside what it hooks into):
//!
//! - **Events** (retired instructions plus traps raised, the debugger's
//!   unit of a single step): counted and run to exactly by the hart
//!   ([`crate::hart::Hart::events`], [`crate::hart::Hart::run_events`]),
//!   which stops before a pending interrupt if that is what the next event
//!   would be.
//! - **Breakpoints** cost only on the pages that hold them: the engine
//!   decodes a breakpoint's slot as `XOp::Slow`, so that the fast loop and
//!   translated code stop there as at any slow slot, and looks at the
//!   breakpoint list before the reference executor runs it. Every other
//!   instruction still runs translated.
//! - **Watches** ([`Watch`]): the MMU never makes a TLB entry for a watched
//!   kind of access to a watched page, so every such access takes the slow
//!   path, which notes one that touches a watched range ([`WatchHit`]); the
//!   instruction completes, then the run returns
//!   `Exit::Debug(DebugEvent::Watch)`.
//! - **Dirty pages**: RAM marks every page written since the debugger last
//!   asked ([`crate::hart::Hart::take_dirty_pages`]): every write through
//!   `Ram::write` marks its page, and a page gets a store TLB entry (the
//!   only way to store without the slow path) only once it is marked.
//!   Taking the record drops the store TLB, so the next store to any page
//!   is noticed again.
//! - **The state as a value** ([`crate::hart::HartState`]): everything
//!   architectural but RAM, which goes page by page.

use crate::sv39::PAGE_SIZE;
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
    /// Whether `[va, va + size)` overlaps the range.
    pub(crate) fn overlaps(&self, va: u64, size: u64) -> bool {
        va < self.start.saturating_add(self.len) && self.start < va.saturating_add(size)
    }

    /// Whether the 4 KiB virtual page at `page` holds part of the range.
    pub(crate) fn on_page(&self, page: u64) -> bool {
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

/// Why the run loop stopped for a debugger (see
/// [`crate::hart::Hart::set_debug_stops`]).
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
