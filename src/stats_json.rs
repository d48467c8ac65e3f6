//! `--stats=json`: every figure of `--stats`, per guest, as one JSON
//! document with a name and a version, for programs that grade or plot
//! runs. The schema is documented, field by field, in the book
//! (`book/src/stats-json.md`); `trapvisor check` evaluates its assertions
//! over these very documents.
//!
//! Stability: within a [`VERSION`], fields are only ever added, never
//! renamed, removed or given another meaning; a change that breaks a
//! reader bumps the version.

use std::path::Path;
use std::time::Duration;

use cpu::devices::EndHow;
use cpu::machine::{Outcome, RunReport, StopReason};
use cpu::trap::{Exception, Interrupt, Trap};
use monitor::stats::{Emulated, ExitReason, GuestReport};
use monitor::End;
use serde_json::{json, Map, Value};

/// The value of the document's `schema` field.
pub const SCHEMA: &str = "trapvisor-stats";

/// The schema's version: the document's `version` field.
pub const VERSION: u64 = 1;

/// A name as a JSON key: lower case, every run of other characters one
/// `_` ("environment call from U-mode" → `environment_call_from_u_mode`).
pub fn key(name: &str) -> String {
    let mut k = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            k.push(c.to_ascii_lowercase());
        } else if !k.is_empty() && !k.ends_with('_') {
            k.push('_');
        }
    }
    k.trim_end_matches('_').to_string()
}

/// How a guest ended, as the `end` object: `kind`, the guest's own
/// `code` (null when trapvisor stopped it) and the human `message`.
fn end_object(kind: &str, code: Option<u32>, message: String) -> Value {
    json!({ "kind": kind, "code": code, "message": message })
}

fn ended_kind(how: EndHow) -> &'static str {
    match how {
        EndHow::FinisherPass => "finisher-pass",
        EndHow::FinisherFail => "finisher-fail",
        EndHow::FinisherReset => "finisher-reset",
        EndHow::SbiShutdown => "sbi-shutdown",
        EndHow::SbiReboot => "sbi-reboot",
    }
}

fn native_end(outcome: &Outcome) -> Value {
    let message = outcome.to_string();
    match outcome {
        Outcome::Ended(e) => end_object(ended_kind(e.how), Some(e.code), message),
        Outcome::Stopped(reason) => {
            let kind = match reason {
                StopReason::InstructionLimit { .. } => "instruction-limit",
                StopReason::Hang { .. } => "hang",
                StopReason::TrapStorm { .. } => "trap-storm",
                StopReason::UnexpectedTrap { .. } => "unexpected-trap",
                StopReason::UnexpectedBreakpoint { .. } => "unexpected-breakpoint",
                StopReason::OutputClosed => "output-closed",
            };
            end_object(kind, None, message)
        }
    }
}

fn monitor_end(end: &End) -> Value {
    let message = end.to_string();
    match end {
        End::Guest(e) => end_object(ended_kind(e.how), Some(e.code), message),
        End::InstructionLimit(_) => end_object("instruction-limit", None, message),
        End::Hang | End::HartStopped => end_object("hang", None, message),
        End::TrapStorm { .. } => end_object("trap-storm", None, message),
        End::OutputClosed => end_object("output-closed", None, message),
    }
}

fn digest(hash: String, count: u64) -> Value {
    json!({ "hash": hash, "instructions": count })
}

fn mips(instructions: u64, wall: Duration) -> f64 {
    let secs = wall.as_secs_f64();
    if secs > 0.0 {
        instructions as f64 / secs / 1e6
    } else {
        0.0
    }
}

/// The document for a native run of `file` (guest `name`).
pub fn native(name: &str, file: &Path, report: &RunReport) -> Value {
    // Every cause the machine can take, zero or not, so that a reader
    // can count on the key.
    let count = |cause: u64| {
        report
            .traps
            .iter()
            .filter(|t| t.cause == cause)
            .map(|t| t.count)
            .sum::<u64>()
    };
    let mut by_cause = Map::new();
    for e in Exception::ALL {
        by_cause.insert(key(e.name()), json!(count(e.code())));
    }
    for i in [
        Interrupt::SupervisorSoftware,
        Interrupt::SupervisorTimer,
        Interrupt::SupervisorExternal,
    ] {
        by_cause.insert(key(i.name()), json!(count(Trap::Interrupt(i).cause_bits())));
    }
    let total: u64 = report.traps.iter().map(|t| t.count).sum();
    let guest = json!({
        "name": name,
        "file": file.display().to_string(),
        "status": report.outcome.exit_status(),
        "end": native_end(&report.outcome),
        "instructions": report.instructions,
        "digest": digest(report.digest.to_string(), report.digest.count),
        "native": {
            "traps": { "total": total, "by_cause": by_cause },
            "translated_pages": report.translated_pages,
        },
    });
    json!({
        "schema": SCHEMA,
        "version": VERSION,
        "mode": "native",
        "wall_seconds": report.wall.as_secs_f64(),
        "mips": report.mips(),
        "guests": [guest],
    })
}

/// One guest's object under the monitor.
fn monitor_guest(r: &GuestReport, file: &Path, status: u8) -> Value {
    let s = &r.stats;
    let mut exits = Map::new();
    for reason in ExitReason::ALL {
        let name = match reason {
            // "budget (quantum or timer)": the key is the reason alone.
            ExitReason::Budget => "budget",
            other => other.name(),
        };
        exits.insert(key(name), json!(s.exits[*reason as usize]));
    }
    let mut emulated = Map::new();
    for kind in Emulated::ALL {
        emulated.insert(key(kind.name()), json!(s.emulated[*kind as usize]));
    }
    let digest = match &r.digest {
        Some(d) => digest(d.to_string(), d.count),
        None => Value::Null,
    };
    json!({
        "name": r.name,
        "file": file.display().to_string(),
        "status": status,
        "end": monitor_end(&r.end),
        "instructions": r.retired,
        "digest": digest,
        "monitor": {
            "emulated_instructions": r.emulated,
            "direct_fraction": r.direct_fraction(),
            "exits": exits,
            "emulated": emulated,
            "reflected_traps": s.reflected,
            "injected_interrupts": s.interrupts,
            "shadow_page_faults": {
                "filled": s.shadow_filled,
                "reflected": s.shadow_reflected,
            },
            "chained_exits": s.chained,
            "world_switches": s.world_switches,
            "strategy": s.strategy.strategy.name(),
            "bt": {
                "pages_translated": s.strategy.bt_pages,
                "instructions_scanned": s.strategy.bt_scanned,
                "patched": s.strategy.bt_patched,
                "calls": s.strategy.bt_calls,
                "exits_saved": s.strategy.bt_exits_saved,
                "translations_dropped": s.strategy.bt_invalidated,
                "stepped": s.strategy.bt_steps,
            },
            "pv": {
                "hypercalls": s.strategy.pv_hypercalls,
                "pte_updates": s.strategy.pv_pte_updates,
            },
        },
    })
}

/// The document for a run under the monitor: one object per guest, in
/// command-line order, `statuses[k]` being guest `k`'s exit status.
pub fn monitor(reports: &[GuestReport], files: &[impl AsRef<Path>], wall: Duration) -> Value {
    let guests: Vec<Value> = reports
        .iter()
        .zip(files)
        .map(|(r, f)| {
            monitor_guest(
                r,
                f.as_ref(),
                crate::run_cmd::monitored::exit_status(&r.end),
            )
        })
        .collect();
    let total: u64 = reports.iter().map(|r| r.retired).sum();
    json!({
        "schema": SCHEMA,
        "version": VERSION,
        "mode": "monitor",
        "wall_seconds": wall.as_secs_f64(),
        "mips": mips(total, wall),
        "guests": guests,
    })
}

/// Marks guest `k` of a document as still running (`trapvisor debug
/// --stats=json` when the session ends before the guest does): its `end`
/// is of kind `running`, with no code, and its `status` null.
pub fn still_running(doc: &mut Value, k: usize, instructions: u64) {
    if let Some(g) = doc.get_mut("guests").and_then(|g| g.get_mut(k)) {
        g["end"] = end_object(
            "running",
            None,
            format!("still running when the debugger left, at instruction {instructions}"),
        );
        g["status"] = Value::Null;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_snake_case_names() {
        assert_eq!(
            key("environment call from U-mode"),
            "environment_call_from_u_mode"
        );
        assert_eq!(key("sfence.vma"), "sfence_vma");
        assert_eq!(key("csr read"), "csr_read");
        assert_eq!(
            key("supervisor timer interrupt"),
            "supervisor_timer_interrupt"
        );
    }
}
