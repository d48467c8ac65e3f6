//! The plot of `trapvisor bench --plot FILE.svg`, as hand-written SVG: two
//! panels, each drawn only if the bench measured what it shows.
//!
//! 1. Cost per operation: one row per nanobenchmark, one bar per
//!    environment (native, then each monitor strategy), on a logarithmic
//!    axis of nanoseconds, so that a 0.1 ns instruction and a 3 µs page
//!    fault fit on one scale and a ratio is a fixed distance. A result the
//!    sanity checks flag as impossible gets no bar, only its flag.
//! 2. Throughput against guests: guest MIPS of all guests together,
//!    against the number of guests side by side (logarithmic, base 2), with
//!    the first point's level and 95% of it dashed for reference.
//!
//! SVG by hand rather than a plotting crate: two fixed charts need a few
//! rectangles, lines and labels, and the file stays small, readable and
//! the same for the same numbers.

use std::fmt::Write as _;

use crate::env::Env;
use crate::report::{num, Report};

const WIDTH: f64 = 900.0;
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// The colour of an environment's bars and lines.
fn colour(env: Env) -> &'static str {
    match env {
        Env::Native => "#4e79a7",
        Env::Monitor(_) => "#e15759",
    }
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` at (x, y), anchored `anchor` (start, middle, end).
fn text(out: &mut String, x: f64, y: f64, anchor: &str, s: &str) {
    let _ = writeln!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" {FONT}>{}</text>",
        esc(s)
    );
}

fn line(out: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
    let _ = writeln!(
        out,
        "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" {style}/>"
    );
}

/// 10^d nanoseconds, as an axis label: "0.1 ns", "100 ns", "10 µs".
fn decade(d: i32) -> String {
    let (v, unit) = match d {
        ..=2 => (10f64.powi(d), "ns"),
        3..=5 => (10f64.powi(d - 3), "µs"),
        _ => (10f64.powi(d - 6), "ms"),
    };
    format!("{v} {unit}")
}

/// A round step for an axis up to `max` with about `n` steps: 1, 2 or 5
/// times a power of ten.
fn step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(f64::MIN_POSITIVE);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// The SVG text of `r`'s plot.
pub fn svg(r: &Report) -> String {
    let mut body = String::new();
    let mut y = 10.0;
    if r.nano.iter().any(|n| !n.results.is_empty()) {
        y = costs(&mut body, r, y) + 30.0;
    }
    if let Some(s) = r.scaling.as_ref().filter(|s| !s.points.is_empty()) {
        y = throughput(&mut body, s, y) + 30.0;
    }
    if body.is_empty() {
        text(
            &mut body,
            WIDTH / 2.0,
            40.0,
            "middle",
            "trapvisor bench measured nothing to plot",
        );
        y = 70.0;
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{y:.0}\" viewBox=\"0 0 {WIDTH:.0} {y:.0}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// Panel 1, from `top`; returns its bottom.
fn costs(out: &mut String, r: &Report, top: f64) -> f64 {
    let envs = &r.settings.envs;
    let (left, right) = (330.0, WIDTH - 30.0);
    let bar = 9.0;
    let row = bar * envs.len() as f64 + 8.0;
    let values: Vec<f64> = r
        .nano
        .iter()
        .flat_map(|n| &n.results)
        .filter(|x| !x.flags.iter().any(|f| f.impossible()) && x.ns_per_op.median > 0.0)
        .map(|x| x.ns_per_op.median)
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (d0, d1) = if values.is_empty() {
        (-1, 4)
    } else {
        (
            lo.log10().floor() as i32,
            (hi.log10().ceil() as i32).max(lo.log10().floor() as i32 + 1),
        )
    };
    let x = |ns: f64| left + (ns.log10() - d0 as f64) / (d1 - d0) as f64 * (right - left);
    text(out, WIDTH / 2.0, top + 14.0, "middle", "Cost per operation, nanoseconds (log scale): (loop with it - loop without it) / operations");
    let mut lx = left;
    for e in envs {
        let _ = writeln!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"{bar}\" fill=\"{}\"/>",
            top + 24.0,
            colour(*e)
        );
        text(out, lx + 16.0, top + 32.0, "start", e.title());
        lx += 30.0 + 7.0 * e.title().len() as f64;
    }
    let y0 = top + 44.0;
    let y1 = y0 + row * r.nano.len() as f64;
    for d in d0..=d1 {
        let ns = 10f64.powi(d);
        let gx = x(ns);
        line(
            out,
            (gx, y0),
            (gx, y1),
            "stroke=\"#ccc\" stroke-width=\"1\"",
        );
        let label = decade(d);
        text(out, gx, y1 + 16.0, "middle", &label);
    }
    for (i, n) in r.nano.iter().enumerate() {
        let ry = y0 + row * i as f64 + 4.0;
        text(out, left - 8.0, ry + row / 2.0, "end", n.title);
        for (k, e) in envs.iter().enumerate() {
            let by = ry + bar * k as f64;
            let Some(res) = n.results.iter().find(|x| x.env == *e) else {
                continue;
            };
            match res.flags.iter().find(|f| f.impossible()) {
                Some(f) => text(out, left + 4.0, by + bar - 1.0, "start", f.text()),
                None if res.ns_per_op.median > 0.0 => {
                    let w = (x(res.ns_per_op.median) - left).max(1.0);
                    let _ = writeln!(
                        out,
                        "<rect x=\"{left:.1}\" y=\"{by:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: {} ns</title></rect>",
                        bar - 1.0,
                        colour(*e),
                        esc(n.name),
                        e.name(),
                        num(res.ns_per_op.median)
                    );
                    text(
                        out,
                        left + w + 4.0,
                        by + bar - 1.0,
                        "start",
                        &num(res.ns_per_op.median),
                    );
                }
                None => {}
            }
        }
    }
    line(
        out,
        (left, y0),
        (left, y1),
        "stroke=\"black\" stroke-width=\"1\"",
    );
    y1 + 20.0
}

/// Panel 2, from `top`; returns its bottom.
fn throughput(out: &mut String, s: &crate::scaling::ScalingReport, top: f64) -> f64 {
    let (left, right) = (90.0, WIDTH - 40.0);
    let (y0, y1) = (top + 40.0, top + 300.0);
    text(
        out,
        WIDTH / 2.0,
        top + 14.0,
        "middle",
        &format!(
            "Throughput against guests side by side ({}, {}, quantum {})",
            s.workload,
            s.env.title(),
            s.quantum
        ),
    );
    let gmax = s.points.iter().map(|p| p.guests).max().unwrap_or(1).max(2) as f64;
    let top_mips = s.points.iter().map(|p| p.mips).fold(0.0, f64::max).max(1.0);
    let dy = step(top_mips, 5.0);
    let ymax = (top_mips * 1.1 / dy).ceil() * dy;
    let x = |g: f64| left + g.log2() / gmax.log2() * (right - left);
    let y = |m: f64| y1 - m / ymax * (y1 - y0);
    // Axes, ticks at powers of two and at five steps of MIPS.
    line(out, (left, y1), (right, y1), "stroke=\"black\"");
    line(out, (left, y0), (left, y1), "stroke=\"black\"");
    let mut g = 1.0;
    while g <= gmax {
        line(out, (x(g), y1), (x(g), y1 + 5.0), "stroke=\"black\"");
        text(out, x(g), y1 + 18.0, "middle", &format!("{g:.0}"));
        g *= 2.0;
    }
    text(out, (left + right) / 2.0, y1 + 34.0, "middle", "guests");
    let mut m = 0.0;
    while m <= ymax + dy / 2.0 {
        line(out, (left, y(m)), (right, y(m)), "stroke=\"#eee\"");
        text(out, left - 6.0, y(m) + 4.0, "end", &format!("{m}"));
        m += dy;
    }
    text(out, 20.0, (y0 + y1) / 2.0, "middle", "MIPS");
    if let Some(first) = s.points.first() {
        let label = format!(
            "{} guest{}",
            first.guests,
            if first.guests == 1 { "" } else { "s" }
        );
        for (level, label, dy) in [(1.0, label, -4.0), (0.95, "95% of it".to_string(), 14.0)] {
            let ly = y(first.mips * level);
            line(
                out,
                (left, ly),
                (right, ly),
                "stroke=\"#999\" stroke-dasharray=\"4 4\"",
            );
            text(out, right, ly + dy, "end", &label);
        }
    }
    let pts: Vec<String> = s
        .points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.guests as f64), y(p.mips)))
        .collect();
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
        pts.join(" "),
        colour(s.env)
    );
    for p in &s.points {
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\"><title>{} guest{}: {} MIPS</title></circle>",
            x(p.guests as f64),
            y(p.mips),
            colour(s.env),
            p.guests,
            if p.guests == 1 { "" } else { "s" },
            num(p.mips)
        );
    }
    y1 + 40.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_and_steps() {
        assert_eq!(decade(-1), "0.1 ns");
        assert_eq!(decade(0), "1 ns");
        assert_eq!(decade(2), "100 ns");
        assert_eq!(decade(3), "1 µs");
        assert_eq!(decade(4), "10 µs");
        assert_eq!(decade(6), "1 ms");
        assert_eq!(step(1900.0, 5.0), 500.0);
        assert_eq!(step(1.0, 5.0), 0.2);
        assert_eq!(step(100.0, 5.0), 20.0);
        assert_eq!(esc("a<b & c>"), "a&lt;b &amp; c&gt;");
    }
}

#[cfg(test)]
mod svg_tests {
    use super::*;
    use crate::sanity::check;
    use crate::testing::{self, nano, TRAP};

    #[test]
    fn bars_for_sound_results_flags_for_the_others() {
        let mut r = testing::report();
        check(&mut r);
        let s = svg(&r);
        assert!(
            s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && s.ends_with("</svg>\n")
        );
        assert_eq!(s.matches("<svg").count(), 1);
        // One bar per result, one point per guest count.
        assert_eq!(
            s.matches("<rect x=").count() - r.settings.envs.len(),
            5,
            "{s}"
        );
        assert!(s.contains("<title>csr-read trap: 60.0 ns</title>"));
        assert_eq!(s.matches("<circle").count(), 2);
        assert!(s.contains("<title>1 guest: "), "{s}");
        assert!(s.contains("Throughput against guests"));
        // Decades from 0.1 ns to 1 µs cover 0.2 ns to 500 ns.
        assert!(s.contains(">0.1 ns<") && s.contains(">1 µs<"), "{s}");

        r.nano[1].results[1] = nano(TRAP, &[1.0, 1.0, 1.0], 1.0);
        check(&mut r);
        let s = svg(&r);
        assert!(!s.contains("<title>csr-read trap"));
        assert!(s.contains("&lt;= native (noise)"));

        r.nano.clear();
        r.scaling = None;
        assert!(svg(&r).contains("measured nothing to plot"));
    }
}
