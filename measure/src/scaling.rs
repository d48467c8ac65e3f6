//! Scaling: 1 to 64 copies of a CPU-bound guest side by side under the
//! monitor, sharing the hart at the default quantum.
//!
//! Every copy does the same work, so k guests retire k times the
//! instructions of one; the total throughput (guest instructions per
//! second, all guests together) should stay that of one guest, whatever
//! k. What it loses is what the monitor spends per guest: world switches
//! (a TLB flush each), each guest's own translations of the same code
//! (they sit at different machine addresses), caches shared k ways. Host
//! memory per guest is the growth of the process's resident set during the
//! run, divided by k (pages the guests and the monitor actually touched),
//! beside the machine memory the monitor lays out for each.

use serde::Serialize;

use crate::clock;
use crate::env::Env;
use crate::guest;
use crate::run::{run, Setup};
use crate::summary::Summary;
use crate::workloads::Scaling;
use crate::{BenchError, Settings};

/// One guest count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScalingPoint {
    pub guests: usize,
    /// Seconds per run (all guests to their ends).
    pub seconds: Summary,
    /// Runs timed together for each sample (short runs are repeated up to
    /// the settings' run time).
    pub runs_per_sample: u64,
    /// Guest instructions per second, all guests together, in millions (at
    /// the median).
    pub mips: f64,
    /// This throughput over the first point's (1 guest, unless told
    /// otherwise).
    pub relative: f64,
    /// World switches in one run.
    pub world_switches: u64,
    /// Growth of the host process's resident memory during a run, per
    /// guest (where the host says).
    pub host_bytes_per_guest: Option<u64>,
    /// Machine memory the monitor lays out per guest: its RAM and its
    /// shadow page-table pool (reserved, not necessarily touched).
    pub machine_bytes_per_guest: u64,
}

/// The scaling runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScalingReport {
    pub workload: &'static str,
    pub env: Env,
    pub quantum: u64,
    /// Instructions each guest retires.
    pub instructions_per_guest: u64,
    pub points: Vec<ScalingPoint>,
}

/// Runs `w` side by side in each of the `guests` counts.
pub fn measure(
    w: &Scaling,
    env: Env,
    guests: &[usize],
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<ScalingReport, BenchError> {
    let mut image = guest::assemble(&w.source, w.memory)?;
    guest::set_u64(&mut image, "iterations", w.iterations)?;
    let setup = Setup {
        isa: settings.isa,
        ..Setup::new(env, w.memory)
    };
    let mut points: Vec<ScalingPoint> = Vec::new();
    let mut per_guest = None;
    for &k in guests {
        let images = vec![&image; k];
        progress(&format!("scaling: {k} guests: counting"));
        let tracked = clock::reset_peak_memory();
        let before = clock::memory();
        let first = run(w.name, &images, &setup)?;
        let after = clock::memory();
        let host = match (tracked, before, after) {
            (true, Some((rss, _)), Some((_, peak))) => Some(peak.saturating_sub(rss) / k as u64),
            _ => None,
        };
        let insns = first.counts.instructions / k as u64;
        if first.counts.instructions != insns * k as u64 || *per_guest.get_or_insert(insns) != insns
        {
            return Err(BenchError::Counts {
                what: format!("scaling ({k} guests)"),
                env: env.name(),
                detail: format!(
                    "{} instructions in all: not {} for each guest",
                    first.counts.instructions,
                    per_guest.unwrap_or(insns)
                ),
            });
        }
        let runs = ((settings.run_time.as_secs_f64() / first.span.time.as_secs_f64().max(1e-6))
            .ceil() as u64)
            .max(1);
        let mut samples = Vec::new();
        for rep in 0..settings.reps {
            progress(&format!(
                "scaling: {k} guests: repetition {}/{}",
                rep + 1,
                settings.reps
            ));
            let mut total = 0.0;
            for _ in 0..runs {
                let r = run(w.name, &images, &setup)?;
                if r.counts != first.counts {
                    return Err(BenchError::Counts {
                        what: format!("scaling ({k} guests)"),
                        env: env.name(),
                        detail: format!(
                            "a rerun counted {:?}, the first run {:?}",
                            r.counts, first.counts
                        ),
                    });
                }
                total += r.span.time.as_secs_f64();
            }
            samples.push(total / runs as f64);
        }
        let seconds = Summary::of(samples)
            .ok_or_else(|| BenchError::Setup("no samples (reps must be at least 1)".into()))?;
        let mips = first.counts.instructions as f64 / seconds.median.max(1e-12) / 1e6;
        let relative = points.first().map_or(1.0, |p| mips / p.mips);
        points.push(ScalingPoint {
            guests: k,
            seconds,
            runs_per_sample: runs,
            mips,
            relative,
            world_switches: first.counts.world_switches,
            host_bytes_per_guest: host,
            machine_bytes_per_guest: first.machine_memory.unwrap_or(0) / k as u64,
        });
    }
    Ok(ScalingReport {
        workload: w.name,
        env,
        quantum: setup.quantum,
        instructions_per_guest: per_guest.unwrap_or(0),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Strategy;
    use crate::workloads::SCALING;
    use std::time::Duration;

    #[test]
    fn guests_side_by_side_each_do_the_same_work() {
        let settings = Settings {
            reps: 2,
            run_time: Duration::from_millis(1),
            isa: cpu::privileged::Isa::Standard,
        };
        let w = Scaling {
            iterations: 3,
            ..SCALING
        };
        let r = measure(
            &w,
            Env::Monitor(Strategy::Trap),
            &[1, 3],
            &settings,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(r.points.len(), 2);
        assert!(r.instructions_per_guest > 100_000);
        let (one, three) = (&r.points[0], &r.points[1]);
        assert_eq!((one.relative, one.world_switches), (1.0, 1));
        assert!(three.world_switches >= 3 * (r.instructions_per_guest / r.quantum));
        assert_eq!(three.seconds.samples.len(), 2);
        assert_eq!(one.machine_bytes_per_guest, three.machine_bytes_per_guest);
        assert!(one.machine_bytes_per_guest >= w.memory);
    }
}
