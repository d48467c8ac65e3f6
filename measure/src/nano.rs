//! Nanobenchmarks: what one operation costs, natively and under the
//! monitor.
//!
//! Each is measured as the difference between two loops of `nano.s`, one
//! that does the operation and the same loop without it, run for the same
//! number of iterations: boot, set-up, the translator's warm-up and the
//! loop's own overhead are in both and cancel. Before anything is timed:
//!
//! 1. **Counts.** Each loop runs for two small iteration counts; the
//!    difference of the hart's and the monitor's counters, divided by the
//!    difference of the counts, is what one iteration does. It must divide
//!    exactly (every iteration alike) and equal the loop's claims
//!    ([`crate::workloads::Loop`]): instructions retired, traps taken,
//!    exits. Every timed run is then checked against the same linear model,
//!    so a run that did something else fails instead of being timed.
//! 2. **Length.** The iteration count is chosen so that the loop with the
//!    operation runs for about [`crate::Settings::run_time`]: long against
//!    the clock's resolution and the scheduler's time slice, and the same
//!    for cheap and dear operations (a fixed count made a plain instruction
//!    loop last a tenth of a millisecond, which is why it once came out
//!    faster virtualized than natively).
//! 3. **Repetitions.** The pair is run `reps` times, the two loops
//!    alternating which goes first, after one warm-up pair; each pair gives
//!    one sample of (time with - time without) / operations, on the
//!    thread's CPU clock ([`crate::clock`]). The median and the range are
//!    reported.
//!
//! The world switch is a pair too: two guests running the plain loop side
//! by side at a quantum of [`SWITCH_QUANTUM`] instructions, against the
//! same two with a quantum so long that each runs to its end in one turn;
//! the operation count is the difference in world switches, counted by
//! the monitor.

use std::collections::BTreeMap;
use std::time::Duration;

use cpu::image::Image;
use cpu::privileged::Isa;
use serde::Serialize;

use crate::counts::{Counts, Exit};
use crate::env::Env;
use crate::guest;
use crate::run::{run, Run, Setup};
use crate::summary::Summary;
use crate::workloads::{Kind, Loop, Nano, PLAIN};
use crate::{BenchError, Settings};

/// Each nanobenchmark guest's RAM.
pub const MEMORY: u64 = 4 << 20;

/// The quantum the world switch is measured at. At the monitor's default
/// (10,000 instructions, some 1.3 µs of the plain loop) a switch of 60-80
/// ns is 5% of a run, and a pair's noise hid it (the median came out
/// negative); at 1,000 it is a third of the run. The switch does the same
/// work at either quantum.
pub const SWITCH_QUANTUM: u64 = 1_000;

/// Iteration counts of the counting runs (small: counts need no length).
const COUNT_AT: [u64; 2] = [16, 48];

/// What one operation did: the counters of the loop with it minus those of
/// the loop without it, per operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PerOp {
    pub instructions: f64,
    pub traps: f64,
    /// Every exit (shadow fills and budget exits included).
    pub exits: f64,
    /// By reason ([`Exit::name`]), the reasons that occur.
    pub exits_by_reason: BTreeMap<&'static str, f64>,
}

impl PerOp {
    fn of(with: &Counts, without: &Counts, ops: f64) -> PerOp {
        let d = |a: u64, b: u64| (a as f64 - b as f64) / ops;
        let mut by = BTreeMap::new();
        let mut exits = 0.0;
        for e in Exit::ALL {
            let v = d(with.exit(e), without.exit(e));
            exits += v;
            if v != 0.0 {
                by.insert(e.name(), v);
            }
        }
        PerOp {
            instructions: d(with.instructions, without.instructions),
            traps: d(with.traps, without.traps),
            exits,
            exits_by_reason: by,
        }
    }
}

/// One nanobenchmark in one environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NanoResult {
    pub env: Env,
    /// Loop iterations in each timed run (per guest, for the world switch).
    pub iterations: u64,
    /// Operations in each timed run.
    pub ops: u64,
    /// Nanoseconds per operation: the difference of the two loops.
    pub ns_per_op: Summary,
    pub per_op: PerOp,
    /// Each loop's own time per run, in milliseconds: the two terms of the
    /// difference, for judging it.
    pub with_ms: Summary,
    pub without_ms: Summary,
    /// The operation in plain instructions (ns per op over the native ns
    /// per plain instruction); set with the sanity checks.
    pub plain_equivalents: Option<f64>,
    /// Under a monitor: (ns per op here - natively) / exits per op here.
    pub added_ns_per_exit: Option<f64>,
    /// What the sanity checks found wrong (see [`crate::sanity`]).
    pub flags: Vec<crate::sanity::Flag>,
}

/// The assembled `nano.s`, from which each loop's image is made.
pub struct Lab {
    nano: Image,
}

impl Lab {
    pub fn new() -> Result<Lab, BenchError> {
        Ok(Lab {
            nano: guest::assemble(&guest::NANO, MEMORY)?,
        })
    }

    /// `nano.s` set to run `lp` for `n` iterations.
    pub fn image(&self, lp: &Loop, n: u64) -> Result<Image, BenchError> {
        let mut img = self.nano.clone();
        let header = guest::symbol(&img, lp.header)?;
        guest::set_u64(&mut img, "bench", header)?;
        guest::set_u64(&mut img, "iterations", n)?;
        Ok(img)
    }

    /// Runs `lp` for `n` iterations in `setup`.
    pub fn run(&self, lp: &Loop, n: u64, setup: &Setup) -> Result<Run, BenchError> {
        let img = self.image(lp, n)?;
        run(lp.header, &[&img], setup)
    }
}

/// How single-guest nanobenchmarks run in `env`: the quantum so long that
/// no budget exit interrupts a loop (the world switch measures those).
pub fn setup(env: Env) -> Setup {
    setup_on(env, Isa::Standard)
}

/// [`setup`] on a hart implementing `isa`.
pub fn setup_on(env: Env, isa: Isa) -> Setup {
    Setup {
        quantum: u64::MAX,
        isa,
        ..Setup::new(env, MEMORY)
    }
}

/// A loop's counters as a function of its iteration count, `at(n) =
/// anchor + (n - n0) × per`, established by two counting runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Model {
    pub n0: u64,
    pub anchor: Counts,
    pub per: Counts,
}

impl Model {
    /// The counts a run of `n ≥ n0` iterations must show.
    pub fn at(&self, n: u64) -> Option<Counts> {
        self.anchor.plus_times(self.per, n.checked_sub(self.n0)?)
    }

    /// Checks a run of `n` iterations against the model.
    pub fn check(&self, what: &str, env: Env, n: u64, got: &Counts) -> Result<(), BenchError> {
        match self.at(n) {
            Some(want) if want == *got => Ok(()),
            want => Err(BenchError::Counts {
                what: what.into(),
                env: env.name(),
                detail: format!(
                    "{n} iterations should count {want:?} (from the counting runs), counted {got:?}"
                ),
            }),
        }
    }
}

/// Counts `lp` per iteration in `env` and checks its claims.
pub fn model(lab: &Lab, lp: &Loop, env: Env) -> Result<Model, BenchError> {
    model_on(lab, lp, env, Isa::Standard)
}

/// [`model`] on a hart implementing `isa`.
pub fn model_on(lab: &Lab, lp: &Loop, env: Env, isa: Isa) -> Result<Model, BenchError> {
    let s = setup_on(env, isa);
    let [n0, n1] = COUNT_AT;
    let a = lab.run(lp, n0, &s)?.counts;
    let b = lab.run(lp, n1, &s)?.counts;
    let fail = |detail: String| BenchError::Counts {
        what: lp.header.into(),
        env: env.name(),
        detail,
    };
    let per = (b - a).and_then(|d| d.div_exact(n1 - n0)).ok_or_else(|| {
        fail(format!(
            "not the same every iteration: {n0} iterations counted {a:?}, {n1} counted {b:?}"
        ))
    })?;
    let claims = [
        ("instructions", per.instructions, lp.instructions),
        ("traps", per.traps, lp.traps),
        ("exits", per.exits_claimed(), lp.exits_on(env, isa)),
    ];
    for (name, got, claimed) in claims {
        if got != claimed {
            return Err(fail(format!(
                "claims {claimed} {name} per iteration, the counters say {got} ({per:?})"
            )));
        }
    }
    Ok(Model { n0, anchor: a, per })
}

/// The iteration count at which `lp` runs for about `target` in `env`
/// (what [`measure`] times it at).
pub fn loop_length(lab: &Lab, lp: &Loop, env: Env, target: Duration) -> Result<u64, BenchError> {
    loop_length_on(lab, lp, env, Isa::Standard, target)
}

/// [`loop_length`] on a hart implementing `isa`.
fn loop_length_on(
    lab: &Lab,
    lp: &Loop,
    env: Env,
    isa: Isa,
    target: Duration,
) -> Result<u64, BenchError> {
    let s = setup_on(env, isa);
    calibrate(target, 1024, |n| lab.run(lp, n, &s))
}

/// Grows `n` until `f(n)` takes at least a quarter of `target`, then scales
/// it to `target`.
fn calibrate(
    target: Duration,
    start: u64,
    mut f: impl FnMut(u64) -> Result<Run, BenchError>,
) -> Result<u64, BenchError> {
    const LIMIT: u64 = 1 << 40;
    let mut n = start.max(1);
    loop {
        let t = f(n)?.span.time;
        if t >= target / 4 || n >= LIMIT {
            let scale = target.as_secs_f64() / t.as_secs_f64().max(1e-9);
            return Ok(((n as f64 * scale) as u64).clamp(start.max(1), LIMIT));
        }
        n = n.saturating_mul(if t.is_zero() { 16 } else { 4 });
    }
}

/// Runs the pair `with`/`without` `reps` times after one warm-up pair,
/// alternating which goes first.
fn pairs(
    reps: usize,
    progress: &mut dyn FnMut(&str),
    label: &str,
    with: &mut dyn FnMut() -> Result<Run, BenchError>,
    without: &mut dyn FnMut() -> Result<Run, BenchError>,
) -> Result<Vec<(Run, Run)>, BenchError> {
    with()?;
    without()?;
    let mut out = Vec::with_capacity(reps);
    for rep in 0..reps {
        progress(&format!("{label}: repetition {}/{reps}", rep + 1));
        let pair = if rep % 2 == 0 {
            let w = with()?;
            (w, without()?)
        } else {
            let wo = without()?;
            (with()?, wo)
        };
        out.push(pair);
    }
    Ok(out)
}

fn summary(samples: Vec<f64>) -> Result<Summary, BenchError> {
    Summary::of(samples)
        .ok_or_else(|| BenchError::Setup("no samples (reps must be at least 1)".into()))
}

fn ms(r: &Run) -> f64 {
    r.span.time.as_secs_f64() * 1e3
}

/// Measures `nano` in `env`, or `None` if it does not apply there (the
/// world switch natively).
pub fn measure(
    lab: &Lab,
    nano: &Nano,
    env: Env,
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<NanoResult>, BenchError> {
    let label = format!("{} ({})", nano.name, env.name());
    match nano.kind {
        Kind::Loops { op, .. } if !op.runs_in(env, settings.isa) => Ok(None),
        Kind::Loops {
            op,
            base,
            per_iteration,
        } => {
            progress(&format!("{label}: counting"));
            let isa = settings.isa;
            let m_op = model_on(lab, &op, env, isa)?;
            let m_base = model_on(lab, &base, env, isa)?;
            let s = setup_on(env, isa);
            progress(&format!("{label}: choosing the loop length"));
            let n = loop_length_on(lab, &op, env, isa, settings.run_time)?;
            let runs = pairs(
                settings.reps,
                progress,
                &label,
                &mut || {
                    let r = lab.run(&op, n, &s)?;
                    m_op.check(op.header, env, n, &r.counts)?;
                    Ok(r)
                },
                &mut || {
                    let r = lab.run(&base, n, &s)?;
                    m_base.check(base.header, env, n, &r.counts)?;
                    Ok(r)
                },
            )?;
            let ops = n * per_iteration;
            let ns = runs
                .iter()
                .map(|(w, wo)| {
                    (w.span.time.as_secs_f64() - wo.span.time.as_secs_f64()) * 1e9 / ops as f64
                })
                .collect();
            Ok(Some(NanoResult {
                env,
                iterations: n,
                ops,
                ns_per_op: summary(ns)?,
                per_op: PerOp::of(&m_op.per, &m_base.per, per_iteration as f64),
                with_ms: summary(runs.iter().map(|(w, _)| ms(w)).collect())?,
                without_ms: summary(runs.iter().map(|(_, wo)| ms(wo)).collect())?,
                plain_equivalents: None,
                added_ns_per_exit: None,
                flags: Vec::new(),
            }))
        }
        Kind::WorldSwitch if env.is_native() => Ok(None),
        Kind::WorldSwitch => world_switch(lab, env, settings, progress, &label).map(Some),
    }
}

/// Two guests running [`PLAIN`]'s loop for `n` iterations each, sharing
/// the hart with quantum `quantum`.
fn two_guests(lab: &Lab, env: Env, n: u64, quantum: u64) -> Result<Run, BenchError> {
    let img = lab.image(&PLAIN, n)?;
    let s = Setup {
        quantum,
        ..Setup::new(env, MEMORY)
    };
    run("world-switch", &[&img, &img], &s)
}

/// Checks a run of two guests of `n` iterations of [`PLAIN`] (counted by
/// `m`) at `quantum`: each runs in turns of exactly `quantum` instructions
/// (nothing in its loop exits), so it is switched in ceil(I / quantum)
/// times; with a quantum of `u64::MAX`, once.
fn switch_check(m: &Model, env: Env, n: u64, quantum: u64, r: &Run) -> Result<(), BenchError> {
    let fail = |detail: String| BenchError::Counts {
        what: "world-switch".into(),
        env: env.name(),
        detail,
    };
    let one = m
        .at(n)
        .ok_or_else(|| fail(format!("{n} iterations: fewer than the counting runs'")))?;
    let turns = one.instructions.div_ceil(quantum);
    let want = 2 * one.instructions;
    if r.counts.instructions != want || r.counts.world_switches != 2 * turns {
        return Err(fail(format!(
            "two guests of {n} iterations at quantum {quantum} should retire {want} instructions in {} turns; counted {} in {}",
            2 * turns,
            r.counts.instructions,
            r.counts.world_switches
        )));
    }
    Ok(())
}

fn world_switch(
    lab: &Lab,
    env: Env,
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
    label: &str,
) -> Result<NanoResult, BenchError> {
    let q = SWITCH_QUANTUM;
    let alone = u64::MAX;
    progress(&format!("{label}: counting"));
    let m = model(lab, &PLAIN, env)?;
    let check = |n: u64, quantum: u64, r: &Run| switch_check(&m, env, n, quantum, r);
    let (n0, n1) = (COUNT_AT[1] * 100, COUNT_AT[1] * 200);
    for n in [n0, n1] {
        check(n, q, &two_guests(lab, env, n, q)?)?;
        check(n, alone, &two_guests(lab, env, n, alone)?)?;
    }
    progress(&format!("{label}: choosing the loop length"));
    let n = calibrate(settings.run_time, 4 * q, |n| two_guests(lab, env, n, q))?;
    let runs = pairs(
        settings.reps,
        progress,
        label,
        &mut || {
            let r = two_guests(lab, env, n, q)?;
            check(n, q, &r)?;
            Ok(r)
        },
        &mut || {
            let r = two_guests(lab, env, n, alone)?;
            check(n, alone, &r)?;
            Ok(r)
        },
    )?;
    let (w, wo) = (&runs[0].0.counts, &runs[0].1.counts);
    let ops = w.world_switches - wo.world_switches;
    if ops == 0 {
        return Err(BenchError::Counts {
            what: "world-switch".into(),
            env: env.name(),
            detail: format!("{n} iterations make no more switches at quantum {q} than alone"),
        });
    }
    let ns = runs
        .iter()
        .map(|(w, wo)| (w.span.time.as_secs_f64() - wo.span.time.as_secs_f64()) * 1e9 / ops as f64)
        .collect();
    Ok(NanoResult {
        env,
        iterations: n,
        ops,
        ns_per_op: summary(ns)?,
        per_op: PerOp::of(w, wo, ops as f64),
        with_ms: summary(runs.iter().map(|(w, _)| ms(w)).collect())?,
        without_ms: summary(runs.iter().map(|(_, wo)| ms(wo)).collect())?,
        plain_equivalents: None,
        added_ns_per_exit: None,
        flags: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Strategy;
    use crate::workloads::{BASE, NANO};

    const TRAP: Env = Env::Monitor(Strategy::Trap);

    fn loops() -> Vec<Loop> {
        let mut v: Vec<Loop> = Vec::new();
        for n in &NANO {
            if let Kind::Loops { op, base, .. } = n.kind {
                for l in [op, base] {
                    if !v.contains(&l) {
                        v.push(l);
                    }
                }
            }
        }
        v
    }

    #[test]
    fn every_loop_does_what_it_claims_natively_and_under_the_monitor() {
        let lab = Lab::new().unwrap();
        for isa in [Isa::Standard, Isa::Leaky] {
            for lp in loops() {
                for env in Env::ALL.into_iter().filter(|&e| lp.runs_in(e, isa)) {
                    let m = model_on(&lab, &lp, env, isa)
                        .unwrap_or_else(|e| panic!("--isa {isa}: {e}"));
                    // The linear model predicts a longer run exactly.
                    let r = lab.run(&lp, 100, &setup_on(env, isa)).unwrap();
                    m.check(lp.header, env, 100, &r.counts).unwrap();
                }
            }
        }
    }

    /// The Popek–Goldberg lab's figures: on `--isa leaky`, reading
    /// `sstatus` and toggling SIE exit under trap-and-emulate no more (the
    /// flaw: the monitor never sees them), and still do under binary
    /// translation (the repair); on the standard ISA both exit.
    #[test]
    fn on_the_leaky_isa_sstatus_escapes_trap_and_emulate_but_not_bt() {
        let lab = Lab::new().unwrap();
        let op = |name: &str| {
            crate::workloads::NANO
                .iter()
                .find(|n| n.name == name)
                .unwrap()
                .op()
        };
        let bt = Env::Monitor(Strategy::Bt);
        for (name, standard_trap) in [("sstatus-read", 1), ("sie-toggle", 2)] {
            let lp = op(name);
            let exits = |env, isa| {
                model_on(&lab, &lp, env, isa)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .per
                    .exits_claimed()
            };
            assert_eq!(exits(TRAP, Isa::Standard), standard_trap, "{name}");
            assert_eq!(exits(TRAP, Isa::Leaky), 0, "{name}: the flaw");
            assert_eq!(exits(bt, Isa::Leaky), 1, "{name}: the repair");
            assert_eq!(exits(Env::Native, Isa::Leaky), 0, "{name}");
        }
    }

    #[test]
    fn a_loop_that_does_not_do_what_it_claims_fails_loudly() {
        let lab = Lab::new().unwrap();
        let wrong = Loop {
            instructions: 3,
            ..BASE
        };
        let e = model(&lab, &wrong, Env::Native).unwrap_err().to_string();
        assert!(
            e.contains("claims 3 instructions per iteration, the counters say 2"),
            "{e}"
        );
        let e = model(
            &lab,
            &Loop {
                trap_exits: 0,
                ..crate::workloads::NANO[3].op()
            },
            TRAP,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("claims 0 exits") && e.contains("(trap)"), "{e}");
        // A timed run is held to the counting runs' model.
        let m = model(&lab, &BASE, Env::Native).unwrap();
        let r = lab.run(&PLAIN, 100, &setup(Env::Native)).unwrap();
        let e = m
            .check("bench_base", Env::Native, 100, &r.counts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("100 iterations should count"), "{e}");
    }

    #[test]
    fn two_guests_switch_once_a_quantum_each() {
        let lab = Lab::new().unwrap();
        let m = model(&lab, &PLAIN, TRAP).unwrap();
        let q = 1000;
        for n in [500, 4321] {
            let r = two_guests(&lab, TRAP, n, q).unwrap();
            switch_check(&m, TRAP, n, q, &r).unwrap();
            let alone = two_guests(&lab, TRAP, n, u64::MAX).unwrap();
            switch_check(&m, TRAP, n, u64::MAX, &alone).unwrap();
            assert_eq!(alone.counts.world_switches, 2);
            assert!(r.counts.world_switches > 2 * n * 10 / q);
            // Each extra switch is one more budget exit.
            assert_eq!(
                r.counts.exit(Exit::Budget) - alone.counts.exit(Exit::Budget),
                r.counts.world_switches - alone.counts.world_switches
            );
        }
        let r = two_guests(&lab, TRAP, 500, q).unwrap();
        assert!(switch_check(&m, TRAP, 500, 2 * q, &r).is_err());
    }

    #[test]
    fn a_quick_measurement_gives_a_sample_per_repetition() {
        let lab = Lab::new().unwrap();
        let settings = Settings {
            reps: 3,
            run_time: Duration::from_millis(1),
            isa: cpu::privileged::Isa::Standard,
        };
        let mut steps = Vec::new();
        let nano = crate::workloads::nano_named("syscall").unwrap();
        for env in Env::ALL {
            let r = measure(&lab, nano, env, &settings, &mut |s| {
                steps.push(s.to_string())
            })
            .unwrap()
            .unwrap();
            assert_eq!(r.ns_per_op.samples.len(), 3);
            assert_eq!(r.ops, r.iterations);
            assert_eq!(r.per_op.instructions, 5.0);
            assert_eq!(r.per_op.traps, 1.0);
            // Under the monitor: the U-mode ecall, the CSR reads and the
            // sret of the handler (under bt as calls or traps: the same
            // exits).
            let exits = match env {
                Env::Native => 0.0,
                Env::Monitor(_) => 4.0,
            };
            assert_eq!(r.per_op.exits, exits, "{}", env.name());
        }
        assert!(
            steps.iter().any(|s| s == "syscall (trap): repetition 3/3"),
            "{steps:?}"
        );
        let ws = crate::workloads::nano_named("world-switch").unwrap();
        assert!(measure(&lab, ws, Env::Native, &settings, &mut |_| {})
            .unwrap()
            .is_none());
    }
}
