//! An exercise's check specification, `check.toml`: which runs to make of
//! a submission and what must hold of them. The format is documented for
//! instructors in the book ("The instructor's guide"); every mistake in a
//! file is reported with the file's name before anything runs.
//!
//! A check's kind is the one key that names what it checks (`status`,
//! `output`, `output_file`, `output_contains`, `output_matches`, `stat`,
//! `same`); adding a kind is adding a key here and its evaluation in
//! [`super::evaluate`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::expr::Assertion;

/// The default instruction limit of a check's runs: about a second of
/// work, far more than any exercise needs, so that a submission that
/// loops forever fails quickly instead of holding up a class's grading.
pub const DEFAULT_MAX_INSTRUCTIONS: u64 = 100_000_000;

/// The placeholder for the submission in a run's `guests`.
pub const SUBMISSION: &str = "submission";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    title: String,
    chapter: String,
    number: u32,
    #[serde(default = "default_starter")]
    starter: String,
    include_dir: Option<String>,
    max_instructions: Option<u64>,
    #[serde(default, rename = "run")]
    runs: Vec<RawRun>,
    #[serde(rename = "check")]
    checks: Vec<RawCheck>,
}

fn default_starter() -> String {
    "starter.s".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    name: String,
    #[serde(default)]
    monitor: bool,
    guests: Option<Vec<String>>,
    quantum: Option<u64>,
    memory: Option<String>,
    max_instructions: Option<u64>,
    #[serde(default)]
    interpret: bool,
    input: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    description: Option<String>,
    hint: Option<String>,
    run: Option<String>,
    runs: Option<Vec<String>>,
    guest: Option<usize>,
    // The kinds: exactly one of these.
    status: Option<u8>,
    output: Option<String>,
    output_file: Option<String>,
    output_contains: Option<String>,
    output_matches: Option<String>,
    stat: Option<String>,
    same: Option<Vec<String>>,
}

/// One way of running the submission.
#[derive(Clone, Debug)]
pub struct Run {
    pub name: String,
    pub monitor: bool,
    /// The guests, in order: `None` is the submission, `Some(path)` another
    /// guest (resolved against the exercise's directory).
    pub guests: Vec<Option<PathBuf>>,
    pub quantum: u64,
    pub memory: u64,
    pub max_instructions: u64,
    pub interpret: bool,
    pub input: Vec<u8>,
}

impl Run {
    /// The index of the submission among the run's guests (the first one).
    pub fn submission_index(&self) -> usize {
        self.guests.iter().position(Option::is_none).unwrap_or(0)
    }
}

/// What a check checks.
#[derive(Clone, Debug)]
pub enum Kind {
    Status(u8),
    Output(String),
    OutputContains(String),
    OutputMatches(regex_lite::Regex),
    Stat(Assertion),
    /// These figures (`output`, or a path into the guest's statistics
    /// such as `digest` or `monitor.exits.page_fault`) are equal in every
    /// run named.
    Same(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Check {
    pub description: String,
    pub hint: Option<String>,
    /// The runs it looks at (one, except for `same`), and which guest of
    /// each.
    pub targets: Vec<Target>,
    pub kind: Kind,
}

/// One guest of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Index into [`Spec::runs`].
    pub run: usize,
    /// Index into the run's guests.
    pub guest: usize,
}

#[derive(Clone, Debug)]
pub struct Spec {
    pub title: String,
    pub chapter: String,
    pub number: u32,
    pub starter: PathBuf,
    pub include_dir: Option<PathBuf>,
    pub runs: Vec<Run>,
    pub checks: Vec<Check>,
}

/// Reads and checks `dir/check.toml`. Errors name the file.
pub fn load(dir: &Path) -> Result<Spec, String> {
    let file = dir.join("check.toml");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    parse(dir, &text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Parses a specification whose relative paths are relative to `dir`.
pub fn parse(dir: &Path, text: &str) -> Result<Spec, String> {
    let raw: RawSpec = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let max = raw.max_instructions.unwrap_or(DEFAULT_MAX_INSTRUCTIONS);
    // `native` and `monitor` are always there unless redefined.
    let mut runs = vec![
        Run {
            name: "native".into(),
            monitor: false,
            guests: vec![None],
            quantum: crate::run_cmd::DEFAULT_QUANTUM,
            memory: 128 << 20,
            max_instructions: max,
            interpret: false,
            input: Vec::new(),
        },
        Run {
            name: "monitor".into(),
            monitor: true,
            guests: vec![None],
            quantum: crate::run_cmd::DEFAULT_QUANTUM,
            memory: 128 << 20,
            max_instructions: max,
            interpret: false,
            input: Vec::new(),
        },
    ];
    for r in raw.runs {
        let guests: Vec<Option<PathBuf>> = match r.guests {
            None => vec![None],
            Some(g) => g
                .into_iter()
                .map(|g| (g != SUBMISSION).then(|| dir.join(g)))
                .collect(),
        };
        if !guests.iter().any(Option::is_none) {
            return Err(format!(
                "run `{}`: its guests must include \"{SUBMISSION}\"",
                r.name
            ));
        }
        if guests.len() > 1 && !r.monitor {
            return Err(format!(
                "run `{}`: several guests run only under the monitor: add monitor = true",
                r.name
            ));
        }
        let memory = match &r.memory {
            None => 128 << 20,
            Some(m) => {
                crate::run_cmd::parse_size(m).map_err(|e| format!("run `{}`: {e}", r.name))?
            }
        };
        let run = Run {
            name: r.name.clone(),
            monitor: r.monitor,
            guests,
            quantum: r.quantum.unwrap_or(crate::run_cmd::DEFAULT_QUANTUM).max(1),
            memory,
            max_instructions: r.max_instructions.unwrap_or(max),
            interpret: r.interpret,
            input: r.input.unwrap_or_default().into_bytes(),
        };
        match runs.iter_mut().find(|x| x.name == r.name) {
            Some(slot) => *slot = run,
            None => runs.push(run),
        }
    }
    let run_index = |name: &str| {
        runs.iter().position(|r| r.name == name).ok_or_else(|| {
            let known: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
            format!("no run named `{name}` (runs: {})", known.join(", "))
        })
    };
    if raw.checks.is_empty() {
        return Err("no [[check]]: an exercise needs at least one".into());
    }
    let mut checks = Vec::new();
    for (k, c) in raw.checks.into_iter().enumerate() {
        let n = k + 1;
        let at = |e: String| format!("check {n}: {e}");
        let kinds = [
            c.status.is_some(),
            c.output.is_some(),
            c.output_file.is_some(),
            c.output_contains.is_some(),
            c.output_matches.is_some(),
            c.stat.is_some(),
            c.same.is_some(),
        ];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err(at("give exactly one of status, output, output_file, \
                 output_contains, output_matches, stat, same"
                .into()));
        }
        let (runs_named, kind, auto): (Vec<String>, Kind, String) = if let Some(same) = c.same {
            let names = c.runs.clone().ok_or_else(|| {
                at("`same` compares runs: give runs = [\"native\", \"monitor\"] or others".into())
            })?;
            if names.len() < 2 || c.run.is_some() {
                return Err(at(
                    "`same` needs runs = [...] with two or more runs, and no `run`".into(),
                ));
            }
            if same.is_empty() {
                return Err(at(
                    "`same` needs at least one figure, such as \"output\" or \"digest\"".into(),
                ));
            }
            let auto = format!("{}: same {}", names.join(", "), same.join(", "));
            (names, Kind::Same(same), auto)
        } else {
            if c.runs.is_some() {
                return Err(at(
                    "`runs` goes with `same`; this check takes one `run`".into()
                ));
            }
            let run = c.run.clone().unwrap_or_else(|| "native".into());
            let (kind, what) = if let Some(s) = c.status {
                (Kind::Status(s), format!("exit status {s}"))
            } else if let Some(o) = c.output {
                (Kind::Output(o), "the expected output".into())
            } else if let Some(f) = c.output_file {
                let path = dir.join(&f);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| at(format!("output_file {}: {e}", path.display())))?;
                (Kind::Output(text), format!("the output in {f}"))
            } else if let Some(t) = c.output_contains {
                let lines: Vec<&str> = t.lines().filter(|l| !l.is_empty()).collect();
                let what = match lines.as_slice() {
                    [] | [_] => format!("output contains {:?}", t.trim_end()),
                    [first, .., last] => format!(
                        "output contains {} lines, {first:?} to {last:?}",
                        lines.len()
                    ),
                };
                (Kind::OutputContains(t), what)
            } else if let Some(p) = c.output_matches {
                let re = regex_lite::Regex::new(&p)
                    .map_err(|e| at(format!("output_matches: not a pattern: {e}")))?;
                (Kind::OutputMatches(re), format!("output matches /{p}/"))
            } else if let Some(s) = c.stat {
                let a = Assertion::parse(&s).map_err(|e| at(format!("stat: {e}")))?;
                (Kind::Stat(a), s)
            } else {
                unreachable!("one kind was checked to be present")
            };
            (vec![run.clone()], kind, format!("{run}: {what}"))
        };
        // Each run named, as `NAME` or `NAME:GUEST`: which guest of it
        // the check looks at (else `guest`, else the submission).
        let mut targets = Vec::new();
        for named in &runs_named {
            let (name, guest) = match named.split_once(':') {
                Some((n, g)) => {
                    let g: usize = g.trim().parse().map_err(|_| {
                        at(format!(
                            "`{named}`: after the `:` comes a guest's number, from 0"
                        ))
                    })?;
                    (n.trim(), Some(g))
                }
                None => (named.as_str(), None),
            };
            let run = run_index(name).map_err(at)?;
            let guest = guest
                .or(c.guest)
                .unwrap_or_else(|| runs[run].submission_index());
            if guest >= runs[run].guests.len() {
                return Err(at(format!(
                    "guest {guest}: run `{}` has {} guest(s), numbered from 0",
                    runs[run].name,
                    runs[run].guests.len()
                )));
            }
            targets.push(Target { run, guest });
        }
        checks.push(Check {
            description: c.description.unwrap_or(auto),
            hint: c.hint,
            targets,
            kind,
        });
    }
    Ok(Spec {
        title: raw.title,
        chapter: raw.chapter,
        number: raw.number,
        starter: dir.join(raw.starter),
        include_dir: raw.include_dir.map(|d| dir.join(d)),
        runs,
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Spec {
        parse(Path::new("ex"), text).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse(Path::new("ex"), text).unwrap_err()
    }

    const HEAD: &str = "title = \"T\"\nchapter = \"machine\"\nnumber = 1\n";

    #[test]
    fn native_and_monitor_runs_come_for_free() {
        let s = parse_ok(&format!(
            "{HEAD}[[check]]\nstatus = 0\n[[check]]\nrun = \"monitor\"\nstat = \"monitor.emulated.sret == 1\"\n\
             [[check]]\nruns = [\"native\", \"monitor\"]\nsame = [\"output\", \"digest\"]\n"
        ));
        assert_eq!(s.runs.len(), 2);
        assert_eq!(s.checks[0].targets, [Target { run: 0, guest: 0 }]);
        assert_eq!(s.checks[0].description, "native: exit status 0");
        assert_eq!(s.checks[1].targets, [Target { run: 1, guest: 0 }]);
        assert_eq!(
            s.checks[2].description,
            "native, monitor: same output, digest"
        );
        assert_eq!(s.starter, Path::new("ex/starter.s"));
    }

    #[test]
    fn runs_with_other_guests() {
        let s = parse_ok(&format!(
            "{HEAD}[[run]]\nname = \"beside\"\nmonitor = true\nguests = [\"../t.s\", \"submission\"]\n\
             [[check]]\nrun = \"beside\"\nguest = 0\nstatus = 0\n"
        ));
        let r = &s.runs[2];
        assert_eq!(r.guests, [Some(PathBuf::from("ex/../t.s")), None]);
        assert_eq!(r.submission_index(), 1);
        assert_eq!(s.checks[0].targets, [Target { run: 2, guest: 0 }]);
        let s = parse_ok(&format!(
            "{HEAD}[[run]]\nname = \"two\"\nmonitor = true\nguests = [\"submission\", \"submission\"]\n\
             [[check]]\nruns = [\"native\", \"two:1\"]\nsame = [\"output\"]\n"
        ));
        assert_eq!(
            s.checks[0].targets,
            [Target { run: 0, guest: 0 }, Target { run: 2, guest: 1 }]
        );
        assert!(parse_err(&format!(
            "{HEAD}[[check]]\nruns = [\"native\", \"monitor:1\"]\nsame = [\"output\"]\n"
        ))
        .contains("guest 1: run `monitor` has 1 guest(s)"));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(
            parse_err(&format!("{HEAD}[[check]]\nstatus = 0\noutput = \"x\"\n"))
                .contains("check 1: give exactly one of")
        );
        assert!(
            parse_err(&format!("{HEAD}[[check]]\nrun = \"natve\"\nstatus = 0\n"))
                .contains("no run named `natve` (runs: native, monitor)")
        );
        assert!(parse_err(&format!("{HEAD}[[check]]\nstatu = 0\n")).contains("statu"));
        assert!(
            parse_err(&format!("{HEAD}[[check]]\nsame = [\"digest\"]\n")).contains("give runs =")
        );
        assert!(
            parse_err(&format!("{HEAD}[[check]]\nstat = \"digest ~ 3\"\n"))
                .contains("check 1: stat")
        );
        assert!(parse_err(&format!(
            "{HEAD}[[run]]\nname = \"two\"\nguests = [\"a.s\", \"submission\"]\n[[check]]\nstatus = 0\n"
        ))
        .contains("monitor = true"));
        assert!(parse_err(HEAD).contains("check"));
    }
}
