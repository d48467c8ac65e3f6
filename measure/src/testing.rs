//! Synthetic results for the tests of the sanity checks and the output
//! formats: a report as `measure` would make it, with chosen numbers.

use std::collections::BTreeMap;

use crate::clock::{Clock, Host};
use crate::env::{Env, Strategy};
use crate::nano::{NanoResult, PerOp};
use crate::report::{Conditions, NanoReport, Report, SettingsUsed, SCHEMA};
use crate::scaling::{ScalingPoint, ScalingReport};
use crate::summary::Summary;
use crate::whole::{MacroReport, MacroResult};

pub const TRAP: Env = Env::Monitor(Strategy::Trap);

/// A nanobenchmark result with these samples (ns per op) and exits per op.
pub fn nano(env: Env, samples: &[f64], exits: f64) -> NanoResult {
    let mut by = BTreeMap::new();
    if exits > 0.0 {
        by.insert("illegal-instruction", exits);
    }
    NanoResult {
        env,
        iterations: 1000,
        ops: 1000,
        ns_per_op: Summary::of(samples.to_vec()).unwrap(),
        per_op: PerOp {
            instructions: 1.0,
            traps: 0.0,
            exits,
            exits_by_reason: by,
        },
        with_ms: Summary::of(vec![2.0]).unwrap(),
        without_ms: Summary::of(vec![1.0]).unwrap(),
        plain_equivalents: None,
        added_ns_per_exit: None,
        flags: Vec::new(),
    }
}

pub fn nano_report(name: &'static str, results: Vec<NanoResult>) -> NanoReport {
    NanoReport {
        name,
        title: name,
        analogue: "x",
        in_paper: false,
        results,
    }
}

pub fn whole(env: Env, samples: &[f64], exits_per_million: f64) -> MacroResult {
    MacroResult {
        env,
        seconds: Summary::of(samples.to_vec()).unwrap(),
        mips: 100.0,
        exits_per_million,
        exits_per_million_by_reason: BTreeMap::from([("budget", exits_per_million)]),
        traps_per_million: 0.0,
        efficiency: None,
        flags: Vec::new(),
    }
}

/// A report with plain (0.2 ns natively and virtualized), csr-read (30 ns
/// natively, 60 ns and 1 exit virtualized), world-switch (500 ns, 1 exit,
/// virtualized only), one macrobenchmark (1 s natively, 1.25 s
/// virtualized) and two scaling points.
pub fn report() -> Report {
    Report {
        schema: SCHEMA,
        trapvisor: "0.0.0",
        host: Host {
            cpus: 2,
            cpu_model: Some("Test CPU".into()),
            cpu_mhz: Some(2600.0),
            os: "linux",
            arch: "x86_64",
        },
        conditions: Conditions {
            clock: Clock::ThreadCpu,
            load_before: Some(1.0),
            load_after: Some(1.5),
            cpu_share: 0.9,
            steal_share: Some(0.01),
            seconds: 20.0,
        },
        settings: SettingsUsed {
            reps: 3,
            run_ms: 40.0,
            quantum: 10_000,
            envs: vec![Env::Native, TRAP],
            isa: cpu::privileged::Isa::Standard,
        },
        nano: vec![
            nano_report(
                "plain",
                vec![
                    nano(Env::Native, &[0.2, 0.21, 0.19], 0.0),
                    nano(TRAP, &[0.2, 0.2, 0.2], 0.0),
                ],
            ),
            nano_report(
                "csr-read",
                vec![
                    nano(Env::Native, &[30.0, 31.0, 29.0], 0.0),
                    nano(TRAP, &[60.0, 61.0, 59.0], 1.0),
                ],
            ),
            nano_report(
                "world-switch",
                vec![nano(TRAP, &[500.0, 510.0, 490.0], 1.0)],
            ),
        ],
        macros: vec![MacroReport {
            name: "c-cpu",
            title: "compiled C",
            instructions: 1_000_000,
            runs_per_sample: 1,
            results: vec![
                whole(Env::Native, &[1.0, 1.01, 0.99], 0.0),
                whole(TRAP, &[1.25, 1.26, 1.24], 100.0),
            ],
        }],
        scaling: Some(ScalingReport {
            workload: "c-cpu",
            env: TRAP,
            quantum: 10_000,
            instructions_per_guest: 1_000_000,
            points: [(1, 0.01, 100.0, 1.0), (2, 0.025, 80.0, 0.8)]
                .into_iter()
                .map(|(guests, s, mips, relative)| ScalingPoint {
                    guests,
                    seconds: Summary::of(vec![s]).unwrap(),
                    runs_per_sample: 1,
                    mips,
                    relative,
                    world_switches: 2 * guests as u64,
                    host_bytes_per_guest: Some(1 << 20),
                    machine_bytes_per_guest: 4 << 20,
                })
                .collect(),
        }),
    }
}
