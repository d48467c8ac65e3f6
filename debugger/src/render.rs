//! The line interface's text for each reply: GDB's layout where GDB has
//! the command, the same for every run (no times, no host addresses), so
//! that a script's transcript can be compared with an expected one.

use std::fmt::Write;

use cpu::hart::Priv;

use crate::describe;
use crate::output::{Change, InsnLine, Reply, StepDone, Stop, StopReason};
use crate::target::{GuestState, Translation, TrapKind, TrapRecord};
use crate::walk::{self, WalkError};

/// The text of a reply: whole lines, each ending in a newline (`echo`'s
/// text as given).
pub fn render(reply: &Reply) -> String {
    let mut s = String::new();
    match reply {
        Reply::Message(m) => {
            s += m;
            s.push('\n');
        }
        Reply::Raw(t) => s += t,
        Reply::Stop(stop) => stop_text(&mut s, stop),
        Reply::Registers(rows) => {
            for r in rows {
                let _ = writeln!(
                    s,
                    "{:<15}{:<19}{}",
                    r.name,
                    format!("{:#x}", r.value),
                    r.note
                );
            }
        }
        Reply::Csrs { monitor, rows } => {
            if *monitor {
                let _ = writeln!(
                    s,
                    "{:<11}{:<20}{:<20}",
                    "", "guest (virtual)", "hart (real)"
                );
            }
            for r in rows {
                let value = format!("{:#018x}", r.value);
                if *monitor {
                    let real = r.real.map_or("-".to_string(), |v| format!("{v:#018x}"));
                    let _ = writeln!(s, "{:<11}{value:<20}{real:<20}{}", r.name, r.fields);
                } else {
                    let _ = writeln!(s, "{:<11}{value:<20}{}", r.name, r.fields);
                }
            }
        }
        Reply::Memory(lines) => {
            for l in lines {
                let _ = write!(s, "{:#x}", l.addr);
                if let Some(lab) = &l.label {
                    let _ = write!(s, " <{lab}>");
                }
                s.push(':');
                for i in &l.items {
                    s.push('\t');
                    s += i;
                }
                s.push('\n');
            }
        }
        Reply::Code { title, lines } => {
            if let Some(t) = title {
                s += t;
                s.push('\n');
            }
            for l in lines {
                insn_text(&mut s, l, if l.current { "=> " } else { "   " });
            }
            if title.is_some() {
                s += "End of assembler dump.\n";
            }
        }
        Reply::Source(lines) => {
            for l in lines {
                let _ = writeln!(s, "{}\t{}", l.line, l.text);
            }
        }
        Reply::Translation(t) => translation(&mut s, t),
        Reply::Breakpoints(rows) => {
            if rows.is_empty() {
                s += "No breakpoints or watchpoints.\n";
            } else {
                s += "Num     Type            Disp Enb Address            What\n";
                for r in rows {
                    let addr = r.address.map_or(String::new(), |a| format!("{a:#018x}"));
                    let _ = writeln!(
                        s,
                        "{:<8}{:<16}{:<5}{:<4}{:<19}{}",
                        r.number,
                        r.kind,
                        if r.temporary { "del" } else { "keep" },
                        if r.enabled { "y" } else { "n" },
                        addr,
                        r.what
                    );
                    if let Some(c) = &r.condition {
                        let _ = writeln!(s, "\tstop only if {c}");
                    }
                    if r.hits > 0 {
                        let what = if r.kind == "catchpoint" {
                            "catchpoint"
                        } else {
                            "breakpoint"
                        };
                        let times = if r.hits == 1 { "time" } else { "times" };
                        let _ = writeln!(s, "\t{what} already hit {} {times}", r.hits);
                    }
                    if r.ignore > 0 {
                        let _ = writeln!(
                            s,
                            "\tWill ignore next {} crossings of breakpoint.",
                            r.ignore
                        );
                    }
                }
            }
        }
        Reply::Guests {
            focus,
            current,
            guests,
            monitor,
        } => {
            s += "  Id   Guest            Events        Instructions  State\n";
            for (i, g) in guests.iter().enumerate() {
                let state = match &g.state {
                    GuestState::Running if *current == Some(i) => {
                        "running (on the hart)".to_string()
                    }
                    GuestState::Running => "running".to_string(),
                    GuestState::Waiting => "waiting for its turn".to_string(),
                    GuestState::Sleeping => "sleeping in wfi".to_string(),
                    GuestState::Ended(how) => format!("ended: {how}"),
                };
                let _ = writeln!(
                    s,
                    "{} {:<4} {:<16} {:<13} {:<13} {}",
                    if i == *focus { "*" } else { " " },
                    i,
                    g.name,
                    g.events,
                    g.instret,
                    state
                );
            }
            if let Some(how) = monitor {
                let _ = writeln!(s, "The monitor runs them with {how}.");
            }
        }
        Reply::Exits { guest, counts } => {
            if counts.is_empty() {
                let _ = writeln!(s, "No exits yet for {guest}.");
            } else {
                let _ = writeln!(s, "Exits of {guest}:");
                for (what, n) in counts {
                    let _ = writeln!(s, "  {n:>10}  {what}");
                }
            }
        }
        Reply::Traps(records) => {
            if records.is_empty() {
                s += "No traps yet.\n";
            }
            for r in records {
                let _ = writeln!(s, "[event {}] {}", r.position, trap_line(r));
            }
        }
        Reply::History { now, info } => {
            let _ = writeln!(
                s,
                "History: events {} to {} can be visited; now at event {now}.",
                info.first, info.furthest
            );
            let _ = writeln!(
                s,
                "{} snapshot{} every {} events keep {} of RAM pages (budget {}).",
                info.snapshots,
                if info.snapshots == 1 { "" } else { "s" },
                info.spacing,
                bytes(info.bytes),
                bytes(info.budget)
            );
            let _ = writeln!(
                s,
                "Going back re-runs at most {} events from the nearest snapshot.",
                info.spacing
            );
        }
        Reply::Value { number, text } => {
            let _ = writeln!(s, "${number} = {text}");
        }
        Reply::Help(text) | Reply::Console { text, .. } => {
            s += text;
            if !text.ends_with('\n') && !text.is_empty() {
                s.push('\n');
            }
        }
    }
    s
}

fn bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

fn at(addr: u64, label: &Option<String>) -> String {
    match label {
        Some(l) => format!("{addr:#x} <{l}>"),
        None => format!("{addr:#x}"),
    }
}

fn insn_text(s: &mut String, l: &InsnLine, mark: &str) {
    let _ = write!(s, "{mark}{}:\t{}", at(l.addr, &l.label), l.text);
    s.push('\n');
}

fn priv_letter(p: Priv) -> &'static str {
    match p {
        Priv::User => "U-mode",
        Priv::Supervisor => "S-mode",
        Priv::Machine => "M-mode",
    }
}

fn labelled(addr: u64, label: &Option<String>) -> String {
    at(addr, label)
}

/// One line for a trap or exit (`info traps`, catchpoints).
pub fn trap_line(r: &TrapRecord) -> String {
    let here = labelled(r.pc, &r.pc_label);
    match &r.kind {
        TrapKind::Taken { trap, handler } => format!(
            "{} at {here} in {}, taken in S-mode: handler at {}",
            describe::trap(trap),
            priv_letter(r.privilege),
            labelled(*handler, &r.to_label)
        ),
        TrapKind::Sbi { call, ret } => format!(
            "SBI call at {here}: {} -> {} (answered by the firmware)",
            describe::sbi_call(call),
            describe::sbi_ret(ret)
        ),
        TrapKind::Slept { until } => format!("wfi at {here}: slept until time {until}"),
        TrapKind::Exit(e) => format!(
            "exit at {here} in {}: {} -> {}; {}",
            priv_letter(r.privilege),
            e.reason,
            e.handler,
            match e.resume {
                Some(to) => format!("resumes at {}", labelled(to, &r.to_label)),
                None => "the guest ended".into(),
            }
        ),
    }
}

fn change_text(s: &mut String, c: &Change) {
    let _ = match c.what.as_str() {
        "priv" => writeln!(s, "        {:<10} {}", c.what, c.detail),
        "time" => writeln!(s, "        {:<10} {} ({})", c.what, c.new, c.detail),
        _ if c.detail.is_empty() => {
            writeln!(s, "        {:<10} {:#x} -> {:#x}", c.what, c.old, c.new)
        }
        _ => writeln!(
            s,
            "        {:<10} {:#x} -> {:#x}   ({})",
            c.what, c.old, c.new, c.detail
        ),
    };
}

fn stop_text(s: &mut String, stop: &Stop) {
    if let Some(g) = &stop.guest {
        let _ = writeln!(s, "[guest {g}]");
    }
    let where_ = at(stop.next.addr, &stop.next.label);
    match &stop.reason {
        StopReason::Step | StopReason::Arrived(_) => {}
        StopReason::Breakpoint { number, temporary } => {
            let what = if *temporary {
                "Temporary breakpoint"
            } else {
                "Breakpoint"
            };
            let _ = writeln!(s, "{what} {number}, {where_}");
        }
        StopReason::Watch {
            number,
            what,
            kind,
            old,
            new,
        } => {
            let _ = writeln!(s, "{kind} {number}: {what}");
            match old {
                Some(o) => {
                    let _ = writeln!(s, "Old value = {o:#x}\nNew value = {new:#x}");
                }
                None => {
                    let _ = writeln!(s, "Value = {new:#x}");
                }
            }
            if stop.reverse {
                s.push_str("(going back: the next instruction makes this access)\n");
            }
        }
        StopReason::Catch { number, record } => {
            let what = match &record.kind {
                TrapKind::Taken { .. } => "trap",
                TrapKind::Sbi { .. } => "SBI call",
                TrapKind::Exit(_) => "exit",
                TrapKind::Slept { .. } => "wfi",
            };
            let _ = writeln!(s, "Catchpoint {number} ({what}): {}", trap_line(record));
            if stop.reverse {
                s.push_str("(going back: it is the next event)\n");
            }
        }
        StopReason::Switch { number, from, to } => {
            let _ = writeln!(
                s,
                "Catchpoint {number} (switch): the monitor switches from {} to {to}",
                from.as_deref().unwrap_or("no guest")
            );
        }
        StopReason::Ended { guest, how } => {
            let _ = writeln!(s, "[guest {guest} ended: {how}]");
        }
        StopReason::Interrupted => s.push_str("Program stopped (interrupted).\n"),
        StopReason::HistoryStart => s.push_str("No more reverse-execution history.\n"),
        StopReason::HistoryEnd => s.push_str("No more forward history.\n"),
    }
    for step in &stop.steps {
        match step {
            StepDone::Insn { insn, changes } => {
                insn_text(s, insn, "   ");
                for c in changes {
                    change_text(s, c);
                }
            }
            StepDone::Trap { record, changes } => {
                match &record.kind {
                    TrapKind::Taken { trap, handler } => {
                        let _ = writeln!(
                            s,
                            "Trap: {} at {} in {}: the hart enters the guest's handler in S-mode at {}",
                            describe::trap(trap),
                            labelled(record.pc, &record.pc_label),
                            priv_letter(record.privilege),
                            labelled(*handler, &record.to_label)
                        );
                    }
                    TrapKind::Sbi { call, ret } => {
                        let _ = writeln!(
                            s,
                            "   {}:\tecall\nSBI call, answered by the firmware in M-mode: {} -> {}",
                            labelled(record.pc, &record.pc_label),
                            describe::sbi_call(call),
                            describe::sbi_ret(ret)
                        );
                    }
                    TrapKind::Slept { until } => {
                        let _ = writeln!(s, "wfi: slept until time {until}");
                    }
                    TrapKind::Exit(e) => {
                        let _ = writeln!(
                            s,
                            "Exit to the monitor: {} at {} (guest in {}) -> handler {}",
                            e.reason,
                            labelled(record.pc, &record.pc_label),
                            priv_letter(record.privilege),
                            e.handler
                        );
                        for c in &e.changes {
                            let _ = writeln!(s, "        {c}");
                        }
                        if let Some(to) = e.resume {
                            let _ = writeln!(
                                s,
                                "        the guest resumes at {}",
                                labelled(to, &record.to_label)
                            );
                        }
                    }
                }
                for c in changes {
                    change_text(s, c);
                }
            }
        }
    }
    if let Some(src) = &stop.source {
        let _ = writeln!(s, "{}:{}:\t{}", src.file, src.line, src.text);
    }
    insn_text(s, &stop.next, "=> ");
}

fn translation(s: &mut String, t: &Translation) {
    let w = &t.guest;
    if !w.paged() {
        let _ = writeln!(
            s,
            "{:#x}: satp is Bare: virtual = physical, no page tables.",
            w.va
        );
    } else {
        let _ = writeln!(
            s,
            "{:#x}: Sv39, satp {:#x} ({})",
            w.va,
            w.satp,
            describe::csr_fields("satp", w.satp)
        );
        for (i, step) in w.steps.iter().enumerate() {
            let leaf = i + 1 == w.steps.len() && w.result.is_ok();
            let vpn = (w.va >> (12 + 9 * step.level)) & 0x1ff;
            let _ = write!(
                s,
                "  level {}: VPN[{}] = {vpn:#x}: PTE at {:#x} = {:#018x} {}",
                step.level,
                step.level,
                step.pte_addr,
                step.pte,
                walk::pte_flags(step.pte)
            );
            if leaf {
                let _ = write!(s, ": leaf, a {}", walk::page_size_name(step.level));
            } else if step.pte & 1 != 0 && step.pte & 0xe == 0 {
                let _ = write!(s, ": next table at {:#x}", (step.pte >> 10) << 12);
            }
            s.push('\n');
        }
    }
    let monitored = t.shadow.is_some() || t.host.is_some();
    match &w.result {
        Ok(pa) => {
            let _ = writeln!(
                s,
                "  -> {}physical {pa:#x}",
                if monitored { "guest-" } else { "" }
            );
        }
        Err(e) => {
            let _ = writeln!(s, "  -> no translation: {e}");
            if matches!(e, WalkError::Invalid(_)) {
                s.push_str("     (an access here would be a page fault)\n");
            }
        }
    }
    if let Some(h) = t.host {
        let _ = writeln!(
            s,
            "  -> host-physical {h:#x} (where the monitor keeps this guest's RAM)"
        );
    } else if let (true, Some(d)) = (monitored, t.device) {
        let _ = writeln!(s, "  -> the guest's virtual {d} (no host memory)");
    } else if monitored && w.result.is_ok() {
        s.push_str(
            "  -> no RAM or device there
",
        );
    }
    if let Some(sh) = &t.shadow {
        let _ = writeln!(s, "  shadow page table (what the hart really walks):");
        for step in &sh.steps {
            let _ = writeln!(
                s,
                "    level {}: PTE at {:#x} = {:#018x} {}",
                step.level,
                step.pte_addr,
                step.pte,
                walk::pte_flags(step.pte)
            );
        }
        match sh.result {
            Ok(pa) => {
                let _ = writeln!(s, "    -> host-physical {pa:#x}");
            }
            Err(e) => {
                // What the monitor does with the hart's page fault there.
                let then = if w.result.is_err() {
                    "an access is the guest's own page fault, reflected to it"
                } else if t.host.is_some() {
                    "the first access is a shadow page fault"
                } else if t.device.is_some() {
                    "each access faults to the monitor, which performs it on the virtual device (an MMIO exit)"
                } else {
                    "an access faults to the monitor, which gives the guest the access fault it gets natively"
                };
                let filled = if t.host.is_some() {
                    "not filled yet"
                } else {
                    "never filled"
                };
                let _ = writeln!(s, "    -> {filled} ({e}): {then}");
            }
        }
    }
}
