//! The monitored target: several guests under trapvisor's trap-and-emulate
//! monitor on one hart ([`monitor::Session`]), each in real U-mode through
//! shadow page tables, every trap an exit the monitor answers.
//!
//! The debugger moves the session a step at a time: a step of 0
//! instructions switches the guest whose turn it is onto the hart and
//! injects a virtual interrupt that is due (an event of its own, as the
//! native hart's interrupt is), then a step of at most the events asked
//! for runs it on the hart, translated, until an exit, a breakpoint or a
//! watchpoint. Every exit comes back as a [`TrapKind::Exit`]: the exit, the
//! handler that answered it (its name in the monitor's source), what it
//! changed in the guest's virtual state, and where the guest resumes.
//! Stepping this way runs exactly the instructions a free run runs
//! (`monitor::session`), so `trapvisor run --monitor` and the debugger see
//! the same guests.
//!
//! **Events.** A guest's events are the instructions it retired on the
//! hart, the exits the monitor answered (an instruction the monitor
//! emulated retires in its exit: one event; under binary translation a
//! call that performs several instructions is one event per instruction)
//! and the interrupts injected into it; the position is the sum over the
//! guests. The end of a quantum
//! is not an event (nothing happens to the guest).
//!
//! **Breakpoints and watchpoints** are the real hart's, by virtual address:
//! the hart runs a guest through shadow tables that map the guest's own
//! virtual addresses, so a guest-virtual breakpoint is a hart breakpoint;
//! one that another guest reaches at the same address is passed over.

use cpu::csr::{SSTATUS_READ_MASK, SSTATUS_SPP, S_INTERRUPTS};
use cpu::debug::{DebugEvent, DebugStops};
use cpu::devices::{ByteSource, Console, NoInput};
use cpu::hart::{Exit, Hart, Priv};
use cpu::image::Image;
use cpu::trap::{Exception, Interrupt, Trap};
use std::collections::VecDeque;

use monitor::exits::{Action, Handled};
use monitor::guest::Guest;
use monitor::memory::GuestPhys;
use monitor::stats::{Emulated, ExitReason, GuestReport};
use monitor::strategy::{pv, StrategyStats};
use monitor::{GuestImage, GuestSpec, Monitor, MonitorError, SessionState, Step};

use crate::native::{ConsoleLog, InputLog};
use crate::program::Program;
use crate::target::{
    CsrRow, ExitRecord, GuestInfo, GuestState, RunEvent, Stops, Target, Translation, TrapKind,
    TrapRecord, TRAP_LOG,
};
use crate::walk;

const PAGE: usize = 4096;

/// One guest to boot under the monitor.
pub struct MonitoredGuest {
    pub program: Program,
    pub image: Image,
}

/// How the monitor runs the guests.
#[derive(Clone, Copy, Debug)]
pub struct MonitorOptions {
    /// Each guest's RAM, in bytes.
    pub memory: u64,
    /// Instructions per turn.
    pub quantum: u64,
    /// Stop a guest after this many instructions (0: no limit).
    pub max_instructions: u64,
    /// Translate hot code (off: interpret every instruction; the same run).
    pub translation: bool,
    /// Compute each guest's trace digest (for `--stats`).
    pub digest: bool,
    pub isa: cpu::privileged::Isa,
    /// How the monitor virtualizes the guests (`--strategy`).
    pub strategy: monitor::Strategy,
}

/// Everything a snapshot keeps but RAM.
#[derive(Clone)]
pub struct MonitorState {
    slept: Vec<Option<u64>>,
    session: SessionState,
    consoles: Vec<usize>,
    input_pos: usize,
}

/// The guests under the monitor, for the debugger.
pub struct MonitorTarget {
    session: monitor::Session<Hart>,
    programs: Vec<Program>,
    consoles: Vec<ConsoleLog>,
    /// Console input (the first guest's, as `trapvisor run --monitor`
    /// gives it), recorded.
    input: InputLog,
    focus: usize,
    /// The stops last given to the hart.
    applied: Stops,
    /// An event that happened with the one last returned (an interrupt
    /// injected at a world switch, an end after its exit), told next.
    pending: Option<RunEvent>,
    /// Whether each guest's trace digest is computed.
    digest: bool,
    /// For each guest that slept in `wfi` at its last exit, its events
    /// then: it sleeps until its timer's interrupt is injected.
    slept: Vec<Option<u64>>,
    /// The exits and injections a run with [`Stops::quiet_traps`] went
    /// past, oldest first, as raw copies (named only when `info traps` or
    /// the trap pane shows them): at most [`TRAP_LOG`].
    quiet: VecDeque<Quiet>,
    strategy: monitor::Strategy,
    isa: cpu::privileged::Isa,
}

/// What a strategy did in one exit, beyond the monitor's usual handlers:
/// the difference of the guest's [`StrategyStats`] over the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct StrategyDelta {
    /// bt: a call into the monitor from translated code.
    bt_call: bool,
    /// bt: patched instructions performed in the same call after the
    /// first.
    bt_saved: u64,
    /// bt: code pages translated, and their sensitive instructions
    /// patched.
    bt_pages: u64,
    bt_patched: u64,
    /// bt: translations dropped (the guest wrote to its code).
    bt_dropped: u64,
    /// bt: an instruction run once from the original page.
    bt_step: bool,
    /// pv: a call of the PV extension (or its probe).
    pv_call: bool,
}

impl StrategyDelta {
    fn between(before: &StrategyStats, after: &StrategyStats, pv_sbi: bool) -> StrategyDelta {
        StrategyDelta {
            bt_call: after.bt_calls > before.bt_calls,
            bt_saved: after.bt_exits_saved.saturating_sub(before.bt_exits_saved),
            bt_pages: after.bt_pages.saturating_sub(before.bt_pages),
            bt_patched: after.bt_patched.saturating_sub(before.bt_patched),
            bt_dropped: after.bt_invalidated.saturating_sub(before.bt_invalidated),
            bt_step: after.bt_steps > before.bt_steps,
            pv_call: pv_sbi,
        }
    }
}

/// An exit or an injection a run went past without telling it
/// ([`Stops::quiet_traps`]): what its [`TrapRecord`] is made of, copied
/// when it happened (a guest may exit a million times a second; this is
/// the whole cost of one).
#[derive(Clone, Copy, Debug)]
enum Quiet {
    Exit {
        position: u64,
        guest: usize,
        exit: Exit,
        exit_pc: u64,
        exit_mode: Priv,
        handled: Option<Handled>,
        /// `a7` and `a6` after a hypercall (the SBI extension and the
        /// function it called).
        sbi: Option<(u64, u64)>,
        resume: u64,
        /// What the strategy did in the exit.
        strategy: StrategyDelta,
    },
    Injection {
        position: u64,
        guest: usize,
        irq: Interrupt,
        /// Where the guest was (its `sepc` after the injection) and the
        /// mode it came from.
        pc: u64,
        from: Priv,
        resume: u64,
    },
}

impl Quiet {
    fn position(&self) -> u64 {
        match self {
            Quiet::Exit { position, .. } | Quiet::Injection { position, .. } => *position,
        }
    }

    fn record(&self) -> TrapRecord {
        match *self {
            Quiet::Exit {
                position,
                guest,
                exit,
                exit_pc,
                exit_mode,
                handled,
                sbi,
                resume,
                strategy,
            } => exit_record(
                position, guest, &exit, exit_pc, exit_mode, handled, sbi, resume, strategy,
            ),
            Quiet::Injection {
                position,
                guest,
                irq,
                pc,
                from,
                resume,
            } => injection_record(position, guest, irq, pc, from, resume),
        }
    }
}

impl MonitorTarget {
    /// Boots `guests` under the monitor, stopped at the first guest's first
    /// instruction (on the hart). Console input (recorded) goes to the
    /// first guest.
    pub fn boot(
        guests: Vec<MonitoredGuest>,
        options: MonitorOptions,
        input: Box<dyn ByteSource>,
    ) -> Result<MonitorTarget, MonitorError> {
        MonitorTarget::boot_with_input_to(guests, options, input, 0)
    }

    /// [`MonitorTarget::boot`], console input going to guest `reader`.
    pub fn boot_with_input_to(
        guests: Vec<MonitoredGuest>,
        options: MonitorOptions,
        input: Box<dyn ByteSource>,
        reader: usize,
    ) -> Result<MonitorTarget, MonitorError> {
        let input = InputLog::new(input);
        let mut m: Monitor<Hart> = Monitor::new();
        m.set_digest(options.digest);
        m.set_translation(options.translation);
        m.set_isa(options.isa);
        m.set_strategy(options.strategy);
        let mut consoles = Vec::new();
        let mut programs = Vec::new();
        for (k, g) in guests.into_iter().enumerate() {
            let log = ConsoleLog::default();
            let guest_input: Box<dyn ByteSource> = if k == reader {
                Box::new(input.clone())
            } else {
                Box::new(NoInput)
            };
            m.add_guest(GuestSpec {
                name: g.program.name.clone(),
                image: GuestImage::from(&g.image),
                memory: options.memory,
                console: Console::new(Box::new(log.clone()), guest_input),
                max_instructions: match options.max_instructions {
                    0 => u64::MAX,
                    n => n,
                },
            });
            consoles.push(log);
            programs.push(g.program);
        }
        let programs_len = programs.len();
        let mut session = m.start(options.quantum)?;
        // (What a step changed in the virtual CSRs the session finds itself.)
        session.set_detail(false);
        // The first guest on the hart, at its first instruction: what a
        // free run does first (no instruction runs).
        session.step(0);
        Ok(MonitorTarget {
            session,
            programs,
            consoles,
            input,
            focus: 0,
            applied: Stops::default(),
            pending: None,
            digest: options.digest,
            slept: vec![None; programs_len],
            quiet: VecDeque::new(),
            strategy: options.strategy,
            isa: options.isa,
        })
    }

    /// The monitor's session (its guests, their virtual state).
    pub fn session(&self) -> &monitor::Session<Hart> {
        &self.session
    }

    /// What each guest did so far, as `trapvisor run --monitor --stats`
    /// reports it at the end of a run.
    pub fn reports(&self) -> Vec<GuestReport> {
        self.session
            .guests()
            .iter()
            .map(|g| GuestReport {
                name: g.name.clone(),
                end: g.end.unwrap_or(monitor::End::Hang),
                retired: g.vcpu.retired(),
                emulated: g.vcpu.emulated,
                digest: self.digest_of(g),
                stats: g.stats.clone(),
            })
            .collect()
    }

    fn digest_of(&self, g: &Guest) -> Option<cpu::hart::Digest> {
        use cpu::port::HartPort;
        let i = self.index_of(g)?;
        self.digest.then(|| {
            if self.session.on_hart() == Some(i) {
                self.session.hart().digest()
            } else {
                g.vcpu.digest
            }
        })
    }

    fn index_of(&self, g: &Guest) -> Option<usize> {
        self.session
            .guests()
            .iter()
            .position(|x| std::ptr::eq(x, g))
    }

    fn guest(&self, i: usize) -> &Guest {
        &self.session.guests()[i]
    }

    fn apply(&mut self, stops: &Stops) {
        if *stops == self.applied {
            return;
        }
        let hart = self.session.hart_mut();
        let mut bps: Vec<u64> = stops.breakpoints.iter().map(|&(_, a)| a).collect();
        bps.sort_unstable();
        bps.dedup();
        hart.set_breakpoints(&bps);
        hart.set_debug_stops(DebugStops {
            watches: stops.watches.iter().map(|&(_, w)| w).collect(),
            traps: false,
            privileged: false,
        });
        self.applied = stops.clone();
    }

    /// The injection of a step, its raw parts.
    fn injection(&self, step: &Step, irq: Interrupt) -> Quiet {
        let g = self.guest(step.guest);
        let c = &g.vcpu.core().csr;
        let from = if c.mstatus & SSTATUS_SPP != 0 {
            Priv::Supervisor
        } else {
            Priv::User
        };
        Quiet::Injection {
            position: self.position(),
            guest: step.guest,
            irq,
            pc: c.sepc,
            from,
            resume: self.pc_of(step.guest),
        }
    }

    /// How the monitor virtualizes its guests.
    pub fn strategy(&self) -> monitor::Strategy {
        self.strategy
    }

    /// The privileged ISA the hart implements.
    pub fn isa(&self) -> cpu::privileged::Isa {
        self.isa
    }

    /// A guest's strategy figures so far (zero for a guest there is not).
    fn strategy_stats(&self, i: usize) -> StrategyStats {
        self.session
            .guest(i)
            .map(|g| g.stats.strategy.clone())
            .unwrap_or_default()
    }

    /// The exit a step answered, its raw parts (`before`: the guest's
    /// strategy figures before the step).
    fn exit_of(&self, step: &Step, exit: &Exit, before: &StrategyStats) -> Quiet {
        let handled = step.handled;
        let hypercall =
            handled.is_some_and(|h| matches!(h.handler, "hypercall" | "pv_hypercall" | "pv_sret"));
        let sbi = hypercall.then(|| {
            let x = self.regs_of(step.guest);
            (x[17], x[16])
        });
        let pv_sbi = handled.is_some_and(|h| h.handler.starts_with("pv_"));
        let strategy = StrategyDelta::between(before, &self.strategy_stats(step.guest), pv_sbi);
        Quiet::Exit {
            position: self.position(),
            guest: step.guest,
            exit: *exit,
            exit_pc: step.exit_pc,
            exit_mode: step.exit_mode,
            handled,
            sbi,
            resume: self.pc_of(step.guest),
            strategy,
        }
    }

    /// A breakpoint where guest `g` resumes after a trap a quiet run went
    /// past: it stops there, before the instruction runs, as it does after
    /// a trap the session is told (`Session`'s `breakpoint_skipped`).
    fn breakpoint_after_trap(&self, g: usize, stops: &Stops) -> Option<RunEvent> {
        if stops.breakpoints.is_empty() || self.session.on_hart() != Some(g) {
            return None;
        }
        let pc = self.pc_of(g);
        stops
            .breakpoints
            .contains(&(g, pc))
            .then_some(RunEvent::Breakpoint { guest: g, pc })
    }

    /// Logs an exit or injection a quiet run goes past.
    fn log_quiet(&mut self, q: Quiet) {
        // A run again over positions logged before (after going back):
        // what is logged from here on is this run's.
        while self
            .quiet
            .back()
            .is_some_and(|b| b.position() >= q.position())
        {
            self.quiet.pop_back();
        }
        if self.quiet.len() == TRAP_LOG {
            self.quiet.pop_front();
        }
        self.quiet.push_back(q);
    }

    fn regs_of(&self, i: usize) -> [u64; 32] {
        self.session.regs(i).unwrap_or([0; 32])
    }

    /// Whether the guest slept in `wfi` at its last event: its clock went
    /// on to its timer's deadline, and it waits for its next turn, where
    /// the interrupt is injected.
    fn sleeping(&self, i: usize) -> bool {
        self.slept.get(i).copied().flatten() == Some(self.events_of(i))
    }

    fn read_virt_of(&self, i: usize, va: u64, buf: &mut [u8]) -> bool {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let Ok(pa) = self.guest_walk(i, a).result else {
                return false;
            };
            let n = (PAGE - (a as usize & (PAGE - 1))).min(buf.len() - done);
            if !self
                .session
                .read_guest_phys(i, GuestPhys(pa), &mut buf[done..done + n])
            {
                return false;
            }
            done += n;
        }
        true
    }

    fn guest_walk(&self, i: usize, va: u64) -> walk::Walk {
        let g = self.guest(i);
        let core = g.vcpu.core();
        let satp = if core.paging() { core.csr.satp } else { 0 };
        walk::walk(satp, va, |pa| {
            let mut b = [0u8; 8];
            self.session
                .read_guest_phys(i, GuestPhys(pa), &mut b)
                .then(|| u64::from_le_bytes(b))
        })
    }

    /// The shadow `satp` the hart runs guest `i` with.
    fn shadow_satp(&self, i: usize) -> Option<u64> {
        use cpu::port::HartPort;
        if self.session.on_hart() == Some(i) {
            Some(self.session.hart().arch().core.csr.satp)
        } else {
            let g = self.guest(i);
            g.shadow.shadow_satp(&g.vcpu)
        }
    }

    fn end_event(&self, guest: usize) -> RunEvent {
        RunEvent::Ended {
            guest,
            how: self.ended(guest).unwrap_or_default(),
        }
    }
}

/// An injection, as a trap record.
fn injection_record(
    position: u64,
    guest: usize,
    irq: Interrupt,
    pc: u64,
    from: Priv,
    resume: u64,
) -> TrapRecord {
    TrapRecord {
        position,
        guest,
        pc,
        privilege: from,
        kind: TrapKind::Exit(ExitRecord {
            trap: Trap::Interrupt(irq),
            reason: format!("interrupt: {} injected", irq.name()),
            sbi: None,
            handler: "monitor::exits::reflect::inject".into(),
            changes: vec![format!(
                "injected {} (its sip bit was pending, enabled in sie): the guest enters its stvec",
                irq.name()
            )],
            resume: Some(resume),
        }),
        pc_label: None,
        to_label: None,
    }
}

/// An exit and what answered it, as a trap record.
#[allow(clippy::too_many_arguments)]
fn exit_record(
    position: u64,
    guest: usize,
    exit: &Exit,
    exit_pc: u64,
    exit_mode: Priv,
    handled: Option<Handled>,
    sbi: Option<(u64, u64)>,
    resume: u64,
    strategy: StrategyDelta,
) -> TrapRecord {
    let trap = match exit {
        Exit::Trap(t) => *t,
        Exit::TrapStorm(storm) => storm.trap,
        _ => Trap::illegal_instruction(0x1050_0073),
    };
    let base = match exit {
        // Binary translation's call: the zero parcel its translation put
        // where a sensitive instruction starts (an illegal instruction to
        // the hart, a call to the monitor).
        _ if strategy.bt_call => "bt call",
        Exit::Wfi => "wfi",
        Exit::Trap(Trap::Exception { cause, .. }) => match cause {
            Exception::IllegalInstruction => ExitReason::IllegalInstruction.name(),
            Exception::EcallFromU | Exception::EcallFromS => ExitReason::Ecall.name(),
            Exception::InstructionPageFault
            | Exception::LoadPageFault
            | Exception::StorePageFault => cause.name(),
            _ => "exception",
        },
        _ => "other",
    };
    let mut changes = Vec::new();
    let what = match handled.map(|h| h.action) {
        Some(Action::Emulated(Emulated::SbiCall)) if strategy.pv_call => match sbi {
            Some((eid, fid)) => format!("pv hypercall {}", pv_function(eid, fid)),
            None => "pv hypercall".into(),
        },
        Some(Action::Emulated(e)) => emulated_name(e).to_string(),
        Some(Action::Reflected(t)) => format!("reflected to the guest ({})", t.name()),
        Some(Action::ShadowFilled { va, gpa, rights }) => {
            changes.push(format!(
                "shadow: filled {:#x} -> guest-physical {:#x} ({})",
                va & !0xfff,
                gpa.0 & !0xfff,
                rights_text(rights)
            ));
            "shadow fill".into()
        }
        Some(Action::End(end)) => format!("the guest ends ({end})"),
        Some(Action::Nothing) | None => String::new(),
    };
    let reason = if what.is_empty() {
        base.to_string()
    } else if strategy.bt_saved > 0 {
        // One call performed several patched instructions: what the
        // handler tells is the last one's.
        format!(
            "{base}: {} patched instructions emulated, the last a {what}",
            strategy.bt_saved + 1
        )
    } else {
        format!("{base}: {what}")
    };
    if strategy.bt_call && !strategy.bt_step {
        changes.push(
            "bt: the translation of this code has a call into the monitor where the \
             sensitive instruction starts: the monitor performed the original on the \
             virtual state"
                .into(),
        );
    }
    if strategy.bt_saved > 0 {
        changes.push(format!(
            "bt: and the {} patched instruction{} right after it, in the same call ({} exit{} saved)",
            strategy.bt_saved,
            plural(strategy.bt_saved),
            strategy.bt_saved,
            plural(strategy.bt_saved)
        ));
    }
    if strategy.bt_step {
        changes.push("bt: the instruction ran once from the original page".into());
    }
    if strategy.bt_pages > 0 {
        changes.push(format!(
            "bt: translated {} code page{} ({} sensitive instruction{} patched into calls)",
            strategy.bt_pages,
            plural(strategy.bt_pages),
            strategy.bt_patched,
            plural(strategy.bt_patched)
        ));
    }
    if strategy.bt_dropped > 0 {
        changes.push(format!(
            "bt: dropped {} translation{} (the guest wrote to its code)",
            strategy.bt_dropped,
            plural(strategy.bt_dropped)
        ));
    }
    // The virtual CSRs it changed the session shows itself, field by
    // field (they are the guest's CSRs as the debugger reads them).
    if handled.is_some_and(|h| h.shadow_flushed) {
        changes.push("shadow: every shadow entry dropped (refilled on demand)".into());
    }
    let handler = match handled {
        None => "none".into(),
        Some(h) if strategy.bt_call && !strategy.bt_step => {
            format!("monitor::strategy::bt::call -> {}", handler_path(h.handler))
        }
        Some(h) if strategy.bt_step && h.handler != "bt_step" => format!(
            "monitor::strategy::bt::step_original -> {}",
            handler_path(h.handler)
        ),
        Some(h) => handler_path(h.handler),
    };
    TrapRecord {
        position,
        guest,
        pc: exit_pc,
        privilege: exit_mode,
        kind: TrapKind::Exit(ExitRecord {
            trap,
            reason,
            sbi: sbi.map(|(eid, _)| eid),
            handler,
            changes,
            // A guest that ended resumes nowhere.
            resume: (!matches!(handled.map(|h| h.action), Some(Action::End(_)))).then_some(resume),
        }),
        pc_label: None,
        to_label: None,
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A call of the PV extension (or its probe) by the name the book's
/// hypercall table gives it.
fn pv_function(eid: u64, fid: u64) -> &'static str {
    if eid != pv::EID {
        return "probe (sbi_probe_extension)";
    }
    match fid {
        pv::fid::SET_SHARED => "pv_set_shared",
        pv::fid::SRET => "pv_sret",
        pv::fid::SET_TIMER => "pv_set_timer",
        pv::fid::MMU_UPDATE => "pv_mmu_update",
        _ => "(no such function)",
    }
}

/// A guest's events: instructions retired on the hart, exits answered, and
/// interrupts injected (see the module documentation).
fn guest_events(g: &Guest) -> u64 {
    let s = &g.stats;
    let exits: u64 = s.exits.iter().sum::<u64>() - s.exits[ExitReason::Budget as usize];
    // Each instruction a binary translation call performs beyond the first
    // is an event of its own, as it is one under trap-and-emulate: a step
    // runs one, and a run's events do not depend on where its calls were
    // cut (by a step's end or a breakpoint).
    (g.vcpu.retired() - g.vcpu.emulated) + exits + s.strategy.bt_exits_saved + s.interrupts
}

fn emulated_name(e: Emulated) -> &'static str {
    match e {
        Emulated::SbiCall => "sbi call (hypercall)",
        e => e.name(),
    }
}

fn rights_text(r: u64) -> String {
    use cpu::sv39::pte;
    [(pte::R, 'r'), (pte::W, 'w'), (pte::X, 'x')]
        .iter()
        .map(|&(b, c)| if r & b != 0 { c } else { '-' })
        .collect()
}

/// A handler's name as a path in the monitor's source.
fn handler_path(name: &str) -> String {
    match name {
        "emulate_csr" => "monitor::exits::csr::emulate_csr",
        "emulate_mmio" => "monitor::exits::mmio::emulate_mmio",
        "emulate_sfence_vma" => "monitor::exits::sfence::emulate_sfence_vma",
        "emulate_wfi" => "monitor::exits::wfi::emulate_wfi",
        "sleep" => "monitor::exits::wfi::sleep",
        "emulate_sret" => "monitor::exits::sret::emulate_sret",
        "hypercall" => "monitor::exits::sbi::hypercall",
        "reflect" => "monitor::exits::reflect::reflect",
        "inject" => "monitor::exits::reflect::inject",
        "page_fault" => "monitor::exits::page_fault",
        "bt_page_fault" => "monitor::strategy::bt::page_fault",
        "bt_step" => "monitor::strategy::bt::step_original",
        "pv_hypercall" | "pv_sret" => "monitor::strategy::pv::intercept",
        other => return format!("monitor::{other}"),
    }
    .to_string()
}

impl Target for MonitorTarget {
    type State = MonitorState;

    fn guests(&self) -> Vec<GuestInfo> {
        let turn = self.session.turn().map(|(g, _)| g);
        self.session
            .guests()
            .iter()
            .enumerate()
            .map(|(i, g)| GuestInfo {
                name: g.name.clone(),
                state: match g.end {
                    Some(end) => GuestState::Ended(end.to_string()),
                    None if self.sleeping(i) => GuestState::Sleeping,
                    None if turn == Some(i) || self.session.on_hart() == Some(i) => {
                        GuestState::Running
                    }
                    None => GuestState::Waiting,
                },
                events: guest_events(g),
                instret: g.vcpu.retired(),
            })
            .collect()
    }

    fn events_of(&self, guest: usize) -> u64 {
        self.session.guest(guest).map_or(0, guest_events)
    }

    fn focus(&self) -> usize {
        self.focus
    }

    fn virtualization(&self) -> Option<String> {
        let how = match self.strategy {
            monitor::Strategy::Trap => "trap-and-emulate",
            monitor::Strategy::Bt => "binary translation",
            monitor::Strategy::Pv => "paravirtualization",
        };
        Some(format!(
            "strategy {} ({how}), isa {}",
            self.strategy, self.isa
        ))
    }

    fn set_focus(&mut self, guest: usize) -> bool {
        if guest < self.programs.len() {
            self.focus = guest;
            true
        } else {
            false
        }
    }

    fn program(&self, guest: usize) -> &Program {
        &self.programs[guest.min(self.programs.len() - 1)]
    }

    fn current(&self) -> Option<usize> {
        self.session.on_hart()
    }

    fn pc_of(&self, guest: usize) -> u64 {
        self.session.pc(guest).unwrap_or(0)
    }

    fn regs(&self) -> [u64; 32] {
        self.regs_of(self.focus)
    }

    fn pc(&self) -> u64 {
        self.pc_of(self.focus)
    }

    fn privilege(&self) -> Priv {
        self.session
            .privilege(self.focus)
            .unwrap_or(Priv::Supervisor)
    }

    fn csrs(&self) -> Vec<CsrRow> {
        use cpu::port::HartPort;
        let i = self.focus;
        let g = self.guest(i);
        let v = g.vcpu.core();
        let c = &v.csr;
        let h = self.session.hart();
        let r = &h.arch().core.csr;
        let row = |name, value, real| CsrRow {
            name,
            value,
            real: Some(real),
        };
        vec![
            row(
                "sstatus",
                c.mstatus & SSTATUS_READ_MASK,
                r.mstatus & SSTATUS_READ_MASK,
            ),
            row(
                "sie",
                c.mie & c.mideleg & S_INTERRUPTS,
                r.mie & r.mideleg & S_INTERRUPTS,
            ),
            row(
                "sip",
                c.mip & c.mideleg & S_INTERRUPTS,
                r.mip & r.mideleg & S_INTERRUPTS,
            ),
            row("stvec", c.stvec, r.stvec),
            row("sscratch", c.sscratch, r.sscratch),
            row("sepc", c.sepc & !1, r.sepc & !1),
            row("scause", c.scause, r.scause),
            row("stval", c.stval, r.stval),
            row("satp", c.satp, self.shadow_satp(i).unwrap_or(0)),
            row("scounteren", c.scounteren, r.scounteren),
            row("time", v.time(), h.arch().core.time()),
            row("cycle", v.instret, h.arch().core.instret),
            row("instret", v.instret, h.arch().core.instret),
            row("medeleg", c.medeleg, r.medeleg),
            row("mideleg", c.mideleg, r.mideleg),
            row("mtimecmp", v.timecmp, h.arch().core.timecmp),
        ]
    }

    fn satp(&self) -> u64 {
        self.guest(self.focus).vcpu.core().csr.satp
    }

    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.session.read_guest_phys(self.focus, GuestPhys(pa), buf)
    }

    fn translate(&self, va: u64) -> Translation {
        let i = self.focus;
        let guest = self.guest_walk(i, va);
        let host = guest
            .result
            .ok()
            .and_then(|gpa| self.guest(i).ram.translate(GuestPhys(gpa), 1).map(|m| m.0));
        let hart = self.session.hart();
        let shadow = self.shadow_satp(i).map(|satp| {
            walk::walk(satp, va, |pa| {
                let mut b = [0u8; 8];
                hart.read_phys(pa, &mut b).then(|| u64::from_le_bytes(b))
            })
        });
        let device = guest.result.ok().and_then(device_at);
        Translation {
            guest,
            host: Some(host.unwrap_or(u64::MAX)).filter(|&h| h != u64::MAX),
            shadow,
            device,
        }
    }

    fn ended(&self, guest: usize) -> Option<String> {
        self.session
            .guest(guest)
            .and_then(|g| g.end)
            .map(|e| e.to_string())
    }

    fn console(&self, guest: usize) -> Vec<u8> {
        self.consoles
            .get(guest)
            .map(ConsoleLog::contents)
            .unwrap_or_default()
    }

    fn console_len(&self, guest: usize) -> usize {
        self.consoles.get(guest).map_or(0, ConsoleLog::len)
    }

    fn exit_counts(&self, guest: usize) -> Vec<(String, u64)> {
        let Some(g) = self.session.guest(guest) else {
            return Vec::new();
        };
        let s = &g.stats;
        let mut out = Vec::new();
        for r in ExitReason::ALL {
            let n = s.exits[*r as usize];
            if n > 0 && *r != ExitReason::Budget {
                out.push((format!("exit: {}", r.name()), n));
            }
        }
        for e in Emulated::ALL {
            let n = s.emulated[*e as usize];
            if n > 0 {
                out.push((format!("  emulated: {}", e.name()), n));
            }
        }
        let mut more = |what: &str, n: u64| {
            if n > 0 {
                out.push((what.to_string(), n));
            }
        };
        more("  page faults filled in the shadow tables", s.shadow_filled);
        more(
            "  page faults that were the guest's own",
            s.shadow_reflected,
        );
        more("  traps reflected into the guest", s.reflected);
        more("interrupts injected", s.interrupts);
        more("world switches onto the hart", s.world_switches);
        out
    }

    fn exits(&self, guest: usize) -> u64 {
        self.session.guest(guest).map_or(0, |g| {
            let s = &g.stats;
            s.exits.iter().sum::<u64>() - s.exits[ExitReason::Budget as usize]
        })
    }

    fn position(&self) -> u64 {
        self.session.guests().iter().map(guest_events).sum()
    }

    fn run(&mut self, events: u64, stops: &Stops) -> RunEvent {
        if let Some(ev) = self.pending.take() {
            return ev;
        }
        self.apply(stops);
        let end = self.position().saturating_add(events);
        // The guest on the hart does not stop at a breakpoint where it
        // stands (that instruction runs first), as natively.
        let resume = self
            .session
            .on_hart()
            .map(|g| (g, self.pc_of(g), self.events_of(g)));
        loop {
            if self.position() >= end {
                return RunEvent::Done;
            }
            let Some(first) = self.session.step(0) else {
                return self.end_event(self.focus);
            };
            let g = first.guest;
            if first.ended.is_some() {
                return self.end_event(g);
            }
            let switch = first
                .switched_from
                .map(|from| RunEvent::Switch { from, to: g });
            if let Some(irq) = first.injected {
                let q = self.injection(&first, irq);
                if stops.quiet_traps {
                    self.log_quiet(q);
                    if let Some(sw) = switch {
                        return sw;
                    }
                    if let Some(bp) = self.breakpoint_after_trap(g, stops) {
                        return bp;
                    }
                    continue;
                }
                let ev = RunEvent::Trap(q.record());
                return match switch {
                    Some(sw) => {
                        self.pending = Some(ev);
                        sw
                    }
                    None => ev,
                };
            }
            if let Some(sw) = switch {
                return sw;
            }
            let left = end.saturating_sub(self.position());
            if left == 0 {
                return RunEvent::Done;
            }
            let ran = g;
            let mut before = self.strategy_stats(g);
            let Some(step) = self.session.step(left) else {
                return self.end_event(g);
            };
            let g = step.guest;
            if g != ran {
                before = self.strategy_stats(g);
            }
            match step.exit {
                None => {
                    if step.ended.is_some() {
                        return self.end_event(g);
                    }
                }
                Some(Exit::Breakpoint) => {
                    let pc = self.pc_of(g);
                    let here = (g, pc, self.events_of(g));
                    if stops.breakpoints.contains(&(g, pc)) && resume != Some(here) {
                        return RunEvent::Breakpoint { guest: g, pc };
                    }
                    // Another guest's breakpoint, or where this one stands:
                    // the hart runs on past it.
                }
                Some(Exit::Debug(DebugEvent::Watch(hit))) => {
                    let mine = stops
                        .watches
                        .iter()
                        .any(|(w, watch)| *w == g && watch_overlaps(watch, &hit));
                    if mine {
                        return RunEvent::Watch { guest: g, hit };
                    }
                }
                Some(Exit::Debug(_)) => {}
                Some(exit) => {
                    let budget = step.handled.is_some_and(|h| h.handler == "budget");
                    if !budget {
                        let slept = step.handled.is_some_and(|h| {
                            matches!(h.action, Action::Emulated(Emulated::Wfi))
                                || h.handler == "sleep"
                        });
                        self.slept[g] = slept.then(|| self.events_of(g));
                        let q = self.exit_of(&step, &exit, &before);
                        if stops.quiet_traps {
                            self.log_quiet(q);
                            if step.ended.is_some() {
                                return self.end_event(g);
                            }
                            if let Some(bp) = self.breakpoint_after_trap(g, stops) {
                                return bp;
                            }
                            continue;
                        }
                        if step.ended.is_some() {
                            self.pending = Some(self.end_event(g));
                        }
                        return RunEvent::Trap(q.record());
                    }
                    if step.ended.is_some() {
                        return self.end_event(g);
                    }
                }
            }
        }
    }

    fn save(&self) -> MonitorState {
        MonitorState {
            slept: self.slept.clone(),
            session: self.session.state(),
            consoles: self.consoles.iter().map(ConsoleLog::len).collect(),
            input_pos: self.input.position(),
        }
    }

    fn restore(&mut self, s: &MonitorState) {
        self.session.set_state(&s.session);
        self.slept = s.slept.clone();
        for (c, &len) in self.consoles.iter().zip(&s.consoles) {
            c.set_len(len);
        }
        self.input.set_position(s.input_pos);
        self.pending = None;
        let now = self.position();
        while self.quiet.back().is_some_and(|q| q.position() > now) {
            self.quiet.pop_back();
        }
    }

    fn quiet_traps(&self, upto: u64, n: usize) -> Vec<TrapRecord> {
        let end = self.quiet.partition_point(|q| q.position() <= upto);
        self.quiet
            .range(end.saturating_sub(n)..end)
            .map(Quiet::record)
            .collect()
    }

    fn page_count(&self) -> usize {
        let r = self.session.hart().ram_range();
        ((r.end - r.start) as usize).div_ceil(PAGE)
    }

    fn take_dirty_pages(&mut self) -> Vec<usize> {
        self.session.hart_mut().take_dirty_pages()
    }

    fn page(&self, n: usize) -> &[u8] {
        self.session.hart().ram_page(n).unwrap_or(&[])
    }

    fn write_page(&mut self, n: usize, data: &[u8]) {
        if self.page(n) != data {
            let base = self.session.hart().ram_range().start;
            let pa = base + (n * PAGE) as u64;
            self.session.hart_mut().write_phys(pa, data);
        }
    }

    fn read_virt_in(&self, guest: usize, va: u64, buf: &mut [u8]) -> bool {
        self.read_virt_of(guest, va, buf)
    }
}

/// The virtual device at guest-physical `pa`, if any (book: "The
/// machine").
fn device_at(pa: u64) -> Option<&'static str> {
    use cpu::devices::{FINISHER_BASE, FINISHER_SIZE, UART_BASE, UART_SIZE};
    if (UART_BASE..UART_BASE + UART_SIZE).contains(&pa) {
        Some("UART")
    } else if (FINISHER_BASE..FINISHER_BASE + FINISHER_SIZE).contains(&pa) {
        Some("test finisher")
    } else {
        None
    }
}

fn watch_overlaps(w: &cpu::debug::Watch, hit: &cpu::debug::WatchHit) -> bool {
    hit.va < w.start.saturating_add(w.len) && w.start < hit.va.saturating_add(hit.size)
}
