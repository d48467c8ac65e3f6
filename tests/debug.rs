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
use debugger::monitored::{MonitorOptions, MonitorTarget, MonitoredGuest};
use debugger::native::NativeTarget;
use debugger::output::{Reply, StopReason};
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
    native_session_with(path, input, false)
}

/// A guest program's image and its program (symbols), assembled for
/// RV64IMA, or RV64IMAC with `compressed`.
fn image_of(path: &Path, compressed: bool) -> (Image, Program) {
    let opts = asm::Options {
        compressed,
        ..asm::Options::default()
    };
    let elf = asm::assemble_file_with(path, &opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let image = Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let program = Program::from_image(&name, &image);
    (image, program)
}

/// Guests side by side under the monitor, stopped at the first one's
/// first instruction, named as `trapvisor debug` names them (`timer`,
/// `timer#2`, ...); `input` goes to the first.
fn monitor_session(paths: &[PathBuf], input: &[u8]) -> Session<MonitorTarget> {
    monitor_session_with(
        paths,
        input,
        cpu::privileged::Isa::Standard,
        monitor::Strategy::Trap,
    )
}

/// [`monitor_session`] on a hart implementing `isa`, the monitor using
/// `strategy`.
fn monitor_session_with(
    paths: &[PathBuf],
    input: &[u8],
    isa: cpu::privileged::Isa,
    strategy: monitor::Strategy,
) -> Session<MonitorTarget> {
    let mut seen: Vec<String> = Vec::new();
    let guests = paths
        .iter()
        .map(|p| {
            let (image, mut program) = image_of(p, false);
            let stem = program.name.clone();
            let n = seen.iter().filter(|s| **s == stem).count();
            seen.push(stem.clone());
            if n > 0 {
                program.name = format!("{stem}#{}", n + 1);
            }
            MonitoredGuest { program, image }
        })
        .collect();
    let options = MonitorOptions {
        memory: MEMORY,
        quantum: 2_000,
        max_instructions: 0,
        translation: true,
        digest: false,
        isa,
        strategy,
    };
    let input: Box<dyn cpu::devices::ByteSource> = if input.is_empty() {
        Box::new(NoInput)
    } else {
        Box::new(BufferInput::new(input))
    };
    Session::new(MonitorTarget::boot(guests, options, input).expect("boots"))
}

fn native_session_with(path: &Path, input: &[u8], compressed: bool) -> Session<NativeTarget> {
    let (image, program) = image_of(path, compressed);
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
            // `# monitor`: the guests under the monitor; `# march:
            // rv64imac`: assembled with compressed instructions.
            let monitored = text.lines().any(|l| l.trim() == "# monitor");
            let compressed = text.lines().any(|l| l.trim() == "# march: rv64imac");
            // `# isa: leaky`: under the monitor, on the leaky hart.
            let isa = if text.lines().any(|l| l.trim() == "# isa: leaky") {
                cpu::privileged::Isa::Leaky
            } else {
                cpu::privileged::Isa::Standard
            };
            // `# strategy: bt`: the monitor's strategy.
            let strategy = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("# strategy:"))
                .map_or(monitor::Strategy::Trap, |s| {
                    s.trim().parse().unwrap_or_else(|e| panic!("{e}"))
                });
            let got = if monitored {
                assert!(!guests.is_empty(), "{}: `# guest:` lines", script.display());
                transcript(
                    &mut monitor_session_with(&guests, b"", isa, strategy),
                    &text,
                )
            } else {
                assert_eq!(guests.len(), 1, "{}: one `# guest:` line", script.display());
                transcript(&mut native_session_with(&guests[0], b"", compressed), &text)
            }
            .unwrap_or_else(|e| panic!("{e}"));
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
    use cpu::privileged::Isa;
    use monitor::Strategy;
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

    /// Every guest's whole state under the monitor: its events, registers,
    /// virtual CSRs and console, and the machine's memory (every guest's
    /// RAM and the shadow tables).
    fn monitor_state(s: &mut Session<MonitorTarget>) -> Vec<State> {
        let focus = s.target().focus();
        let n = s.target().guests().len();
        let all = (0..n)
            .map(|g| {
                s.target_mut().set_focus(g);
                let mut st = state(s);
                st.position = s.target().events_of(g);
                st
            })
            .collect();
        s.target_mut().set_focus(focus);
        assert_eq!(s.target().focus(), focus);
        all
    }

    /// Guests side by side under the monitor, one of them reading input;
    /// the last under binary translation on the leaky machine, where a
    /// call performs runs of patched instructions (each an event).
    const MONITORED: [(&[&str], Isa, Strategy); 4] = [
        (
            &[
                "guest-programs/timer.s",
                "guest-programs/paging.s",
                "guest-programs/syscall.s",
            ],
            Isa::Standard,
            Strategy::Trap,
        ),
        (
            &["guest-programs/timeshare.s", "guest-programs/hello.s"],
            Isa::Standard,
            Strategy::Trap,
        ),
        (
            &[
                "tests/guests/echo.s",
                "guest-programs/timer.s",
                "guest-programs/timer.s",
            ],
            Isa::Standard,
            Strategy::Trap,
        ),
        (
            &[
                "tests/debug/bt-run.s",
                "guest-programs/sensitive.s",
                "guest-programs/timeshare.s",
            ],
            Isa::Leaky,
            Strategy::Bt,
        ),
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

        /// Under the monitor, with several guests: from any point, going
        /// back N events and forward N again gives every guest the same
        /// registers, virtual CSRs and console, and the machine the same
        /// memory; and the state after going back is the one a fresh run
        /// reaches there. Whichever guest the user looks at.
        #[test]
        fn under_the_monitor_back_then_forward_is_the_same_state(
            set in 0..MONITORED.len(),
            focus in 0usize..3,
            at in 1u64..12_000,
            back in 1u64..4_000,
            spacing in prop_oneof![Just(16u64), Just(500), Just(1 << 22)],
        ) {
            let (guests, isa, strategy) = MONITORED[set];
            let paths: Vec<PathBuf> = guests.iter().map(|p| root().join(p)).collect();
            let input = b"one\ntwo\nthree\n";
            let focus = focus % paths.len();
            let mut s = monitor_session_with(&paths, input, isa, strategy);
            s.set_history(512 << 20, spacing);
            exec(&mut s, &format!("guest {focus}"));
            exec(&mut s, &format!("stepi {at}"));
            let there = monitor_state(&mut s);
            let pos = s.position();
            exec(&mut s, &format!("reverse-stepi {back}"));
            let earlier = monitor_state(&mut s);
            // `reverse-stepi N` counts the focused guest's events (back to
            // its first instruction at most), and stops at the last
            // position with that many of them.
            let mine = there[focus].position.saturating_sub(back);
            prop_assert_eq!(earlier[focus].position, mine);
            let then = s.position();
            prop_assert!(then <= pos);
            let mut fresh = monitor_session_with(&paths, input, isa, strategy);
            if then < pos {
                fresh.go_to(then + 1);
                prop_assert!(fresh.target().events_of(focus) > mine);
            }
            fresh.go_to(0);
            fresh.go_to(then);
            prop_assert_eq!(&monitor_state(&mut fresh), &earlier);
            fresh.go_to(pos);
            prop_assert_eq!(&monitor_state(&mut fresh), &there);
            // Forward again as a user does: `stepi` counts the events of
            // the guest looked at (the others run their turns meanwhile),
            // so the same number of its events brings the machine back to
            // where it was.
            let mine = there[focus].position - earlier[focus].position;
            if mine > 0 {
                exec(&mut s, &format!("stepi {mine}"));
            } else {
                s.go_to(pos);
            }
            prop_assert_eq!(s.position(), pos);
            prop_assert_eq!(monitor_state(&mut s), there);
        }
    }

    /// Natively, going back to the beginning and then forward over a long
    /// stretch (restoring a snapshot far ahead of where the run stands)
    /// gives the console a straight run has there.
    #[test]
    fn back_to_the_start_then_far_forward_keeps_the_console() {
        let path = root().join("guest-programs/timer.s");
        let mut s = native_session(&path, b"");
        s.set_history(1 << 30, 16);
        exec(&mut s, "stepi 3000");
        let there = state(&s);
        assert!(!there.console.is_empty());
        exec(&mut s, "reverse-stepi 3000");
        assert_eq!(s.position(), 0);
        assert!(state(&s).console.is_empty());
        s.go_to(3000);
        assert_eq!(state(&s), there);
        // And again from half-way back.
        s.go_to(1500);
        let mut straight = native_session(&path, b"");
        straight.go_to(1500);
        assert_eq!(state(&s), state(&straight));
        s.go_to(3000);
        assert_eq!(state(&s), there);
    }

    /// Under the monitor, going back to the beginning and then forward
    /// over a long stretch (many snapshots passed, some taken on the way
    /// back up) leaves every guest the console a straight run has there:
    /// no output lost, none twice.
    #[test]
    fn under_the_monitor_back_to_the_start_then_far_forward_keeps_the_consoles() {
        let paths: Vec<PathBuf> = [
            "guest-programs/timer.s",
            "guest-programs/paging.s",
            "guest-programs/syscall.s",
        ]
        .iter()
        .map(|p| root().join(p))
        .collect();
        let mut s = monitor_session(&paths, b"");
        s.set_history(512 << 20, 16);
        exec(&mut s, "guest 1");
        exec(&mut s, "stepi 1");
        for far in [2011, 4000, 9000] {
            s.go_to(0);
            s.go_to(far);
            let mut straight = monitor_session(&paths, b"");
            straight.set_history(512 << 20, 16);
            straight.go_to(far);
            let there = monitor_state(&mut s);
            assert_eq!(there, monitor_state(&mut straight), "at {far}");
            assert!(
                there.iter().any(|g| !g.console.is_empty()),
                "by {far} a guest wrote"
            );
        }
    }

    /// `continue` with no catchpoint or CSR watch lets the monitor go
    /// past exits quietly (the target logs them raw); with a catchpoint
    /// that never stops (its condition is 0) every exit comes back to the
    /// session one by one. Both runs reach the same state, `info traps`
    /// shows the same exits (named the same), and going back and forward
    /// again shows them the same.
    #[test]
    fn continue_logs_the_same_exits_quietly_or_one_by_one() {
        let paths: Vec<PathBuf> = [
            "guest-programs/timer.s",
            "guest-programs/paging.s",
            "guest-programs/syscall.s",
        ]
        .iter()
        .map(|p| root().join(p))
        .collect();
        let input = b"one\ntwo\n";
        let run = |loud: bool| {
            let mut s = monitor_session(&paths, input);
            s.set_history(512 << 20, 500);
            if loud {
                exec(&mut s, "catch exit");
                exec(&mut s, "condition 1 0");
            }
            exec(&mut s, "guest 2");
            exec(&mut s, "break sys_write");
            // Where a reflected trap resumes: a breakpoint there stops
            // after the exit, before the handler's first instruction.
            exec(&mut s, "tbreak trap_entry");
            exec(&mut s, "guest 0");
            exec(&mut s, "continue");
            let at_handler = (s.position(), s.target().pc_of(2));
            exec(&mut s, "continue");
            exec(&mut s, "continue");
            let mut seen = vec![(s.position(), s.recent_traps(300), monitor_state(&mut s))];
            exec(&mut s, if loud { "delete 2" } else { "delete 1" });
            exec(&mut s, "continue");
            seen.push((s.position(), s.recent_traps(2_000), monitor_state(&mut s)));
            // (Going back is quiet either way: no catchpoint looks there.)
            let quiet = s.target().quiet_traps(u64::MAX, 10).len();
            exec(&mut s, "reverse-stepi 1234");
            seen.push((s.position(), s.recent_traps(50), monitor_state(&mut s)));
            exec(&mut s, "stepi 600");
            seen.push((s.position(), s.recent_traps(50), monitor_state(&mut s)));
            (seen, quiet, at_handler)
        };
        let (quiet, logged_quietly, handler_quietly) = run(false);
        let (loud, logged_loudly, handler_loudly) = run(true);
        let trap_entry = monitor_session(&paths, b"")
            .target()
            .program(2)
            .symbol("trap_entry");
        assert_eq!(Some(handler_quietly.1), trap_entry);
        assert_eq!(handler_quietly, handler_loudly);
        assert!(logged_quietly > 0, "the quiet run logged no exit itself");
        assert_eq!(logged_loudly, 0, "a catchpoint leaves nothing quiet");
        assert!(quiet[1].1.len() > 1_000, "{} exits", quiet[1].1.len());
        for (q, l) in quiet.iter().zip(&loud) {
            assert_eq!(q.0, l.0);
            assert_eq!(q.1, l.1);
            assert_eq!(q.2, l.2);
        }
    }

    /// A breakpoint on a trap handler stops each time a trap enters it,
    /// and one that a snapshot boundary lands on stops too: every hit is
    /// found forwards and backwards, however the history is spaced.
    #[test]
    fn breakpoints_where_traps_and_snapshots_land_stop() {
        let path = root().join("guest-programs/syscall.s");
        for spacing in [1 << 22, 97, 3, 1] {
            let mut s = native_session(&path, b"");
            s.set_history(1 << 30, spacing);
            exec(&mut s, "break trap_entry");
            exec(&mut s, "break u_puts");
            let mut forward = Vec::new();
            loop {
                let replies = s.execute(&parse("continue").unwrap()).unwrap();
                let Some(Reply::Stop(stop)) = replies.last() else {
                    panic!("no stop")
                };
                match stop.reason {
                    StopReason::Breakpoint { number, .. } => forward.push((number, s.position())),
                    _ => break,
                }
            }
            // u_puts three times, each followed by its write system
            // call, and three other system calls.
            let numbers: Vec<u32> = forward.iter().map(|&(n, _)| n).collect();
            assert_eq!(numbers, [2, 1, 1, 2, 1, 1, 2, 1, 1], "spacing {spacing}");
            let mut backward = Vec::new();
            loop {
                let replies = s.execute(&parse("reverse-continue").unwrap()).unwrap();
                let Some(Reply::Stop(stop)) = replies.last() else {
                    panic!("no stop")
                };
                match stop.reason {
                    StopReason::Breakpoint { number, .. } => backward.push((number, s.position())),
                    _ => break,
                }
            }
            backward.reverse();
            assert_eq!(backward, forward, "spacing {spacing}");
        }
    }

    /// Under binary translation one call may perform several patched
    /// instructions, each an event: every position a user reaches by
    /// `stepi`, one event at a time, is the state going back to it
    /// reaches, replaying from a snapshot up to a thousand events back
    /// with calls that perform as much as they may. (A call that went on
    /// past an instruction that dropped the shadow tables, as
    /// sensitive.s's `csrs sstatus, SPP|SUM` does, would skip the fetch's
    /// page fault that a single step takes: a different state at the
    /// same position.)
    #[test]
    fn under_bt_every_position_stepped_is_the_one_gone_back_to() {
        fn light(s: &Session<MonitorTarget>) -> (u64, u64, [u64; 32], Vec<(&'static str, u64)>) {
            let t = s.target();
            let csrs = t.csrs().into_iter().map(|r| (r.name, r.value)).collect();
            (s.position(), t.pc(), t.regs(), csrs)
        }
        for guest in ["guest-programs/sensitive.s", "tests/debug/bt-run.s"] {
            let paths = [root().join(guest)];
            let mut a = monitor_session_with(&paths, b"", Isa::Leaky, Strategy::Bt);
            let mut stepped = vec![light(&a)];
            while a.target().ended(0).is_none() {
                exec(&mut a, "stepi");
                stepped.push(light(&a));
            }
            let end = a.position();
            assert!(end > 10, "{guest}: {end} events");
            let mut b = monitor_session_with(&paths, b"", Isa::Leaky, Strategy::Bt);
            b.set_history(512 << 20, 1000);
            b.go_to(end);
            for k in (0..end).rev() {
                b.go_to(k);
                assert_eq!(light(&b), stepped[k as usize], "{guest}: position {k}");
            }
        }
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

/// Under the monitor the debugger runs the guests exactly as `trapvisor
/// run --monitor` does, however it stops them: with breakpoints that two
/// guests share an address of, a watchpoint, catchpoints on exits and
/// switches, going back and forth, each guest ends with the instructions,
/// exits, emulations and world switches of a free run.
#[test]
fn the_debugger_runs_the_guests_a_free_run_runs() {
    let paths: Vec<PathBuf> = [
        "guest-programs/paging.s",
        "guest-programs/timeshare.s",
        "guest-programs/syscall.s",
        "guest-programs/syscall.s",
    ]
    .iter()
    .map(|p| root().join(p))
    .collect();
    let mut s = monitor_session(&paths, b"");
    s.set_history(1 << 30, 5_000);
    exec(&mut s, "guest 3");
    exec(&mut s, "break putc");
    exec(&mut s, "guest 1");
    exec(&mut s, "watch *0x80203000");
    exec(&mut s, "catch exit sret");
    exec(&mut s, "catch switch");
    for k in 0..400 {
        exec(
            &mut s,
            if k % 7 == 3 {
                "reverse-continue"
            } else {
                "continue"
            },
        );
        exec(&mut s, "stepi 3");
    }
    exec(&mut s, "delete");
    exec(&mut s, "continue");
    assert!((0..paths.len()).all(|g| s.target().ended(g).is_some()));
    let debugged = s.target().reports();
    let mut m: monitor::Monitor = monitor::Monitor::new();
    for (k, p) in paths.iter().enumerate() {
        let (image, _) = image_of(p, false);
        m.add_guest(monitor::GuestSpec {
            name: format!("{k}"),
            image: monitor::GuestImage::from(&image),
            memory: MEMORY,
            console: cpu::devices::Console::new(Box::new(std::io::sink()), Box::new(NoInput)),
            max_instructions: u64::MAX,
        });
    }
    let free = m.run(2_000).unwrap();
    for (d, f) in debugged.iter().zip(&free) {
        assert_eq!(d.end, f.end, "{}", d.name);
        assert_eq!(d.retired, f.retired, "{}", d.name);
        assert_eq!(d.emulated, f.emulated, "{}", d.name);
        assert_eq!(d.stats, f.stats, "{}", d.name);
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
        let script = script_file("bad.tv", "break puts\n# fine\ncontinu\nstepi x\n");
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&script)
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.tv:4: Invalid number \"x\"."), "{err}");
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
        // `quit` is 0 as in GDB, after a failed command too; in --batch
        // mode a failure makes it 1, as GDB's batch mode.
        let quits = script_file("quits.tv", "x/s nosuchsymbol\nquit\n");
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&quits)
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "--batch");
        let mut child = trapvisor()
            .arg("debug")
            .arg(root().join("guest-programs/hello.s"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"x/s nosuchsymbol\nquit\n")
            .unwrap();
        assert_eq!(child.wait().unwrap().code(), Some(0), "quit at the prompt");
        // And `debug --help` says so, and names no option debug lacks.
        let out = trapvisor().args(["debug", "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Exit status, as GDB's"), "{help}");
        assert!(!help.contains("--trace"), "{help}");
    }

    /// An assembly source brings its line table: stops name the line,
    /// `break FILE:LINE` and `list` work. An ELF file has none, and says so.
    #[test]
    fn a_source_guest_has_its_lines() {
        let script = script_file("lines.tv", "break syscall.s:53\ncontinue\nlist\n");
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&script)
            .arg(root().join("guest-programs/syscall.s"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        for line in [
            "syscall.s:50:\t        la      sp, kstack_top\n=> 0x80200000 <_start>:",
            "Breakpoint 1 at 0x80200014 <_start+20>: file syscall.s, line 53",
            "Breakpoint 1, 0x80200014 <_start+20>\nsyscall.s:53:\t        csrw    sie, zero",
            "53\t        csrw    sie, zero               # we use no interrupts\n54\t",
        ] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
        let elf = std::env::temp_dir().join(format!("trapvisor-lines-{}.elf", std::process::id()));
        std::fs::write(
            &elf,
            asm::assemble_file(&root().join("guest-programs/syscall.s"))
                .unwrap()
                .elf,
        )
        .unwrap();
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&script)
            .arg(&elf)
            .output()
            .unwrap();
        std::fs::remove_file(&elf).unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("No line table for"));
    }

    /// Under the monitor each guest has its own sources: `FILE:LINE` names
    /// the guest whose file it is, from any guest, and the breakpoint is
    /// that guest's.
    #[test]
    fn a_line_of_another_guests_source() {
        let script = script_file(
            "other.tv",
            "break hello.s:46\nlist hello.s:46\ninfo breakpoints\ncontinue\n",
        );
        let out = trapvisor()
            .args(["debug", "--batch", "-x"])
            .arg(&script)
            .arg("--monitor")
            .arg(root().join("guest-programs/paging.s"))
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        for line in [
            "Breakpoint 1 at 0x80200054 <puts+24>: file hello.s, line 46 in guest 1 (hello)",
            "46\t        sb      t1, UART_THR(t0)        # ...then hand it the character\n47\t",
            "0x0000000080200054 <puts+24> at hello.s:46 in guest 1 (hello)",
            "[guest hello]\nBreakpoint 1, 0x80200054 <puts+24>\nhello.s:46:",
        ] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
    }

    /// The monitor's summary counts its guests in English.
    #[test]
    fn the_monitor_summary_says_guest_or_guests() {
        let hello = root().join("guest-programs/hello.s");
        for (files, said) in [(1, "monitor: 1 guest, "), (2, "monitor: 2 guests, ")] {
            let out = trapvisor()
                .args(["run", "--monitor", "--stats"])
                .args(std::iter::repeat_n(&hello, files))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(said), "{said:?} not in:\n{err}");
        }
    }

    /// `debug --strategy` runs the guest under the monitor with that
    /// strategy: `info guests` and `--stats` (text and JSON) name it, and
    /// a bad strategy is refused before anything runs.
    #[test]
    fn debug_takes_the_strategy_and_names_it() {
        let script = script_file("strategy.tv", "info guests\ncontinue\n");
        let sensitive = root().join("guest-programs/sensitive.s");
        let out = trapvisor()
            .args(["debug", "--batch", "--isa", "leaky", "--strategy", "bt"])
            .arg("--stats")
            .arg("-x")
            .arg(&script)
            .arg(&sensitive)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{text}{err}");
        assert!(text.contains("sensitive under the monitor"), "{text}");
        assert!(
            text.contains(
                "The monitor runs them with strategy bt (binary translation), isa leaky."
            ),
            "{text}"
        );
        // Binary translation repairs the leaky machine: the native output.
        assert!(text.contains("SPP = 1, SUM = 1"), "{text}");
        assert!(
            err.contains("trapvisor: monitor: 1 guest, strategy bt, isa leaky"),
            "{err}"
        );
        assert!(
            err.contains("binary translation: 1 pages translated"),
            "{err}"
        );
        let out = trapvisor()
            .args(["debug", "--batch", "--strategy", "pv", "--stats=json", "-x"])
            .arg(&script)
            .arg(root().join("guest-programs/timeshare-pv.s"))
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(doc["guests"][0]["monitor"]["strategy"], "pv", "{doc}");
        let out = trapvisor()
            .args(["debug", "--batch", "--strategy", "vt"])
            .arg(&sensitive)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("trap, bt or pv"));
    }

    /// Two files are debugged under the monitor from the command line, and
    /// `--stats=json` ends the session with the document `run --stats=json`
    /// prints, per guest: figures of the part that ran, a guest still
    /// running marked so, the same figures as a free run for one that
    /// ended.
    #[test]
    fn several_guests_under_the_monitor_and_their_stats() {
        let script = script_file(
            "mon.tv",
            "info guests\ncatch exit sret\ncontinue\ninfo exits\n",
        );
        let syscall = root().join("guest-programs/syscall.s");
        let hello = root().join("guest-programs/hello.s");
        let out = trapvisor()
            .args(["debug", "--batch", "--stats=json", "-x"])
            .arg(&script)
            .arg(&syscall)
            .arg(&hello)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(
            text.contains("hello, syscall under the monitor")
                || text.contains("syscall, hello under the monitor"),
            "{text}"
        );
        assert!(
            text.contains("illegal instruction: sret -> monitor::exits::sret::emulate_sret"),
            "{text}"
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(doc["schema"], "trapvisor-stats");
        assert_eq!(doc["mode"], "monitor");
        let guests = doc["guests"].as_array().unwrap();
        assert_eq!(guests.len(), 2);
        assert_eq!(guests[0]["name"], "syscall");
        assert_eq!(guests[0]["end"]["kind"], "running");
        assert_eq!(guests[0]["status"], serde_json::Value::Null);
        assert_eq!(
            guests[0]["monitor"]["emulated"]["sret"], 1,
            "stopped at its first sret's exit"
        );
        // The second guest did not run yet: nothing counted, no digest of
        // another guest's instructions.
        assert_eq!(guests[1]["instructions"], 0);
        // As text, each guest's lines as `run --stats` prints them.
        let out = trapvisor()
            .args(["debug", "--batch", "--stats", "-x"])
            .arg(&script)
            .arg(&syscall)
            .arg(&hello)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("trapvisor: [syscall] still running at instruction "),
            "{err}"
        );
        assert!(err.contains("trapvisor:   emulated: csr read="), "{err}");
        assert!(
            err.contains("trapvisor: [hello] still running at instruction 0"),
            "{err}"
        );
        // A session that runs to the end gives the figures a run gives.
        let all = script_file("all.tv", "continue\n");
        let out = trapvisor()
            .args(["debug", "--batch", "--stats=json", "-x"])
            .arg(&all)
            .arg(&syscall)
            .arg(&hello)
            .output()
            .unwrap();
        let debugged: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        let out = trapvisor()
            .args(["run", "--stats=json", "--quantum", "10000"])
            .arg(&syscall)
            .arg(&hello)
            .output()
            .unwrap();
        let ran: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        for k in 0..2 {
            for field in ["end", "status", "instructions", "digest", "monitor"] {
                assert_eq!(
                    debugged["guests"][k][field], ran["guests"][k][field],
                    "guest {k}: {field}"
                );
            }
        }
        // Natively too.
        let out = trapvisor()
            .args(["debug", "--batch", "--stats=json", "-x"])
            .arg(&all)
            .arg(&hello)
            .output()
            .unwrap();
        let native: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        let out = trapvisor()
            .args(["run", "--stats=json"])
            .arg(&hello)
            .output()
            .unwrap();
        let ran: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(native["mode"], "native");
        for field in ["end", "status", "instructions", "digest", "native"] {
            assert_eq!(
                native["guests"][0][field], ran["guests"][0][field],
                "{field}"
            );
        }
    }

    /// The full-screen view needs a terminal, under the monitor too: said
    /// in one line, before anything runs.
    #[test]
    fn the_tui_needs_a_terminal() {
        let out = trapvisor()
            .args(["debug", "--tui", "--monitor"])
            .arg(root().join("guest-programs/hello.s"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--tui needs a terminal"), "{err}");
    }

    /// A port someone else holds is bad input, with what to do instead;
    /// a stub that listens says how to attach gdb-multiarch to it.
    #[test]
    fn a_busy_port_is_told_and_a_listening_stub_says_how_to_attach() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let out = trapvisor()
            .args(["debug", "-S", "--gdb", &port.to_string()])
            .arg(root().join("guest-programs/hello.s"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("--gdb 127.0.0.1:{port}: the port is in use"))
                && err.contains("--gdb 127.0.0.1:0 for any free one"),
            "{err}"
        );
        drop(taken);

        let mut child = trapvisor()
            .args(["debug", "-S", "--gdb", "127.0.0.1:0"])
            .arg(root().join("guest-programs/hello.s"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        let mut second = String::new();
        std::io::BufRead::read_line(&mut err, &mut first).unwrap();
        std::io::BufRead::read_line(&mut err, &mut second).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let hello = root().join("guest-programs/hello");
        assert!(
            first.starts_with(&format!(
                "trapvisor: attach from another terminal with: trapvisor asm -g {} -o {}.elf && gdb-multiarch -q {}.elf -ex 'target remote 127.0.0.1:",
                root().join("guest-programs/hello.s").display(),
                hello.display(),
                hello.display()
            )),
            "{first}"
        );
        assert!(
            second.starts_with("trapvisor: waiting for a debugger on 127.0.0.1:"),
            "{second}"
        );

        // Two guests: both ELF files are built, and each thread is told
        // whose symbols it needs.
        let mut child = trapvisor()
            .args(["debug", "-S", "--gdb", "127.0.0.1:0"])
            .arg(root().join("guest-programs/hello.s"))
            .arg(root().join("guest-programs/timer.s"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut lines = Vec::new();
        for _ in 0..5 {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut err, &mut line).unwrap();
            lines.push(line);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let timer = root().join("guest-programs/timer");
        assert!(
            lines[0].contains(&format!(
                "trapvisor asm -g {} -o {}.elf && trapvisor asm -g {} -o {}.elf && gdb-multiarch -q {}.elf",
                root().join("guest-programs/hello.s").display(),
                hello.display(),
                root().join("guest-programs/timer.s").display(),
                timer.display(),
                hello.display()
            )),
            "{lines:?}"
        );
        assert_eq!(
            lines[3],
            format!(
                "trapvisor:   thread 2: (gdb) thread 2 then symbol-file {}.elf\n",
                timer.display()
            ),
            "{lines:?}"
        );
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

/// The full-screen interface: what the screen shows after keys, drawn on
/// ratatui's test backend and read back as text.
mod tui {
    use super::*;
    use debugger::tui::{Mode, Pane, Tui};
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;
    use ratatui::Terminal;

    fn syscall() -> Session<NativeTarget> {
        native_session(&root().join("guest-programs/syscall.s"), b"")
    }

    /// The screen as lines of text, and the terminal (for styles).
    fn screen<T: Target>(
        t: &Tui,
        s: &Session<T>,
        w: u16,
        h: u16,
    ) -> (Vec<String>, Terminal<TestBackend>) {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| t.draw(f, s)).unwrap();
        let buf = term.backend().buffer().clone();
        let lines = (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        (lines, term)
    }

    fn key(c: KeyCode) -> KeyEvent {
        let m = if matches!(c, KeyCode::Char(ch) if ch.is_ascii_uppercase()) {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(c, m)
    }

    fn keys<T: Target>(t: &mut Tui, s: &mut Session<T>, text: &str) {
        for c in text.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else if c == '\x1b' {
                KeyCode::Esc
            } else {
                KeyCode::Char(c)
            };
            t.key(s, key(code));
        }
    }

    fn find<'a>(lines: &'a [String], what: &str) -> &'a String {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} on the screen:\n{}", lines.join("\n")))
    }

    /// With compressed code the code pane starts on an instruction
    /// boundary, wherever pc is: every address it lists is one decoding
    /// from `_start` reaches, never the middle of an instruction.
    #[test]
    fn the_code_pane_keeps_to_instruction_boundaries_in_compressed_code() {
        let mut s = native_session_with(&root().join("tests/debug/rvc-calls.s"), b"", true);
        let mut boundaries = std::collections::BTreeSet::new();
        let mut a = 0x8020_0000u64;
        while a < 0x8020_1000 {
            boundaries.insert(a);
            a += s
                .insn_line(a)
                .bits
                .map_or(4, |b| cpu::isa::parcel_len(b as u16));
        }
        let mut odd_starts = 0;
        while s.target().ended(0).is_none() {
            exec(&mut s, "stepi");
            let t = Tui::new(&mut s);
            let (lines, _) = screen(&t, &s, 100, 30);
            let shown: Vec<u64> = lines
                .iter()
                .filter_map(|l| {
                    let l = l.strip_prefix("│").unwrap_or(l);
                    let rest = l.get(3..)?.trim_start_matches('●').trim_start();
                    let hex = rest.split_whitespace().next()?;
                    (hex.len() == 8).then(|| u64::from_str_radix(hex, 16).ok())?
                })
                .filter(|a| (0x8020_0000..0x8020_1000).contains(a))
                .collect();
            assert!(shown.len() > 3, "{lines:#?}");
            for a in &shown {
                assert!(
                    boundaries.contains(a),
                    "{a:#x} is mid-instruction:\n{lines:#?}"
                );
            }
            odd_starts += usize::from(shown[0] % 4 != 0);
        }
        assert!(
            odd_starts > 0,
            "the pane never started at a 2-byte boundary"
        );
    }

    #[test]
    fn the_first_screen_at_80x24() {
        let mut s = syscall();
        let t = Tui::new(&mut s);
        let (lines, _) = screen(&t, &s, 80, 24);
        assert_eq!(lines.len(), 24);
        assert!(
            lines[0].contains("syscall · native · event 0 · S-mode · pc 0x80200000 <_start>"),
            "{}",
            lines[0]
        );
        find(&lines, "=> 80200000  auipc sp,0x3");
        find(&lines, "_start:");
        // The side slot names the panes it can show, registers first.
        find(&lines, "2regs 3csrs 4mem 5traps 6cons 7guests");
        find(
            &lines,
            "trapvisor debug: syscall natively, stopped at the first instruction.",
        );
        // The keys for the common moves are on the screen; with one
        // guest there is no next guest, without a line table no source.
        let keys = &lines[23];
        for k in ["s step", "n next", "c cont", "r back", "b break", ": cmd"] {
            assert!(keys.contains(k), "{keys}");
        }
        assert!(!keys.contains("g guest") && !keys.contains("v "), "{keys}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
    }

    /// Under the monitor, three guests: the guests pane with their states
    /// and exit counts, `g` for the next guest, the virtual CSRs beside
    /// the real hart's, and the exit log with each handler.
    #[test]
    fn three_guests_under_the_monitor_at_80x24() {
        let paths: Vec<PathBuf> = [
            "guest-programs/hello.s",
            "guest-programs/timer.s",
            "guest-programs/paging.s",
        ]
        .iter()
        .map(|p| root().join(p))
        .collect();
        let mut s = monitor_session(&paths, b"");
        let mut t = Tui::new(&mut s);
        keys(&mut t, &mut s, ":catch exit interrupt\n\x1bc7");
        let (lines, _) = screen(&t, &s, 80, 24);
        if std::env::var_os("SHOW_SCREEN").is_some() {
            eprintln!("{}", lines.join("\n"));
        }
        assert!(lines[0].contains("timer · monitor"), "{}", lines[0]);
        find(
            &lines,
            "Catchpoint 1 (exit): exit at 0x80200054 <wait+28> in S-mode: interrupt",
        );
        let hello = find(&lines, "0 hello");
        assert!(
            hello.contains("638    155"),
            "638 events, 155 exits: {hello}"
        );
        find(&lines, "ended: test finisher");
        find(&lines, "* 1 timer");
        find(&lines, "running (on the hart)");
        find(&lines, "waiting for its turn");
        assert!(lines[23].contains("g guest"), "{}", lines[23]);
        // The CSRs: virtual beside real, the shadow satp on the real side.
        keys(&mut t, &mut s, "3");
        let (lines, _) = screen(&t, &s, 80, 24);
        if std::env::var_os("SHOW_SCREEN").is_some() {
            eprintln!("{}", lines.join("\n"));
        }
        let sstatus = find(&lines, "sstatus");
        assert!(sstatus.contains("200000120  200000000"), "{sstatus}");
        // The exit log names each handler.
        keys(&mut t, &mut s, "5");
        let (lines, _) = screen(&t, &s, 80, 24);
        if std::env::var_os("SHOW_SCREEN").is_some() {
            eprintln!("{}", lines.join("\n"));
        }
        find(&lines, "reflect::inject");
        // g: the next guest.
        keys(&mut t, &mut s, "g");
        let (lines, _) = screen(&t, &s, 80, 24);
        if std::env::var_os("SHOW_SCREEN").is_some() {
            eprintln!("{}", lines.join("\n"));
        }
        assert!(lines[0].contains("paging · monitor"), "{}", lines[0]);
        assert_eq!(s.target().focus(), 2);
    }

    #[test]
    fn a_step_shows_what_it_changed() {
        let mut s = syscall();
        let mut t = Tui::new(&mut s);
        keys(&mut t, &mut s, "s");
        let (lines, term) = screen(&t, &s, 80, 24);
        find(&lines, "(tv) stepi");
        find(&lines, "sp         0x0 -> 0x80203000");
        find(&lines, "=> 80200004  add sp,sp,256");
        assert!(lines[0].contains("event 1"));
        // sp's value is highlighted, and only it.
        let buf = term.backend().buffer();
        let (y, row) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.contains("sp  80203000"))
            .expect("sp on screen");
        let x = row.find("80203000").unwrap();
        let x = row[..x].chars().count() as u16;
        assert_eq!(buf[(x, y as u16)].bg, Color::Yellow);
        let (y, row) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.contains("gp  00000000"))
            .expect("gp on screen");
        let x = row[..row.find("gp  ").unwrap() + 4].chars().count() as u16;
        assert_ne!(buf[(x, y as u16)].bg, Color::Yellow);
        // Back: the state before, the highlight on what going back changed.
        keys(&mut t, &mut s, "r");
        let (lines, _) = screen(&t, &s, 80, 24);
        assert!(lines[0].contains("event 0"), "{}", lines[0]);
        find(&lines, "(tv) reverse-stepi");
    }

    #[test]
    fn breakpoints_at_the_cursor_and_the_trap_log() {
        let mut s = syscall();
        let mut t = Tui::new(&mut s);
        // Two lines down, a breakpoint; again, and it is gone.
        t.key(&mut s, key(KeyCode::Down));
        t.key(&mut s, key(KeyCode::Down));
        keys(&mut t, &mut s, "b");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "Breakpoint 1 at 0x80200008 <_start+8>");
        find(&lines, "●80200008");
        keys(&mut t, &mut s, "b");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "(tv) delete 1");
        assert!(!lines.iter().any(|l| l.contains("●")));
        // A typed command, then c: the guest stops in the trap handler.
        keys(&mut t, &mut s, ":break trap_entry\n");
        assert_eq!(t.mode, Mode::Command);
        // `:` again, out of habit, opens the same command line.
        keys(&mut t, &mut s, ":info breakpoints\n");
        assert!(
            !t.transcript().contains("Undefined command"),
            "{}",
            t.transcript()
        );
        assert!(t.transcript().contains("(tv) info breakpoints\n"));
        t.key(&mut s, key(KeyCode::Esc));
        keys(&mut t, &mut s, "c");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "Breakpoint 2, 0x80200064 <trap_entry>");
        find(&lines, "=>●80200064  csrrw t6,sscratch,t6");
        // The trap log names the handler; the console has the kernel's line.
        keys(&mut t, &mut s, "5");
        assert_eq!(t.focus, Pane::Traps);
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "5traps 6cons");
        find(&lines, "environment call from U-mode");
        find(&lines, "<trap_entry>");
        keys(&mut t, &mut s, "6");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(
            &lines,
            "kernel: trap vector set; entering user mode with sret",
        );
        keys(&mut t, &mut s, "7");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "* 0 syscall         812      0");
        find(&lines, "      running");
    }

    /// The command line takes the line interface's commands, with the
    /// same output: the output pane holds the line interface's
    /// transcript of the same commands.
    #[test]
    fn typed_commands_print_what_the_line_interface_prints() {
        let script = "stepi\nbreak u_puts\ncontinue\ninfo registers sp a0\nx/4xw $sp\nnexti\nreverse-stepi 3\ninfo csrs sstatus\ninfo traps\nprint $a0 + 1\nbreak nosuch\n";
        let mut s = syscall();
        let mut t = Tui::new(&mut s);
        keys(&mut t, &mut s, ":");
        keys(&mut t, &mut s, script);
        let mut line = syscall();
        let expected = transcript(&mut line, script).unwrap();
        assert_eq!(t.transcript(), expected);
        // Enter on an empty line repeats a step, as at a terminal.
        keys(&mut t, &mut s, "si\n\n");
        let steps =
            t.transcript().matches("(tv) si\n").count() + t.transcript().matches("(tv) \n").count();
        assert_eq!(steps, 2);
        assert_eq!(s.position(), line.position() + 2);
        keys(&mut t, &mut s, "x/2xg $sp\n");
        // And the memory pane looks where x looked.
        t.key(&mut s, key(KeyCode::Esc));
        keys(&mut t, &mut s, "4");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "4mem 5traps");
        let sp = s.target().regs()[2];
        find(&lines, &format!("{sp:08x}  "));
    }

    #[test]
    fn a_large_terminal_shows_every_pane() {
        let mut s = syscall();
        let mut t = Tui::new(&mut s);
        keys(&mut t, &mut s, "sss");
        let (lines, _) = screen(&t, &s, 160, 50);
        for title in [
            "1 code",
            "2 registers",
            "3 csrs",
            "4 memory",
            "5 traps",
            "6 console",
            "7 guests",
            "8 output",
        ] {
            find(&lines, title);
        }
        find(&lines, "sstatus");
        find(&lines, "stvec      0000000000000000");
        // Zoom shows one pane on the whole screen.
        keys(&mut t, &mut s, "z");
        let (lines, _) = screen(&t, &s, 80, 24);
        assert!(!lines
            .iter()
            .any(|l| l.contains("8 output") || l.contains("(tv) stepi")));
        // Too small a terminal is told, not garbled.
        let (lines, _) = screen(&t, &s, 40, 10);
        assert!(lines.join(" ").contains("needs at least 60x16"));
    }

    /// A session whose program has the assembler's line table.
    fn syscall_with_lines() -> Session<NativeTarget> {
        use debugger::program::{LineEntry, SourceFile};
        let path = root().join("guest-programs/syscall.s");
        let out = asm::assemble_file(&path).unwrap();
        let image = Image::from_elf(&out.elf, RAM_BASE..RAM_BASE + MEMORY).unwrap();
        let files = out
            .files
            .iter()
            .map(|f| SourceFile {
                path: f.clone(),
                lines: std::fs::read_to_string(f)
                    .unwrap_or_else(|e| panic!("{f}: {e}"))
                    .lines()
                    .map(String::from)
                    .collect(),
            })
            .collect();
        let lines = out
            .lines
            .iter()
            .map(|e| LineEntry {
                addr: e.addr,
                file: e.file as usize,
                line: e.line,
            })
            .collect();
        let program = Program::from_image("syscall", &image).with_lines(lines, files);
        Session::new(NativeTarget::boot(program, &image, MEMORY, Box::new(NoInput)).unwrap())
    }

    /// With a line table the code pane is the `.s` source: the line of
    /// `pc` marked, `b` on a line a breakpoint at its first instruction,
    /// `v` the disassembly and back.
    #[test]
    fn the_source_pane_follows_pc_through_the_s_file() {
        let mut s = syscall_with_lines();
        let mut t = Tui::new(&mut s);
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "source syscall.s");
        assert!(lines[23].contains("b break v asm : cmd"), "{}", lines[23]);
        find(&lines, "=>   50         la      sp, kstack_top");
        find(&lines, "  51         la      t0, trap_entry");
        // `la` is two instructions: a step stays on its line.
        keys(&mut t, &mut s, "s");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "=>   50         la      sp, kstack_top");
        keys(&mut t, &mut s, "s");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "=>   51         la      t0, trap_entry");
        // The cursor two lines down, a breakpoint there, continue to it.
        t.key(&mut s, key(KeyCode::Down));
        t.key(&mut s, key(KeyCode::Down));
        keys(&mut t, &mut s, "b");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(
            &lines,
            "Breakpoint 1 at 0x80200014 <_start+20>: file syscall.s:53",
        );
        find(&lines, " ●  53         csrw    sie, zero");
        keys(&mut t, &mut s, "c");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "=>●  53         csrw    sie, zero");
        // v: the disassembly of the same place, and back to the source.
        keys(&mut t, &mut s, "v");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "=>●80200014  csrw sie,zero");
        assert!(lines[23].contains("v source"), "{}", lines[23]);
        keys(&mut t, &mut s, "v");
        let (lines, _) = screen(&t, &s, 80, 24);
        find(&lines, "source syscall.s");
    }

    #[test]
    fn panes_resize_and_q_quits() {
        let mut s = syscall();
        let mut t = Tui::new(&mut s);
        let width_of_code = |lines: &[String]| lines[1].find('┐').unwrap_or(0);
        let (before, _) = screen(&t, &s, 80, 24);
        keys(&mut t, &mut s, "++");
        let (after, _) = screen(&t, &s, 80, 24);
        assert!(width_of_code(&after) > width_of_code(&before));
        assert_eq!(t.quit, None);
        keys(&mut t, &mut s, "q");
        assert_eq!(t.quit, Some(0));
    }
}

/// The GDB remote stub, spoken to over loopback TCP by a client written
/// here (no gdb needed): registers, CSRs and `priv`, breakpoints, steps
/// both ways, `monitor`, refused writes, and a second debugger finding
/// the guest where the first one left it after sending garbage.
mod gdb_protocol {
    use super::*;
    use std::cell::RefCell;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::rc::Rc;
    use std::time::Duration;

    struct Client(TcpStream);

    /// Serves session `s` on a local port (`wait`ing for the first
    /// debugger or not) to `client`, run on a thread of its own with the
    /// port's address; returns what `serve` returned and its log. A client
    /// that panics still lets the server go (it sends `k`), and its panic
    /// is passed on.
    fn serve_to<T: Target>(
        s: &mut Session<T>,
        wait: bool,
        console: Box<dyn Write>,
        client: impl FnOnce(std::net::SocketAddr) + Send + 'static,
    ) -> (std::io::Result<()>, String) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client(addr)));
            if r.is_err() {
                // Let the server go whatever happened.
                if let Ok(mut s) = TcpStream::connect(addr) {
                    let _ = s.write_all(b"$k#6b");
                }
            }
            r
        });
        let mut log = Vec::new();
        let served = debugger::gdb::serve(s, &listener, wait, console, &mut log);
        if let Err(e) = client.join().unwrap() {
            std::panic::resume_unwind(e);
        }
        (served, String::from_utf8(log).unwrap())
    }

    impl Client {
        fn connect(addr: std::net::SocketAddr) -> Client {
            let s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            Client(s)
        }

        fn send(&mut self, packet: &str) {
            let sum = packet.bytes().fold(0u8, |a, b| a.wrapping_add(b));
            write!(self.0, "${packet}#{sum:02x}").unwrap();
        }

        fn byte(&mut self) -> u8 {
            let mut b = [0u8];
            self.0.read_exact(&mut b).expect("a byte from the stub");
            b[0]
        }

        /// The next packet's body (acknowledged).
        fn packet(&mut self) -> String {
            while self.byte() != b'$' {}
            // Run-length encoding (`X*N`: N - 29 more X) and escapes
            // (`}` then the byte xor 0x20), as the protocol allows.
            let mut body: Vec<u8> = Vec::new();
            loop {
                match self.byte() {
                    b'#' => break,
                    b'}' => {
                        let b = self.byte();
                        body.push(b ^ 0x20);
                    }
                    b'*' => {
                        let n = self.byte() - 29;
                        let last = *body.last().expect("a run after a byte");
                        body.extend(std::iter::repeat_n(last, usize::from(n)));
                    }
                    b => body.push(b),
                }
            }
            self.byte();
            self.byte();
            self.0.write_all(b"+").unwrap();
            String::from_utf8(body).unwrap()
        }

        fn ask(&mut self, packet: &str) -> String {
            self.send(packet);
            self.packet()
        }

        /// A `qRcmd`: the text of its `O` packets.
        fn monitor(&mut self, cmd: &str) -> String {
            let hex: String = cmd.bytes().map(|b| format!("{b:02x}")).collect();
            self.send(&format!("qRcmd,{hex}"));
            let mut text = Vec::new();
            loop {
                let p = self.packet();
                match p.strip_prefix('O') {
                    Some(h) if p != "OK" => {
                        for i in (0..h.len()).step_by(2) {
                            text.push(u8::from_str_radix(&h[i..i + 2], 16).unwrap());
                        }
                    }
                    _ => break,
                }
            }
            String::from_utf8(text).unwrap()
        }
    }

    fn le64(hex: &str) -> u64 {
        let mut v = 0u64;
        for i in (0..16).step_by(2).rev() {
            v = v << 8 | u64::from_str_radix(&hex[i..i + 2], 16).unwrap();
        }
        v
    }

    fn pc(c: &mut Client) -> u64 {
        let g = c.ask("g");
        assert_eq!(g.len(), 33 * 16, "x0..x31 and pc: {g}");
        le64(&g[32 * 16..])
    }

    fn debugger_session(addr: std::net::SocketAddr) {
        let mut c = Client::connect(addr);
        let features = c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=riscv");
        for f in ["qXfer:features:read+", "ReverseStep+", "ReverseContinue+"] {
            assert!(features.contains(f), "{features}");
        }
        let xml = c.ask("qXfer:features:read:target.xml:0,ffff");
        assert!(
            xml.contains("org.gnu.gdb.riscv.csr") && xml.contains("name=\"sstatus\""),
            "{xml}"
        );
        assert!(xml.contains("name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"4161\""));
        assert!(c.ask("?").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_0000);
        // priv (4161 = 0x1041): S-mode; stvec (65 + 0x105 = 0x146) not set yet.
        assert_eq!(le64(&c.ask("p1041")), 1);
        assert_eq!(le64(&c.ask("p146")), 0);
        assert!(
            c.ask("qfThreadInfo").contains("p01.01"),
            "one guest, one thread"
        );
        // A breakpoint on the trap handler, and continue: stops there.
        assert_eq!(c.ask("Z0,80200064,4"), "OK");
        let stop = c.ask("vCont;c");
        assert!(
            stop.starts_with("T05") && stop.contains("swbreak"),
            "{stop}"
        );
        assert_eq!(pc(&mut c), 0x8020_0064);
        assert_eq!(le64(&c.ask("p146")), 0x8020_0064, "stvec is the handler");
        // scause (0x142 + 65 = 0x183): an ecall from U-mode.
        assert_eq!(le64(&c.ask("p183")), 8);
        assert_eq!(c.ask("z0,80200064,4"), "OK");
        // A step, and a step back.
        assert!(c.ask("vCont;s:p1.1").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_0068);
        assert!(c.ask("bs").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_0064);
        // A write watchpoint stops before the store (GDB steps it), a
        // hardware breakpoint says so.
        assert_eq!(c.ask("Z2,80202008,8"), "OK");
        let stop = c.ask("vCont;c");
        assert!(stop.contains("watch:80202008"), "{stop}");
        assert_eq!(pc(&mut c), 0x8020_0068, "sd ra,8(t6): not run yet");
        assert_eq!(c.ask("z2,80202008,8"), "OK");
        assert_eq!(c.ask("Z1,802002ac,4"), "OK");
        let stop = c.ask("vCont;c");
        assert!(stop.contains("hwbreak"), "{stop}");
        assert_eq!(pc(&mut c), 0x8020_02ac, "sys_exit");
        assert_eq!(c.ask("z1,802002ac,4"), "OK");
        assert!(
            c.ask("bc").contains("replaylog:begin"),
            "no breakpoint left: back to the start"
        );
        assert!(c.ask("vCont;s:p1.1").starts_with("T05"));
        assert!(c.ask("Z0,80200064,4") == "OK" && c.ask("vCont;c").contains("swbreak"));
        assert_eq!(c.ask("z0,80200064,4"), "OK");
        assert!(c.ask("vCont;s:p1.1").starts_with("T05"));
        assert!(c.ask("bs").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_0064);
        // Memory through the guest's page tables; writes are refused.
        let m = c.ask("m80200064,4");
        assert_eq!(m.len(), 8, "{m}");
        assert!(c.ask("M80200064,4:00000000").starts_with('E'));
        assert!(c.ask("P1=0000000000000000").starts_with('E'));
        assert_eq!(c.ask("m80200064,4"), m, "the refused write changed nothing");
        // A read longer than a packet holds answers the prefix that fits
        // in the advertised PacketSize (it streamed all of RAM).
        assert!(features.contains(&format!("PacketSize={:x}", debugger::gdb::PACKET_SIZE)));
        let most = c.ask("m80200000,ffffffff");
        assert_eq!(most.len(), 2 * debugger::gdb::MAX_READ);
        assert!(most[0xc8..].starts_with(&m), "{most}");
        let two_chunks = c.ask("m80200000,2000");
        assert_eq!(two_chunks, most);
        // A packet at the address where the last chunk ended is a new one,
        // answered in full.
        assert_eq!(c.ask("m80200000,1000"), most);
        let next = c.ask("m80201000,10");
        assert_eq!(next.len(), 0x20);
        assert_eq!(c.ask("m80200000,800"), most, "what GDB asks at most");
        // monitor reaches the line interface's commands.
        let exits = c.monitor("exits");
        assert_eq!(
            exits, "No exits yet for syscall.\n",
            "the kernel has not called the firmware yet"
        );
        let csrs = c.monitor("csrs sstatus scause");
        assert!(
            csrs.contains("scause     0x0000000000000008  environment call from U-mode"),
            "{csrs}"
        );
        assert!(c.monitor("translate $sp").contains("satp is Bare"));
        assert!(c.monitor("guests").contains("syscall"));
        assert!(c.monitor("stepi").contains("GDB's own commands"));
        assert!(
            c.monitor("frobnicate").contains("Undefined command"),
            "unknown monitor commands say so"
        );
        // Garbage: a bad checksum, then bytes that are no packet at all.
        c.0.write_all(b"$g#00").unwrap();
        c.0.write_all(&[0xff, 0x00, b'#', b'$', b'$', 0x7f])
            .unwrap();
        drop(c);
        // Connections that send nothing but noise, then leave.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20 {
            let mut noise = TcpStream::connect(addr).unwrap();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes: Vec<u8> = (0..1 + seed % 64)
                .map(|i| (seed.rotate_left(i as u32 * 5) >> 3) as u8)
                .collect();
            let _ = noise.write_all(&bytes);
        }

        // The next debugger finds the guest where the first one left it.
        let mut c = Client::connect(addr);
        assert_eq!(pc(&mut c), 0x8020_0064);
        assert!(
            c.ask("vCont;c").starts_with("T09"),
            "the end is a stop (SIGKILL), as rr reports it"
        );
        assert_eq!(pc(&mut c), 0x8020_0348, "shutdown's ecall");
        // ... from which it goes back: no breakpoint is left, so to the start.
        let back = c.ask("bc");
        assert!(back.contains("replaylog:begin"), "{back}");
        assert_eq!(pc(&mut c), 0x8020_0000);
        assert_eq!(c.ask("D"), "OK");
        drop(c);

        let mut c = Client::connect(addr);
        assert_eq!(pc(&mut c), 0x8020_0000);
        c.send("k");
    }

    /// A packet the stub cannot parse ends the connection, and the
    /// debugger sees it end (it used to stay open with nobody answering:
    /// the client waited forever); the next debugger finds the guest.
    #[test]
    fn garbage_closes_the_connection_and_the_next_debugger_is_served() {
        let mut s = native_session(&root().join("guest-programs/hello.s"), b"");
        let (served, log) = serve_to(&mut s, true, Box::new(std::io::sink()), |addr| {
            let mut c = Client::connect(addr);
            assert!(c.ask("?").starts_with("T05"));
            c.send("qSupported");
            let mut rest = Vec::new();
            let got = c.0.read_to_end(&mut rest);
            assert!(got.is_ok(), "the stub closes the connection: {got:?}");
            let mut c = Client::connect(addr);
            assert_eq!(pc(&mut c), 0x8020_0000);
            c.send("k");
        });
        assert!(served.is_ok(), "{served:?}: {log}");
        assert!(log.contains("debugger connection ended"), "{log}");
        assert!(log.contains("the debugger killed the guests"), "{log}");
    }

    /// Without `-S` the guest runs before anyone attaches; when it ends
    /// first, it waits there for a debugger, which finds it at its end
    /// and can go back. `serve` used to fail at once with
    /// "Resource temporarily unavailable" (the polled listener's
    /// O_NONBLOCK was left on the listener it was cloned from).
    #[test]
    fn without_s_a_guest_that_ended_waits_for_the_first_debugger() {
        let mut s = native_session(&root().join("guest-programs/hello.s"), b"");
        let (served, log) = serve_to(&mut s, false, Box::new(std::io::sink()), |addr| {
            // Connect only once the guest has surely ended: hello.s takes a
            // few hundred instructions.
            std::thread::sleep(Duration::from_millis(300));
            {
                let mut c = Client::connect(addr);
                let stop = c.ask("?");
                assert!(stop.starts_with('T'), "{stop}");
                assert_ne!(pc(&mut c), 0x8020_0000, "found at its end");
                let back = c.ask("bc");
                assert!(back.contains("replaylog:begin"), "{back}");
                assert_eq!(pc(&mut c), 0x8020_0000);
                c.send("k");
            }
        });
        assert!(served.is_ok(), "{served:?}: {log}");
        assert!(log.contains("[guest hello ended"), "{log}");
        assert!(log.contains("debugger connected"), "{log}");
        assert!(log.contains("the debugger killed the guests"), "{log}");
    }

    #[test]
    fn a_debugger_steps_breaks_goes_back_and_the_next_one_finds_the_guest() {
        let mut s = native_session(&root().join("guest-programs/syscall.s"), b"");
        let console: Rc<RefCell<Vec<u8>>> = Rc::default();
        struct Out(Rc<RefCell<Vec<u8>>>);
        impl Write for Out {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (served, log) = serve_to(
            &mut s,
            true,
            Box::new(Out(console.clone())),
            debugger_session,
        );
        served.unwrap();
        assert_eq!(log.matches("debugger connected").count(), 23, "{log}");
        assert!(
            log.contains("debugger connection ended"),
            "garbage ends the connection: {log}"
        );
        assert!(log.contains("debugger detached"), "{log}");
        assert!(log.contains("the debugger killed the guests"), "{log}");
        let console = String::from_utf8(console.borrow().clone()).unwrap();
        assert!(console.starts_with("kernel: trap vector set"), "{console}");
        assert!(console.contains("user: system call 99 failed, as it should"));
    }

    /// GDB under binary translation on the leaky machine, over a run of
    /// four patched instructions (tests/debug/bt-run.s, `run` at
    /// 0x80200010): a breakpoint on the second stops there, before it (the
    /// call at the first performs that one only), and each single step
    /// (`vCont;s`, GDB's `stepi`) and reverse step moves one instruction.
    fn bt_session(addr: std::net::SocketAddr) {
        let mut c = Client::connect(addr);
        c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=riscv");
        assert!(c.ask("?").starts_with("T05"));
        let reg = |c: &mut Client, n: usize| le64(&c.ask("g")[n * 16..n * 16 + 16]);
        assert_eq!(c.ask("Z0,80200014,4"), "OK");
        let stop = c.ask("vCont;c");
        assert!(stop.contains("swbreak"), "{stop}");
        assert_eq!(pc(&mut c), 0x8020_0014, "stopped at the second of the run");
        assert_eq!(reg(&mut c, 8), 0, "s0 (written by the third) not yet");
        assert_eq!(c.ask("z0,80200014,4"), "OK");
        // GDB's software single step: a breakpoint on the next
        // instruction, and continue.
        assert_eq!(c.ask("Z0,80200018,4"), "OK");
        assert!(c.ask("vCont;c").contains("swbreak"));
        assert_eq!(pc(&mut c), 0x8020_0018, "one instruction");
        assert_eq!(c.ask("z0,80200018,4"), "OK");
        assert!(c.ask("bs").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_0014);
        for next in [0x8020_0018, 0x8020_001c, 0x8020_0020] {
            assert!(c.ask("vCont;s:p1.1").starts_with("T05"));
            assert_eq!(pc(&mut c), next, "one instruction per step");
        }
        assert_eq!(reg(&mut c, 8) & 0x20, 0x20, "s0: sstatus with SPIE set");
        assert_eq!(reg(&mut c, 9), 0x1234, "s1: sscratch");
        assert!(c.ask("bs").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_001c);
        assert_eq!(reg(&mut c, 9), 0, "s1 as before its csrr");
        // The second time round, a continue performs the run in one call;
        // a breakpoint after it stops there with all four done.
        assert!(c.ask("vCont;s:p1.1").starts_with("T05"));
        assert_eq!(c.ask("Z0,80200020,4"), "OK");
        assert!(c.ask("vCont;c").contains("swbreak"));
        assert_eq!(pc(&mut c), 0x8020_0020);
        assert_eq!(reg(&mut c, 9), 0x1235, "the second time's sscratch");
        // And back one: between the third and the fourth of that call.
        assert!(c.ask("bs").starts_with("T05"));
        assert_eq!(pc(&mut c), 0x8020_001c);
        assert_eq!(reg(&mut c, 9), 0x1234);
        c.send("k");
    }

    #[test]
    fn gdb_steps_one_instruction_at_a_time_through_a_bt_call() {
        let mut s = monitor_session_with(
            &[root().join("tests/debug/bt-run.s")],
            b"",
            cpu::privileged::Isa::Leaky,
            monitor::Strategy::Bt,
        );
        let (served, _) = serve_to(&mut s, true, Box::new(std::io::sink()), bt_session);
        served.unwrap();
    }
}

/// A disassembly range that ends at the top of the address space is
/// listed up to there: the listing does not wrap around to 0 and start
/// over (which never ended), and a range that wraps lists nothing.
#[test]
fn disassemble_stops_at_the_top_of_the_address_space() {
    let mut s = native_session(&root().join("guest-programs/hello.s"), b"");
    let t = transcript(
        &mut s,
        "disassemble 0xfffffffffffffff0,0xffffffffffffffff\ndisassemble 0xfffffffffffffff0,+32\n",
    )
    .unwrap();
    let unreadable = t.matches("(cannot read memory here)").count();
    assert_eq!(unreadable, 4, "{t}");
    assert!(
        t.contains("   0xfffffffffffffffc:\t(cannot read memory here)"),
        "{t}"
    );
}

/// Commands that take no argument refuse one, and a register is not a
/// watchpoint (GDB's `watch $pc` is a software watchpoint; here watch
/// takes an address or a CSR).
#[test]
fn extra_arguments_and_register_watches_are_refused() {
    use debugger::command::parse;
    for (line, message) in [
        (
            "catch switch 7",
            "catch switch takes no argument (got \"7\").",
        ),
        (
            "catch end foo",
            "catch end takes no argument (got \"foo\").",
        ),
        (
            "info guests extra",
            "info guests takes no argument (got \"extra\").",
        ),
        ("kill now", "kill takes no argument (got \"now\")."),
        (
            "watch $pc",
            "Registers cannot be watched ($pc): watch takes an ADDRESS or a $CSR.",
        ),
        (
            "watch $a0",
            "Registers cannot be watched ($a0): watch takes an ADDRESS or a $CSR.",
        ),
    ] {
        match parse(line) {
            Err(e) => assert_eq!(e.0, message, "{line}"),
            Ok(c) => panic!("{line}: accepted as {c:?}"),
        }
    }
    for line in [
        "catch switch",
        "catch end",
        "info guests",
        "kill",
        "watch $sstatus",
    ] {
        assert!(parse(line).is_ok(), "{line}");
    }
}
