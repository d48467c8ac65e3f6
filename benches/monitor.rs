//! What virtualization costs, under criterion: the workloads of
//! `trapvisor bench`, run by the same code (the `measure` crate), so that
//! a change judged here is judged as the command would judge it.
//!
//! - `nano/NAME/ENV/with` and `.../without`: the loop of `nano.s` that does
//!   the operation and the same loop without it, each at the iteration
//!   count `trapvisor bench` chooses (about 40 ms a run), their counts
//!   checked first. Criterion's throughput is in operations, so the
//!   difference of the two "elem/s" times is the cost of one operation; the
//!   summary table at the end computes it as `trapvisor bench` does.
//! - `macro/NAME/ENV`: whole guests (compiled C, system calls, page
//!   faults, time sharing), in guest instructions.
//! - `scaling/K`: K copies of the compiled C side by side.
//!
//! Each iteration is one run, timed on the thread's CPU clock as the
//! command times it (`measure::clock`). `cargo bench --bench monitor [--
//! FILTER]` runs criterion and then prints the command's table;
//! `MBENCH_QUICK=1 cargo bench --bench monitor` prints only the table (the
//! same as `trapvisor bench`, which needs no cargo).
//!
//! Host instructions per operation, repeatable on a shared machine: one
//! run, no timing, under callgrind at two iteration counts, with
//! `MBENCH_COUNT=NAME:ENV:SIDE:N cargo bench --bench monitor` (`SIDE` is
//! `with` or `without`; for `world-switch`, `with` is two guests at
//! `measure::nano::SWITCH_QUANTUM` and `without` the same two each in one
//! turn). The
//! difference of the two totals over the difference of the counts is one
//! iteration's host instructions; with minus without, one operation's:
//! `valgrind --tool=callgrind --smc-check=all-non-file` (the translator
//! writes host code), e.g. `MBENCH_COUNT=csr-read:trap:with:2000`.
//! `MBENCH_COUNT=scaling:ENV:K:N` runs K copies of the scaling guest side
//! by side, N iterations each (host instructions per guest instruction at
//! K guests against 1).

use std::time::Duration;

use criterion::{Criterion, Throughput};
use measure::env::Env;
use measure::nano::{self, Lab};
use measure::run::{run, Setup};
use measure::workloads::{Kind, MACRO, NANO, SCALING};
use measure::{guest, Plan, Settings};

/// Sums the measuring clock over `iters` calls of `f`.
fn timed(iters: u64, mut f: impl FnMut() -> measure::run::Run) -> Duration {
    (0..iters).map(|_| f().span.time).sum()
}

fn nanobenchmarks(c: &mut Criterion, lab: &Lab) {
    let target = Settings::default().run_time;
    for n in &NANO {
        let Kind::Loops {
            op,
            base,
            per_iteration,
        } = n.kind
        else {
            // The world switch needs two guests: `trapvisor bench world-switch`.
            continue;
        };
        let mut g = c.benchmark_group(format!("nano/{}", n.name));
        g.sample_size(10);
        for env in Env::ALL {
            for lp in [&op, &base] {
                nano::model(lab, lp, env).unwrap_or_else(|e| panic!("{e}"));
            }
            let iters = nano::loop_length(lab, &op, env, target).unwrap_or_else(|e| panic!("{e}"));
            let setup = nano::setup(env);
            g.throughput(Throughput::Elements(iters * per_iteration));
            for (side, lp) in [("with", &op), ("without", &base)] {
                g.bench_function(format!("{}/{side}", env.name()), |b| {
                    b.iter_custom(|k| timed(k, || lab.run(lp, iters, &setup).unwrap()))
                });
            }
        }
        g.finish();
    }
}

fn macrobenchmarks(c: &mut Criterion) {
    for w in MACRO.iter().filter(|m| m.default) {
        let image = guest::assemble(&w.source, w.memory).unwrap_or_else(|e| panic!("{e}"));
        let mut g = c.benchmark_group(format!("macro/{}", w.name));
        g.sample_size(10);
        for env in Env::ALL {
            let setup = Setup::new(env, w.memory);
            let first = run(w.name, &[&image], &setup).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(first.outputs[0], w.expected.as_bytes(), "{}", w.name);
            g.throughput(Throughput::Elements(first.counts.instructions));
            g.bench_function(env.name(), |b| {
                b.iter_custom(|k| timed(k, || run(w.name, &[&image], &setup).unwrap()))
            });
        }
        g.finish();
    }
}

fn scaling(c: &mut Criterion) {
    let mut image = guest::assemble(&SCALING.source, SCALING.memory).unwrap();
    guest::set_u64(&mut image, "iterations", SCALING.iterations).unwrap();
    let setup = Setup::new(Env::ALL[1], SCALING.memory);
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    for k in [1usize, 8, 64] {
        let images = vec![&image; k];
        let first = run("scaling", &images, &setup).unwrap_or_else(|e| panic!("{e}"));
        g.throughput(Throughput::Elements(first.counts.instructions));
        g.bench_function(k.to_string(), |b| {
            b.iter_custom(|n| timed(n, || run("scaling", &images, &setup).unwrap()))
        });
    }
    g.finish();
}

/// `trapvisor bench`'s table.
fn summary() {
    let report = measure::measure(&Plan::everything(Settings::default()), &mut |p| {
        eprint!("\r\x1b[K[{}/{}] {}", p.done, p.total, p.doing);
    })
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!();
    println!("{}", measure::report::table(&report));
}

/// One counted run for callgrind (see the module documentation): runs the
/// guests under the monitor as `trapvisor bench` does, but without its
/// clock (valgrind has no vDSO for it), and prints the run's counters.
fn count(spec: &str) {
    use cpu::devices::Console;
    let parts: Vec<&str> = spec.split(':').collect();
    let [name, env, side, n] = parts[..] else {
        panic!("MBENCH_COUNT is NAME:ENV:SIDE:N, not {spec}");
    };
    let env = Env::from_name(env).unwrap_or_else(|| panic!("{env}: native, trap, bt or pv"));
    let n: u64 = n.parse().unwrap_or_else(|e| panic!("N: {e}"));
    if name == "scaling" {
        let guests: usize = side.parse().unwrap_or_else(|e| panic!("K: {e}"));
        count_scaling(spec, env, guests, n);
        return;
    }
    let nano =
        measure::workloads::nano_named(name).unwrap_or_else(|| panic!("no nanobenchmark {name}"));
    let lab = Lab::new().unwrap_or_else(|e| panic!("{e}"));
    let (lp, guests, quantum) = match (nano.kind, side) {
        (Kind::Loops { op, .. }, "with") => (op, 1, u64::MAX),
        (Kind::Loops { base, .. }, "without") => (base, 1, u64::MAX),
        (Kind::WorldSwitch, "with") => {
            (measure::workloads::PLAIN, 2, measure::nano::SWITCH_QUANTUM)
        }
        (Kind::WorldSwitch, "without") => (measure::workloads::PLAIN, 2, u64::MAX),
        _ => panic!("SIDE is with or without, not {side}"),
    };
    let image = lab.image(&lp, n).unwrap_or_else(|e| panic!("{e}"));
    let Env::Monitor(strategy) = env else {
        assert_eq!(guests, 1, "natively, one guest");
        let mut m = cpu::machine::Machine::boot(&image, nano::MEMORY, Console::buffered(&[]).0)
            .unwrap_or_else(|e| panic!("{e}"));
        m.run();
        println!(
            "{spec}: {:?}",
            measure::counts::Counts::native(m.hart.stats())
        );
        return;
    };
    count_copies(spec, strategy, &image, nano::MEMORY, guests, quantum);
}

/// Runs `guests` copies of `image` side by side under `strategy` at
/// `quantum`, and prints the counts of the run.
fn count_copies(
    spec: &str,
    strategy: measure::env::Strategy,
    image: &cpu::image::Image,
    memory: u64,
    guests: usize,
    quantum: u64,
) {
    use cpu::devices::Console;
    use monitor::{GuestImage, GuestSpec, Monitor};
    let mut m: Monitor = Monitor::new();
    m.set_strategy(strategy.monitor());
    for k in 0..guests {
        m.add_guest(GuestSpec {
            name: format!("g{k}"),
            image: GuestImage::from(image),
            memory,
            console: Console::buffered(&[]).0,
            max_instructions: u64::MAX,
        });
    }
    let reports = m.run(quantum).unwrap_or_else(|e| panic!("{e}"));
    let counts = measure::counts::Counts::monitored(&reports);
    println!("{spec}: {counts:?}");
}

/// `MBENCH_COUNT=scaling:ENV:K:N`: K copies of the scaling runs' guest
/// side by side at the default quantum, each running N iterations.
fn count_scaling(spec: &str, env: Env, guests: usize, iterations: u64) {
    let Env::Monitor(strategy) = env else {
        panic!("scaling: under the monitor only (trap, bt or pv)");
    };
    let w = SCALING;
    let mut image = guest::assemble(&w.source, w.memory).unwrap_or_else(|e| panic!("{e}"));
    guest::set_u64(&mut image, "iterations", iterations).unwrap_or_else(|e| panic!("{e}"));
    count_copies(
        spec,
        strategy,
        &image,
        w.memory,
        guests,
        monitor::DEFAULT_QUANTUM,
    );
}

fn main() {
    if let Some(spec) = std::env::var_os("MBENCH_COUNT") {
        count(&spec.to_string_lossy());
        return;
    }
    if std::env::var_os("MBENCH_QUICK").is_none() {
        let mut c = Criterion::default().configure_from_args();
        let lab = Lab::new().unwrap_or_else(|e| panic!("{e}"));
        nanobenchmarks(&mut c, &lab);
        macrobenchmarks(&mut c);
        scaling(&mut c);
        c.final_summary();
    }
    summary();
}
