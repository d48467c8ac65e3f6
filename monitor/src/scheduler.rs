//! Scheduling: which guest the one hart runs next, and for how long.
//!
//! The quantum (in instructions) is the hardware preemption timer: the
//! monitor runs a guest with at most that budget, so a guest that masks its
//! interrupts and spins still gives the hart back. The policy sits behind
//! [`Scheduler`] so a course exercise can plug in another.

/// A scheduling policy. Any `Clone` type can be one (a snapshot of the
/// monitor keeps a copy of the policy's state).
pub trait Scheduler: CloneScheduler {
    /// Picks the next guest among `ready` (indices of guests that have not
    /// ended, ascending, never empty) and its quantum, given the default
    /// `quantum`.
    fn next(&mut self, ready: &[usize], quantum: u64) -> (usize, u64);
}

/// A boxed copy of a scheduler (implemented for every `Clone` one).
pub trait CloneScheduler {
    fn clone_box(&self) -> Box<dyn Scheduler>;
}

impl<S: Scheduler + Clone + 'static> CloneScheduler for S {
    fn clone_box(&self) -> Box<dyn Scheduler> {
        Box::new(self.clone())
    }
}

/// Round robin: each ready guest in turn, one quantum each.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    last: Option<usize>,
}

impl Scheduler for RoundRobin {
    fn next(&mut self, ready: &[usize], quantum: u64) -> (usize, u64) {
        let pick = match self.last {
            // (`ready` is ascending: the first one after `l`.)
            Some(l) => ready
                .get(ready.partition_point(|&g| g <= l))
                .copied()
                .unwrap_or(ready[0]),
            None => ready[0],
        };
        self.last = Some(pick);
        (pick, quantum)
    }
}

/// Weighted shares: round robin, but guest `i` runs `weights[i]` quanta
/// per turn (1 for guests without a weight), so its share of the hart is
/// proportional to its weight.
#[derive(Clone, Debug, Default)]
pub struct WeightedShares {
    pub weights: Vec<u64>,
    rr: RoundRobin,
}

impl WeightedShares {
    pub fn new(weights: Vec<u64>) -> WeightedShares {
        WeightedShares {
            weights,
            rr: RoundRobin::default(),
        }
    }
}

impl Scheduler for WeightedShares {
    fn next(&mut self, ready: &[usize], quantum: u64) -> (usize, u64) {
        let (g, q) = self.rr.next(ready, quantum);
        let w = self.weights.get(g).copied().unwrap_or(1).max(1);
        (g, q.saturating_mul(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_takes_turns_and_skips_ended_guests() {
        let mut rr = RoundRobin::default();
        let picks: Vec<usize> = (0..5).map(|_| rr.next(&[0, 1, 2], 10).0).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1]);
        assert_eq!(rr.next(&[0, 2], 10).0, 2);
        assert_eq!(rr.next(&[0, 2], 10).0, 0);
    }

    #[test]
    fn weights_scale_the_quantum() {
        let mut w = WeightedShares::new(vec![1, 3]);
        assert_eq!(w.next(&[0, 1], 100), (0, 100));
        assert_eq!(w.next(&[0, 1], 100), (1, 300));
    }
}
