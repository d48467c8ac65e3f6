//! The course against the tool: every `trapvisor` command the book shows
//! with its output is run and compared ([`book`]), and `trapvisor check`
//! grades as its documentation says ([`check`]).
//!
//! The book's convention (book/src/introduction.md, "Conventions"):
//! - a fenced block whose info string is `console` holds commands, each on
//!   a line starting with `$ `, each followed by the exact text it prints
//!   (stdout and stderr as a terminal shows them);
//! - in that text, `[..]` stands for any text within a line (a wall time,
//!   a MIPS figure), and a line that is only `...` for any number of
//!   lines (the rest of a long listing);
//! - a fenced block whose info string has `file=NAME` is written to NAME
//!   before the page's commands run, so that the page's own examples
//!   (`first.s`) exist;
//! - each page's commands run in order in a fresh directory that has the
//!   repository's `guest-programs/` and `course/`, with `trapvisor` on
//!   `PATH` and no input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn trapvisor() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trapvisor"))
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("trapvisor-course-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

mod book {
    use super::*;

    /// A fenced code block of a page.
    #[derive(Debug)]
    pub struct Block {
        pub info: String,
        /// 1-based line of the opening fence.
        pub line: usize,
        pub text: String,
    }

    /// The fenced blocks of a Markdown text (fences may be indented, as
    /// in list items; the indentation is removed from the contents).
    pub fn blocks(md: &str) -> Vec<Block> {
        let mut out = Vec::new();
        let mut open: Option<(usize, String, usize, String)> = None;
        for (k, line) in md.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let t = line.trim_start();
            match &mut open {
                None => {
                    if let Some(info) = t.strip_prefix("```") {
                        open = Some((indent, info.trim().to_string(), k + 1, String::new()));
                    }
                }
                Some((ind, info, at, text)) => {
                    if t.starts_with("```") && t.trim() == "```" {
                        out.push(Block {
                            info: std::mem::take(info),
                            line: *at,
                            text: std::mem::take(text),
                        });
                        open = None;
                    } else {
                        let cut = line
                            .char_indices()
                            .take_while(|&(i, c)| i < *ind && c == ' ')
                            .count();
                        text.push_str(&line[cut..]);
                        text.push('\n');
                    }
                }
            }
        }
        out
    }

    /// One command of a `console` block and what it must print.
    #[derive(Debug)]
    pub struct Example {
        pub line: usize,
        pub command: String,
        pub expected: String,
    }

    pub fn examples(b: &Block) -> Vec<Example> {
        let mut out: Vec<Example> = Vec::new();
        for (k, l) in b.text.lines().enumerate() {
            if let Some(cmd) = l.strip_prefix("$ ") {
                out.push(Example {
                    line: b.line + 1 + k,
                    command: cmd.to_string(),
                    expected: String::new(),
                });
            } else if let Some(e) = out.last_mut() {
                e.expected.push_str(l);
                e.expected.push('\n');
            } else {
                panic!(
                    "line {}: a console block starts with a `$ ` command",
                    b.line + 1 + k
                );
            }
        }
        out
    }

    /// Whether `line` matches `pattern`, where `[..]` is any text.
    pub fn line_matches(pattern: &str, line: &str) -> bool {
        let parts: Vec<&str> = pattern.split("[..]").collect();
        if parts.len() == 1 {
            return pattern == line;
        }
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        if !line.starts_with(first)
            || line.len() < first.len() + last.len()
            || !line.ends_with(last)
        {
            return false;
        }
        let mut rest = &line[first.len()..line.len() - last.len()];
        for mid in &parts[1..parts.len() - 1] {
            match rest.find(mid) {
                Some(i) => rest = &rest[i + mid.len()..],
                None => return false,
            }
        }
        true
    }

    /// Whether `text` matches `expected`, line by line, where a line
    /// `...` is any number of lines.
    pub fn text_matches(expected: &[&str], text: &[&str]) -> bool {
        match expected.split_first() {
            None => text.is_empty(),
            Some((&"...", rest)) => (0..=text.len()).any(|k| text_matches(rest, &text[k..])),
            Some((p, rest)) => {
                !text.is_empty() && line_matches(p, text[0]) && text_matches(rest, &text[1..])
            }
        }
    }

    /// Runs `command` as the book's reader would, in `dir`: stdout and
    /// stderr in one stream, in the order they were written.
    pub fn run(dir: &Path, command: &str) -> String {
        let bin = trapvisor();
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{command}"))
            .current_dir(dir)
            .env("PATH", path)
            .stdin(Stdio::null())
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The matching rules themselves.
#[test]
fn book_patterns_match_as_documented() {
    use book::*;
    assert!(line_matches("wall time: [..] s", "wall time: 0.012 s"));
    assert!(!line_matches("wall time: [..] s", "wall time: 0.012 ms"));
    assert!(line_matches("a [..] b [..] c", "a 1 b 2 c"));
    assert!(!line_matches("a [..] b [..] c", "a 1 c 2 b"));
    assert!(line_matches("exact", "exact"));
    let t = ["a", "b", "c", "d"];
    assert!(text_matches(&["a", "..."], &t));
    assert!(text_matches(&["a", "...", "d"], &t));
    assert!(text_matches(&["...", "c", "d"], &t));
    assert!(!text_matches(&["a", "c", "..."], &t));
    assert!(!text_matches(&["a", "b", "c"], &t));
    let b = &blocks("x\n  ```console\n  $ trapvisor run a.s\n  hello\n  ```\n")[0];
    assert_eq!(b.info, "console");
    let e = examples(b);
    assert_eq!(e[0].command, "trapvisor run a.s");
    assert_eq!(e[0].expected, "hello\n");
    assert_eq!(e[0].line, 3);
}

/// Every command the book shows with its output prints that output.
#[test]
fn the_book_shows_what_trapvisor_prints() {
    use book::*;
    let src = root().join("book/src");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in &pages {
        let md = std::fs::read_to_string(page).unwrap();
        let blocks = blocks(&md);
        let consoles: Vec<&Block> = blocks.iter().filter(|b| b.info == "console").collect();
        if consoles.is_empty() {
            continue;
        }
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        let scratch = Scratch::new(&format!("book-{stem}"));
        for d in ["guest-programs", "course"] {
            std::os::unix::fs::symlink(root().join(d), scratch.0.join(d)).unwrap();
        }
        for b in &blocks {
            if let Some(name) = b
                .info
                .split_whitespace()
                .find_map(|w| w.strip_prefix("file="))
            {
                std::fs::write(scratch.0.join(name), &b.text).unwrap();
            }
        }
        for b in consoles {
            for e in examples(b) {
                ran += 1;
                let got = run(&scratch.0, &e.command);
                let want: Vec<&str> = e.expected.lines().collect();
                let lines: Vec<&str> = got.lines().collect();
                if !text_matches(&want, &lines) {
                    failures.push(format!(
                        "book/src/{stem}.md:{}: $ {}\n--- the book shows:\n{}--- trapvisor printed:\n{}",
                        e.line, e.command, e.expected, got
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} commands in the book print something else now \
         (update the text, keeping [..] for figures that vary):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 10, "only {ran} commands found in the book");
}

mod check {
    use super::*;

    pub fn check(args: &[&str], dir: &Path) -> (i32, String, String) {
        let out = Command::new(trapvisor())
            .arg("check")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// A class directory is graded into a CSV, and only an all-pass class
/// exits 0.
#[test]
fn check_grades_a_class_into_csv() {
    let s = Scratch::new("class");
    let ex = root().join("course/exercises/getting-started/exit-codes");
    let class = s.0.join("class");
    std::fs::create_dir_all(&class).unwrap();
    let solution = root().join("course/solutions/getting-started/exit-codes.s");
    std::fs::copy(&solution, class.join("ada.s")).unwrap();
    std::fs::copy(ex.join("starter.s"), class.join("bob.s")).unwrap();
    std::fs::write(class.join("cyd.s"), "_start: addx a0, a0, 1\n").unwrap();
    let csv = s.0.join("grades.csv");
    let (code, stdout, _) = check::check(
        &[
            ex.to_str().unwrap(),
            "class",
            "--csv",
            csv.to_str().unwrap(),
        ],
        &s.0,
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("1 of 3 submissions passed every check"),
        "{stdout}"
    );
    assert!(
        stdout.contains("cyd.s:1:9: unknown instruction"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(csv).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "submission,assembled,passed,total,native: exit status 0,monitor: exit status 0,\
         native: the expected output,\"native, monitor: same output, digest\""
    );
    assert_eq!(rows[1], "class/ada.s,yes,4,4,pass,pass,pass,pass");
    assert_eq!(rows[2], "class/bob.s,yes,2,4,fail,fail,pass,pass");
    assert_eq!(rows[3], "class/cyd.s,no,0,4,fail,fail,fail,fail");

    // One submission: exit 0 when all pass; --json for a platform.
    let (code, stdout, _) = check::check(&[ex.to_str().unwrap(), "class/ada.s", "--json"], &s.0);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["schema"], "trapvisor-check");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["submissions"][0]["passed"], 4);
    assert_eq!(doc["submissions"][0]["checks"][0]["passed"], true);
}

/// Bad input is exit 2 with the file named; a failing check shows its hint.
/// A --csv path that cannot be written is bad input, said in words before
/// anything is graded (it used to grade the whole class, then print "No
/// such file or directory (os error 2)"); one that fails while written
/// says why too.
#[test]
fn check_refuses_a_csv_it_cannot_write_before_grading() {
    let s = Scratch::new("csv-unwritable");
    std::fs::write(s.0.join("a.s"), "_start: j _start\n").unwrap();
    let missing = s.0.join("no").join("grades.csv");
    let missing = missing.to_str().unwrap();
    let (code, stdout, stderr) = check::check(
        &["getting-started/exit-codes", "a.s", "--csv", missing],
        &s.0,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("{missing}: cannot write: no such file")),
        "{stderr}"
    );
    assert!(!stderr.contains("os error"), "{stderr}");
    assert_eq!(stdout, "", "nothing graded");
    let (code, _, stderr) = check::check(
        &["getting-started/exit-codes", "a.s", "--csv", "/dev/full"],
        &s.0,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("/dev/full: cannot write: no space left on device"),
        "{stderr}"
    );
}

#[test]
fn check_names_mistakes_and_gives_hints() {
    let s = Scratch::new("mistakes");
    let ex = s.0.join("ex");
    std::fs::create_dir_all(&ex).unwrap();
    std::fs::write(
        ex.join("check.toml"),
        "title = \"T\"\nchapter = \"c\"\nnumber = 1\n[[check]]\nstatus = 0\nstaus = 1\n",
    )
    .unwrap();
    std::fs::write(s.0.join("a.s"), "_start: j _start\n").unwrap();
    let (code, _, stderr) = check::check(&["ex", "a.s"], &s.0);
    assert_eq!(code, 2);
    assert!(stderr.contains("ex/check.toml"), "{stderr}");
    assert!(stderr.contains("staus"), "{stderr}");

    std::fs::write(
        ex.join("check.toml"),
        "title = \"T\"\nchapter = \"c\"\nnumber = 1\nmax_instructions = 1000\n\
         [[check]]\nstatus = 0\nhint = \"end it through the finisher\"\n\
         [[check]]\nrun = \"monitor\"\nstat = \"monitor.exits.budget >= 1\"\n",
    )
    .unwrap();
    let (code, stdout, _) = check::check(&["ex", "a.s"], &s.0);
    assert_eq!(code, 1, "{stdout}");
    // The limit is the exercise's: check has no --max-instructions for
    // the student to raise it with, so the report does not suggest it.
    assert!(
        stdout.contains(
            "FAIL  native: exit status 0 (exit status 124: instruction limit reached: \
             stopped after 1000 instructions (the exercise's limit))"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("--max-instructions"), "{stdout}");
    assert!(
        stdout.contains("hint: end it through the finisher"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS  monitor: monitor.exits.budget >= 1 (monitor.exits.budget = "),
        "{stdout}"
    );
    let (code, _, stderr) = check::check(&["no/such", "a.s"], &s.0);
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such: no such exercise"), "{stderr}");
}

/// `--stats=json` is the documented schema, natively and under the
/// monitor, and its figures are the text's.
#[test]
fn stats_json_has_every_figure() {
    let run = |args: &[&str]| {
        let out = Command::new(trapvisor())
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        doc
    };
    let n = run(&["run", "--stats=json", "guest-programs/syscall.s"]);
    assert_eq!(n["schema"], "trapvisor-stats");
    assert_eq!(n["version"], 1);
    assert_eq!(n["mode"], "native");
    let g = &n["guests"][0];
    assert_eq!(g["name"], "syscall");
    assert_eq!(g["status"], 0);
    assert_eq!(g["end"]["kind"], "sbi-shutdown");
    assert_eq!(g["instructions"], 7107);
    assert_eq!(g["native"]["traps"]["total"], 7);
    assert_eq!(
        g["native"]["traps"]["by_cause"]["environment_call_from_u_mode"],
        6
    );
    assert_eq!(g["native"]["traps"]["by_cause"]["load_page_fault"], 0);
    let m = run(&[
        "run",
        "--stats=json",
        "guest-programs/syscall.s",
        "guest-programs/hello.s",
    ]);
    assert_eq!(m["mode"], "monitor");
    let s = &m["guests"][0];
    assert_eq!(s["digest"], g["digest"], "equivalence");
    assert_eq!(s["monitor"]["exits"]["page_fault"], 912);
    assert_eq!(s["monitor"]["emulated"]["sret"], 6);
    assert_eq!(s["monitor"]["emulated_instructions"], 965);
    // Of its 53 illegal-instruction exits, 8 followed a CSR write and were
    // answered in the same return from the hart.
    assert_eq!(s["monitor"]["exits"]["illegal_instruction"], 53);
    assert_eq!(s["monitor"]["chained_exits"], 8);
    assert_eq!(m["guests"][1]["monitor"]["chained_exits"], 0);
    assert_eq!(m["guests"][1]["name"], "hello");
    assert_eq!(m["guests"][1]["monitor"]["emulated"]["mmio_store"], 78);
}

/// A debugger check steps through the submission natively and compares
/// the transcript, natively and under the monitor; a failing one shows
/// where and what the debugger printed.
#[test]
fn check_compares_debugger_transcripts() {
    let s = Scratch::new("debug");
    let ex = s.0.join("ex");
    std::fs::create_dir_all(&ex).unwrap();
    let timer = root().join("guest-programs/timer.s");
    std::fs::copy(&timer, s.0.join("timer.s")).unwrap();
    std::fs::copy(root().join("guest-programs/hello.s"), s.0.join("hello.s")).unwrap();
    let lib = root().join("guest-programs/lib");
    std::os::unix::fs::symlink(&lib, s.0.join("lib")).unwrap();
    let spec = "title = \"Third tick\"\nchapter = \"time-sharing\"\nnumber = 9\n\
        [[check]]\ndescription = \"the third tick interrupts wait\"\n\
        debug = '''\ncatch trap timer\nignore 1 2\ncontinue\nprint $sepc == wait + 28\n'''\n\
        transcript = '''\n...\ntick 2\nCatchpoint 1 (trap): supervisor timer interrupt at [..] <wait+28> in S-mode[..]\n\
        => [..]\n(tv) print $sepc == wait + 28\n$1 = 1\n'''\n\
        hint = \"the third tick\"\n";
    std::fs::write(ex.join("check.toml"), spec).unwrap();
    let (code, stdout, stderr) = check::check(&["ex", "timer.s"], &s.0);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("PASS  the third tick interrupts wait"),
        "{stdout}"
    );

    // hello.s takes no timer interrupt: the transcript ends without one.
    let (code, stdout, _) = check::check(&["ex", "hello.s"], &s.0);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL  the third tick interrupts wait (no line of the transcript from its line 1 on matches expected line 2 \"tick 2\")"),
        "{stdout}"
    );
    assert!(
        stdout.contains("        the debugger printed:\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "        | trapvisor debug: submission natively, stopped at the first instruction."
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("        | Hello from trapvisor!\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("        hint: the third tick\n"),
        "{stdout}"
    );
    let (_, json, _) = check::check(&["ex", "hello.s", "--json"], &s.0);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let t = doc["submissions"][0]["checks"][0]["transcript"]
        .as_str()
        .unwrap();
    assert!(t.contains("(tv) print $sepc == wait + 28\n"), "{t}");

    // A bad command is named with its line.
    std::fs::write(
        ex.join("check.toml"),
        spec.replace("ignore 1 2", "frobnicate 1 2"),
    )
    .unwrap();
    let (code, _, stderr) = check::check(&["ex", "timer.s"], &s.0);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("ex/check.toml: check 1: debug:2: Undefined command: \"frobnicate\""),
        "{stderr}"
    );
    // Under the monitor: the interrupt is injected, an exit the debugger
    // shows with its handler.
    let monitored = "title = \"Third tick\"\nchapter = \"time-sharing\"\nnumber = 9\n\
        [[check]]\nrun = \"monitor\"\ndescription = \"the third tick is injected at wait\"\n\
        debug = '''\ncatch exit interrupt\nignore 1 2\ncontinue\nprint $sepc == wait + 28\ninfo exits\n'''\n\
        transcript = '''\ntrapvisor debug: submission under the monitor, stopped at the first instruction.[..]\n...\n\
        tick 2\n\
        Catchpoint 1 (exit): exit at [..] <wait+28> in S-mode: interrupt: supervisor timer interrupt injected -> monitor::exits::reflect::inject; resumes at [..] <trap_entry>\n\
        => [..]\n(tv) print $sepc == wait + 28\n$1 = 1\n(tv) info exits\nExits of submission:\n...\n[..]3  interrupts injected\n...\n'''\n";
    std::fs::write(ex.join("check.toml"), monitored).unwrap();
    let (code, stdout, stderr) = check::check(&["ex", "timer.s"], &s.0);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, _) = check::check(&["ex", "hello.s"], &s.0);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("        | trapvisor debug: submission under the monitor"),
        "{stdout}"
    );
}

/// An answers exercise grades predictions against the figures of runs of
/// its own guests: a class of answer files into a CSV, a missing answer
/// named, a file that is not TOML shown like an assembler's error.
#[test]
fn check_grades_answers_against_the_figures() {
    let s = Scratch::new("answers");
    let ex = s.0.join("ex");
    std::fs::create_dir_all(&ex).unwrap();
    let syscall = root().join("guest-programs/syscall.s");
    std::fs::write(
        ex.join("check.toml"),
        format!(
            "title = \"Count\"\nchapter = \"protection\"\nnumber = 3\nsubmission = \"answers\"\n\
             [[run]]\nname = \"syscall\"\nmonitor = true\nguests = [{syscall:?}]\n\
             [[check]]\ndescription = \"sret\"\nstat = \"answer.sret == monitor.emulated.sret\"\n\
             [[check]]\ndescription = \"uart\"\n\
             stat = \"answer.uart == monitor.emulated.mmio_load + monitor.emulated.mmio_store\"\n\
             hint = \"two exits a byte\"\n"
        ),
    )
    .unwrap();
    let class = s.0.join("class");
    std::fs::create_dir_all(&class).unwrap();
    std::fs::write(class.join("ada.toml"), "sret = 6\nuart = 912\n").unwrap();
    std::fs::write(class.join("bob.toml"), "sret = 6\nuart = 456\n").unwrap();
    std::fs::write(class.join("cyd.toml"), "sret = 6\n").unwrap();
    std::fs::write(class.join("dan.toml"), "sret = six\n").unwrap();
    std::fs::write(class.join("notes.s"), "not graded\n").unwrap();
    let (code, stdout, stderr) = check::check(&["ex", "class", "--csv", "-"], &s.0);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("class/bob.toml: Count (protection exercise 3, ex)\n  PASS  sret (answer.sret = 6, monitor.emulated.sret = 6)\n  FAIL  uart (answer.uart = 456, monitor.emulated.mmio_load = 456, monitor.emulated.mmio_store = 456, monitor.emulated.mmio_load + monitor.emulated.mmio_store = 912)\n        hint: two exits a byte\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL  uart (no answer `uart` in the submission (it answers sret))"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  the answers cannot be read:\n    class/dan.toml: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 of 4 submissions passed every check"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "submission,assembled,passed,total,sret,uart\n\
         class/ada.toml,yes,2,2,pass,pass\n\
         class/bob.toml,yes,1,2,pass,fail\n\
         class/cyd.toml,yes,1,2,pass,fail\n\
         class/dan.toml,no,0,2,fail,fail\n"
        ),
        "{stdout}"
    );

    // Answers cannot run, and programs have no answers.
    std::fs::write(
        ex.join("check.toml"),
        "title = \"T\"\nchapter = \"c\"\nnumber = 1\nsubmission = \"answers\"\n\
         [[run]]\nname = \"r\"\nguests = [\"submission\"]\n[[check]]\nstat = \"answer.x == 1\"\n",
    )
    .unwrap();
    let (code, _, stderr) = check::check(&["ex", "class"], &s.0);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the submission is answers, not a program"),
        "{stderr}"
    );
    std::fs::write(
        ex.join("check.toml"),
        "title = \"T\"\nchapter = \"c\"\nnumber = 1\n[[check]]\nstat = \"answer.x == 1\"\n",
    )
    .unwrap();
    let (code, _, stderr) = check::check(&["ex", "class"], &s.0);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("give the exercise submission = \"answers\""),
        "{stderr}"
    );
}

/// A submission anywhere finds the course's include files (the exercise's
/// include_dir is the assembler's -I), and the current directory is
/// left alone.
#[test]
fn check_finds_includes_through_the_exercise() {
    let s = Scratch::new("include");
    std::fs::copy(
        root().join("course/solutions/getting-started/count.s"),
        s.0.join("mine.s"),
    )
    .unwrap();
    let (code, stdout, stderr) = check::check(
        &[
            "getting-started/count",
            "mine.s",
            "--course",
            root().join("course").to_str().unwrap(),
        ],
        &s.0,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("mine.s: Print a number"), "{stdout}");
    std::fs::write(
        s.0.join("typo.s"),
        "        .include \"lib/consol.inc\"\n_start: j _start\n",
    )
    .unwrap();
    let (code, stdout, _) = check::check(
        &[
            "getting-started/count",
            "typo.s",
            "--course",
            root().join("course").to_str().unwrap(),
        ],
        &s.0,
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("    typo.s:1:18: "), "{stdout}");
}
