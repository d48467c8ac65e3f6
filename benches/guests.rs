//! Whole-guest speed: every CPU-bound guest under `guest-programs/bench/`
//! (sieve, crc32, sort, matmul), run to its end on the native machine
//!
//! - `bare`: paging off, as `trapvisor run` runs it (hot pages translated
//!   to host code);
//! - `sv39`: the host builds an identity map of 1 GiB gigapages before the
//!   guest starts and turns Sv39 on, so that every fetch, load and store of
//!   the guest is translated;
//! - `interp`: paging off, translation off: every instruction interpreted
//!   (as `trapvisor run --interpret`);
//! - `digest`: paging off with the trace digest on (as `--stats` does;
//!   translated code adds each instruction to the digest).
//!
//! The guests and the runs are `trapvisor bench`'s (the `measure` crate:
//! `trapvisor bench crc32` times the same guest natively and under the
//! monitor): each run's console output must equal the guest's `.expected`
//! file, so a wrong result is never measured, and each is timed from boot
//! to teardown on the thread's CPU clock. Throughput is in guest
//! instructions per second (criterion's "elem/s"); a MIPS table is printed
//! at the end.
//!
//! `cargo bench --bench guests`, or, without criterion (one run of each,
//! also handy under `valgrind --tool=callgrind`):
//! `GUESTS_BENCH_QUICK=1 cargo bench --bench guests [-- NAME_FILTER]`;
//! `GUESTS_BENCH_MODES=bare,sv39` picks modes.

use std::time::Duration;

use cpu::image::Image;
use criterion::{Criterion, SamplingMode, Throughput};
use measure::env::Env;
use measure::run::{run, Setup};
use measure::workloads::{Macro, MACRO};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Bare,
    Sv39,
    Interp,
    Digest,
}

const MODES: [Mode; 4] = [Mode::Bare, Mode::Sv39, Mode::Interp, Mode::Digest];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Bare => "bare",
            Mode::Sv39 => "sv39",
            Mode::Interp => "interp",
            Mode::Digest => "digest",
        }
    }

    fn setup(self, memory: u64) -> Setup {
        let mut s = Setup::new(Env::Native, memory);
        match self {
            Mode::Bare => {}
            Mode::Sv39 => s.identity_sv39 = true,
            Mode::Interp => s.translation = false,
            Mode::Digest => s.digest = true,
        }
        s
    }
}

/// The CPU-bound assembly guests of `guest-programs/bench/` whose names
/// contain `filter`, assembled.
fn guests(filter: &str) -> Vec<(&'static Macro, Image)> {
    const NAMES: [&str; 4] = ["crc32", "matmul", "sieve", "sort"];
    MACRO
        .iter()
        .filter(|m| NAMES.contains(&m.name) && m.name.contains(filter))
        .map(|m| {
            let image =
                measure::guest::assemble(&m.source, m.memory).unwrap_or_else(|e| panic!("{e}"));
            (m, image)
        })
        .collect()
}

/// One full run of `g` in `mode`: retired instructions and the time it
/// took. Panics if the output is not the expected one.
fn run_once(g: &Macro, image: &Image, mode: Mode) -> (u64, Duration) {
    let r = run(g.name, &[image], &mode.setup(g.memory))
        .unwrap_or_else(|e| panic!("{} ({}): {e}", g.name, mode.name()));
    assert!(
        r.outputs[0] == g.expected.as_bytes(),
        "{} ({}): output differs from its .expected:\n{}",
        g.name,
        mode.name(),
        String::from_utf8_lossy(&r.outputs[0])
    );
    if mode == Mode::Digest {
        assert_eq!(r.digests[0].count, r.counts.instructions);
    }
    (r.counts.instructions, r.span.time)
}

fn modes() -> Vec<Mode> {
    match std::env::var("GUESTS_BENCH_MODES") {
        Ok(s) => MODES
            .into_iter()
            .filter(|m| s.split(',').any(|w| w.trim() == m.name()))
            .collect(),
        Err(_) => MODES.to_vec(),
    }
}

fn load_average() -> String {
    measure::clock::load_average().map_or("?".into(), |l| format!("{l:.2}"))
}

/// The quick table: one run of each guest in each mode.
fn quick(filter: &str) {
    println!("load average before: {}", load_average());
    println!(
        "{:<8} {:<7} {:>12} {:>9} {:>8}",
        "guest", "mode", "instructions", "seconds", "MIPS"
    );
    for (g, image) in guests(filter) {
        for mode in modes() {
            let (n, t) = run_once(g, &image, mode);
            println!(
                "{:<8} {:<7} {:>12} {:>9.3} {:>8.1}",
                g.name,
                mode.name(),
                n,
                t.as_secs_f64(),
                n as f64 / t.as_secs_f64() / 1e6
            );
        }
    }
    println!("load average after: {}", load_average());
}

fn bench(c: &mut Criterion, filter: &str) {
    let mut table = Vec::new();
    for (g, image) in guests(filter) {
        let mut group = c.benchmark_group(format!("guests/{}", g.name));
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(500));
        // Ten runs of about a second each (the minimum criterion takes).
        group.measurement_time(Duration::from_secs(12));
        for mode in modes() {
            // Checks the output and counts the instructions of one run.
            let (insns, _) = run_once(g, &image, mode);
            group.throughput(Throughput::Elements(insns));
            let mut best = Duration::MAX;
            group.bench_function(mode.name(), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (_, t) = run_once(g, &image, mode);
                        best = best.min(t);
                        total += t;
                    }
                    total
                })
            });
            table.push((g.name, mode, insns, best));
        }
        group.finish();
    }
    println!(
        "\nbest run per guest and mode (load average {}):",
        load_average()
    );
    for (name, mode, n, t) in table {
        println!(
            "  {name:<8} {:<7} {:>8.1} MIPS",
            mode.name(),
            n as f64 / t.as_secs_f64() / 1e6
        );
    }
}

fn main() {
    // The first free argument (as `cargo bench -- NAME`) filters guests.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if std::env::var_os("GUESTS_BENCH_QUICK").is_some() {
        quick(&filter);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &filter);
    c.final_summary();
}
