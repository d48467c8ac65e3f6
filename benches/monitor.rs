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

fn main() {
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
