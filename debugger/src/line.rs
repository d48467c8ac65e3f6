//! The line interface without the terminal: reading commands (a script's
//! lines, or what the user typed), running them, printing their replies and
//! the guests' console output in the order they happen. `trapvisor debug`
//! puts a terminal (line editing, history) or a script in front of it;
//! tests put a string in front and read the transcript.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::command::{self, Command};
use crate::render::render;
use crate::session::{Observer, Session};
use crate::target::Target;

/// The prompt, shown before each command (and before each command of a
/// script in the transcript).
pub const PROMPT: &str = "(tv) ";

/// A writer shared by the replies and the console output.
pub type Sink = Rc<RefCell<dyn Write>>;

/// One command of a script, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptLine {
    pub line: usize,
    pub text: String,
    pub command: Command,
}

/// Parses a whole script: every line must be a command, a comment (`#`)
/// or empty. The first bad line is the error, as `FILE:LINE: message`.
pub fn parse_script(name: &str, text: &str) -> Result<Vec<ScriptLine>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let command = command::parse(t).map_err(|e| format!("{name}:{}: {e}", i + 1))?;
        out.push(ScriptLine {
            line: i + 1,
            text: t.to_string(),
            command,
        });
    }
    Ok(out)
}

/// What to do after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Go,
    Quit(i32),
}

/// Console output as the transcript shows it.
struct Console {
    out: Sink,
    /// Several guests: each line prefixed with `[name] `.
    prefixed: bool,
    /// Per guest, the part of a line not yet printed (prefixed mode).
    partial: Vec<Vec<u8>>,
    /// Natively, whether the last byte printed was not a newline.
    mid_line: bool,
    interrupt: Option<Rc<dyn Fn() -> bool>>,
}

impl Console {
    /// Before the debugger prints: end a guest's unfinished line.
    fn settle(&mut self) {
        let mut o = self.out.borrow_mut();
        if self.mid_line {
            let _ = o.write_all(b"\n");
            self.mid_line = false;
        }
    }

    /// Under the monitor, the unfinished lines too (before a stop).
    fn flush_partial(&mut self, names: &[String]) {
        for (g, part) in self.partial.iter_mut().enumerate() {
            if !part.is_empty() {
                let mut o = self.out.borrow_mut();
                let name = names.get(g).map_or("?", |s| s.as_str());
                let _ = write!(o, "[{name}] ");
                let _ = o.write_all(part);
                let _ = o.write_all(b"\n");
                part.clear();
            }
        }
    }
}

struct SharedObserver(Rc<RefCell<Console>>);

impl Observer for SharedObserver {
    fn console(&mut self, guest: usize, name: &str, bytes: &[u8]) {
        let mut c = self.0.borrow_mut();
        if c.prefixed {
            if c.partial.len() <= guest {
                c.partial.resize(guest + 1, Vec::new());
            }
            let mut done = Vec::new();
            for &b in bytes {
                if b == b'\n' {
                    done.push(std::mem::take(&mut c.partial[guest]));
                } else if b != b'\r' {
                    c.partial[guest].push(b);
                }
            }
            let mut o = c.out.borrow_mut();
            for line in done {
                let _ = write!(o, "[{name}] ");
                let _ = o.write_all(&line);
                let _ = o.write_all(b"\n");
            }
        } else {
            let mut o = c.out.borrow_mut();
            let _ = o.write_all(bytes);
            let _ = o.flush();
            drop(o);
            if let Some(&last) = bytes.last() {
                c.mid_line = last != b'\n';
            }
        }
    }

    fn interrupted(&mut self) -> bool {
        let c = self.0.borrow();
        c.interrupt.as_ref().is_some_and(|f| f())
    }

    fn message(&mut self, text: &str) {
        let mut c = self.0.borrow_mut();
        c.settle();
        let mut o = c.out.borrow_mut();
        let _ = writeln!(o, "{text}");
        let _ = o.flush();
    }
}

/// The line interface over a session.
pub struct LineUi {
    out: Sink,
    err: Sink,
    console: Rc<RefCell<Console>>,
    /// What Enter on an empty line runs again.
    repeat: Option<Command>,
    /// A command failed (a script's exit status says so).
    pub failed: bool,
    /// `--batch`: a `quit` with no status after a failed command exits 1,
    /// as GDB's batch mode does; otherwise `quit` is 0, as in GDB.
    pub batch: bool,
    names: Vec<String>,
}

impl LineUi {
    /// A line interface printing replies and console output to `out` and
    /// errors to `err` (the same sink for a transcript), over `session`.
    pub fn new<T: Target>(session: &mut Session<T>, out: Sink, err: Sink) -> LineUi {
        let names: Vec<String> = session
            .target()
            .guests()
            .into_iter()
            .map(|g| g.name)
            .collect();
        let console = Rc::new(RefCell::new(Console {
            out: out.clone(),
            prefixed: names.len() > 1,
            partial: vec![Vec::new(); names.len()],
            mid_line: false,
            interrupt: None,
        }));
        session.set_observer(Box::new(SharedObserver(console.clone())));
        LineUi {
            out,
            err,
            console,
            repeat: None,
            failed: false,
            batch: false,
            names,
        }
    }

    /// Ctrl-C: `interrupted` is asked between slices of a run.
    pub fn set_interrupt(&mut self, interrupted: Rc<dyn Fn() -> bool>) {
        self.console.borrow_mut().interrupt = Some(interrupted);
    }

    fn print(&mut self, text: &str) {
        self.console.borrow_mut().settle();
        let mut o = self.out.borrow_mut();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
    }

    fn error(&mut self, text: &str) {
        self.console.borrow_mut().settle();
        let _ = self.out.borrow_mut().flush();
        let mut e = self.err.borrow_mut();
        let _ = writeln!(e, "{text}");
        let _ = e.flush();
        self.failed = true;
    }

    /// Prints where the guests start (before the first command).
    pub fn start<T: Target>(&mut self, session: &Session<T>) {
        let guests = session.target().guests();
        let names: Vec<&str> = guests.iter().map(|g| g.name.as_str()).collect();
        let how = if guests.len() > 1 || session.target().csrs().iter().any(|r| r.real.is_some()) {
            "under the monitor"
        } else {
            "natively"
        };
        self.print(&format!(
            "trapvisor debug: {} {how}, stopped at the first instruction. Type \"help\" for commands.\n",
            names.join(", ")
        ));
        self.print(&render(&crate::output::Reply::Stop(Box::new(
            session.here(),
        ))));
    }

    /// Runs one line typed or read. `echo`: print it after the prompt first
    /// (a script's transcript). An empty line repeats the last stepping,
    /// continuing, `x` or `list` command when `repeat_on_empty`.
    pub fn line<T: Target>(
        &mut self,
        session: &mut Session<T>,
        text: &str,
        echo: bool,
        repeat_on_empty: bool,
    ) -> Control {
        let t = text.trim();
        if echo {
            self.print(&format!("{PROMPT}{t}\n"));
        }
        if t.starts_with('#') {
            return Control::Go;
        }
        let cmd = if t.is_empty() {
            match (&self.repeat, repeat_on_empty) {
                (Some(c), true) => c.clone(),
                _ => return Control::Go,
            }
        } else {
            match command::parse(t) {
                Ok(c) => c,
                Err(e) => {
                    self.error(&e.0);
                    return Control::Go;
                }
            }
        };
        self.run(session, &cmd)
    }

    /// Runs one parsed command.
    pub fn run<T: Target>(&mut self, session: &mut Session<T>, cmd: &Command) -> Control {
        if let Command::Quit(code) = cmd {
            return Control::Quit(code.unwrap_or(i32::from(self.batch && self.failed)));
        }
        self.repeat = repeat_form(cmd);
        let result = session.execute(cmd);
        let names = self.names.clone();
        self.console.borrow_mut().flush_partial(&names);
        match result {
            Ok(replies) => {
                for r in &replies {
                    self.print(&render(r));
                }
            }
            Err(e) => self.error(&e.0),
        }
        Control::Go
    }

    /// Runs a parsed script, echoing each command; stops at `quit`.
    pub fn script<T: Target>(&mut self, session: &mut Session<T>, lines: &[ScriptLine]) -> Control {
        for l in lines {
            self.print(&format!("{PROMPT}{}\n", l.text));
            if let Control::Quit(c) = self.run(session, &l.command) {
                return Control::Quit(c);
            }
        }
        Control::Go
    }
}

/// What Enter repeats after `cmd` (GDB's rule: stepping, continuing, and
/// `x`/`list` going on from where they stopped).
fn repeat_form(cmd: &Command) -> Option<Command> {
    let info = match cmd {
        // Enter goes on after the last unit, in the same format and count.
        Command::Examine {
            physical, format, ..
        } => {
            return Some(Command::Examine {
                physical: *physical,
                format: *format,
                addr: None,
            })
        }
        Command::List(_) => return Some(Command::List(None)),
        c => c,
    };
    let repeats = matches!(
        info,
        Command::Stepi(_)
            | Command::Nexti(_)
            | Command::Continue(_)
            | Command::Until(_)
            | Command::Finish
            | Command::ReverseStepi(_)
            | Command::ReverseNexti(_)
            | Command::ReverseContinue
            | Command::ReverseFinish
    );
    repeats.then(|| match info {
        Command::Continue(_) => Command::Continue(1),
        c => c.clone(),
    })
}

/// A transcript of `script` over `session`: everything printed, errors
/// included, as one string (for tests and graders).
pub fn transcript<T: Target>(session: &mut Session<T>, script: &str) -> Result<String, String> {
    let lines = parse_script("script", script)?;
    let buf: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::new()));
    let sink: Sink = buf.clone();
    let mut ui = LineUi::new(session, sink.clone(), sink);
    ui.start(session);
    ui.script(session, &lines);
    drop(ui);
    let bytes = buf.borrow().clone();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
