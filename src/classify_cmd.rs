//! `trapvisor classify [--isa standard|leaky] [--json]`: Popek and
//! Goldberg's classification of the hart's instructions, found by running
//! each one ([`cpu::classify`]), and the verdicts of their Theorems 1 and 3.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cpu::classify::{classify, Classification, Row};
use cpu::privileged::Isa;
use serde_json::json;

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// The machine to classify: `standard`, or the Popek–Goldberg lab's
    /// `leaky` variant (see `trapvisor run --help`).
    #[arg(long, value_name = "standard|leaky", default_value_t = Isa::Standard)]
    pub isa: Isa,

    /// One JSON document on stdout instead of the table: every row (name,
    /// csr, how it ran in S and U, class, and why it is sensitive), and the
    /// verdicts with the rows that break them.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ClassifyArgs) -> ExitCode {
    let c = classify(args.isa);
    let text = if args.json {
        let mut t = serde_json::to_string_pretty(&to_json(&c)).unwrap_or_default();
        t.push('\n');
        t
    } else {
        table(&c)
    };
    // A closed stdout (`| head`) ends the command quietly.
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

/// The table and the verdicts, as text.
fn table(c: &Classification) -> String {
    let mut out = format!(
        "classify --isa {}: every instruction of the table and every CSR address, run in S-mode and in U-mode\n\
         ({} runs from prepared states: registers, privileged state, bare memory and two Sv39 placements)\n\n",
        c.isa, c.runs
    );
    out.push_str(&format!(
        "{:<20} {:<14} {:<14} class\n",
        "instruction", "S-mode", "U-mode"
    ));
    for r in merged(&c.rows) {
        let mark = if r.1.sensitive() && !r.1.privileged() {
            "   <- sensitive, not privileged"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:<20} {:<14} {:<14} {}{mark}\n",
            r.0,
            r.1.in_s.text(),
            r.1.in_u.text(),
            r.1.class()
        ));
    }
    out.push_str(&format!(
        "(the other {} of the {} CSR addresses, read or written, are illegal in S and U: no such CSR, or an M-level one: innocuous)\n",
        c.csrs_never_run, c.csr_addresses
    ));
    out.push_str(&compressed_note(c));
    out.push('\n');
    out.push_str(&verdict(
        "Theorem 1 (sensitive ⊆ privileged: a trap-and-emulate monitor exists)",
        &c.theorem1_breakers(),
        |r| r.behaviour.as_ref().or(r.control.as_ref()),
    ));
    out.push_str(&verdict(
        "Theorem 3 (user-sensitive ⊆ privileged: a hybrid monitor exists)",
        &c.theorem3_breakers(),
        |r| r.user.as_ref(),
    ));
    out
}

/// The base instructions compressed ones expand to, by the hart's own
/// expander ([`cpu::rvc::base`] over every 16-bit parcel), in the
/// table's order.
fn compressed_expansions(c: &Classification) -> Vec<&Row> {
    let mut names = std::collections::BTreeSet::new();
    for parcel in 0..=u16::MAX {
        if parcel & 3 == 3 {
            continue;
        }
        let op = cpu::rvc::base(u32::from(parcel))
            .and_then(|(w, _)| cpu::isa::decode(w).ok())
            .map(|i| i.op.mnemonic());
        if let Some(name) = op {
            names.insert(name);
        }
    }
    c.rows
        .iter()
        .filter(|r| r.csr.is_none() && names.contains(r.name.as_str()))
        .collect()
}

/// What a student asks next: the compressed instructions. Each is defined
/// as, and runs as, a 32-bit instruction of the table (unprivileged spec,
/// "C" chapter): its class is its expansion's.
fn compressed_note(c: &Classification) -> String {
    let rows = compressed_expansions(c);
    let sensitive: Vec<String> = rows
        .iter()
        .filter(|r| r.class() != "innocuous")
        .map(|r| format!("{} ({})", r.name, r.class()))
        .collect();
    format!(
        "(compressed instructions are not rows: each runs as the instruction it expands to, a row above; \
         they expand to {} of them, {})\n",
        rows.len(),
        if sensitive.is_empty() {
            "all innocuous".to_string()
        } else {
            format!("all innocuous but {}", sensitive.join(", "))
        }
    )
}

/// "holds", or "fails" and each row that breaks it with why.
fn verdict(theorem: &str, breakers: &[&Row], why: impl Fn(&Row) -> Option<&String>) -> String {
    if breakers.is_empty() {
        return format!("{theorem}: holds\n");
    }
    let mut s = format!("{theorem}: fails\n");
    for r in breakers {
        s.push_str(&format!(
            "  {}: {}, not privileged ({}; U-mode: {})\n",
            r.name,
            r.class(),
            why(r).map_or("", |w| w.as_str()),
            r.in_u.text()
        ));
    }
    s
}

/// Rows for the table: rows that differ only in a trailing number of
/// their name, numbers in sequence (`csrr hpmcounter3` ... `csrr
/// hpmcounter31`, each a row apart from the next, its `csrw` between),
/// and classify alike, become one (`csrr hpmcounter3-31`).
fn merged(rows: &[Row]) -> Vec<(String, &Row)> {
    fn split(name: &str) -> (&str, Option<u32>) {
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
        (stem, name[stem.len()..].parse().ok())
    }
    let same = |a: &Row, b: &Row| {
        (a.in_s, a.in_u, a.class(), &a.user) == (b.in_s, b.in_u, b.class(), &b.user)
    };
    /// A name's stem, the first and last number merged so far, the first
    /// row.
    type Entry<'a> = (&'a str, Option<(u32, u32)>, &'a Row);
    let mut out: Vec<Entry> = Vec::new();
    for r in rows {
        let (stem, n) = split(&r.name);
        let at = out.len().saturating_sub(2);
        let into = n.and_then(|n| {
            (at..out.len()).find(|&k| {
                let (s, range, first) = out[k];
                s == stem && range.is_some_and(|(_, last)| last + 1 == n) && same(first, r)
            })
        });
        match (into, n) {
            (Some(k), Some(n)) => {
                if let Some((_, last)) = out[k].1.as_mut() {
                    *last = n;
                }
            }
            _ => out.push((stem, n.map(|n| (n, n)), r)),
        }
    }
    out.into_iter()
        .map(|(stem, range, r)| match range {
            Some((a, b)) if a != b => (format!("{stem}{a}-{b}"), r),
            _ => (r.name.clone(), r),
        })
        .collect()
}

fn row_json(r: &Row) -> serde_json::Value {
    json!({
        "name": r.name,
        "csr": r.csr,
        "s_mode": { "ran": r.in_s.ran, "illegal": r.in_s.illegal, "trapped": r.in_s.trapped },
        "u_mode": { "ran": r.in_u.ran, "illegal": r.in_u.illegal, "trapped": r.in_u.trapped },
        "privileged": r.privileged(),
        "control_sensitive": r.control,
        "behaviour_sensitive": r.behaviour,
        "user_sensitive": r.user,
        "class": r.class(),
    })
}

fn to_json(c: &Classification) -> serde_json::Value {
    let names = |rows: Vec<&Row>| rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    json!({
        "isa": c.isa.name(),
        "runs": c.runs,
        "csr_addresses": c.csr_addresses,
        "csr_addresses_never_run": c.csrs_never_run,
        "rows": c.rows.iter().map(row_json).collect::<Vec<_>>(),
        "theorem1": {
            "holds": c.theorem1_breakers().is_empty(),
            "broken_by": names(c.theorem1_breakers()),
        },
        "theorem3": {
            "holds": c.theorem3_breakers().is_empty(),
            "broken_by": names(c.theorem3_breakers()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compressed instructions are accounted for: each is its
    /// expansion's row (found by the hart's own expander), and none of
    /// those is sensitive, so the verdicts stand for them too.
    #[test]
    fn compressed_instructions_are_their_expansions() {
        let c = classify(Isa::Standard);
        let names: Vec<&str> = compressed_expansions(&c)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        for base in [
            "addi", "lw", "ld", "sd", "jal", "jalr", "beq", "add", "ebreak",
        ] {
            assert!(names.contains(&base), "{base} not in {names:?}");
        }
        assert!(!names.iter().any(|n| n.starts_with("csr")), "{names:?}");
        let text = table(&c);
        assert!(
            text.contains(&format!(
                "(compressed instructions are not rows: each runs as the instruction it expands to, \
                 a row above; they expand to {} of them, all innocuous)\n",
                names.len()
            )),
            "{text}"
        );
    }
}
