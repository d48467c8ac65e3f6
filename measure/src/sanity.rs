//! Sanity checks: results that cannot be right are flagged, and shown as
//! flags instead of numbers.
//!
//! Some results are impossible: an operation that costs less than nothing
//! (the loop with it ran faster than the loop without it), or one that
//! exits to the monitor and yet costs no more under it than natively
//! (an exit is work natively absent). Such a number is noise, or a
//! benchmark that does not measure what it says; either way printing it
//! would mislead. Others are possible but unsteady: samples spread wider
//! than the median itself. The checks also derive the figures that need
//! two results: the operation in plain instructions, and what each exit
//! adds.

use serde::Serialize;

use crate::env::Env;
use crate::report::Report;

/// What is wrong with a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// The operation came out cheaper than the loop without it: a negative
    /// cost, which is noise.
    NegativeCost,
    /// Under a monitor, an operation that exits more often than natively
    /// came out no dearer than natively: impossible, so noise.
    CheaperThanNative,
    /// A whole guest that exits more often under a monitor than natively
    /// ran faster there, by more than the samples' spread: impossible, so
    /// noise.
    FasterThanNative,
    /// The samples' range is wider than the median (or straddles zero):
    /// a number, but not one to rely on.
    Noisy,
}

impl Flag {
    /// Whether the result must not be shown as a number.
    pub fn impossible(self) -> bool {
        !matches!(self, Flag::Noisy)
    }

    /// Its name in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Flag::NegativeCost => "negative-cost",
            Flag::CheaperThanNative => "cheaper-than-native",
            Flag::FasterThanNative => "faster-than-native",
            Flag::Noisy => "noisy",
        }
    }

    /// How a table shows it.
    pub fn text(self) -> &'static str {
        match self {
            Flag::NegativeCost => "negative (noise)",
            Flag::CheaperThanNative => "<= native (noise)",
            Flag::FasterThanNative => "> native (noise)",
            Flag::Noisy => "noisy",
        }
    }
}

/// A range of samples this wide against the median is flagged
/// [`Flag::Noisy`] (±50%).
pub const NOISY: f64 = 0.5;

/// Flags every result of `report` and derives the figures that need two
/// results (replacing what a previous call derived).
///
/// An operation under a monitor is held to native only where it exits
/// more often than natively: an SBI call exits to the firmware natively
/// and to the monitor under it, once each, and either may be the cheaper.
/// What it adds per exit is its extra time over native divided by its
/// extra exits (all of it, for an operation with no native counterpart:
/// the world switch).
pub fn check(report: &mut Report) {
    // The native (median ns, exits per op, impossible) of each benchmark.
    let native_of = |report: &Report, name: &str| {
        report
            .nano
            .iter()
            .find(|n| n.name == name)
            .and_then(|n| n.results.iter().find(|r| r.env == Env::Native))
            .map(|r| {
                (
                    r.ns_per_op.median,
                    r.per_op.exits,
                    r.flags.iter().any(|f| f.impossible()),
                )
            })
    };
    // Flags first: the derived figures are made only from sound results.
    for i in 0..report.nano.len() {
        let native = native_of(report, report.nano[i].name);
        for r in &mut report.nano[i].results {
            r.flags.clear();
            let s = &r.ns_per_op;
            if s.median < 0.0 {
                r.flags.push(Flag::NegativeCost);
            } else if let Some((n, n_exits, _)) = native.filter(|_| !r.env.is_native()) {
                if r.per_op.exits > n_exits && s.median <= n {
                    r.flags.push(Flag::CheaperThanNative);
                }
            }
            if s.spread() > NOISY || (s.min < 0.0 && s.max > 0.0) {
                r.flags.push(Flag::Noisy);
            }
        }
    }
    let plain = native_of(report, "plain").filter(|(ns, _, bad)| !bad && *ns > 0.0);
    for i in 0..report.nano.len() {
        let native = native_of(report, report.nano[i].name);
        let only_virtual = native.is_none();
        for r in &mut report.nano[i].results {
            let sound = !r.flags.iter().any(|f| f.impossible());
            let m = r.ns_per_op.median;
            r.plain_equivalents = plain.filter(|_| sound).map(|(p, _, _)| m / p);
            r.added_ns_per_exit = match native {
                _ if r.env.is_native() || !sound => None,
                None if only_virtual && r.per_op.exits > 0.0 => Some(m / r.per_op.exits),
                Some((n, n_exits, false)) if r.per_op.exits > n_exits => {
                    Some((m - n) / (r.per_op.exits - n_exits))
                }
                _ => None,
            };
        }
    }
    for w in &mut report.macros {
        let native = w
            .results
            .iter()
            .find(|r| r.env == Env::Native)
            .map(|r| (r.seconds.clone(), r.exits_per_million));
        for r in &mut w.results {
            r.flags.clear();
            r.efficiency = native.as_ref().map(|(n, _)| n.median / r.seconds.median);
            if let Some((n, n_exits)) = &native {
                let slack = n.spread().max(r.seconds.spread());
                if !r.env.is_native()
                    && r.exits_per_million > *n_exits
                    && r.seconds.median < n.median * (1.0 - slack)
                {
                    r.flags.push(Flag::FasterThanNative);
                }
            }
            if r.seconds.spread() > NOISY {
                r.flags.push(Flag::Noisy);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, nano, TRAP};

    fn result<'a>(r: &'a Report, name: &str, env: Env) -> &'a crate::nano::NanoResult {
        r.nano
            .iter()
            .find(|n| n.name == name)
            .and_then(|n| n.results.iter().find(|x| x.env == env))
            .unwrap()
    }

    #[test]
    fn sound_results_get_no_flags_and_their_derived_figures() {
        let mut r = testing::report();
        check(&mut r);
        for n in &r.nano {
            for x in &n.results {
                assert!(x.flags.is_empty(), "{} {:?}: {:?}", n.name, x.env, x.flags);
            }
        }
        let csr = result(&r, "csr-read", TRAP);
        assert_eq!(csr.plain_equivalents, Some(60.0 / 0.2));
        assert_eq!(csr.added_ns_per_exit, Some(30.0));
        assert_eq!(result(&r, "csr-read", Env::Native).added_ns_per_exit, None);
        assert_eq!(
            result(&r, "plain", TRAP).added_ns_per_exit,
            None,
            "no exits"
        );
        // Natively there is no world switch: all of it is added.
        assert_eq!(
            result(&r, "world-switch", TRAP).added_ns_per_exit,
            Some(500.0)
        );
        assert_eq!(r.macros[0].results[1].efficiency, Some(1.0 / 1.25));
        assert!(r.macros[0].results.iter().all(|x| x.flags.is_empty()));
    }

    #[test]
    fn impossible_results_are_flagged_and_derive_nothing() {
        let mut r = testing::report();
        // A trapping operation no dearer under the monitor than natively.
        r.nano[1].results[1] = nano(TRAP, &[29.0, 30.0, 28.0], 1.0);
        // A negative cost.
        r.nano[2].results[0] = nano(TRAP, &[-3.0, -2.0, -4.0], 1.0);
        check(&mut r);
        let csr = result(&r, "csr-read", TRAP);
        assert_eq!(csr.flags, [Flag::CheaperThanNative]);
        assert_eq!((csr.plain_equivalents, csr.added_ns_per_exit), (None, None));
        let ws = result(&r, "world-switch", TRAP);
        assert_eq!(ws.flags, [Flag::NegativeCost]);
        assert_eq!((ws.plain_equivalents, ws.added_ns_per_exit), (None, None));

        // Without a sound plain instruction nothing is in plain instructions.
        r.nano[0].results[0] = nano(Env::Native, &[-0.1, -0.2, -0.1], 0.0);
        check(&mut r);
        assert_eq!(result(&r, "plain", Env::Native).flags, [Flag::NegativeCost]);
        assert!(r
            .nano
            .iter()
            .flat_map(|n| &n.results)
            .all(|x| x.plain_equivalents.is_none()));
    }

    #[test]
    fn a_non_trapping_operation_may_equal_native_but_noise_is_flagged() {
        let mut r = testing::report();
        // The plain instruction exits nowhere: virtualized may be cheaper.
        r.nano[0].results[1] = nano(TRAP, &[0.18, 0.19, 0.18], 0.0);
        // Samples spread wider than the median, and a range across zero.
        r.nano[1].results[0] = nano(Env::Native, &[30.0, 5.0, 80.0], 0.0);
        r.nano[2].results[0] = nano(TRAP, &[500.0, -10.0, 900.0], 1.0);
        check(&mut r);
        assert!(result(&r, "plain", TRAP).flags.is_empty());
        assert_eq!(result(&r, "csr-read", Env::Native).flags, [Flag::Noisy]);
        assert_eq!(result(&r, "world-switch", TRAP).flags, [Flag::Noisy]);
        // Noisy is a warning: the figures are still derived.
        assert!(result(&r, "world-switch", TRAP).added_ns_per_exit.is_some());
    }

    #[test]
    fn an_operation_that_exits_natively_too_may_be_cheaper_virtualized() {
        let mut r = testing::report();
        // As an SBI call: one exit natively (to the firmware), one under
        // the monitor; the monitor's hypercall may well be the cheaper.
        let mut native = nano(Env::Native, &[50.0, 50.0, 50.0], 1.0);
        native.per_op.exits = 1.0;
        r.nano[1].results = vec![native, nano(TRAP, &[45.0, 45.0, 45.0], 1.0)];
        check(&mut r);
        let x = result(&r, "csr-read", TRAP);
        assert!(x.flags.is_empty());
        assert_eq!(x.added_ns_per_exit, None, "no extra exit to divide by");
        assert_eq!(x.plain_equivalents, Some(45.0 / 0.2));
        // As the timer: one exit natively, two virtualized: the extra time
        // is the extra exit's.
        r.nano[1].results[1] = nano(TRAP, &[80.0, 80.0, 80.0], 2.0);
        check(&mut r);
        assert_eq!(result(&r, "csr-read", TRAP).added_ns_per_exit, Some(30.0));
        r.nano[1].results[1] = nano(TRAP, &[49.0, 49.0, 49.0], 2.0);
        check(&mut r);
        assert_eq!(
            result(&r, "csr-read", TRAP).flags,
            [Flag::CheaperThanNative]
        );
    }

    #[test]
    fn a_guest_that_exits_cannot_beat_native() {
        let mut r = testing::report();
        r.macros[0].results[1] = testing::whole(TRAP, &[0.8, 0.81, 0.79], 100.0);
        check(&mut r);
        assert_eq!(r.macros[0].results[1].flags, [Flag::FasterThanNative]);
        // Within the spread, or with no exits, it is not flagged.
        r.macros[0].results[1] = testing::whole(TRAP, &[0.995, 1.0, 0.99], 100.0);
        r.macros[0].results[0] = testing::whole(Env::Native, &[1.0, 1.02, 0.98], 0.0);
        check(&mut r);
        assert!(r.macros[0].results[1].flags.is_empty());
        r.macros[0].results[1] = testing::whole(TRAP, &[0.5, 0.5, 0.5], 0.0);
        check(&mut r);
        assert!(r.macros[0].results[1].flags.is_empty());
    }

    #[test]
    fn flag_names_are_their_json_names() {
        for f in [
            Flag::NegativeCost,
            Flag::CheaperThanNative,
            Flag::FasterThanNative,
            Flag::Noisy,
        ] {
            assert_eq!(serde_json::to_value(f).unwrap(), f.name());
            assert_eq!(f.impossible(), f != Flag::Noisy);
        }
    }
}
