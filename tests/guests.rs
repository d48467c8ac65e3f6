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

/// `trapvisor check --list | head -1` and `check --verify | head -1`: once
/// the reader is gone, check ends quietly with status 141 (as a program
/// killed by SIGPIPE, and as `run` does) instead of panicking with 101. The
/// reader (`true`) is gone before trapvisor starts writing: it starts after
/// a pause, so that its first line already meets a closed pipe.
#[test]
fn a_closed_output_pipe_ends_check_quietly() {
    for args in ["--list", "--verify"] {
        let script = format!("{{ sleep 1; \"$0\" check {args}; echo \"status $?\" >&2; }} | true");
        let out = Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_trapvisor")])
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .expect("sh runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "check {args}: {err}");
        assert!(err.contains("status 141"), "check {args}: {err}");
    }
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

// --- the device tree in a1 ---------------------------------------------------

/// What `dtb-dump.s` printed: `a1`, and the blob it points at.
fn dumped_dtb(stdout: &[u8]) -> (u64, Vec<u8>) {
    let text = String::from_utf8_lossy(stdout);
    let mut lines = text.lines();
    let a1 = u64::from_str_radix(lines.next().expect("a1 line"), 16).expect("hex a1");
    let hex = lines.next().unwrap_or("").trim();
    let blob = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
        .collect();
    (a1, blob)
}

#[test]
fn a1_points_at_the_machines_device_tree_natively_and_under_the_monitor() {
    let guest = test_guest("dtb-dump.s");
    // 128M: where QEMU puts it (its a1 for -m 128M). 4M: QEMU's place,
    // 0x80200000, is the image's, so the tree goes below it.
    for (memory, bytes, want) in [
        ("128M", 128 << 20, 0x87e0_0000),
        ("4M", 4 << 20, 0x801f_f000),
    ] {
        let tree = cpu::fdt::build(bytes);
        for monitor in [false, true] {
            let mut args = vec!["run", "--memory", memory];
            if monitor {
                args.push("--monitor");
            }
            args.push(path_str(&guest));
            let out = trapvisor(&args, b"");
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let stdout = if monitor {
                // `[dtb-dump] ` before each line.
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| format!("{}\n", l.trim_start_matches("[dtb-dump] ")))
                    .collect::<String>()
                    .into_bytes()
            } else {
                out.stdout.clone()
            };
            let (a1, blob) = dumped_dtb(&stdout);
            assert_eq!(a1, want, "a1 with --memory {memory}, monitor {monitor}");
            assert_eq!(
                blob, tree,
                "the tree with --memory {memory}, monitor {monitor}"
            );
        }
    }
}

#[test]
fn dtb_command_writes_the_tree_for_a_memory_size() {
    let file = std::env::temp_dir().join(format!("trapvisor-dtb-{}.dtb", std::process::id()));
    let out = trapvisor(&["dtb", "--memory", "64M", "-o", path_str(&file)], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(&file).unwrap(), cpu::fdt::build(64 << 20));
    let _ = std::fs::remove_file(&file);
    // To a pipe (not a terminal): the blob on stdout.
    let out = trapvisor(&["dtb"], b"");
    assert_eq!(out.stdout, cpu::fdt::build(128 << 20));
    let out = trapvisor(&["dtb", "--memory", "lots"], b"");
    assert_eq!(out.status.code(), Some(2));
}

// --- raw images ----------------------------------------------------------------

/// `objcopy -O binary` of a guest: its segments laid out from 0x80200000,
/// gaps zero-filled.
fn raw_image_of(src: &Path) -> Vec<u8> {
    let elf = asm::assemble_file(src)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let image = Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY).unwrap();
    let base = cpu::image::RAW_LOAD_ADDR;
    let end = image
        .segments
        .iter()
        .map(|s| s.addr + s.data.len() as u64)
        .max()
        .unwrap();
    let mut raw = vec![0u8; (end - base) as usize];
    for s in &image.segments {
        let at = (s.addr - base) as usize;
        raw[at..at + s.data.len()].copy_from_slice(&s.data);
    }
    raw
}

#[test]
fn a_raw_image_runs_from_0x80200000_natively_and_under_the_monitor() {
    let src = root().join("guest-programs/hello.s");
    let raw = std::env::temp_dir().join(format!("trapvisor-hello-{}.bin", std::process::id()));
    std::fs::write(&raw, raw_image_of(&src)).unwrap();
    let want = trapvisor(&["run", path_str(&src)], b"");
    assert_eq!(want.status.code(), Some(0));
    let native = trapvisor(&["run", path_str(&raw)], b"");
    assert_eq!(native.status.code(), Some(0), "{}", stderr(&native));
    assert_eq!(native.stdout, want.stdout);
    let monitor = trapvisor(&["run", "--monitor", path_str(&raw)], b"");
    assert_eq!(monitor.status.code(), Some(0), "{}", stderr(&monitor));
    let name = raw.file_stem().unwrap().to_str().unwrap();
    let unprefixed: String = String::from_utf8_lossy(&monitor.stdout)
        .lines()
        .map(|l| format!("{}\n", l.trim_start_matches(&format!("[{name}] "))))
        .collect();
    assert_eq!(unprefixed.as_bytes(), &want.stdout[..]);
    // Listed from 0x80200000 by disasm, as objdump -D -b binary does.
    let listing = trapvisor(&["disasm", path_str(&raw)], b"");
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(text.contains("file format binary"), "{text}");
    assert!(text.contains("0000000080200000 <.data>:"), "{text}");
    let _ = std::fs::remove_file(&raw);
}

#[test]
fn raw_images_that_do_not_fit_or_are_text_are_bad_input() {
    let raw = std::env::temp_dir().join(format!("trapvisor-big-{}.bin", std::process::id()));
    std::fs::write(&raw, 0x13u32.to_le_bytes().repeat(3 << 18)).unwrap();
    let out = trapvisor(&["run", "--memory", "4M", path_str(&raw)], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("does not fit in RAM") && err.contains("--memory"),
        "{err}"
    );
    let _ = std::fs::remove_file(&raw);
    let text = root().join("README.md");
    let out = trapvisor(&["run", path_str(&text)], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("text rather than a raw binary"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn hart_stop_on_the_only_hart_is_a_hang_natively_and_under_the_monitor() {
    let guest = test_guest("hart-stop.s");
    for args in [vec!["run"], vec!["run", "--monitor"]] {
        let mut args = args;
        args.push(path_str(&guest));
        let out = trapvisor(&args, b"");
        assert_eq!(out.status.code(), Some(125), "{args:?}");
        assert!(stderr(&out).contains("hart_stop"), "{}", stderr(&out));
    }
}

#[test]
fn each_guest_reads_its_own_input_from_the_console_dir() {
    let dir = std::env::temp_dir().join(format!("trapvisor-consoles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("echo.in"), b"abc\n").unwrap();
    std::fs::write(dir.join("echo#2.in"), b"xyz\n").unwrap();
    let guest = test_guest("echo.s");
    let g = path_str(&guest);
    let out = trapvisor(
        &["run", "--console-dir", path_str(&dir), g, g],
        b"ignored\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.join("echo.out")).unwrap(), b"ABC\n");
    assert_eq!(std::fs::read(dir.join("echo#2.out")).unwrap(), b"XYZ\n");
    // Natively too: NAME.in rather than stdin.
    let out = trapvisor(&["run", "--console-dir", path_str(&dir), g], b"ignored\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.join("echo.out")).unwrap(), b"ABC\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A "guest" that never ends (`/dev/zero`) is refused as too large,
/// naming the file, by every command that reads an image; it used to be
/// read until the host ran out of memory.
#[test]
fn an_endless_file_is_bad_input_not_a_host_out_of_memory() {
    let guest = test_guest("exit42.s");
    for args in [
        vec!["run", "--memory", "4K", "/dev/zero"],
        vec!["run", "--memory", "4K", path_str(&guest), "/dev/zero"],
        vec!["disasm", "/dev/zero"],
        vec!["debug", "--batch", "--input", "/dev/zero", path_str(&guest)],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trapvisor runs");
        // Bounded: the old reader never stopped; give it a minute, then fail.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?}: still reading /dev/zero after a minute");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("/dev/zero: cannot read: larger than") && err.contains("MiB"),
            "{args:?}: {err}"
        );
    }
}
