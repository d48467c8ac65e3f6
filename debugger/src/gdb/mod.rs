//! The GDB remote stub: `trapvisor debug --gdb [HOST:]PORT` (or QEMU's
//! `-s`, `-S`), so that `gdb-multiarch` attaches to the guests as it does
//! to QEMU (`target remote :1234`), over the GDB Remote Serial Protocol
//! (GDB manual, appendix E) as the `gdbstub` crate speaks it.
//!
//! The stub is one more front end on a [`Session`]: what GDB asks for
//! becomes the session's commands and accessors, so a stop, a reverse
//! step or a watchpoint means the same here as at the line interface.
//!
//! - **Threads.** Each guest is a GDB thread (thread N is guest N-1):
//!   `info threads` lists them with their state, `thread N` looks at one.
//!   Natively there is one; under the monitor one per guest
//!   ([`crate::monitored`]).
//! - **Registers.** `x0`..`x31` and `pc` in the `g` packet; the CSRs the
//!   target has and the privilege level `priv` one by one, numbered as
//!   GDB numbers them ([`arch`]). Under the monitor they are the guest's
//!   virtual CSRs (`monitor csrs` shows the real hart's beside them).
//! - **Memory** is read by virtual address through the thread's guest
//!   page tables.
//! - **Run control.** Software and hardware breakpoints (both are the
//!   session's breakpoints: nothing is written into guest memory),
//!   watchpoints, single-step, `reverse-stepi` and `reverse-continue`
//!   (from the session's history). Ctrl-C in GDB stops a run.
//! - **`monitor CMD`** runs a command of the line interface that looks
//!   (`monitor exits`, `monitor csrs`, `monitor translate VADDR`,
//!   `monitor guests`, `monitor traps`, `monitor info breakpoints`, ...)
//!   and prints its text; commands that move the guests are GDB's own.
//! - **What GDB may not change.** Writing registers or memory is refused:
//!   the session's history replays the guests exactly, and a write would
//!   make it lie.
//! - **The end of a guest** is a stop with `SIGKILL` (as `rr` reports the
//!   end of a replay), not an exit: the guest stays there, and
//!   `reverse-stepi` or `reverse-continue` go back from it.
//! - **One debugger at a time, any number in turn.** A debugger that
//!   detaches, disconnects or sends garbage ends only its own connection:
//!   the guests stay where they are and the next debugger that connects
//!   finds them there. `kill` ends trapvisor.

pub mod arch;

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::marker::PhantomData;
use std::net::{TcpListener, TcpStream};
use std::num::NonZeroUsize;
use std::rc::Rc;

use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::outputln;
use gdbstub::stub::run_blocking::{self, BlockingEventLoop};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::reverse_exec::{
    ReplayLogPosition, ReverseCont, ReverseContOps, ReverseStep, ReverseStepOps,
};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps,
    SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::ext::target_description_xml_override::{
    TargetDescriptionXmlOverride, TargetDescriptionXmlOverrideOps,
};
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::{TargetError, TargetResult};

use crate::command::{self, Command, WatchKind};
use crate::output::{Reply, StopReason};
use crate::render::render;
use crate::session::{Observer, Session};
use crate::target::{GuestState, Target};

use self::arch::{CoreRegs, Reg, Rv64};

/// The port `-s` listens on, as QEMU's.
pub const DEFAULT_PORT: u16 = 1234;

/// The largest packet the stub takes, advertised to GDB as `PacketSize`
/// (gdbstub's packet buffer).
pub const PACKET_SIZE: usize = 4096;

/// The most bytes one `m` packet answers: their hex fills a packet of
/// [`PACKET_SIZE`]. GDB never asks for more; a longer read gets the prefix
/// that fits, as the protocol allows ("the reply may contain fewer
/// addressable memory units than requested") and as gdbserver answers
/// (gdbstub alone would stream the whole range: `m80200000,ffffffff`
/// sent all of RAM).
pub const MAX_READ: usize = PACKET_SIZE / 2;

/// A connection to a debugger: gdbstub's byte stream, and a way to ask,
/// while the guests run, whether the debugger has sent something (Ctrl-C,
/// or the end of the connection).
pub trait Wire: ConnectionExt<Error = io::Error> + Sized {
    /// A check that does not block: true when a byte (or the end of the
    /// stream, or an error) is waiting.
    fn pending_check(&self) -> io::Result<Box<dyn FnMut() -> bool>>;
    /// Another handle on the same connection.
    fn duplicate(&self) -> io::Result<Self>;
}

impl Wire for TcpStream {
    fn duplicate(&self) -> io::Result<TcpStream> {
        self.try_clone()
    }

    fn pending_check(&self) -> io::Result<Box<dyn FnMut() -> bool>> {
        let s = self.try_clone()?;
        Ok(Box::new(move || {
            if s.set_nonblocking(true).is_err() {
                return true;
            }
            let got = TcpStream::peek(&s, &mut [0u8]);
            let _ = s.set_nonblocking(false);
            match got {
                Ok(_) => true, // a byte, or 0: the debugger left
                Err(e) => e.kind() != io::ErrorKind::WouldBlock,
            }
        }))
    }
}

/// A [`Wire`] that counts the bytes read from it (for [`Stub`] to tell
/// one packet from the next).
pub struct Counted<W> {
    wire: W,
    bytes_in: Rc<Cell<u64>>,
}

impl<W: Wire> gdbstub::conn::Connection for Counted<W> {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.wire.write(byte)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        gdbstub::conn::Connection::write_all(&mut self.wire, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        gdbstub::conn::Connection::flush(&mut self.wire)
    }

    fn on_session_start(&mut self) -> io::Result<()> {
        self.wire.on_session_start()
    }
}

impl<W: Wire> ConnectionExt for Counted<W> {
    fn read(&mut self) -> io::Result<u8> {
        let b = self.wire.read()?;
        self.bytes_in.set(self.bytes_in.get().wrapping_add(1));
        Ok(b)
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        self.wire.peek()
    }
}

impl<W: Wire> Wire for Counted<W> {
    fn pending_check(&self) -> io::Result<Box<dyn FnMut() -> bool>> {
        self.wire.pending_check()
    }

    fn duplicate(&self) -> io::Result<Self> {
        Ok(Counted {
            wire: self.wire.duplicate()?,
            bytes_in: self.bytes_in.clone(),
        })
    }
}

/// Guest console output as trapvisor prints it while a debugger drives the
/// guests: as it comes natively, a line at a time with `[name] ` before it
/// when there are several guests.
pub struct ConsolePrinter {
    out: Box<dyn Write>,
    names: Vec<String>,
    partial: Vec<Vec<u8>>,
}

impl ConsolePrinter {
    pub fn new(out: Box<dyn Write>, names: Vec<String>) -> ConsolePrinter {
        let partial = vec![Vec::new(); names.len()];
        ConsolePrinter {
            out,
            names,
            partial,
        }
    }

    fn console(&mut self, guest: usize, bytes: &[u8]) {
        if self.names.len() <= 1 {
            let _ = self.out.write_all(bytes);
            let _ = self.out.flush();
            return;
        }
        let Some(part) = self.partial.get_mut(guest) else {
            return;
        };
        let name = self.names.get(guest).map_or("?", |s| s.as_str());
        for &b in bytes {
            if b == b'\n' {
                let _ = write!(self.out, "[{name}] ");
                let _ = self.out.write_all(part);
                let _ = self.out.write_all(b"\n");
                part.clear();
            } else if b != b'\r' {
                part.push(b);
            }
        }
        let _ = self.out.flush();
    }
}

/// The session's observer while the stub (or the wait for a debugger)
/// drives it: console output to the printer, and a way to stop a run.
struct StubObserver {
    console: Rc<RefCell<ConsolePrinter>>,
    pending: Box<dyn FnMut() -> bool>,
}

impl Observer for StubObserver {
    fn console(&mut self, guest: usize, _name: &str, bytes: &[u8]) {
        self.console.borrow_mut().console(guest, bytes);
    }
    fn interrupted(&mut self) -> bool {
        (self.pending)()
    }
    fn message(&mut self, text: &str) {
        tracing::debug!(target: "gdb", "{text}");
    }
}

/// What GDB put in: (kind, address, length) and the session's point for
/// each guest.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inserted {
    kind: PointSort,
    addr: u64,
    len: u64,
    numbers: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PointSort {
    Software,
    Hardware,
    Watch(gdbstub::target::ext::breakpoints::WatchKind),
}

/// What GDB asked the guests to do at the last resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    Continue,
    Step(usize),
    ReverseStep(usize),
    ReverseContinue,
}

/// How a connection ended.
#[derive(Debug)]
pub enum Ending {
    /// GDB detached (`detach`, or `quit` after asking).
    Detached,
    /// GDB killed the guests (`kill`): trapvisor leaves.
    Killed,
    /// The connection broke or the debugger sent what the stub could not
    /// take.
    Lost(String),
}

/// One debugger's view of a session (gdbstub's target).
pub struct Stub<'s, T: Target> {
    session: &'s mut Session<T>,
    resume: Resume,
    inserted: Vec<Inserted>,
    xml: String,
    /// Bytes read from the debugger so far (shared with [`Counted`]): an
    /// `m` packet is answered in several `read_addrs` calls with no byte
    /// read between them.
    bytes_in: Rc<Cell<u64>>,
    /// `bytes_in` at the last `read_addrs`, and what the packet it
    /// answers may still send.
    read_budget: (u64, usize),
}

fn tid(guest: usize) -> Tid {
    NonZeroUsize::MIN.saturating_add(guest)
}

fn guest(tid: Tid) -> usize {
    tid.get() - 1
}

type StopReasonOf = MultiThreadStopReason<u64>;

impl<'s, T: Target> Stub<'s, T> {
    pub fn new(session: &'s mut Session<T>) -> Stub<'s, T> {
        let names: Vec<&'static str> = session.target().csrs().iter().map(|r| r.name).collect();
        let xml = arch::target_xml(&names);
        Stub {
            session,
            resume: Resume::Continue,
            inserted: Vec::new(),
            xml,
            bytes_in: Rc::default(),
            read_budget: (u64::MAX, 0),
        }
    }

    /// Looks at guest `g` (false if there is none).
    fn look_at(&mut self, g: usize) -> bool {
        g < self.session.target().guests().len() && self.session.target_mut().set_focus(g)
    }

    fn look_at_tid(&mut self, t: Tid) -> TargetResult<(), Self> {
        if self.look_at(guest(t)) {
            Ok(())
        } else {
            Err(TargetError::NonFatal)
        }
    }

    fn guests(&self) -> usize {
        self.session.target().guests().len()
    }

    /// Takes out every point GDB put in (when its connection ends).
    fn remove_inserted(&mut self) {
        for i in std::mem::take(&mut self.inserted) {
            for n in i.numbers {
                self.session.remove_point(n);
            }
        }
    }

    fn insert(&mut self, kind: PointSort, addr: u64, len: u64) -> bool {
        let mut numbers = Vec::new();
        let focus = self.session.target().focus();
        for g in 0..self.guests() {
            let n = match kind {
                PointSort::Software | PointSort::Hardware => {
                    self.session.insert_breakpoint(g, addr)
                }
                PointSort::Watch(w) => {
                    self.look_at(g);
                    let kind = match w {
                        gdbstub::target::ext::breakpoints::WatchKind::Write => WatchKind::Write,
                        gdbstub::target::ext::breakpoints::WatchKind::Read => WatchKind::Read,
                        gdbstub::target::ext::breakpoints::WatchKind::ReadWrite => {
                            WatchKind::Access
                        }
                    };
                    self.session.insert_watchpoint(g, kind, addr, len.max(1))
                }
            };
            numbers.push(n);
        }
        self.look_at(focus);
        self.inserted.push(Inserted {
            kind,
            addr,
            len,
            numbers,
        });
        true
    }

    fn remove(&mut self, kind: PointSort, addr: u64, len: u64) -> bool {
        let Some(i) = self
            .inserted
            .iter()
            .position(|p| p.kind == kind && p.addr == addr && p.len == len)
        else {
            return false;
        };
        let p = self.inserted.remove(i);
        for n in p.numbers {
            self.session.remove_point(n);
        }
        true
    }

    /// Runs what GDB asked at the last resume, and says why it stopped;
    /// `None` when the debugger sent something meanwhile (the run stopped
    /// to read it).
    fn run(&mut self) -> Option<StopReasonOf> {
        let cmd = match self.resume {
            Resume::Continue => Command::Continue(1),
            Resume::Step(g) => {
                self.look_at(g);
                Command::Stepi(1)
            }
            Resume::ReverseStep(g) => {
                self.look_at(g);
                Command::ReverseStepi(1)
            }
            Resume::ReverseContinue => Command::ReverseContinue,
        };
        let result = self.session.execute(&cmd);
        let here = tid(self.session.target().focus());
        let stop = match result {
            Ok(replies) => replies.into_iter().find_map(|r| match r {
                Reply::Stop(s) => Some(s),
                _ => None,
            }),
            // The guests ended (or were killed): they stay there.
            Err(_) => None,
        };
        let Some(stop) = stop else {
            return Some(MultiThreadStopReason::SignalWithThread {
                tid: here,
                signal: Signal::SIGKILL,
            });
        };
        let trap = MultiThreadStopReason::SignalWithThread {
            tid: here,
            signal: Signal::SIGTRAP,
        };
        Some(match stop.reason {
            StopReason::Interrupted => return None,
            StopReason::Step => trap,
            StopReason::Breakpoint { number, .. } => {
                match self.inserted.iter().find(|p| p.numbers.contains(&number)) {
                    Some(p) if p.kind == PointSort::Hardware => {
                        MultiThreadStopReason::HwBreak(here)
                    }
                    _ => MultiThreadStopReason::SwBreak(here),
                }
            }
            StopReason::Watch { number, .. } => {
                match self.inserted.iter().find(|p| p.numbers.contains(&number)) {
                    Some(&Inserted {
                        kind: PointSort::Watch(kind),
                        addr,
                        ..
                    }) => {
                        // GDB takes RISC-V watchpoints to stop before the
                        // access (as the debug spec's triggers do): it
                        // steps the instruction itself, then compares the
                        // values. The session stopped after it; forwards,
                        // the guest goes back one event (backwards the
                        // session already stopped before it).
                        if self.resume == Resume::Continue {
                            let pos = self.session.position();
                            self.session.go_to(pos.saturating_sub(1));
                        }
                        MultiThreadStopReason::Watch {
                            tid: here,
                            kind,
                            addr,
                        }
                    }
                    _ => trap,
                }
            }
            StopReason::Ended { .. } => MultiThreadStopReason::SignalWithThread {
                tid: here,
                signal: Signal::SIGKILL,
            },
            StopReason::HistoryStart => MultiThreadStopReason::ReplayLog {
                tid: Some(here),
                pos: ReplayLogPosition::Begin,
            },
            StopReason::HistoryEnd => MultiThreadStopReason::ReplayLog {
                tid: Some(here),
                pos: ReplayLogPosition::End,
            },
            // Catchpoints (set with `monitor catch ...`), `finish`-like
            // arrivals and guest switches: a stop GDB did not ask for.
            StopReason::Catch { .. } | StopReason::Switch { .. } | StopReason::Arrived(_) => trap,
        })
    }

    /// A `monitor` command's text: the line interface's command and its
    /// replies as the line interface prints them.
    fn monitor(&mut self, text: &str) -> String {
        let text = text.trim();
        if text.is_empty() || text == "help" {
            return MONITOR_HELP.to_string();
        }
        let cmd = match command::parse(text) {
            Ok(c) => c,
            Err(e) => match command::parse(&format!("info {text}")) {
                Ok(c) => c,
                Err(_) => return format!("{e}\n"),
            },
        };
        if moves(&cmd) {
            return format!(
                "monitor {text}: the guests move by GDB's own commands here (stepi, continue, reverse-stepi, ...), so that GDB knows where they are.\n"
            );
        }
        match self.session.execute(&cmd) {
            Ok(replies) => replies.iter().map(render).collect(),
            Err(e) => format!("{e}\n"),
        }
    }
}

/// What `monitor help` prints.
const MONITOR_HELP: &str = "\
trapvisor's monitor commands (any command of `trapvisor debug` that looks
rather than moves; `info` may be left out):
  monitor exits              exits (natively: calls to the firmware) by reason
  monitor csrs [NAME...]     the CSRs (under the monitor: virtual beside real)
  monitor translate VADDR    the page-table walk of an address
  monitor guests             the guests, their state and events
  monitor traps [N]          the last N traps or exits, each with its handler
  monitor history            how far back reverse execution goes
  monitor catch trap|exit|sbi|switch|end ...   stop GDB's next continue there
  monitor help COMMAND       a command's help
";

/// Commands that move the guests: GDB must do that itself, or its view of
/// the registers would be stale.
fn moves(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Stepi(_)
            | Command::Nexti(_)
            | Command::Continue(_)
            | Command::Until(_)
            | Command::Advance(_)
            | Command::Finish
            | Command::Kill
            | Command::Run
            | Command::Quit(_)
            | Command::ReverseStepi(_)
            | Command::ReverseNexti(_)
            | Command::ReverseContinue
            | Command::ReverseFinish
            | Command::Guest(_)
    )
}

impl<T: Target> gdbstub::target::Target for Stub<'_, T> {
    type Arch = Rv64;
    type Error = &'static str;

    fn base_ops(&mut self) -> BaseOps<'_, Rv64, &'static str> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }
}

impl<T: Target> MultiThreadBase for Stub<'_, T> {
    fn read_registers(&mut self, regs: &mut CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        self.look_at_tid(tid)?;
        let t = self.session.target();
        regs.x = t.regs();
        regs.pc = t.pc();
        Ok(())
    }

    fn write_registers(&mut self, _regs: &CoreRegs, _tid: Tid) -> TargetResult<(), Self> {
        Err(TargetError::NonFatal)
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        self.look_at_tid(tid)?;
        // gdbstub answers a long `m` in chunks of its buffer, one call
        // each, with nothing read from the debugger between them: a call
        // after a byte came in starts a packet, the others continue it.
        let now = self.bytes_in.get();
        let first = self.read_budget.0 != now;
        if first {
            self.read_budget = (now, MAX_READ);
        }
        let want = data.len().min(self.read_budget.1);
        // Page by page: what can be read up to the first hole.
        let mut done = 0;
        while done < want {
            let a = start.wrapping_add(done as u64);
            let n = ((4096 - (a & 4095)) as usize).min(want - done);
            if !self.session.read_virt(a, &mut data[done..done + n]) {
                break;
            }
            done += n;
        }
        // After a hole nothing more: the reply is the prefix before it.
        self.read_budget.1 = if done < data.len() {
            0
        } else {
            self.read_budget.1 - done
        };
        if first && done == 0 && !data.is_empty() {
            return Err(TargetError::Errno(14)); // EFAULT
        }
        Ok(done)
    }

    fn write_addrs(&mut self, _start: u64, _data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        Err(TargetError::NonFatal)
    }

    fn list_active_threads(&mut self, active: &mut dyn FnMut(Tid)) -> Result<(), &'static str> {
        for g in 0..self.guests() {
            active(tid(g));
        }
        Ok(())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl<T: Target> SingleRegisterAccess<Tid> for Stub<'_, T> {
    fn read_register(&mut self, tid: Tid, reg: Reg, buf: &mut [u8]) -> TargetResult<usize, Self> {
        self.look_at_tid(tid)?;
        let t = self.session.target();
        let value = match reg {
            Reg::X(n) => t.regs()[usize::from(n) & 31],
            Reg::Pc => t.pc(),
            Reg::Priv => t.privilege() as u64,
            Reg::Csr(n) => {
                let Some(name) = cpu::isa::csr_name(n) else {
                    return Err(TargetError::NonFatal);
                };
                match t.csrs().into_iter().find(|r| r.name == name) {
                    Some(r) => r.value,
                    None => return Err(TargetError::NonFatal),
                }
            }
        };
        let bytes = value.to_le_bytes();
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, _tid: Tid, _reg: Reg, _val: &[u8]) -> TargetResult<(), Self> {
        Err(TargetError::NonFatal)
    }
}

impl<T: Target> MultiThreadResume for Stub<'_, T> {
    fn resume(&mut self) -> Result<(), &'static str> {
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), &'static str> {
        self.resume = Resume::Continue;
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        _tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), &'static str> {
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_reverse_step(&mut self) -> Option<ReverseStepOps<'_, Tid, Self>> {
        Some(self)
    }

    fn support_reverse_cont(&mut self) -> Option<ReverseContOps<'_, Tid, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl<T: Target> MultiThreadSingleStep for Stub<'_, T> {
    fn set_resume_action_step(
        &mut self,
        tid: Tid,
        _signal: Option<Signal>,
    ) -> Result<(), &'static str> {
        self.resume = Resume::Step(guest(tid));
        Ok(())
    }
}

impl<T: Target> MultiThreadSchedulerLocking for Stub<'_, T> {
    /// Only the stepped guest's events count for a step anyway; the
    /// others run on in between as the monitor schedules them.
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), &'static str> {
        Ok(())
    }
}

impl<T: Target> ReverseStep<Tid> for Stub<'_, T> {
    fn reverse_step(&mut self, tid: Tid) -> Result<(), &'static str> {
        self.resume = Resume::ReverseStep(guest(tid));
        Ok(())
    }
}

impl<T: Target> ReverseCont<Tid> for Stub<'_, T> {
    fn reverse_cont(&mut self) -> Result<(), &'static str> {
        self.resume = Resume::ReverseContinue;
        Ok(())
    }
}

impl<T: Target> Breakpoints for Stub<'_, T> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl<T: Target> SwBreakpoint for Stub<'_, T> {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.insert(PointSort::Software, addr, 0))
    }
    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove(PointSort::Software, addr, 0))
    }
}

impl<T: Target> HwBreakpoint for Stub<'_, T> {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.insert(PointSort::Hardware, addr, 0))
    }
    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove(PointSort::Hardware, addr, 0))
    }
}

impl<T: Target> HwWatchpoint for Stub<'_, T> {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.insert(PointSort::Watch(kind), addr, len))
    }
    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.remove(PointSort::Watch(kind), addr, len))
    }
}

impl<T: Target> MonitorCmd for Stub<'_, T> {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), &'static str> {
        let text = self.monitor(&String::from_utf8_lossy(cmd));
        // GDB prints what `qRcmd` sends as it comes; send it a line at a
        // time so that no packet gets long.
        for line in text.lines() {
            outputln!(out, "{line}");
        }
        Ok(())
    }
}

impl<T: Target> ThreadExtraInfo for Stub<'_, T> {
    fn thread_extra_info(&self, tid: Tid, buf: &mut [u8]) -> Result<usize, &'static str> {
        let guests = self.session.target().guests();
        let Some(g) = guests.get(guest(tid)) else {
            return Ok(0);
        };
        // As `info guests` says it.
        let on_hart = guests.len() > 1 && self.session.target().current() == Some(guest(tid));
        let state = match &g.state {
            GuestState::Running if on_hart => "running (on the hart)".to_string(),
            GuestState::Running => "running".to_string(),
            GuestState::Waiting => "waiting for its turn".to_string(),
            GuestState::Sleeping => "sleeping in wfi".to_string(),
            GuestState::Ended(how) => format!("ended: {how}"),
        };
        let text = format!("{}, {state}", g.name);
        let n = text.len().min(buf.len());
        buf[..n].copy_from_slice(&text.as_bytes()[..n]);
        Ok(n)
    }
}

impl<T: Target> TargetDescriptionXmlOverride for Stub<'_, T> {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::NonFatal);
        }
        let xml = self.xml.as_bytes();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
        let n = length.min(buf.len()).min(xml.len() - start);
        buf[..n].copy_from_slice(&xml[start..start + n]);
        Ok(n)
    }
}

/// gdbstub's loop over a [`Stub`] and a [`Wire`].
struct Loop<'s, T: Target, W>(PhantomData<(&'s mut Session<T>, W)>);

impl<'s, T: Target, W: Wire> BlockingEventLoop for Loop<'s, T, W> {
    type Target = Stub<'s, T>;
    type Connection = W;
    type StopReason = StopReasonOf;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut Stub<'s, T>,
        conn: &mut W,
    ) -> Result<
        run_blocking::Event<StopReasonOf>,
        run_blocking::WaitForStopReasonError<&'static str, io::Error>,
    > {
        match target.run() {
            Some(reason) => Ok(run_blocking::Event::TargetStopped(reason)),
            // The debugger sent something (Ctrl-C, or it left): read it.
            None => conn
                .read()
                .map(run_blocking::Event::IncomingData)
                .map_err(run_blocking::WaitForStopReasonError::Connection),
        }
    }

    fn on_interrupt(target: &mut Stub<'s, T>) -> Result<Option<StopReasonOf>, &'static str> {
        Ok(Some(MultiThreadStopReason::SignalWithThread {
            tid: tid(target.session.target().focus()),
            signal: Signal::SIGINT,
        }))
    }
}

/// Serves one debugger on `wire` until it detaches, kills the guests or
/// goes away. The session keeps its state (the points GDB inserted are
/// taken out); console output goes to `console`.
pub fn attach<T: Target, W: Wire>(
    session: &mut Session<T>,
    wire: W,
    console: Rc<RefCell<ConsolePrinter>>,
) -> Ending {
    let pending = match wire.pending_check() {
        Ok(p) => p,
        Err(e) => return Ending::Lost(e.to_string()),
    };
    let spare = wire.duplicate();
    let kept = console.clone();
    session.set_observer(Box::new(StubObserver { console, pending }));
    let mut stub = Stub::new(session);
    let wire = Counted {
        wire,
        bytes_in: stub.bytes_in.clone(),
    };
    let result = GdbStub::builder(wire)
        .packet_buffer_size(PACKET_SIZE)
        .build()
        .map_err(|e| e.to_string())
        .and_then(|g| {
            g.run_blocking::<Loop<'_, T, Counted<W>>>(&mut stub)
                .map_err(|e| e.to_string())
        });
    stub.remove_inserted();
    // The observer's pending check holds a handle on the connection: drop
    // it with the rest, so that the debugger sees the connection close
    // (after garbage it used to wait for an answer that never came).
    session.set_observer(Box::new(StubObserver {
        console: kept,
        pending: Box::new(|| false),
    }));
    match result {
        Ok(DisconnectReason::Kill) => {
            // GDB sends `vKill` (it speaks multiprocess) and waits for its
            // OK, which gdbstub leaves to extended mode: answer it here.
            if let Ok(mut w) = spare {
                let _ = w.write_all(b"$OK#9a");
                let _ = gdbstub::conn::Connection::flush(&mut w);
            }
            Ending::Killed
        }
        Ok(_) => Ending::Detached,
        Err(e) => Ending::Lost(e),
    }
}

/// Serves debuggers on `listener`, one after the other, until one kills
/// the guests. With `wait` (`-S`) the guests wait at their first
/// instruction for the first debugger; without it they run until one
/// connects (or they end). What happens is told to `log`.
pub fn serve<T: Target>(
    session: &mut Session<T>,
    listener: &TcpListener,
    wait: bool,
    console: Box<dyn Write>,
    log: &mut dyn Write,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    let names: Vec<String> = session
        .target()
        .guests()
        .into_iter()
        .map(|g| g.name)
        .collect();
    let console = Rc::new(RefCell::new(ConsolePrinter::new(console, names)));
    let _ = if wait {
        writeln!(
            log,
            "trapvisor: waiting for a debugger on {addr} (in gdb-multiarch: target remote {addr})"
        )
    } else {
        writeln!(
            log,
            "trapvisor: the guests run until a debugger attaches on {addr} (in gdb-multiarch: target remote {addr}); -S would make them wait for it"
        )
    };
    let mut early = None;
    if !wait {
        early = run_until_connected(session, listener, console.clone(), log)?;
    }
    loop {
        let stream = match early.take() {
            Some(s) => s,
            None => listener.accept()?.0,
        };
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        let _ = writeln!(log, "trapvisor: debugger connected from {peer}");
        let ending = attach(session, stream, console.clone());
        let here = format!(
            "the guests stay at event {}; waiting for the next debugger on {addr}",
            session.position()
        );
        match ending {
            Ending::Killed => {
                let _ = writeln!(log, "trapvisor: the debugger killed the guests");
                return Ok(());
            }
            Ending::Detached => {
                let _ = writeln!(log, "trapvisor: debugger detached; {here}");
            }
            Ending::Lost(why) => {
                let _ = writeln!(log, "trapvisor: debugger connection ended ({why}); {here}");
            }
        }
    }
}

/// Without `-S`: the guests run at full speed until a debugger connects
/// (it finds them where they are) or they end (they wait there).
fn run_until_connected<T: Target>(
    session: &mut Session<T>,
    listener: &TcpListener,
    console: Rc<RefCell<ConsolePrinter>>,
    log: &mut dyn Write,
) -> io::Result<Option<TcpStream>> {
    let polled = listener.try_clone()?;
    polled.set_nonblocking(true)?;
    let arrived: Rc<RefCell<Option<TcpStream>>> = Rc::new(RefCell::new(None));
    let slot = arrived.clone();
    session.set_observer(Box::new(StubObserver {
        console,
        pending: Box::new(move || {
            if slot.borrow().is_some() {
                return true;
            }
            match polled.accept() {
                Ok((s, _)) => {
                    *slot.borrow_mut() = Some(s);
                    true
                }
                Err(_) => false,
            }
        }),
    }));
    if let Ok(replies) = session.execute(&Command::Continue(1)) {
        for r in replies {
            if let Reply::Stop(s) = r {
                if let StopReason::Ended { guest, how } = &s.reason {
                    let _ = writeln!(log, "[guest {guest} ended: {how}]");
                }
            }
        }
    }
    // The clone shares the listener's open file: O_NONBLOCK set on one is
    // set on both, and the next blocking accept would fail at once with
    // "Resource temporarily unavailable" (when the guests ended before a
    // debugger came, or when the first one left).
    listener.set_nonblocking(false)?;
    let s = arrived.borrow_mut().take();
    if let Some(s) = &s {
        s.set_nonblocking(false)?;
    }
    Ok(s)
}

/// Where `--gdb` listens: `PORT`, `:PORT` or `HOST:PORT` (loopback unless
/// a host is given).
pub fn listen_address(spec: &str) -> Result<String, String> {
    let (host, port) = match spec.rsplit_once(':') {
        Some((h, p)) => (if h.is_empty() { "127.0.0.1" } else { h }, p),
        None => ("127.0.0.1", spec),
    };
    let port: u16 = port.parse().map_err(|_| {
        format!("--gdb {spec}: expected [HOST:]PORT with a port number from 0 to 65535")
    })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_default_to_loopback() {
        assert_eq!(listen_address("1234").unwrap(), "127.0.0.1:1234");
        assert_eq!(listen_address(":1234").unwrap(), "127.0.0.1:1234");
        assert_eq!(listen_address("0.0.0.0:9000").unwrap(), "0.0.0.0:9000");
        assert_eq!(listen_address("localhost:1").unwrap(), "localhost:1");
        assert_eq!(listen_address("[::1]:1234").unwrap(), "[::1]:1234");
        assert!(listen_address("70000").unwrap_err().contains("[HOST:]PORT"));
        assert!(listen_address("host:").is_err());
    }

    #[test]
    fn monitor_commands_that_move_the_guests_are_gdbs() {
        for c in [
            "stepi",
            "continue",
            "reverse-stepi",
            "run",
            "kill",
            "guest 1",
            "finish",
        ] {
            assert!(moves(&command::parse(c).unwrap()), "{c}");
        }
        for c in [
            "info exits",
            "x/4x $sp",
            "break *0x80200000",
            "catch trap",
            "print $a0",
        ] {
            assert!(!moves(&command::parse(c).unwrap()), "{c}");
        }
    }

    #[test]
    fn several_guests_print_whole_lines_with_their_names() {
        let buf: Rc<RefCell<Vec<u8>>> = Rc::default();
        struct Shared(Rc<RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut p =
            ConsolePrinter::new(Box::new(Shared(buf.clone())), vec!["a".into(), "b".into()]);
        p.console(0, b"hel");
        p.console(1, b"x\r\n");
        p.console(0, b"lo\nwor");
        p.console(7, b"nobody\n");
        assert_eq!(String::from_utf8_lossy(&buf.borrow()), "[b] x\n[a] hello\n");
    }
}
