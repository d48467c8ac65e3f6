//! Going back in time: snapshots of the machine every so many events, and
//! deterministic re-execution from the nearest one.
//!
//! A run is a function of its start and its input (console input is
//! recorded, see [`crate::native::InputLog`]), so the state at a position
//! is reached again by restoring a snapshot at or before it and running
//! forward to it. Going back then forward gives exactly the same state.
//!
//! **Snapshots are incremental.** A snapshot keeps the target's state
//! without RAM ([`Target::save`]) and the RAM pages written since the
//! snapshot before it (the hart records which, [`cpu::debug`]); the one at
//! boot keeps the pages the image was loaded into (every other page is
//! zero). The version of a page at a snapshot is then its latest version
//! at or before it. Restoring snapshot S rewrites only the pages that may
//! differ between now and S: those written since the last snapshot passed,
//! and those saved by the snapshots between that one and S.
//!
//! **Spacing and memory.** Snapshots are taken at every multiple of the
//! spacing (initially [`INITIAL_SPACING`] events) the run passes. When
//! their pages exceed the memory budget, the spacing doubles and every
//! snapshot off the new grid goes (its pages move to the next snapshot
//! when that one has no version of them), so going back one event never
//! costs more than re-running one spacing's worth of events, wherever it
//! is, and memory stays within the budget. When a snapshot had to save so
//! many pages that saving them cost more than a fiftieth of running the
//! interval before it, the spacing doubles too: a guest that writes all
//! over memory keeps `continue` at full speed, and pays in the time to
//! go back.

use std::collections::{BTreeMap, HashMap};

use crate::target::Target;

/// Events between snapshots at the start (about 4 ms of translated code).
pub const INITIAL_SPACING: u64 = 1 << 22;
/// Memory for snapshot pages before the spacing doubles.
pub const DEFAULT_BUDGET: usize = 512 << 20;
/// The most snapshots kept, whatever their pages cost.
const MAX_SNAPSHOTS: usize = 4096;
/// What saving one page costs, counted in events of translated code
/// (copying 4 KiB into fresh memory takes about a microsecond, in which
/// translated code runs about a thousand instructions).
const PAGE_COST: u64 = 1000;
/// Snapshots may cost at most this fraction of the run they follow (as
/// 1/N): a guest that writes many pages gets its snapshots further apart,
/// so that `continue` stays at full speed.
const COST_SHARE: u64 = 50;
const PAGE: usize = 4096;

/// A page's saved versions: (position, bytes), by position.
type Versions = Vec<(u64, Box<[u8]>)>;

struct Snapshot<S> {
    state: S,
    /// Pages this snapshot holds a version of.
    pages: Vec<usize>,
}

/// The snapshots of one run. See the module documentation.
pub struct History<S> {
    snapshots: BTreeMap<u64, Snapshot<S>>,
    /// For each page, its saved versions by position, ascending.
    versions: HashMap<usize, Versions>,
    /// Bytes of saved page versions.
    bytes: usize,
    spacing: u64,
    budget: usize,
    /// The snapshot that the target's dirty-page record is relative to:
    /// RAM differs from that snapshot's only in pages written since.
    synced: u64,
    /// The furthest position ever reached.
    furthest: u64,
}

/// What `info history` tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryInfo {
    /// The earliest position one can go back to, and the latest reached.
    pub first: u64,
    pub furthest: u64,
    pub snapshots: usize,
    pub spacing: u64,
    /// Bytes of RAM pages the snapshots keep, and the budget.
    pub bytes: usize,
    pub budget: usize,
}

impl<S: Clone> History<S> {
    /// The history of a target that has just booted: one snapshot, now.
    pub fn new<T: Target<State = S>>(target: &mut T, budget: usize) -> History<S> {
        let mut h = History {
            snapshots: BTreeMap::new(),
            versions: HashMap::new(),
            bytes: 0,
            spacing: INITIAL_SPACING,
            budget,
            synced: target.position(),
            furthest: target.position(),
        };
        h.create(target);
        h
    }

    /// Snapshots every `spacing` events from now on (tests use small ones).
    pub fn set_spacing(&mut self, spacing: u64) {
        self.spacing = spacing.max(1);
    }

    /// The memory the snapshots' pages may take.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
        self.thin();
    }

    /// The next position at which the target should stop for a snapshot
    /// (a multiple of the spacing after `pos`).
    pub fn next_boundary(&self, pos: u64) -> u64 {
        (pos / self.spacing)
            .saturating_add(1)
            .saturating_mul(self.spacing)
    }

    /// The target is at `pos`: if it is a boundary, take a snapshot there
    /// (or, if one exists, take note that RAM is that snapshot's again).
    pub fn passed<T: Target<State = S>>(&mut self, target: &mut T) {
        let pos = target.position();
        self.furthest = self.furthest.max(pos);
        if pos % self.spacing != 0 || pos == self.synced {
            return;
        }
        if self.snapshots.contains_key(&pos) {
            // Determinism: RAM is now exactly that snapshot's.
            target.take_dirty_pages();
            self.synced = pos;
        } else {
            self.create(target);
            self.thin();
        }
    }

    /// Notes the furthest position reached (for `info history`).
    pub fn reached(&mut self, pos: u64) {
        self.furthest = self.furthest.max(pos);
    }

    fn create<T: Target<State = S>>(&mut self, target: &mut T) {
        let pos = target.position();
        let pages = target.take_dirty_pages();
        // A regular interval whose pages cost too much: space them wider
        // (a rule of counts, not of time, so that a run's history is the
        // same every time).
        let interval = pos.saturating_sub(self.synced);
        if interval >= self.spacing
            && pages.len() as u64 * PAGE_COST * COST_SHARE > interval
            && self.spacing < 1 << 40
        {
            self.spacing *= 2;
        }
        for &p in &pages {
            let data: Box<[u8]> = target.page(p).into();
            self.bytes += data.len();
            let v = self.versions.entry(p).or_default();
            let at = v.partition_point(|(vp, _)| *vp < pos);
            v.insert(at, (pos, data));
        }
        self.snapshots.insert(
            pos,
            Snapshot {
                state: target.save(),
                pages,
            },
        );
        self.synced = pos;
    }

    /// Makes the target's state that of the latest snapshot at or before
    /// `pos`, unless running forward from where it is gets there sooner.
    /// The caller then runs forward to `pos`.
    pub fn restore_for<T: Target<State = S>>(&mut self, target: &mut T, pos: u64) {
        let now = target.position();
        let Some((&at, _)) = self.snapshots.range(..=pos).next_back() else {
            return;
        };
        if now <= pos && at <= now {
            return;
        }
        // Pages that may differ between now and snapshot `at`.
        let (lo, hi) = (self.synced.min(at), self.synced.max(at));
        let mut pages = target.take_dirty_pages();
        if lo < hi {
            for (_, s) in self.snapshots.range(lo + 1..=hi) {
                pages.extend_from_slice(&s.pages);
            }
        }
        pages.sort_unstable();
        pages.dedup();
        let zero = [0u8; PAGE];
        for p in pages {
            let version = self.versions.get(&p).and_then(|v| {
                let i = v.partition_point(|(vp, _)| *vp <= at);
                i.checked_sub(1).map(|i| &v[i].1)
            });
            target.write_page(p, version.map_or(&zero[..], |d| &d[..]));
        }
        if let Some(s) = self.snapshots.get(&at) {
            target.restore(&s.state);
        }
        target.take_dirty_pages();
        self.synced = at;
    }

    /// Halves the snapshots (doubling the spacing) until their pages fit
    /// the budget.
    fn thin(&mut self) {
        while (self.bytes > self.budget || self.snapshots.len() > MAX_SNAPSHOTS)
            && self.spacing < 1 << 48
        {
            self.spacing *= 2;
            let first = self.snapshots.keys().next().copied().unwrap_or(0);
            let doomed: Vec<u64> = self
                .snapshots
                .keys()
                .copied()
                .filter(|&p| p != first && p != self.synced && p % self.spacing != 0)
                .collect();
            for p in doomed {
                self.remove(p);
            }
        }
    }

    /// Drops snapshot `pos`: its pages move to the next snapshot where that
    /// one has no version of its own, else go.
    fn remove(&mut self, pos: u64) {
        let Some(gone) = self.snapshots.remove(&pos) else {
            return;
        };
        let next = self.snapshots.range(pos + 1..).next().map(|(&p, _)| p);
        let mut moved = Vec::new();
        for p in gone.pages {
            let Some(v) = self.versions.get_mut(&p) else {
                continue;
            };
            let Ok(i) = v.binary_search_by_key(&pos, |(vp, _)| *vp) else {
                continue;
            };
            let keep = next.filter(|&n| v.binary_search_by_key(&n, |(vp, _)| *vp).is_err());
            match keep {
                Some(n) => {
                    v[i].0 = n;
                    v.sort_by_key(|(vp, _)| *vp);
                    moved.push(p);
                }
                None => {
                    self.bytes -= v[i].1.len();
                    v.remove(i);
                    if v.is_empty() {
                        self.versions.remove(&p);
                    }
                }
            }
        }
        if let Some(s) = next.and_then(|n| self.snapshots.get_mut(&n)) {
            s.pages.extend(moved);
            s.pages.sort_unstable();
        }
    }

    /// How far back one can go and what it costs.
    pub fn info(&self) -> HistoryInfo {
        HistoryInfo {
            first: self.snapshots.keys().next().copied().unwrap_or(0),
            furthest: self.furthest,
            snapshots: self.snapshots.len(),
            spacing: self.spacing,
            bytes: self.bytes,
            budget: self.budget,
        }
    }

    /// The earliest position the history reaches.
    pub fn first(&self) -> u64 {
        self.snapshots.keys().next().copied().unwrap_or(0)
    }

    /// The latest snapshot position before `pos` (for searching back
    /// interval by interval), if any.
    pub fn snapshot_before(&self, pos: u64) -> Option<u64> {
        self.snapshots.range(..pos).next_back().map(|(&p, _)| p)
    }

    /// Drops every snapshot after `pos` (the future changed: a state was
    /// edited by hand).
    pub fn forget_after(&mut self, pos: u64) {
        let later: Vec<u64> = self.snapshots.range(pos + 1..).map(|(&p, _)| p).collect();
        for p in later {
            if let Some(s) = self.snapshots.remove(&p) {
                for page in s.pages {
                    if let Some(v) = self.versions.get_mut(&page) {
                        if let Ok(i) = v.binary_search_by_key(&p, |(vp, _)| *vp) {
                            self.bytes -= v[i].1.len();
                            v.remove(i);
                        }
                    }
                }
            }
        }
        self.furthest = pos;
    }
}
