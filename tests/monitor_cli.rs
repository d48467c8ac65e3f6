//! `trapvisor run --monitor GUEST...` through the binary: prefixed console
//! lines, raw `--console-dir` files, exit statuses, per-guest summaries,
//! `--stats` digests equal to the native ones, `--trace`, bad input; and
//! `trapvisor bench`, which measures the monitor (module `bench`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn trapvisor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("trapvisor runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trapvisor-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn expected(program: &str) -> String {
    std::fs::read_to_string(root().join("guest-programs").join(program)).unwrap()
}

/// The lines of `out` that start with `prefix`, prefix removed, joined.
fn lines_of(out: &str, prefix: &str) -> String {
    out.split_inclusive('\n')
        .filter_map(|l| l.strip_prefix(prefix))
        .collect()
}

#[test]
fn each_guests_lines_are_prefixed_with_its_name() {
    let dir = scratch("prefix");
    std::fs::copy(root().join("guest-programs/hello.s"), dir.join("a.s")).unwrap();
    std::fs::copy(root().join("guest-programs/timer.s"), dir.join("b.s")).unwrap();
    // timer.s includes lib/console.inc, relative to its own directory.
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let console = "lib/console.inc";
    std::fs::copy(
        root().join("guest-programs").join(console),
        dir.join(console),
    )
    .unwrap();
    let (a, b) = (dir.join("a.s"), dir.join("b.s"));
    let out = trapvisor(&[
        "run",
        "--monitor",
        "--quantum",
        "97",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("[a] ") || l.starts_with("[b] ")),
        "{stdout}"
    );
    assert_eq!(lines_of(&stdout, "[a] "), expected("hello.expected"));
    assert_eq!(lines_of(&stdout, "[b] "), expected("timer.expected"));
    // Several guests: each gets its one-line summary at the end.
    assert_eq!(
        text(&out.stderr),
        "trapvisor: [a] test finisher: pass (exit code 0) (status 0)\n\
         trapvisor: [b] SBI shutdown (exit code 0) (status 0)\n",
        "one summary line per guest"
    );
}

#[test]
fn two_guests_imply_the_monitor_and_repeats_are_numbered() {
    let out = trapvisor(&["run", "guest-programs/hello.s", "guest-programs/hello.s"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(lines_of(&stdout, "[hello] "), expected("hello.expected"));
    assert_eq!(lines_of(&stdout, "[hello#2] "), expected("hello.expected"));
}

#[test]
fn console_dir_gets_each_guests_raw_bytes() {
    let dir = scratch("consoles");
    let out = trapvisor(&[
        "run",
        "--monitor",
        "--console-dir",
        dir.to_str().unwrap(),
        "guest-programs/hello.s",
        "guest-programs/paging.s",
        "guest-programs/hello.s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("hello.out"), expected("hello.expected"));
    assert_eq!(read("hello#2.out"), expected("hello.expected"));
    assert_eq!(read("paging.out"), expected("paging.expected"));
}

#[test]
fn the_status_is_the_first_non_zero_one_and_bad_ends_are_summarized() {
    let out = trapvisor(&[
        "run",
        "--max-instructions",
        "100000",
        "guest-programs/hello.s",
        "tests/guests/spin-masked.s",
        "tests/guests/exit42.s",
    ]);
    assert_eq!(
        out.status.code(),
        Some(124),
        "the spinner's limit comes first"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trapvisor: [hello] test finisher: pass (exit code 0) (status 0)"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("[spin-masked] stopped: reached the instruction limit (100000) (status 124)"),
        "{stderr}"
    );
    assert!(stderr.contains("[exit42] test finisher: fail (exit code 42) (status 42)"));
    assert_eq!(lines_of(&text(&out.stdout), "[exit42] "), "x\n");

    let out = trapvisor(&["run", "tests/guests/exit42.s", "tests/guests/hang.s"]);
    assert_eq!(out.status.code(), Some(42));
    assert!(text(&out.stderr).contains("[hang] stopped: hangs"));
    let out = trapvisor(&["run", "--monitor", "tests/guests/storm.s"]);
    assert_eq!(out.status.code(), Some(126));
}

#[test]
fn stats_digest_matches_the_native_one() {
    let digest_line = |stderr: &str| {
        stderr
            .lines()
            .find_map(|l| l.split_once("trace digest: ").map(|(_, d)| d.to_owned()))
            .unwrap_or_else(|| panic!("no digest in:\n{stderr}"))
    };
    let native = trapvisor(&["run", "--stats", "guest-programs/timeshare.s"]);
    assert_eq!(native.status.code(), Some(0));
    let monitored = trapvisor(&[
        "run",
        "--stats",
        "--quantum",
        "97",
        "guest-programs/timeshare.s",
        "guest-programs/hello.s",
    ]);
    assert_eq!(monitored.status.code(), Some(0));
    let stderr = text(&monitored.stderr);
    assert_eq!(digest_line(&stderr), digest_line(&text(&native.stderr)));
    for fact in [
        "[timeshare] ",
        "[hello] ",
        "instructions retired: ",
        "ran directly",
        "exits: ",
        "emulated: ",
        "shadow page faults: ",
        "world switches: ",
    ] {
        assert!(stderr.contains(fact), "`{fact}` missing from:\n{stderr}");
    }
}

#[test]
fn trace_says_what_the_monitor_did_and_is_deterministic() {
    let run = || trapvisor(&["run", "--monitor", "--trace", "guest-programs/paging.s"]);
    let (a, b) = (run(), run());
    assert_eq!(a.status.code(), Some(0));
    let trace = text(&a.stderr);
    assert!(
        trace.lines().any(|l| l.starts_with("[paging] pc 0x")
            && l.contains(": csrrw satp, ")
            && l.ends_with("shadow flushed")),
        "{trace}"
    );
    assert!(trace.contains("shadow filled"));
    assert_eq!(a.stderr, b.stderr, "same run, same trace");
    assert_eq!(
        lines_of(&text(&a.stdout), "[paging] "),
        expected("paging.expected")
    );
}

#[test]
fn bad_input_for_any_guest_stops_everything_with_status_2() {
    for (bad, says) in [
        ("no-such-guest.s", "no-such-guest.s: cannot read"),
        ("tests/guests/bad-syntax.s", "tests/guests/bad-syntax.s:"),
        ("Cargo.toml", "Cargo.toml: "),
    ] {
        let out = trapvisor(&["run", "guest-programs/hello.s", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty(), "{bad}: nothing ran");
        assert!(
            text(&out.stderr).contains(says),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn trace_insn_under_the_monitor_logs_each_guests_instructions_and_exits() {
    let out = trapvisor(&[
        "run",
        "--trace",
        "insn",
        "guest-programs/hello.s",
        "guest-programs/sbi-hello.s",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stderr);
    for (guest, first) in [("hello", 0x8020_0000u64), ("sbi-hello", 0x8020_0000)] {
        let insn = format!("[{guest}] {first:#010x}: ");
        assert!(
            trace.lines().any(|l| l.starts_with(&insn)),
            "{insn} in:\n{trace}"
        );
    }
    // The exits between them, with the guest's pc, and no level words.
    assert!(
        trace
            .lines()
            .any(|l| l.starts_with("[hello] pc 0x") && l.contains("from device 0x10000005")),
        "{trace}"
    );
    assert!(
        !trace.contains("DEBUG") && !trace.contains("TRACE"),
        "{trace}"
    );
    assert_eq!(
        lines_of(&text(&out.stdout), "[hello] "),
        expected("hello.expected")
    );
}

#[test]
fn the_native_run_can_write_its_console_to_a_dir_too() {
    let dir = scratch("native-console");
    let out = trapvisor(&[
        "run",
        "--console-dir",
        dir.to_str().unwrap(),
        "guest-programs/hello.s",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let got = std::fs::read_to_string(Path::new(&dir).join("hello.out")).unwrap();
    assert_eq!(got, expected("hello.expected"));
}

/// Guest RAM is reserved, not allocated (`cpu::ram`): two guests of the
/// largest `--memory` (32 GiB of machine memory), and 250 guests of the
/// default 128 MiB (31 GiB), more than this machine has, run to the end;
/// both aborted (status 134) when all RAM was allocated up front.
#[test]
fn guest_memory_is_reserved_not_allocated() {
    let out = trapvisor(&["run", "--memory", "16G", "guest-programs/hello.s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = trapvisor(&[
        "run",
        "--memory",
        "16G",
        "guest-programs/hello.s",
        "guest-programs/hello.s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        lines_of(&text(&out.stdout), "[hello#2] "),
        expected("hello.expected")
    );
    let mut args = vec!["run", "--quantum", "100000"];
    args.extend(std::iter::repeat_n("guest-programs/hello.s", 250));
    let out = trapvisor(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        lines_of(&text(&out.stdout), "[hello#250] "),
        expected("hello.expected")
    );
}

/// Where the host really cannot give the memory (here: an address-space
/// limit), the run does not start: status 2 and a message, never an abort.
#[cfg(unix)]
#[test]
fn memory_the_host_refuses_is_bad_input_before_anything_runs() {
    let exe = env!("CARGO_BIN_EXE_trapvisor");
    for guests in [1, 3] {
        let files = vec!["guest-programs/hello.s"; guests].join(" ");
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 3000000 && exec {exe} run --memory 8G {files}"
            ))
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .expect("sh runs");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{guests} guests: {err}");
        assert!(err.contains("cannot reserve"), "{err}");
        assert!(err.contains("less --memory"), "{err}");
        assert!(out.stdout.is_empty(), "nothing ran");
    }
}

#[test]
fn one_guest_that_ends_cleanly_says_nothing() {
    let out = trapvisor(&["run", "--monitor", "guest-programs/hello.s"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        "",
        "a clean end of a lone guest needs no comment"
    );
}

/// `trapvisor bench`, end to end with a tiny repetition count: what it
/// prints in each format and how it refuses bad input.
mod bench {
    use super::*;
    use serde_json::Value;

    const QUICK: [&str; 4] = ["--reps", "1", "--run-ms", "1"];

    fn bench(args: &[&str]) -> Output {
        let mut all = vec!["bench"];
        all.extend_from_slice(args);
        trapvisor(&all)
    }

    /// A plot that cannot be written says so in words (it used to print
    /// only "/dev/full: No space left on device (os error 28)").
    #[test]
    fn a_plot_that_cannot_be_written_says_why() {
        let mut args = vec!["plain", "--plot", "/dev/full"];
        args.extend(QUICK);
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(
            err.contains(
                "trapvisor: bench: /dev/full: cannot write the plot: no space left on device\n"
            ),
            "{err}"
        );
    }

    #[test]
    fn json_csv_table_and_plot() {
        let dir = scratch("bench");
        let plot = dir.join("plot.svg");
        let plot_arg = plot.to_str().unwrap();
        let mut args = vec![
            "plain",
            "csr-read",
            "timeshare",
            "--guests",
            "1,2",
            "--json",
            "--plot",
            plot_arg,
        ];
        args.extend(QUICK);
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(v["schema"], "trapvisor-bench/1");
        let names: Vec<&str> = v["nano"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["plain", "csr-read"]);
        let csr = &v["nano"][1]["results"];
        assert_eq!(csr[0]["env"], "native");
        assert_eq!(csr[0]["per_op"]["exits"], 0.0);
        assert_eq!(csr[1]["env"], "trap");
        assert_eq!(csr[1]["per_op"]["exits"], 1.0);
        assert_eq!(csr[1]["per_op"]["instructions"], 1.0);
        assert_eq!(v["macro"][0]["name"], "timeshare");
        let guests: Vec<u64> = v["scaling"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["guests"].as_u64().unwrap())
            .collect();
        assert_eq!(guests, [1, 2]);
        // Progress went to stderr, one line per step when not a terminal.
        assert!(
            text(&out.stderr).contains("trapvisor: bench [ 1/"),
            "{}",
            text(&out.stderr)
        );
        let svg = std::fs::read_to_string(&plot).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("csrr sscratch"),
            "{svg}"
        );

        let mut args = vec!["sbi-call", "--csv"];
        args.extend(QUICK);
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let csv = text(&out.stdout);
        assert!(csv.starts_with("section,workload,env,guests,metric,unit,median,min,max,flags\n"));
        assert!(
            csv.contains("\nnano,sbi-call,trap,,exits_per_op,count,1,1,1,\n"),
            "{csv}"
        );

        let mut args = vec!["sbi-call"];
        args.extend(QUICK);
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let table = text(&out.stdout);
        assert!(
            table.contains("Nanobenchmarks") && table.contains("SBI call (get_spec_version)"),
            "{table}"
        );
    }

    /// `bench --isa leaky`: the Popek–Goldberg lab's figures. Reading
    /// `sstatus` and toggling SIE exit under trap-and-emulate no more (the
    /// flaw), under binary translation once (the repair); `--strategy`
    /// picks the strategies compared with native runs; the timer
    /// interrupt, which the leaky machine never lets in under trap, is not
    /// measured there.
    #[test]
    fn leaky_isa_per_strategy() {
        let mut args = vec![
            "sstatus-read",
            "sie-toggle",
            "timer",
            "--isa",
            "leaky",
            "--strategy",
            "trap,bt",
            "--json",
        ];
        args.extend(QUICK);
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(v["settings"]["isa"], "leaky");
        assert_eq!(
            v["settings"]["envs"],
            serde_json::json!(["native", "trap", "bt"])
        );
        let exits = |name: &str| -> Vec<(String, f64)> {
            let n = v["nano"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {v}"));
            n["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["env"].as_str().unwrap().to_string(),
                        r["per_op"]["exits"].as_f64().unwrap(),
                    )
                })
                .collect()
        };
        let said = |pairs: &[(&str, f64)]| -> Vec<(String, f64)> {
            pairs.iter().map(|&(e, n)| (e.to_string(), n)).collect()
        };
        assert_eq!(
            exits("sstatus-read"),
            said(&[("native", 0.0), ("trap", 0.0), ("bt", 1.0)])
        );
        // Two instructions per operation, one call for both under bt.
        assert_eq!(
            exits("sie-toggle"),
            said(&[("native", 0.0), ("trap", 0.0), ("bt", 1.0)])
        );
        assert_eq!(exits("timer"), said(&[("native", 1.0), ("bt", 2.0)]));
        // On the standard machine the same operations exit under trap.
        let mut args = vec!["sstatus-read", "--strategy", "trap", "--json"];
        args.extend(QUICK);
        let out = bench(&args);
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(v["nano"][1]["results"][1]["per_op"]["exits"], 1.0, "{v}");
        assert_eq!(bench(&["--strategy", "vt"]).status.code(), Some(2));
        assert_eq!(bench(&["--isa", "x86"]).status.code(), Some(2));
    }

    #[test]
    fn bad_input_is_refused_before_anything_runs() {
        let out = bench(&["syscal"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        assert!(
            text(&out.stderr).contains("unknown workload `syscal`"),
            "{}",
            text(&out.stderr)
        );
        let out = bench(&["--plot", "/nonexistent-dir/p.svg", "plain"]);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(
            err.contains("/nonexistent-dir/p.svg") && !err.contains("bench ["),
            "{err}"
        );
        assert_eq!(bench(&["--json", "--csv"]).status.code(), Some(2));
        assert_eq!(bench(&["--guests", "1,x"]).status.code(), Some(2));
        assert_eq!(bench(&["--reps", "0"]).status.code(), Some(2));
    }
}

/// An output trapvisor cannot write names the file and why, in words,
/// without Rust's "(os error N)"; it used to say "File exists (os error
/// 17)" for a --console-dir that is a file.
#[test]
fn an_output_that_cannot_be_written_is_named_in_words() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let missing = dir.join("missing").join("out.elf");
    let (file, missing) = (file.to_str().unwrap(), missing.to_str().unwrap());
    let hello = "guest-programs/hello.s";
    for (args, want) in [
        (
            vec!["run", "--console-dir", file, hello, hello],
            format!("{file}: cannot create the console directory: it is a file, not a directory\n"),
        ),
        (
            vec!["asm", hello, "-o", missing],
            format!("{missing}: cannot write: no such file\n"),
        ),
        (
            vec!["dtb", "-o", missing],
            format!("{missing}: cannot write: no such file\n"),
        ),
    ] {
        let out = trapvisor(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(&want), "{args:?}: {err}");
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
}

/// A `NAME.in` in the --console-dir that is a directory is bad input,
/// named, before anything runs; the guest used to get no input, silently.
#[test]
fn a_console_input_that_is_a_directory_is_bad_input() {
    let dir = scratch("in-dir");
    std::fs::create_dir_all(dir.join("hello.in")).unwrap();
    let d = dir.to_str().unwrap();
    let hello = "guest-programs/hello.s";
    for args in [
        vec!["run", "--console-dir", d, hello],
        vec!["run", "--console-dir", d, hello, hello],
    ] {
        let out = trapvisor(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{d}/hello.in: cannot read: is a directory\n")),
            "{args:?}: {err}"
        );
    }
}

/// `trapvisor dtb | dtc ...` where the reader goes away at once (no dtc
/// installed): status 141 and nothing on stderr, as for `run`; it used to
/// say "cannot write to standard output: Broken pipe (os error 32)".
#[test]
fn dtb_into_a_closed_pipe_ends_quietly() {
    use std::os::fd::{FromRawFd, OwnedFd};
    // A pipe whose read end is closed before trapvisor starts: its first
    // write fails, whatever the timing.
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    let out = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .arg("dtb")
        .stdin(Stdio::null())
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .output()
        .expect("trapvisor runs");
    assert_eq!(out.status.code(), Some(141), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_missing_file_reads_the_same_for_every_command() {
    for args in [
        &["run", "no-such-guest.s"][..],
        &["run", "--monitor", "no-such-guest.s"],
        &["asm", "no-such-guest.s"],
        &["disasm", "no-such-guest.s"],
        &["debug", "-x", "no-such-guest.s", "guest-programs/hello.s"],
    ] {
        let out = trapvisor(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("no-such-guest.s: cannot read: no such file\n"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
}

#[test]
fn asm_dash_o_dash_writes_the_elf_to_standard_output() {
    let out = trapvisor(&["asm", "guest-programs/hello.s", "-o", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.starts_with(b"\x7fELF"), "an ELF on stdout");
    assert!(!std::path::Path::new("-").exists(), "no file named `-`");
}

/// `-` for the program is not standard input (that is the guest's console,
/// or the debugger's commands; and a program is told by its file name):
/// every command says so in words, where it said "-: cannot read: no such
/// file".
#[test]
fn a_program_from_standard_input_is_refused_in_words() {
    for args in [
        &["run", "-"][..],
        &["run", "--monitor", "guest-programs/hello.s", "-"],
        &["debug", "--batch", "-"],
        &["asm", "-", "-o", "-"],
    ] {
        let out = trapvisor(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(
            err,
            "trapvisor: -: reading a program from standard input is not supported; write it to a file\n",
            "{args:?}"
        );
    }
}

/// `--quantum` is the monitor's: for one guest run natively it would change
/// nothing, and it is refused in words (it was taken silently); under the
/// monitor, with one guest or more, it is taken.
#[test]
fn quantum_without_a_monitor_is_refused() {
    for args in [
        &["run", "--quantum", "100", "guest-programs/hello.s"][..],
        &[
            "debug",
            "--batch",
            "--quantum",
            "100",
            "guest-programs/hello.s",
        ],
    ] {
        let out = trapvisor(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("trapvisor: --quantum sets the monitor's preemption timer")
                && err.contains("add --monitor"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
    for args in [
        &[
            "run",
            "--monitor",
            "--quantum",
            "100",
            "guest-programs/hello.s",
        ][..],
        &[
            "run",
            "--quantum",
            "100",
            "guest-programs/hello.s",
            "guest-programs/hello.s",
        ],
        &[
            "run",
            "--strategy",
            "bt",
            "--quantum",
            "100",
            "guest-programs/hello.s",
        ],
    ] {
        let out = trapvisor(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("Hello from trapvisor!"),
            "{args:?}"
        );
    }
}
