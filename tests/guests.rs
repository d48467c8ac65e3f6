//! Whole-program tests of the native machine: every guest program prints
//! exactly what it prints on QEMU (its `.expected` file) and exits 0; the
//! stop reasons give their message and status; runs are deterministic; and
//! `trapvisor run` rejects bad input with exit status 2 and the file's name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cpu::devices::Console;
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use cpu::machine::{status, Machine, Outcome, RunReport, StopReason};

const MEMORY: u64 = 128 << 20;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn test_guest(name: &str) -> PathBuf {
    root().join("tests/guests").join(name)
}

/// Assembles and runs a guest natively through the library, with `input`
/// on its console; returns the report and the console output.
fn run_native(path: &Path, input: &[u8], max_instructions: u64) -> (RunReport, Vec<u8>) {
    let elf = asm::assemble_file(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let image = Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (console, out) = Console::buffered(input);
    let mut machine = Machine::boot(&image, MEMORY, console)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    machine.max_instructions = max_instructions;
    machine.hart.set_digest(true);
    let report = machine.run();
    (report, out.contents())
}

/// Every `DIR/**/X.s` (and `.S`) under the repository root.
fn programs_in(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "S")) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.sort();
    out
}

#[test]
fn every_guest_program_prints_its_expected_output_and_exits_0() {
    expect_outputs(&programs_in("guest-programs"));
}

/// The self-checking conformance guests print exactly what they print on
/// QEMU (their `.expected` files come from QEMU 7.2 + OpenSBI 1.1).
#[test]
fn the_conformance_suite_prints_what_qemu_prints() {
    expect_outputs(&programs_in("tests/conformance"));
}

/// Runs each program natively and checks its console bytes against its
/// `.expected` file and its exit status against 0.
fn expect_outputs(programs: &[PathBuf]) {
    assert!(!programs.is_empty(), "no guest programs found");
    let mut failures = Vec::new();
    for path in programs {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let (report, out) = run_native(path, b"", 10_000_000_000);
        if out != expected || report.outcome.exit_status() != 0 {
            failures.push(format!(
                "{}: {}\n--- expected\n{}\n--- got\n{}",
                path.display(),
                report.outcome,
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn two_runs_give_the_same_digest() {
    for name in ["hello.s", "timer.s"] {
        let path = root().join("guest-programs").join(name);
        if !path.exists() {
            continue;
        }
        let (a, out_a) = run_native(&path, b"", 0);
        let (b, out_b) = run_native(&path, b"", 0);
        assert_eq!(a.digest, b.digest, "{name}");
        assert_eq!(
            a.digest.count, a.instructions,
            "{name}: every instruction hashed"
        );
        assert_eq!(out_a, out_b);
    }
}

#[test]
fn same_input_same_run() {
    let (a, out) = run_native(&test_guest("echo.s"), b"hello, world\n", 0);
    assert_eq!(out, b"HELLO, WORLD\n");
    assert_eq!(a.outcome.exit_status(), 0);
    let (b, _) = run_native(&test_guest("echo.s"), b"hello, world\n", 0);
    assert_eq!(a.digest, b.digest);
    let (c, out) = run_native(&test_guest("echo.s"), b"hi", 0);
    assert_eq!(out, b"HI");
    assert_eq!(
        c.outcome.exit_status(),
        1,
        "input ran out before the newline"
    );
}

#[test]
fn finisher_exit_code_reaches_the_report() {
    let (report, out) = run_native(&test_guest("exit42.s"), b"", 0);
    assert_eq!(out, b"x\n");
    assert_eq!(report.outcome.exit_status(), 42);
}

#[test]
fn sbi_answers_as_machine_md_says() {
    let (report, out) = run_native(&test_guest("sbi-probe.s"), b"", 0);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines,
        [
            "0000000002000000", // spec v2.0
            "0000000054524150", // impl id "TRAP"
            "0000000000000001", // DBCN present
            "fffffffffffffffd", // -3: buffer outside RAM
            ""
        ]
    );
    assert_eq!(
        report.outcome.exit_status(),
        1,
        "SRST reason: system failure"
    );
}

#[test]
fn a_runaway_guest_meets_the_instruction_limit() {
    let (report, _) = run_native(&test_guest("spin.s"), b"", 100_000);
    assert_eq!(
        report.outcome,
        Outcome::Stopped(StopReason::InstructionLimit { limit: 100_000 })
    );
    assert_eq!(report.instructions, 100_000);
    assert_eq!(report.outcome.exit_status(), status::INSTRUCTION_LIMIT);
}

#[test]
fn wfi_with_nothing_to_wake_it_is_a_hang() {
    let (report, _) = run_native(&test_guest("hang.s"), b"", 1_000_000);
    assert!(
        matches!(report.outcome, Outcome::Stopped(StopReason::Hang { .. })),
        "{}",
        report.outcome
    );
    assert!(report.outcome.to_string().contains("wfi with no timer set"));
    assert_eq!(report.outcome.exit_status(), status::HANG);
}

#[test]
fn a_trap_storm_is_stopped_and_named() {
    let (report, _) = run_native(&test_guest("storm.s"), b"", 1_000_000);
    let Outcome::Stopped(StopReason::TrapStorm(storm)) = report.outcome else {
        panic!("expected a trap storm, got: {}", report.outcome);
    };
    assert_eq!(storm.pc, 0x1000);
    assert!(
        storm.trap.to_string().contains("instruction access fault"),
        "{storm}"
    );
    // The chain began with the illegal instruction that entered stvec.
    assert_eq!(storm.first_pc, 0x8020_0008);
    assert!(
        report.outcome.to_string().contains(
            "the chain of traps began with illegal instruction (cause 2, tval 0x0) at pc 0x80200008"
        ),
        "{}",
        report.outcome
    );
    assert_eq!(report.outcome.exit_status(), status::TRAP_STORM);
}

// --- through the binary: exit statuses and messages -----------------------

/// Runs the built binary with `stdin` as its standard input, given as a
/// file (the reproducible way to feed a guest).
fn trapvisor(args: &[&str], stdin: &[u8]) -> Output {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let input = std::env::temp_dir().join(format!("trapvisor-stdin-{}-{n}", std::process::id()));
    std::fs::write(&input, stdin).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .args(args)
        .stdin(Stdio::from(std::fs::File::open(&input).unwrap()))
        .output()
        .expect("trapvisor runs");
    let _ = std::fs::remove_file(&input);
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn run_prints_the_console_and_exits_with_the_guest_code() {
    let out = trapvisor(&["run", path_str(&test_guest("exit42.s"))], b"");
    assert_eq!(out.stdout, b"x\n");
    assert_eq!(out.status.code(), Some(42));
    assert!(stderr(&out).contains("exit code 42"), "{}", stderr(&out));
}

#[test]
fn run_feeds_stdin_to_the_uart() {
    let out = trapvisor(&["run", path_str(&test_guest("echo.s"))], b"abc\n");
    assert_eq!(out.stdout, b"ABC\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn run_stats_prints_the_digest() {
    let guest = test_guest("exit42.s");
    let out = trapvisor(&["run", "--stats", path_str(&guest)], b"");
    let err = stderr(&out);
    assert!(err.contains("instructions retired: 9"), "{err}");
    assert!(err.contains("trace digest: "), "{err}");
    assert!(err.contains("over 9 instructions"), "{err}");
    let again = trapvisor(&["run", "--stats", path_str(&guest)], b"");
    let digest = |s: &str| {
        s.lines()
            .find(|l| l.contains("trace digest: "))
            .map(str::to_owned)
    };
    assert_eq!(digest(&err), digest(&stderr(&again)));
}

/// A hot loop runs translated by default and interpreted with
/// `--interpret`; `--stats` says which, and the run is the same either way.
#[test]
fn run_interpret_turns_translation_off_and_changes_nothing_else() {
    let guest = test_guest("spin.s");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--stats", "--max-instructions", "300000"];
        args.extend(extra);
        args.push(path_str(&guest));
        let out = trapvisor(&args, b"");
        assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
        let err = stderr(&out);
        let line = |key: &str| {
            err.lines()
                .find_map(|l| l.split_once(key).map(|(_, v)| v.to_owned()))
                .unwrap_or_else(|| panic!("no {key:?} in {err}"))
        };
        (line("translated pages: "), line("trace digest: "))
    };
    let (translated, digest) = run(&[]);
    let (interpreted, same_digest) = run(&["--interpret"]);
    if cfg!(all(target_arch = "x86_64", unix)) {
        assert_ne!(translated, "0");
    }
    assert_eq!(interpreted, "0");
    assert_eq!(digest, same_digest);
}

#[test]
fn run_stops_a_runaway_guest_with_status_124() {
    let guest = test_guest("spin.s");
    let out = trapvisor(
        &["run", "--max-instructions", "5000", path_str(&guest)],
        b"",
    );
    assert_eq!(out.status.code(), Some(124));
    assert!(
        stderr(&out).contains("instruction limit reached"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_reports_a_hang_with_status_125_and_a_storm_with_126() {
    let out = trapvisor(&["run", path_str(&test_guest("hang.s"))], b"");
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out).contains("guest hung"), "{}", stderr(&out));
    let out = trapvisor(&["run", path_str(&test_guest("storm.s"))], b"");
    assert_eq!(out.status.code(), Some(126));
    assert!(stderr(&out).contains("trap storm"), "{}", stderr(&out));
}

#[test]
fn run_trace_logs_traps_without_timestamps() {
    let guest = test_guest("sbi-probe.s");
    let a = trapvisor(&["run", "--trace", path_str(&guest)], b"");
    let b = trapvisor(&["run", "--trace", path_str(&guest)], b"");
    let err = stderr(&a);
    assert!(err.contains("environment call from S-mode"), "{err}");
    assert_eq!(err, stderr(&b), "the trace is deterministic");
}

#[test]
fn missing_file_is_bad_input() {
    for name in ["no-such-guest.s", "no-such-guest.elf"] {
        let out = trapvisor(&["run", name], b"");
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(name), "{}", stderr(&out));
    }
}

#[test]
fn non_elf_is_bad_input() {
    let file = root().join("Cargo.toml");
    let out = trapvisor(&["run", path_str(&file)], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("Cargo.toml") && err.contains("not an ELF"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn elf_for_another_architecture_is_bad_input() {
    // The trapvisor binary itself: an ELF for the host, not for RISC-V.
    let host_elf = env!("CARGO_BIN_EXE_trapvisor");
    let out = trapvisor(&["run", host_elf], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(host_elf) && err.contains("need RISC-V"),
        "{err}"
    );
}

#[test]
fn segments_outside_ram_are_bad_input() {
    // Guests link at 0x80200000: 1 MiB of RAM ends at 0x80100000.
    let guest = test_guest("exit42.s");
    let out = trapvisor(&["run", "--memory", "1M", path_str(&guest)], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("exit42.s") && err.contains("does not fit in RAM"),
        "{err}"
    );
}

/// An ELF whose entry point is the UART (a well-formed file otherwise) is
/// refused before anything runs, natively and under the monitor, naming the
/// file and the problem; it used to run into a trap storm.
#[test]
fn an_entry_point_outside_ram_is_bad_input() {
    let elf = asm::assemble_file(&test_guest("exit42.s"))
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let mut bad = elf.clone();
    bad[24..32].copy_from_slice(&0x1000_0000u64.to_le_bytes()); // e_entry
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("entry-at-uart.elf");
    std::fs::write(&file, &bad).unwrap();
    let good = test_guest("exit42.s");
    for args in [
        vec!["run", path_str(&file)],
        vec!["run", "--monitor", path_str(&file)],
        vec!["run", path_str(&good), path_str(&file)],
    ] {
        let out = trapvisor(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("entry-at-uart.elf: entry point 0x10000000 is outside RAM"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "nothing ran");
    }
}

/// Runs the binary with `args`, reads the first line of its stdout (or
/// stderr, `from_stderr`), closes that pipe as `| head -1` does, and
/// waits: the exit status and everything it wrote on the other stream.
fn first_line_then_hang_up(args: &[&str], from_stderr: bool) -> (Option<i32>, String, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trapvisor runs");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let (read, other): (Box<dyn Read + Send>, Box<dyn Read + Send>) = if from_stderr {
        (Box::new(stderr), Box::new(stdout))
    } else {
        (Box::new(stdout), Box::new(stderr))
    };
    let drain = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(other).read_to_string(&mut text);
        text
    });
    let mut first = String::new();
    BufReader::new(read).read_line(&mut first).unwrap();
    // `read` is dropped here: the pipe's reader is gone.
    let status = child.wait().unwrap().code();
    (status, first, drain.join().unwrap())
}

/// `trapvisor run ... | head`: once the reader of the console, the trace
/// or the statistics is gone, the run ends quietly (status 141, as a
/// program killed by SIGPIPE), natively and under the monitor, instead of
/// panicking (status 101) or running on unread.
#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    let yes = test_guest("yes.s");
    let sort = root().join("guest-programs/bench/sort.s");
    let syscall = root().join("guest-programs/syscall.s");
    // (args, read stderr instead of stdout, the first line has, the guest
    // may end by itself before the pipe is closed)
    let limit = ["--max-instructions", "300000000"];
    let cases: [(Vec<&str>, bool, &str, bool); 5] = [
        (
            [&limit[..], &[path_str(&yes)]].concat(),
            false,
            "y\n",
            false,
        ),
        (
            [&limit[..], &["--monitor", path_str(&yes)]].concat(),
            false,
            "[yes] y\n",
            false,
        ),
        (vec!["--trace", "insn", path_str(&sort)], true, "0x", false),
        (
            [&limit[..], &["--trace", path_str(&syscall), path_str(&yes)]].concat(),
            true,
            "[syscall] pc 0x",
            false,
        ),
        (
            vec!["--trace", path_str(&syscall)],
            true,
            "environment call from U-mode",
            true,
        ),
    ];
    for (args, from_stderr, first, may_end) in cases {
        let args = [&["run"][..], &args].concat();
        let (status, line, other) = first_line_then_hang_up(&args, from_stderr);
        assert!(line.contains(first), "{args:?}: first line {line:?}");
        assert!(!other.contains("panicked"), "{args:?}: {other}");
        assert!(
            status == Some(141) || (may_end && status == Some(0)),
            "{args:?}: status {status:?}, {other}"
        );
    }
    // The statistics to a stderr nobody reads: the guest's own status.
    let mut child = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .args([
            "run",
            "--stats",
            path_str(&root().join("guest-programs/hello.s")),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn assembly_errors_name_file_and_line() {
    let guest = test_guest("bad-syntax.s");
    let out = trapvisor(&["run", path_str(&guest)], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad-syntax.s:5:"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_memory_size_is_bad_input() {
    let guest = test_guest("exit42.s");
    let out = trapvisor(&["run", "--memory", "lots", path_str(&guest)], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a size"), "{}", stderr(&out));
}
