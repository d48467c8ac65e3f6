//! The engine the debugger drives: one interface, implemented natively
//! ([`crate::native`]: the hart and its firmware) and under the monitor
//! (several guests on one hart), so that every command, the history and
//! every front end work the same on both.
//!
//! A target moves forward in *events* (a retired instruction or a trap
//! raised, [`cpu::debug`]), counted over the whole machine since boot: its
//! [`Target::position`]. Runs are deterministic, so a position names one
//! state; the history ([`crate::history`]) goes back by restoring a saved
//! state ([`Target::save`], [`Target::restore`], and RAM page by page) and
//! running forward again to the position wanted.

use cpu::debug::{Watch, WatchHit};
use cpu::hart::Priv;
use cpu::sbi::{SbiCall, SbiRet};
use cpu::trap::Trap;

use crate::program::Program;
use crate::walk::Walk;

/// What a target is asked to stop at while it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stops {
    /// (guest, virtual address): stop before running the instruction
    /// there in that guest.
    pub breakpoints: Vec<(usize, u64)>,
    /// (guest, range): stop after an instruction of that guest that
    /// accessed it.
    pub watches: Vec<(usize, Watch)>,
    /// Report every change of privileged state (CSR watches need it).
    pub privileged: bool,
    /// Traps and exits need not come back one by one (no catchpoint or
    /// CSR watch looks at them): a target may log them itself, cheaply,
    /// for [`Target::quiet_traps`], and run on. (Under the monitor, where
    /// a guest may exit a million times a second, `continue` then runs
    /// exits at the monitor's own pace.)
    pub quiet_traps: bool,
}

/// Traps and exits kept for `info traps` (by the session, and by a target
/// for the ones it went past quietly).
pub const TRAP_LOG: usize = 100_000;

/// How a guest is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestState {
    /// It has the hart (or, natively, it is the machine).
    Running,
    /// Under the monitor: waiting for its turn on the hart.
    Waiting,
    /// Asleep in `wfi` until its timer.
    Sleeping,
    /// It ended, or was stopped: how.
    Ended(String),
}

/// One guest as `info guests` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestInfo {
    pub name: String,
    pub state: GuestState,
    /// Its own events (instructions retired and traps).
    pub events: u64,
    /// Instructions it retired.
    pub instret: u64,
}

/// A CSR as `info csrs` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrRow {
    pub name: &'static str,
    /// The value the guest sees (under the monitor: its virtual CSR).
    pub value: u64,
    /// Under the monitor, the real hart's CSR while this guest runs.
    pub real: Option<u64>,
}

/// A trap or exit, as a stop, `stepi` and `info traps` tell it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapRecord {
    /// The position right after it.
    pub position: u64,
    pub guest: usize,
    /// Where it happened: the instruction that trapped (or, for an
    /// interrupt, the one that was about to run).
    pub pc: u64,
    pub privilege: Priv,
    pub kind: TrapKind,
    /// `pc` and where the guest went (handler or resume address) as
    /// `symbol+offset`, filled in by the session.
    pub pc_label: Option<String>,
    pub to_label: Option<String>,
}

impl TrapRecord {
    /// Where the guest went: the handler a trap entered, or where it
    /// resumes after an exit (`None` for an SBI call or a sleep: the next
    /// instruction).
    pub fn destination(&self) -> Option<u64> {
        match &self.kind {
            TrapKind::Taken { handler, .. } => Some(*handler),
            TrapKind::Exit(e) => e.resume,
            _ => None,
        }
    }
}

/// What kind of trap or exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// The guest took a trap into its S-mode: `handler` is where it went.
    Taken { trap: Trap, handler: u64 },
    /// Natively: the firmware (M-mode) answered an SBI call; the guest
    /// goes on after the `ecall`.
    Sbi { call: SbiCall, ret: SbiRet },
    /// A `wfi` slept until `time` reached `until`.
    Slept { until: u64 },
    /// Under the monitor: an exit and the handler that ran.
    Exit(ExitRecord),
}

/// Under the monitor: one exit, what handled it and what it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// The trap the hart raised in the guest's code.
    pub trap: Trap,
    /// Why the guest left (illegal instruction, ecall, page fault, ...).
    pub reason: String,
    /// For a hypercall: the SBI extension called.
    pub sbi: Option<u64>,
    /// The handler that ran (its name in the monitor's source).
    pub handler: String,
    /// What it did to the guest's virtual state, one fact each.
    pub changes: Vec<String>,
    /// Where the guest resumes (`None`: it ended in this exit).
    pub resume: Option<u64>,
}

/// Why a run returned to the debugger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEvent {
    /// The events asked for have happened.
    Done,
    /// A guest is about to run an instruction at a breakpoint.
    Breakpoint { guest: usize, pc: u64 },
    /// An instruction accessed a watched range (it has completed).
    Watch { guest: usize, hit: WatchHit },
    /// A trap, an SBI call or an exit happened.
    Trap(TrapRecord),
    /// Privileged state may have changed (only with [`Stops::privileged`]).
    Privileged { guest: usize },
    /// Under the monitor: another guest got the hart.
    Switch { from: Option<usize>, to: usize },
    /// A guest ended (or was stopped): how.
    Ended { guest: usize, how: String },
}

/// The machine being debugged. See the module documentation.
pub trait Target {
    /// Everything a snapshot keeps but RAM.
    type State: Clone;

    /// The guests, in command-line order.
    fn guests(&self) -> Vec<GuestInfo>;
    /// A guest's own events so far (natively, every event).
    fn events_of(&self, guest: usize) -> u64;
    /// Under the monitor: how it virtualizes the guests, as `info guests`
    /// says it (`strategy bt (binary translation), isa leaky`); natively
    /// `None`.
    fn virtualization(&self) -> Option<String> {
        None
    }
    /// The guest the state accessors read.
    fn focus(&self) -> usize;
    /// Looks at guest `guest` from now on (false if there is none).
    fn set_focus(&mut self, guest: usize) -> bool;
    /// A guest's program (names, lines).
    fn program(&self, guest: usize) -> &Program;
    /// The guest whose instructions run now (under the monitor, the one on
    /// the hart; natively the only one).
    fn current(&self) -> Option<usize>;

    /// Guest `guest`'s `pc` (natively, the hart's).
    fn pc_of(&self, guest: usize) -> u64 {
        let _ = guest;
        self.pc()
    }
    /// Reads guest `guest`'s memory at virtual address `va` through its
    /// own page tables; false if any byte is not mapped or not RAM.
    fn read_virt_in(&self, guest: usize, va: u64, buf: &mut [u8]) -> bool;

    /// The focused guest's registers (`x[0]` = 0), `pc` and privilege
    /// level (virtual under the monitor).
    fn regs(&self) -> [u64; 32];
    fn pc(&self) -> u64;
    fn privilege(&self) -> Priv;
    /// Its CSRs (virtual, and real beside them under the monitor).
    fn csrs(&self) -> Vec<CsrRow>;
    /// Its page-table root, as the guest wrote it (`satp`).
    fn satp(&self) -> u64;
    /// Reads the focused guest's physical memory (guest-physical under the
    /// monitor); false if any byte is not RAM.
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool;
    /// The walk of `va` through the focused guest's page tables, and
    /// under the monitor the host-physical address and the shadow entry.
    fn translate(&self, va: u64) -> Translation;
    /// Whether the focused guest is stopped for good, and how.
    fn ended(&self, guest: usize) -> Option<String>;
    /// Its console output so far.
    fn console(&self, guest: usize) -> Vec<u8>;
    /// How many bytes of it so far.
    fn console_len(&self, guest: usize) -> usize;
    /// How many times the guest left for M-mode (natively) or for the
    /// monitor.
    fn exits(&self, guest: usize) -> u64 {
        self.exit_counts(guest).iter().map(|(_, n)| n).sum()
    }
    /// Exit counts (`info exits`): what left the guest for M-mode
    /// (natively) or for the monitor, by reason.
    fn exit_counts(&self, guest: usize) -> Vec<(String, u64)>;

    /// Events since boot, over the whole machine.
    fn position(&self) -> u64;
    /// Runs at full speed until `events` more events have happened or
    /// something in `stops` (or a trap, exit, switch or end) needs the
    /// debugger. A breakpoint where a guest is stopped does not stop it
    /// again: that instruction runs first.
    fn run(&mut self, events: u64, stops: &Stops) -> RunEvent;
    /// The last `n` (at most) traps and exits at positions up to `upto`
    /// that runs with [`Stops::quiet_traps`] went past without telling,
    /// oldest first; forgotten from a position the target goes back
    /// before. (A target that tells every one logs none.)
    fn quiet_traps(&self, upto: u64, n: usize) -> Vec<TrapRecord> {
        let _ = (upto, n);
        Vec::new()
    }

    /// The architectural state but RAM.
    fn save(&self) -> Self::State;
    /// Puts back a state from [`Target::save`] (RAM separately).
    fn restore(&mut self, state: &Self::State);
    /// Pages of machine RAM.
    fn page_count(&self) -> usize;
    /// Pages written since the last call (see [`cpu::debug`]).
    fn take_dirty_pages(&mut self) -> Vec<usize>;
    /// Machine RAM page `n`.
    fn page(&self, n: usize) -> &[u8];
    /// Writes machine RAM page `n` (only where it differs, so that code
    /// that did not change stays decoded and translated).
    fn write_page(&mut self, n: usize, data: &[u8]);
}

/// A virtual address's translation, as `info translate` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Through the guest's own page tables.
    pub guest: Walk,
    /// Under the monitor: guest-physical → host-physical, and the shadow
    /// page table's entry for the address (if it has one yet).
    pub host: Option<u64>,
    pub shadow: Option<Walk>,
    /// Under the monitor: the guest's virtual device at the
    /// guest-physical address, if one is there (`UART`, `test finisher`).
    pub device: Option<&'static str>,
}
