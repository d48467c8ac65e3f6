//! `trapvisor check EXERCISE SUBMISSION`: grade a submission against an
//! exercise of the course. The exercise is a directory with a
//! `check.toml` ([`spec`]) and a starter file; the submission is an
//! assembly source, or a directory of them (a class: one CSV row each).
//!
//! The submission is assembled, run the ways the exercise asks (natively,
//! under the monitor, beside other guests), each run in-process with the
//! trace digest on, or stepped through by a debugger script whose
//! transcript is compared, and every check is printed with PASS or FAIL,
//! what was seen, and the exercise's hint. Exit status: 0 only when every check
//! of every submission passes, 1 otherwise, 2 for bad input (an exercise
//! or submission that cannot be read, a mistake in `check.toml`). A
//! submission that does not assemble is not bad input: it fails every
//! check, and the assembler's messages say why.
//!
//! `--json` prints the results as one document (schema `trapvisor-check`,
//! version 1) for a learning platform; `--csv FILE` writes a class's grades.

mod expr;
pub mod spec;
mod transcript;

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args as ClapArgs;
use cpu::devices::{BufferInput, Console, NoInput, SharedBuffer};
use cpu::image::Image;
use cpu::machine::{status, Machine};
use debugger::native::NativeTarget;
use debugger::session::Session;
use monitor::{GuestImage, GuestSpec, Monitor};
use serde_json::{json, Value};

use crate::run_cmd::{self, monitored};
use crate::stats_json;
use spec::{Check, DebugScript, Kind, Run, Spec};

/// The value of `--json`'s `schema` field, and its version.
pub const SCHEMA: &str = "trapvisor-check";
pub const VERSION: u64 = 1;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// The exercise: its directory (holding check.toml), or its name under
    /// the course's exercises, such as `machine/finisher-codes`.
    #[arg(required_unless_present_any = ["list", "verify"])]
    pub exercise: Option<String>,

    /// The submission: an assembly source (.s or .S), or a directory whose
    /// .s and .S files are graded one by one (a class).
    #[arg(required_unless_present_any = ["list", "verify"])]
    pub submission: Option<PathBuf>,

    /// The course directory, which holds `exercises/` (default: `course`
    /// in the current directory, else the one in trapvisor's source tree).
    #[arg(long, value_name = "DIR")]
    pub course: Option<PathBuf>,

    /// Print the results as one JSON document (schema `trapvisor-check`,
    /// version 1) on stdout instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also write the grades as CSV to FILE: one row per submission, one
    /// column per check (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// List the course's exercises and stop.
    #[arg(long)]
    pub list: bool,

    /// Check the course itself: every exercise's reference solution
    /// (`solutions/NAME.s` in the course directory) passes every check,
    /// and its starter file fails at least one. Run it after changing an
    /// exercise or upgrading trapvisor.
    #[arg(long, conflicts_with_all = ["exercise", "submission", "list", "csv", "json"])]
    pub verify: bool,
}

/// The course directory: `--course`, else `./course`, else the source
/// tree's.
fn course_dir(given: &Option<PathBuf>) -> PathBuf {
    if let Some(dir) = given {
        return dir.clone();
    }
    let here = PathBuf::from("course");
    if here.join("exercises").is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("course")
}

/// Every exercise under `course/exercises`: (name, directory), sorted.
pub fn exercises(course: &Path) -> Vec<(String, PathBuf)> {
    let root = course.join("exercises");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.join("check.toml").is_file() {
                    let name = p
                        .strip_prefix(&root)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .replace('\\', "/");
                    found.push((name, p.clone()));
                }
                stack.push(p);
            }
        }
    }
    found.sort();
    found
}

/// The exercise's directory: a path to it (or to its check.toml), or a
/// name under the course's exercises.
fn exercise_dir(exercise: &str, course: &Path) -> Result<PathBuf, String> {
    let p = PathBuf::from(exercise);
    if p.is_dir() && p.join("check.toml").is_file() {
        return Ok(p);
    }
    if p.file_name().is_some_and(|f| f == "check.toml") && p.is_file() {
        return Ok(p.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    let named = course.join("exercises").join(exercise);
    if named.join("check.toml").is_file() {
        return Ok(named);
    }
    Err(format!(
        "{exercise}: no such exercise (neither a directory with a check.toml nor a name under {}; \
         `trapvisor check --list` lists them)",
        course.join("exercises").display()
    ))
}

/// Assembles (or loads) the submission. Includes the submission makes
/// are looked for next to it, then in the exercise's `include_dir` (the
/// assembler's `-I`).
fn load_submission(path: &Path, include_dir: Option<&Path>) -> Result<Image, String> {
    let options = asm::Options {
        include_dirs: include_dir.map(Path::to_path_buf).into_iter().collect(),
        ..asm::Options::default()
    };
    run_cmd::load_guest_with(path, 128 << 20, &options)
        .map(|g| g.image)
        .map_err(|e| e.to_string())
}

/// A submission, read: a program's image, or a file of answers (a JSON
/// object of them, from `answers.toml`).
pub enum Submission {
    Program(Image),
    Answers(Value),
}

/// Reads a file of answers: TOML `name = value` lines (numbers, strings,
/// booleans). An error is the student's, shown like an assembler's.
fn load_answers(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {}", path.display(), crate::io_reason(&e)))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|e| format!("{}: {}", path.display(), e.to_string().trim_end()))?;
    serde_json::to_value(table).map_err(|e| format!("{}: {e}", path.display()))
}

/// What one run of a submission gave.
struct RunResult {
    /// Each guest's console bytes.
    outputs: Vec<Vec<u8>>,
    /// The `--stats=json` document of the run.
    doc: Value,
}

/// Runs `run` with `submission` in the submission's places.
fn execute(run: &Run, submission: &Submission, sub_path: &Path) -> Result<RunResult, String> {
    let mut images = Vec::new();
    let mut files = Vec::new();
    for g in &run.guests {
        match (g, submission) {
            (None, Submission::Program(image)) => {
                images.push(image.clone());
                files.push(sub_path.to_path_buf());
            }
            (None, Submission::Answers(_)) => {
                // The exercise's parser keeps answers out of runs.
                return Err("answers cannot run".into());
            }
            (Some(p), _) => {
                let guest = run_cmd::load_guest(p, run.memory).map_err(|e| e.to_string())?;
                images.push(guest.image);
                files.push(p.clone());
            }
        }
    }
    let buffers: Vec<SharedBuffer> = images.iter().map(|_| SharedBuffer::new()).collect();
    let console = |k: usize| {
        let input: Box<dyn cpu::devices::ByteSource> = if k == run.submission_index() {
            Box::new(BufferInput::new(run.input.clone()))
        } else {
            Box::new(NoInput)
        };
        Console::new(Box::new(buffers[k].clone()), input)
    };
    let doc = panic::catch_unwind(AssertUnwindSafe(|| -> Result<Value, String> {
        if !run.monitor {
            let mut m = Machine::boot(&images[0], run.memory, console(0))
                .map_err(|e| format!("{}: {e}", sub_path.display()))?;
            m.max_instructions = run.max_instructions;
            m.hart.set_digest(true);
            m.hart.set_translation(!run.interpret);
            m.set_isa(run.isa);
            let report = m.run();
            let name = &monitored::guest_names(&files)[0];
            return Ok(stats_json::native(name, sub_path, &report));
        }
        let names = monitored::guest_names(&files);
        let mut m: Monitor = Monitor::new();
        m.set_digest(true);
        m.set_translation(!run.interpret);
        m.set_isa(run.isa);
        m.set_strategy(run.strategy);
        for (k, (image, name)) in images.iter().zip(&names).enumerate() {
            m.add_guest(GuestSpec {
                name: name.clone(),
                image: GuestImage::from(image),
                memory: run.memory,
                console: console(k),
                max_instructions: run.max_instructions,
            });
        }
        let start = Instant::now();
        let reports = m.run(run.quantum).map_err(|e| e.to_string())?;
        Ok(stats_json::monitor(&reports, &files, start.elapsed()))
    }))
    .map_err(|p| {
        let why = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("trapvisor crashed running it (a trapvisor bug, please report it): {why}")
    })??;
    Ok(RunResult {
        outputs: buffers.iter().map(SharedBuffer::contents).collect(),
        doc,
    })
}

/// The outcome of one check.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub description: String,
    pub passed: bool,
    /// What was seen, when it says more than PASS/FAIL.
    pub detail: String,
    pub hint: Option<String>,
    /// A debugger check's transcript (shown when it fails).
    pub transcript: Option<String>,
}

/// The guest object `g` of a run's document.
fn guest_of(r: &RunResult, g: usize) -> Result<&Value, String> {
    r.doc["guests"]
        .get(g)
        .ok_or_else(|| format!("the run has no guest {g}"))
}

/// The most characters of an output line a report quotes.
const SHOWN_LINE: usize = 200;

/// An output line as a report quotes it: the first [`SHOWN_LINE`]
/// characters, and how long it is when that is not all (a guest printing
/// one endless line made a 50 MB report line).
fn shown_line(line: &str) -> String {
    let chars = line.chars().count();
    if chars <= SHOWN_LINE {
        return format!("{line:?}");
    }
    let head: String = line.chars().take(SHOWN_LINE).collect();
    format!("{head:?}... ({chars} characters)")
}

/// Shows the first difference between two outputs.
fn first_difference(got: &str, want: &str) -> String {
    let (gl, wl): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    for k in 0..gl.len().max(wl.len()) {
        match (gl.get(k), wl.get(k)) {
            (Some(g), Some(w)) if g == w => continue,
            (g, w) => {
                let show = |l: Option<&&str>| l.map_or("(no line)".into(), |l| shown_line(l));
                return format!("line {}: expected {}, got {}", k + 1, show(w), show(g));
            }
        }
    }
    if got.ends_with('\n') != want.ends_with('\n') {
        return "the outputs differ only in the newline at the end".into();
    }
    "the outputs differ in invisible characters (\\r?)".into()
}

/// One figure of a guest for `same`: its output, or a path into its
/// statistics.
fn figure(r: &RunResult, g: usize, name: &str) -> Result<Value, String> {
    if name == "output" {
        let bytes = r.outputs.get(g).ok_or("no such guest")?;
        return Ok(Value::from(String::from_utf8_lossy(bytes).into_owned()));
    }
    let keys: Vec<String> = name.split('.').map(str::to_string).collect();
    expr::lookup(guest_of(r, g)?, &keys).cloned()
}

/// What a `stat` assertion reads: the guest's figures, and the
/// submission's answers as `answer.NAME`.
fn scope(guest: &Value, submission: &Submission) -> Value {
    match (guest, submission) {
        (Value::Object(figures), Submission::Answers(answers)) => {
            let mut all = figures.clone();
            all.insert(spec::ANSWER_PATH.into(), answers.clone());
            Value::Object(all)
        }
        _ => guest.clone(),
    }
}

/// The name the submission has in a debugger transcript, whatever its
/// file is called, so that one expected transcript fits every student.
pub const DEBUG_NAME: &str = "submission";

/// Runs `script` over the submission in the debugger, set up as `run`
/// says (memory, instruction limit, input, translation), and returns the
/// transcript: what `trapvisor debug --batch -x SCRIPT` prints, stdout and
/// stderr together.
fn debug_transcript(
    run: &Run,
    image: &Image,
    sub_path: &Path,
    script: &DebugScript,
) -> Result<String, String> {
    let transcript = panic::catch_unwind(AssertUnwindSafe(|| -> Result<String, String> {
        if run.monitor {
            return monitored_transcript(run, image, sub_path, script);
        }
        let program = crate::debug_cmd::program_of(DEBUG_NAME, sub_path, image);
        let input = Box::new(BufferInput::new(run.input.clone()));
        let mut target = NativeTarget::boot(program, image, run.memory, input)
            .map_err(|e| format!("{}: {e}", sub_path.display()))?;
        target.machine().max_instructions = run.max_instructions;
        target.machine().hart.set_translation(!run.interpret);
        target.machine().set_isa(run.isa);
        let mut session = Session::new(target);
        debugger::line::transcript(&mut session, &script.text)
    }))
    .map_err(|p| {
        let why = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("trapvisor crashed debugging it (a trapvisor bug, please report it): {why}")
    })??;
    Ok(transcript)
}

/// [`debug_transcript`] under the monitor: the run's guests side by side,
/// the submission (named [`DEBUG_NAME`], reading the run's input) among
/// them, and the debugger looking at it first.
fn monitored_transcript(
    run: &Run,
    image: &Image,
    sub_path: &Path,
    script: &DebugScript,
) -> Result<String, String> {
    use debugger::monitored::{MonitorOptions, MonitorTarget, MonitoredGuest};
    let mut files = Vec::new();
    let mut images = Vec::new();
    for g in &run.guests {
        match g {
            None => {
                files.push(sub_path.to_path_buf());
                images.push(image.clone());
            }
            Some(p) => {
                let guest = run_cmd::load_guest(p, run.memory).map_err(|e| e.to_string())?;
                files.push(p.clone());
                images.push(guest.image);
            }
        }
    }
    let names = monitored::guest_names(&files);
    let sub = run.submission_index();
    let guests = images
        .into_iter()
        .zip(names.iter().zip(&files))
        .enumerate()
        .map(|(k, (image, (name, file)))| {
            let name = if k == sub { DEBUG_NAME } else { name.as_str() };
            MonitoredGuest {
                program: crate::debug_cmd::program_of(name, file, &image),
                image,
            }
        })
        .collect();
    let options = MonitorOptions {
        memory: run.memory,
        quantum: run.quantum,
        max_instructions: run.max_instructions,
        translation: !run.interpret,
        digest: false,
        isa: run.isa,
        strategy: run.strategy,
    };
    // The input is the submission's: the target gives it to its first
    // guest, so the submission goes first when it is not.
    let input = Box::new(BufferInput::new(run.input.clone()));
    let target = MonitorTarget::boot_with_input_to(guests, options, input, sub)
        .map_err(|e| format!("{}: {e}", sub_path.display()))?;
    let mut session = Session::new(target);
    use debugger::target::Target as _;
    session.target_mut().set_focus(sub);
    debugger::line::transcript(&mut session, &script.text)
}

fn evaluate(
    check: &Check,
    spec: &Spec,
    results: &[Result<RunResult, String>],
    submission: &Submission,
    path: &Path,
) -> Outcome {
    match (&check.kind, submission) {
        (Kind::Debug(script), Submission::Program(image)) => {
            evaluate_debug(check, &spec.runs[check.targets[0].run], image, path, script)
        }
        _ => evaluate_runs(check, spec, results, submission),
    }
}

/// A debugger check: the transcript of its script over the submission.
fn evaluate_debug(
    check: &Check,
    run: &Run,
    image: &Image,
    submission: &Path,
    script: &DebugScript,
) -> Outcome {
    let outcome = |passed: bool, detail: String, transcript: Option<String>| Outcome {
        description: check.description.clone(),
        passed,
        detail,
        hint: check.hint.clone(),
        transcript,
    };
    match debug_transcript(run, image, submission, script) {
        Err(e) => outcome(false, e, None),
        Ok(got) => match transcript::compare(&script.expected, &got) {
            Ok(()) => outcome(true, String::new(), None),
            Err(m) => outcome(false, m.to_string(), Some(got)),
        },
    }
}

/// A check over the results of the runs it names (and the answers, when
/// the submission is answers).
fn evaluate_runs(
    check: &Check,
    spec: &Spec,
    results: &[Result<RunResult, String>],
    submission: &Submission,
) -> Outcome {
    let outcome = |passed: bool, detail: String| Outcome {
        description: check.description.clone(),
        passed,
        detail,
        hint: check.hint.clone(),
        transcript: None,
    };
    let mut runs = Vec::new();
    for t in &check.targets {
        match &results[t.run] {
            Ok(res) => runs.push((*t, res)),
            Err(e) => return outcome(false, format!("run `{}`: {e}", spec.runs[t.run].name)),
        }
    }
    let (first, res) = runs[0];
    let g = first.guest;
    let output = || String::from_utf8_lossy(res.outputs.get(g).map_or(&[][..], |o| o)).into_owned();
    match &check.kind {
        Kind::Status(want) => match guest_of(res, g) {
            Ok(v) => {
                let got = v["status"].as_u64().unwrap_or(u64::MAX);
                let how = v["end"]["message"].as_str().unwrap_or("");
                // The exercise sets the limit, not the student: `check`
                // has no --max-instructions to raise it with.
                let how = how
                    .strip_suffix(" (raise it with --max-instructions, 0 = no limit)")
                    .map_or_else(
                        || how.to_string(),
                        |h| format!("{h} (the exercise's limit)"),
                    );
                outcome(got == u64::from(*want), format!("exit status {got}: {how}"))
            }
            Err(e) => outcome(false, e),
        },
        Kind::Output(want) => {
            let got = output();
            if &got == want {
                outcome(true, String::new())
            } else {
                outcome(false, first_difference(&got, want))
            }
        }
        Kind::OutputContains(text) => {
            let got = output();
            let found = got.contains(text.as_str());
            outcome(
                found,
                if found {
                    String::new()
                } else {
                    format!("not in the output ({} bytes)", got.len())
                },
            )
        }
        Kind::OutputMatches(re) => {
            let got = output();
            let found = re.is_match(&got);
            outcome(
                found,
                if found {
                    String::new()
                } else {
                    format!("no match in the output ({} bytes)", got.len())
                },
            )
        }
        Kind::Stat(a) => match guest_of(res, g).and_then(|v| a.eval(&scope(v, submission))) {
            Ok((held, values)) => outcome(held, values),
            Err(e) => outcome(false, e),
        },
        Kind::Same(figures) => {
            let mut differ = Vec::new();
            for f in figures {
                let mut values = Vec::new();
                for &(t, res) in &runs {
                    match figure(res, t.guest, f) {
                        Ok(v) => values.push((t, v)),
                        Err(e) => return outcome(false, e),
                    }
                }
                if values.iter().any(|(_, v)| *v != values[0].1) {
                    let shown: Vec<String> = values
                        .iter()
                        .map(|(t, v)| {
                            let v = match v {
                                Value::String(s) if f == "output" => {
                                    format!("{} bytes", s.len())
                                }
                                other => other.to_string(),
                            };
                            format!("{}:{} {v}", spec.runs[t.run].name, t.guest)
                        })
                        .collect();
                    differ.push(format!("{f} differs ({})", shown.join(", ")));
                }
            }
            outcome(differ.is_empty(), differ.join("; "))
        }
        Kind::Debug(_) => outcome(
            false,
            "a debugger script steps through a program: the submission is answers".into(),
        ),
    }
}

/// Grades one submission: every check's outcome, or the reason nothing
/// could run (the submission does not assemble or load).
pub struct Graded {
    pub submission: PathBuf,
    /// The assembler's (or loader's) messages, when it did not assemble.
    pub error: Option<String>,
    pub outcomes: Vec<Outcome>,
}

impl Graded {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }
    pub fn all_passed(&self) -> bool {
        self.error.is_none() && self.passed() == self.outcomes.len()
    }
}

pub fn grade(spec: &Spec, submission: &Path) -> Result<Graded, String> {
    // A guest that another run needs and cannot load is the exercise's
    // fault, not the submission's: bad input, before anything runs.
    for run in &spec.runs {
        for p in run.guests.iter().flatten() {
            run_cmd::load_guest(p, run.memory)
                .map_err(|e| format!("{} (run `{}` of the exercise)", e, run.name))?;
        }
    }
    let loaded = if spec.answers {
        load_answers(submission).map(Submission::Answers)
    } else {
        load_submission(submission, spec.include_dir.as_deref()).map(Submission::Program)
    };
    let sub = match loaded {
        Ok(sub) => sub,
        Err(e) => {
            let why = if spec.answers {
                "the answers could not be read"
            } else {
                "the submission did not assemble"
            };
            let outcomes = spec
                .checks
                .iter()
                .map(|c| Outcome {
                    description: c.description.clone(),
                    passed: false,
                    detail: why.into(),
                    hint: c.hint.clone(),
                    transcript: None,
                })
                .collect();
            return Ok(Graded {
                submission: submission.to_path_buf(),
                error: Some(e),
                outcomes,
            });
        }
    };
    // Each run the checks use, once (a debugger check makes its own).
    let results: Vec<Result<RunResult, String>> =
        spec.runs
            .iter()
            .enumerate()
            .map(|(k, run)| {
                if spec.checks.iter().any(|c| {
                    !matches!(c.kind, Kind::Debug(_)) && c.targets.iter().any(|t| t.run == k)
                }) {
                    execute(run, &sub, submission)
                } else {
                    Err("not needed".into())
                }
            })
            .collect();
    let outcomes = spec
        .checks
        .iter()
        .map(|c| evaluate(c, spec, &results, &sub, submission))
        .collect();
    Ok(Graded {
        submission: submission.to_path_buf(),
        error: None,
        outcomes,
    })
}

/// The submissions a path stands for: itself, or a directory's `.s`/`.S`
/// files (`.toml` files for answers), sorted.
fn submissions(path: &Path, answers: bool) -> Result<Vec<PathBuf>, String> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: cannot read: {}", path.display(), crate::io_reason(&e)))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str());
            p.is_file()
                && if answers {
                    ext == Some("toml")
                } else {
                    matches!(ext, Some("s" | "S"))
                }
        })
        .collect();
    files.sort();
    if files.is_empty() {
        let what = if answers { ".toml" } else { ".s or .S" };
        return Err(format!("{}: no {what} files to grade", path.display()));
    }
    Ok(files)
}

fn print_text(out: &mut impl Write, spec: &Spec, name: &str, g: &Graded) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} ({} exercise {}, {name})",
        g.submission.display(),
        spec.title,
        spec.chapter,
        spec.number
    )?;
    if let Some(e) = &g.error {
        let why = if spec.answers {
            "the answers cannot be read"
        } else {
            "the submission does not assemble"
        };
        writeln!(out, "  {why}:")?;
        for line in e.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    for o in &g.outcomes {
        let mark = if o.passed { "PASS" } else { "FAIL" };
        write!(out, "  {mark}  {}", o.description)?;
        if !o.detail.is_empty() && (!o.passed || o.detail.contains('=')) {
            write!(out, " ({})", o.detail)?;
        }
        writeln!(out)?;
        if let (false, Some(t)) = (o.passed, &o.transcript) {
            print_transcript(out, t)?;
        }
        if let (false, Some(h)) = (o.passed, &o.hint) {
            writeln!(out, "        hint: {}", h.trim())?;
        }
    }
    writeln!(
        out,
        "{} passed, {} failed",
        g.passed(),
        g.outcomes.len() - g.passed()
    )
}

/// The most lines of a failed debugger check's transcript the text report
/// shows (`--json` has all of it).
const TRANSCRIPT_LINES: usize = 40;

/// A failed debugger check's transcript, indented under it.
fn print_transcript(out: &mut impl Write, t: &str) -> io::Result<()> {
    writeln!(out, "        the debugger printed:")?;
    let lines: Vec<&str> = t.lines().collect();
    for line in lines.iter().take(TRANSCRIPT_LINES) {
        writeln!(out, "        | {line}")?;
    }
    if lines.len() > TRANSCRIPT_LINES {
        writeln!(
            out,
            "        | ... ({} more lines: --json has them all)",
            lines.len() - TRANSCRIPT_LINES
        )?;
    }
    Ok(())
}

fn to_json(spec: &Spec, name: &str, graded: &[Graded]) -> Value {
    let subs: Vec<Value> = graded
        .iter()
        .map(|g| {
            json!({
                "submission": g.submission.display().to_string(),
                "assembled": g.error.is_none(),
                "errors": g.error,
                "passed": g.passed(),
                "failed": g.outcomes.len() - g.passed(),
                "checks": g.outcomes.iter().map(|o| json!({
                    "description": o.description,
                    "passed": o.passed,
                    "detail": o.detail,
                    "hint": o.hint,
                    "transcript": o.transcript,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "version": VERSION,
        "exercise": name,
        "title": spec.title,
        "chapter": spec.chapter,
        "number": spec.number,
        "submissions": subs,
    })
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &mut impl Write, spec: &Spec, graded: &[Graded]) -> io::Result<()> {
    let mut header = vec![
        "submission".to_string(),
        "assembled".into(),
        "passed".into(),
        "total".into(),
    ];
    header.extend(spec.checks.iter().map(|c| c.description.clone()));
    writeln!(
        out,
        "{}",
        header
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(",")
    )?;
    for g in graded {
        let mut row = vec![
            g.submission.display().to_string(),
            if g.error.is_none() { "yes" } else { "no" }.to_string(),
            g.passed().to_string(),
            g.outcomes.len().to_string(),
        ];
        row.extend(
            g.outcomes
                .iter()
                .map(|o| if o.passed { "pass" } else { "fail" }.to_string()),
        );
        writeln!(
            out,
            "{}",
            row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",")
        )?;
    }
    Ok(())
}

/// `trapvisor check`.
pub fn run(args: &Args) -> ExitCode {
    let bad = |e: String| {
        eprintln!("trapvisor: {e}");
        ExitCode::from(status::BAD_INPUT)
    };
    let course = course_dir(&args.course);
    if args.list {
        let all = exercises(&course);
        if all.is_empty() {
            return bad(format!(
                "{}: no exercises",
                course.join("exercises").display()
            ));
        }
        for (name, dir) in all {
            match spec::load(&dir) {
                Ok(s) => out!(
                    "{name:40} {} ({}, exercise {})",
                    s.title,
                    s.chapter,
                    s.number
                ),
                Err(e) => return bad(e),
            }
        }
        return ExitCode::SUCCESS;
    }
    if args.verify {
        return verify(&course);
    }
    let (Some(exercise), Some(submission)) = (&args.exercise, &args.submission) else {
        return bad(
            "give an exercise and a submission: trapvisor check EXERCISE SUBMISSION".into(),
        );
    };
    let spec = match exercise_dir(exercise, &course).and_then(|d| spec::load(&d)) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let files = match submissions(submission, spec.answers) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    // The CSV file is created before anything is graded: a path that
    // cannot be written is bad input, not the end of a class's grading.
    let mut csv_file = match &args.csv {
        Some(csv) if csv != Path::new("-") => match std::fs::File::create(csv) {
            Ok(f) => Some(f),
            Err(e) => {
                return bad(format!(
                    "{}: cannot write: {}",
                    csv.display(),
                    crate::io_reason(&e)
                ))
            }
        },
        _ => None,
    };
    let class = submission.is_dir();
    let mut graded = Vec::new();
    let stdout = io::stdout();
    for f in &files {
        match grade(&spec, f) {
            Ok(g) => {
                if !args.json {
                    if print_text(&mut stdout.lock(), &spec, exercise, &g).is_err() {
                        // No reader any more (`| head`): as `out!` does.
                        return ExitCode::from(status::OUTPUT_CLOSED);
                    }
                    if class {
                        out!();
                    }
                }
                graded.push(g);
            }
            Err(e) => return bad(e),
        }
    }
    if args.json {
        let doc = to_json(&spec, exercise, &graded);
        out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if let Some(csv) = &args.csv {
        let written = match &mut csv_file {
            None => write_csv(&mut stdout.lock(), &spec, &graded),
            Some(f) => write_csv(f, &spec, &graded).and_then(|()| f.flush()),
        };
        if let Err(e) = written {
            return bad(format!(
                "{}: cannot write: {}",
                csv.display(),
                crate::io_reason(&e)
            ));
        }
    }
    if class && !args.json {
        let all = graded.iter().filter(|g| g.all_passed()).count();
        out!("{all} of {} submissions passed every check", graded.len());
    }
    if graded.iter().all(Graded::all_passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The reference solution of exercise `name`: `solutions/NAME.s` (or
/// `.S`, or `.toml` for answers) in the course directory, kept apart from
/// what students get.
pub fn solution(course: &Path, name: &str) -> Option<PathBuf> {
    ["s", "S", "toml"]
        .iter()
        .map(|ext| course.join("solutions").join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// `trapvisor check --verify`: every solution passes, every starter fails.
fn verify(course: &Path) -> ExitCode {
    let all = exercises(course);
    if all.is_empty() {
        eprintln!(
            "trapvisor: {}: no exercises",
            course.join("exercises").display()
        );
        return ExitCode::from(status::BAD_INPUT);
    }
    let mut problems = 0;
    for (name, dir) in &all {
        let spec = match spec::load(dir) {
            Ok(s) => s,
            Err(e) => {
                out!("FAIL  {name}: {e}");
                problems += 1;
                continue;
            }
        };
        let mut say = Vec::new();
        match solution(course, name) {
            None => say.push("no reference solution in solutions/".to_string()),
            Some(sol) => match grade(&spec, &sol) {
                Err(e) => say.push(e),
                Ok(g) if !g.all_passed() => {
                    let mut text = Vec::new();
                    let _ = print_text(&mut text, &spec, name, &g);
                    say.push(format!(
                        "the reference solution fails:\n{}",
                        String::from_utf8_lossy(&text)
                    ));
                }
                Ok(_) => {}
            },
        }
        match grade(&spec, &spec.starter) {
            Err(e) => say.push(e),
            Ok(g) if g.all_passed() => {
                say.push("the starter file passes every check: nothing is left to do".into())
            }
            Ok(_) => {}
        }
        if say.is_empty() {
            out!("ok    {name}");
        } else {
            problems += 1;
            out!("FAIL  {name}: {}", say.join("; "));
        }
    }
    out!("{} passed, {problems} failed", all.len() - problems);
    if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }

    proptest::proptest! {
        /// Whatever two outputs are, the report's line about them stays
        /// short: each quoted line is at most SHOWN_LINE characters (each
        /// escaped in at most 10), plus its length and the words around.
        #[test]
        fn a_difference_is_reported_in_a_bounded_line(
            got in proptest::collection::vec(proptest::prelude::any::<char>(), 0..2000),
            want in "[a-z0-9\n]{0,300}",
            long in 0usize..3,
        ) {
            let mut got: String = got.into_iter().collect();
            if long > 0 {
                got.push_str(&"x".repeat(100_000 * long));
            }
            let shown = first_difference(&got, &want);
            proptest::prop_assert!(
                shown.chars().count() <= 2 * (SHOWN_LINE * 10 + 40) + 60,
                "{} characters",
                shown.chars().count()
            );
        }
    }

    #[test]
    fn differences_point_at_the_line() {
        assert_eq!(
            first_difference("a\nb\n", "a\nc\n"),
            "line 2: expected \"c\", got \"b\""
        );
        assert_eq!(
            first_difference("a\n", "a\nb\n"),
            "line 2: expected \"b\", got (no line)"
        );
        let endless = "A".repeat(50_000_000);
        assert_eq!(
            first_difference(&endless, "1\n"),
            format!(
                "line 1: expected \"1\", got \"{}\"... (50000000 characters)",
                "A".repeat(200)
            )
        );
        assert_eq!(
            first_difference("a", "a\n"),
            "the outputs differ only in the newline at the end"
        );
    }
}
