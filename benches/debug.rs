//! What the debugger costs, measured (`cargo bench --bench debug`; quick:
//! `DEBUG_BENCH_QUICK=1 cargo bench --bench debug`).
//!
//! - `continue`: each bench guest run to its end by `continue` with a
//!   breakpoint set on another page (never hit), against the native
//!   machine's own run loop (what `trapvisor run` does); and with the
//!   breakpoint on the hot page itself (an instruction never run). A
//!   breakpoint makes only its own instruction slow, so the three should
//!   be within noise.
//! - `reverse`: crc32 and sort made to run over a billion instructions
//!   (sort writes its 800 KB array over and over: the history's hard
//!   case), the session
//!   taken to instruction (event) 1,000,000,000 by `continue`-speed
//!   execution with snapshots, then `reverse-stepi 1` (restore the nearest
//!   snapshot, re-execute to the event before) timed, alternating with
//!   `stepi 1` to come back; the history's memory and the process's
//!   resident memory are printed.
//!
//! Times are wall-clock medians of several runs, interleaved; compare
//! figures from one run of this bench only (the machine is shared).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpu::devices::{Console, NoInput};
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use cpu::machine::Machine;
use debugger::command::parse;
use debugger::native::NativeTarget;
use debugger::program::Program;
use debugger::session::Session;
use debugger::target::Target;

const MEMORY: u64 = 128 << 20;
const GUESTS: [&str; 4] = ["crc32", "sort", "matmul", "sieve"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Assembles `text` as if it were the file at `path` (its includes are
/// found beside it).
fn image_of(path: &Path, text: &str) -> Image {
    let out = asm::assemble_source(&path.display().to_string(), text, &asm::Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Image::from_elf(&out.elf, RAM_BASE..RAM_BASE + MEMORY).expect("an image")
}

fn source(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the guest's source")
}

fn session(name: &str, image: &Image) -> Session<NativeTarget> {
    let program = Program::from_image(name, image);
    Session::new(NativeTarget::boot(program, image, MEMORY, Box::new(NoInput)).expect("boots"))
}

fn exec(s: &mut Session<NativeTarget>, line: &str) {
    s.execute(&parse(line).expect("a command"))
        .unwrap_or_else(|e| panic!("{line}: {e}"));
}

/// `trapvisor run`: instructions and time.
fn run_native(image: &Image) -> (u64, Duration) {
    let (console, _) = Console::buffered(b"");
    let mut m = Machine::boot(image, MEMORY, console).expect("boots");
    let t = Instant::now();
    let report = m.run();
    (report.instructions, t.elapsed())
}

/// `break LOCATION` then `continue` to the end: time of the continue.
fn run_debug(name: &str, image: &Image, location: &str) -> Duration {
    let mut s = session(name, image);
    exec(&mut s, &format!("break {location}"));
    let t = Instant::now();
    exec(&mut s, "continue");
    let elapsed = t.elapsed();
    assert!(
        s.target().ended(0).is_some(),
        "{name}: the breakpoint at {location} was hit"
    );
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn continue_speed(runs: usize) {
    println!("continue to the end, MIPS (median of {runs} interleaved runs):");
    println!(
        "{:<8} {:>12} {:>10} {:>16} {:>16}",
        "guest", "instructions", "run", "bp other page", "bp same page"
    );
    for name in GUESTS {
        let path = root().join(format!("guest-programs/bench/{name}.s"));
        let image = image_of(&path, &source(&path));
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        let mut insns = 0;
        for _ in 0..runs {
            let (n, t) = run_native(&image);
            insns = n;
            a.push(t);
            b.push(run_debug(name, &image, "*(_start + 0x1000)"));
            // An instruction of the hot page that never runs: the last
            // word of the page.
            c.push(run_debug(name, &image, "*(_start + 0xffc)"));
        }
        let mips = |t: Duration| insns as f64 / t.as_secs_f64() / 1e6;
        println!(
            "{name:<8} {insns:>12} {:>10.1} {:>16.1} {:>16.1}",
            mips(median(a)),
            mips(median(b)),
            mips(median(c))
        );
    }
}

fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0 / (1 << 20) as f64)
}

/// `reverse-stepi 1` at event 1,000,000,000 of bench guest `name` made
/// long enough by `from` -> `to` in its source.
fn reverse_cost(name: &str, from: &str, to: &str, times: usize) {
    let path = root().join(format!("guest-programs/bench/{name}.s"));
    let text = source(&path);
    assert!(text.contains(from), "{name}: no `{from}`");
    let image = image_of(&path, &text.replace(from, to));
    let mut s = session(name, &image);
    let before = resident_mib();
    let target = 1_000_000_000;
    let t = Instant::now();
    s.go_to(target);
    let forward = t.elapsed();
    assert_eq!(s.position(), target);
    let mut back = Vec::new();
    for _ in 0..times {
        let t = Instant::now();
        exec(&mut s, "reverse-stepi 1");
        back.push(t.elapsed());
        assert_eq!(s.position(), target - 1);
        exec(&mut s, "stepi 1");
    }
    let info = s.history_info();
    let worst = *back.iter().max().unwrap_or(&Duration::ZERO);
    println!(
        "{name} ({to}): reverse-stepi 1 at event {target}: median {:.1} ms, worst {:.1} ms over {times}",
        median(back).as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    println!(
        "  getting there: {:.2} s ({:.0} MIPS, snapshots included); history: {} snapshots every {} events, {:.1} MiB of pages",
        forward.as_secs_f64(),
        target as f64 / forward.as_secs_f64() / 1e6,
        info.snapshots,
        info.spacing,
        info.bytes as f64 / (1 << 20) as f64
    );
    println!(
        "  resident memory: {:.1} MiB before, {:.1} MiB after (guest RAM 128 MiB, allocated but mostly untouched)",
        before,
        resident_mib()
    );
}

fn main() {
    let quick = std::env::var_os("DEBUG_BENCH_QUICK").is_some();
    continue_speed(if quick { 3 } else { 9 });
    let times = if quick { 5 } else { 20 };
    reverse_cost(
        "crc32",
        ".equ PASSES,      450",
        ".equ PASSES,      1600",
        times,
    );
    reverse_cost(
        "sort",
        ".equ ROUNDS,      20",
        ".equ ROUNDS,      80",
        times,
    );
}
