//! Clocks, and what the host was doing while they ran.
//!
//! A run is timed by the CPU time of the thread that runs it
//! (`CLOCK_THREAD_CPUTIME_ID`), not by the wall clock: on a machine whose
//! cores other programs share, the wall clock also counts the time the
//! run sat waiting for a core, which is noise as large as what is being
//! measured (a 4 ms time slice lost in a 10 ms run). The thread's CPU time
//! counts only the time it ran, to the nanosecond. Both are recorded; the
//! difference is how long the run waited, reported as the share of the
//! time the bench had a core.
//!
//! Where the thread's CPU time cannot be read (not a Unix host), the wall
//! clock stands in, and [`Clock::name`] says so.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Which clock the times are from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clock {
    /// The running thread's CPU time.
    ThreadCpu,
    /// The wall clock (the host has no per-thread CPU clock).
    Wall,
}

impl Clock {
    pub fn name(self) -> &'static str {
        match self {
            Clock::ThreadCpu => "thread CPU time",
            Clock::Wall => "wall clock",
        }
    }
}

/// The clock [`Stamp`] measures with on this host.
pub fn clock() -> Clock {
    if thread_cpu_time().is_some() {
        Clock::ThreadCpu
    } else {
        Clock::Wall
    }
}

/// The CPU time this thread has used.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(t.tv_sec).ok()?,
        u32::try_from(t.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// A point in time on both clocks.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    cpu: Option<Duration>,
    wall: Instant,
}

/// How long something took, on both clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The measuring clock ([`clock`]): the thread's CPU time where there
    /// is one, else the wall clock.
    pub time: Duration,
    pub wall: Duration,
}

impl Stamp {
    pub fn now() -> Stamp {
        // The wall clock last, so that reading the CPU clock is not in it.
        let cpu = thread_cpu_time();
        Stamp {
            cpu,
            wall: Instant::now(),
        }
    }

    /// The time from this stamp until now.
    pub fn elapsed(&self) -> Span {
        let wall = self.wall.elapsed();
        let time = match (self.cpu, thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        Span { time, wall }
    }
}

/// What the host is: for the report, so that numbers from two machines are
/// never compared unawares.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Host {
    /// Logical CPUs.
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo, if any.
    pub cpu_model: Option<String>,
    /// The nominal clock rate (`cpu MHz` from /proc/cpuinfo), for turning
    /// nanoseconds into cycles. Nominal: turbo and power saving move the
    /// real rate, which a guest of a hypervisor cannot see.
    pub cpu_mhz: Option<f64>,
    pub os: &'static str,
    pub arch: &'static str,
}

impl Host {
    pub fn probe() -> Host {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
        };
        Host {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: field("model name"),
            cpu_mhz: field("cpu MHz").and_then(|v| v.parse().ok()),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
        }
    }
}

/// The system's load: how many processes wanted a core, averaged over the
/// last minute (`/proc/loadavg`), if the host says.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine's CPU time stolen by the hypervisor it runs under, and all
/// its CPU time, in clock ticks since boot (`/proc/stat`, first line), if
/// the host says.
pub fn steal_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    let steal = *v.get(7)?;
    let total = v.iter().take(8).sum();
    Some((steal, total))
}

/// Host memory the process holds now (resident set), and its peak since the
/// last [`reset_peak_memory`], in bytes (`/proc/self/status`), if the host
/// says.
pub fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    };
    Some((kib("VmRSS:")? * 1024, kib("VmHWM:")? * 1024))
}

/// Makes the peak of [`memory`] start again from the current resident set
/// (Linux: writing 5 to /proc/self/clear_refs). False if the host cannot.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measuring_clock_counts_work_not_sleep() {
        let s = Stamp::now();
        std::thread::sleep(Duration::from_millis(30));
        let slept = s.elapsed();
        assert!(slept.wall >= Duration::from_millis(30));
        if clock() == Clock::ThreadCpu {
            // Asleep, the thread used (almost) no CPU.
            assert!(slept.time < Duration::from_millis(15), "{slept:?}");
        }
        let s = Stamp::now();
        let mut x = 0u64;
        while s.elapsed().time < Duration::from_millis(5) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let busy = s.elapsed();
        assert!(busy.time >= Duration::from_millis(5));
    }
}
