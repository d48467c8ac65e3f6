//! What commands answer, as data: the line interface prints it
//! ([`crate::render`]), another front end (a full-screen view, a GDB stub)
//! shows or sends it its own way.

use cpu::hart::Priv;

use crate::history::HistoryInfo;
use crate::target::{GuestInfo, Translation, TrapRecord};

/// One instruction, placed: its address, bits and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsnLine {
    pub addr: u64,
    /// `<symbol+offset>`, when the address has a symbol.
    pub label: Option<String>,
    /// `None` when the address cannot be read (unmapped, not RAM).
    pub bits: Option<u32>,
    /// objdump's text for the instruction, with `<symbol>` after targets.
    pub text: String,
    /// It is where `pc` is.
    pub current: bool,
    /// A breakpoint is set there (enabled).
    pub breakpoint: bool,
}

/// A source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// `hello.s`, as a stop names it.
    pub file: String,
    pub line: u32,
    pub text: String,
    /// `pc` came from this line.
    pub current: bool,
}

/// A value that changed in a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `t0`, `sstatus`, `mem[0x80202000]`, `priv`.
    pub what: String,
    pub old: u64,
    pub new: u64,
    /// Which fields changed (`SIE 1 -> 0`), for CSRs.
    pub detail: String,
}

/// Why the guest stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A single step (or several) finished.
    Step,
    Breakpoint {
        number: u32,
        temporary: bool,
    },
    Watch {
        number: u32,
        /// `*0x80202000` or `$sstatus`.
        what: String,
        kind: &'static str,
        old: Option<u64>,
        new: u64,
    },
    Catch {
        number: u32,
        record: TrapRecord,
    },
    /// The monitor gave the hart to another guest (`catch switch`).
    Switch {
        number: u32,
        from: Option<String>,
        to: String,
    },
    /// `finish`/`until`/`advance` got where it was going.
    Arrived(&'static str),
    /// The guest ended (or was stopped by the monitor or firmware).
    Ended {
        guest: String,
        how: String,
    },
    /// A user's interrupt (Ctrl-C).
    Interrupted,
    /// Going back reached the start of the history.
    HistoryStart,
    /// Going forward reached where history was recorded but the guest
    /// ended before the position asked for.
    HistoryEnd,
}

/// A stop: why, where, what the last step did and what runs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    pub reason: StopReason,
    /// Which guest (under the monitor), by name.
    pub guest: Option<String>,
    pub privilege: Priv,
    /// With `stepi`: the instructions run, what changed, and the traps,
    /// SBI calls or exits on the way (several with `stepi N` / a trap).
    pub steps: Vec<StepDone>,
    /// The source line of `pc`, if the program has a line table.
    pub source: Option<SourceLine>,
    /// The next instruction.
    pub next: InsnLine,
    /// Going backwards.
    pub reverse: bool,
}

/// One event of a step: an instruction, or a trap/exit, and its effects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepDone {
    Insn {
        insn: InsnLine,
        changes: Vec<Change>,
    },
    Trap {
        record: TrapRecord,
        changes: Vec<Change>,
    },
}

/// A register in `info registers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegRow {
    pub name: String,
    pub value: u64,
    /// `<symbol+off>` for addresses, or the privilege's name.
    pub note: String,
}

/// A CSR in `info csrs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrLine {
    pub name: &'static str,
    pub value: u64,
    pub real: Option<u64>,
    pub fields: String,
}

/// One row of `info breakpoints`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakRow {
    pub number: u32,
    /// `breakpoint`, `hw watchpoint`, `read watchpoint`, `acc watchpoint`,
    /// `catchpoint`.
    pub kind: &'static str,
    pub temporary: bool,
    pub enabled: bool,
    pub address: Option<u64>,
    pub what: String,
    pub condition: Option<String>,
    pub hits: u64,
    pub ignore: u64,
}

/// One line of `x`: an address and the units there, formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemLine {
    pub addr: u64,
    pub label: Option<String>,
    pub items: Vec<String>,
}

/// What a command answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A sentence: "Breakpoint 1 at ...", "Continuing.", ...
    Message(String),
    /// Text exactly as given (`echo`).
    Raw(String),
    Stop(Box<Stop>),
    Registers(Vec<RegRow>),
    /// CSRs; under the monitor, `real` beside the guest's virtual ones.
    Csrs {
        monitor: bool,
        rows: Vec<CsrLine>,
    },
    Memory(Vec<MemLine>),
    /// `x/i` and `disassemble`.
    Code {
        title: Option<String>,
        lines: Vec<InsnLine>,
    },
    Source(Vec<SourceLine>),
    Translation(Translation),
    Breakpoints(Vec<BreakRow>),
    Guests {
        focus: usize,
        current: Option<usize>,
        guests: Vec<GuestInfo>,
        /// Under the monitor, its strategy and ISA
        /// ([`crate::target::Target::virtualization`]).
        monitor: Option<String>,
    },
    Exits {
        guest: String,
        counts: Vec<(String, u64)>,
    },
    Traps(Vec<TrapRecord>),
    History {
        now: u64,
        info: HistoryInfo,
    },
    /// `print`: `$N = text`.
    Value {
        number: usize,
        text: String,
    },
    /// Help text.
    Help(String),
    /// Console output of a guest (already printed as it came; this is the
    /// whole of it, for `info console`).
    Console {
        guest: String,
        text: String,
    },
}
