//! `trapvisor bench [WORKLOAD...]`: what a trap costs, measured on this
//! machine: nanobenchmarks (one operation each, natively and under the
//! monitor), macrobenchmarks (whole guests) and scaling (1 to 64 guests
//! side by side), printed as a table, JSON or CSV, and plotted as SVG.
//!
//! The workloads and the measuring are the `measure` crate's, shared with
//! the criterion benches (`benches/monitor.rs`, `benches/guests.rs`); this
//! module reads the command line, shows progress on stderr and prints.
//!
//! Exit status: 0; 2 for bad input (an unknown workload, a bad list, a plot
//! file that cannot be written), reported before anything runs; 1 when a
//! benchmark fails (its guest misbehaved, or its counts are not what it
//! claims): a bug in trapvisor, never a number to print.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use cpu::machine::status;
use measure::env::{Env, Strategy};
use measure::workloads::{self, DEFAULT_GUESTS, LINUX, MACRO, NANO};
use measure::{Plan, Progress, Settings};

#[derive(Args, Debug)]
#[command(after_help = "\
Workloads (all of the default ones when none is named):
  nanobenchmarks:  plain call-ret syscall csr-read csr-write sstatus-read sie-toggle uart-read
                   page-fault pte-mod illegal sbi-call timer world-switch   (or `nano` for all)
  macrobenchmarks: c-cpu syscalls page-faults timeshare   (or `macro`);
                   also crc32 matmul sieve sort when named;
                   `linux` with --linux IMAGE (run too when no workload is named)
  scaling:         `scaling` (runs too whenever --guests is given)

Times are the bench thread's CPU time (time spent waiting for a core is not
counted), each the median of --reps runs with ±half their range. A result no
sound measurement can give (a negative cost; an operation that exits more
often under the monitor than natively and yet costs no more) is printed as a
flag, never as a number; `?` marks a range wider than the median. See the measuring chapter of
the book for how to read the table.")]
pub struct BenchArgs {
    /// What to measure: workload names or the groups nano, macro, scaling.
    pub workloads: Vec<String>,

    /// Guest counts for the scaling runs, e.g. 1,2,4,8 (default
    /// 1,2,4,8,16,32,64).
    #[arg(long, value_name = "N,N,...", value_parser = parse_guests)]
    pub guests: Option<GuestList>,

    /// Print JSON instead of the table (schema: the book's measuring chapter).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Print CSV instead of the table: one figure a row.
    #[arg(long)]
    pub csv: bool,

    /// Also write an SVG plot: cost per operation (log scale), native
    /// against under the monitor, and throughput against guests.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// A Linux image for the `linux` macrobenchmark: boot, init, power-off
    /// (scripts/linux/build.sh builds one and prints its path).
    #[arg(long, value_name = "IMAGE")]
    pub linux: Option<PathBuf>,

    /// Timed repetitions of every measurement.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub reps: u64,

    /// How long each timed run should last, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 40,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub run_ms: u64,

    /// The monitor's strategies to compare with native runs, e.g. `trap,bt`
    /// (default: trap,bt,pv, every one).
    #[arg(long, value_name = "trap,bt,pv", value_parser = parse_strategies)]
    pub strategy: Option<StrategyList>,

    /// The privileged ISA the hart implements, as for `run`: `standard`,
    /// or `leaky` (the Popek–Goldberg lab's machine: a U-mode `csrr
    /// sstatus` and an `sstatus` write that changes only SIE do not trap).
    /// On `leaky` the `sstatus-read` and `sie-toggle` nanobenchmarks exit
    /// under trap-and-emulate no more (the flaw: they no longer do what
    /// natively they do) and under binary translation as before; a guest
    /// that then misbehaves fails its benchmark, named.
    #[arg(long, value_name = "standard|leaky", default_value_t = cpu::privileged::Isa::Standard)]
    pub isa: cpu::privileged::Isa,
}

/// Strategies, as `--strategy trap,bt` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyList(pub Vec<Strategy>);

/// Parses `trap,bt,pv`.
fn parse_strategies(text: &str) -> Result<StrategyList, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let s = match part.trim() {
            "trap" => Strategy::Trap,
            "bt" => Strategy::Bt,
            "pv" => Strategy::Pv,
            other => return Err(format!("unknown strategy `{other}` (trap, bt or pv)")),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(StrategyList(out))
}

/// Guest counts, as `--guests 1,2,4,8` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestList(pub Vec<usize>);

/// Parses `1,2,4,8`.
fn parse_guests(text: &str) -> Result<GuestList, String> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let n: usize = part
            .trim()
            .parse()
            .map_err(|_| format!("`{part}` is not a guest count: give numbers like 1,2,4,8"))?;
        if !(1..=256).contains(&n) {
            return Err(format!("{n} guests: give 1 to 256"));
        }
        out.push(n);
    }
    Ok(GuestList(out))
}

/// The plan the command line asks for.
fn plan(args: &BenchArgs) -> Result<Plan, String> {
    let settings = Settings {
        reps: args.reps as usize,
        run_time: Duration::from_millis(args.run_ms),
        isa: args.isa,
    };
    let mut p = Plan::everything(settings);
    if let Some(list) = &args.strategy {
        // Native first, as always: every figure is compared with it.
        p.envs = std::iter::once(Env::Native)
            .chain(list.0.iter().map(|&s| Env::Monitor(s)))
            .collect();
    }
    if let Some(g) = &args.guests {
        p.guests = g.0.clone();
    }
    let named = |w: &str| args.workloads.iter().any(|n| n == w);
    match &args.linux {
        Some(path) if args.workloads.is_empty() || named(LINUX.name) => {
            let guest =
                crate::run_cmd::load_guest(path, LINUX.memory).map_err(|e| e.to_string())?;
            p.files.push((&LINUX, guest.image));
        }
        None if named(LINUX.name) => {
            return Err(format!(
                "the workload `{}` boots the image --linux IMAGE names \
                 (scripts/linux/build.sh builds one and prints its path)",
                LINUX.name
            ))
        }
        _ => {}
    }
    if args.workloads.is_empty() {
        return Ok(p);
    }
    p.nano.clear();
    p.macros.clear();
    let mut scaling = args.guests.is_some();
    for w in &args.workloads {
        match w.as_str() {
            "nano" => p.nano = NANO.iter().collect(),
            "macro" => p.macros = MACRO.iter().filter(|m| m.default).collect(),
            "scaling" => scaling = true,
            name if name == LINUX.name => {}
            name => {
                if let Some(n) = workloads::nano_named(name) {
                    p.nano.push(n);
                } else if let Some(m) = workloads::macro_named(name) {
                    p.macros.push(m);
                } else {
                    let known: Vec<&str> = NANO
                        .iter()
                        .map(|n| n.name)
                        .chain(MACRO.iter().map(|m| m.name))
                        .chain([LINUX.name, "nano", "macro", "scaling"])
                        .collect();
                    return Err(format!(
                        "unknown workload `{name}`; the workloads are: {}",
                        known.join(", ")
                    ));
                }
            }
        }
    }
    p.nano.dedup();
    p.macros.dedup();
    if !scaling {
        p.guests.clear();
    } else if args.guests.is_none() {
        p.guests = DEFAULT_GUESTS.to_vec();
    }
    Ok(p)
}

/// The progress line: rewritten in place on a terminal, one line per step
/// otherwise.
struct Status {
    tty: bool,
    last: Option<usize>,
}

impl Status {
    fn show(&mut self, p: Progress) {
        let mut err = io::stderr().lock();
        // The step under way, counted from 1.
        let line = format!("[{:>2}/{}] {}", (p.done + 1).min(p.total), p.total, p.doing);
        if self.tty {
            let _ = write!(err, "\r\x1b[K{line}");
            if p.done == p.total {
                let _ = write!(err, "\r\x1b[K");
            }
        } else if self.last != Some(p.done) && p.done < p.total {
            let _ = writeln!(err, "trapvisor: bench {line}");
        }
        let _ = err.flush();
        self.last = Some(p.done);
    }
}

/// `trapvisor bench`.
pub fn run(args: &BenchArgs) -> ExitCode {
    let bad_input = ExitCode::from(status::BAD_INPUT);
    let plan = match plan(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("trapvisor: bench: {e}");
            return bad_input;
        }
    };
    // The plot file is opened first: a path that cannot be written is bad
    // input, told before anything runs.
    let mut plot_file = match &args.plot {
        None => None,
        Some(path) => match File::create(path) {
            Ok(f) => Some((path, f)),
            Err(e) => {
                eprintln!(
                    "trapvisor: bench: {}: cannot write the plot: {}",
                    path.display(),
                    crate::io_reason(&e)
                );
                return bad_input;
            }
        },
    };
    let mut status = Status {
        tty: io::stderr().is_terminal(),
        last: None,
    };
    let report = match measure::measure(&plan, &mut |p| status.show(p)) {
        Ok(r) => r,
        Err(e) => {
            if status.tty {
                eprintln!();
            }
            eprintln!("trapvisor: bench: a benchmark failed: {e}");
            return ExitCode::from(1);
        }
    };
    let text = if args.json {
        measure::report::json(&report)
    } else if args.csv {
        measure::report::csv(&report)
    } else {
        measure::report::table(&report)
    };
    let mut out = io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    if let Some((path, f)) = &mut plot_file {
        if let Err(e) = f.write_all(measure::plot::svg(&report).as_bytes()) {
            eprintln!(
                "trapvisor: bench: {}: cannot write the plot: {}",
                path.display(),
                crate::io_reason(&e)
            );
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(workloads: &[&str], guests: Option<Vec<usize>>) -> BenchArgs {
        BenchArgs {
            workloads: workloads.iter().map(|s| s.to_string()).collect(),
            guests: guests.map(GuestList),
            json: false,
            csv: false,
            plot: None,
            linux: None,
            reps: 5,
            run_ms: 40,
            strategy: None,
            isa: cpu::privileged::Isa::Standard,
        }
    }

    #[test]
    fn guest_lists() {
        assert_eq!(parse_guests("1,2, 4,64"), Ok(GuestList(vec![1, 2, 4, 64])));
        assert!(parse_guests("1,,2")
            .unwrap_err()
            .contains("not a guest count"));
        assert!(parse_guests("0").unwrap_err().contains("1 to 256"));
        assert!(parse_guests("1000").is_err());
    }

    #[test]
    fn workloads_select_what_runs() {
        let defaults = MACRO.iter().filter(|m| m.default).count();
        assert!(defaults >= 4, "C, system calls, page faults, time sharing");
        let all = plan(&args(&[], None)).unwrap();
        assert_eq!(all.nano.len(), NANO.len());
        assert_eq!(all.macros.len(), defaults);
        assert_eq!(all.guests, DEFAULT_GUESTS);

        let some = plan(&args(&["syscall", "crc32"], None)).unwrap();
        assert_eq!(
            some.nano.iter().map(|n| n.name).collect::<Vec<_>>(),
            ["syscall"]
        );
        assert_eq!(
            some.macros.iter().map(|m| m.name).collect::<Vec<_>>(),
            ["crc32"]
        );
        assert!(some.guests.is_empty(), "scaling only when asked");

        let scaling = plan(&args(&["scaling"], None)).unwrap();
        assert!(scaling.nano.is_empty() && scaling.macros.is_empty());
        assert_eq!(scaling.guests, DEFAULT_GUESTS);
        let guests = plan(&args(&["plain"], Some(vec![1, 3]))).unwrap();
        assert_eq!(guests.guests, [1, 3]);

        let e = plan(&args(&["linux"], None)).unwrap_err();
        assert!(e.contains("--linux IMAGE"), "{e}");

        let e = plan(&args(&["syscal"], None)).unwrap_err();
        assert!(
            e.contains("unknown workload `syscal`") && e.contains("syscall"),
            "{e}"
        );
    }

    #[test]
    fn linux_runs_the_image_it_names() {
        let with = |workloads: &[&str], image: &str| {
            let mut a = args(workloads, None);
            a.linux = Some(PathBuf::from(image));
            plan(&a)
        };
        let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/guest-programs/hello.s");
        let names = |p: &Plan| p.files.iter().map(|(w, _)| w.name).collect::<Vec<_>>();
        // With every default workload, or when named; not when others are.
        let all = with(&[], hello).unwrap();
        assert_eq!(names(&all), ["linux"]);
        assert_eq!(all.macros.len(), MACRO.iter().filter(|m| m.default).count());
        let only = with(&["linux"], hello).unwrap();
        assert_eq!(names(&only), ["linux"]);
        assert!(only.nano.is_empty() && only.macros.is_empty());
        assert!(with(&["syscall"], hello).unwrap().files.is_empty());
        // A file that is not there is bad input, named.
        let e = with(&["linux"], "no/such/Image").unwrap_err();
        assert!(e.contains("no/such/Image"), "{e}");
    }
}
