//! What each command does: run control in terms of the session's forward
//! and backward moves, and the commands that look (registers, CSRs,
//! memory, code, source, translations, guests, traps, history).

use cpu::isa::{self, Op};

use crate::command::{
    CatchSpec, Command, DisasEnd, ListSpec, LocSpec, WatchKind, WatchTarget, XFormat,
};
use crate::describe;
use crate::expr::{Expr, Scope};
use crate::output::{BreakRow, CsrLine, MemLine, RegRow, Reply, SourceLine, StopReason};
use crate::program::short_path;
use crate::session::{
    watch_kind_name, CmdError, Goal, PointKind, Result, Run, Session, SessionScope, Watched,
};
use crate::target::Target;

/// The most instructions `disassemble` shows for one function.
const MAX_FUNCTION: u64 = 400;

pub(crate) fn execute<T: Target>(s: &mut Session<T>, cmd: &Command) -> Result<Vec<Reply>> {
    let one = |r: Reply| Ok(vec![r]);
    match cmd {
        Command::Stepi(n) => one(Reply::Stop(Box::new(s.stepi(*n)?))),
        // `nexti 0`, `reverse-nexti 0`: no step, as `stepi 0`.
        Command::Nexti(0) => one(Reply::Stop(Box::new(s.stepi(0)?))),
        Command::ReverseNexti(0) => one(Reply::Stop(Box::new(s.reverse_stepi(0)))),
        Command::Nexti(n) => nexti(s, *n),
        Command::Continue(n) => one(Reply::Stop(Box::new(s.cont(*n)?))),
        Command::Until(None) => until_here(s),
        Command::Until(Some(loc)) | Command::Advance(loc) => {
            let addr = location(s, loc)?.0;
            let mut goals = vec![Goal {
                guest: s.focus(),
                addr,
                sp: None,
                what: "location reached",
            }];
            if let Ok(f) = frame(s) {
                goals.push(Goal {
                    guest: s.focus(),
                    addr: f.ret,
                    sp: Some(f.caller_sp),
                    what: "the current function returned",
                });
            }
            one(Reply::Stop(Box::new(s.run_to_goals(goals)?)))
        }
        Command::Finish => {
            s.check_running()?;
            let f = frame(s)?;
            s.say(&format!("Run till exit from {}", f.function));
            let stop = s.run_to_goals(vec![Goal {
                guest: s.focus(),
                addr: f.ret,
                sp: Some(f.caller_sp),
                what: "returned",
            }])?;
            let mut out = Vec::new();
            let arrived = matches!(stop.reason, StopReason::Arrived(_));
            out.push(Reply::Stop(Box::new(stop)));
            if arrived {
                let a0 = s.target().regs()[10];
                out.push(Reply::Message(format!(
                    "Value returned in a0: {} ({a0:#x})",
                    a0 as i64
                )));
            }
            Ok(out)
        }
        Command::Kill => {
            s.kill();
            one(Reply::Message(
                "[guests killed: `run` starts again, reverse commands still go back]".into(),
            ))
        }
        Command::Run => one(Reply::Stop(Box::new(s.restart()))),
        Command::Quit(_) => Ok(Vec::new()),
        Command::ReverseStepi(n) => one(Reply::Stop(Box::new(s.reverse_stepi(*n)))),
        Command::ReverseNexti(n) => reverse_nexti(s, *n),
        Command::ReverseContinue => one(Reply::Stop(Box::new(s.reverse_search(&Run {
            user: true,
            ..Run::default()
        })))),
        Command::ReverseFinish => {
            let f = frame(s)?;
            let call = call_before(s, f.ret).unwrap_or(f.ret.wrapping_sub(4));
            s.say(&format!("Run back to call of {}", f.function));
            let stop = s.reverse_search(&Run {
                goals: vec![Goal {
                    guest: s.focus(),
                    addr: call,
                    sp: Some(f.caller_sp),
                    what: "the call",
                }],
                ..Run::default()
            });
            one(Reply::Stop(Box::new(stop)))
        }
        Command::Break {
            temporary,
            location: loc,
            condition,
        } => {
            let (guest, addr, line) = match loc {
                Some(l) => location_in(s, l)?,
                None => (s.focus(), s.target().pc(), None),
            };
            let n = s.add_point(
                *temporary,
                condition.clone(),
                PointKind::Break { guest, addr },
            );
            let what = if *temporary {
                "Temporary breakpoint"
            } else {
                "Breakpoint"
            };
            one(Reply::Message(format!(
                "{what} {n} at {}{}{}",
                addr_text_in(s, guest, addr),
                line.map_or(String::new(), |l| format!(": {l}")),
                guest_note(s, guest, false)
            )))
        }
        Command::Delete(ns) => {
            if ns.is_empty() {
                s.points.clear();
            } else {
                for n in ns {
                    let before = s.points.len();
                    s.points.retain(|p| p.number != *n);
                    if s.points.len() == before {
                        return Err(CmdError(format!("No breakpoint number {n}.")));
                    }
                }
            }
            Ok(Vec::new())
        }
        Command::Disable(ns) | Command::Enable(ns) => {
            let on = matches!(cmd, Command::Enable(_));
            for p in s
                .points
                .iter_mut()
                .filter(|p| ns.is_empty() || ns.contains(&p.number))
            {
                p.enabled = on;
            }
            if let Some(n) = ns
                .iter()
                .find(|n| !s.points.iter().any(|p| p.number == **n))
            {
                return Err(CmdError(format!("No breakpoint number {n}.")));
            }
            Ok(Vec::new())
        }
        Command::Condition(n, cond) => {
            let p = point_mut(s, *n)?;
            p.condition = cond.clone();
            one(Reply::Message(match cond {
                Some(_) => format!("Breakpoint {n} now stops only where the condition holds."),
                None => format!("Breakpoint {n} now unconditional."),
            }))
        }
        Command::Ignore(n, count) => {
            let p = point_mut(s, *n)?;
            p.ignore = *count;
            one(Reply::Message(format!(
                "Will ignore next {count} crossings of breakpoint {n}."
            )))
        }
        Command::Watch(kind, target) => watch(s, *kind, target),
        Command::Catch { temporary, spec } => {
            if matches!(spec, CatchSpec::Exit(_) | CatchSpec::Switch) && !monitored(s) {
                return Err(CmdError::new(
                    "Natively nothing exits to a monitor and nothing switches guests: run under the monitor (--monitor) for catch exit and catch switch.",
                ));
            }
            let n = s.add_point(*temporary, None, PointKind::Catch(spec.clone()));
            one(Reply::Message(format!(
                "Catchpoint {n} ({})",
                catch_text(spec)
            )))
        }
        Command::InfoRegisters(names) => one(Reply::Registers(registers(s, names)?)),
        Command::InfoCsrs(names) => csrs(s, names),
        Command::InfoBreakpoints => one(Reply::Breakpoints(breakpoints(s))),
        Command::InfoTranslate(e) => {
            let va = e.eval(&SessionScope(s))?;
            one(Reply::Translation(s.target().translate(va)))
        }
        Command::InfoGuests => one(Reply::Guests {
            focus: s.focus(),
            current: s.target().current(),
            guests: s.target().guests(),
            monitor: s.target().virtualization(),
        }),
        Command::InfoExits => {
            let g = s.focus();
            one(Reply::Exits {
                guest: s.guest_name(g),
                counts: s.target().exit_counts(g),
            })
        }
        Command::InfoTraps(n) => one(Reply::Traps(s.recent_traps(n.unwrap_or(10) as usize))),
        Command::InfoHistory => one(Reply::History {
            now: s.position(),
            info: s.history.info(),
        }),
        Command::InfoSymbol(e) => {
            let a = e.eval(&SessionScope(s))?;
            one(Reply::Message(match s.program().symbolize(a) {
                Some((name, 0)) => format!("{name} in the program {}", s.program().name),
                Some((name, off)) => format!("{name} + {off} in the program {}", s.program().name),
                None => format!("No symbol matches {a:#x}."),
            }))
        }
        Command::InfoLine(loc) => info_line(s, loc.as_ref()),
        Command::InfoConsole => {
            let g = s.focus();
            one(Reply::Console {
                guest: s.guest_name(g),
                text: String::from_utf8_lossy(&s.target().console(g)).into_owned(),
            })
        }
        Command::Examine {
            physical,
            format,
            addr,
        } => examine(s, *physical, *format, addr.as_ref()),
        Command::Print { format, expr } => print(s, *format, expr),
        Command::Disassemble { raw: _, start, end } => disassemble(s, start.as_ref(), end.as_ref()),
        Command::List(spec) => list(s, spec.as_ref()),
        Command::Guest(None) => {
            let g = s.focus();
            one(Reply::Message(format!(
                "[Current guest is {g} ({})]",
                s.guest_name(g)
            )))
        }
        Command::Guest(Some(g)) => {
            if !s.target_mut().set_focus(*g) {
                return Err(CmdError(format!(
                    "Invalid guest {g}: there are {} (see info guests).",
                    s.target().guests().len()
                )));
            }
            s.last_x = None;
            s.last_list = None;
            Ok(vec![
                Reply::Message(format!("[Switching to guest {g} ({})]", s.guest_name(*g))),
                Reply::Stop(Box::new(s.here())),
            ])
        }
        Command::Echo(text) => one(Reply::Raw(text.clone())),
        Command::Help(topic) => one(Reply::Help(
            crate::command::help(topic.as_deref()).map_err(|e| CmdError(e.0))?,
        )),
    }
}

fn monitored<T: Target>(s: &Session<T>) -> bool {
    s.target().csrs().iter().any(|r| r.real.is_some())
}

fn point_mut<T: Target>(s: &mut Session<T>, n: u32) -> Result<&mut crate::session::Point> {
    s.points
        .iter_mut()
        .find(|p| p.number == n)
        .ok_or_else(|| CmdError(format!("No breakpoint number {n}.")))
}

/// `0x80200038 <wait>`.
pub(crate) fn addr_text<T: Target>(s: &Session<T>, addr: u64) -> String {
    match s.label(addr) {
        Some(l) => format!("{addr:#x} <{l}>"),
        None => format!("{addr:#x}"),
    }
}

/// A location's address, and its `file, line N` when it is a line.
fn location<T: Target>(s: &Session<T>, loc: &LocSpec) -> Result<(u64, Option<String>)> {
    location_in(s, loc).map(|(_, addr, line)| (addr, line))
}

/// The guest a location names, its address there, and its `file, line N`
/// when it is a line. `FILE:LINE` names the focused guest's file if it has
/// one of that name, else the first other guest's that has (under the
/// monitor each guest is its own program, with its own sources).
fn location_in<T: Target>(s: &Session<T>, loc: &LocSpec) -> Result<(usize, u64, Option<String>)> {
    let focus = s.focus();
    let p = s.program();
    match loc {
        LocSpec::Address(e) => {
            let a = e.eval(&SessionScope(s))?;
            Ok((focus, a, p.location_text(a).map(|l| format!("file {l}"))))
        }
        LocSpec::Line { file, line } => {
            let found = file.as_deref().and_then(|name| {
                std::iter::once(focus)
                    .chain((0..s.target().guests().len()).filter(|&g| g != focus))
                    .find_map(|g| s.target().program(g).file_named(name).map(|f| (g, f)))
            });
            if p.lines.is_empty() && found.is_none() {
                return Err(CmdError(format!(
                    "No line table for {}: it was not assembled from source by trapvisor. Break at a symbol or *ADDRESS.",
                    p.name
                )));
            }
            let (g, f) = match (file, found) {
                (_, Some(found)) => found,
                (Some(name), None) => {
                    return Err(CmdError(format!("No source file named {name}.")));
                }
                (None, None) => (
                    focus,
                    p.location(s.target().pc())
                        .or_else(|| p.location(p.entry))
                        .map_or(0, |l| l.file),
                ),
            };
            let p = s.target().program(g);
            let (addr, at) = p.address_of_line(f, *line).ok_or_else(|| {
                CmdError(format!(
                    "Line {line} is out of range for \"{}\": no code there or after it.",
                    p.files.get(f).map_or("", |f| short_path(&f.path))
                ))
            })?;
            let name = p.files.get(f).map_or("", |f| short_path(&f.path));
            Ok((g, addr, Some(format!("file {name}, line {at}"))))
        }
    }
}

/// `0x80200054 <puts+24>` named in guest `guest`'s program.
fn addr_text_in<T: Target>(s: &Session<T>, guest: usize, addr: u64) -> String {
    match s.target().program(guest).label(addr) {
        Some(l) => format!("{addr:#x} <{l}>"),
        None => format!("{addr:#x}"),
    }
}

/// ` in guest 1 (hello)` when there are several guests, and `guest` is
/// not the focused one or `always` (a listing of every guest's points).
fn guest_note<T: Target>(s: &Session<T>, guest: usize, always: bool) -> String {
    if s.several() && (always || guest != s.focus()) {
        format!(" in guest {guest} ({})", s.guest_name(guest))
    } else {
        String::new()
    }
}

/// Where the current function returns to, and the caller's stack pointer.
struct Frame {
    function: String,
    ret: u64,
    caller_sp: u64,
}

/// The addresses where functions start: the entry, sized symbols, and
/// the targets of the program's calls (`jal ra` and `auipc`+`jalr ra`
/// pairs). Labels that only branches reach are not functions.
fn function_starts<T: Target>(s: &Session<T>) -> Vec<u64> {
    let p = s.program();
    let mut starts = vec![p.entry];
    // The trap handler: entered by traps, returns with sret.
    if let Some(stvec) = s.csr_value("stvec").filter(|v| *v != 0) {
        starts.push(stvec & !3);
    }
    starts.extend(p.symbols.iter().filter(|s| s.size > 0).map(|s| s.addr));
    for r in &p.extents {
        let mut prev: Option<(u64, cpu::isa::Insn)> = None;
        let mut a = r.start & !1;
        while a + 2 <= r.end {
            let found = insn_at_phys(s, a);
            let insn = found.map(|(i, _)| i);
            if let Some(i) = insn {
                if i.op == Op::Jal && i.rd == 1 {
                    starts.push(a.wrapping_add(i.imm as i64 as u64));
                }
                if let (Op::Jalr, Some((pa, p))) = (i.op, prev) {
                    if i.rd == 1 && p.op == Op::Auipc && p.rd == i.rs1 {
                        let hi = pa.wrapping_add(p.imm as i64 as u64);
                        starts.push(hi.wrapping_add(i.imm as i64 as u64));
                    }
                }
            }
            prev = insn.map(|i| (a, i));
            a += found.map_or(2, |(_, len)| len);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Finds the current function's frame by reading its prologue (as GDB does
/// for RISC-V code without unwind tables): from where the function starts,
/// the stack allocation (`addi sp,sp,-N`) and where `ra` was saved
/// (`sd ra,off(sp)`), up to the first jump or branch; and whether `pc` is
/// past the epilogue's `addi sp,sp,N`. The return address found must
/// point just after a call.
fn frame<T: Target>(s: &Session<T>) -> Result<Frame> {
    let pc = s.target().pc();
    let regs = s.target().regs();
    let starts = function_starts(s);
    let control = |op: Op| {
        matches!(
            op,
            Op::Jal | Op::Jalr | Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu
        )
    };
    let i = starts.partition_point(|&a| a <= pc);
    let start = i
        .checked_sub(1)
        .map(|i| starts[i])
        .filter(|&a| pc - a < 1 << 16);
    if let Some(start) = start {
        let (mut alloc, mut save) = (None, None);
        let mut a = start;
        while a < pc && a - start < 32 * 4 {
            let Some((i, len)) = insn_at(s, a) else { break };
            if control(i.op) {
                break;
            }
            if i.op == Op::Addi && i.rd == 2 && i.rs1 == 2 && i.imm < 0 && alloc.is_none() {
                alloc = Some((a, (-i64::from(i.imm)) as u64));
            }
            if i.op == Op::Sd && i.rs1 == 2 && i.rs2 == 1 && alloc.is_some() {
                save = Some((a, i.imm as i64 as u64));
            }
            a += len;
        }
        // Past the epilogue's `addi sp,sp,N`, the frame is gone: the
        // instructions from the function's start to `pc` (2 or 4 bytes
        // each), the last 16 of them looked at backwards.
        let frame_size = alloc.map_or(0, |(_, n)| n);
        let mut popped = false;
        let mut body = Vec::new();
        let mut b = start;
        while b < pc && pc - b < 1 << 16 {
            let Some((i, len)) = insn_at(s, b) else { break };
            body.push(i);
            b += len;
        }
        for i in body.iter().rev().take(16) {
            if control(i.op) {
                break;
            }
            if i.op == Op::Addi && i.rd == 2 && i.rs1 == 2 && i.imm as i64 as u64 == frame_size {
                popped = true;
                break;
            }
        }
        let allocated = alloc.is_some_and(|(at, _)| pc > at) && !popped;
        let (caller_sp, ret) = if allocated {
            let ret = match save {
                Some((at, off)) if pc > at => s.read_u64_virt(regs[2].wrapping_add(off)),
                _ => Some(regs[1]),
            };
            (regs[2].wrapping_add(frame_size), ret)
        } else {
            (regs[2], Some(regs[1]))
        };
        if let Some(ret) = ret {
            if call_before(s, ret).is_some() {
                return Ok(Frame {
                    function: addr_text(s, start),
                    ret,
                    caller_sp,
                });
            }
        }
    }
    Err(CmdError(format!(
        "Cannot tell where the function at {} returns: its return address does not point after a call (`finish` is meaningless in the outermost code or in a trap handler).",
        addr_text(s, pc)
    )))
}

/// Whether `bits` (a 32-bit instruction, or a compressed one in the low
/// 16 bits) is a call: `jal`/`jalr` linking `ra` (or `t0`, the alternate
/// link register), `c.jalr` included.
fn is_call(bits: u32) -> bool {
    cpu::rvc::base(bits)
        .and_then(|(w, _)| isa::decode(w).ok())
        .is_some_and(|i| matches!(i.op, Op::Jal | Op::Jalr) && (i.rd == 1 || i.rd == 5))
}

/// The length in bytes of the instruction whose first parcel is in the low
/// 16 bits of `bits`: 2 for a compressed one, else 4.
fn insn_len(bits: u32) -> u64 {
    isa::parcel_len(bits as u16)
}

/// The instruction at virtual address `a` of the focused guest (a
/// compressed one as its base instruction) and its length.
fn insn_at<T: Target>(s: &Session<T>, a: u64) -> Option<(isa::Insn, u64)> {
    let mut b = [0u8; 2];
    if !s.read_virt(a, &mut b) {
        return None;
    }
    let lo = u16::from_le_bytes(b);
    let word = if isa::parcel_len(lo) == 2 {
        u32::from(lo)
    } else {
        s.read_u32(a)?
    };
    let (w, len) = cpu::rvc::base(word)?;
    isa::decode(w).ok().map(|i| (i, len))
}

/// The same at physical address `a` (the program's extents, read before
/// paging is on).
fn insn_at_phys<T: Target>(s: &Session<T>, a: u64) -> Option<(isa::Insn, u64)> {
    let mut b = [0u8; 4];
    let whole = s.target().read_phys(a, &mut b);
    let mut half = [0u8; 2];
    if !whole && !s.target().read_phys(a, &mut half) {
        return None;
    }
    let word = if whole {
        u32::from_le_bytes(b)
    } else {
        u32::from(u16::from_le_bytes(half))
    };
    if !whole && isa::parcel_len(word as u16) == 4 {
        return None;
    }
    let (w, len) = cpu::rvc::base(word)?;
    isa::decode(w).ok().map(|i| (i, len))
}

/// The call that returns to `ret`: a 4-byte call at `ret - 4`, or a
/// compressed one (`c.jalr`) at `ret - 2`.
fn call_before<T: Target>(s: &Session<T>, ret: u64) -> Option<u64> {
    let long = ret.wrapping_sub(4);
    if s.read_u32(long)
        .is_some_and(|w| insn_len(w) == 4 && is_call(w))
    {
        return Some(long);
    }
    let short = ret.wrapping_sub(2);
    let mut b = [0u8; 2];
    (s.read_virt(short, &mut b) && {
        let p = u32::from(u16::from_le_bytes(b));
        insn_len(p) == 2 && is_call(p)
    })
    .then_some(short)
}

fn nexti<T: Target>(s: &mut Session<T>, n: u64) -> Result<Vec<Reply>> {
    let mut last = None;
    for _ in 0..n {
        let pc = s.target().pc();
        let stop = match s.read_u32(pc) {
            Some(bits) if is_call(bits) => {
                let sp = s.target().regs()[2];
                s.run_to_goals(vec![Goal {
                    guest: s.focus(),
                    addr: pc + insn_len(bits),
                    sp: Some(sp),
                    what: "after the call",
                }])?
            }
            _ => s.stepi(1)?,
        };
        let done = !matches!(stop.reason, StopReason::Step | StopReason::Arrived(_));
        last = Some(stop);
        if done {
            break;
        }
    }
    Ok(last
        .map(|mut st| {
            if matches!(st.reason, StopReason::Arrived(_)) {
                st.reason = StopReason::Step;
            }
            vec![Reply::Stop(Box::new(st))]
        })
        .unwrap_or_default())
}

/// `until` without an argument: over a backward branch, on to the
/// instruction after it.
fn until_here<T: Target>(s: &mut Session<T>) -> Result<Vec<Reply>> {
    let pc = s.target().pc();
    let backward = insn_at(s, pc).map(|(i, _)| i).is_some_and(|i| {
        matches!(
            i.op,
            Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu
        ) && i.imm < 0
    });
    if !backward {
        return nexti(s, 1);
    }
    let len = s.read_u32(pc).map_or(4, insn_len);
    let sp = s.target().regs()[2];
    let mut stop = s.run_to_goals(vec![Goal {
        guest: s.focus(),
        addr: pc + len,
        sp: Some(sp),
        what: "past the loop",
    }])?;
    if matches!(stop.reason, StopReason::Arrived(_)) {
        stop.reason = StopReason::Step;
    }
    Ok(vec![Reply::Stop(Box::new(stop))])
}

fn reverse_nexti<T: Target>(s: &mut Session<T>, n: u64) -> Result<Vec<Reply>> {
    let mut last = None;
    for _ in 0..n {
        let pc0 = s.target().pc();
        let sp0 = s.target().regs()[2];
        let mut stop = s.reverse_stepi(1);
        let call = call_before(s, pc0);
        let came_back = call.is_some_and(|c| s.target().pc() != c);
        if let (true, Some(call), StopReason::Step) = (came_back, call, &stop.reason) {
            stop = s.reverse_search(&Run {
                goals: vec![Goal {
                    guest: s.focus(),
                    addr: call,
                    sp: Some(sp0),
                    what: "the call",
                }],
                ..Run::default()
            });
            if matches!(stop.reason, StopReason::Arrived(_)) {
                stop.reason = StopReason::Step;
            }
        }
        let done = stop.reason != StopReason::Step;
        last = Some(stop);
        if done {
            break;
        }
    }
    Ok(last
        .map(|st| vec![Reply::Stop(Box::new(st))])
        .unwrap_or_default())
}

fn watch<T: Target>(
    s: &mut Session<T>,
    kind: WatchKind,
    target: &WatchTarget,
) -> Result<Vec<Reply>> {
    let guest = s.focus();
    let (what, text) = match target {
        WatchTarget::Csr(name) => {
            let row = s
                .target()
                .csrs()
                .into_iter()
                .find(|r| r.name == name.as_str())
                .ok_or_else(|| CmdError(format!("No CSR named ${name} (see info csrs).")))?;
            let sites = csr_sites(s, row.name, kind);
            if kind != WatchKind::Write && sites.is_empty() {
                return Err(CmdError(format!(
                    "No instruction of the program reads ${name}: nothing for a read watchpoint to stop at."
                )));
            }
            (
                Watched::Csr {
                    name: row.name,
                    sites,
                },
                format!("${}", row.name),
            )
        }
        WatchTarget::Memory { addr, len } => {
            let va = addr.eval(&SessionScope(s))?;
            (
                Watched::Memory { va, len: *len },
                format!("*{va:#x} ({len} bytes)"),
            )
        }
    };
    let old = Vec::new();
    let n = s.add_point(
        false,
        None,
        PointKind::Watch {
            guest,
            kind,
            what,
            old,
        },
    );
    Ok(vec![Reply::Message(format!(
        "{} {n}: {text}",
        watch_kind_name(kind)
    ))])
}

/// The instructions of the program that read (or, with `Access`, access)
/// CSR `name`: where a CSR read watchpoint stops.
fn csr_sites<T: Target>(s: &Session<T>, name: &str, kind: WatchKind) -> Vec<u64> {
    let Some(num) = isa::csr_by_name(name) else {
        return Vec::new();
    };
    let mut sites = Vec::new();
    for r in &s.program().extents {
        let mut a = r.start & !1;
        while a + 2 <= r.end {
            let found = insn_at_phys(s, a);
            if let Some((i, _)) = found {
                let csr_op = matches!(
                    i.op,
                    Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci
                );
                if csr_op && i.csr() == num {
                    let reads = !matches!(i.op, Op::Csrrw | Op::Csrrwi) || i.rd != 0;
                    if reads || kind == WatchKind::Access {
                        sites.push(a);
                    }
                }
            }
            a += found.map_or(2, |(_, len)| len);
        }
    }
    sites
}

fn catch_text(spec: &CatchSpec) -> String {
    match spec {
        CatchSpec::Trap(_, name) if name.is_empty() => "trap".into(),
        CatchSpec::Trap(_, name) => format!("trap {name}"),
        CatchSpec::Exit(None) => "exit".into(),
        CatchSpec::Exit(Some(r)) => format!("exit {r}"),
        CatchSpec::Switch => "switch".into(),
        CatchSpec::Sbi(None) => "sbi".into(),
        CatchSpec::Sbi(Some(e)) => format!("sbi {}", describe::sbi_extension(*e)),
        CatchSpec::End => "end".into(),
    }
}

fn breakpoints<T: Target>(s: &Session<T>) -> Vec<BreakRow> {
    s.points
        .iter()
        .map(|p| {
            let (kind, address, what) = match &p.kind {
                PointKind::Break { guest, addr } => {
                    let p = s.target().program(*guest);
                    let what = match (p.label(*addr), p.location_text(*addr)) {
                        (Some(l), Some(f)) => format!("<{l}> at {f}"),
                        (Some(l), None) => format!("<{l}>"),
                        (None, Some(f)) => format!("at {f}"),
                        (None, None) => String::new(),
                    };
                    let what = what + &guest_note(s, *guest, true);
                    ("breakpoint", Some(*addr), what.trim_start().to_string())
                }
                PointKind::Watch {
                    guest, kind, what, ..
                } => (
                    match kind {
                        WatchKind::Write => "hw watchpoint",
                        WatchKind::Read => "read watchpoint",
                        WatchKind::Access => "acc watchpoint",
                    },
                    None,
                    match what {
                        Watched::Memory { va, len } => format!("*{va:#x} ({len} bytes)"),
                        Watched::Csr { name, .. } => format!("${name}"),
                    } + &guest_note(s, *guest, true),
                ),
                PointKind::Catch(spec) => ("catchpoint", None, catch_text(spec)),
            };
            BreakRow {
                number: p.number,
                kind,
                temporary: p.temporary,
                enabled: p.enabled,
                address,
                what,
                condition: p.condition.as_ref().map(|c| c.to_string()),
                hits: p.hits,
                ignore: p.ignore,
            }
        })
        .collect()
}

fn registers<T: Target>(s: &Session<T>, names: &[String]) -> Result<Vec<RegRow>> {
    let regs = s.target().regs();
    let pc = s.target().pc();
    let addr_note = |v: u64| s.label(v).map_or(String::new(), |l| format!("<{l}>"));
    let row = |i: usize| {
        let v = regs[i];
        RegRow {
            name: isa::REG_NAMES[i].to_string(),
            value: v,
            note: if matches!(i, 1..=4) || s.label(v).is_some() && i != 0 {
                addr_note(v)
            } else {
                (v as i64).to_string()
            },
        }
    };
    let pc_row = RegRow {
        name: "pc".into(),
        value: pc,
        note: addr_note(pc),
    };
    let p = s.target().privilege();
    let priv_row = RegRow {
        name: "priv".into(),
        value: p as u64,
        note: format!(
            "prv:{} [{}]",
            p as u64,
            match p {
                cpu::hart::Priv::User => "User",
                cpu::hart::Priv::Supervisor => "Supervisor",
                cpu::hart::Priv::Machine => "Machine",
            }
        ),
    };
    if names.is_empty() {
        let mut rows: Vec<RegRow> = (1..32).map(row).collect();
        rows.push(pc_row);
        rows.push(priv_row);
        return Ok(rows);
    }
    names
        .iter()
        .map(|n| match n.as_str() {
            "pc" => Ok(pc_row.clone()),
            "priv" => Ok(priv_row.clone()),
            "fp" => Ok(row(8)),
            n => isa::reg_by_name(n)
                .map(|r| row(r as usize))
                .ok_or_else(|| CmdError(format!("Invalid register `{n}'"))),
        })
        .collect()
}

fn csrs<T: Target>(s: &Session<T>, names: &[String]) -> Result<Vec<Reply>> {
    let all = s.target().csrs();
    let monitor = all.iter().any(|r| r.real.is_some());
    let mut rows = Vec::new();
    let line = |r: &crate::target::CsrRow| CsrLine {
        name: r.name,
        value: r.value,
        real: r.real,
        fields: describe::csr_fields(r.name, r.value),
    };
    if names.is_empty() {
        rows.extend(all.iter().map(line));
    } else {
        for n in names {
            let r = all
                .iter()
                .find(|r| r.name == n.as_str())
                .ok_or_else(|| CmdError(format!("No CSR named {n} (see info csrs).")))?;
            rows.push(line(r));
        }
    }
    Ok(vec![Reply::Csrs { monitor, rows }])
}

fn format_unit(s: &impl Fn(u64) -> Option<String>, v: u64, size: u8, format: char) -> String {
    let bits = u32::from(size) * 8;
    let mask = if size == 8 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let v = v & mask;
    let signed = ((v << (64 - bits)) as i64) >> (64 - bits);
    match format {
        'd' => signed.to_string(),
        'u' => v.to_string(),
        'o' => format!("0{v:o}"),
        't' => format!("{v:0width$b}", width = bits as usize),
        'c' => {
            let b = v as u8;
            let c = match b {
                0x20..=0x7e => format!("'{}'", b as char),
                b'\n' => "'\\n'".into(),
                b'\r' => "'\\r'".into(),
                b'\t' => "'\\t'".into(),
                0 => "'\\000'".into(),
                _ => format!("'\\{b:03o}'"),
            };
            format!("{signed} {c}")
        }
        'a' => match s(v) {
            Some(l) => format!("{v:#x} <{l}>"),
            None => format!("{v:#x}"),
        },
        'z' => format!("0x{v:0width$x}", width = size as usize * 2),
        _ => format!("0x{v:0width$x}", width = size as usize * 2),
    }
}

fn examine<T: Target>(
    s: &mut Session<T>,
    physical: bool,
    format: Option<crate::command::XFormat>,
    addr: Option<&Expr>,
) -> Result<Vec<Reply>> {
    let last = s.last_x;
    let mut f = format
        .unwrap_or_else(|| last.map_or(XFormat::default(), |(_, f, _)| XFormat { count: 1, ..f }));
    if f.format == '?' {
        f.format = last.map_or('x', |(_, l, _)| l.format);
    }
    if f.size == 0 {
        f.size = match f.format {
            'a' => 8,
            'c' => 1,
            _ => last.map_or(4, |(_, l, _)| if l.size == 0 { 4 } else { l.size }),
        };
    }
    let start = match addr {
        Some(e) => e.eval(&SessionScope(s))?,
        None => match last {
            Some((a, _, p)) if p == physical => a,
            _ => {
                return Err(CmdError::new(
                    "Argument required (starting display address).",
                ))
            }
        },
    };
    let read = |s: &Session<T>, a: u64, buf: &mut [u8]| {
        if physical {
            s.target().read_phys(a, buf)
        } else {
            s.read_virt(a, buf)
        }
    };
    let label = |a: u64| if physical { None } else { s.label(a) };
    if f.format == 'i' {
        let mut lines = Vec::new();
        let mut a = start;
        for _ in 0..f.count {
            let mut b = [0u8; 4];
            let mut line = s.insn_line(a);
            if physical {
                line.bits = read(s, a, &mut b).then(|| u32::from_le_bytes(b));
                line.text = line
                    .bits
                    .map_or("(cannot read memory here)".into(), |w| s.insn_text(w, a));
                line.label = None;
            }
            if line.bits.is_none() {
                s.last_x = Some((a, f, physical));
                return Err(CmdError(format!("Cannot access memory at address {a:#x}")));
            }
            a += line.bits.map_or(4, insn_len);
            lines.push(line);
        }
        s.last_x = Some((a, f, physical));
        return Ok(vec![Reply::Code { title: None, lines }]);
    }
    if f.format == 's' {
        let mut lines = Vec::new();
        let mut a = start;
        for _ in 0..f.count {
            let mut text = Vec::new();
            let mut at = a;
            loop {
                let mut b = [0u8; 1];
                if !read(s, at, &mut b) {
                    if text.is_empty() {
                        return Err(CmdError(format!("Cannot access memory at address {at:#x}")));
                    }
                    break;
                }
                at += 1;
                if b[0] == 0 || text.len() >= 200 {
                    break;
                }
                text.push(b[0]);
            }
            let shown: String = text.iter().map(|&c| describe_char(c)).collect();
            lines.push(MemLine {
                addr: a,
                label: label(a),
                items: vec![format!("\"{shown}\"")],
            });
            a = at;
        }
        s.last_x = Some((a, f, physical));
        return Ok(vec![Reply::Memory(lines)]);
    }
    let per_line = match (f.size, f.format) {
        (_, 'c') => 8,
        (1, _) | (2, _) => 8,
        (4, _) => 4,
        _ => 2,
    };
    let mut lines: Vec<MemLine> = Vec::new();
    let mut a = start;
    for i in 0..f.count {
        let mut b = vec![0u8; f.size as usize];
        if !read(s, a, &mut b) {
            s.last_x = Some((a, f, physical));
            if lines.is_empty() {
                return Err(CmdError(format!("Cannot access memory at address {a:#x}")));
            }
            lines.push(MemLine {
                addr: a,
                label: None,
                items: vec![format!("Cannot access memory at address {a:#x}")],
            });
            break;
        }
        let v = crate::session::value_of(&b);
        let item = format_unit(&|x| s.label(x), v, f.size, f.format);
        if i % per_line == 0 {
            lines.push(MemLine {
                addr: a,
                label: label(a),
                items: Vec::new(),
            });
        }
        if let Some(l) = lines.last_mut() {
            l.items.push(item);
        }
        a = a.wrapping_add(u64::from(f.size));
    }
    s.last_x = Some((a, f, physical));
    Ok(vec![Reply::Memory(lines)])
}

fn describe_char(c: u8) -> String {
    match c {
        b'\n' => "\\n".into(),
        b'\r' => "\\r".into(),
        b'\t' => "\\t".into(),
        b'"' => "\\\"".into(),
        0x20..=0x7e => (c as char).to_string(),
        _ => format!("\\{c:03o}"),
    }
}

fn print<T: Target>(s: &mut Session<T>, format: Option<char>, expr: &Expr) -> Result<Vec<Reply>> {
    let v = expr.eval(&SessionScope(s))?;
    s.values.push(v);
    let number = s.values.len();
    let code_address =
        matches!(expr, Expr::Var(n) if n == "pc" || n == "ra") || matches!(expr, Expr::Symbol(_));
    let text = match format {
        Some(f) => format_unit(&|x| s.label(x), v, 8, f)
            .trim_start_matches("0x0000000000000000")
            .to_string(),
        None if code_address => match s.label(v) {
            Some(l) => format!("{v:#x} <{l}>"),
            None => format!("{v:#x}"),
        },
        // CSRs are unsigned; registers and the rest signed, as in GDB.
        None if matches!(expr, Expr::Var(n) if s.csr_value(n).is_some()) => v.to_string(),
        None => (v as i64).to_string(),
    };
    // GDB prints /x and /t without leading zeros.
    let text = match format {
        Some('x') => format!("{v:#x}"),
        Some('t') => format!("{v:b}"),
        _ if text.is_empty() => "0".into(),
        _ => text,
    };
    Ok(vec![Reply::Value { number, text }])
}

fn disassemble<T: Target>(
    s: &mut Session<T>,
    start: Option<&Expr>,
    end: Option<&DisasEnd>,
) -> Result<Vec<Reply>> {
    let pc = s.target().pc();
    let (title, from, to) = match (start, end) {
        (None, _) => match s.program().function_at(pc) {
            Some((name, r)) => (
                format!("Dump of assembler code for function {name}:"),
                r.start,
                r.end,
            ),
            None => (
                format!(
                    "Dump of assembler code from {:#x} to {:#x}:",
                    pc.saturating_sub(16),
                    pc.saturating_add(24)
                ),
                pc.saturating_sub(16),
                pc.saturating_add(24),
            ),
        },
        (Some(e), None) => {
            let a = e.eval(&SessionScope(s))?;
            match s.program().function_at(a) {
                Some((name, r)) => (
                    format!("Dump of assembler code for function {name}:"),
                    r.start,
                    r.end,
                ),
                None => {
                    return Err(CmdError(format!(
                        "No function contains specified address {a:#x}."
                    )))
                }
            }
        }
        (Some(e), Some(end)) => {
            let a = e.eval(&SessionScope(s))?;
            let b = match end {
                DisasEnd::End(x) => x.eval(&SessionScope(s))?,
                DisasEnd::Length(x) => a.wrapping_add(x.eval(&SessionScope(s))?),
            };
            (
                format!("Dump of assembler code from {a:#x} to {b:#x}:"),
                a,
                b,
            )
        }
    };
    let to = to.min(from.saturating_add(4 * MAX_FUNCTION));
    let mut lines = Vec::new();
    let mut a = from & !1;
    while a < to {
        let line = s.insn_line(a);
        // The range may end at the top of the address space: stop there
        // rather than wrap around to 0 and start over.
        let next = a.checked_add(line.bits.map_or(4, insn_len));
        lines.push(line);
        match next {
            Some(n) => a = n,
            None => break,
        }
    }
    Ok(vec![Reply::Code {
        title: Some(title),
        lines,
    }])
}

fn list<T: Target>(s: &mut Session<T>, spec: Option<&ListSpec>) -> Result<Vec<Reply>> {
    let focus = s.focus();
    // `list` goes on in the guest it last listed (`list hello.s:40` from
    // another guest lists hello's file).
    let g = match (spec, s.last_list) {
        (Some(ListSpec::At(_)), _) | (_, None) => focus,
        (_, Some((lg, ..))) => lg,
    };
    let (g, at) = match spec {
        Some(ListSpec::At(loc)) => {
            let (g, addr, _) = location_in(s, loc)?;
            (g, Some(addr))
        }
        _ => (g, None),
    };
    let p = s.target().program(g);
    if p.lines.is_empty() {
        return Err(CmdError(format!(
            "No line table for {}: it was not assembled from source by trapvisor (use disassemble, or x/10i $pc).",
            p.name
        )));
    }
    let pc_loc = (g == focus).then(|| p.location(s.target().pc())).flatten();
    let (file, first) = match spec {
        None => match s.last_list {
            Some((lg, f, _, last)) if lg == g => (f, last + 1),
            _ => {
                let loc = pc_loc
                    .or_else(|| p.location(p.entry))
                    .ok_or_else(|| CmdError::new("No source line for pc."))?;
                (loc.file, loc.line.saturating_sub(5).max(1))
            }
        },
        Some(ListSpec::Before) => match s.last_list {
            Some((lg, f, first, _)) if lg == g => (f, first.saturating_sub(10).max(1)),
            _ => return Err(CmdError::new("No lines listed yet.")),
        },
        Some(ListSpec::At(_)) => {
            let addr = at.unwrap_or(0);
            let l = p
                .location(addr)
                .ok_or_else(|| CmdError(format!("No source line for {addr:#x}.")))?;
            (l.file, l.line.saturating_sub(5).max(1))
        }
    };
    let p = s.target().program(g);
    let f = p
        .files
        .get(file)
        .ok_or_else(|| CmdError::new("No such file."))?;
    let n = f.lines.len() as u32;
    if first > n {
        return Err(CmdError(format!(
            "Line number {first} out of range; \"{}\" has {n} lines.",
            short_path(&f.path)
        )));
    }
    let last = (first + 9).min(n);
    let lines: Vec<SourceLine> = (first..=last)
        .map(|l| SourceLine {
            file: short_path(&f.path).to_string(),
            line: l,
            text: f.lines[(l - 1) as usize].clone(),
            current: pc_loc.is_some_and(|c| c.file == file && c.line == l),
        })
        .collect();
    s.last_list = Some((g, file, first, last));
    Ok(vec![Reply::Source(lines)])
}

fn info_line<T: Target>(s: &Session<T>, loc: Option<&LocSpec>) -> Result<Vec<Reply>> {
    let p = s.program();
    if p.lines.is_empty() {
        return Err(CmdError(format!("No line table for {}.", p.name)));
    }
    let addr = match loc {
        None => s.target().pc(),
        Some(l) => location(s, l)?.0,
    };
    let l = p.location(addr).ok_or_else(|| {
        CmdError(format!(
            "No line number information available for address {}",
            addr_text(s, addr)
        ))
    })?;
    let file = p.files.get(l.file).map_or("", |f| short_path(&f.path));
    let start = p
        .lines
        .iter()
        .filter(|e| e.file == l.file && e.line == l.line)
        .map(|e| e.addr)
        .min()
        .unwrap_or(addr);
    let end = p
        .lines
        .iter()
        .map(|e| e.addr)
        .find(|&a| a > start && p.location(a) != Some(l))
        .unwrap_or(start + 4);
    Ok(vec![Reply::Message(format!(
        "Line {} of \"{file}\" starts at address {} and ends at {}.",
        l.line,
        addr_text(s, start),
        addr_text(s, end)
    ))])
}

impl<T: Target> Scope for Session<T> {
    fn var(&self, name: &str) -> Option<u64> {
        SessionScope(self).var(name)
    }
    fn symbol(&self, name: &str) -> Option<u64> {
        SessionScope(self).symbol(name)
    }
    fn read_u64(&self, addr: u64) -> Option<u64> {
        SessionScope(self).read_u64(addr)
    }
}
