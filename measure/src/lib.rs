//! What a trap costs: the workloads of `trapvisor bench` and how they are
//! measured.
//!
//! `trapvisor bench` (the command) and the criterion benches in `benches/`
//! both measure through this crate, so that they run the same guests the
//! same way and their numbers can be compared:
//!
//! - [`workloads`]: what is measured, and what each workload claims to do;
//! - [`guest`]: the guests' sources, built into the program, and how they
//!   are assembled and given their parameters;
//! - [`run`]: one run of guests natively or under the monitor, timed and
//!   counted;
//! - [`nano`], [`whole`], [`scaling`]: the three kinds of measurement;
//! - [`sanity`]: what no sound measurement can give, flagged;
//! - [`report`] and [`plot`]: the table, JSON, CSV and SVG.
//!
//! Where a run's time comes from, and why, is [`clock`]'s documentation;
//! how a difference of two loops becomes a cost per operation, [`nano`]'s.
#![forbid(unsafe_code)]

pub mod clock;
pub mod counts;
pub mod env;
pub mod guest;
pub mod nano;
pub mod plot;
pub mod report;
pub mod run;
pub mod sanity;
pub mod scaling;
pub mod summary;
#[cfg(test)]
mod testing;
pub mod whole;
pub mod workloads;

use std::time::Duration;

use clock::Stamp;
use cpu::image::Image;
use env::Env;
use report::{Conditions, NanoReport, Report, SettingsUsed};
use workloads::{FileMacro, Macro, Nano, Scaling};

/// Why a benchmark could not be measured. Each is a failure of the
/// benchmark (or of trapvisor), never a number to report.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{file}: {message}")]
    Assembly { file: String, message: String },
    #[error("the guest has no symbol `{0}`")]
    Symbol(String),
    #[error("{0}")]
    Setup(String),
    #[error("{what} ({env}): the guest did not end cleanly: {how}\nits output:\n{output}")]
    Guest {
        what: String,
        env: &'static str,
        how: String,
        output: String,
    },
    #[error("{what} ({env}): printed\n{got}\ninstead of\n{expected}")]
    Output {
        what: String,
        env: &'static str,
        expected: String,
        got: String,
    },
    #[error("{what} ({env}): the counts are not what the benchmark claims: {detail}")]
    Counts {
        what: String,
        env: &'static str,
        detail: String,
    },
}

/// How long and how often to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Timed repetitions of every measurement (the median is reported).
    pub reps: usize,
    /// How long each timed run should last (nanobenchmarks choose their
    /// loop length for it; short guests are run several times in a row).
    pub run_time: Duration,
    /// The privileged ISA the hart implements (`trapvisor bench --isa`).
    pub isa: cpu::privileged::Isa,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            reps: 5,
            run_time: Duration::from_millis(40),
            isa: cpu::privileged::Isa::Standard,
        }
    }
}

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub nano: Vec<&'static Nano>,
    pub macros: Vec<&'static Macro>,
    /// Whole guests whose images were read from files (the Linux boot).
    pub files: Vec<(&'static FileMacro, Image)>,
    /// The guest counts of the scaling runs (none: no scaling runs).
    pub guests: Vec<usize>,
    pub scaling: Scaling,
    /// Native first; every other one is compared with it.
    pub envs: Vec<Env>,
    pub settings: Settings,
}

impl Plan {
    /// Everything: every nanobenchmark, the default macrobenchmarks, the
    /// default scaling runs, in every environment.
    pub fn everything(settings: Settings) -> Plan {
        Plan {
            nano: workloads::NANO.iter().collect(),
            macros: workloads::MACRO.iter().filter(|m| m.default).collect(),
            files: Vec::new(),
            guests: workloads::DEFAULT_GUESTS.to_vec(),
            scaling: workloads::SCALING,
            envs: Env::ALL.to_vec(),
            settings,
        }
    }
}

/// Where [`measure`] is: `done` of `total` steps, and what it does now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub doing: &'a str,
}

/// Measures everything `plan` asks for, telling `progress` as it goes.
/// Native runs come first in each comparison; the plain instruction is
/// measured whenever any nanobenchmark is (every other operation is
/// expressed in plain instructions).
pub fn measure(plan: &Plan, progress: &mut dyn FnMut(Progress)) -> Result<Report, BenchError> {
    let start = Stamp::now();
    let load_before = clock::load_average();
    let steal_before = clock::steal_ticks();
    let s = &plan.settings;
    if s.reps == 0 {
        return Err(BenchError::Setup(
            "at least one repetition is needed".into(),
        ));
    }
    let mut envs = plan.envs.clone();
    envs.sort();
    envs.dedup();
    if envs.first() != Some(&Env::Native) {
        envs.insert(0, Env::Native);
    }
    let mut nano_list: Vec<&Nano> = plan.nano.clone();
    if !nano_list.is_empty() && !nano_list.iter().any(|n| n.name == "plain") {
        nano_list.insert(0, &workloads::NANO[0]);
    }
    let total =
        nano_list.len() * envs.len() + plan.macros.len() + plan.files.len() + plan.guests.len();
    let mut done = 0;
    let mut say = |done: usize, doing: &str| progress(Progress { done, total, doing });

    let mut nano = Vec::new();
    if !nano_list.is_empty() {
        let lab = nano::Lab::new()?;
        for n in nano_list {
            let mut results = Vec::new();
            for &e in &envs {
                if let Some(r) = nano::measure(&lab, n, e, s, &mut |d| say(done, d))? {
                    results.push(r);
                }
                done += 1;
            }
            nano.push(NanoReport {
                name: n.name,
                title: n.title,
                analogue: n.analogue,
                in_paper: n.in_paper,
                results,
            });
        }
    }
    let mut macros = Vec::new();
    for w in &plan.macros {
        macros.push(whole::measure(w, &envs, s, &mut |d| say(done, d))?);
        done += 1;
    }
    for (w, image) in &plan.files {
        macros.push(whole::measure_file(w, image, &envs, s, &mut |d| {
            say(done, d)
        })?);
        done += 1;
    }
    let mut scaling = None;
    if !plan.guests.is_empty() {
        let env = envs
            .iter()
            .copied()
            .find(|e| !e.is_native())
            .unwrap_or(Env::Native);
        scaling = Some(scaling::measure(
            &plan.scaling,
            env,
            &plan.guests,
            s,
            &mut |d| say(done, d),
        )?);
    }
    say(total, "done");
    let span = start.elapsed();
    let steal_share = match (steal_before, clock::steal_ticks()) {
        (Some((s0, t0)), Some((s1, t1))) if t1 > t0 => Some((s1 - s0) as f64 / (t1 - t0) as f64),
        _ => None,
    };
    let mut report = Report {
        schema: report::SCHEMA,
        trapvisor: env!("CARGO_PKG_VERSION"),
        host: clock::Host::probe(),
        conditions: Conditions {
            clock: clock::clock(),
            load_before,
            load_after: clock::load_average(),
            cpu_share: span.time.as_secs_f64() / span.wall.as_secs_f64().max(1e-9),
            steal_share,
            seconds: span.wall.as_secs_f64(),
        },
        settings: SettingsUsed {
            reps: s.reps,
            run_ms: s.run_time.as_secs_f64() * 1e3,
            quantum: monitor::DEFAULT_QUANTUM,
            envs,
            isa: s.isa,
        },
        nano,
        macros,
        scaling,
    };
    sanity::check(&mut report);
    Ok(report)
}
