//! Macrobenchmarks: whole guests, natively and under the monitor.
//!
//! A guest first runs once in every environment to be counted and checked:
//! it must print exactly its expected output (a guest read from a file,
//! such as a Linux kernel, has none written down: it must print what it
//! printed in the first environment), and retire the same number
//! of instructions everywhere (the equivalence property; a guest that did
//! not is not measured). Then each repetition runs it once in every
//! environment, one after the other, each timed on the thread's CPU clock;
//! a guest shorter than the settings' run time is run several times in a
//! row and timed together, so that every sample is long against the
//! clock. Each run's counters must equal the counting run's (the guests
//! are deterministic).

use std::collections::BTreeMap;

use cpu::image::Image;
use serde::Serialize;

use crate::counts::{Counts, Exit};
use crate::env::{Env, Strategy};
use crate::guest;
use crate::run::{run, Run, Setup};
use crate::summary::Summary;
use crate::workloads::{FileMacro, Macro};
use crate::{BenchError, Settings};

/// One macrobenchmark in one environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MacroResult {
    pub env: Env,
    /// Seconds per run of the whole guest.
    pub seconds: Summary,
    /// Guest instructions per second, in millions (at the median).
    pub mips: f64,
    /// Exits per million retired instructions, all reasons.
    pub exits_per_million: f64,
    /// By reason ([`Exit::name`]), the reasons that occur.
    pub exits_per_million_by_reason: BTreeMap<&'static str, f64>,
    /// Traps the guest took per million instructions.
    pub traps_per_million: f64,
    /// Native time over this environment's (medians): 1 is native speed.
    /// Set with the sanity checks.
    pub efficiency: Option<f64>,
    pub flags: Vec<crate::sanity::Flag>,
}

/// One macrobenchmark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MacroReport {
    pub name: &'static str,
    pub title: &'static str,
    /// Instructions one run retires (the same in every environment).
    pub instructions: u64,
    /// Runs timed together for each sample.
    pub runs_per_sample: u64,
    pub results: Vec<MacroResult>,
}

fn per_million(n: u64, insns: u64) -> f64 {
    n as f64 * 1e6 / insns.max(1) as f64
}

fn check_run(
    what: &str,
    expected: &[u8],
    env: Env,
    want: &Counts,
    r: &Run,
) -> Result<(), BenchError> {
    if r.outputs.iter().any(|o| o != expected) {
        return Err(BenchError::Output {
            what: what.into(),
            env: env.name(),
            expected: String::from_utf8_lossy(expected).into_owned(),
            got: r
                .outputs
                .iter()
                .map(|o| String::from_utf8_lossy(o).into_owned())
                .collect::<Vec<_>>()
                .join("\n---\n"),
        });
    }
    if r.counts != *want {
        return Err(BenchError::Counts {
            what: what.into(),
            env: env.name(),
            detail: format!("a rerun counted {:?}, the first run {want:?}", r.counts),
        });
    }
    Ok(())
}

/// Measures `w` in every one of `envs`.
pub fn measure(
    w: &Macro,
    envs: &[Env],
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<MacroReport, BenchError> {
    let image: Image = guest::assemble(&w.source, w.memory)?;
    let guest = Whole {
        name: w.name,
        title: w.title,
        image: &image,
        memory: w.memory,
        expected: Some(w.expected.as_bytes()),
        paravirtual: w.paravirtual,
    };
    measure_whole(&guest, envs, settings, progress)
}

/// Measures `w`, whose image was read from a file, in every one of `envs`:
/// what it prints in the first environment is what it must print in every
/// run.
pub fn measure_file(
    w: &FileMacro,
    image: &Image,
    envs: &[Env],
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<MacroReport, BenchError> {
    let guest = Whole {
        name: w.name,
        title: w.title,
        image,
        memory: w.memory,
        expected: None,
        paravirtual: false,
    };
    measure_whole(&guest, envs, settings, progress)
}

/// A whole guest to measure.
struct Whole<'a> {
    name: &'static str,
    title: &'static str,
    image: &'a Image,
    memory: u64,
    /// What it must print; `None`: whatever it prints in the first
    /// environment.
    expected: Option<&'a [u8]>,
    /// It uses the PV interface where there is one.
    paravirtual: bool,
}

fn measure_whole(
    w: &Whole,
    envs: &[Env],
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<MacroReport, BenchError> {
    let setups: Vec<Setup> = envs
        .iter()
        .map(|&e| Setup {
            isa: settings.isa,
            ..Setup::new(e, w.memory)
        })
        .collect();
    progress(&format!("{}: counting", w.name));
    let mut counts = Vec::new();
    let mut expected: Option<Vec<u8>> = w.expected.map(<[u8]>::to_vec);
    let mut longest = 0.0f64;
    for s in &setups {
        let r = run(w.name, &[w.image], s)?;
        let want = expected.get_or_insert_with(|| r.outputs.first().cloned().unwrap_or_default());
        // The expected output, checked against the counts of this run.
        check_run(w.name, want, s.env, &r.counts, &r)?;
        longest = longest.max(r.span.time.as_secs_f64());
        counts.push(r.counts);
    }
    let expected = expected.unwrap_or_default();
    let insns = counts[0].instructions;
    // A paravirtualized kernel runs other instructions where it found the
    // PV interface (under `pv`): the same output, not the same stream.
    let paravirtual = |env: &Env| *env == Env::Monitor(Strategy::Pv) && w.paravirtual;
    if let Some((env, c)) = envs
        .iter()
        .zip(&counts)
        .find(|(env, c)| c.instructions != insns && !paravirtual(env))
    {
        return Err(BenchError::Counts {
            what: w.name.into(),
            env: env.name(),
            detail: format!(
                "retired {} instructions, {} retired {insns}: not equivalent",
                c.instructions,
                envs[0].name()
            ),
        });
    }
    let k = ((settings.run_time.as_secs_f64() / longest.max(1e-6)).ceil() as u64).max(1);
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); envs.len()];
    for rep in 0..settings.reps {
        progress(&format!(
            "{}: repetition {}/{}",
            w.name,
            rep + 1,
            settings.reps
        ));
        // Alternate the order, so that neither side always runs first.
        let order: Vec<usize> = if rep % 2 == 0 {
            (0..envs.len()).collect()
        } else {
            (0..envs.len()).rev().collect()
        };
        for i in order {
            let mut total = 0.0;
            for _ in 0..k {
                let r = run(w.name, &[w.image], &setups[i])?;
                check_run(w.name, &expected, envs[i], &counts[i], &r)?;
                total += r.span.time.as_secs_f64();
            }
            samples[i].push(total / k as f64);
        }
    }
    let mut results = Vec::new();
    for ((env, c), s) in envs.iter().zip(&counts).zip(samples) {
        let seconds = Summary::of(s)
            .ok_or_else(|| BenchError::Setup("no samples (reps must be at least 1)".into()))?;
        let by = Exit::ALL
            .iter()
            .filter(|e| c.exit(**e) > 0)
            .map(|e| (e.name(), per_million(c.exit(*e), insns)))
            .collect();
        results.push(MacroResult {
            env: *env,
            mips: insns as f64 / seconds.median.max(1e-12) / 1e6,
            seconds,
            exits_per_million: per_million(Exit::ALL.iter().map(|e| c.exit(*e)).sum(), insns),
            exits_per_million_by_reason: by,
            traps_per_million: per_million(c.traps, insns),
            efficiency: None,
            flags: Vec::new(),
        });
    }
    Ok(MacroReport {
        name: w.name,
        title: w.title,
        instructions: insns,
        runs_per_sample: k,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::MACRO;
    use std::time::Duration;

    const QUICK: Settings = Settings {
        reps: 1,
        run_time: Duration::from_millis(1),
        isa: cpu::privileged::Isa::Standard,
    };

    #[test]
    fn every_guest_prints_its_output_and_retires_the_same_instructions_everywhere() {
        for w in MACRO.iter().filter(|m| m.default) {
            let r = measure(w, &Env::ALL, &QUICK, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.results.len(), Env::ALL.len());
            let (native, trap) = (&r.results[0], &r.results[1]);
            assert!(r.instructions > 500_000, "{}: {}", w.name, r.instructions);
            assert_eq!(native.seconds.samples.len(), 1);
            assert!(
                trap.exits_per_million > native.exits_per_million,
                "{}",
                w.name
            );
            // Under the monitor the quantum ends now and then with a
            // budget exit (not always: a slice may end on an emulation).
            assert!(
                trap.exits_per_million_by_reason["budget"] > 0.0,
                "{}",
                w.name
            );
            assert!(!native.exits_per_million_by_reason.contains_key("budget"));
        }
    }

    #[test]
    fn a_guest_that_prints_something_else_fails() {
        let w = Macro {
            expected: "not what it prints\n",
            ..MACRO[3]
        };
        let e = measure(&w, &Env::ALL, &QUICK, &mut |_| {}).unwrap_err();
        assert!(matches!(e, BenchError::Output { .. }), "{e}");
        assert!(
            e.to_string().contains("instead of\nnot what it prints"),
            "{e}"
        );
    }

    /// A guest from a file (here the time-sharing kernel, assembled, as if
    /// read from disk): its output in the first environment is the one
    /// every run must print.
    #[test]
    fn a_guest_from_a_file_prints_the_same_everywhere() {
        let timeshare = &MACRO[3];
        let image = guest::assemble(&timeshare.source, timeshare.memory).unwrap();
        let w = FileMacro {
            name: "file",
            title: "a guest from a file",
            memory: timeshare.memory,
        };
        let r = measure_file(&w, &image, &Env::ALL, &QUICK, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        let built_in = measure(timeshare, &Env::ALL, &QUICK, &mut |_| {}).unwrap();
        assert_eq!(r.instructions, built_in.instructions);
        assert_eq!(r.results.len(), Env::ALL.len());
        assert!(r.results[1].exits_per_million > r.results[0].exits_per_million);
    }

    /// A guest from a file that does not end with status 0 measured
    /// nothing.
    #[test]
    fn a_guest_from_a_file_that_fails_is_an_error() {
        let src = guest::Source {
            path: "fails.s",
            text: "_start: li t0, 0x100000\n li t1, 0x13333\n sw t1, 0(t0)\n",
        };
        let image = guest::assemble(&src, 4 << 20).unwrap();
        let w = FileMacro {
            name: "fails",
            title: "ends with status 1",
            memory: 4 << 20,
        };
        let e = measure_file(&w, &image, &Env::ALL, &QUICK, &mut |_| {}).unwrap_err();
        assert!(matches!(e, BenchError::Guest { .. }), "{e}");
        assert!(e.to_string().contains("exit code 1"), "{e}");
    }
}
