//! The native machine: one hart, the devices of book/src/machine.md, and the
//! supervisor execution environment (SEE) that plays M-mode firmware.
//!
//! The guest runs in real S-mode. The SEE sets up book/src/machine.md's "State at
//! entry", delegates every exception but an S-mode `ecall` and every S-level
//! interrupt to the guest, and then drives the hart as a visible state
//! machine (as Firecracker's `vcpu.rs` does):
//!
//! ```text
//! loop { match hart.run(&mut devices, budget) { Exit::X => handle_x(..), .. } }
//! ```
//!
//! with one small free function per exit reason, each unit-tested with a
//! synthetic exit, returning a [`Flow`] the loop acts on. One turn of the
//! loop is [`Machine::step`], public so that a debugger can run the machine
//! an exit (or one instruction) at a time and see which handler ran;
//! [`Machine::run`] is the loop itself. The result of a run is a
//! [`RunReport`]: how the guest ended (or why it was stopped) and what it
//! cost.

use std::fmt;
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::devices::{Console, DeviceState, Ended, NativeDevices};
use crate::hart::{Digest, Exit, Hart, HartStats, Priv};
use crate::image::Image;
use crate::port::{HartPort, PhysAddr};
use crate::privileged::Sleep;
use crate::sbi::{self, Fence, SbiCall, SbiEnv, SbiRet};
use crate::storm::Storm;
use crate::trap::{Exception, Interrupt, Trap};

pub use crate::privileged::{MCOUNTEREN, MEDELEG, MIDELEG};

/// How many times one trap cause happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapCount {
    /// The `scause` value (top bit set for interrupts).
    pub cause: u64,
    pub name: &'static str,
    pub count: u64,
}

impl TrapCount {
    /// The causes that happened, from what a hart counted.
    pub fn of(stats: &HartStats) -> Vec<TrapCount> {
        let exceptions = Exception::ALL.iter().map(|&e| TrapCount {
            cause: e.code(),
            name: e.name(),
            count: stats.exceptions[e.code() as usize],
        });
        let interrupts = [
            Interrupt::SupervisorSoftware,
            Interrupt::SupervisorTimer,
            Interrupt::SupervisorExternal,
        ]
        .into_iter()
        .map(|i| TrapCount {
            cause: Trap::Interrupt(i).cause_bits(),
            name: i.name(),
            count: stats.interrupts[i.code() as usize],
        });
        exceptions
            .chain(interrupts)
            .filter(|t| t.count > 0)
            .collect()
    }
}

/// Why the SEE stopped a guest that did not end by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `--max-instructions` retired.
    InstructionLimit { limit: u64 },
    /// `wfi` with nothing that can ever wake the hart.
    Hang { pc: u64, why: &'static str },
    /// The same trap at the same `pc` over and over without progress.
    TrapStorm(Storm),
    /// A trap reached M-mode that the SEE never leaves undelegated.
    UnexpectedTrap { trap: Trap, pc: u64 },
    /// The hart stopped at a breakpoint the SEE never set.
    UnexpectedBreakpoint { pc: u64 },
    /// The console's output (or another output sharing its
    /// [`crate::devices::Hangup`]) is a pipe whose reader went away: nobody
    /// reads what the run says any more.
    OutputClosed,
}

/// How a run finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest ended itself (finisher, SBI shutdown/reset).
    Ended(Ended),
    /// The SEE stopped it.
    Stopped(StopReason),
}

/// Process exit statuses of `trapvisor run` for guests that were stopped
/// (a guest that ends gives its own code, see [`Outcome::exit_status`]).
pub mod status {
    /// Bad input: missing file, not an ELF, assembly error, bad flag.
    pub const BAD_INPUT: u8 = 2;
    /// A trap or breakpoint the SEE never expects natively (a trapvisor
    /// bug, not the guest's): `EX_SOFTWARE` of sysexits.h.
    pub const INTERNAL: u8 = 70;
    /// The instruction limit was reached (as `timeout(1)`).
    pub const INSTRUCTION_LIMIT: u8 = 124;
    /// The guest hung in `wfi`.
    pub const HANG: u8 = 125;
    /// The guest stormed traps.
    pub const TRAP_STORM: u8 = 126;
    /// An output of the run was a closed pipe: the status a shell shows
    /// for a program killed by SIGPIPE (128 + 13), as `yes | head` does.
    pub const OUTPUT_CLOSED: u8 = 141;
}

impl Outcome {
    /// The process exit status for this outcome: the guest's code, capped
    /// at 255 so that a failure never wraps around to 0, or the
    /// [`status`] of the stop reason.
    pub fn exit_status(&self) -> u8 {
        match self {
            Outcome::Ended(end) => end.code.min(255) as u8,
            Outcome::Stopped(StopReason::InstructionLimit { .. }) => status::INSTRUCTION_LIMIT,
            Outcome::Stopped(StopReason::Hang { .. }) => status::HANG,
            Outcome::Stopped(StopReason::TrapStorm(_)) => status::TRAP_STORM,
            Outcome::Stopped(StopReason::OutputClosed) => status::OUTPUT_CLOSED,
            Outcome::Stopped(
                StopReason::UnexpectedTrap { .. } | StopReason::UnexpectedBreakpoint { .. },
            ) => status::INTERNAL,
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::InstructionLimit { limit } => write!(
                f,
                "instruction limit reached: stopped after {limit} instructions (raise it with --max-instructions, 0 = no limit)"
            ),
            StopReason::Hang { pc, why } => write!(f, "guest hung at pc {pc:#x}: {why}"),
            StopReason::TrapStorm(storm) => write!(f, "{storm}"),
            StopReason::UnexpectedTrap { trap, pc } => write!(
                f,
                "unexpected trap into the SEE at pc {pc:#x}: {trap} (natively it should have been delegated to S-mode; a trapvisor bug)"
            ),
            StopReason::OutputClosed => write!(f, "stopped: the output pipe was closed"),
            StopReason::UnexpectedBreakpoint { pc } => {
                write!(f, "unexpected breakpoint at pc {pc:#x} (none was set; a trapvisor bug)")
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ended(end) => end.fmt(f),
            Outcome::Stopped(reason) => reason.fmt(f),
        }
    }
}

/// What a run did: its outcome and its cost.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    pub outcome: Outcome,
    /// Retired instructions.
    pub instructions: u64,
    /// Traps taken, by cause.
    pub traps: Vec<TrapCount>,
    /// The trace digest (meaningful when the digest was turned on).
    pub digest: Digest,
    pub wall: Duration,
    /// Pages of guest code translated to host code (0: interpreted only).
    pub translated_pages: u64,
}

impl RunReport {
    /// Millions of retired instructions per wall-clock second.
    pub fn mips(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.instructions as f64 / secs / 1e6
        } else {
            0.0
        }
    }

    /// The `--stats` text: instructions, traps by cause, wall time, MIPS
    /// and the digest, one fact a line.
    pub fn stats_text(&self) -> String {
        let mut s = format!("instructions retired: {}\n", self.instructions);
        let total: u64 = self.traps.iter().map(|t| t.count).sum();
        s += &format!("traps: {total}\n");
        for t in self.traps.iter().filter(|t| t.count > 0) {
            s += &format!("  {:>10}  {} (scause {:#x})\n", t.count, t.name, t.cause);
        }
        s += &format!("wall time: {:.3} s\n", self.wall.as_secs_f64());
        // The digest costs time on every instruction: say that this speed
        // includes it, so that nobody takes it for the plain run's.
        s += &format!("speed: {:.1} MIPS (with the trace digest)\n", self.mips());
        // Whether hot code ran translated (0 with --interpret, or where the
        // host cannot translate): the speed depends on it.
        s += &format!("translated pages: {}\n", self.translated_pages);
        s += &format!(
            "trace digest: {} over {} instructions\n",
            self.digest, self.digest.count
        );
        s
    }
}

/// The largest number of instructions one `hart.run` call gets: the SEE
/// looks up (flushes the console, checks the limit) at least this often.
pub const SLICE: u64 = 1 << 20;

/// The native machine: a hart, its devices, and the SEE.
pub struct Machine<H: HartPort = Hart> {
    pub hart: H,
    pub devices: NativeDevices,
    /// Stop after this many retired instructions; 0 = no limit.
    pub max_instructions: u64,
    /// How the run ended, once it has: the machine runs no further.
    pub outcome: Option<Outcome>,
}

/// Which of the firmware's handlers answered an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    SbiCall,
    UnexpectedTrap,
    Wfi,
    Budget,
    Device,
    TrapStorm,
    Breakpoint,
}

impl Handler {
    /// The handler's function name (what a debugger shows).
    pub fn name(self) -> &'static str {
        match self {
            Handler::SbiCall => "handle_sbi_call",
            Handler::UnexpectedTrap => "handle_unexpected_trap",
            Handler::Wfi => "handle_wfi",
            Handler::Budget => "handle_budget_exhausted",
            Handler::Device => "handle_device",
            Handler::TrapStorm => "handle_trap_storm",
            Handler::Breakpoint => "handle_breakpoint",
        }
    }
}

/// What one [`Machine::step`] did: the instructions the hart retired, the
/// exit it stopped with, the handler that answered it, and whether the run
/// goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub retired: u64,
    pub exit: Exit,
    pub handler: Handler,
    pub flow: Flow,
}

/// Everything a machine is at one instant, to go back to
/// ([`Machine::snapshot`], [`Machine::restore`]): the hart whole (RAM
/// included) and the devices' registers. The console's sinks are not in
/// it: output already printed stays printed, and input is the caller's to
/// replay (a debugger records what the guest read).
#[derive(Clone, Debug)]
pub struct Snapshot<H> {
    pub hart: H,
    pub devices: DeviceState,
    pub outcome: Option<Outcome>,
}

impl<H: HartPort> Machine<H> {
    /// A machine with the SEE's M-mode set-up done and the hart in
    /// book/src/machine.md's state at entry, `pc` = `entry`.
    pub fn new(mut hart: H, console: Console, entry: u64) -> Machine<H> {
        let arch = hart.arch_mut();
        arch.core.csr.medeleg = MEDELEG;
        arch.core.csr.mideleg = MIDELEG;
        arch.core.csr.mcounteren = MCOUNTEREN;
        arch.core.privilege = Priv::Supervisor;
        arch.pc = entry;
        arch.x[10] = 0; // a0: hart id
        arch.x[11] = 0; // a1: no device tree until `boot` (or the caller) puts one in RAM
        arch.core.timecmp = u64::MAX;
        Machine {
            hart,
            devices: NativeDevices::new(console),
            max_instructions: 0,
            outcome: None,
        }
    }

    /// Makes the machine the ISA variant `isa` ([`crate::privileged::Isa`]:
    /// the standard privileged architecture, or the leaky one of the
    /// Popek–Goldberg lab). A guest kernel in S-mode sees no difference;
    /// its U-mode code does.
    pub fn set_isa(&mut self, isa: crate::privileged::Isa) {
        self.hart.arch_mut().core.isa = isa;
    }

    /// Copies a loadable segment into RAM, zero-filling up to `mem_size`.
    /// False if it does not fit in RAM (the image loader checks first).
    pub fn load_segment(&mut self, addr: u64, data: &[u8], mem_size: u64) -> bool {
        let Some(end) = addr.checked_add(mem_size.max(data.len() as u64)) else {
            return false;
        };
        let ram = self.hart.ram_range();
        if addr < ram.start || end > ram.end {
            return false;
        }
        if !self.hart.write_phys(PhysAddr(addr), data) {
            return false;
        }
        // The zeros up to `mem_size` (`.bss`), a page at a time, written
        // only where RAM is not zero already: a fresh machine's RAM is, and
        // its pages then stay untouched (`crate::ram`).
        const ZEROS: [u8; 4096] = [0; 4096];
        let mut page = [0u8; 4096];
        let mut at = addr + data.len() as u64;
        while at < end {
            let n = (end - at).min(4096 - at % 4096) as usize;
            if !self.hart.read_phys(PhysAddr(at), &mut page[..n]) {
                return false;
            }
            if page[..n] != ZEROS[..n] && !self.hart.write_phys(PhysAddr(at), &ZEROS[..n]) {
                return false;
            }
            at += n as u64;
        }
        true
    }

    /// The budget for the next `hart.run`: at most `most`, and what is left
    /// before the instruction limit.
    fn budget(&self, most: u64) -> u64 {
        if self.max_instructions == 0 {
            most
        } else {
            self.max_instructions
                .saturating_sub(self.hart.arch().core.instret)
                .clamp(1, most)
        }
    }

    /// One turn of the SEE's loop: runs the hart for at most `budget`
    /// retired instructions (and no further than the instruction limit),
    /// then answers the exit it stopped with. `budget` 1 runs one guest
    /// instruction at a time (or takes one interrupt, or answers one SBI
    /// call). Once the run has ended, every step says so again.
    pub fn step(&mut self, budget: u64) -> Step {
        if let Some(outcome) = self.outcome {
            return Step {
                retired: 0,
                exit: Exit::BudgetExhausted,
                handler: Handler::Budget,
                flow: Flow::Stop(outcome),
            };
        }
        // Nobody reads the output any more (a closed pipe): end quietly.
        if self.devices.uart.console.hung_up() {
            let outcome = Outcome::Stopped(StopReason::OutputClosed);
            self.outcome = Some(outcome);
            return Step {
                retired: 0,
                exit: Exit::BudgetExhausted,
                handler: Handler::Budget,
                flow: Flow::Stop(outcome),
            };
        }
        let before = self.hart.arch().core.instret;
        let budget = self.budget(budget.max(1));
        let exit = self.hart.run(&mut self.devices, budget);
        let retired = self.hart.arch().core.instret - before;
        let (handler, flow) = self.answer(exit);
        if let Flow::Stop(outcome) = flow {
            self.devices.uart.console.flush();
            self.outcome = Some(outcome);
        }
        Step {
            retired,
            exit,
            handler,
            flow,
        }
    }

    /// What the SEE does about one exit of the hart (a debugger that runs
    /// the hart itself calls it for every exit it does not keep).
    pub fn handle_exit(&mut self, exit: Exit) -> Flow {
        self.answer(exit).1
    }

    /// The handler for `exit`, and what it says.
    fn answer(&mut self, exit: Exit) -> (Handler, Flow) {
        match exit {
            // An `ecall` from S-mode is the one exception the SEE keeps
            // (medeleg bit 9 clear): it is an SBI call to M-mode.
            Exit::Trap(Trap::Exception {
                cause: Exception::EcallFromS,
                ..
            }) => (
                Handler::SbiCall,
                handle_sbi_call(&mut self.hart, &mut self.devices),
            ),
            // Everything else is delegated natively; a trap here means
            // the delegation and the hart disagree.
            Exit::Trap(trap) => (
                Handler::UnexpectedTrap,
                handle_unexpected_trap(trap, self.hart.arch().pc),
            ),
            // `wfi` with no locally enabled interrupt pending: sleep
            // until the timer can wake the hart, if it ever can.
            Exit::Wfi => (Handler::Wfi, handle_wfi(&mut self.hart)),
            // The slice (or the limit) is used up.
            Exit::BudgetExhausted => {
                self.devices.uart.console.flush();
                let instret = self.hart.arch().core.instret;
                (
                    Handler::Budget,
                    handle_budget_exhausted(instret, self.max_instructions),
                )
            }
            // The test finisher was written.
            Exit::Device => (Handler::Device, handle_device(&self.devices)),
            // The hart saw the same exception at the same pc repeat.
            Exit::TrapStorm(storm) => (Handler::TrapStorm, handle_trap_storm(storm)),
            // The SEE sets no breakpoints or debug stops (a debugger keeps
            // those exits for itself).
            Exit::Breakpoint | Exit::Debug(_) => {
                (Handler::Breakpoint, handle_breakpoint(self.hart.arch().pc))
            }
        }
    }

    /// Runs the guest until it ends or is stopped: [`Machine::step`] a
    /// slice at a time.
    pub fn run(&mut self) -> RunReport {
        let start = Instant::now();
        let outcome = loop {
            if let Flow::Stop(outcome) = self.step(SLICE).flow {
                break outcome;
            }
        };
        self.devices.uart.console.flush();
        RunReport {
            outcome,
            instructions: self.hart.arch().core.instret,
            traps: TrapCount::of(&self.hart.stats()),
            digest: self.hart.digest(),
            wall: start.elapsed(),
            translated_pages: self.hart.translated_pages(),
        }
    }
}

impl<H: HartPort + Clone> Machine<H> {
    /// The whole machine as it is now (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot<H> {
        Snapshot {
            hart: self.hart.clone(),
            devices: self.devices.state(),
            outcome: self.outcome,
        }
    }

    /// Puts the machine back as it was at `snap`.
    pub fn restore(&mut self, snap: &Snapshot<H>) {
        self.hart = snap.hart.clone();
        self.devices.set_state(&snap.devices);
        self.outcome = snap.outcome;
    }
}

/// What the run loop does after an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop(Outcome),
}

/// The SBI as the native SEE provides it: over the hart's RAM and timer
/// and the UART's console.
struct NativeSbiEnv<'a, H: HartPort> {
    hart: &'a mut H,
    devices: &'a mut NativeDevices,
}

impl<H: HartPort> SbiEnv for NativeSbiEnv<'_, H> {
    fn console_write(&mut self, bytes: &[u8]) {
        self.devices.uart.console.write(bytes);
    }
    fn console_read(&mut self) -> Option<u8> {
        self.devices.uart.console.read()
    }
    fn set_timer(&mut self, stime: u64) {
        self.hart.arch_mut().core.set_timer(stime);
    }
    fn end(&mut self, end: Ended) {
        self.devices.sbi_ended.get_or_insert(end);
    }
    fn raise_software_interrupt(&mut self) {
        self.hart.arch_mut().core.csr.mip |= Interrupt::SupervisorSoftware.bit();
    }
    fn fence(&mut self, fence: Fence) {
        self.hart.fence(fence);
    }
    fn is_ram(&self, pa: u64, len: u64) -> bool {
        let ram = self.hart.ram_range();
        pa >= ram.start && pa.checked_add(len).is_some_and(|end| end <= ram.end)
    }
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.hart.read_phys(PhysAddr(pa), buf)
    }
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        self.hart.write_phys(PhysAddr(pa), data)
    }
}

/// `ecall` from S-mode: an SBI call (a7 = extension, a6 = function,
/// a0..a5 = arguments). The results go to a0/a1 and the guest resumes after
/// the `ecall` (`pc += 4`, as M-mode firmware does with `mepc`), unless the
/// call ended the guest.
pub fn handle_sbi_call(hart: &mut impl HartPort, devices: &mut NativeDevices) -> Flow {
    let call = SbiCall::from_regs(&hart.arch().x);
    let pc = hart.arch().pc;
    let ret = sbi::handle(call, &mut NativeSbiEnv { hart, devices });
    tracing::debug!(target: "cpu::sbi", "pc {pc:#x}: SBI {call}: {ret}");
    match ret {
        SbiRet::Ended => match devices.ended() {
            Some(end) => Flow::Stop(Outcome::Ended(end)),
            None => Flow::Continue,
        },
        // HSM hart_stop: no other hart can ever start this one again.
        SbiRet::HartStopped => Flow::Stop(Outcome::Stopped(StopReason::Hang {
            pc,
            why: "the only hart stopped itself (SBI HSM hart_stop) and no other hart can start it again",
        })),
        // HSM hart_suspend (retentive): returns 0 once the hart wakes, and
        // it sleeps as in `wfi`, unless an interrupt enabled in `sie` is
        // already pending ([`handle_wfi`] tells).
        SbiRet::Suspend => {
            let arch = hart.arch_mut();
            ret.write_to(&mut arch.x);
            arch.x[0] = 0;
            arch.pc = pc.wrapping_add(4);
            handle_wfi(hart)
        }
        ret => {
            let arch = hart.arch_mut();
            ret.write_to(&mut arch.x);
            arch.x[0] = 0;
            arch.pc = arch.pc.wrapping_add(4);
            Flow::Continue
        }
    }
}

/// A trap that M-mode was not meant to see: natively the SEE delegates
/// every exception but an S-mode `ecall`, and no code runs in M-mode to
/// `ecall` from it. Stop the guest rather than guess.
pub fn handle_unexpected_trap(trap: Trap, pc: u64) -> Flow {
    Flow::Stop(Outcome::Stopped(StopReason::UnexpectedTrap { trap, pc }))
}

/// `wfi` retired with no locally enabled interrupt pending (privileged spec
/// 3.3.3: the hart waits for an interrupt enabled in `sie`, whatever
/// `sstatus.SIE` says): sleep until the timer, or hang when nothing can
/// wake the hart ([`crate::privileged::Core::sleep_in_wfi`], the same rule
/// the monitor applies to each guest).
pub fn handle_wfi(hart: &mut impl HartPort) -> Flow {
    let pc = hart.arch().pc;
    match hart.arch_mut().core.sleep_in_wfi() {
        Sleep::Pending => Flow::Continue,
        Sleep::Slept { ticks, until } => {
            tracing::debug!(target: "cpu::sbi", "pc {pc:#x}: wfi: sleeps {ticks} ticks, until time {until}");
            Flow::Continue
        }
        Sleep::Hang { why } => Flow::Stop(Outcome::Stopped(StopReason::Hang { pc, why })),
    }
}

/// The budget of one `run` is used up: stop if that was the instruction
/// limit (`limit` 0 = none), else carry on with the next slice.
pub fn handle_budget_exhausted(instret: u64, limit: u64) -> Flow {
    if limit != 0 && instret >= limit {
        Flow::Stop(Outcome::Stopped(StopReason::InstructionLimit { limit }))
    } else {
        Flow::Continue
    }
}

/// A device asked for attention: the finisher ended the guest (a store
/// that ended nothing, e.g. an unknown value, changes nothing).
pub fn handle_device(devices: &NativeDevices) -> Flow {
    match devices.ended() {
        Some(end) => Flow::Stop(Outcome::Ended(end)),
        None => Flow::Continue,
    }
}

/// The same exception at the same `pc`, over and over, with nothing
/// retiring (e.g. `stvec` pointing at unmapped memory): the guest can make
/// no progress, so stop it and say where.
pub fn handle_trap_storm(storm: Storm) -> Flow {
    Flow::Stop(Outcome::Stopped(StopReason::TrapStorm(storm)))
}

/// A breakpoint the native SEE never sets.
pub fn handle_breakpoint(pc: u64) -> Flow {
    Flow::Stop(Outcome::Stopped(StopReason::UnexpectedBreakpoint { pc }))
}

/// Why an image cannot boot on a machine of a given RAM size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BootError {
    #[error(
        "segment at {addr:#x} ({size:#x} bytes) does not fit in RAM {ram_start:#x}..{ram_end:#x}"
    )]
    SegmentOutsideRam {
        addr: u64,
        size: u64,
        ram_start: u64,
        ram_end: u64,
    },
    /// The host cannot reserve the guest's RAM.
    #[error("guest RAM: {0}")]
    Memory(#[from] crate::ram::RamError),
}

impl Machine<Hart> {
    /// A native machine with `ram_size` bytes of RAM, `image` loaded and
    /// the hart at its entry point: ready to [`Machine::run`].
    pub fn boot(
        image: &Image,
        ram_size: u64,
        console: Console,
    ) -> Result<Machine<Hart>, BootError> {
        let mut machine = Machine::new(Hart::with_ram(ram_size)?, console, image.entry);
        for seg in &image.segments {
            if !machine.load_segment(seg.addr, &seg.data, seg.mem_size) {
                let ram = machine.hart.ram_range();
                return Err(BootError::SegmentOutsideRam {
                    addr: seg.addr,
                    size: seg.mem_size,
                    ram_start: ram.start,
                    ram_end: ram.end,
                });
            }
        }
        machine.install_dtb(&crate::fdt::occupied(image));
        Ok(machine)
    }
}

impl<H: HartPort> Machine<H> {
    /// Writes the machine's device tree into RAM, clear of `occupied` (the
    /// image), and points `a1` at it, as QEMU and OpenSBI do (book: "State
    /// at entry"). If the image leaves no room, `a1` stays 0 (`trapvisor
    /// run` refuses such an image before it gets here).
    pub fn install_dtb(&mut self, occupied: &[Range<u64>]) {
        let ram = self.hart.ram_range();
        let Some(dtb) = crate::fdt::for_image(ram.end - ram.start, occupied) else {
            return;
        };
        if self.hart.write_phys(PhysAddr(dtb.addr), &dtb.blob) {
            self.hart.arch_mut().x[11] = dtb.addr;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::ArchState;
    use crate::devices::{EndHow, SharedBuffer};
    use crate::hart::Devices;
    use crate::sbi::ext;
    use std::collections::VecDeque;

    const RAM: u64 = 0x8000_0000;

    /// A hart that returns scripted exits and retires `step` instructions
    /// per `run` call; everything else is plain state.
    struct ScriptHart {
        exits: VecDeque<Exit>,
        step: u64,
        arch: ArchState,
        ram: Vec<u8>,
        budgets: Vec<u64>,
        /// Device stores to make during a run: (which call, pa, size, value).
        stores: Vec<(usize, u64, u8, u64)>,
        /// The SBI's fences, in order.
        fences: Vec<Fence>,
    }

    impl ScriptHart {
        fn new(exits: impl IntoIterator<Item = Exit>) -> ScriptHart {
            let mut core = crate::privileged::Core::reset();
            core.privilege = Priv::User;
            core.csr.mstatus = 0;
            ScriptHart {
                exits: exits.into_iter().collect(),
                step: 10,
                arch: ArchState::new(core),
                ram: vec![0; 0x1000],
                budgets: Vec::new(),
                stores: Vec::new(),
                fences: Vec::new(),
            }
        }

        fn time(&self) -> u64 {
            self.arch.core.time()
        }
    }

    impl HartPort for ScriptHart {
        fn with_ram(_: u64) -> Result<ScriptHart, crate::ram::RamError> {
            Ok(ScriptHart::new([]))
        }
        fn arch(&self) -> &ArchState {
            &self.arch
        }
        fn arch_mut(&mut self) -> &mut ArchState {
            &mut self.arch
        }
        fn run<D: Devices>(&mut self, devices: &mut D, budget: u64) -> Exit {
            let call = self.budgets.len();
            self.budgets.push(budget);
            for &(when, pa, size, value) in &self.stores {
                if when == call {
                    devices.store(pa, size, value);
                }
            }
            match self.exits.pop_front() {
                Some(Exit::BudgetExhausted) | None => {
                    self.arch.core.instret += budget;
                    Exit::BudgetExhausted
                }
                Some(exit) => {
                    self.arch.core.instret += self.step.min(budget);
                    exit
                }
            }
        }
        fn retire_emulated(&mut self, _bits: u32) {
            self.arch.core.instret += 1;
        }
        fn digest(&self) -> Digest {
            Digest::new()
        }
        fn restore_digest(&mut self, _: Digest) {}
        fn set_digest(&mut self, _on: bool) {}
        fn set_trace_insns(&mut self, _on: bool) {}
        fn set_translation(&mut self, _on: bool) {}
        fn flush_tlb(&mut self) {}
        fn read_phys(&self, pa: PhysAddr, buf: &mut [u8]) -> bool {
            let at = ram_offsets(pa.0, buf.len());
            match at.and_then(|r| self.ram.get(r)) {
                Some(src) => {
                    buf.copy_from_slice(src);
                    true
                }
                None => false,
            }
        }
        fn fence(&mut self, fence: Fence) {
            self.fences.push(fence);
        }
        fn write_phys(&mut self, pa: PhysAddr, data: &[u8]) -> bool {
            let at = ram_offsets(pa.0, data.len());
            match at.and_then(|r| self.ram.get_mut(r)) {
                Some(dst) => {
                    dst.copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
        fn ram_range(&self) -> std::ops::Range<u64> {
            RAM..RAM + self.ram.len() as u64
        }
        fn breakpoint_at(&self, _va: u64) -> bool {
            false
        }
    }

    /// The offsets in `ScriptHart::ram` of `len` bytes at `pa` (unchecked
    /// against its length: `get` does that).
    fn ram_offsets(pa: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let off = pa.checked_sub(RAM)? as usize;
        Some(off..off + len)
    }

    fn machine(exits: impl IntoIterator<Item = Exit>) -> (Machine<ScriptHart>, SharedBuffer) {
        let (console, out) = Console::buffered(b"");
        (
            Machine::new(ScriptHart::new(exits), console, RAM + 0x100),
            out,
        )
    }

    fn ecall() -> Exit {
        Exit::Trap(Trap::Exception {
            cause: Exception::EcallFromS,
            tval: 0,
        })
    }

    #[test]
    fn entry_state_delegates_all_but_s_ecall_and_runs_in_s_mode() {
        let (m, _) = machine([]);
        assert_eq!(m.hart.arch.pc, RAM + 0x100);
        assert_eq!(m.hart.arch.core.privilege, Priv::Supervisor);
        assert_eq!(
            m.hart.arch.core.csr.medeleg, 0xb1ff,
            "all but causes 9 and 11"
        );
        assert_eq!(m.hart.arch.core.csr.mideleg, 0x222);
        assert_eq!(m.hart.arch.core.csr.mcounteren, 0b111);
        assert_eq!((m.hart.arch.x[10], m.hart.arch.x[11]), (0, 0));
        assert_eq!(m.hart.arch.core.timecmp, u64::MAX);
    }

    #[test]
    fn load_segment_copies_and_zero_fills_inside_ram_only() {
        let (mut m, _) = machine([]);
        m.hart.ram[0x10..0x20].fill(0xaa);
        assert!(m.load_segment(RAM + 0x10, b"abc", 8));
        assert_eq!(&m.hart.ram[0x10..0x19], b"abc\0\0\0\0\0\xaa");
        assert!(!m.load_segment(RAM + 0xffe, b"abc", 3));
        assert!(!m.load_segment(0x1000, b"a", 1));
        assert!(!m.load_segment(u64::MAX, b"a", 1));
    }

    #[test]
    fn sbi_call_answers_in_a0_a1_and_steps_past_the_ecall() {
        let (mut m, _) = machine([]);
        m.hart.arch.x[17] = ext::BASE;
        m.hart.arch.x[16] = 0;
        let pc = m.hart.arch.pc;
        assert_eq!(handle_sbi_call(&mut m.hart, &mut m.devices), Flow::Continue);
        assert_eq!((m.hart.arch.x[10], m.hart.arch.x[11]), (0, 0x0200_0000));
        assert_eq!(m.hart.arch.pc, pc + 4);
    }

    #[test]
    fn sbi_console_write_reaches_the_uart_console() {
        let (mut m, out) = machine([]);
        m.hart.ram[0..3].copy_from_slice(b"ok\n");
        m.hart.arch.x[17] = ext::DBCN;
        m.hart.arch.x[10] = 3;
        m.hart.arch.x[11] = RAM;
        handle_sbi_call(&mut m.hart, &mut m.devices);
        assert_eq!((m.hart.arch.x[10], m.hart.arch.x[11]), (0, 3));
        assert_eq!(out.contents(), b"ok\r\n");
    }

    #[test]
    fn sbi_set_timer_sets_the_deadline_and_clears_stip() {
        let (mut m, _) = machine([]);
        m.hart.arch.core.csr.mip = Interrupt::SupervisorTimer.bit();
        m.hart.arch.x[17] = ext::TIME;
        m.hart.arch.x[10] = 5000;
        handle_sbi_call(&mut m.hart, &mut m.devices);
        assert_eq!(m.hart.arch.core.timecmp, 5000);
        assert_eq!(m.hart.arch.core.csr.mip, 0);
    }

    #[test]
    fn sbi_shutdown_stops_with_the_reason_code_and_leaves_pc() {
        let (mut m, _) = machine([]);
        m.hart.arch.x[17] = ext::SRST;
        m.hart.arch.x[10] = 0;
        m.hart.arch.x[11] = 1;
        let pc = m.hart.arch.pc;
        let flow = handle_sbi_call(&mut m.hart, &mut m.devices);
        assert_eq!(
            flow,
            Flow::Stop(Outcome::Ended(Ended {
                code: 1,
                how: EndHow::SbiShutdown
            }))
        );
        assert_eq!(m.hart.arch.pc, pc);
    }

    #[test]
    fn unexpected_trap_stops_and_names_it() {
        let trap = Trap::Exception {
            cause: Exception::EcallFromM,
            tval: 0,
        };
        let Flow::Stop(outcome) = handle_unexpected_trap(trap, 0x8020_0004) else {
            panic!("must stop");
        };
        assert_eq!(outcome.exit_status(), status::INTERNAL);
        let msg = outcome.to_string();
        assert!(msg.contains("environment call from M-mode"), "{msg}");
        assert!(msg.contains("0x80200004"), "{msg}");
    }

    #[test]
    fn wfi_without_timer_is_a_hang() {
        let mut hart = ScriptHart::new([]);
        hart.arch.pc = 0x8020_0010;
        let Flow::Stop(outcome) = handle_wfi(&mut hart) else {
            panic!("must stop");
        };
        assert_eq!(outcome.exit_status(), status::HANG);
        assert_eq!(
            outcome.to_string(),
            "guest hung at pc 0x80200010: wfi with no timer set and interrupts that can never arrive"
        );
    }

    #[test]
    fn wfi_with_timer_disabled_in_sie_is_a_hang() {
        let mut hart = ScriptHart::new([]);
        hart.arch.core.timecmp = 1000;
        let flow = handle_wfi(&mut hart);
        assert!(matches!(
            flow,
            Flow::Stop(Outcome::Stopped(StopReason::Hang { why, .. })) if why.contains("STIE")
        ));
    }

    #[test]
    fn wfi_with_timer_sleeps_to_the_deadline() {
        let mut hart = ScriptHart::new([]);
        hart.arch.core.instret = 100;
        hart.arch.core.timecmp = 1000;
        hart.arch.core.csr.mie = Interrupt::SupervisorTimer.bit();
        assert_eq!(handle_wfi(&mut hart), Flow::Continue);
        assert_eq!(hart.time(), 1000);
        assert_eq!(hart.arch.core.instret, 100, "sleeping retires nothing");
        // Already past the deadline: no time travel backwards.
        assert_eq!(handle_wfi(&mut hart), Flow::Continue);
        assert_eq!(hart.time(), 1000);
    }

    #[test]
    fn budget_exhausted_stops_only_at_the_limit() {
        assert_eq!(handle_budget_exhausted(500, 0), Flow::Continue);
        assert_eq!(handle_budget_exhausted(500, 1000), Flow::Continue);
        let flow = handle_budget_exhausted(1000, 1000);
        let Flow::Stop(outcome) = flow else {
            panic!("must stop");
        };
        assert_eq!(outcome.exit_status(), 124);
        assert!(outcome.to_string().contains("instruction limit reached"));
    }

    #[test]
    fn device_exit_reports_the_finisher_end() {
        let (console, _) = Console::buffered(b"");
        let mut devices = NativeDevices::new(console);
        assert_eq!(handle_device(&devices), Flow::Continue);
        devices.store(0x10_0000, 4, 0x0005_3333);
        let Flow::Stop(outcome) = handle_device(&devices) else {
            panic!("must stop");
        };
        assert_eq!(outcome.exit_status(), 5);
    }

    #[test]
    fn trap_storm_names_cause_and_pc() {
        let trap = Trap::Exception {
            cause: Exception::InstructionAccessFault,
            tval: 0,
        };
        let first = Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval: 0x1234,
        };
        let storm = crate::storm::Storm {
            trap,
            pc: 0,
            first,
            first_pc: 0x8020_0000,
        };
        let Flow::Stop(outcome) = handle_trap_storm(storm) else {
            panic!("must stop");
        };
        assert_eq!(outcome.exit_status(), status::TRAP_STORM);
        let msg = outcome.to_string();
        assert!(
            msg.contains("trap storm: instruction access fault"),
            "{msg}"
        );
        assert!(msg.contains("at pc 0x0"), "{msg}");
        assert!(
            msg.contains("began with illegal instruction (cause 2, tval 0x1234) at pc 0x80200000"),
            "{msg}"
        );
    }

    #[test]
    fn exit_codes_above_255_do_not_wrap_to_success() {
        let end = |code| {
            Outcome::Ended(Ended {
                code,
                how: EndHow::FinisherFail,
            })
        };
        assert_eq!(end(0).exit_status(), 0);
        assert_eq!(end(42).exit_status(), 42);
        assert_eq!(end(256).exit_status(), 255);
    }

    #[test]
    fn run_loop_answers_sbi_calls_until_the_finisher_ends_it() {
        let (mut m, out) = machine([ecall(), Exit::BudgetExhausted, Exit::Device]);
        m.hart.arch.x[17] = ext::LEGACY_CONSOLE_PUTCHAR;
        m.hart.arch.x[10] = u64::from(b'A');
        m.hart.stores.push((0, 0x1000_0000, 1, u64::from(b'B')));
        m.hart.stores.push((2, 0x10_0000, 4, 0x0007_3333));
        let report = m.run();
        assert_eq!(report.outcome.exit_status(), 7);
        assert_eq!(out.contents(), b"BA");
        assert_eq!(m.hart.arch.pc, RAM + 0x104, "one ecall stepped over");
        assert_eq!(m.hart.budgets.len(), 3);
    }

    #[test]
    fn run_loop_stops_at_the_instruction_limit_with_exact_budgets() {
        let (mut m, _) = machine([]);
        m.max_instructions = SLICE + 5;
        let report = m.run();
        assert_eq!(
            report.outcome,
            Outcome::Stopped(StopReason::InstructionLimit { limit: SLICE + 5 })
        );
        assert_eq!(report.instructions, SLICE + 5);
        assert_eq!(m.hart.budgets, [SLICE, 5]);
    }

    #[test]
    fn run_loop_sleeps_through_wfi_then_hangs_when_nothing_can_wake() {
        let (mut m, _) = machine([Exit::Wfi, Exit::Wfi]);
        m.hart.arch.core.timecmp = 1_000_000;
        m.hart.arch.core.csr.mie = Interrupt::SupervisorTimer.bit();
        m.hart.exits.insert(1, ecall()); // the guest cancels its timer:
        m.hart.arch.x[17] = ext::TIME;
        m.hart.arch.x[10] = u64::MAX;
        let report = m.run();
        assert_eq!(report.outcome.exit_status(), status::HANG);
        assert!(m.hart.time() >= 1_000_000, "slept to the first deadline");
    }

    #[test]
    fn stats_text_lists_what_a_user_asked_for() {
        let report = RunReport {
            outcome: Outcome::Stopped(StopReason::InstructionLimit { limit: 10 }),
            instructions: 2_000_000,
            traps: vec![TrapCount {
                cause: 9,
                name: "environment call from S-mode",
                count: 3,
            }],
            digest: Digest {
                hash: 0x0123_4567_89ab_cdef,
                count: 2_000_000,
            },
            wall: Duration::from_millis(100),
            translated_pages: 7,
        };
        let text = report.stats_text();
        assert!(text.contains("instructions retired: 2000000"), "{text}");
        assert!(text.contains("3  environment call from S-mode"), "{text}");
        assert!(text.contains("20.0 MIPS"), "{text}");
        assert!(text.contains("translated pages: 7"), "{text}");
        assert!(
            text.contains("trace digest: 0123456789abcdef over 2000000 instructions"),
            "{text}"
        );
    }

    // --- the SEE over the real hart ------------------------------------------

    mod real {
        use super::super::*;
        use crate::devices::SharedBuffer;
        use crate::hart::Hart;
        use crate::isa::{encode, Insn, Op};

        const RAM: u64 = 0x8000_0000;
        const A0: u8 = 10;
        const A1: u8 = 11;
        const A7: u8 = 17;
        const T0: u8 = 5;
        const T1: u8 = 6;

        fn i(op: Op, rd: u8, rs1: u8, imm: i32) -> u32 {
            encode(&Insn::new(op, rd, rs1, 0, imm))
        }
        /// `li rd, v` for a value that fits `lui` + `addiw`.
        fn li(rd: u8, v: i32) -> Vec<u32> {
            let lo = (v << 20) >> 20;
            let hi = v.wrapping_sub(lo);
            let mut w = Vec::new();
            if hi != 0 {
                w.push(encode(&Insn::new(Op::Lui, rd, 0, 0, hi)));
                w.push(i(Op::Addiw, rd, rd, lo));
            } else {
                w.push(i(Op::Addi, rd, 0, lo));
            }
            w
        }
        fn ecall() -> u32 {
            encode(&Insn::new(Op::Ecall, 0, 0, 0, 0))
        }
        fn finish(code: i32) -> Vec<u32> {
            let mut w = li(T0, 0x10_0000);
            w.extend(li(T1, code << 16 | if code == 0 { 0x5555 } else { 0x3333 }));
            w.push(encode(&Insn::new(Op::Sw, 0, T0, T1, 0)));
            w
        }

        fn boot(words: &[u32]) -> (Machine<Hart>, SharedBuffer) {
            let (console, out) = Console::buffered(b"");
            let mut m = Machine::new(Hart::new(1 << 20), console, RAM);
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert!(m.load_segment(RAM, &bytes, bytes.len() as u64));
            m.max_instructions = 1_000_000;
            (m, out)
        }

        #[test]
        fn boot_loads_the_image_and_starts_at_its_entry() {
            use crate::image::{Image, Segment};
            let mut code = li(A7, 8); // legacy shutdown
            code.push(ecall());
            let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
            let image = Image {
                entry: RAM + 0x20_0000,
                segments: vec![Segment {
                    addr: RAM + 0x20_0000,
                    data: bytes,
                    mem_size: 0x1000,
                }],
                symbols: Vec::new(),
            };
            let (console, _) = Console::buffered(b"");
            let mut m = Machine::boot(&image, 4 << 20, console).expect("fits");
            assert_eq!(m.hart.arch.pc, RAM + 0x20_0000);
            let report = m.run();
            assert_eq!(report.outcome.exit_status(), 0, "{}", report.outcome);
            assert_eq!(report.instructions, 1);

            let (console, _) = Console::buffered(b"");
            let err = Machine::boot(&image, 1 << 20, console)
                .err()
                .expect("too small");
            assert!(err.to_string().contains("does not fit in RAM"), "{err}");
        }

        #[test]
        fn sbi_putchar_then_finisher() {
            let mut p = li(A7, 1);
            p.extend(li(A0, i32::from(b'A')));
            p.push(ecall());
            p.extend(finish(3));
            let (mut m, out) = boot(&p);
            m.hart.set_digest(true);
            let report = m.run();
            assert_eq!(out.contents(), b"A");
            assert_eq!(report.outcome.exit_status(), 3);
            // An ecall raises an exception, so it does not retire
            // (privileged spec 3.3.1): every instruction but it does.
            assert_eq!(report.instructions, p.len() as u64 - 1);
            assert_eq!(report.digest.count, p.len() as u64 - 1);
            let ecalls = report.traps.iter().find(|t| t.cause == 9).map(|t| t.count);
            assert_eq!(ecalls, Some(1));
        }

        #[test]
        fn wfi_sleeps_until_the_sbi_timer_then_goes_on() {
            // set_timer(1000); sie.STIE = 1 (sstatus.SIE stays 0: no trap,
            // wfi just returns); wfi; finisher pass.
            let mut p = li(A7, 0x5449_4D45);
            p.extend(li(A1, 0));
            p.extend(li(A0, 1000));
            p.push(encode(&Insn::new(Op::Addi, 16, 0, 0, 0))); // a6 = 0
            p.push(ecall());
            p.extend(li(T0, 0x20));
            p.push(encode(&Insn::new(Op::Csrrs, 0, T0, 0, 0x104)));
            p.push(encode(&Insn::new(Op::Wfi, 0, 0, 0, 0)));
            p.extend(finish(0));
            let (mut m, _) = boot(&p);
            let report = m.run();
            assert_eq!(report.outcome.exit_status(), 0, "{}", report.outcome);
            assert!(m.hart.time() >= 1000, "time {}", m.hart.time());
        }

        #[test]
        fn wfi_with_no_timer_is_reported_as_a_hang() {
            let (mut m, _) = boot(&[encode(&Insn::new(Op::Wfi, 0, 0, 0, 0))]);
            let report = m.run();
            assert_eq!(
                report.outcome,
                Outcome::Stopped(StopReason::Hang {
                    pc: RAM + 4,
                    why: "wfi with no timer set and interrupts that can never arrive"
                })
            );
        }

        #[test]
        fn a_fault_with_stvec_at_nothing_storms() {
            // stvec = 0x1000 (not RAM, not a device); an illegal instruction.
            let mut p = li(T0, 0x1000);
            p.push(encode(&Insn::new(Op::Csrrw, 0, T0, 0, 0x105)));
            p.push(0);
            let (mut m, _) = boot(&p);
            let report = m.run();
            assert!(
                matches!(
                    report.outcome,
                    Outcome::Stopped(StopReason::TrapStorm(Storm { pc: 0x1000, .. }))
                ),
                "{}",
                report.outcome
            );
        }

        #[test]
        fn a_runaway_loop_meets_the_limit_exactly() {
            let p = [encode(&Insn::new(Op::Jal, 0, 0, 0, 0))];
            let (mut m, _) = boot(&p);
            m.max_instructions = 12_345;
            let report = m.run();
            assert_eq!(report.outcome.exit_status(), status::INSTRUCTION_LIMIT);
            assert_eq!(report.instructions, 12_345);
        }
    }
}
