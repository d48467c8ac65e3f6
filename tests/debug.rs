//! `trapvisor debug`: transcripts of scripts over the guest programs
//! (each `tests/debug/NAME.tv` must print exactly `NAME.expected`), the
//! property that going back then forward gives the same state, and the
//! command line (bad scripts, exit status, the interactive terminal).
//!
//! `BLESS=1 cargo test --test debug` rewrites the `.expected` files from
//! what the scripts print now (read the diff before committing it).

use std::path::{Path, PathBuf};

use cpu::devices::{BufferInput, NoInput};
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use debugger::command::{parse, Command as Cmd};
use debugger::line::transcript;
use debugger::native::NativeTarget;
use debugger::program::Program;
use debugger::session::Session;
use debugger::target::Target;

/// The guests' RAM in these tests: enough for every guest program (they
/// are linked at 0x80200000 and use less than a megabyte), and small, so
/// that comparing whole memories is quick.
const MEMORY: u64 = 4 << 20;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A session over a guest program, natively, stopped at its first
/// instruction.
fn native_session(path: &Path, input: &[u8]) -> Session<NativeTarget> {
    let elf = asm::assemble_file(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let image = Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let program = Program::from_image(&name, &image);
    let input: Box<dyn cpu::devices::ByteSource> = if input.is_empty() {
        Box::new(NoInput)
    } else {
        Box::new(BufferInput::new(input))
    };
    let target = NativeTarget::boot(program, &image, MEMORY, input).expect("boots");
    Session::new(target)
}

mod transcripts {
    use super::*;

    /// The `# guest: PATH` lines of a script.
    fn guests_of(script: &str) -> Vec<PathBuf> {
        script
            .lines()
            .filter_map(|l| l.strip_prefix("# guest:"))
            .map(|p| root().join(p.trim()))
            .collect()
    }

    #[test]
    fn every_script_prints_its_expected_transcript() {
        let dir = root().join("tests/debug");
        let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/debug")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tv"))
            .collect();
        scripts.sort();
        assert!(scripts.len() >= 4, "the transcripts are missing");
        let bless = std::env::var_os("BLESS").is_some();
        let mut failed = Vec::new();
        for script in &scripts {
            let text = std::fs::read_to_string(script).unwrap();
            let guests = guests_of(&text);
            assert_eq!(guests.len(), 1, "{}: one `# guest:` line", script.display());
            let mut session = native_session(&guests[0], b"");
            let got = transcript(&mut session, &text).unwrap_or_else(|e| panic!("{e}"));
            let expected_path = script.with_extension("expected");
            if bless {
                std::fs::write(&expected_path, &got).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if got != expected {
                let first = got
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.lines().count().min(expected.lines().count()));
                failed.push(format!(
                    "{}: differs from line {}:\n  got:      {:?}\n  expected: {:?}",
                    script.display(),
                    first + 1,
                    got.lines().nth(first),
                    expected.lines().nth(first)
                ));
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n"));
    }

    #[test]
    fn a_transcript_is_the_same_every_time() {
        let script = "break puts\nc\nsi 4\ninfo registers\nc\nrsi 7\nrc\ninfo history\n";
        let path = root().join("guest-programs/hello.s");
        let a = transcript(&mut native_session(&path, b""), script).unwrap();
        let b = transcript(&mut native_session(&path, b""), script).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("Breakpoint 1, 0x"), "{a}");
    }
}

/// The guest's whole state, as the property compares it.
#[derive(Debug, PartialEq, Eq)]
struct State {
    position: u64,
    pc: u64,
    regs: [u64; 32],
    csrs: Vec<(&'static str, u64)>,
    ram: u64,
    console: Vec<u8>,
}

fn state<T: Target>(s: &Session<T>) -> State {
    let t = s.target();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for n in 0..t.page_count() {
        for chunk in t.page(n).chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    State {
        position: s.position(),
        pc: t.pc(),
        regs: t.regs(),
        csrs: t.csrs().into_iter().map(|r| (r.name, r.value)).collect(),
        ram: h,
        console: t.console(t.focus()),
    }
}

fn exec<T: Target>(s: &mut Session<T>, line: &str) {
    let cmd = parse(line).unwrap();
    s.execute(&cmd).unwrap_or_else(|e| panic!("{line}: {e}"));
}

mod reverse {
    use super::*;
    use proptest::prelude::*;

    /// Guests with traps, interrupts, paging, stores everywhere, and
    /// console input (each with the input it reads).
    const GUESTS: [(&str, &[u8]); 5] = [
        ("guest-programs/timer.s", b""),
        ("guest-programs/syscall.s", b""),
        ("guest-programs/paging.s", b""),
        ("guest-programs/timeshare.s", b""),
        ("tests/guests/echo.s", b"one\ntwo\nthree\n"),
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

        /// From any point, `reverse-stepi N` then `stepi N` gives the
        /// same registers, CSRs, memory and console; and the state after
        /// going back is the state a fresh run reaches at that point.
        #[test]
        fn back_then_forward_is_the_same_state(
            guest in 0..GUESTS.len(),
            at in 1u64..6000,
            back in 1u64..3000,
            spacing in prop_oneof![Just(8u64), Just(64), Just(1000), Just(1 << 22)],
            budget in prop_oneof![Just(1usize << 14), Just(512 << 20)],
        ) {
            let (path, input) = GUESTS[guest];
            let path = root().join(path);
            let mut s = native_session(&path, input);
            s.set_history(budget, spacing);
            exec(&mut s, &format!("stepi {at}"));
            let there = state(&s);
            let back = back.min(there.position);
            exec(&mut s, &format!("reverse-stepi {back}"));
            let earlier = state(&s);
            prop_assert_eq!(earlier.position, there.position - back);
            // A fresh run to the same point.
            let mut fresh = native_session(&path, input);
            if earlier.position > 0 {
                exec(&mut fresh, &format!("stepi {}", earlier.position));
            }
            prop_assert_eq!(&state(&fresh), &earlier);
            // And forward again.
            exec(&mut s, &format!("stepi {back}"));
            prop_assert_eq!(state(&s), there);
        }
    }

    /// `reverse-continue` finds the previous breakpoint hit, over many
    /// snapshot intervals, and `continue` comes back to where it was.
    #[test]
    fn reverse_continue_finds_the_previous_hit_across_snapshots() {
        let path = root().join("guest-programs/timer.s");
        let mut s = native_session(&path, b"");
        s.set_history(1 << 30, 97);
        exec(&mut s, "break wait");
        exec(&mut s, "continue");
        let first = state(&s);
        exec(&mut s, "continue");
        exec(&mut s, "continue");
        let third = state(&s);
        exec(&mut s, "reverse-continue");
        exec(&mut s, "reverse-continue");
        assert_eq!(state(&s), first);
        exec(&mut s, "continue");
        exec(&mut s, "continue");
        assert_eq!(state(&s), third);
        // Before the first hit there is none: back to the start.
        exec(&mut s, "reverse-continue");
        exec(&mut s, "reverse-continue");
        exec(&mut s, "reverse-continue");
        assert_eq!(s.position(), 0);
    }

    /// The instructor's exercise: stop at the third timer interrupt.
    #[test]
    fn the_third_timer_interrupt() {
        let path = root().join("guest-programs/timer.s");
        let mut s = native_session(&path, b"");
        exec(&mut s, "catch trap timer");
        for _ in 0..3 {
            exec(&mut s, "continue");
        }
        let t = s.target();
        let scause = t.csrs().iter().find(|r| r.name == "scause").unwrap().value;
        assert_eq!(scause, 1 << 63 | 5);
        assert_eq!(
            t.console(0),
            b"timer: asking the SBI for an interrupt every 100000 ticks\ntick 1\ntick 2\n"
        );
    }

    #[test]
    fn commands_that_move_keep_history_consistent() {
        let path = root().join("guest-programs/syscall.s");
        let mut s = native_session(&path, b"");
        s.set_history(1 << 30, 50);
        for line in [
            "break u_puts",
            "c",
            "finish",
            "ni 3",
            "rsi 20",
            "until",
            "c",
            "rc",
        ] {
            exec(&mut s, line);
        }
        let here = state(&s);
        let mut again = native_session(&path, b"");
        exec(&mut again, &format!("stepi {}", here.position));
        assert_eq!(state(&again), here);
        let _ = Cmd::Kill;
    }
}

/// Console input is recorded: after going back, the guest reads the same
/// bytes again, whichever snapshot the history restores.
#[test]
fn input_is_read_again_the_same_after_going_back() {
    let path = root().join("tests/guests/echo.s");
    for spacing in [4, 8, 16, 1 << 22] {
        for (at, back) in [(40, 20), (45, 3), (30, 29), (60, 60)] {
            let mut s = native_session(&path, b"one\ntwo\n");
            s.set_history(1 << 20, spacing);
            exec(&mut s, &format!("stepi {at}"));
            let there = state(&s);
            exec(&mut s, &format!("reverse-stepi {back}"));
            exec(&mut s, &format!("stepi {back}"));
            assert_eq!(state(&s), there, "spacing {spacing}, at {at}, back {back}");
        }
    }
}

/// The command line: scripts, errors, exit statuses, a real terminal.
mod cli {
    use super::*;
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    fn trapvisor() -> Command {
        Command::new(env!("CARGO_BIN_EXE_trapvisor"))
    }

    fn script_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trapvisor-debug-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_bad_script_line_is_named_and_nothing_runs() {
        let script = script_file("bad.tv", "break puts\n# fine\ncontinu\nstepi 0\n");
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&script)
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.tv:4: Invalid number \"0\"."), "{err}");
        assert!(out.stdout.is_empty(), "nothing ran");
    }

    #[test]
    fn scripts_from_x_and_stdin_and_their_exit_status() {
        let script = script_file("ok.tv", "break puts\ncontinue\nprint $a0 == greeting\n");
        let mut child = trapvisor()
            .args(["debug", "-x"])
            .arg(&script)
            .arg(root().join("guest-programs/hello.s"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"info registers pc\nx/s nosuchsymbol\nquit 7\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("(tv) print $a0 == greeting\n$1 = 1\n"),
            "{text}"
        );
        assert!(
            text.contains("(tv) info registers pc\npc             0x8020003c"),
            "{text}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("No symbol \"nosuchsymbol\" in the program"),
            "{err}"
        );
        assert_eq!(out.status.code(), Some(7), "quit 7");
        // Without `quit`, a failed command makes the status 1.
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(script_file("fails.tv", "x/s nosuchsymbol\n"))
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
    }

    #[test]
    fn bad_guests_are_bad_input() {
        let out = trapvisor()
            .args(["debug", "--batch"])
            .arg(root().join("tests/guests/bad-syntax.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad-syntax.s:"));
    }

    /// What the child printed on the terminal so far.
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Screen {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }

        /// Waits until the output holds `n` prompts (a generous deadline,
        /// only so that a broken build cannot hang the tests).
        fn wait_prompts(&self, n: usize) {
            let deadline = Instant::now() + Duration::from_secs(60);
            while self.text().matches("(tv) ").count() < n {
                assert!(Instant::now() < deadline, "no prompt {n}:\n{}", self.text());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The interactive path in a real pseudo-terminal: line editing
    /// (backspace, the up arrow for history) and Enter repeating the last
    /// stepping command.
    #[test]
    fn at_a_terminal_enter_repeats_and_lines_can_be_edited() {
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("a pseudo-terminal");
        let slave = std::fs::File::from(pty.slave);
        let mut child = trapvisor()
            .arg("debug")
            .arg(root().join("guest-programs/hello.s"))
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let mut master = std::fs::File::from(pty.master);
        let screen = Screen(Arc::new(Mutex::new(Vec::new())));
        let sink = screen.0.clone();
        let mut reader = master.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut type_keys = |keys: &[u8], prompts: usize| {
            master.write_all(keys).unwrap();
            screen.wait_prompts(prompts);
        };
        screen.wait_prompts(1);
        type_keys(b"stepi\r", 2);
        // Enter on an empty line: stepi again.
        type_keys(b"\r", 3);
        // A typo mended with backspace.
        type_keys(b"info registers spX\x7f\r", 4);
        // The up arrow brings the last command back.
        type_keys(b"\x1b[A\r", 5);
        type_keys(b"quit\r", 5);
        let status = child.wait().unwrap();
        assert!(status.success());
        let text = screen.text().replace("\r\n", "\n");
        assert!(
            text.contains("0x80200000 <_start>:\tauipc\tsp,0x3\n        sp"),
            "{text}"
        );
        assert!(
            text.contains("   0x80200004 <_start+4>:\tmv\tsp,sp\n"),
            "Enter stepped again:\n{text}"
        );
        assert_eq!(
            text.matches("sp             0x80203000").count(),
            2,
            "the edited command and its recall:\n{text}"
        );
    }
}
