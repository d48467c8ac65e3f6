//! The monitor keeps control (book/src/machine.md, "Under the monitor"), checked with
//! guests written to break it (`tests/guests/`), each compared with its
//! native run:
//! - a guest that masks its interrupts and spins forever does not stop the
//!   others: it ends at its instruction limit, they finish with their
//!   whole output;
//! - a guest cannot reach outside its RAM: an access beyond it, or a PTE
//!   naming memory it does not have, faults inside the guest with the cause
//!   and `stval` of real hardware, even where a neighbour's RAM or the
//!   monitor's page tables sit in machine memory;
//! - `mret`, M-mode CSRs and unsupported `satp` modes behave as natively;
//! - the guests that end badly (hang, trap storm, endless loop) end the same
//!   way, at the same instruction, as natively.

use std::path::{Path, PathBuf};

use cpu::devices::Console;
use cpu::hart::{Digest, RAM_BASE};
use cpu::image::Image;
use cpu::machine::{status, Machine, Outcome, StopReason};
use cpu::storm::Storm;
use cpu::trap::Exception;
use monitor::stats::GuestReport;
use monitor::{End, GuestImage, GuestSpec, Monitor};

const MB: u64 = 1 << 20;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn image(path: &Path, memory: u64) -> Image {
    let elf = asm::assemble_file(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    Image::from_elf(&elf, RAM_BASE..RAM_BASE + memory)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a run shows of one guest: its stream, its console, its status.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// Computed in every run here (the monitor's is asked for).
    digest: Option<Digest>,
    console: String,
    status: u8,
}

fn native(rel: &str, memory: u64, max: u64) -> Seen {
    let p = path(rel);
    let (console, out) = Console::buffered(b"");
    let mut machine = Machine::boot(&image(&p, memory), memory, console).unwrap();
    machine.max_instructions = max;
    machine.hart.set_digest(true);
    let r = machine.run();
    Seen {
        digest: Some(r.digest),
        console: String::from_utf8_lossy(&out.contents()).into_owned(),
        status: r.outcome.exit_status(),
    }
}

fn status_of(end: &End) -> u8 {
    match end {
        End::Guest(e) => Outcome::Ended(*e).exit_status(),
        End::InstructionLimit(_) => status::INSTRUCTION_LIMIT,
        End::Hang | End::HartStopped => status::HANG,
        End::TrapStorm(_) => status::TRAP_STORM,
        End::OutputClosed => status::OUTPUT_CLOSED,
    }
}

/// Runs `(guest, memory, instruction limit)`s side by side.
fn monitored(guests: &[(&str, u64, u64)], quantum: u64) -> Vec<(GuestReport, Seen)> {
    let mut m: Monitor = Monitor::new();
    m.set_digest(true);
    let mut outs = Vec::new();
    for (rel, memory, max) in guests {
        let (console, out) = Console::buffered(b"");
        m.add_guest(GuestSpec {
            name: rel.to_string(),
            image: GuestImage::from(&image(&path(rel), *memory)),
            memory: *memory,
            console,
            max_instructions: *max,
        });
        outs.push(out);
    }
    let reports = m.run(quantum).unwrap();
    reports
        .into_iter()
        .zip(outs)
        .map(|(r, out)| {
            let seen = Seen {
                digest: r.digest,
                console: String::from_utf8_lossy(&out.contents()).into_owned(),
                status: status_of(&r.end),
            };
            (r, seen)
        })
        .collect()
}

#[test]
fn a_masked_spinner_does_not_stop_the_others() {
    let limit = 3_000_000;
    let others = ["guest-programs/hello.s", "guest-programs/timer.s"];
    for quantum in [97, 10_000] {
        let mut guests = vec![("tests/guests/spin-masked.s", 128 * MB, limit)];
        guests.extend(others.iter().map(|g| (*g, 128 * MB, limit)));
        let runs = monitored(&guests, quantum);
        let (spinner, _) = &runs[0];
        assert_eq!(
            spinner.end,
            End::InstructionLimit(limit),
            "quantum {quantum}"
        );
        assert_eq!(spinner.retired, limit);
        for ((report, seen), rel) in runs[1..].iter().zip(others) {
            let expected = std::fs::read_to_string(path(rel).with_extension("expected")).unwrap();
            assert_eq!(seen.console, expected, "{rel} beside the spinner");
            assert_eq!(report.end.code(), 0, "{rel}: {}", report.end);
            assert!(report.retired < limit);
        }
        // The spinner was taken off the hart again and again.
        assert!(spinner.stats.world_switches > 1, "quantum {quantum}");
    }
}

#[test]
fn the_masked_spinner_stops_where_it_stops_natively() {
    let limit = 100_000;
    let reference = native("tests/guests/spin-masked.s", 4 * MB, limit);
    assert_eq!(reference.status, status::INSTRUCTION_LIMIT);
    let runs = monitored(
        &[
            ("tests/guests/spin-masked.s", 4 * MB, limit),
            ("tests/guests/spin.s", 4 * MB, limit / 2),
        ],
        97,
    );
    assert_eq!(runs[0].1, reference);
}

#[test]
fn a_guest_cannot_reach_outside_its_ram() {
    // isolation.s checks its own traps: it exits 0 only if every access
    // outside its RAM faulted with the right scause and stval.
    let reference = native("tests/guests/isolation.s", 4 * MB, 1_000_000);
    assert_eq!(reference.status, 0, "natively:\n{}", reference.console);
    assert_eq!(reference.console.lines().count(), 5);
    assert!(reference.console.lines().all(|l| l.starts_with("ok")));
    // Beside a 4M neighbour, the machine addresses it reaches for are the
    // neighbour's RAM (0x80400000) and the monitor's shadow tables
    // (0x80800000): the faults must still be its own.
    for quantum in [97, 10_000] {
        let runs = monitored(
            &[
                ("tests/guests/isolation.s", 4 * MB, 1_000_000),
                ("guest-programs/hello.s", 4 * MB, 1_000_000),
            ],
            quantum,
        );
        assert_eq!(runs[0].1, reference, "isolation.s, quantum {quantum}");
        let hello = std::fs::read_to_string(path("guest-programs/hello.expected")).unwrap();
        assert_eq!(runs[1].1.console, hello, "the neighbour is untouched");
        assert_eq!(runs[1].1.status, 0);
        // Its faults were its own: reflected, never filled from outside.
        assert!(runs[0].0.stats.reflected >= 5);
    }
}

#[test]
fn privileged_instructions_behave_as_natively() {
    // privileged.s exits with the number of checks that went wrong:
    // mret and M-mode CSRs trap as illegal instructions with the
    // instruction as stval, unsupported satp modes are ignored.
    let reference = native("tests/guests/privileged.s", 4 * MB, 1_000_000);
    assert_eq!(reference.status, 0);
    let alone = monitored(&[("tests/guests/privileged.s", 4 * MB, 1_000_000)], 10_000);
    assert_eq!(alone[0].1, reference);
    let crowd = monitored(
        &[
            ("guest-programs/paging.s", 128 * MB, 1_000_000),
            ("tests/guests/privileged.s", 4 * MB, 1_000_000),
        ],
        97,
    );
    assert_eq!(crowd[1].1, reference);
    assert_eq!(crowd[0].1.status, 0);
}

/// Every test guest that needs no input ends the same way natively and
/// under the monitor (beside a spinner, quantum 97): same stream, same
/// bytes, same status, including the ones trapvisor has to stop.
#[test]
fn test_guests_end_as_natively() {
    let limit = 200_000;
    for (rel, want) in [
        ("tests/guests/exit42.s", 42),
        ("tests/guests/hang.s", status::HANG),
        ("tests/guests/storm.s", status::TRAP_STORM),
        ("tests/guests/storm-handler.s", status::TRAP_STORM),
        ("tests/guests/storm-nosp.s", status::TRAP_STORM),
        ("tests/guests/spin.s", status::INSTRUCTION_LIMIT),
        ("tests/guests/sbi-probe.s", 1), // SRST, reason: system failure
        ("tests/guests/privileged.s", 0),
    ] {
        let reference = native(rel, 128 * MB, limit);
        assert_eq!(reference.status, want, "{rel} natively");
        let runs = monitored(
            &[
                ("tests/guests/spin-masked.s", 4 * MB, limit),
                (rel, 128 * MB, limit),
            ],
            97,
        );
        assert_eq!(runs[1].1, reference, "{rel} under the monitor");
    }
}

/// A misaligned load or store to a device raises an access fault with
/// `stval` = the first byte that is not RAM, natively and under the
/// monitor (which must not carry it out on the virtual device), alone and
/// beside another guest preempting it every few instructions.
#[test]
fn misaligned_device_accesses_fault_as_natively() {
    let rel = "tests/guests/mmio-misaligned.s";
    let reference = native(rel, 4 * MB, 100_000);
    assert_eq!(reference.console, "75757\n57\n", "natively");
    assert_eq!(reference.status, 0, "every stval was the address");
    let alone = monitored(&[(rel, 4 * MB, 100_000)], 10_000);
    assert_eq!(alone[0].1, reference, "alone under the monitor");
    for quantum in [3, 97] {
        let runs = monitored(
            &[
                (rel, 4 * MB, 100_000),
                ("tests/guests/spin.s", 4 * MB, 50_000),
            ],
            quantum,
        );
        assert_eq!(runs[0].1, reference, "beside a spinner, quantum {quantum}");
    }
}

/// Atomics on a device fault (lr 5, amo 7, stval = the address) and an sc
/// there fails, natively and under the monitor, alone and beside a
/// spinner: the device never sees them (book/src/machine.md "The hart").
#[test]
fn device_atomics_fault_as_natively() {
    let rel = "tests/guests/mmio-atomic.s";
    let reference = native(rel, 4 * MB, 100_000);
    assert_eq!(reference.console, "7757\n1 0\n", "natively");
    assert_eq!(reference.status, 0, "every stval was the address");
    let alone = monitored(&[(rel, 4 * MB, 100_000)], 10_000);
    assert_eq!(alone[0].1, reference, "alone under the monitor");
    let runs = monitored(
        &[
            (rel, 4 * MB, 100_000),
            ("tests/guests/spin.s", 4 * MB, 50_000),
        ],
        3,
    );
    assert_eq!(runs[0].1, reference, "beside a spinner");
}

/// The native stop reason of a guest that storms, and the monitor's, alone
/// and beside a spinner: the same storm, naming the same first trap.
fn storm_both_ways(rel: &str) -> Storm {
    let p = path(rel);
    let (console, _) = Console::buffered(b"");
    let mut machine = Machine::boot(&image(&p, 4 * MB), 4 * MB, console).unwrap();
    machine.max_instructions = 1_000_000;
    let Outcome::Stopped(StopReason::TrapStorm(native)) = machine.run().outcome else {
        panic!("{rel}: no trap storm natively");
    };
    for quantum in [7, 10_000] {
        let runs = monitored(
            &[
                (rel, 4 * MB, 1_000_000),
                ("tests/guests/spin.s", 4 * MB, 100_000),
            ],
            quantum,
        );
        assert_eq!(
            runs[0].0.end,
            End::TrapStorm(native),
            "{rel} under the monitor, quantum {quantum}"
        );
    }
    native
}

/// A handler that faults after one instruction, and one that pushes onto
/// a stack it never set up (the fault address moves each time): an
/// instruction retires between the traps, but the handler never returns.
/// Both are storms, stopped with the repeating fault and the trap the
/// handler was first entered for.
#[test]
fn handlers_that_fault_themselves_are_storms_naming_the_first_trap() {
    let storm = storm_both_ways("tests/guests/storm-handler.s");
    assert_eq!(storm.trap.cause_bits(), Exception::LoadAccessFault.code());
    assert_eq!(storm.trap.tval(), 8);
    assert_eq!(storm.first.cause_bits(), Exception::LoadAccessFault.code());
    assert_eq!(storm.first_pc, 0x8020_000c, "the ld in _start");
    assert_eq!(storm.pc, 0x8020_0028, "the ld in the handler");

    let storm = storm_both_ways("tests/guests/storm-nosp.s");
    assert_eq!(storm.trap.cause_bits(), Exception::StoreAccessFault.code());
    assert_eq!(storm.first.cause_bits(), Exception::Breakpoint.code());
    assert_eq!(storm.first_pc, 0x8020_000c, "the ebreak in _start");
    assert!(
        storm.trap.tval() >= 0u64.wrapping_sub(32 * 1000),
        "the push {:#x} moved down a frame per entry",
        storm.trap.tval()
    );
}

/// Traps that get somewhere are never a storm, however many: system calls
/// from one `ecall`, demand paging that faults twice at one load every
/// time round, a timer interrupt every few instructions (trap-loops.s with
/// 5,000 rounds of each here, 20,000 traps; scripts/soak.sh runs it with
/// a million).
#[test]
fn millions_of_legitimate_traps_are_never_a_storm() {
    let text = std::fs::read_to_string(path("tests/guests/trap-loops.s")).unwrap();
    let small = text.replace(".equ ROUNDS, 1000000", ".equ ROUNDS, 5000");
    assert_ne!(small, text, "ROUNDS is set in trap-loops.s");
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trap-loops-5000.s");
    std::fs::write(&file, small).unwrap();
    let rel = file.to_str().unwrap();
    let reference = native(rel, 4 * MB, 100_000_000);
    assert_eq!(reference.console, "trap-loops: ok\n");
    assert_eq!(reference.status, 0);
    let runs = monitored(
        &[
            (rel, 4 * MB, 100_000_000),
            ("tests/guests/spin.s", 4 * MB, 100_000),
        ],
        97,
    );
    assert_eq!(runs[0].1, reference, "under the monitor");
}

/// The self-checking conformance guests (tests/conformance, whose output
/// QEMU gives too) run the same under the monitor as natively, beside a
/// spinner that preempts them every 97 instructions: every trap's scause,
/// sepc and stval (16-bit parcels included), Sv39, AMOs, timers, SBI.
#[test]
fn the_conformance_suite_runs_as_natively() {
    let dir = path("tests/conformance");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    programs.sort();
    assert!(programs.len() >= 7);
    for p in programs {
        let rel = p.to_str().unwrap();
        let reference = native(rel, 128 * MB, 50_000_000);
        assert_eq!(
            reference.status, 0,
            "{rel} natively:\n{}",
            reference.console
        );
        let runs = monitored(
            &[
                (rel, 128 * MB, 50_000_000),
                ("tests/guests/spin.s", 4 * MB, 100_000),
            ],
            97,
        );
        assert_eq!(runs[0].1, reference, "{rel} under the monitor");
    }
}

/// A monitor with `guests` (each 16 MiB), the digest on, not started.
fn monitor_of(guests: &[&str]) -> Monitor {
    let mut m: Monitor = Monitor::new();
    m.set_digest(true);
    for rel in guests {
        let (console, _) = Console::buffered(b"");
        m.add_guest(GuestSpec {
            name: rel.to_string(),
            image: GuestImage::from(&image(&path(rel), 16 * MB)),
            memory: 16 * MB,
            console,
            max_instructions: 10_000_000,
        });
    }
    m
}

const SESSION_GUESTS: [&str; 3] = [
    "guest-programs/paging.s",
    "guest-programs/syscall.s",
    "guest-programs/timer.s",
];

/// Stepping a session exit by exit, or a few instructions at a time, runs
/// what `Monitor::run` runs: the same instructions in every guest, the same
/// digests, the same ends.
#[test]
fn a_session_stepped_runs_as_the_monitor_runs() {
    let whole = monitor_of(&SESSION_GUESTS).run(1000).unwrap();
    for limit in [u64::MAX, 1, 7] {
        let mut s = monitor_of(&SESSION_GUESTS).start(1000).unwrap();
        let mut exits = 0;
        let mut switches = 0;
        while let Some(step) = s.step(limit) {
            exits += u64::from(step.exit.is_some());
            switches += u64::from(step.switched_from.is_some());
            if let Some(h) = step.handled {
                assert!(!h.handler.is_empty());
            }
        }
        let stepped = s.finish();
        for (a, b) in whole.iter().zip(&stepped) {
            assert_eq!(
                (a.retired, a.digest, a.end),
                (b.retired, b.digest, b.end),
                "{} stepped {limit} at a time",
                a.name
            );
        }
        assert!(exits > 100, "{exits} exits");
        assert!(switches >= 3, "{switches} world switches");
    }
}

/// Under binary translation on the leaky machine, where one call performs
/// a run of patched instructions: a step of one instruction runs one (the
/// call stops after the first), a step of 7 runs at most 7, and stepping
/// either way runs what `Monitor::run` runs, to the digest.
#[test]
fn a_session_stepped_under_bt_runs_one_instruction_a_step() {
    use cpu::privileged::Isa;
    use monitor::Strategy;
    let guests = [
        "guest-programs/sensitive.s",
        "tests/debug/bt-run.s",
        "guest-programs/timeshare.s",
    ];
    let bt = || {
        let mut m = monitor_of(&guests);
        m.set_isa(Isa::Leaky);
        m.set_strategy(Strategy::Bt);
        m
    };
    let whole = bt().run(1000).unwrap();
    let saved: u64 = whole.iter().map(|r| r.stats.strategy.bt_exits_saved).sum();
    assert!(
        saved > 0,
        "a free run performs runs of patched instructions in one call"
    );
    for limit in [1, 7] {
        let mut s = bt().start(1000).unwrap();
        let retired = |s: &monitor::Session| -> Vec<u64> {
            s.guests().iter().map(|g| g.vcpu.retired()).collect()
        };
        loop {
            let before = retired(&s);
            let Some(step) = s.step(limit) else { break };
            let ran = retired(&s)[step.guest] - before[step.guest];
            assert!(
                ran <= limit,
                "a step of {limit} ran {ran} instructions: {step:?}"
            );
        }
        let stepped = s.finish();
        for (a, b) in whole.iter().zip(&stepped) {
            assert_eq!(
                (a.retired, a.digest, a.end),
                (b.retired, b.digest, b.end),
                "{} stepped {limit} at a time",
                a.name
            );
        }
        if limit == 1 {
            let saved: u64 = stepped
                .iter()
                .map(|r| r.stats.strategy.bt_exits_saved)
                .sum();
            assert_eq!(saved, 0, "single steps perform one instruction per call");
        }
    }
}

/// A checkpoint holds the pages written, not the guests' RAM; going back
/// to one and running on gives exactly the steps the first run gave from
/// there, and checkpoints after it are forgotten.
#[test]
fn a_session_rewound_to_a_checkpoint_runs_the_same_again() {
    let mut s = monitor_of(&SESSION_GUESTS).start(1000).unwrap();
    s.set_detail(true);
    s.run_exits(200).expect("still running");
    let c1 = s.checkpoint();
    s.run_exits(300).expect("still running");
    let c2 = s.checkpoint();
    let ram_pages = 3 * (16 * MB / 4096) as usize;
    assert!(
        s.checkpoint_pages() < ram_pages / 20,
        "{} of {ram_pages} pages kept",
        s.checkpoint_pages()
    );
    let later: Vec<_> = std::iter::from_fn(|| s.step(u64::MAX)).collect();
    assert!(s.rewind(c2));
    let again: Vec<_> = std::iter::from_fn(|| s.step(u64::MAX)).collect();
    assert_eq!(later, again, "from the second checkpoint");
    assert!(s.rewind(c1));
    let from_c1: Vec<_> = std::iter::from_fn(|| s.step(u64::MAX)).collect();
    assert!(from_c1.len() > later.len());
    assert_eq!(from_c1[from_c1.len() - later.len()..], later[..]);
    assert!(!s.rewind(c2), "the checkpoint after c1 is forgotten");
    let whole = monitor_of(&SESSION_GUESTS).run(1000).unwrap();
    for (a, b) in whole.iter().zip(&s.finish()) {
        assert_eq!((a.retired, a.digest, a.end), (b.retired, b.digest, b.end));
    }
}

/// Between steps a guest's registers, virtual CSRs and memory (by
/// guest-physical and by virtual address) read and write as its own
/// software would see them.
#[test]
fn a_session_reads_and_writes_each_guest() {
    use cpu::isa::csr_by_name;
    use monitor::memory::GuestPhys;
    let mut s = monitor_of(&SESSION_GUESTS).start(1000).unwrap();
    s.run_exits(50).expect("still running");
    let sscratch = csr_by_name("sscratch").unwrap();
    for i in 0..3 {
        assert!(s.write_csr(i, sscratch, 0x1234 + i as u64).is_ok());
        assert_eq!(s.csr(i, sscratch), Ok(0x1234 + i as u64));
        assert!(s.csr(i, csr_by_name("mstatus").unwrap()).is_err());
        let pc = s.pc(i).unwrap();
        let mut by_va = [0u8; 8];
        s.read_guest_virt(i, pc, &mut by_va).unwrap();
        let gpa = s.translate(i, pc, cpu::sv39::Access::Fetch).unwrap();
        let mut by_pa = [0u8; 8];
        assert!(s.read_guest_phys(i, gpa, &mut by_pa));
        assert_eq!(by_va, by_pa);
        assert!(s.write_guest_phys(i, GuestPhys(RAM_BASE + 0x10_0000), b"guest"));
        let mut back = [0u8; 5];
        assert!(s.read_guest_phys(i, GuestPhys(RAM_BASE + 0x10_0000), &mut back));
        assert_eq!(&back, b"guest");
        assert!(!s.read_guest_phys(i, GuestPhys(RAM_BASE + 16 * MB), &mut back));
    }
    // Each guest's own: the writes above did not cross.
    assert_eq!(s.csr(0, sscratch), Ok(0x1234));
}
