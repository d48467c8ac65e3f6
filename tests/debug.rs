//! `trapvisor debug`: transcripts of scripts over the guest programs
//! (each `tests/debug/NAME.tv` must print exactly `NAME.expected`), the
//! property that going back then forward gives the same state, and the
//! command line (bad scripts, exit status, the interactive terminal).
//!
//! `BLESS=1 cargo test --test debug` rewrites the `.expected` files from
//! what the scripts print now (read the diff before committing it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cpu::devices::{BufferInput, NoInput};
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use debugger::command::{parse, Command as Cmd};
use debugger::line::transcript;
use debugger::native::NativeTarget;
use debugger::program::Program;
use debugger::session::Session;
use debugger::target::Target;

const MEMORY: u64 = 128 << 20;

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

    /// Guests with traps, interrupts, paging and stores everywhere.
    const GUESTS: [&str; 4] = [
        "guest-programs/timer.s",
        "guest-programs/syscall.s",
        "guest-programs/paging.s",
        "guest-programs/timeshare.s",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

        /// From any point, `reverse-stepi N` then `stepi N` gives the
        /// same registers, CSRs, memory and console; and the state after
        /// going back is the state a fresh run reaches at that point.
        #[test]
        fn back_then_forward_is_the_same_state(
            guest in 0..GUESTS.len(),
            at in 1u64..6000,
            back in 1u64..3000,
            spacing in prop_oneof![Just(64u64), Just(1000), Just(1 << 22)],
            budget in prop_oneof![Just(1usize << 14), Just(512 << 20)],
        ) {
            let path = root().join(GUESTS[guest]);
            let mut s = native_session(&path, b"");
            s.set_history(budget, spacing);
            exec(&mut s, &format!("stepi {at}"));
            let there = state(&s);
            let back = back.min(there.position);
            exec(&mut s, &format!("reverse-stepi {back}"));
            let earlier = state(&s);
            prop_assert_eq!(earlier.position, there.position - back);
            // A fresh run to the same point.
            let mut fresh = native_session(&path, b"");
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
