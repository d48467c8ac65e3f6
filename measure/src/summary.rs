//! Repeated measurements summed up: the median, and the spread around it.
//!
//! The median, not the mean or the best: a run that another program
//! disturbed is slower, and one such run moves a mean and says nothing
//! about the rest, while the best of several runs rewards whichever run
//! was disturbed least in the way that flatters (and a difference of two
//! bests can be anything). The minimum and maximum are kept beside it, so
//! that a reader sees how far to trust it.

use serde::Serialize;

/// The median of repeated samples, with their range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Every sample, in the order taken.
    pub samples: Vec<f64>,
}

impl Summary {
    /// The summary of `samples` (`None` if there are none or one is NaN).
    pub fn of(samples: Vec<f64>) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            samples,
        })
    }

    /// Half the range, relative to the median's size (0.05 = ±5%); infinite
    /// for a median of 0 with any spread.
    pub fn spread(&self) -> f64 {
        let half = (self.max - self.min) / 2.0;
        if half == 0.0 {
            0.0
        } else {
            half / self.median.abs()
        }
    }

    /// Every sample scaled by `k` (a change of unit).
    pub fn scaled(&self, k: f64) -> Summary {
        let samples = self.samples.iter().map(|s| s * k).collect();
        let (a, b) = (self.min * k, self.max * k);
        Summary {
            median: self.median * k,
            min: a.min(b),
            max: a.max(b),
            samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_and_spread() {
        let s = Summary::of(vec![3.0, 1.0, 2.0, 100.0, 2.5]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 100.0));
        assert_eq!(s.samples, [3.0, 1.0, 2.0, 100.0, 2.5]);
        let s = Summary::of(vec![4.0, 2.0]).unwrap();
        assert_eq!(s.median, 3.0);
        assert!((s.spread() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(Summary::of(vec![5.0]).unwrap().spread(), 0.0);
        assert!(Summary::of(vec![]).is_none());
        assert!(Summary::of(vec![1.0, f64::NAN]).is_none());
        let neg = Summary::of(vec![-1.0, 1.0, 0.5]).unwrap().scaled(-2.0);
        assert_eq!((neg.median, neg.min, neg.max), (-1.0, -2.0, 2.0));
    }
}
