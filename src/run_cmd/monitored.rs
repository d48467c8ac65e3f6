//! `trapvisor run --monitor GUEST...`: several guests side by side under
//! the monitor, each deprivileged to real U-mode.
//!
//! - Every guest is loaded (assembled, checked against its RAM) before
//!   anything runs; bad input for any of them is a message naming the file
//!   and exit status 2.
//! - Each guest is named by its file stem (`hello.s` → `hello`; a second
//!   `hello` is `hello#2`, and so on). Its console lines go to stdout as
//!   `[hello] ...`, whole lines at a time so guests never split each
//!   other's lines (a last line without a newline is printed, with one, when
//!   the guest ends); with `--console-dir DIR` they go, raw, to
//!   `DIR/hello.out`, and its input comes from `DIR/hello.in` if that
//!   exists (a file, or a FIFO another program feeds). Otherwise the first
//!   guest reads stdin; the others see no input.
//! - `--quantum N` is the preemption timer: a guest runs at most N retired
//!   instructions before the next one gets the hart; a guest that masks its
//!   interrupts and spins cannot keep it.
//! - The run ends when every guest has ended. The exit status is 0 only if
//!   every guest ended with 0; otherwise it is the first non-zero guest
//!   status, in command-line order, each guest's status being what
//!   `trapvisor run` gives natively (its exit code, 124 instruction limit,
//!   125 hang, 126 trap storm). At the end, stderr has a summary line for
//!   each guest that did not end cleanly, and for every guest when there
//!   are several (`trapvisor: [NAME] how it ended (status N)`), or with
//!   `--stats` its statistics; `--stats=json` prints one JSON document
//!   instead ([`crate::stats_json`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cpu::devices::{Console, EndHow, Hangup};
use cpu::machine::{status, Outcome};
use monitor::stats::GuestReport;
use monitor::{End, GuestImage, GuestSpec, Monitor};

use super::{console_input, load_guest_with, RunArgs, StatsFormat, Trace};
use crate::stats_json;

/// The exit status `trapvisor run` gives for a guest's end: the same
/// numbers as natively.
pub fn exit_status(end: &End) -> u8 {
    match end {
        End::Guest(e) => Outcome::Ended(*e).exit_status(),
        End::InstructionLimit(_) => status::INSTRUCTION_LIMIT,
        End::Hang | End::HartStopped => status::HANG,
        End::TrapStorm(_) => status::TRAP_STORM,
        End::OutputClosed => status::OUTPUT_CLOSED,
    }
}

/// The status of a whole run: 0 only if every guest's is 0, else the
/// first non-zero one.
pub fn run_status(statuses: impl IntoIterator<Item = u8>) -> u8 {
    statuses.into_iter().find(|&s| s != 0).unwrap_or(0)
}

/// Whether a guest ended the way that needs no comment: finisher pass or
/// SBI shutdown, with exit code 0 (as the native report decides).
fn clean(end: &End) -> bool {
    matches!(end, End::Guest(e) if e.code == 0
        && matches!(e.how, EndHow::FinisherPass | EndHow::SbiShutdown))
}

/// Each file's guest name: its stem, with `#2`, `#3`, ... for repeats.
pub fn guest_names(files: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "guest".into());
        let seen = names
            .iter()
            .filter(|n| **n == stem || n.starts_with(&format!("{stem}#")))
            .count();
        names.push(if seen == 0 {
            stem
        } else {
            format!("{stem}#{}", seen + 1)
        });
    }
    names
}

/// Creates `dir` if needed and opens `dir/NAME.out` for a guest's raw
/// console output.
pub fn console_file(dir: &Path, name: &str) -> Result<Box<dyn Write + Send>, String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let why = if dir.exists() && !dir.is_dir() {
            "it is a file, not a directory".to_string()
        } else {
            crate::io_reason(&e)
        };
        format!(
            "{}: cannot create the console directory: {why}",
            dir.display()
        )
    })?;
    let path = dir.join(format!("{name}.out"));
    let file = File::create(&path).map_err(|e| {
        format!(
            "{}: cannot create: {}",
            path.display(),
            crate::io_reason(&e)
        )
    })?;
    Ok(Box::new(BufWriter::new(file)))
}

/// One guest's share of stdout: its complete lines, each prefixed with
/// `[NAME] ` and written at once, so that guests switched mid-line never
/// mix their text.
pub struct PrefixedLines<W: Write> {
    out: W,
    prefix: Vec<u8>,
    line: Vec<u8>,
}

impl<W: Write> PrefixedLines<W> {
    pub fn new(out: W, name: &str) -> PrefixedLines<W> {
        PrefixedLines {
            out,
            prefix: format!("[{name}] ").into_bytes(),
            line: Vec::new(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        let mut text = Vec::with_capacity(self.prefix.len() + self.line.len());
        text.extend_from_slice(&self.prefix);
        text.append(&mut self.line);
        self.out.write_all(&text)
    }
}

impl<W: Write> Write for PrefixedLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            self.line.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }

    /// Pushes out complete lines only: a partial line waits for its end.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Drop for PrefixedLines<W> {
    /// The guest's last line, if it did not end with a newline.
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.line.push(b'\n');
            let _ = self.emit();
        }
        let _ = self.out.flush();
    }
}

/// Runs `files` under the monitor and reports on each guest.
pub fn run(files: &[PathBuf], args: &RunArgs, trace: Option<Trace>) -> ExitCode {
    let bad_input = ExitCode::from(status::BAD_INPUT);
    // Every guest is checked before any runs.
    let mut guests = Vec::new();
    for file in files {
        match load_guest_with(file, args.memory, &args.asm.options()) {
            Ok(g) => guests.push(g),
            Err(e) => say!("trapvisor: {e}"),
        }
    }
    if guests.len() != files.len() {
        return bad_input;
    }
    let names = guest_names(files);
    // One hangup for every output: a closed pipe ends the whole run quietly.
    let hangup = Hangup::new();
    let mut consoles = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let out: Box<dyn Write + Send> = match &args.console_dir {
            None => Box::new(PrefixedLines::new(io::stdout(), name)),
            Some(dir) => match console_file(dir, name) {
                Ok(f) => f,
                Err(e) => {
                    say!("trapvisor: {e}");
                    return bad_input;
                }
            },
        };
        let input = match console_input(args.console_dir.as_deref(), name, k == 0) {
            Ok(input) => input,
            Err(e) => {
                say!("trapvisor: {e}");
                return bad_input;
            }
        };
        consoles.push(Console::new(out, input).with_hangup(hangup.clone()));
    }

    let mut m: Monitor = Monitor::new();
    // As natively: the digest costs time on every instruction, so it is
    // computed only when `--stats` will print it.
    m.set_digest(args.stats.is_some());
    m.set_translation(!args.interpret);
    m.set_isa(args.isa);
    m.set_strategy(args.strategy.unwrap_or_default());
    // Every exit and what the monitor did, each line with its guest's name
    // (`--trace`); every instruction too (`--trace insn`).
    super::init_tracing(trace, true, &hangup);
    m.set_trace_insns(trace == Some(Trace::Insn));
    let max_instructions = match args.max_instructions {
        0 => u64::MAX,
        n => n,
    };
    for ((guest, name), console) in guests.iter().zip(&names).zip(consoles) {
        m.add_guest(GuestSpec {
            name: name.clone(),
            image: GuestImage::from(&guest.image),
            memory: args.memory,
            console,
            max_instructions,
        });
    }
    let start = Instant::now();
    let reports = match m.run(args.quantum()) {
        Ok(r) => r,
        Err(e) => {
            let hint = match e {
                monitor::MonitorError::MachineMemory { .. } => {
                    " (run fewer guests, or give them less --memory)"
                }
                _ => "",
            };
            say!("trapvisor: {e}{hint}");
            return bad_input;
        }
    };
    let wall = start.elapsed();
    let _ = io::stdout().flush();
    if !hangup.raised() {
        match args.stats {
            Some(StatsFormat::Json) => {
                let doc = stats_json::monitor(&reports, files, wall);
                say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            }
            stats => summarize(&reports, stats.is_some(), wall),
        }
    }
    ExitCode::from(run_status(reports.iter().map(|r| exit_status(&r.end))))
}

/// The per-guest lines on stderr: who did what. Without `--stats`, one
/// line for each guest that did not end cleanly, or for every guest when
/// there are several, so that a run of many says how each one ended.
fn summarize(reports: &[GuestReport], stats: bool, wall: std::time::Duration) {
    let several = reports.len() > 1;
    for r in reports {
        if stats {
            for line in r.to_string().lines() {
                say!("trapvisor: {line}");
            }
        } else if several || !clean(&r.end) {
            say!(
                "trapvisor: [{}] {} (status {})",
                r.name,
                r.end,
                exit_status(&r.end)
            );
        }
    }
    if stats {
        let total: u64 = reports.iter().map(|r| r.retired).sum();
        let secs = wall.as_secs_f64();
        let mips = if secs > 0.0 {
            total as f64 / secs / 1e6
        } else {
            0.0
        };
        say!(
            "trapvisor: monitor: {} guest{}, {total} instructions, wall time {secs:.3} s, {mips:.1} MIPS (with the trace digest)",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stems_with_repeats_numbered() {
        let files: Vec<PathBuf> = ["a/hello.s", "b.s", "c/hello.s", "hello.elf", "x/b.S"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            guest_names(&files),
            ["hello", "b", "hello#2", "hello#3", "b#2"]
        );
    }

    #[test]
    fn status_is_zero_only_if_all_are() {
        assert_eq!(run_status([0, 0, 0]), 0);
        assert_eq!(run_status([0, 124, 3]), 124);
        assert_eq!(run_status([]), 0);
    }

    #[test]
    fn prefixed_lines_keep_lines_whole() {
        let mut out = Vec::new();
        {
            let mut w = PrefixedLines::new(&mut out, "a");
            w.write_all(b"hel").unwrap();
            w.flush().unwrap();
            w.write_all(b"lo\r\nbye\nlast").unwrap();
        }
        assert_eq!(out, b"[a] hello\r\n[a] bye\n[a] last\n");
    }
}
