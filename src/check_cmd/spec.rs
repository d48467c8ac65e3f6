//! An exercise's check specification, `check.toml`: which runs to make of
//! a submission and what must hold of them. The format is documented for
//! instructors in the book ("The instructor's guide"); every mistake in a
//! file is reported with the file's name before anything runs.
//!
//! An exercise's submission is a program (an assembly source, run as the
//! exercise's runs say) or, with `submission = "answers"`, a file of
//! answers (`answers.toml`: `name = value` lines) that the checks compare
//! with the figures of runs of the exercise's own guests, as
//! `answer.NAME` in a `stat` assertion: a prediction made before running,
//! graded against what trapvisor then measures.
//!
//! A check's kind is the one key that names what it checks (`status`,
//! `output`, `output_file`, `output_contains`, `output_matches`, `stat`,
//! `same`, `debug`/`debug_file`); adding a kind is adding a key here and
//! its evaluation in [`super::evaluate`].

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
    submission: Option<String>,
    starter: Option<String>,
    include_dir: Option<String>,
    max_instructions: Option<u64>,
    #[serde(default, rename = "run")]
    runs: Vec<RawRun>,
    #[serde(rename = "check")]
    checks: Vec<RawCheck>,
}

/// What `submission = "answers"` names, and the starter it defaults to.
pub const ANSWERS: &str = "answers";
const ANSWERS_STARTER: &str = "answers.toml";
const PROGRAM_STARTER: &str = "starter.s";

/// The namespace of a submission's answers in a `stat` assertion.
pub const ANSWER_PATH: &str = "answer";

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
    /// `"trap"`, `"bt"` or `"pv"`, as `run --strategy` (implies the
    /// monitor).
    strategy: Option<String>,
    /// `"standard"` or `"leaky"`, as `run --isa`.
    isa: Option<String>,
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
    debug: Option<String>,
    debug_file: Option<String>,
    // What a debugger script must print: with `debug` or `debug_file`.
    transcript: Option<String>,
    transcript_file: Option<String>,
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
    /// How the monitor virtualizes the guests (`strategy = "bt"`).
    pub strategy: monitor::Strategy,
    /// The privileged ISA the hart implements (`isa = "leaky"`).
    pub isa: cpu::privileged::Isa,
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
    /// A debugger script run over the submission: its transcript matches
    /// `expected` ([`super::transcript`]'s rules).
    Debug(DebugScript),
}

/// A `debug` check's script and the transcript it must print.
#[derive(Clone, Debug)]
pub struct DebugScript {
    /// Where the script is, for messages: its file (relative to the
    /// exercise), or `check N` for an inline one.
    pub name: String,
    /// The script, every line of it checked to be a command.
    pub text: String,
    pub lines: Vec<debugger::line::ScriptLine>,
    pub expected: String,
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
    /// The submission is a file of answers, not a program.
    pub answers: bool,
    pub starter: PathBuf,
    pub include_dir: Option<PathBuf>,
    pub runs: Vec<Run>,
    pub checks: Vec<Check>,
}

/// Reads and checks `dir/check.toml`. Errors name the file.
pub fn load(dir: &Path) -> Result<Spec, String> {
    let file = dir.join("check.toml");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("{}: cannot read: {}", file.display(), crate::io_reason(&e)))?;
    parse(dir, &text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Parses a specification whose relative paths are relative to `dir`.
pub fn parse(dir: &Path, text: &str) -> Result<Spec, String> {
    let raw: RawSpec = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let max = raw.max_instructions.unwrap_or(DEFAULT_MAX_INSTRUCTIONS);
    let answers = match raw.submission.as_deref() {
        None | Some("program") => false,
        Some(ANSWERS) => true,
        Some(other) => {
            return Err(format!(
                "submission = \"{other}\": a submission is a \"program\" (the default) or \"{ANSWERS}\""
            ))
        }
    };
    // `native` and `monitor` are always there unless redefined (for a
    // program: answers are checked against runs of the exercise's guests).
    let mut runs = if answers {
        Vec::new()
    } else {
        vec![
            Run {
                name: "native".into(),
                monitor: false,
                guests: vec![None],
                quantum: crate::run_cmd::DEFAULT_QUANTUM,
                memory: 128 << 20,
                max_instructions: max,
                interpret: false,
                input: Vec::new(),
                strategy: monitor::Strategy::Trap,
                isa: cpu::privileged::Isa::Standard,
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
                strategy: monitor::Strategy::Trap,
                isa: cpu::privileged::Isa::Standard,
            },
        ]
    };
    for r in raw.runs {
        let guests: Vec<Option<PathBuf>> = match r.guests {
            None if answers => {
                return Err(format!(
                    "run `{}`: an answers exercise runs guests of its own: give guests = [...]",
                    r.name
                ))
            }
            None => vec![None],
            Some(g) => g
                .into_iter()
                .map(|g| (g != SUBMISSION).then(|| dir.join(g)))
                .collect(),
        };
        if answers && guests.iter().any(Option::is_none) {
            return Err(format!(
                "run `{}`: the submission is answers, not a program: \"{SUBMISSION}\" cannot run",
                r.name
            ));
        }
        if !answers && !guests.iter().any(Option::is_none) {
            return Err(format!(
                "run `{}`: its guests must include \"{SUBMISSION}\"",
                r.name
            ));
        }
        if guests.is_empty() {
            return Err(format!("run `{}`: guests = [] runs nothing", r.name));
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
        let strategy = match &r.strategy {
            None => None,
            Some(s) => Some(
                s.parse::<monitor::Strategy>()
                    .map_err(|e| format!("run `{}`: strategy = \"{s}\": {e}", r.name))?,
            ),
        };
        let isa = match &r.isa {
            None => cpu::privileged::Isa::Standard,
            Some(i) => i
                .parse::<cpu::privileged::Isa>()
                .map_err(|e| format!("run `{}`: isa = \"{i}\": {e}", r.name))?,
        };
        let run = Run {
            name: r.name.clone(),
            // A strategy is the monitor's, as `run --strategy` implies
            // --monitor.
            monitor: r.monitor || strategy.is_some(),
            strategy: strategy.unwrap_or_default(),
            isa,
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
    if answers && runs.is_empty() {
        return Err(format!(
            "an answers exercise checks answers against runs of its own guests: \
             add a [[run]] with guests = [...] (\"{SUBMISSION}\" is answers, not a program)"
        ));
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
            c.debug.is_some(),
            c.debug_file.is_some(),
        ];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err(at("give exactly one of status, output, output_file, \
                 output_contains, output_matches, stat, same, debug, debug_file"
                .into()));
        }
        let is_debug = c.debug.is_some() || c.debug_file.is_some();
        if !is_debug && (c.transcript.is_some() || c.transcript_file.is_some()) {
            return Err(at(
                "`transcript` goes with `debug` or `debug_file` (a debugger script)".into(),
            ));
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
            // By default a program's native run; an answers exercise's
            // first run.
            let first = runs.first().map_or("native", |r| r.name.as_str());
            let default = if answers { first } else { "native" };
            let run = c.run.clone().unwrap_or_else(|| default.into());
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
                if !answers && a.reads(ANSWER_PATH) {
                    return Err(at(format!(
                        "stat: `{ANSWER_PATH}.` names a submission's answers: \
                         give the exercise submission = \"{ANSWERS}\""
                    )));
                }
                (
                    Kind::Stat(a),
                    s.split_whitespace().collect::<Vec<_>>().join(" "),
                )
            } else if is_debug {
                if answers {
                    return Err(at(
                        "a debugger script steps through a program: the submission is answers"
                            .into(),
                    ));
                }
                let script = debug_script(dir, n, c.debug, c.debug_file)?;
                let expected = match (c.transcript, c.transcript_file) {
                    (Some(t), None) => t,
                    (None, Some(f)) => {
                        let path = dir.join(&f);
                        std::fs::read_to_string(&path)
                            .map_err(|e| at(format!("transcript_file {}: {e}", path.display())))?
                    }
                    _ => {
                        return Err(at("a debugger script needs what it must print: \
                             give exactly one of transcript, transcript_file"
                            .into()))
                    }
                };
                let what = describe_script(&script);
                (Kind::Debug(DebugScript { expected, ..script }), what)
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
        answers,
        starter: dir.join(raw.starter.as_deref().unwrap_or(if answers {
            ANSWERS_STARTER
        } else {
            PROGRAM_STARTER
        })),
        include_dir: raw.include_dir.map(|d| dir.join(d)),
        runs,
        checks,
    })
}

/// Reads a `debug` check's script (inline, or a file of the exercise)
/// and parses every line of it, as `trapvisor debug -x` does.
fn debug_script(
    dir: &Path,
    n: usize,
    inline: Option<String>,
    file: Option<String>,
) -> Result<DebugScript, String> {
    let (name, text) = match (inline, file) {
        (Some(text), _) => (format!("check {n}: debug"), text),
        (None, Some(f)) => {
            let path = dir.join(&f);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("check {n}: debug_file {}: {e}", path.display()))?;
            (f, text)
        }
        (None, None) => unreachable!("one kind was checked to be present"),
    };
    let lines = debugger::line::parse_script(&name, &text)?;
    if lines.is_empty() {
        return Err(format!("{name}: the script has no commands"));
    }
    Ok(DebugScript {
        name,
        text,
        lines,
        expected: String::new(),
    })
}

/// A debug check's description: its script's commands, when they are few
/// enough to read on one line, else its file (or first and last command).
fn describe_script(script: &DebugScript) -> String {
    let all: Vec<&str> = script.lines.iter().map(|l| l.text.as_str()).collect();
    let joined = all.join("; ");
    if joined.len() <= 60 {
        return format!("debugger: {joined}");
    }
    if !script.name.starts_with("check ") {
        return format!("debugger: the script {}", script.name);
    }
    format!(
        "debugger: {}; ... ({} commands); {}",
        all[0],
        all.len(),
        all[all.len() - 1]
    )
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

    /// A run may say the monitor's strategy (which implies the monitor)
    /// and the ISA; a wrong one is named.
    #[test]
    fn runs_with_a_strategy_and_an_isa() {
        let s = parse_ok(&format!(
            "{HEAD}[[run]]\nname = \"bt\"\nstrategy = \"bt\"\nisa = \"leaky\"\n\
             [[check]]\nrun = \"bt\"\nstatus = 0\n"
        ));
        let r = &s.runs[2];
        assert!(r.monitor, "a strategy is the monitor's");
        assert_eq!(r.strategy, monitor::Strategy::Bt);
        assert_eq!(r.isa, cpu::privileged::Isa::Leaky);
        assert_eq!(s.runs[0].strategy, monitor::Strategy::Trap);
        assert_eq!(s.runs[0].isa, cpu::privileged::Isa::Standard);
        let e = parse_err(&format!(
            "{HEAD}[[run]]\nname = \"x\"\nstrategy = \"vt\"\n[[check]]\nrun = \"x\"\nstatus = 0\n"
        ));
        assert!(
            e.contains("run `x`: strategy = \"vt\"") && e.contains("trap, bt or pv"),
            "{e}"
        );
        let e = parse_err(&format!(
            "{HEAD}[[run]]\nname = \"x\"\nisa = \"x86\"\n[[check]]\nrun = \"x\"\nstatus = 0\n"
        ));
        assert!(e.contains("run `x`: isa = \"x86\""), "{e}");
    }

    #[test]
    fn debugger_checks() {
        let s = parse_ok(&format!(
            "{HEAD}[[check]]\ndebug = '''\n# the third tick\ncatch trap timer\nignore 1 2\ncontinue\n'''\n\
             transcript = '''\n...\n$1 = [..]\n'''\n"
        ));
        let Kind::Debug(d) = &s.checks[0].kind else {
            panic!("{:?}", s.checks[0].kind)
        };
        assert_eq!(d.lines.len(), 3);
        assert_eq!(d.expected, "...\n$1 = [..]\n");
        assert_eq!(
            s.checks[0].description,
            "native: debugger: catch trap timer; ignore 1 2; continue"
        );
        // A long script is described by its ends.
        let long = "stepi\n".repeat(20);
        let s = parse_ok(&format!(
            "{HEAD}[[check]]\ndebug = '''\n{long}info registers a0\n'''\ntranscript = \"x\"\n"
        ));
        assert_eq!(
            s.checks[0].description,
            "native: debugger: stepi; ... (21 commands); info registers a0"
        );
        // A bad command is named with its line before anything runs.
        assert!(parse_err(&format!(
            "{HEAD}[[check]]\ndebug = '''\nstepi\nfrobnicate\n'''\ntranscript = \"\"\n"
        ))
        .contains("check 1: debug:2: "));
        assert!(parse_err(&format!("{HEAD}[[check]]\ndebug = \"stepi\"\n"))
            .contains("give exactly one of transcript, transcript_file"));
        assert!(parse_err(&format!(
            "{HEAD}[[check]]\nstatus = 0\ntranscript = \"x\"\n"
        ))
        .contains("`transcript` goes with `debug`"));
        assert!(parse_err(&format!(
            "{HEAD}[[check]]\ndebug = \"# nothing\"\ntranscript = \"\"\n"
        ))
        .contains("the script has no commands"));
        assert!(parse_err(&format!(
            "{HEAD}[[check]]\ndebug_file = \"none.tv\"\ntranscript = \"\"\n"
        ))
        .contains("check 1: debug_file ex/none.tv"));
        // Under the monitor too.
        let s = parse_ok(&format!(
            "{HEAD}[[check]]\nrun = \"monitor\"\ndebug = \"stepi\"\ntranscript = \"\"\n"
        ));
        assert!(matches!(s.checks[0].kind, Kind::Debug(_)));
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
