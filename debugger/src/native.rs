//! The native target: one guest in real S-mode on the hart, with
//! trapvisor's SBI firmware (the SEE of [`cpu::machine`]) as M-mode.
//!
//! The debugger runs the hart itself ([`Hart::run_events`]) and hands each
//! exit the firmware keeps to the SEE's own handler ([`Machine::handle_exit`]),
//! so a guest runs exactly as under `trapvisor run`. Traps the guest takes
//! in S-mode come back as [`cpu::debug::DebugEvent::Trapped`]: the
//! debugger logs each one (`info traps`) and `catch trap` can stop there.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use cpu::csr::{SSTATUS_READ_MASK, SSTATUS_SPP, S_INTERRUPTS};
use cpu::debug::{DebugEvent, DebugStops};
use cpu::devices::{ByteSource, Console, Ended, Finisher, UartState};
use cpu::hart::HartState;
use cpu::hart::{Exit, Hart, Priv, RAM_BASE};
use cpu::image::Image;
use cpu::machine::{BootError, Flow, Machine, Outcome};
use cpu::sbi::{SbiCall, SbiRet};
use cpu::trap::{Exception, Trap};

use crate::program::Program;
use crate::target::{
    CsrRow, GuestInfo, GuestState, RunEvent, Stops, Target, Translation, TrapKind, TrapRecord,
};
use crate::walk;

const PAGE: usize = 4096;

/// A guest's console output, kept whole so that the debugger can show it
/// and go back and forth in time with it.
///
/// Like [`InputLog`], it keeps what the run wrote beyond where it stands
/// now: going back only moves the end shown (the bytes after it are the
/// run's future), and a snapshot restored ahead of where the run stands
/// (going forward from far back) moves it forward again. A snapshot keeps
/// only the length, so the bytes up to it must still be here when it is
/// restored. Running forward writes the same bytes again (runs are
/// deterministic); a write that differs (the state was edited by hand, the
/// future changed) drops the old future.
#[derive(Clone, Debug, Default)]
pub struct ConsoleLog(Arc<Mutex<Written>>);

#[derive(Debug, Default)]
struct Written {
    /// Every byte the run wrote, up to the furthest point reached.
    bytes: Vec<u8>,
    /// How many of them are written where the run stands.
    len: usize,
}

impl ConsoleLog {
    fn lock(&self) -> MutexGuard<'_, Written> {
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        let w = self.lock();
        w.bytes[..w.len].to_vec()
    }

    pub fn len(&self) -> usize {
        self.lock().len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output where the run had written `len` bytes (before or after
    /// where it stands; at most what the run ever wrote).
    pub fn set_len(&self, len: usize) {
        let mut w = self.lock();
        w.len = len.min(w.bytes.len());
    }
}

impl Write for ConsoleLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut w = self.lock();
        let at = w.len;
        let end = at + buf.len();
        if w.bytes.get(at..end) != Some(buf) {
            // Not the recorded future (or past its end): it is the future now.
            w.bytes.truncate(at);
            w.bytes.extend_from_slice(buf);
        }
        w.len = end;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Console input, recorded: every byte the guest takes from the live
/// source is kept, so that after going back the guest reads the same bytes
/// again, and a run forward is the same run.
#[derive(Clone)]
pub struct InputLog(Arc<Mutex<InputState>>);

struct InputState {
    taken: Vec<u8>,
    pos: usize,
    live: Box<dyn ByteSource>,
}

impl InputLog {
    /// Input from `live` (a file read in advance, or nothing).
    pub fn new(live: Box<dyn ByteSource>) -> InputLog {
        InputLog(Arc::new(Mutex::new(InputState {
            taken: Vec::new(),
            pos: 0,
            live,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, InputState> {
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// How many bytes the guest has taken.
    pub fn position(&self) -> usize {
        self.lock().pos
    }

    /// Goes back (or forward, within what was recorded) to `pos`.
    pub fn set_position(&self, pos: usize) {
        let mut s = self.lock();
        s.pos = pos.min(s.taken.len());
    }
}

impl ByteSource for InputLog {
    fn next_byte(&mut self) -> Option<u8> {
        let mut s = self.lock();
        if s.pos == s.taken.len() {
            let b = s.live.next_byte()?;
            s.taken.push(b);
        }
        let b = s.taken.get(s.pos).copied();
        s.pos += 1;
        b
    }
}

/// Everything about the native machine a snapshot keeps, RAM aside.
#[derive(Clone, Debug)]
pub struct NativeState {
    hart: HartState,
    uart: UartState,
    finisher: Finisher,
    sbi_ended: Option<Ended>,
    console_len: usize,
    input_pos: usize,
    outcome: Option<Outcome>,
    counts: Counts,
}

/// What left the guest for M-mode, by reason (`info exits`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counts {
    /// SBI calls by extension id.
    sbi: BTreeMap<u64, u64>,
    sleeps: u64,
}

/// One guest on the real hart with the SEE.
pub struct NativeTarget {
    machine: Machine<Hart>,
    program: Program,
    console: ConsoleLog,
    input: InputLog,
    outcome: Option<Outcome>,
    counts: Counts,
    /// The stops last given to the hart (setting them drops caches).
    applied: Stops,
}

impl NativeTarget {
    /// Boots `image` in a machine with `memory` bytes of RAM, the guest
    /// reading its console input from `input`.
    pub fn boot(
        program: Program,
        image: &Image,
        memory: u64,
        input: Box<dyn ByteSource>,
    ) -> Result<NativeTarget, BootError> {
        let console = ConsoleLog::default();
        let input = InputLog::new(input);
        let machine = Machine::boot(
            image,
            memory,
            Console::new(Box::new(console.clone()), Box::new(input.clone())),
        )?;
        let mut t = NativeTarget {
            machine,
            program,
            console,
            input,
            outcome: None,
            counts: Counts::default(),
            applied: Stops::default(),
        };
        t.machine.hart.set_debug_stops(DebugStops {
            traps: true,
            ..DebugStops::default()
        });
        // The pages the image was loaded into stay recorded as written:
        // the history's first snapshot keeps them.
        Ok(t)
    }

    /// The machine (for settings: translation, digest, instruction limit).
    pub fn machine(&mut self) -> &mut Machine<Hart> {
        &mut self.machine
    }

    /// How the guest ended, if it did.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// The hart.
    pub fn hart(&self) -> &Hart {
        &self.machine.hart
    }

    fn apply(&mut self, stops: &Stops) {
        if *stops == self.applied {
            return;
        }
        let hart = &mut self.machine.hart;
        let bps: Vec<u64> = stops.breakpoints.iter().map(|&(_, a)| a).collect();
        hart.set_breakpoints(&bps);
        hart.set_debug_stops(DebugStops {
            watches: stops.watches.iter().map(|&(_, w)| w).collect(),
            traps: true,
            privileged: stops.privileged,
        });
        self.applied = stops.clone();
    }

    fn end(&mut self, outcome: Outcome) -> RunEvent {
        self.outcome = Some(outcome);
        RunEvent::Ended {
            guest: 0,
            how: outcome.to_string(),
        }
    }

    /// The SEE answers the SBI call the hart stopped at.
    fn sbi_call(&mut self, exit: Exit) -> RunEvent {
        let hart = &self.machine.hart;
        let (pc, privilege) = (hart.arch.pc, hart.arch.core.privilege);
        let call = SbiCall::from_regs(&hart.arch.x);
        *self.counts.sbi.entry(hart.arch.x[17]).or_default() += 1;
        match self.machine.handle_exit(exit) {
            Flow::Stop(outcome) => self.end(outcome),
            Flow::Continue => {
                let x = &self.machine.hart.arch.x;
                let ret = if is_legacy(&call) {
                    SbiRet::Legacy(x[10])
                } else {
                    SbiRet::Standard {
                        error: x[10] as i64,
                        value: x[11],
                    }
                };
                RunEvent::Trap(TrapRecord {
                    position: self.position(),
                    guest: 0,
                    pc,
                    privilege,
                    kind: TrapKind::Sbi { call, ret },
                    pc_label: None,
                    to_label: None,
                })
            }
        }
    }
}

/// Legacy SBI calls answer in `a0` alone.
fn is_legacy(call: &SbiCall) -> bool {
    matches!(
        call,
        SbiCall::LegacySetTimer { .. }
            | SbiCall::LegacyPutchar { .. }
            | SbiCall::LegacyGetchar
            | SbiCall::LegacyShutdown
    ) || matches!(call, SbiCall::Unsupported { ext, .. } if *ext < 0x10)
}

impl Target for NativeTarget {
    type State = NativeState;

    fn guests(&self) -> Vec<GuestInfo> {
        let hart = &self.machine.hart;
        vec![GuestInfo {
            name: self.program.name.clone(),
            state: match &self.outcome {
                Some(o) => GuestState::Ended(o.to_string()),
                None => GuestState::Running,
            },
            events: hart.events(),
            instret: hart.instret(),
        }]
    }

    fn events_of(&self, _guest: usize) -> u64 {
        self.machine.hart.events()
    }

    fn focus(&self) -> usize {
        0
    }

    fn set_focus(&mut self, guest: usize) -> bool {
        guest == 0
    }

    fn program(&self, _guest: usize) -> &Program {
        &self.program
    }

    fn current(&self) -> Option<usize> {
        Some(0)
    }

    fn regs(&self) -> [u64; 32] {
        let mut x = self.machine.hart.arch.x;
        x[0] = 0;
        x
    }

    fn pc(&self) -> u64 {
        self.machine.hart.arch.pc
    }

    fn privilege(&self) -> Priv {
        self.machine.hart.arch.core.privilege
    }

    fn csrs(&self) -> Vec<CsrRow> {
        let h = &self.machine.hart;
        let c = &h.arch.core.csr;
        let row = |name, value| CsrRow {
            name,
            value,
            real: None,
        };
        vec![
            row("sstatus", c.mstatus & SSTATUS_READ_MASK),
            row("sie", c.mie & c.mideleg & S_INTERRUPTS),
            row("sip", c.mip & c.mideleg & S_INTERRUPTS),
            row("stvec", c.stvec),
            row("sscratch", c.sscratch),
            row("sepc", c.sepc & !3),
            row("scause", c.scause),
            row("stval", c.stval),
            row("satp", c.satp),
            row("scounteren", c.scounteren),
            row("time", h.time()),
            row("cycle", h.instret()),
            row("instret", h.instret()),
            // The firmware's: what it delegates, and the SBI timer's
            // compare value (the machine has no Sstc: S-mode has no
            // `stimecmp`, it sets the timer with SBI `set_timer`).
            row("medeleg", c.medeleg),
            row("mideleg", c.mideleg),
            row("mtimecmp", h.arch.core.timecmp),
        ]
    }

    fn satp(&self) -> u64 {
        self.machine.hart.arch.core.csr.satp
    }

    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.machine.hart.read_phys(pa, buf)
    }

    fn translate(&self, va: u64) -> Translation {
        let hart = &self.machine.hart;
        let guest = walk::walk(hart.arch.core.csr.satp, va, |pa| {
            let mut b = [0u8; 8];
            hart.read_phys(pa, &mut b).then(|| u64::from_le_bytes(b))
        });
        Translation {
            guest,
            host: None,
            shadow: None,
            device: None,
        }
    }

    fn ended(&self, _guest: usize) -> Option<String> {
        self.outcome.map(|o| o.to_string())
    }

    fn console(&self, _guest: usize) -> Vec<u8> {
        self.console.contents()
    }

    fn console_len(&self, _guest: usize) -> usize {
        self.console.len()
    }

    fn exit_counts(&self, _guest: usize) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .counts
            .sbi
            .iter()
            .map(|(&eid, &n)| {
                (
                    format!("SBI call: {}", crate::describe::sbi_extension(eid)),
                    n,
                )
            })
            .collect();
        if self.counts.sleeps > 0 {
            out.push(("wfi: slept until the timer".into(), self.counts.sleeps));
        }
        out
    }

    fn position(&self) -> u64 {
        self.machine.hart.events()
    }

    fn run(&mut self, events: u64, stops: &Stops) -> RunEvent {
        if let Some(o) = self.outcome {
            return RunEvent::Ended {
                guest: 0,
                how: o.to_string(),
            };
        }
        self.apply(stops);
        let end = self.position().saturating_add(events);
        loop {
            let mut left = end.saturating_sub(self.position());
            if left == 0 {
                return RunEvent::Done;
            }
            let limit = self.machine.max_instructions;
            if limit != 0 {
                let instret = self.machine.hart.instret();
                if instret >= limit {
                    let o = Outcome::Stopped(cpu::machine::StopReason::InstructionLimit { limit });
                    return self.end(o);
                }
                // Each event retires at most one instruction.
                left = left.min(limit - instret);
            }
            let m = &mut self.machine;
            let exit = m.hart.run_events(&mut m.devices, left);
            match exit {
                Exit::BudgetExhausted => {}
                Exit::Breakpoint => {
                    return RunEvent::Breakpoint {
                        guest: 0,
                        pc: m.hart.arch.pc,
                    }
                }
                Exit::Debug(DebugEvent::Watch(hit)) => return RunEvent::Watch { guest: 0, hit },
                Exit::Debug(DebugEvent::Privileged) => return RunEvent::Privileged { guest: 0 },
                Exit::Debug(DebugEvent::Trapped(trap)) => {
                    let c = &m.hart.arch.core.csr;
                    let from = if c.mstatus & SSTATUS_SPP != 0 {
                        Priv::Supervisor
                    } else {
                        Priv::User
                    };
                    return RunEvent::Trap(TrapRecord {
                        position: m.hart.events(),
                        guest: 0,
                        pc: c.sepc,
                        privilege: from,
                        kind: TrapKind::Taken {
                            trap,
                            handler: m.hart.arch.pc,
                        },
                        pc_label: None,
                        to_label: None,
                    });
                }
                Exit::Trap(Trap::Exception {
                    cause: Exception::EcallFromS,
                    ..
                }) => return self.sbi_call(exit),
                Exit::Wfi => {
                    let pc = m.hart.arch.pc.wrapping_sub(4);
                    let privilege = m.hart.arch.core.privilege;
                    match m.handle_exit(exit) {
                        Flow::Stop(o) => return self.end(o),
                        Flow::Continue => {
                            self.counts.sleeps += 1;
                            return RunEvent::Trap(TrapRecord {
                                position: self.position(),
                                guest: 0,
                                pc,
                                privilege,
                                kind: TrapKind::Slept {
                                    until: self.machine.hart.time(),
                                },
                                pc_label: None,
                                to_label: None,
                            });
                        }
                    }
                }
                // The finisher, a storm, a trap the SEE never expects.
                exit => {
                    if let Flow::Stop(o) = m.handle_exit(exit) {
                        return self.end(o);
                    }
                }
            }
        }
    }

    fn save(&self) -> NativeState {
        let d = &self.machine.devices;
        NativeState {
            hart: self.machine.hart.state(),
            uart: d.uart.state(),
            finisher: d.finisher,
            sbi_ended: d.sbi_ended,
            console_len: self.console.len(),
            input_pos: self.input.position(),
            outcome: self.outcome,
            counts: self.counts.clone(),
        }
    }

    fn restore(&mut self, s: &NativeState) {
        self.machine.hart.set_state(&s.hart);
        let d = &mut self.machine.devices;
        d.uart.set_state(&s.uart);
        d.finisher = s.finisher;
        d.sbi_ended = s.sbi_ended;
        self.console.set_len(s.console_len);
        self.input.set_position(s.input_pos);
        self.outcome = s.outcome;
        self.counts = s.counts.clone();
    }

    fn read_virt_in(&self, _guest: usize, va: u64, buf: &mut [u8]) -> bool {
        let mut done = 0;
        while done < buf.len() {
            let a = va.wrapping_add(done as u64);
            let Ok(pa) = self.translate(a).guest.result else {
                return false;
            };
            let n = (PAGE - (a as usize & (PAGE - 1))).min(buf.len() - done);
            if !self.read_phys(pa, &mut buf[done..done + n]) {
                return false;
            }
            done += n;
        }
        true
    }

    fn page_count(&self) -> usize {
        let r = self.machine.hart.ram_range();
        ((r.end - r.start) as usize).div_ceil(PAGE)
    }

    fn take_dirty_pages(&mut self) -> Vec<usize> {
        self.machine.hart.take_dirty_pages()
    }

    fn page(&self, n: usize) -> &[u8] {
        self.machine.hart.ram_page(n).unwrap_or(&[])
    }

    fn write_page(&mut self, n: usize, data: &[u8]) {
        if self.page(n) != data {
            let pa = RAM_BASE + (n * PAGE) as u64;
            self.machine.hart.write_phys(pa, data);
        }
    }
}
