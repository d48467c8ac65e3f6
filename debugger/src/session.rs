//! A debugging session: a target, its history, the breakpoints, and the
//! commands that move it forwards and backwards ([`Session::execute`]).
//! Every front end drives one of these: the line interface, and next a
//! full-screen view and a GDB stub.
//!
//! **Forward.** `continue` runs the target at full speed in slices that end
//! at each snapshot boundary of the history; between slices the session
//! takes the snapshot, shows new console output and looks for Ctrl-C.
//! Every trap, SBI call or exit comes back to the session (it logs each
//! one for `info traps`, and catchpoints stop there), unless no catchpoint
//! or CSR watch looks at them: then the target goes past them quietly,
//! logging each as a raw copy named only when `info traps` or the trap
//! pane shows it ([`Stops::quiet_traps`]). Breakpoints and watchpoints
//! come back where they hit.
//!
//! **Backward.** `reverse-stepi N` is "go to position − N": restore the
//! nearest snapshot before it and run forward to it. `reverse-continue`
//! looks for the last stop before now: it re-runs the interval from the
//! snapshot before now, noting every place a breakpoint, watchpoint or
//! catchpoint would have stopped, takes the last one, or if there is none
//! the interval before, and so on back to the start.

use std::collections::BTreeMap;

use cpu::debug::{Watch, WatchHit};
use cpu::hart::Priv;
use cpu::isa::{self, Op};
use cpu::trap::Trap;

use crate::command::{CatchSpec, Command, WatchKind, XFormat};
use crate::describe;
use crate::expr::{Expr, Scope};
use crate::history::{History, DEFAULT_BUDGET};
use crate::output::{Change, InsnLine, Reply, SourceLine, StepDone, Stop, StopReason};
use crate::program::Program;
use crate::target::{RunEvent, Stops, Target, TrapKind, TrapRecord, TRAP_LOG};

/// The most events one slice runs before the session looks at Ctrl-C and
/// the console again.
const SLICE: u64 = 1 << 24;

/// A command that failed, with the message to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CmdError(pub String);

impl CmdError {
    pub(crate) fn new(s: impl Into<String>) -> CmdError {
        CmdError(s.into())
    }
}

impl From<crate::expr::ExprError> for CmdError {
    fn from(e: crate::expr::ExprError) -> Self {
        CmdError(e.to_string())
    }
}

pub(crate) type Result<T> = std::result::Result<T, CmdError>;

/// What a front end hears while a command runs.
pub trait Observer {
    /// A guest printed `bytes` (each byte is told once, the first time the
    /// guest gets there).
    fn console(&mut self, guest: usize, name: &str, bytes: &[u8]);
    /// Whether the user asked to stop (Ctrl-C) since the last call.
    fn interrupted(&mut self) -> bool;
    /// A line to show before a command's replies ("Continuing.").
    fn message(&mut self, text: &str);
}

/// An observer that keeps console output and never interrupts (tests).
#[derive(Default)]
pub struct Quiet {
    pub output: Vec<(usize, Vec<u8>)>,
}

impl Observer for Quiet {
    fn console(&mut self, guest: usize, _name: &str, bytes: &[u8]) {
        self.output.push((guest, bytes.to_vec()));
    }
    fn interrupted(&mut self) -> bool {
        false
    }
    fn message(&mut self, _text: &str) {}
}

/// A breakpoint, watchpoint or catchpoint.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub number: u32,
    pub enabled: bool,
    pub temporary: bool,
    pub hits: u64,
    pub ignore: u64,
    pub condition: Option<Expr>,
    pub kind: PointKind,
}

#[derive(Clone, Debug)]
pub(crate) enum PointKind {
    Break {
        guest: usize,
        addr: u64,
    },
    Watch {
        guest: usize,
        kind: WatchKind,
        what: Watched,
        /// The value now (for `watch`: a change is a stop).
        old: Vec<u8>,
    },
    Catch(CatchSpec),
}

#[derive(Clone, Debug)]
pub(crate) enum Watched {
    Memory {
        va: u64,
        len: u64,
    },
    /// A CSR; reads are found at the instructions of the program that
    /// name it (`sites`).
    Csr {
        name: &'static str,
        sites: Vec<u64>,
    },
}

/// A place the session stops at by itself: `nexti`'s return, `finish`'s,
/// `until`'s location.
#[derive(Clone, Debug)]
pub(crate) struct Goal {
    pub guest: usize,
    pub addr: u64,
    /// Only with this stack pointer (the frame of the call).
    pub sp: Option<u64>,
    pub what: &'static str,
}

/// How far a forward run may go and what it looks for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Run {
    /// Stop at this position.
    pub until: Option<u64>,
    pub goals: Vec<Goal>,
    /// Stop at the user's breakpoints, watchpoints and catchpoints.
    pub user: bool,
}

/// What one event of a run says (forward, or scanning back).
enum Verdict {
    Go,
    /// Stop, at the state before the event (`before`) or now.
    Stop {
        reason: StopReason,
        before: bool,
    },
    /// Step one more event, then stop (a CSR read watch, at the read).
    StepThenStop(StopReason),
}

/// A debugging session over a target.
pub struct Session<T: Target> {
    pub(crate) target: T,
    pub(crate) history: History<T::State>,
    pub(crate) points: Vec<Point>,
    next_number: u32,
    pub(crate) traps: BTreeMap<u64, TrapRecord>,
    pub(crate) values: Vec<u64>,
    /// `x`'s next address and format.
    pub(crate) last_x: Option<(u64, XFormat, bool)>,
    /// `list`'s last lines shown: (guest, file, first, last).
    pub(crate) last_list: Option<(usize, usize, u32, u32)>,
    /// Console bytes shown so far, per guest.
    shown: Vec<usize>,
    observer: Box<dyn Observer>,
    killed: bool,
    /// The breakpoint, watchpoint or catchpoint the last stop was at (for
    /// `continue N`).
    last_break: Option<u32>,
}

/// A state of a guest, to tell what a step changed.
struct Before {
    pc: u64,
    bits: Option<u32>,
    privilege: Priv,
    regs: [u64; 32],
    csrs: Vec<(&'static str, u64)>,
    /// A store's address, size and old bytes.
    store: Option<(u64, u64, Vec<u8>)>,
}

impl<T: Target> Session<T> {
    /// A session over a target that has just booted, stopped at its first
    /// instruction.
    pub fn new(mut target: T) -> Session<T> {
        let history = History::new(&mut target, DEFAULT_BUDGET);
        let guests = target.guests().len();
        Session {
            target,
            history,
            points: Vec::new(),
            next_number: 1,
            traps: BTreeMap::new(),
            values: Vec::new(),
            last_x: None,
            last_list: None,
            shown: vec![0; guests],
            observer: Box::new(Quiet::default()),
            killed: false,
            last_break: None,
        }
    }

    /// Who hears console output and may interrupt.
    pub fn set_observer(&mut self, observer: Box<dyn Observer>) {
        self.observer = observer;
    }

    /// The history's memory budget and snapshot spacing (tests and
    /// measurements; the defaults suit a run of any length).
    pub fn set_history(&mut self, budget: usize, spacing: u64) {
        self.history.set_spacing(spacing);
        self.history.set_budget(budget);
    }

    pub fn target(&self) -> &T {
        &self.target
    }

    pub fn target_mut(&mut self) -> &mut T {
        &mut self.target
    }

    /// How far back the history goes and what it costs.
    pub fn history_info(&self) -> crate::history::HistoryInfo {
        self.history.info()
    }

    /// Events since boot.
    pub fn position(&self) -> u64 {
        self.target.position()
    }

    pub(crate) fn focus(&self) -> usize {
        self.target.focus()
    }

    /// The focused guest's program.
    pub fn program(&self) -> &Program {
        self.target.program(self.focus())
    }

    /// Whether commands refer to several guests (names shown in stops).
    pub(crate) fn several(&self) -> bool {
        self.target.guests().len() > 1
    }

    // --- memory and names -------------------------------------------------

    /// Reads the focused guest's memory at virtual address `va`, through
    /// its page tables; false if any byte is not mapped or not RAM.
    pub fn read_virt(&self, va: u64, buf: &mut [u8]) -> bool {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let Ok(pa) = self.target.translate(a).guest.result else {
                return false;
            };
            let in_page = (4096 - (a & 4095)) as usize;
            let n = in_page.min(buf.len() - done);
            if !self.target.read_phys(pa, &mut buf[done..done + n]) {
                return false;
            }
            done += n;
        }
        true
    }

    pub(crate) fn read_u32(&self, va: u64) -> Option<u32> {
        let mut b = [0u8; 4];
        self.read_virt(va, &mut b).then(|| u32::from_le_bytes(b))
    }

    pub(crate) fn read_u64_virt(&self, va: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        self.read_virt(va, &mut b).then(|| u64::from_le_bytes(b))
    }

    /// `<symbol+off>` text for an address in the focused guest.
    pub fn label(&self, addr: u64) -> Option<String> {
        self.program().label(addr)
    }

    /// The instruction at `addr` in the focused guest, ready to show
    /// (marked if it is where `pc` is or has an enabled breakpoint).
    pub fn insn_line(&self, addr: u64) -> InsnLine {
        let bits = self.read_u32(addr);
        let text = match bits {
            Some(b) => self.insn_text(b, addr),
            None => "(cannot read memory here)".to_string(),
        };
        InsnLine {
            addr,
            label: self.label(addr),
            bits,
            text,
            current: addr == self.target.pc(),
            breakpoint: self.points.iter().any(|p| {
                p.enabled
                    && matches!(p.kind, PointKind::Break { guest, addr: a } if a == addr && guest == self.focus())
            }),
        }
    }

    /// objdump's text, with `<symbol>` after a jump or branch target.
    pub(crate) fn insn_text(&self, bits: u32, pc: u64) -> String {
        // The hart runs compressed code (RV64IMAC): a 16-bit parcel is an
        // instruction of its own.
        let mut text = if isa::parcel_len(bits as u16) == 2 {
            cpu::disasm::disasm_compressed(bits as u16, pc)
        } else {
            cpu::disasm::disasm(bits, pc)
        };
        if let Some(i) = cpu::rvc::base(bits).and_then(|(w, _)| isa::decode(w).ok()) {
            let target = match i.op {
                Op::Jal | Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
                    Some(pc.wrapping_add(i.imm as i64 as u64))
                }
                _ => None,
            };
            if let Some(l) = target.and_then(|t| self.label(t)) {
                text += &format!(" <{l}>");
            }
        }
        text
    }

    /// The source line `addr` came from, if the program has a line table.
    pub fn source_line(&self, addr: u64) -> Option<SourceLine> {
        let p = self.program();
        let loc = p.location(addr)?;
        Some(SourceLine {
            file: crate::program::short_path(&p.files.get(loc.file)?.path).to_string(),
            line: loc.line,
            text: p.source_line(loc).unwrap_or("").to_string(),
            current: true,
        })
    }

    /// A stop at the current state.
    pub(crate) fn stop(&self, reason: StopReason, steps: Vec<StepDone>, reverse: bool) -> Stop {
        let pc = self.target.pc();
        let guests = self.target.guests();
        Stop {
            reason,
            guest: self
                .several()
                .then(|| guests.get(self.focus()).map(|g| g.name.clone()))
                .flatten(),
            privilege: self.target.privilege(),
            steps,
            source: self.source_line(pc),
            next: self.insn_line(pc),
            reverse,
        }
    }

    /// Where the guest is now, as a stop (what a front end shows first).
    pub fn here(&self) -> Stop {
        self.stop(StopReason::Step, Vec::new(), false)
    }

    // --- the console --------------------------------------------------------

    fn flush_console(&mut self) {
        for g in 0..self.shown.len() {
            let shown = self.shown[g];
            if self.target.console_len(g) <= shown {
                continue;
            }
            let out = self.target.console(g);
            let name = self.guest_name(g);
            self.observer.console(g, &name, &out[shown..]);
            self.shown[g] = out.len();
        }
    }

    // --- breakpoints --------------------------------------------------------

    pub(crate) fn add_point(
        &mut self,
        temporary: bool,
        condition: Option<Expr>,
        kind: PointKind,
    ) -> u32 {
        let number = self.next_number;
        self.next_number += 1;
        self.points.push(Point {
            number,
            enabled: true,
            temporary,
            hits: 0,
            ignore: 0,
            condition,
            kind,
        });
        number
    }

    /// A breakpoint at virtual address `addr` of guest `guest`, as a front
    /// end sets one (GDB's `Z0`/`Z1` packets): its number, for
    /// [`Session::remove_point`] and `info breakpoints`.
    pub fn insert_breakpoint(&mut self, guest: usize, addr: u64) -> u32 {
        self.add_point(false, None, PointKind::Break { guest, addr })
    }

    /// A watchpoint on `len` bytes at virtual address `va` of guest
    /// `guest` (GDB's `Z2`..`Z4`): its number. As `watch` does, a write
    /// watchpoint stops only where the value changes.
    pub fn insert_watchpoint(&mut self, guest: usize, kind: WatchKind, va: u64, len: u64) -> u32 {
        let what = Watched::Memory { va, len };
        let old = self.watched_value(guest, &what);
        self.add_point(
            false,
            None,
            PointKind::Watch {
                guest,
                kind,
                what,
                old,
            },
        )
    }

    /// Deletes breakpoint, watchpoint or catchpoint `number`; false if
    /// there is none.
    pub fn remove_point(&mut self, number: u32) -> bool {
        let before = self.points.len();
        self.points.retain(|p| p.number != number);
        self.points.len() != before
    }

    /// The value of an expression (registers, CSRs, symbols, memory) in
    /// the focused guest.
    pub fn evaluate(&self, e: &Expr) -> Result<u64> {
        Ok(e.eval(&SessionScope(self))?)
    }

    /// The last `n` traps and exits logged up to now, oldest first (what
    /// `info traps N` shows).
    pub fn recent_traps(&self, n: usize) -> Vec<TrapRecord> {
        let now = self.position();
        // Those the session was told, and those the target went past
        // quietly (one run's or the other's: the same at a position).
        let mut recent: Vec<_> = self
            .traps
            .range(..=now)
            .rev()
            .take(n)
            .map(|(_, r)| r.clone())
            .collect();
        recent.extend(self.target.quiet_traps(now, n));
        recent.sort_by_key(|r| r.position);
        recent.dedup_by_key(|r| r.position);
        let skip = recent.len().saturating_sub(n);
        recent
            .into_iter()
            .skip(skip)
            .map(|r| self.label_trap(r))
            .collect()
    }

    /// Whether a run may let the target go past traps and exits quietly
    /// ([`Stops::quiet_traps`]): nothing in it looks at them but the log.
    fn quiet(&self, run: &Run) -> bool {
        !run.user
            || !self.points.iter().any(|p| {
                p.enabled
                    && matches!(
                        p.kind,
                        PointKind::Catch(
                            CatchSpec::Trap(..) | CatchSpec::Exit(_) | CatchSpec::Sbi(_)
                        ) | PointKind::Watch {
                            what: Watched::Csr { .. },
                            ..
                        }
                    )
            })
    }

    /// What the target must stop at for the enabled points and `goals`.
    fn stops(&self, run: &Run) -> Stops {
        let mut s = Stops::default();
        for p in self.points.iter().filter(|p| p.enabled) {
            match &p.kind {
                PointKind::Break { guest, addr } => s.breakpoints.push((*guest, *addr)),
                PointKind::Watch {
                    guest,
                    kind,
                    what: Watched::Memory { va, len },
                    ..
                } => s.watches.push((
                    *guest,
                    Watch {
                        start: *va,
                        len: *len,
                        read: *kind != WatchKind::Write,
                        write: *kind != WatchKind::Read,
                    },
                )),
                PointKind::Watch {
                    guest,
                    kind,
                    what: Watched::Csr { sites, .. },
                    ..
                } => {
                    if *kind != WatchKind::Read {
                        s.privileged = true;
                    }
                    if *kind != WatchKind::Write {
                        s.breakpoints.extend(sites.iter().map(|&a| (*guest, a)));
                    }
                }
                PointKind::Catch(_) => {}
            }
        }
        s.breakpoints
            .extend(run.goals.iter().map(|g| (g.guest, g.addr)));
        s.breakpoints.sort_unstable();
        s.breakpoints.dedup();
        s
    }

    /// The current value of what a watchpoint watches.
    fn watched_value(&self, guest: usize, what: &Watched) -> Vec<u8> {
        match what {
            Watched::Memory { va, len } => {
                let mut b = vec![0u8; *len as usize];
                if self.target.read_virt_in(guest, *va, &mut b) {
                    b
                } else {
                    Vec::new()
                }
            }
            Watched::Csr { name, .. } => self
                .csr_value(name)
                .map(|v| v.to_le_bytes().to_vec())
                .unwrap_or_default(),
        }
    }

    /// A CSR of the focused guest, by name.
    pub(crate) fn csr_value(&self, name: &str) -> Option<u64> {
        self.target
            .csrs()
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.value)
    }

    /// Watchpoints take the values they see now.
    fn refresh_watches(&mut self) {
        let focus = self.focus();
        let mut points = std::mem::take(&mut self.points);
        for p in &mut points {
            if let PointKind::Watch {
                guest, what, old, ..
            } = &mut p.kind
            {
                if *guest == focus {
                    *old = self.watched_value(*guest, what);
                }
            }
        }
        self.points = points;
    }

    fn condition_holds(&self, cond: &Option<Expr>) -> bool {
        match cond {
            None => true,
            // A condition that cannot be evaluated stops (as GDB does), so
            // that the user sees the error.
            Some(c) => c.eval(&SessionScope(self)).ok().is_none_or(|v| v != 0),
        }
    }

    /// Whether (and how) an event stops the run. `counting`: forward, so
    /// hits, ignore counts and temporary points count; scanning back they
    /// do not.
    fn judge(&mut self, ev: &RunEvent, run: &Run, counting: bool) -> Verdict {
        match ev {
            RunEvent::Breakpoint { guest, pc } => {
                let regs = self.target.regs();
                if let Some(g) = run.goals.iter().find(|g| {
                    g.guest == *guest && g.addr == *pc && g.sp.is_none_or(|sp| regs[2] == sp)
                }) {
                    return Verdict::Stop {
                        reason: StopReason::Arrived(g.what),
                        before: false,
                    };
                }
                if !run.user {
                    return Verdict::Go;
                }
                for i in 0..self.points.len() {
                    let p = &self.points[i];
                    if !p.enabled {
                        continue;
                    }
                    match &p.kind {
                        PointKind::Break { guest: g, addr } if g == guest && addr == pc => {
                            if !self.condition_holds(&p.condition) {
                                continue;
                            }
                            let (number, temporary) = (p.number, p.temporary);
                            if counting {
                                let p = &mut self.points[i];
                                p.hits += 1;
                                if p.ignore > 0 {
                                    p.ignore -= 1;
                                    continue;
                                }
                                self.last_break = Some(number);
                            }
                            return Verdict::Stop {
                                reason: StopReason::Breakpoint { number, temporary },
                                before: false,
                            };
                        }
                        PointKind::Watch {
                            guest: g,
                            kind,
                            what: Watched::Csr { name, sites },
                            ..
                        } if g == guest && *kind != WatchKind::Write && sites.contains(pc) => {
                            let (number, kind) = (p.number, *kind);
                            let name = *name;
                            if counting {
                                self.points[i].hits += 1;
                                self.last_break = Some(number);
                            }
                            let value = self.csr_value(name).unwrap_or(0);
                            return Verdict::StepThenStop(StopReason::Watch {
                                number,
                                what: format!("${name}"),
                                kind: watch_kind_name(kind),
                                old: None,
                                new: value,
                            });
                        }
                        _ => {}
                    }
                }
                Verdict::Go
            }
            RunEvent::Watch { guest, hit } if run.user => self.judge_watch(*guest, hit, counting),
            RunEvent::Trap(rec) => {
                self.log_trap(rec.clone());
                if !run.user {
                    return Verdict::Go;
                }
                if let Some(v) = self.judge_catch(rec, counting) {
                    return v;
                }
                self.judge_csr_watches(counting)
            }
            RunEvent::Privileged { .. } if run.user => self.judge_csr_watches(counting),
            RunEvent::Switch { from, to } if run.user => {
                let names: Vec<String> = self.target.guests().into_iter().map(|g| g.name).collect();
                let found = self.points.iter().position(|p| {
                    p.enabled && matches!(p.kind, PointKind::Catch(CatchSpec::Switch))
                });
                match found {
                    Some(i) => {
                        let number = self.points[i].number;
                        if counting {
                            self.points[i].hits += 1;
                        }
                        Verdict::Stop {
                            reason: StopReason::Switch {
                                number,
                                from: from.and_then(|f| names.get(f).cloned()),
                                to: names.get(*to).cloned().unwrap_or_default(),
                            },
                            before: false,
                        }
                    }
                    None => Verdict::Go,
                }
            }
            RunEvent::Ended { guest, how } => {
                let names: Vec<String> = self.target.guests().into_iter().map(|g| g.name).collect();
                let all_ended = (0..names.len()).all(|g| self.target.ended(g).is_some());
                let caught = run.user
                    && self
                        .points
                        .iter()
                        .any(|p| p.enabled && matches!(p.kind, PointKind::Catch(CatchSpec::End)));
                if all_ended || caught || !self.several() {
                    Verdict::Stop {
                        reason: StopReason::Ended {
                            guest: names.get(*guest).cloned().unwrap_or_default(),
                            how: how.clone(),
                        },
                        before: false,
                    }
                } else {
                    // The others run on; the end is told as it happens,
                    // as GDB tells a thread's exit (going forwards: a scan
                    // back replays it untold).
                    if counting {
                        self.announce_end(*guest, how);
                    }
                    Verdict::Go
                }
            }
            _ => Verdict::Go,
        }
    }

    fn judge_watch(&mut self, guest: usize, hit: &WatchHit, counting: bool) -> Verdict {
        for i in 0..self.points.len() {
            let p = &self.points[i];
            let PointKind::Watch {
                guest: g,
                kind,
                what: Watched::Memory { va, len },
                old,
            } = &p.kind
            else {
                continue;
            };
            let overlaps =
                hit.va < va.saturating_add(*len) && *va < hit.va.saturating_add(hit.size);
            if !p.enabled || *g != guest || !overlaps {
                continue;
            }
            let (kind, va, len) = (*kind, *va, *len);
            let new = self.watched_value(guest, &Watched::Memory { va, len });
            let changed = *old != new;
            let interesting = match kind {
                WatchKind::Write => hit.write && changed,
                WatchKind::Read => hit.read,
                WatchKind::Access => true,
            };
            let old_v = value_of(old);
            if let PointKind::Watch { old, .. } = &mut self.points[i].kind {
                *old = new.clone();
            }
            if !interesting || !self.condition_holds(&self.points[i].condition) {
                continue;
            }
            let p = &mut self.points[i];
            if counting {
                p.hits += 1;
                if p.ignore > 0 {
                    p.ignore -= 1;
                    continue;
                }
                let number = p.number;
                self.last_break = Some(number);
            }
            let p = &self.points[i];
            return Verdict::Stop {
                reason: StopReason::Watch {
                    number: p.number,
                    what: format!("*{va:#x}"),
                    kind: watch_kind_name(kind),
                    old: (changed || kind == WatchKind::Write).then_some(old_v),
                    new: value_of(&new),
                },
                before: true,
            };
        }
        Verdict::Go
    }

    fn judge_csr_watches(&mut self, counting: bool) -> Verdict {
        let focus = self.focus();
        for i in 0..self.points.len() {
            let p = &self.points[i];
            let PointKind::Watch {
                guest,
                kind,
                what: what @ Watched::Csr { name, .. },
                old,
            } = &p.kind
            else {
                continue;
            };
            if !p.enabled || *kind == WatchKind::Read || *guest != focus {
                continue;
            }
            let name = *name;
            let new = self.watched_value(*guest, what);
            if *old == new {
                continue;
            }
            let (kind, old_v) = (*kind, value_of(old));
            if let PointKind::Watch { old, .. } = &mut self.points[i].kind {
                *old = new.clone();
            }
            if !self.condition_holds(&self.points[i].condition) {
                continue;
            }
            let p = &mut self.points[i];
            if counting {
                p.hits += 1;
                if p.ignore > 0 {
                    p.ignore -= 1;
                    continue;
                }
                let number = p.number;
                self.last_break = Some(number);
            }
            let p = &self.points[i];
            return Verdict::Stop {
                reason: StopReason::Watch {
                    number: p.number,
                    what: format!("${name}"),
                    kind: watch_kind_name(kind),
                    old: Some(old_v),
                    new: value_of(&new),
                },
                before: true,
            };
        }
        Verdict::Go
    }

    fn judge_catch(&mut self, rec: &TrapRecord, counting: bool) -> Option<Verdict> {
        for i in 0..self.points.len() {
            let p = &self.points[i];
            let PointKind::Catch(spec) = &p.kind else {
                continue;
            };
            if !p.enabled || !catches(spec, rec) || !self.condition_holds(&p.condition) {
                continue;
            }
            let number = p.number;
            if counting {
                let p = &mut self.points[i];
                p.hits += 1;
                if p.ignore > 0 {
                    p.ignore -= 1;
                    continue;
                }
                self.last_break = Some(number);
            }
            return Some(Verdict::Stop {
                reason: StopReason::Catch {
                    number,
                    record: self.label_trap(rec.clone()),
                },
                before: true,
            });
        }
        None
    }

    /// Names a trap record's addresses.
    pub(crate) fn label_trap(&self, mut rec: TrapRecord) -> TrapRecord {
        let p = self.target.program(rec.guest);
        rec.pc_label = p.label(rec.pc);
        rec.to_label = rec.destination().and_then(|a| p.label(a));
        rec
    }

    /// Logs a trap for `info traps` (named when shown: a guest may exit
    /// a million times a second).
    fn log_trap(&mut self, rec: TrapRecord) {
        self.traps.insert(rec.position, rec);
        while self.traps.len() > TRAP_LOG {
            self.traps.pop_first();
        }
    }

    /// After a stop on a temporary point, it goes.
    fn retire_temporary(&mut self, reason: &StopReason) {
        let number = match reason {
            StopReason::Breakpoint { number, .. }
            | StopReason::Watch { number, .. }
            | StopReason::Catch { number, .. } => *number,
            _ => return,
        };
        self.points.retain(|p| !(p.number == number && p.temporary));
    }

    // --- moving forward -------------------------------------------------------

    pub(crate) fn check_running(&self) -> Result<()> {
        if self.killed {
            return Err(CmdError::new("The program is not being run."));
        }
        let g = self.focus();
        if let Some(how) = self.target.ended(g) {
            if !self.several()
                || (0..self.target.guests().len()).all(|g| self.target.ended(g).is_some())
            {
                return Err(CmdError(format!(
                    "The program is not being run (it ended: {how}). Go back with reverse-stepi or reverse-continue, or start again with run."
                )));
            }
        }
        Ok(())
    }

    /// Runs until `run` says to stop: its position, a goal, a user's point
    /// (with `run.user`), the end, or Ctrl-C. Returns the reason.
    pub(crate) fn run_forward(&mut self, run: &Run) -> StopReason {
        let stops = Stops {
            quiet_traps: self.quiet(run),
            ..self.stops(run)
        };
        self.refresh_watches();
        // The command starts where the user stands: a breakpoint there
        // lets that instruction run first.
        let mut last = None;
        loop {
            if self.observer.interrupted() {
                return StopReason::Interrupted;
            }
            let pos = self.position();
            if run.until == Some(pos) {
                return StopReason::Step;
            }
            let mut budget = (self.history.next_boundary(pos) - pos).min(SLICE);
            if let Some(u) = run.until {
                budget = budget.min(u.saturating_sub(pos));
            }
            let ev = match self.breakpoint_skipped(&stops, last.as_ref()) {
                Some(ev) => ev,
                None => {
                    let ev = self.target.run(budget, &stops);
                    self.history.passed(&mut self.target);
                    self.flush_console();
                    ev
                }
            };
            last = Some(ev.clone());
            match self.judge(&ev, run, true) {
                Verdict::Go => {
                    if matches!(ev, RunEvent::Ended { .. }) && self.all_ended() {
                        let how = self.target.ended(self.focus()).unwrap_or_default();
                        return StopReason::Ended {
                            guest: self.guest_name(self.focus()),
                            how,
                        };
                    }
                }
                Verdict::Stop { reason, .. } => {
                    self.focus_on_event(&ev);
                    self.retire_temporary(&reason);
                    return reason;
                }
                Verdict::StepThenStop(reason) => {
                    self.focus_on_event(&ev);
                    let _ = self.step_event(&stops);
                    self.retire_temporary(&reason);
                    return match reason {
                        StopReason::Watch {
                            number,
                            what,
                            kind,
                            old,
                            new: _,
                        } => {
                            let name = what.trim_start_matches('$').to_string();
                            StopReason::Watch {
                                number,
                                what,
                                kind,
                                old,
                                new: self.csr_value(&name).unwrap_or(0),
                            }
                        }
                        r => r,
                    };
                }
            }
        }
    }

    /// A breakpoint the next [`Target::run`] would pass over: the target
    /// never stops at the `pc` it starts from, which is right where the
    /// user stands (`last` is `None`, the start of a command) or where the
    /// last event was that breakpoint, but not after a trap entered a
    /// handler, an SBI call returned or a slice ended at a snapshot
    /// boundary: there the breakpoint is this event. (Only the focused
    /// guest's `pc` is known: under the monitor, when it has the hart.)
    fn breakpoint_skipped(&self, stops: &Stops, last: Option<&RunEvent>) -> Option<RunEvent> {
        // The guest the last event left on the hart.
        let guest = match last? {
            RunEvent::Breakpoint { .. } | RunEvent::Ended { .. } => return None,
            RunEvent::Trap(rec) => rec.guest,
            RunEvent::Switch { to, .. } => *to,
            RunEvent::Watch { guest, .. } | RunEvent::Privileged { guest } => *guest,
            RunEvent::Done => self.target.current()?,
        };
        if self.target.current() != Some(guest) || self.target.ended(guest).is_some() {
            return None;
        }
        let pc = self.target.pc_of(guest);
        stops
            .breakpoints
            .contains(&(guest, pc))
            .then_some(RunEvent::Breakpoint { guest, pc })
    }

    /// Tells that guest `guest` ended while another one was being run
    /// (`[guest timer ended: SBI shutdown (exit code 0)]`, the line a stop
    /// at its end prints).
    fn announce_end(&mut self, guest: usize, how: &str) {
        let name = self.guest_name(guest);
        self.flush_console();
        self.observer
            .message(&format!("[guest {name} ended: {how}]"));
    }

    fn all_ended(&self) -> bool {
        (0..self.target.guests().len()).all(|g| self.target.ended(g).is_some())
    }

    pub(crate) fn guest_name(&self, g: usize) -> String {
        self.target
            .guests()
            .get(g)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    }

    /// The guest an event belongs to gets the focus (as GDB switches to
    /// the thread that stopped).
    fn focus_on_event(&mut self, ev: &RunEvent) {
        let g = match ev {
            RunEvent::Breakpoint { guest, .. }
            | RunEvent::Watch { guest, .. }
            | RunEvent::Privileged { guest }
            | RunEvent::Ended { guest, .. } => Some(*guest),
            RunEvent::Trap(r) => Some(r.guest),
            RunEvent::Switch { to, .. } => Some(*to),
            RunEvent::Done => None,
        };
        if let Some(g) = g {
            self.target.set_focus(g);
        }
    }

    /// Runs one event of the focused guest; returns the event (a trap,
    /// exit or watch hit, if it was one) and whether the guest ended.
    fn step_event(&mut self, stops: &Stops) -> (Option<RunEvent>, bool) {
        let start = self.target_events();
        let mut last = None;
        loop {
            let pos = self.position();
            let budget = self.history.next_boundary(pos) - pos;
            let ev = self.target.run(budget.min(1), stops);
            self.history.passed(&mut self.target);
            self.flush_console();
            match &ev {
                RunEvent::Trap(rec) => {
                    self.log_trap(rec.clone());
                    if rec.guest == self.focus() {
                        last = Some(ev.clone());
                    }
                }
                RunEvent::Watch { .. } => last = Some(ev.clone()),
                RunEvent::Ended { guest, .. } if *guest == self.focus() => {
                    return (Some(ev), true);
                }
                RunEvent::Ended { guest, how } if !self.all_ended() => {
                    self.announce_end(*guest, how);
                }
                _ => {}
            }
            if self.target_events() != start {
                // Its last event may have ended it (an SBI shutdown).
                let ended = self.target.ended(self.focus()).is_some();
                return (last, ended);
            }
            if let RunEvent::Ended { .. } = ev {
                if self.all_ended() {
                    return (Some(ev), true);
                }
            }
        }
    }

    /// The focused guest's own events.
    fn target_events(&self) -> u64 {
        self.target.events_of(self.focus())
    }

    fn before(&self) -> Before {
        let pc = self.target.pc();
        let regs = self.target.regs();
        let bits = self.read_u32(pc);
        let store = bits
            .and_then(cpu::rvc::base)
            .and_then(|(w, _)| isa::decode(w).ok())
            .and_then(|i| {
                let size = match i.op {
                    Op::Sb => 1,
                    Op::Sh => 2,
                    Op::Sw | Op::ScW => 4,
                    Op::Sd | Op::ScD => 8,
                    op if format!("{op:?}").starts_with("Amo") => {
                        if format!("{op:?}").ends_with('W') {
                            4
                        } else {
                            8
                        }
                    }
                    _ => return None,
                };
                let imm = if matches!(i.op, Op::Sb | Op::Sh | Op::Sw | Op::Sd) {
                    i.imm as i64 as u64
                } else {
                    0
                };
                let addr = regs[i.rs1 as usize & 31].wrapping_add(imm);
                let mut old = vec![0u8; size];
                self.read_virt(addr, &mut old)
                    .then_some((addr, size as u64, old))
            });
        Before {
            pc,
            bits,
            privilege: self.target.privilege(),
            regs,
            csrs: self
                .target
                .csrs()
                .into_iter()
                .map(|r| (r.name, r.value))
                .collect(),
            store,
        }
    }

    /// What changed since `b`.
    fn changes(&self, b: &Before, retired: bool) -> Vec<Change> {
        let mut out = Vec::new();
        let regs = self.target.regs();
        for (r, (&new, &old)) in regs.iter().zip(&b.regs).enumerate().skip(1) {
            if new != old {
                out.push(Change {
                    what: isa::REG_NAMES[r].to_string(),
                    old,
                    new,
                    detail: String::new(),
                });
            }
        }
        let p = self.target.privilege();
        if p != b.privilege {
            out.push(Change {
                what: "priv".into(),
                old: b.privilege as u64,
                new: p as u64,
                detail: format!("{} -> {}", priv_name(b.privilege), priv_name(p)),
            });
        }
        for row in self.target.csrs() {
            // The counters move with every event: not news.
            if matches!(row.name, "time" | "cycle" | "instret") {
                continue;
            }
            if let Some(&(_, old)) = b.csrs.iter().find(|(n, _)| *n == row.name) {
                if old != row.value {
                    out.push(Change {
                        what: row.name.to_string(),
                        old,
                        new: row.value,
                        detail: field_changes(row.name, old, row.value),
                    });
                }
            }
        }
        if let (true, Some((addr, size, old))) = (retired, &b.store) {
            let mut new = vec![0u8; *size as usize];
            if self.read_virt(*addr, &mut new) && new != *old {
                out.push(Change {
                    what: format!("mem[{addr:#x}]"),
                    old: value_of(old),
                    new: value_of(&new),
                    detail: format!("{size} bytes"),
                });
            }
        }
        out
    }

    /// `stepi N`: N events of the focused guest; with one, what it did.
    pub(crate) fn stepi(&mut self, n: u64) -> Result<Stop> {
        self.check_running()?;
        let mut steps = Vec::new();
        let mut reason = StopReason::Step;
        let stops = self.stops(&Run::default());
        let watching = self
            .points
            .iter()
            .any(|p| p.enabled && matches!(p.kind, PointKind::Watch { .. }));
        let breaking = self
            .points
            .iter()
            .any(|p| p.enabled && matches!(p.kind, PointKind::Break { .. }));
        for i in 0..n {
            if i % 4096 == 0 && self.observer.interrupted() {
                reason = StopReason::Interrupted;
                break;
            }
            let b = (n == 1).then(|| self.before());
            let watches = if watching {
                self.watch_values()
            } else {
                Vec::new()
            };
            let (ev, ended) = self.step_event(&stops);
            if let Some(b) = b {
                let done = match &ev {
                    Some(RunEvent::Trap(rec)) if !matches!(rec.kind, TrapKind::Slept { .. }) => {
                        StepDone::Trap {
                            record: self.label_trap(rec.clone()),
                            changes: self.changes(&b, false),
                        }
                    }
                    _ => {
                        let mut insn = self.insn_line(b.pc);
                        insn.bits = b.bits;
                        if let Some(bits) = b.bits {
                            insn.text = self.insn_text(bits, b.pc);
                        }
                        insn.current = false;
                        let mut changes = self.changes(&b, true);
                        if let Some(RunEvent::Trap(rec)) = &ev {
                            if let TrapKind::Slept { until } = rec.kind {
                                changes.push(Change {
                                    what: "time".into(),
                                    old: 0,
                                    new: until,
                                    detail: "slept until the timer's deadline".into(),
                                });
                            }
                        }
                        StepDone::Insn { insn, changes }
                    }
                };
                steps.push(done);
            }
            if ended {
                let how = self.target.ended(self.focus()).unwrap_or_default();
                reason = StopReason::Ended {
                    guest: self.guest_name(self.focus()),
                    how,
                };
                break;
            }
            // A watchpoint that triggers ends the steps (as in GDB).
            if let Some(r) = self.watch_triggered(&watches) {
                reason = r;
                break;
            }
            // A breakpoint reached on the way stops `stepi N`.
            if breaking && i + 1 < n {
                let pc = self.target.pc();
                let focus = self.focus();
                if let Some(p) = self.points.iter().find(|p| {
                    p.enabled && matches!(p.kind, PointKind::Break { guest, addr } if guest == focus && addr == pc)
                }) {
                    reason = StopReason::Breakpoint {
                        number: p.number,
                        temporary: p.temporary,
                    };
                    break;
                }
            }
        }
        self.refresh_watches();
        self.history.reached(self.position());
        Ok(self.stop(reason, steps, false))
    }

    fn watch_values(&self) -> Vec<(u32, Vec<u8>)> {
        let focus = self.focus();
        self.points
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| match &p.kind {
                PointKind::Watch {
                    guest, what, kind, ..
                } if *guest == focus && *kind != WatchKind::Read => {
                    Some((p.number, self.watched_value(*guest, what)))
                }
                _ => None,
            })
            .collect()
    }

    fn watch_triggered(&self, before: &[(u32, Vec<u8>)]) -> Option<StopReason> {
        for (number, old) in before {
            let p = self.points.iter().find(|p| p.number == *number)?;
            if let PointKind::Watch {
                guest, what, kind, ..
            } = &p.kind
            {
                let new = self.watched_value(*guest, what);
                if new != *old {
                    return Some(StopReason::Watch {
                        number: *number,
                        what: match what {
                            Watched::Memory { va, .. } => format!("*{va:#x}"),
                            Watched::Csr { name, .. } => format!("${name}"),
                        },
                        kind: watch_kind_name(*kind),
                        old: Some(value_of(old)),
                        new: value_of(&new),
                    });
                }
            }
        }
        None
    }

    /// `continue`: full speed until something stops the guest.
    pub(crate) fn cont(&mut self, ignore: u64) -> Result<Stop> {
        self.check_running()?;
        if ignore > 1 {
            if let Some(n) = self.last_break {
                if let Some(p) = self.points.iter_mut().find(|p| p.number == n) {
                    p.ignore = ignore - 1;
                }
            }
        }
        self.last_break = None;
        self.observer.message("Continuing.");
        let reason = self.run_forward(&Run {
            user: true,
            ..Run::default()
        });
        self.after_run();
        Ok(self.stop(reason, Vec::new(), false))
    }

    /// Shows a line now, before what the command prints at its end.
    pub(crate) fn say(&mut self, text: &str) {
        self.observer.message(text);
    }

    /// Runs forward with `goals` (and the user's points).
    pub(crate) fn run_to_goals(&mut self, goals: Vec<Goal>) -> Result<Stop> {
        self.check_running()?;
        self.last_break = None;
        let reason = self.run_forward(&Run {
            user: true,
            goals,
            until: None,
        });
        self.after_run();
        Ok(self.stop(reason, Vec::new(), false))
    }

    fn after_run(&mut self) {
        self.refresh_watches();
        self.history.reached(self.position());
    }

    // --- moving backward --------------------------------------------------------

    /// Puts the target at position `pos`, `pos` events after boot: back
    /// through the history, or forward at full speed (taking snapshots on
    /// the way); no breakpoint stops it, and it stops early only if the
    /// guests end first.
    pub fn go_to(&mut self, pos: u64) {
        self.history.restore_for(&mut self.target, pos);
        let run = Run {
            until: Some(pos),
            ..Run::default()
        };
        let stops = Stops {
            quiet_traps: true,
            ..self.stops(&run)
        };
        while self.position() < pos {
            let now = self.position();
            let budget = (pos - now).min(self.history.next_boundary(now) - now);
            let ev = self.target.run(budget, &stops);
            self.history.passed(&mut self.target);
            match ev {
                RunEvent::Trap(rec) => self.log_trap(rec),
                RunEvent::Ended { .. } if self.all_ended() || !self.several() => break,
                _ => {}
            }
        }
        // Output is shown once, the first time the guest gets there.
        self.flush_console();
        self.killed = false;
        self.refresh_watches();
    }

    /// `reverse-stepi N`: back N of the focused guest's own events (what
    /// `stepi N` counts), to just before the Nth-last one. Under the
    /// monitor the other guests' events in between are undone too; a
    /// guest that has fewer stops at its start (just before its first
    /// event, or where the history begins) and says there is no more
    /// history, as natively.
    pub(crate) fn reverse_stepi(&mut self, n: u64) -> Stop {
        let pos = self.position();
        let first = self.history.first();
        if !self.several() {
            // One guest: its events are the positions.
            let (to, reason) = if pos.saturating_sub(first) < n {
                (first, StopReason::HistoryStart)
            } else {
                (pos - n, StopReason::Step)
            };
            self.go_to(to);
            return self.stop(reason, Vec::new(), true);
        }
        let focus = self.focus();
        let now = self.target.events_of(focus);
        self.go_to(first);
        let at_first = self.target.events_of(focus);
        let (want, reason) = if now.saturating_sub(at_first) < n {
            (at_first, StopReason::HistoryStart)
        } else {
            (now - n, StopReason::Step)
        };
        // The last position with `want` events of the focus: just before
        // the first position with one more (a position is one event of
        // one guest, so the count goes up by one at a time).
        let (mut lo, mut hi) = (first, pos);
        if want < now {
            while lo + 1 < hi {
                let mid = lo + (hi - lo) / 2;
                self.go_to(mid);
                if self.target.events_of(focus) > want {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
        } else {
            lo = pos;
        }
        self.go_to(lo);
        self.stop(reason, Vec::new(), true)
    }

    /// Looks back from now for the last place where `run` would have
    /// stopped; goes there, or to the start of the history.
    pub(crate) fn reverse_search(&mut self, run: &Run) -> Stop {
        let end = self.position();
        let mut hi = end;
        loop {
            let lo = self
                .history
                .snapshot_before(hi)
                .unwrap_or(self.history.first());
            self.go_to(lo);
            if let Some((pos, reason)) = self.scan(run, hi, end) {
                self.go_to(pos);
                self.retire_temporary(&reason);
                return self.stop(reason, Vec::new(), true);
            }
            if lo <= self.history.first() {
                self.go_to(self.history.first());
                return self.stop(StopReason::HistoryStart, Vec::new(), true);
            }
            hi = lo;
        }
    }

    /// Runs from here to `hi`, noting the last place before `end` where
    /// `run` would stop.
    fn scan(&mut self, run: &Run, hi: u64, end: u64) -> Option<(u64, StopReason)> {
        let stops = Stops {
            quiet_traps: self.quiet(run),
            ..self.stops(run)
        };
        self.refresh_watches();
        let mut found = None;
        // A breakpoint where the scan starts: the run would not report it.
        let pc = self.target.pc();
        let here = RunEvent::Breakpoint {
            guest: self.focus(),
            pc,
        };
        if stops.breakpoints.contains(&(self.focus(), pc)) && self.position() < end {
            if let Verdict::Stop { reason, .. } = self.judge(&here, run, false) {
                found = Some((self.position(), reason));
            }
        }
        let mut last = Some(here);
        while self.position() < hi {
            let pos = self.position();
            let budget = (hi - pos).min(self.history.next_boundary(pos) - pos);
            let ev = match self.breakpoint_skipped(&stops, last.as_ref()) {
                Some(ev) => ev,
                None => {
                    let ev = self.target.run(budget, &stops);
                    self.history.passed(&mut self.target);
                    ev
                }
            };
            last = Some(ev.clone());
            let now = self.position();
            match self.judge(&ev, run, false) {
                Verdict::Stop { reason, before } => {
                    let at = if before { now.saturating_sub(1) } else { now };
                    if at < end {
                        found = Some((at, reason));
                    }
                }
                Verdict::StepThenStop(reason) => {
                    if now < end {
                        found = Some((now, reason));
                    }
                }
                Verdict::Go => {}
            }
            if let RunEvent::Ended { .. } = ev {
                if self.all_ended() || !self.several() {
                    break;
                }
            }
        }
        found
    }

    /// `run`: back to the start.
    pub(crate) fn restart(&mut self) -> Stop {
        let first = self.history.first();
        self.go_to(first);
        self.stop(StopReason::Step, Vec::new(), true)
    }

    pub(crate) fn kill(&mut self) {
        self.killed = true;
    }

    /// Runs one command.
    pub fn execute(&mut self, cmd: &Command) -> Result<Vec<Reply>> {
        crate::commands::execute(self, cmd)
    }
}

/// A value's bytes as a number (little-endian, the first 8 bytes).
pub(crate) fn value_of(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = bytes.len().min(8);
    b[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(b)
}

pub(crate) fn watch_kind_name(kind: WatchKind) -> &'static str {
    match kind {
        WatchKind::Write => "Hardware watchpoint",
        WatchKind::Read => "Hardware read watchpoint",
        WatchKind::Access => "Hardware access (read/write) watchpoint",
    }
}

pub(crate) fn priv_name(p: Priv) -> &'static str {
    match p {
        Priv::User => "U",
        Priv::Supervisor => "S",
        Priv::Machine => "M",
    }
}

/// Which fields of a CSR changed, in words.
fn field_changes(name: &str, old: u64, new: u64) -> String {
    if name == "scause" {
        // The cause of the trap just taken; the old value is only the
        // last one's (or its reset value, 0, before any: not a cause).
        return describe::csr_fields(name, new);
    }
    let (a, b) = (
        describe::csr_fields(name, old),
        describe::csr_fields(name, new),
    );
    if a == b {
        return String::new();
    }
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if wa.len() == wb.len() && a.contains('=') {
        wa.iter()
            .zip(&wb)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| {
                let (k, v0) = x.split_once('=').unwrap_or((x, ""));
                let v1 = y.split_once('=').map_or("", |(_, v)| v);
                format!("{k} {v0} -> {v1}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        format!("{a} -> {b}")
    }
}

/// Whether a catchpoint catches a trap record.
fn catches(spec: &CatchSpec, rec: &TrapRecord) -> bool {
    match (spec, &rec.kind) {
        (CatchSpec::Trap(f, _), TrapKind::Taken { trap, .. }) => f.matches(trap),
        (CatchSpec::Trap(f, _), TrapKind::Sbi { .. }) => f.matches(&Trap::Exception {
            cause: cpu::trap::Exception::EcallFromS,
            tval: 0,
        }),
        (CatchSpec::Trap(f, _), TrapKind::Exit(e)) => f.matches(&e.trap),
        (CatchSpec::Sbi(eid), TrapKind::Sbi { call, .. }) => {
            eid.is_none_or(|e| describe::sbi_call_extension(call) == e)
        }
        (CatchSpec::Sbi(eid), TrapKind::Exit(e)) => {
            e.sbi.is_some() && eid.is_none_or(|id| e.sbi == Some(id))
        }
        (CatchSpec::Exit(reason), TrapKind::Exit(e)) => reason.as_ref().is_none_or(|r| {
            describe::exit_reason_key(&e.reason).contains(&describe::exit_reason_key(r))
        }),
        _ => false,
    }
}

/// Names in expressions: the focused guest's registers, CSRs, symbols.
pub(crate) struct SessionScope<'a, T: Target>(pub &'a Session<T>);

impl<T: Target> Scope for SessionScope<'_, T> {
    fn var(&self, name: &str) -> Option<u64> {
        let s = self.0;
        if let Ok(n) = name.parse::<usize>() {
            return n.checked_sub(1).and_then(|i| s.values.get(i)).copied();
        }
        match name {
            "pc" => return Some(s.target.pc()),
            "priv" => return Some(s.target.privilege() as u64),
            "events" => return Some(s.position()),
            "fp" => return Some(s.target.regs()[8]),
            "" => return s.values.last().copied(),
            _ => {}
        }
        if let Some(r) = isa::reg_by_name(name) {
            return Some(s.target.regs()[r as usize]);
        }
        s.csr_value(name)
    }

    fn symbol(&self, name: &str) -> Option<u64> {
        self.0.program().symbol(name)
    }

    fn read_u64(&self, addr: u64) -> Option<u64> {
        self.0.read_u64_virt(addr)
    }
}
