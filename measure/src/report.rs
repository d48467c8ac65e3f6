//! What `trapvisor bench` found, and the three ways it prints it: an
//! aligned table for people ([`table`]), JSON ([`json`]) and CSV ([`csv`])
//! for scripts. The JSON and CSV schemas are documented in the book's
//! measuring chapter (`book/src/measuring.md`, "The bench's files"); a
//! change to them changes [`SCHEMA`].

use std::fmt::Write as _;

use serde::Serialize;

use crate::clock::{Clock, Host};
use crate::env::Env;
use crate::nano::NanoResult;
use crate::sanity::Flag;
use crate::scaling::ScalingReport;
use crate::summary::Summary;
use crate::whole::MacroReport;

/// The name and version of the JSON and CSV layouts.
pub const SCHEMA: &str = "trapvisor-bench/1";

/// Everything one `trapvisor bench` run found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// trapvisor's version.
    pub trapvisor: &'static str,
    pub host: Host,
    pub conditions: Conditions,
    pub settings: SettingsUsed,
    pub nano: Vec<NanoReport>,
    #[serde(rename = "macro")]
    pub macros: Vec<MacroReport>,
    pub scaling: Option<ScalingReport>,
}

/// How the host behaved while the bench ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conditions {
    /// The clock every time is from.
    pub clock: Clock,
    /// The one-minute load average before and after (processes wanting a
    /// core; compare with `host.cpus`).
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    /// The share of its wall time the bench's thread was on a core (1: it
    /// never waited for one).
    pub cpu_share: f64,
    /// The share of the machine's CPU time its hypervisor took back while
    /// the bench ran (a virtual machine's "steal"), if the host says.
    pub steal_share: Option<f64>,
    /// Wall-clock seconds the whole bench took.
    pub seconds: f64,
}

/// The settings the bench ran with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SettingsUsed {
    pub reps: usize,
    /// The target length of each timed run, in milliseconds.
    pub run_ms: f64,
    /// The monitor's quantum in the macrobenchmarks, scaling runs and the
    /// world switch (the other nanobenchmarks run with no quantum).
    pub quantum: u64,
    pub envs: Vec<Env>,
    /// The privileged ISA the hart implemented (`--isa`).
    #[serde(serialize_with = "isa_name")]
    pub isa: cpu::privileged::Isa,
}

fn isa_name<S: serde::Serializer>(isa: &cpu::privileged::Isa, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&isa.to_string())
}

/// One nanobenchmark, in every environment it applies to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NanoReport {
    pub name: &'static str,
    pub title: &'static str,
    pub analogue: &'static str,
    pub in_paper: bool,
    pub results: Vec<NanoResult>,
}

/// The JSON text of `r`.
pub fn json(r: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------
// CSV

/// The CSV header (see [`csv`]).
pub const CSV_HEADER: &str = "section,workload,env,guests,metric,unit,median,min,max,flags";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The first four columns of a CSV row: which result a figure belongs to.
#[derive(Clone, Copy)]
struct Key<'a> {
    section: &'a str,
    workload: &'a str,
    env: Env,
    guests: Option<usize>,
}

struct Csv(String);

impl Csv {
    fn row(&mut self, k: Key, metric: &str, unit: &str, v: (f64, f64, f64), flags: &[Flag]) {
        let flags: Vec<&str> = flags.iter().map(|f| f.name()).collect();
        let _ = writeln!(
            self.0,
            "{},{},{},{},{},{unit},{},{},{},{}",
            k.section,
            csv_field(k.workload),
            k.env.name(),
            k.guests.map(|g| g.to_string()).unwrap_or_default(),
            csv_field(metric),
            v.0,
            v.1,
            v.2,
            flags.join(" ")
        );
    }
    fn summary(&mut self, k: Key, metric: &str, unit: &str, s: &Summary, flags: &[Flag]) {
        self.row(k, metric, unit, (s.median, s.min, s.max), flags);
    }
    fn value(&mut self, k: Key, metric: &str, unit: &str, v: f64) {
        self.row(k, metric, unit, (v, v, v), &[]);
    }
}

/// `r` as CSV in long form: one measured figure a row, so that new
/// figures never change the columns. A figure that is one number has it in
/// `median`, `min` and `max` alike; `flags` lists the sanity flags
/// (space-separated) of timed figures.
pub fn csv(r: &Report) -> String {
    let mut c = Csv(format!("{CSV_HEADER}\n"));
    for n in &r.nano {
        for x in &n.results {
            let k = Key {
                section: "nano",
                workload: n.name,
                env: x.env,
                guests: None,
            };
            c.summary(k, "ns_per_op", "ns", &x.ns_per_op, &x.flags);
            c.value(k, "iterations", "count", x.iterations as f64);
            c.value(k, "instructions_per_op", "count", x.per_op.instructions);
            c.value(k, "traps_per_op", "count", x.per_op.traps);
            c.value(k, "exits_per_op", "count", x.per_op.exits);
            for (reason, v) in &x.per_op.exits_by_reason {
                c.value(k, &format!("exits_per_op:{reason}"), "count", *v);
            }
            if let Some(v) = x.plain_equivalents {
                c.value(k, "plain_equivalents", "ratio", v);
            }
            if let Some(v) = x.added_ns_per_exit {
                c.value(k, "added_ns_per_exit", "ns", v);
            }
        }
    }
    for w in &r.macros {
        for x in &w.results {
            let k = Key {
                section: "macro",
                workload: w.name,
                env: x.env,
                guests: None,
            };
            c.summary(k, "seconds", "s", &x.seconds, &x.flags);
            c.value(k, "instructions", "count", w.instructions as f64);
            c.value(k, "mips", "Minsn/s", x.mips);
            if let Some(v) = x.efficiency {
                c.value(k, "efficiency", "ratio", v);
            }
            c.value(k, "exits_per_million", "count", x.exits_per_million);
            for (reason, v) in &x.exits_per_million_by_reason {
                c.value(k, &format!("exits_per_million:{reason}"), "count", *v);
            }
        }
    }
    if let Some(s) = &r.scaling {
        for p in &s.points {
            let k = Key {
                section: "scaling",
                workload: s.workload,
                env: s.env,
                guests: Some(p.guests),
            };
            c.summary(k, "seconds", "s", &p.seconds, &[]);
            c.value(k, "mips", "Minsn/s", p.mips);
            c.value(k, "relative_throughput", "ratio", p.relative);
            c.value(k, "world_switches", "count", p.world_switches as f64);
            if let Some(b) = p.host_bytes_per_guest {
                c.value(k, "host_bytes_per_guest", "bytes", b as f64);
            }
            c.value(
                k,
                "machine_bytes_per_guest",
                "bytes",
                p.machine_bytes_per_guest as f64,
            );
        }
    }
    c.0
}

// ---------------------------------------------------------------------------
// The table

/// Columns of text, each as wide as its widest cell; the first `left`
/// columns left-aligned, the others right-aligned.
struct Grid {
    rows: Vec<Vec<String>>,
    left: usize,
    /// A heading line above the rows: each text starts where its column
    /// does (spanning the columns after it).
    groups: Vec<(usize, String)>,
}

impl Grid {
    fn new(left: usize) -> Grid {
        Grid {
            rows: Vec::new(),
            left,
            groups: Vec::new(),
        }
    }
    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }
    fn render(&self, out: &mut String) {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        if !self.groups.is_empty() {
            let mut line = String::new();
            for (col, title) in &self.groups {
                let at: usize = width[..*col].iter().map(|w| w + 2).sum();
                let len = line.chars().count();
                if len < at {
                    line.extend(std::iter::repeat_n(' ', at - len));
                } else if len > 0 {
                    line.push(' ');
                }
                line.push_str(title);
            }
            out.push_str(&line);
            out.push('\n');
        }
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let pad = width[c].saturating_sub(cell.chars().count());
                if c < self.left {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                } else {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// A number with about three significant digits.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A count per operation: whole numbers as such.
fn count(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A large number with thousands separators.
fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A time in seconds, in the unit that suits it: "1.23 s", "27.3 ms",
/// "612 µs".
pub fn seconds(v: f64) -> String {
    let a = v.abs();
    if a >= 1.0 {
        format!("{} s", num(v))
    } else if a >= 1e-3 {
        format!("{} ms", num(v * 1e3))
    } else {
        format!("{} µs", num(v * 1e6))
    }
}

/// "12.3 ±4%", or the flag's text for a result that is impossible, or
/// with a `?` when noisy; `unit` "s" shows seconds in a unit that suits.
fn timed(s: &Summary, flags: &[Flag], unit: &str) -> String {
    if let Some(f) = flags.iter().find(|f| f.impossible()) {
        return f.text().into();
    }
    let spread = s.spread();
    let spread = if spread.is_finite() {
        format!(
            "±{:.0}%",
            (spread * 100.0).max(if spread > 0.0 { 1.0 } else { 0.0 })
        )
    } else {
        "±∞".into()
    };
    let noisy = if flags.contains(&Flag::Noisy) {
        "?"
    } else {
        ""
    };
    let value = if unit == "s" {
        seconds(s.median)
    } else {
        num(s.median)
    };
    format!("{value} {spread}{noisy}")
}

/// `r` as aligned text, for people.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let h = &r.host;
    let c = &r.conditions;
    let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
    let _ = writeln!(
        out,
        "trapvisor bench {}: {}, {} CPUs{}; load {} -> {}; the bench was on a CPU {:.0}% of its {:.1} s{}",
        r.trapvisor,
        h.cpu_model.as_deref().unwrap_or(h.arch),
        h.cpus,
        h.cpu_mhz.map_or(String::new(), |m| format!(", {m:.0} MHz nominal")),
        load(c.load_before),
        load(c.load_after),
        c.cpu_share * 100.0,
        c.seconds,
        c.steal_share.map_or(String::new(), |s| format!(", {:.1}% stolen by the hypervisor", s * 100.0)),
    );
    let _ = writeln!(
        out,
        "times: {}, median of {} runs ±half their range; ? = noisy, see `trapvisor bench --help`",
        c.clock.name(),
        r.settings.reps
    );
    if r.settings.isa == cpu::privileged::Isa::Leaky {
        let _ = writeln!(
            out,
            "isa leaky: a U-mode `csrr sstatus` and an sstatus write that changes only SIE do not trap \
             (trap and pv miss them; `-`: the guest cannot run there)"
        );
    }
    let monitors: Vec<Env> = r
        .settings
        .envs
        .iter()
        .copied()
        .filter(|e| !e.is_native())
        .collect();
    if !r.nano.is_empty() {
        let _ = writeln!(
            out,
            "\nNanobenchmarks: one operation, timed as (loop with it - the same loop without it) / operations"
        );
        let mut g = Grid::new(2);
        let mut head = vec![
            "operation".to_string(),
            "x86".to_string(),
            "insns".to_string(),
        ];
        g.groups.push((3, "native".into()));
        head.extend(["ns/op".into(), "exits".into(), "×plain".into()]);
        for (k, e) in monitors.iter().enumerate() {
            g.groups.push((6 + 4 * k, e.title().into()));
            head.extend([
                "ns/op".into(),
                "exits".into(),
                "+ns/exit".into(),
                "×plain".into(),
            ]);
        }
        g.push(head);
        for n in &r.nano {
            let find = |e: Env| n.results.iter().find(|x| x.env == e);
            let insns = n
                .results
                .first()
                .map_or(String::new(), |x| count(x.per_op.instructions));
            let analogue = if n.in_paper {
                format!("{}*", n.analogue)
            } else {
                n.analogue.to_string()
            };
            let mut row = vec![n.title.to_string(), analogue, insns];
            for (k, e) in std::iter::once(Env::Native)
                .chain(monitors.iter().copied())
                .enumerate()
            {
                match find(e) {
                    Some(x) => {
                        row.push(timed(&x.ns_per_op, &x.flags, ""));
                        row.push(count(x.per_op.exits));
                        if k > 0 {
                            row.push(x.added_ns_per_exit.map_or("-".into(), num));
                        }
                        row.push(x.plain_equivalents.map_or("-".into(), num));
                    }
                    None => {
                        let cells = if k > 0 { 4 } else { 3 };
                        row.extend(std::iter::repeat_n("n/a".to_string(), cells));
                    }
                }
            }
            g.push(row);
        }
        g.render(&mut out);
        let _ = writeln!(
            out,
            "x86: the operation it stands for (* one of Adams and Agesen's nanobenchmarks); insns: instructions retired\n\
             per operation; exits: to the host per operation (natively, to the firmware: SBI calls); +ns/exit: the time\n\
             over native divided by the exits over native; ×plain: the operation in native plain instructions"
        );
    }
    if !r.macros.is_empty() {
        let _ = writeln!(out, "\nMacrobenchmarks: whole guests, seconds per run");
        let mut g = Grid::new(1);
        let mut head = vec![
            "workload".to_string(),
            "instructions".to_string(),
            "native".to_string(),
        ];
        for e in &monitors {
            head.extend([
                e.name().to_string(),
                "efficiency".to_string(),
                "exits/M insns".to_string(),
            ]);
        }
        g.push(head);
        for w in &r.macros {
            let find = |e: Env| w.results.iter().find(|x| x.env == e);
            let mut row = vec![
                w.title.to_string(),
                format!("{} M", num(w.instructions as f64 / 1e6)),
            ];
            row.push(find(Env::Native).map_or("n/a".into(), |x| timed(&x.seconds, &x.flags, "s")));
            for e in &monitors {
                match find(*e) {
                    Some(x) => {
                        row.push(timed(&x.seconds, &x.flags, "s"));
                        let eff = match x.flags.iter().find(|f| f.impossible()) {
                            Some(f) => f.text().into(),
                            None => x.efficiency.map_or("-".into(), |v| format!("{v:.3}")),
                        };
                        row.push(eff);
                        row.push(thousands(x.exits_per_million));
                    }
                    None => row.extend(std::iter::repeat_n("n/a".to_string(), 3)),
                }
            }
            g.push(row);
        }
        g.render(&mut out);
        for w in &r.macros {
            for x in w.results.iter().filter(|x| !x.env.is_native()) {
                let reasons: Vec<String> = x
                    .exits_per_million_by_reason
                    .iter()
                    .map(|(k, v)| format!("{k} {}", thousands(*v)))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} ({}): exits per million instructions: {}",
                    w.name,
                    x.env.name(),
                    if reasons.is_empty() {
                        "none".into()
                    } else {
                        reasons.join(", ")
                    }
                );
            }
        }
        let _ = writeln!(
            out,
            "efficiency: native time / virtualized time (1 = native speed)"
        );
    }
    if let Some(s) = &r.scaling {
        let _ = writeln!(
            out,
            "\nScaling: {} side by side, {}, quantum {}, {} M instructions per guest",
            s.workload,
            s.env.title(),
            s.quantum,
            num(s.instructions_per_guest as f64 / 1e6)
        );
        let mut g = Grid::new(0);
        g.push(
            [
                "guests",
                "seconds",
                "MIPS",
                "vs first",
                "switches",
                "host MiB/guest",
                "machine MiB/guest",
            ]
            .map(String::from)
            .to_vec(),
        );
        for p in &s.points {
            g.push(vec![
                p.guests.to_string(),
                timed(&p.seconds, &[], "s"),
                num(p.mips),
                format!("{:.3}", p.relative),
                thousands(p.world_switches as f64),
                p.host_bytes_per_guest
                    .map_or("?".into(), |b| num(b as f64 / (1 << 20) as f64)),
                num(p.machine_bytes_per_guest as f64 / (1 << 20) as f64),
            ]);
        }
        g.render(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanity::check;
    use crate::testing::{self, nano, TRAP};
    use serde_json::Value;

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort();
        k
    }

    /// The JSON layout the book documents (book/src/measuring.md).
    #[test]
    fn json_has_the_documented_schema() {
        let mut r = testing::report();
        check(&mut r);
        let v: Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(
            keys(&v),
            [
                "conditions",
                "host",
                "macro",
                "nano",
                "scaling",
                "schema",
                "settings",
                "trapvisor"
            ]
        );
        assert_eq!(v["schema"], "trapvisor-bench/1");
        assert_eq!(
            keys(&v["host"]),
            ["arch", "cpu_mhz", "cpu_model", "cpus", "os"]
        );
        assert_eq!(
            keys(&v["conditions"]),
            [
                "clock",
                "cpu_share",
                "load_after",
                "load_before",
                "seconds",
                "steal_share"
            ]
        );
        assert_eq!(v["conditions"]["clock"], "thread-cpu");
        assert_eq!(
            keys(&v["settings"]),
            ["envs", "isa", "quantum", "reps", "run_ms"]
        );
        assert_eq!(v["settings"]["isa"], "standard");
        assert_eq!(v["settings"]["envs"], serde_json::json!(["native", "trap"]));
        let n = &v["nano"][1];
        assert_eq!(
            keys(n),
            ["analogue", "in_paper", "name", "results", "title"]
        );
        let x = &n["results"][1];
        assert_eq!(
            keys(x),
            [
                "added_ns_per_exit",
                "env",
                "flags",
                "iterations",
                "ns_per_op",
                "ops",
                "per_op",
                "plain_equivalents",
                "with_ms",
                "without_ms"
            ]
        );
        assert_eq!(x["env"], "trap");
        assert_eq!(keys(&x["ns_per_op"]), ["max", "median", "min", "samples"]);
        assert_eq!(x["ns_per_op"]["median"], 60.0);
        assert_eq!(
            keys(&x["per_op"]),
            ["exits", "exits_by_reason", "instructions", "traps"]
        );
        assert_eq!(x["per_op"]["exits_by_reason"]["illegal-instruction"], 1.0);
        assert_eq!(x["added_ns_per_exit"], 30.0);
        let m = &v["macro"][0];
        assert_eq!(
            keys(m),
            [
                "instructions",
                "name",
                "results",
                "runs_per_sample",
                "title"
            ]
        );
        assert_eq!(
            keys(&m["results"][1]),
            [
                "efficiency",
                "env",
                "exits_per_million",
                "exits_per_million_by_reason",
                "flags",
                "mips",
                "seconds",
                "traps_per_million"
            ]
        );
        let s = &v["scaling"];
        assert_eq!(
            keys(s),
            [
                "env",
                "instructions_per_guest",
                "points",
                "quantum",
                "workload"
            ]
        );
        assert_eq!(
            keys(&s["points"][0]),
            [
                "guests",
                "host_bytes_per_guest",
                "machine_bytes_per_guest",
                "mips",
                "relative",
                "runs_per_sample",
                "seconds",
                "world_switches"
            ]
        );
        // A flag is written by name.
        r.nano[1].results[1] = nano(TRAP, &[-1.0, -1.0, -1.0], 1.0);
        check(&mut r);
        let v: Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(
            v["nano"][1]["results"][1]["flags"],
            serde_json::json!(["negative-cost"])
        );
    }

    #[test]
    fn csv_is_one_figure_a_row_under_the_header() {
        let mut r = testing::report();
        check(&mut r);
        let text = csv(&r);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(CSV_HEADER));
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert!(rows.iter().all(|r| r.len() == 10), "{text}");
        let find = |section: &str, workload: &str, env: &str, metric: &str| {
            rows.iter()
                .find(|r| r[0] == section && r[1] == workload && r[2] == env && r[4] == metric)
                .unwrap_or_else(|| panic!("no {section} {workload} {env} {metric} in\n{text}"))
                .clone()
        };
        assert_eq!(
            find("nano", "csr-read", "trap", "ns_per_op")[5..9],
            ["ns", "60", "59", "61"]
        );
        assert_eq!(
            find("nano", "csr-read", "trap", "added_ns_per_exit")[6],
            "30"
        );
        assert_eq!(
            find(
                "nano",
                "csr-read",
                "trap",
                "exits_per_op:illegal-instruction"
            )[6],
            "1"
        );
        assert_eq!(find("macro", "c-cpu", "trap", "efficiency")[6], "0.8");
        let p: Vec<&Vec<&str>> = rows
            .iter()
            .filter(|r| r[0] == "scaling" && r[4] == "relative_throughput")
            .collect();
        assert_eq!(
            p.iter().map(|r| (r[3], r[6])).collect::<Vec<_>>(),
            [("1", "1"), ("2", "0.8")]
        );
        assert!(!rows
            .iter()
            .any(|r| r[2] == "native" && r[1] == "world-switch"));
        r.nano[1].results[1] = nano(TRAP, &[10.0, 10.0, 10.0], 1.0);
        check(&mut r);
        let text = csv(&r);
        assert!(
            text.contains("nano,csr-read,trap,,ns_per_op,ns,10,10,10,cheaper-than-native\n"),
            "{text}"
        );
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn the_table_shows_flags_instead_of_impossible_numbers() {
        let mut r = testing::report();
        check(&mut r);
        let t = table(&r);
        assert!(t.contains("csr-read") && t.contains("60.0 ±2%"), "{t}");
        assert!(t.contains("Scaling: c-cpu side by side"), "{t}");
        r.nano[1].results[1] = nano(TRAP, &[12.3456, 12.3456, 12.3456], 1.0);
        r.macros[0].results[1] = testing::whole(TRAP, &[0.5, 0.5, 0.5], 100.0);
        check(&mut r);
        let t = table(&r);
        assert!(t.contains("<= native (noise)"), "{t}");
        assert!(
            !t.contains("12.3"),
            "the impossible number is not printed:\n{t}"
        );
        assert!(t.contains("> native (noise)"), "{t}");
        // Every line of the nanobenchmark table is aligned: the columns
        // of each row end where the header's do.
        let rows: Vec<&str> = t
            .lines()
            .skip_while(|l| !l.starts_with("Nanobenchmarks"))
            .skip(1)
            .take(5)
            .collect();
        let ends = |l: &str| l.trim_end().chars().count();
        assert_eq!(ends(rows[1]), ends(rows[2]), "{t}");
    }

    #[test]
    fn numbers_and_times_read_well() {
        assert_eq!(num(0.1234), "0.123");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(1234.5), "1234");
        assert_eq!(num(0.0), "0");
        assert_eq!(seconds(1.5), "1.50 s");
        assert_eq!(seconds(0.0273), "27.3 ms");
        assert_eq!(seconds(0.000612), "612 µs");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(count(4.0), "4");
        assert_eq!(count(3.5), "3.50");
    }
}
