//! The monitor's other strategies (`--strategy bt`, `--strategy pv`),
//! held to the same equivalence as trap-and-emulate:
//! - binary translation: every guest program, on the standard ISA and on
//!   `--isa leaky`, alone and first of four at quantum 97, shows the
//!   native digest, console and end; and on leaky it is what repairs
//!   sensitive.s, which trap-and-emulate breaks there;
//! - paravirtualization: a guest that does not look for the PV interface
//!   is run by trap-and-emulate (the same run); the PV kernels
//!   (timeshare-pv.s, paging-pv.s) print what the originals print,
//!   natively and under every strategy, and under `pv` leave the hardware
//!   far less often.

use std::path::PathBuf;

use cpu::devices::Console;
use cpu::privileged::Isa;
use monitor::stats::{ExitReason, GuestReport};
use monitor::{GuestImage, GuestSpec, Monitor, Strategy};

use super::{companions, image, native_on, program, status, Seen, MAX_INSTRUCTIONS, MEMORY};

/// `paths` side by side under the monitor with `strategy` on `isa`, the
/// digest on: what each guest showed, and its report.
fn run(paths: &[PathBuf], quantum: u64, isa: Isa, strategy: Strategy) -> Vec<(Seen, GuestReport)> {
    let mut m: Monitor = Monitor::new();
    m.set_digest(true);
    m.set_isa(isa);
    m.set_strategy(strategy);
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
        .into_iter()
        .zip(outs)
        .map(|(r, out)| {
            let seen = Seen {
                digest: r.digest,
                retired: r.retired,
                console: String::from_utf8_lossy(&out.contents()).into_owned(),
                status: status(&r.end),
            };
            (seen, r)
        })
        .collect()
}

fn alone(rel: &str, isa: Isa, strategy: Strategy) -> (Seen, GuestReport) {
    run(&[program(rel)], 10_000, isa, strategy).remove(0)
}

/// Under `bt`, on both ISAs, alone and first of four at quantum 97: the
/// native run.
fn check_bt(name: &str) {
    let rel = format!("{name}.s");
    let path = program(&rel);
    for isa in Isa::ALL {
        let reference = native_on(&path, isa);
        assert!(reference.retired > 0, "{rel}: nothing retired natively");
        let (seen, report) = alone(&rel, isa, Strategy::Bt);
        assert_eq!(
            seen, reference,
            "{rel} on {isa}: alone under bt vs natively"
        );
        assert!(
            report.stats.strategy.bt_pages > 0,
            "{rel}: its kernel code was translated"
        );
        let mut four = vec![path.clone()];
        four.extend(companions(name));
        let (seen, _) = run(&four, 97, isa, Strategy::Bt).remove(0);
        assert_eq!(
            seen, reference,
            "{rel} on {isa}: first of four under bt (quantum 97) vs natively"
        );
    }
}

macro_rules! bt_equivalent {
    ($($test:ident => $name:literal,)*) => {$(
        #[test]
        fn $test() {
            check_bt($name);
        }
    )*};
}

bt_equivalent! {
    hello_under_bt => "hello",
    sbi_hello_under_bt => "sbi-hello",
    syscall_under_bt => "syscall",
    timer_under_bt => "timer",
    paging_under_bt => "paging",
    timeshare_under_bt => "timeshare",
    batch_under_bt => "batch",
    sensitive_under_bt => "sensitive",
    paging_pv_under_bt => "paging-pv",
    timeshare_pv_under_bt => "timeshare-pv",
}

/// The lab's repair: on `--isa leaky`, sensitive.s is broken under
/// trap-and-emulate and runs as natively under binary translation, which
/// found its `csrr sstatus`, `csrsi sstatus, SIE` and `csrci sstatus,
/// SIE` and called into the monitor for each.
#[test]
fn on_the_leaky_isa_binary_translation_repairs_what_trap_and_emulate_breaks() {
    let rel = "sensitive.s";
    let reference = native_on(&program(rel), Isa::Leaky);
    let (trap, _) = alone(rel, Isa::Leaky, Strategy::Trap);
    assert_ne!(trap.console, reference.console, "broken under trap");
    let (bt, report) = alone(rel, Isa::Leaky, Strategy::Bt);
    assert_eq!(bt, reference, "repaired under bt");
    let s = &report.stats.strategy;
    // Every `sstatus` access of the kernel (8 of them) must be and is a
    // call (the other sensitive instructions trap anyway), and each that
    // runs is emulated: trap-and-emulate emulated fewer, the leaky ones it
    // never saw.
    assert!(s.bt_patched >= 8, "{s:?}");
    let (_, trap_report) = alone(rel, Isa::Leaky, Strategy::Trap);
    assert!(
        report.emulated > trap_report.emulated,
        "bt emulates the leaky instructions trap-and-emulate missed: {} vs {}",
        report.emulated,
        trap_report.emulated
    );
    assert!(s.bt_calls > 0 && s.bt_calls <= s.bt_patched + report.emulated);
}

/// A kernel writing its own code: the translation is dropped at the store
/// and the new code is translated and run (batch.s loads programs into
/// memory and runs them; the random programs store into their code).
#[test]
fn code_written_after_it_was_translated_runs_as_written() {
    // A guest that patches an instruction of a function it already ran:
    // `li a0, 1` becomes `li a0, 2`, and the function is called again.
    let src = r#"
        .text
        .globl _start
_start:
        call    f
        mv      s0, a0
        la      t0, f
        lw      t1, 0(t0)
        li      t2, 1 << 20             # imm 1 -> 2 in addi a0, zero, imm
        add     t1, t1, t2
        sw      t1, 0(t0)
        fence.i
        call    f
        slli    s0, s0, 4
        or      a0, s0, a0              # 0x12
        li      t0, 0x100000
        slli    a0, a0, 16
        li      t1, 0x3333
        or      a0, a0, t1
        sw      a0, 0(t0)
1:      j       1b
f:      li      a0, 1
        csrr    t3, sstatus
        ret
"#;
    let dir = std::env::temp_dir().join(format!("trapvisor-bt-smc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("smc.s");
    std::fs::write(&path, src).expect("write");
    for isa in Isa::ALL {
        let reference = native_on(&path, isa);
        assert_eq!(reference.status, 0x12, "natively f returns 1, then 2");
        let (seen, report) = run(std::slice::from_ref(&path), 10_000, isa, Strategy::Bt).remove(0);
        assert_eq!(seen, reference, "on {isa}");
        // On the leaky machine the page (with its `csrr sstatus` a call)
        // is never writable while it runs: the store drops it. On the
        // standard one its `csrr` traps anyway, and the page that the
        // kernel writes runs from its original.
        if isa == Isa::Leaky {
            assert!(
                report.stats.strategy.bt_invalidated >= 1,
                "{:?}",
                report.stats.strategy
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exits that leave the hardware for the kernel's privileged work:
/// emulations (illegal instruction) and calls (ecall).
fn kernel_exits(r: &GuestReport) -> u64 {
    r.stats.exits[ExitReason::IllegalInstruction as usize]
        + r.stats.exits[ExitReason::Ecall as usize]
}

/// The PV kernels print the originals' lines natively and under every
/// strategy; under `pv` they use the interface and leave the hardware for
/// the kernel's work less than half as often as the originals do.
#[test]
fn the_pv_kernels_print_what_the_originals_print_with_fewer_exits() {
    for (pv, original) in [("timeshare-pv", "timeshare"), ("paging-pv", "paging")] {
        let (pv_rel, orig_rel) = (format!("{pv}.s"), format!("{original}.s"));
        let expected = native_on(&program(&orig_rel), Isa::Standard);
        assert_eq!(expected.status, 0);
        let native = native_on(&program(&pv_rel), Isa::Standard);
        assert_eq!(native.console, expected.console, "{pv} natively");
        assert_eq!(native.status, 0);
        for strategy in Strategy::ALL {
            let (seen, _) = alone(&pv_rel, Isa::Standard, strategy);
            assert_eq!(seen.console, expected.console, "{pv} under {strategy}");
            assert_eq!(seen.status, 0, "{pv} under {strategy}");
        }
        // Natively and under trap (no interface) it is the same run.
        let (trap, trap_report) = alone(&pv_rel, Isa::Standard, Strategy::Trap);
        assert_eq!(trap, native, "{pv}: under trap it runs as natively");
        let (_, pv_report) = alone(&pv_rel, Isa::Standard, Strategy::Pv);
        let (_, orig_report) = alone(&orig_rel, Isa::Standard, Strategy::Trap);
        assert!(
            pv_report.stats.strategy.pv_hypercalls > 0,
            "{pv} used the interface"
        );
        assert_eq!(trap_report.stats.strategy.pv_hypercalls, 0);
        assert!(
            2 * kernel_exits(&pv_report) < kernel_exits(&orig_report),
            "{pv}: {} kernel exits under pv vs {} for {original} under trap",
            kernel_exits(&pv_report),
            kernel_exits(&orig_report)
        );
    }
    let (_, r) = alone("paging-pv.s", Isa::Standard, Strategy::Pv);
    assert_eq!(
        r.stats.strategy.pv_pte_updates, 8,
        "six entries at boot in one batch, one per demand-paged page"
    );
}

/// Under `pv` a guest that never looks for the interface is run by
/// trap-and-emulate: every guest program's native run, beside PV kernels.
#[test]
fn under_pv_an_unmodified_guest_runs_as_natively() {
    for name in [
        "hello",
        "syscall",
        "timer",
        "paging",
        "timeshare",
        "batch",
        "sensitive",
    ] {
        let rel = format!("{name}.s");
        let reference = native_on(&program(&rel), Isa::Standard);
        let paths = [
            program(&rel),
            program("timeshare-pv.s"),
            program("paging-pv.s"),
        ];
        let (seen, _) = run(&paths, 97, Isa::Standard, Strategy::Pv).remove(0);
        assert_eq!(seen, reference, "{rel} under pv beside the PV kernels");
    }
}
