//! The trapvisor monitor: runs several deprivileged guests on one hart by
//! trap-and-emulate (Popek & Goldberg, 1974).
//!
//! Every guest, its kernel included, runs in real U-mode with nothing
//! delegated, so every trap leaves the guest and comes here. The monitor
//! keeps each guest's virtual hart ([`vcpu`]: the same architectural state
//! as the real hart, run by the same privileged core), handles each exit by
//! its reason ([`exits`]), runs guests through page tables it owns
//! ([`shadow`]), gives each its own devices ([`vdev`]) and shares the hart
//! between them ([`scheduler`]). A guest cannot tell: its stream of retired
//! instructions and its console output are the same natively, alone under
//! the monitor, and beside other guests (the book's "The machine").
//!
//! The run loop is a state machine with public steps ([`Session`]): boot
//! the guests ([`Monitor::start`]), then [`Session::step`] one exit at a
//! time, each step saying which guest ran, what exit happened, which
//! handler answered and what it changed; [`Monitor::run`] is that loop:
//!
//! ```text
//! loop {
//!     pick a guest (scheduler), switch it onto the hart
//!     while its quantum lasts:                      <- one Session::step each
//!         tick its virtual timer, inject a virtual interrupt if one is due
//!         hart.run(min(quantum left, instructions until its deadline))
//!         handle the exit (exits::handle), act on what the handler did
//! }
//! ```
#![forbid(unsafe_code)]

pub mod exits;
pub mod guest;
pub mod memory;
pub mod scheduler;
#[cfg(test)]
pub mod scripted;
pub mod session;
pub mod shadow;
pub mod stats;
pub mod strategy;
pub mod vcpu;
pub mod vdev;

use std::fmt;
use std::marker::PhantomData;

use cpu::devices::{Console, Ended};
use cpu::hart::RAM_BASE;
use cpu::port::HartPort;
use cpu::privileged::Isa;
use cpu::storm::{Storm, StormWatch};

use guest::{FillGuard, Guest};
use memory::{align_up, GuestPhys, GuestRam, MachPhys, MEGAPAGE, PAGE};
use scheduler::{RoundRobin, Scheduler};
use shadow::ShadowMmu;
use stats::{GuestReport, GuestStats};
use strategy::GuestStrategy;
use vcpu::Vcpu;
use vdev::VirtualDevices;

pub use session::{CsrChange, Session, SessionSnapshot, SessionState, Step};
pub use strategy::Strategy;

/// How a guest's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The guest asked (finisher or SBI).
    Guest(Ended),
    /// It retired its `--max-instructions`.
    InstructionLimit(u64),
    /// `wfi` with no timer set and nothing pending: nothing can wake it.
    Hang,
    /// SBI HSM `hart_stop`: its only hart stopped, and no other hart can
    /// start it again (a hang too, said as what it is).
    HartStopped,
    /// The same trap at the same `pc`, over and over, with no progress
    /// ([`cpu::storm`]).
    TrapStorm(Storm),
    /// A console's output was a closed pipe (its [`cpu::devices::Hangup`]
    /// was raised): nobody reads the run any more, and every guest still
    /// running ends this way.
    OutputClosed,
}

impl End {
    /// The exit status this end stands for (0 only for a clean exit 0).
    pub fn code(&self) -> i32 {
        match self {
            End::Guest(e) => e.code as i32,
            _ => 1,
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Guest(e) => write!(f, "{e}"),
            End::InstructionLimit(n) => write!(f, "stopped: reached the instruction limit ({n})"),
            End::HartStopped => write!(
                f,
                "stopped: its only hart stopped itself (SBI HSM hart_stop) and no other hart can start it again"
            ),
            End::Hang => write!(
                f,
                "stopped: hangs (wfi with no timer set and no interrupt pending)"
            ),
            End::TrapStorm(storm) => write!(f, "stopped: {storm}"),
            End::OutputClosed => write!(f, "stopped: the output pipe was closed"),
        }
    }
}

/// A loadable guest program: where it starts and what goes where.
#[derive(Clone, Debug, Default)]
pub struct GuestImage {
    pub entry: u64,
    /// (guest-physical address, bytes, size in memory ≥ bytes).
    pub segments: Vec<(u64, Vec<u8>, u64)>,
}

/// A guest to add to the monitor.
pub struct GuestSpec {
    pub name: String,
    pub image: GuestImage,
    /// Its RAM size in bytes (at least a page; rounded up to pages).
    pub memory: u64,
    pub console: Console,
    /// Stop it after this many retired instructions.
    pub max_instructions: u64,
}

/// Host errors: a guest set that cannot be built (never a guest's doing
/// once it runs).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MonitorError {
    #[error("no guests to run")]
    NoGuests,
    #[error("guest `{name}`: memory size {size:#x} is not supported (4 KiB to 64 GiB)")]
    BadMemorySize { name: String, size: u64 },
    #[error("guest `{name}`: segment at {addr:#x} (size {size:#x}) is outside its RAM")]
    SegmentOutsideRam { name: String, addr: u64, size: u64 },
    #[error("the guests need more machine memory than the host can address")]
    OutOfMachineMemory,
    /// The host refused the machine memory every guest's RAM is carved
    /// from (reserved, not allocated: untouched pages cost nothing).
    #[error("{guests} guests: machine memory for their RAM and page tables: {source}")]
    MachineMemory {
        guests: usize,
        source: cpu::ram::RamError,
    },
}

/// The preemption timer `trapvisor run --monitor` uses unless told
/// otherwise, in instructions: 100 µs of virtual time. Small enough that
/// side-by-side guests' output interleaves line by line; large enough that
/// world switches cost little.
pub const DEFAULT_QUANTUM: u64 = 10_000;

/// Shadow page-table frames each guest gets by default (512 KiB).
pub const DEFAULT_SHADOW_FRAMES: u64 = 128;
/// The largest RAM a guest may have.
pub const MAX_GUEST_MEMORY: u64 = 64 << 30;

/// The monitor: add guests, then [`Monitor::run`] them side by side on
/// one hart of type `H` (or [`Monitor::start`] a [`Session`] and step it).
pub struct Monitor<H = cpu::hart::Hart> {
    specs: Vec<GuestSpec>,
    scheduler: Box<dyn Scheduler>,
    shadow_frames: u64,
    /// Whether each guest's trace digest is computed (see [`Monitor::set_digest`]).
    digest: bool,
    /// Whether the hart translates hot code (see [`Monitor::set_translation`]).
    translation: bool,
    /// Whether every instruction is traced (see [`Monitor::set_trace_insns`]).
    trace_insns: bool,
    /// The machine variant, real and virtual (see [`Monitor::set_isa`]).
    isa: Isa,
    /// How guests are virtualized (see [`Monitor::set_strategy`]).
    strategy: Strategy,
    hart: PhantomData<H>,
}

impl<H: HartPort> Default for Monitor<H> {
    fn default() -> Self {
        Monitor::new()
    }
}

/// Where each guest lives in machine memory.
struct Layout {
    total: u64,
    /// (RAM, shadow pool, frames in the pool, binary translation's cache)
    /// per guest.
    guests: Vec<(GuestRam, MachPhys, u64, MachPhys)>,
}

impl<H: HartPort> Monitor<H> {
    pub fn new() -> Monitor<H> {
        Monitor {
            specs: Vec::new(),
            scheduler: Box::new(RoundRobin::default()),
            shadow_frames: DEFAULT_SHADOW_FRAMES,
            digest: false,
            translation: true,
            trace_insns: false,
            isa: Isa::Standard,
            strategy: Strategy::Trap,
            hart: PhantomData,
        }
    }

    pub fn add_guest(&mut self, spec: GuestSpec) {
        self.specs.push(spec);
    }

    /// Replaces the round-robin policy.
    pub fn set_scheduler(&mut self, s: Box<dyn Scheduler>) {
        self.scheduler = s;
    }

    /// A `tracing` event per instruction each guest retires (`--trace
    /// insn`), in the guest's span. (What the monitor does at each exit is
    /// always logged through `tracing`, target `monitor`: whoever installs
    /// a subscriber sees it.)
    pub fn set_trace_insns(&mut self, on: bool) {
        self.trace_insns = on;
    }

    /// Computes each guest's trace digest (a hash of every instruction it
    /// retires, `pc` and bits, as `trapvisor run --stats` prints it), off
    /// by default: it costs time on every instruction, so only a run that
    /// reports or compares digests turns it on. Each [`GuestReport`] then
    /// carries its guest's digest, equal to the native one.
    pub fn set_digest(&mut self, on: bool) {
        self.digest = on;
    }

    /// Whether the real hart translates hot guest code to host code (on by
    /// default). Off, every guest instruction is interpreted: the same run,
    /// to the instruction and exit, only slower.
    pub fn set_translation(&mut self, on: bool) {
        self.translation = on;
    }

    /// The ISA variant of the machine ([`Isa`]): of the real hart the
    /// guests run on, and of each guest's virtual hart (the machine it
    /// believes it has). On [`Isa::Leaky`] a guest kernel, deprivileged to
    /// real U-mode, reads the real `sstatus` instead of trapping, and its
    /// `csrci sstatus, 2` is dropped instead of emulated: trap-and-emulate
    /// no longer gives the native run (Popek–Goldberg's Theorem 1 fails).
    pub fn set_isa(&mut self, isa: Isa) {
        self.isa = isa;
    }

    /// How the monitor virtualizes its guests ([`Strategy`]): trap-and-emulate
    /// (the default), binary translation of virtual S-mode code
    /// ([`strategy::bt`]) or the paravirtual interface ([`strategy::pv`]).
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.strategy = strategy;
    }

    /// Frames of shadow page tables per guest (at least 8).
    pub fn set_shadow_frames(&mut self, frames: u64) {
        self.shadow_frames = frames.max(8);
    }

    fn layout(&self) -> Result<Layout, MonitorError> {
        let mut off: u64 = 0;
        let mut rams = Vec::new();
        for s in &self.specs {
            let bad = || MonitorError::BadMemorySize {
                name: s.name.clone(),
                size: s.memory,
            };
            if s.memory == 0 || s.memory > MAX_GUEST_MEMORY {
                return Err(bad());
            }
            let size = align_up(s.memory, PAGE).ok_or_else(bad)?;
            rams.push(GuestRam {
                base: MachPhys(RAM_BASE + off),
                size,
            });
            off = align_up(size, MEGAPAGE)
                .and_then(|s| off.checked_add(s))
                .ok_or(MonitorError::OutOfMachineMemory)?;
        }
        let mut guests = Vec::new();
        let cache = if self.strategy == Strategy::Bt {
            strategy::bt::CACHE_FRAMES
        } else {
            0
        };
        for ram in rams {
            let frames = ShadowMmu::bare_frames(ram.size) + self.shadow_frames;
            let pool = MachPhys(RAM_BASE + off);
            let bt = MachPhys(RAM_BASE + off + frames * PAGE);
            guests.push((ram, pool, frames, bt));
            off = off
                .checked_add((frames + cache) * PAGE)
                .ok_or(MonitorError::OutOfMachineMemory)?;
        }
        Ok(Layout { total: off, guests })
    }

    /// Machine memory the guests added so far need (their RAM plus the
    /// monitor's reserve for page tables).
    pub fn machine_memory(&self) -> Result<u64, MonitorError> {
        self.layout().map(|l| l.total)
    }

    /// Builds the machine and loads every guest: a [`Session`] ready to
    /// run, `quantum` instructions per turn (the scheduler may scale it).
    pub fn start(&mut self, quantum: u64) -> Result<Session<H>, MonitorError> {
        if self.specs.is_empty() {
            return Err(MonitorError::NoGuests);
        }
        let layout = self.layout()?;
        let mut hart =
            deprivileged::<H>(layout.total).map_err(|source| MonitorError::MachineMemory {
                guests: self.specs.len(),
                source,
            })?;
        hart.set_digest(self.digest);
        hart.set_translation(self.translation);
        hart.set_trace_insns(self.trace_insns);
        hart.arch_mut().core.isa = self.isa;
        let mut guests = Vec::new();
        for (spec, (ram, pool, frames, cache)) in self.specs.drain(..).zip(layout.guests) {
            for (addr, data, mem_size) in &spec.image.segments {
                let size = (*mem_size).max(data.len() as u64);
                let outside = || MonitorError::SegmentOutsideRam {
                    name: spec.name.clone(),
                    addr: *addr,
                    size,
                };
                ram.translate(GuestPhys(*addr), size).ok_or_else(outside)?;
                let m = ram
                    .translate(GuestPhys(*addr), data.len() as u64)
                    .ok_or_else(outside)?;
                hart.write_phys(m, data);
            }
            let mut vcpu = Vcpu::new(spec.image.entry);
            vcpu.arch.core.isa = self.isa;
            // a0 = hart id 0, a1 = the device tree of its own machine, in
            // its own RAM, where the native firmware puts it (book: "State
            // at entry"); 0 if its image leaves no room.
            let occupied: Vec<_> = spec
                .image
                .segments
                .iter()
                .map(|(addr, data, mem_size)| {
                    *addr..addr.saturating_add((*mem_size).max(data.len() as u64))
                })
                .collect();
            if let Some(dtb) = cpu::fdt::for_image(ram.size, &occupied) {
                if let Some(m) = ram.translate(GuestPhys(dtb.addr), dtb.blob.len() as u64) {
                    hart.write_phys(m, &dtb.blob);
                    vcpu.arch.x[11] = dtb.addr;
                }
            }
            let mut shadow = ShadowMmu::new(&mut hart, &ram, pool, frames);
            let guest_strategy = match self.strategy {
                Strategy::Trap => GuestStrategy::Trap,
                Strategy::Bt => {
                    shadow.lazy_bare = true;
                    GuestStrategy::Bt(strategy::bt::Translator::new(
                        cache,
                        strategy::bt::CACHE_FRAMES,
                    ))
                }
                Strategy::Pv => GuestStrategy::Pv(strategy::pv::Paravirt::default()),
            };
            guests.push(Guest {
                strategy: guest_strategy,
                span: tracing::debug_span!("guest", name = %spec.name),
                name: spec.name,
                vcpu,
                ram,
                shadow,
                devices: VirtualDevices::new(spec.console),
                stats: GuestStats {
                    strategy: strategy::StrategyStats {
                        strategy: self.strategy,
                        ..Default::default()
                    },
                    ..GuestStats::default()
                },
                end: None,
                max_instructions: spec.max_instructions,
                storm: StormWatch::default(),
                fills: FillGuard::default(),
                step_end: u64::MAX,
            });
        }
        let scheduler = std::mem::replace(&mut self.scheduler, Box::new(RoundRobin::default()));
        Ok(Session::new(
            hart,
            guests,
            scheduler,
            quantum.max(1),
            self.digest,
        ))
    }

    /// Runs every guest until all have ended, `quantum` instructions at a
    /// time (the scheduler may scale it), and reports on each: the loop of
    /// [`Session::step_turn`] (a turn at a time: the same run as
    /// [`Session::step`]'s, exit by exit, without describing each).
    pub fn run(&mut self, quantum: u64) -> Result<Vec<GuestReport>, MonitorError> {
        let mut session = self.start(quantum)?;
        while session.step_turn().is_some() {}
        Ok(session.finish())
    }
}

/// A hart for the monitor: `ram_size` bytes of machine memory, nothing
/// delegated, no counters for U-mode, no timer, no devices, U-mode; the
/// digest off until asked for. Every trap then leaves `run` as an
/// [`cpu::hart::Exit::Trap`], and the monitor decides what the guest sees.
pub fn deprivileged<H: HartPort>(ram_size: u64) -> Result<H, cpu::ram::RamError> {
    let mut hart = H::with_ram(ram_size)?;
    let core = &mut hart.arch_mut().core;
    core.csr.medeleg = 0;
    core.csr.mideleg = 0;
    core.csr.mcounteren = 0;
    core.csr.mie = 0;
    core.privilege = cpu::hart::Priv::User;
    core.timecmp = u64::MAX;
    hart.set_digest(false);
    Ok(hart)
}
