//! The equivalence property of the guest contract (book/src/machine.md,
//! "Under the monitor"), checked
//! literally for every guest program: the stream of retired instructions
//! (its trace digest: hash and count), every console byte and the way the
//! guest ends are identical
//! - natively (`cpu::machine`, the guest in real S-mode),
//! - under the monitor alone, and
//! - under the monitor beside three other guest programs, with a small
//!   quantum (97 instructions: the guest is preempted everywhere, mid-loop,
//!   mid-handler, between an SBI call and its return) and a larger one
//!   (1000).
//!
//! The monitor computes digests only when asked (`Monitor::set_digest`), so
//! the runs compared here ask; one more run alone, without the digest, must
//! show the same console, end and instruction count: turning the digest off
//! changes nothing the guest does.
//!
//! Random guest programs are checked the same way (translated,
//! interpreted, alone and beside another under the monitor) in
//! [`random_programs`].
//!
//! One test per guest program, so a failure names it. The CPU-bound
//! programs in `guest-programs/bench/` (300 M instructions each) are in an
//! ignored test: `cargo test --release --test equivalence -- --ignored`.

use std::path::{Path, PathBuf};

use cpu::devices::Console;
use cpu::hart::{Digest, RAM_BASE};
use cpu::image::Image;
use cpu::machine::{Machine, Outcome};
use cpu::privileged::Isa;
use monitor::{End, GuestImage, GuestSpec, Monitor};

#[path = "equivalence/random_programs.rs"]
mod random_programs;
#[path = "equivalence/strategies.rs"]
mod strategies;

/// Every guest gets the same RAM natively and under the monitor.
const MEMORY: u64 = 128 << 20;
const MAX_INSTRUCTIONS: u64 = 2_000_000_000;
/// The top-level guest programs, in the order companions are drawn from.
const PROGRAMS: &[&str] = &[
    "hello",
    "sbi-hello",
    "syscall",
    "timer",
    "paging",
    "timeshare",
    "batch",
    "sensitive",
    "paging-pv",
    "timeshare-pv",
];

/// What a run shows of one guest.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// `None` when the monitor was not asked to compute it.
    digest: Option<Digest>,
    /// Instructions retired.
    retired: u64,
    console: String,
    /// How it ended, as the exit status `trapvisor run` would give.
    status: u8,
}

fn program(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("guest-programs")
        .join(rel)
}

fn image(path: &Path) -> Image {
    let elf = asm::assemble_file(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn native(path: &Path) -> Seen {
    native_on(path, Isa::Standard)
}

/// `path` run natively on the machine variant `isa`.
fn native_on(path: &Path, isa: Isa) -> Seen {
    let (console, out) = Console::buffered(b"");
    let mut machine = Machine::boot(&image(path), MEMORY, console)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    machine.set_isa(isa);
    machine.max_instructions = MAX_INSTRUCTIONS;
    machine.hart.set_digest(true);
    let report = machine.run();
    Seen {
        digest: Some(report.digest),
        retired: report.instructions,
        console: String::from_utf8_lossy(&out.contents()).into_owned(),
        status: report.outcome.exit_status(),
    }
}

/// The exit status `trapvisor run` gives for a monitored guest's end (the
/// same numbers as natively).
fn status(end: &End) -> u8 {
    match end {
        End::Guest(e) => Outcome::Ended(*e).exit_status(),
        End::InstructionLimit(_) => cpu::machine::status::INSTRUCTION_LIMIT,
        End::Hang | End::HartStopped => cpu::machine::status::HANG,
        End::TrapStorm(_) => cpu::machine::status::TRAP_STORM,
        End::OutputClosed => cpu::machine::status::OUTPUT_CLOSED,
    }
}

/// Runs `paths` side by side under the monitor, computing digests if
/// `digest`; what each guest showed.
fn monitored(paths: &[PathBuf], quantum: u64, digest: bool) -> Vec<Seen> {
    monitored_on(paths, quantum, digest, Isa::Standard)
}

/// [`monitored`] on the machine variant `isa`.
fn monitored_on(paths: &[PathBuf], quantum: u64, digest: bool, isa: Isa) -> Vec<Seen> {
    let mut m: Monitor = Monitor::new();
    m.set_digest(digest);
    m.set_isa(isa);
    let mut outs = Vec::new();
    for path in paths {
        let (console, out) = Console::buffered(b"");
        m.add_guest(GuestSpec {
            name: path.display().to_string(),
            image: GuestImage::from(&image(path)),
            memory: MEMORY,
            console,
            max_instructions: MAX_INSTRUCTIONS,
        });
        outs.push(out);
    }
    let reports = m.run(quantum).unwrap_or_else(|e| panic!("{e}"));
    reports
        .iter()
        .zip(outs)
        .map(|(r, out)| Seen {
            digest: r.digest,
            retired: r.retired,
            console: String::from_utf8_lossy(&out.contents()).into_owned(),
            status: status(&r.end),
        })
        .collect()
}

/// The three programs after `name` in [`PROGRAMS`] (cyclically).
fn companions(name: &str) -> Vec<PathBuf> {
    let k = PROGRAMS.iter().position(|p| *p == name).unwrap_or(0);
    (1..=3)
        .map(|d| program(&format!("{}.s", PROGRAMS[(k + d) % PROGRAMS.len()])))
        .collect()
}

/// Natively, alone under the monitor, and with the guest first and then
/// last among four, at quanta 97 and 1000: the same everywhere.
fn check(rel: &str, others: Vec<PathBuf>) {
    let path = program(rel);
    let reference = native(&path);
    assert!(reference.retired > 0, "{rel}: nothing retired natively");
    let alone = monitored(std::slice::from_ref(&path), 10_000, true).remove(0);
    assert_eq!(
        alone, reference,
        "{rel}: alone under the monitor vs natively"
    );
    let plain = monitored(std::slice::from_ref(&path), 10_000, false).remove(0);
    assert_eq!(
        plain,
        Seen {
            digest: None,
            retired: reference.retired,
            console: reference.console.clone(),
            status: reference.status,
        },
        "{rel}: alone under the monitor without the digest vs natively"
    );
    for quantum in [97, 1000] {
        let mut first = vec![path.clone()];
        first.extend(others.iter().cloned());
        let seen = monitored(&first, quantum, true).remove(0);
        assert_eq!(
            seen, reference,
            "{rel}: first of four under the monitor (quantum {quantum}) vs natively"
        );
        let mut last = others.clone();
        last.push(path.clone());
        let seen = monitored(&last, quantum, true).pop();
        assert_eq!(
            seen.as_ref(),
            Some(&reference),
            "{rel}: last of four under the monitor (quantum {quantum}) vs natively"
        );
    }
}

macro_rules! equivalent {
    ($($test:ident => $name:literal,)*) => {$(
        #[test]
        fn $test() {
            check(concat!($name, ".s"), companions($name));
        }
    )*};
}

equivalent! {
    hello_is_equivalent => "hello",
    sbi_hello_is_equivalent => "sbi-hello",
    syscall_is_equivalent => "syscall",
    timer_is_equivalent => "timer",
    paging_is_equivalent => "paging",
    timeshare_is_equivalent => "timeshare",
    batch_is_equivalent => "batch",
    sensitive_is_equivalent => "sensitive",
    paging_pv_is_equivalent => "paging-pv",
    timeshare_pv_is_equivalent => "timeshare-pv",
}

/// The Popek–Goldberg lab's broken theorem, run: on `--isa leaky`, a
/// kernel's own `csrr sstatus`, `csrsi sstatus, SIE` and `csrci sstatus,
/// SIE` do not trap when the monitor deprivileges it to U-mode, so
/// sensitive.s sees the monitor's sstatus and its interrupt masking fails;
/// natively (in S-mode) the leaky machine runs it as the standard one.
#[test]
fn on_the_leaky_isa_trap_and_emulate_is_not_equivalent() {
    let path = program("sensitive.s");
    let reference = native_on(&path, Isa::Standard);
    assert_eq!(reference.status, 0, "{}", reference.console);
    assert_eq!(
        native_on(&path, Isa::Leaky),
        reference,
        "natively the leaky machine is the standard one for an S-mode kernel"
    );
    let standard = monitored_on(std::slice::from_ref(&path), 10_000, true, Isa::Standard);
    assert_eq!(
        standard[0], reference,
        "standard ISA: the monitor is equivalent"
    );
    let leaky = monitored_on(std::slice::from_ref(&path), 10_000, true, Isa::Leaky).remove(0);
    assert_eq!(leaky.status, 0, "{}", leaky.console);
    assert_ne!(leaky.digest, reference.digest);
    let lines = |console: &str| -> Vec<String> {
        console
            .lines()
            .skip(1)
            .map(|l| l.rsplit(' ').next().unwrap_or("").to_owned())
            .collect()
    };
    // What the kernel printed: SUM, interrupts taken after enabling, and
    // taken inside the masked critical section.
    assert_eq!(
        lines(&reference.console),
        ["1", "1", "0"],
        "{}",
        reference.console
    );
    assert_eq!(lines(&leaky.console), ["0", "0", "1"], "{}", leaky.console);
    assert!(
        leaky.console.contains("SPP = 0, SUM = 0"),
        "the monitor's own sstatus leaked: {}",
        leaky.console
    );
}

/// Every top-level guest program is covered by a test above.
#[test]
fn every_guest_program_has_an_equivalence_test() {
    let mut found: Vec<String> = std::fs::read_dir(program(""))
        .expect("guest-programs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("s" | "S")))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    found.sort();
    let mut listed: Vec<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "add the new guest program to PROGRAMS");
}

/// The CPU-bound benchmarks, each beside three small guest programs.
#[test]
#[ignore = "300 M instructions per program: run with --release -- --ignored"]
fn bench_programs_are_equivalent() {
    for name in ["crc32", "matmul", "sieve", "sort"] {
        check(
            &format!("bench/{name}.s"),
            companions("timer"), // timer, paging, timeshare
        );
    }
}
