//! `trapvisor debug [OPTIONS] FILE...`: the guest(s) stopped at their first
//! instruction, and a command line to step, break, watch and look, forwards
//! and backwards ([`debugger`]).
//!
//! Commands come from `-x FILE` scripts first (each line echoed after the
//! prompt, so the transcript reads like a session), then from the terminal
//! with line editing and history (Enter on an empty line repeats a
//! stepping command), or from standard input when it is not a terminal.
//! `--batch` leaves after the scripts. Every script line is parsed before
//! anything runs: a bad one is reported as `FILE:LINE: message`, exit
//! status 2. A transcript holds no wall times: the same script over the
//! same guest prints the same text.
//!
//! Exit status (as GDB's): `quit N` gives N; `quit` gives 0, but 1 in
//! `--batch` mode when a command failed (a script's error, such as a
//! symbol that does not exist); at the end of `--batch` scripts or of
//! piped commands without `quit`, 1 when a command failed, else 0; 2 for
//! bad input before anything runs.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Args;
use cpu::devices::{BufferInput, ByteSource, NoInput};
use cpu::machine::status;
use debugger::line::{parse_script, Control, LineUi, ScriptLine, Sink, PROMPT};
use debugger::monitored::{MonitorOptions, MonitorTarget, MonitoredGuest};
use debugger::native::NativeTarget;
use debugger::program::Program;
use debugger::session::Session;
use debugger::target::Target;

use crate::run_cmd::{
    self, load_guest_with, parse_size, StatsFormat, DEFAULT_MAX_INSTRUCTIONS, DEFAULT_QUANTUM,
};
use crate::stats_json;

#[derive(Args, Debug)]
#[command(after_help = "\
Exit status, as GDB's: `quit N` exits with N; `quit` with 0, or with 1 in --batch mode
when a command failed (such as `break` at a symbol that does not exist); at the end
of --batch scripts, or of commands piped on standard input, without `quit`: 1 when a
command failed, else 0. 2: bad input (a bad option, guest or script line), before
anything runs.")]
pub struct DebugArgs {
    /// The guest(s): assembly sources (.s, or .S), RISC-V ELF64
    /// executables, or raw images (loaded at 0x80200000, as `run` loads
    /// them). Two or more imply --monitor.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Run the guest(s) under the monitor (implied by two or more files):
    /// every exit, its handler and what it changed become visible.
    #[arg(long)]
    pub monitor: bool,

    /// Under the monitor: instructions a guest runs before the next one
    /// gets the hart [default: 10000]. Refused natively, where it would
    /// change nothing.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub quantum: Option<u64>,

    /// Guest RAM (each guest's under the monitor), as for `run`.
    #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
    pub memory: u64,

    /// Stop a guest after N retired instructions; 0 = no limit.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_INSTRUCTIONS)]
    pub max_instructions: u64,

    /// Interpret every instruction (no binary translation): the same run.
    #[arg(long)]
    pub interpret: bool,

    /// The privileged ISA the hart implements, as for `run`: `standard`,
    /// or `leaky` (the Popek–Goldberg lab's variant: in U-mode, reading
    /// `sstatus` does not trap and returns the real one, and a write that
    /// would change only SIE is dropped). Natively a guest kernel sees no
    /// difference; under the monitor it does.
    #[arg(long, value_name = "standard|leaky", default_value_t = cpu::privileged::Isa::Standard)]
    pub isa: cpu::privileged::Isa,

    /// How the monitor virtualizes the guests, as for `run` (implies
    /// --monitor): `trap` (trap-and-emulate, the default), `bt` (binary
    /// translation: a translated sensitive instruction is a call into the
    /// monitor, shown as an exit: `bt call`, handler
    /// monitor::strategy::bt::call) or `pv` (paravirtualization: a PV
    /// kernel's hypercalls are SBI exits, handler
    /// monitor::strategy::pv::intercept). `info guests` names it.
    #[arg(long, value_name = "trap|bt|pv")]
    pub strategy: Option<monitor::Strategy>,

    /// Run the debugger commands in FILE first (may be given several
    /// times); their transcript is deterministic.
    #[arg(short = 'x', long = "command", value_name = "FILE")]
    pub scripts: Vec<PathBuf>,

    /// Leave after the -x scripts instead of reading more commands.
    #[arg(long)]
    pub batch: bool,

    /// The guest's console input: the bytes of FILE (recorded, so that
    /// going back and forth the guest reads the same bytes). Without it the
    /// guest gets no input.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub asm: crate::asm_cmd::AsmFlags,

    /// Memory the history may keep for going back (snapshots of the RAM
    /// pages written); more memory, closer snapshots.
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub history_memory: u64,

    /// Serve GDB's remote protocol on [HOST:]PORT (loopback unless HOST
    /// is given) instead of reading commands: attach with gdb-multiarch's
    /// `target remote :PORT`.
    #[arg(long, value_name = "[HOST:]PORT", conflicts_with = "tui")]
    pub gdb: Option<String>,

    /// As QEMU's -s: --gdb 127.0.0.1:1234.
    #[arg(short = 's', conflicts_with_all = ["gdb", "tui"])]
    pub gdb_default: bool,

    /// As QEMU's -S: with --gdb or -s, the guests wait at their first
    /// instruction for the debugger (without it they run until one
    /// connects).
    #[arg(short = 'S')]
    pub wait_for_gdb: bool,

    /// At the end of the session, each guest's figures as `trapvisor run
    /// --stats` gives them, on stderr; `--stats=json`: one JSON document
    /// (schema `trapvisor-stats`, as `run --stats=json`; a guest still
    /// running has end kind `running`, and wall time and MIPS are 0: a
    /// debugger's pace is the user's). The session's own output stays on
    /// stdout, its errors on stderr before the figures.
    #[arg(long, value_name = "json", num_args = 0..=1, require_equals = true,
          default_missing_value = "text", value_enum, hide_possible_values = true)]
    pub stats: Option<StatsFormat>,

    /// A full-screen terminal interface: code, registers, CSRs, memory,
    /// traps, consoles and guests in panes, single keys for stepping, and
    /// the command line of the line interface at the bottom.
    #[arg(long, conflicts_with = "batch")]
    pub tui: bool,
}

/// The most console input `--input FILE` gives a guest (it is read
/// whole before the guest starts).
const INPUT_FILE_LIMIT: u64 = 256 << 20;

fn bad_input(message: &str) -> ExitCode {
    eprintln!("trapvisor: {message}");
    ExitCode::from(status::BAD_INPUT)
}

/// `trapvisor debug`.
pub fn run(args: &DebugArgs) -> ExitCode {
    // Everything a user gave is read and checked before anything runs.
    let mut scripts = Vec::new();
    for path in &args.scripts {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                return bad_input(&format!(
                    "{}: cannot read: {}",
                    path.display(),
                    crate::io_reason(&e)
                ))
            }
        };
        match parse_script(&path.display().to_string(), &text) {
            Ok(lines) => scripts.push(lines),
            Err(e) => return bad_input(&e),
        }
    }
    let gdb = match (&args.gdb, args.gdb_default) {
        (Some(spec), _) => match debugger::gdb::listen_address(spec) {
            Ok(a) => Some(a),
            Err(e) => return bad_input(&e),
        },
        (None, true) => Some(format!("127.0.0.1:{}", debugger::gdb::DEFAULT_PORT)),
        (None, false) => None,
    };
    if args.wait_for_gdb && gdb.is_none() {
        return bad_input("-S waits for a debugger: give it with -s or --gdb [HOST:]PORT");
    }
    let input: Box<dyn ByteSource> = match &args.input {
        None => Box::new(NoInput),
        Some(p) => match crate::read_bounded(p, INPUT_FILE_LIMIT) {
            Ok(bytes) => Box::new(BufferInput::new(bytes)),
            Err(e) => {
                return bad_input(&format!(
                    "{}: cannot read: {}",
                    p.display(),
                    crate::io_reason(&e)
                ))
            }
        },
    };
    let names = run_cmd::monitored::guest_names(&args.files);
    let mut guests = Vec::new();
    for file in &args.files {
        match load_guest_with(file, args.memory, &args.asm.options()) {
            Ok(g) => guests.push(g),
            Err(e) => return bad_input(&e.to_string()),
        }
    }
    if args.monitor || guests.len() > 1 || args.strategy.is_some() {
        let mut list = Vec::new();
        for ((guest, name), file) in guests.iter().zip(&names).zip(&args.files) {
            list.push(MonitoredGuest {
                program: program_with_lines(name, file, &guest.image, &args.asm.options()),
                image: guest.image.clone(),
            });
        }
        let options = MonitorOptions {
            memory: args.memory,
            quantum: args.quantum.unwrap_or(DEFAULT_QUANTUM),
            max_instructions: args.max_instructions,
            translation: !args.interpret,
            digest: args.stats.is_some(),
            isa: args.isa,
            strategy: args.strategy.unwrap_or_default(),
        };
        let target = match MonitorTarget::boot(list, options, input) {
            Ok(t) => t,
            Err(e) => return bad_input(&e.to_string()),
        };
        let mut session = Session::new(target);
        session.set_history(
            args.history_memory as usize,
            debugger::history::INITIAL_SPACING,
        );
        let code = front_end(&mut session, args, &scripts, gdb.as_deref());
        if let Some(format) = args.stats {
            stats_of_monitor(session.target(), &args.files, format);
        }
        return code;
    }
    if args.quantum.is_some() {
        return bad_input(run_cmd::QUANTUM_NATIVELY);
    }
    let guest = &guests[0];
    let program = program_with_lines(&names[0], &args.files[0], &guest.image, &args.asm.options());
    let mut target = match NativeTarget::boot(program, &guest.image, args.memory, input) {
        Ok(t) => t,
        Err(e) => return bad_input(&format!("{}: {e}", guest.name)),
    };
    target.machine().max_instructions = args.max_instructions;
    target.machine().hart.set_translation(!args.interpret);
    target.machine().hart.set_digest(args.stats.is_some());
    target.machine().set_isa(args.isa);
    let mut session = Session::new(target);
    session.set_history(
        args.history_memory as usize,
        debugger::history::INITIAL_SPACING,
    );
    let code = front_end(&mut session, args, &scripts, gdb.as_deref());
    if let Some(format) = args.stats {
        stats_of_native(session.target(), &args.files[0], format);
    }
    code
}

/// The front end the options ask for, over `session`.
fn front_end<T: Target>(
    session: &mut Session<T>,
    args: &DebugArgs,
    scripts: &[Vec<ScriptLine>],
    gdb: Option<&str>,
) -> ExitCode {
    if let Some(addr) = gdb {
        return serve_gdb(session, args, scripts, addr);
    }
    if args.tui {
        return tui(session, scripts);
    }
    drive(session, args, scripts)
}

/// `--tui`: the full-screen interface (the scripts first, their output in
/// its output pane).
fn tui<T: Target>(session: &mut Session<T>, scripts: &[Vec<ScriptLine>]) -> ExitCode {
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return bad_input("--tui needs a terminal (for a script, leave --tui out)");
    }
    match debugger::tui::terminal::run(session, scripts) {
        Ok(code) => exit(code),
        Err(e) => {
            eprintln!("trapvisor: --tui: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--gdb`, `-s`: the scripts first (their transcript on standard
/// output), then debuggers, one after the other, until one kills the
/// guests.
fn serve_gdb<T: Target>(
    session: &mut Session<T>,
    args: &DebugArgs,
    scripts: &[Vec<ScriptLine>],
    addr: &str,
) -> ExitCode {
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            return bad_input(&format!(
            "--gdb {addr}: the port is in use (by another trapvisor, or a QEMU started with -s?): \
                 give another with --gdb PORT, or --gdb 127.0.0.1:0 for any free one"
        ))
        }
        Err(e) => return bad_input(&format!("--gdb {addr}: cannot listen there: {e}")),
    };
    if !scripts.is_empty() {
        let out: Sink = Rc::new(RefCell::new(io::stdout()));
        let err: Sink = Rc::new(RefCell::new(io::stderr()));
        let mut ui = LineUi::new(session, out, err);
        for lines in scripts {
            if let Control::Quit(code) = ui.script(session, lines) {
                return exit(code);
            }
        }
    }
    let mut log = io::stderr();
    if let Ok(at) = listener.local_addr() {
        eprint!("{}", attach_hint(&args.files, &at.to_string()));
    }
    match debugger::gdb::serve(
        session,
        &listener,
        args.wait_for_gdb,
        Box::new(io::stdout()),
        &mut log,
    ) {
        Ok(()) => exit(0),
        Err(e) => {
            eprintln!("trapvisor: --gdb {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How to attach gdb-multiarch to the stub at `at` for the guests
/// `files`: GDB needs each guest's symbols from an ELF file, which
/// `trapvisor asm -g` makes from an assembly source. The guests are GDB's
/// threads (guest N is thread N+1) of one process, and they share their
/// addresses (every guest is linked at 0x80200000), so GDB holds one
/// guest's symbols at a time: the first guest's to start with, another's
/// with `symbol-file` after switching to its thread.
fn attach_hint(files: &[PathBuf], at: &str) -> String {
    // A stub listening on every address is reached on loopback here.
    let at = at
        .replace("0.0.0.0:", "127.0.0.1:")
        .replace("[::]:", "[::1]:");
    let elf_of = |file: &std::path::Path| {
        let is_asm = matches!(file.extension().and_then(|e| e.to_str()), Some("s" | "S"));
        if is_asm {
            let elf = file.with_extension("elf");
            let make = format!(
                "trapvisor asm -g {} -o {} && ",
                file.display(),
                elf.display()
            );
            (make, elf)
        } else {
            (String::new(), file.to_path_buf())
        }
    };
    let elves: Vec<(String, PathBuf)> = files.iter().map(|f| elf_of(f)).collect();
    let make: String = elves.iter().map(|(m, _)| m.as_str()).collect();
    let mut hint = format!(
        "trapvisor: attach from another terminal with: {make}gdb-multiarch -q {} -ex 'target remote {at}'\n",
        elves[0].1.display()
    );
    if elves.len() > 1 {
        hint += "trapvisor: each guest is a thread; the guests share their addresses, so GDB \
                 holds one guest's symbols at a time (the first's to start with):\n";
        for (k, (_, elf)) in elves.iter().enumerate() {
            hint += &format!(
                "trapvisor:   thread {}: (gdb) thread {} then symbol-file {}\n",
                k + 1,
                k + 1,
                elf.display()
            );
        }
    }
    hint
}

/// What the debugger knows of a guest program from its image: its
/// symbols. Symbols only: `check` names every submission alike in its transcripts,
/// so they must not name the student's file.
pub(crate) fn program_of(
    name: &str,
    _path: &std::path::Path,
    image: &cpu::image::Image,
) -> Program {
    Program::from_image(name, image)
}

/// What `trapvisor debug` knows of a guest program: [`program_of`], and the
/// line table of an assembly source.
///
/// An assembly source is assembled once more for its line table (the
/// image was built from the same text with the same options, so the
/// addresses agree; its warnings were printed the first time). A source
/// file that cannot be read back leaves its lines out; an ELF guest has no
/// line table (`list` and `break FILE:LINE` say so).
fn program_with_lines(
    name: &str,
    path: &std::path::Path,
    image: &cpu::image::Image,
    opts: &asm::Options,
) -> Program {
    use debugger::program::{LineEntry, SourceFile};
    let program = program_of(name, path, image);
    let is_asm = matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "S"));
    let Some(out) = is_asm
        .then(|| asm::assemble_file_with(path, opts).ok())
        .flatten()
    else {
        return program;
    };
    let files: Vec<SourceFile> = out
        .files
        .iter()
        .map(|f| SourceFile {
            path: f.clone(),
            lines: std::fs::read_to_string(f)
                .map(|t| t.lines().map(String::from).collect())
                .unwrap_or_default(),
        })
        .collect();
    // Data rows too: `x` at a string names its `.asciz` line.
    let lines = out
        .lines
        .iter()
        .filter(|e| (e.file as usize) < files.len())
        .map(|e| LineEntry {
            addr: e.addr,
            file: e.file as usize,
            line: e.line,
        })
        .collect();
    program.with_lines(lines, files)
}

/// Runs the scripts, then the terminal or standard input.
fn drive<T: Target>(
    session: &mut Session<T>,
    args: &DebugArgs,
    scripts: &[Vec<ScriptLine>],
) -> ExitCode {
    let out: Sink = Rc::new(RefCell::new(io::stdout()));
    let err: Sink = Rc::new(RefCell::new(io::stderr()));
    let mut ui = LineUi::new(session, out, err);
    ui.batch = args.batch;
    let interactive = !args.batch && io::stdin().is_terminal();
    let stop = Arc::new(AtomicBool::new(false));
    if interactive {
        // Ctrl-C while the guest runs stops it (between slices); while
        // reading a line, the line editor takes it.
        if signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone()).is_ok() {
            let flag = stop.clone();
            ui.set_interrupt(Rc::new(move || flag.swap(false, Ordering::Relaxed)));
        }
    }
    ui.start(session);
    for lines in scripts {
        if let Control::Quit(code) = ui.script(session, lines) {
            return exit(code);
        }
    }
    if args.batch {
        return exit(i32::from(ui.failed));
    }
    let control = if interactive {
        terminal(session, &mut ui, &stop)
    } else {
        piped(session, &mut ui)
    };
    match control {
        Control::Quit(code) => exit(code),
        Control::Go => exit(i32::from(ui.failed)),
    }
}

fn exit(code: i32) -> ExitCode {
    let _ = io::stdout().flush();
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// Commands typed at a terminal: line editing and history (rustyline);
/// Enter repeats the last stepping command.
fn terminal<T: Target>(session: &mut Session<T>, ui: &mut LineUi, stop: &AtomicBool) -> Control {
    let config = rustyline::Config::builder()
        .auto_add_history(true)
        .max_history_size(1000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor = match rustyline::DefaultEditor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("trapvisor: no line editing ({e}): reading plain lines");
            return piped(session, ui);
        }
    };
    loop {
        stop.store(false, Ordering::Relaxed);
        match editor.readline(PROMPT) {
            Ok(line) => {
                if let Control::Quit(c) = ui.line(session, &line, false, true) {
                    return Control::Quit(c);
                }
            }
            // Ctrl-C at the prompt: a fresh line, as in GDB.
            Err(rustyline::error::ReadlineError::Interrupted) => {
                println!("Quit");
            }
            // Ctrl-D.
            Err(_) => {
                println!("quit");
                return Control::Quit(0);
            }
        }
    }
}

/// Commands from standard input that is not a terminal: a script, each
/// line echoed after the prompt.
fn piped<T: Target>(session: &mut Session<T>, ui: &mut LineUi) -> Control {
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        if let Control::Quit(c) = ui.line(session, &line, true, false) {
            return Control::Quit(c);
        }
    }
    Control::Go
}

/// `--stats` at the end of a native session: the guest's figures, as
/// `trapvisor run --stats` prints them.
fn stats_of_native(target: &NativeTarget, file: &std::path::Path, format: StatsFormat) {
    use cpu::machine::{RunReport, TrapCount};
    use cpu::port::HartPort;
    let hart = target.hart();
    let report = RunReport {
        outcome: target.outcome().unwrap_or(cpu::machine::Outcome::Stopped(
            cpu::machine::StopReason::OutputClosed,
        )),
        instructions: hart.instret(),
        traps: TrapCount::of(hart.stats()),
        digest: hart.digest(),
        wall: std::time::Duration::ZERO,
        translated_pages: hart.translated_pages(),
    };
    let name = file
        .file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().into_owned());
    let running = target.outcome().is_none();
    match format {
        StatsFormat::Json => {
            let mut doc = stats_json::native(&name, file, &report);
            if running {
                stats_json::still_running(&mut doc, 0, hart.instret());
            }
            say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        StatsFormat::Text => {
            let end = if running {
                format!("still running at instruction {}", hart.instret())
            } else {
                report.outcome.to_string()
            };
            say!("trapvisor: [{name}] {end}");
            for line in report.stats_text().lines() {
                if !line.starts_with("wall time") {
                    say!("trapvisor: {line}");
                }
            }
        }
    }
}

/// `--stats` at the end of a session under the monitor: each guest's
/// figures, as `trapvisor run --monitor --stats` prints them.
fn stats_of_monitor(target: &MonitorTarget, files: &[PathBuf], format: StatsFormat) {
    let reports = target.reports();
    let running: Vec<usize> = target
        .session()
        .guests()
        .iter()
        .enumerate()
        .filter(|(_, g)| g.end.is_none())
        .map(|(i, _)| i)
        .collect();
    match format {
        StatsFormat::Json => {
            let mut doc = stats_json::monitor(&reports, files, std::time::Duration::ZERO);
            for &i in &running {
                stats_json::still_running(&mut doc, i, reports[i].retired);
            }
            say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        StatsFormat::Text => {
            let n = reports.len();
            say!(
                "trapvisor: monitor: {n} guest{}, strategy {}, isa {}",
                if n == 1 { "" } else { "s" },
                target.strategy(),
                target.isa()
            );
            for (i, r) in reports.iter().enumerate() {
                for (k, line) in r.to_string().lines().enumerate() {
                    if k == 0 && running.contains(&i) {
                        say!(
                            "trapvisor: [{}] still running at instruction {}",
                            r.name,
                            r.retired
                        );
                    } else {
                        say!("trapvisor: {line}");
                    }
                }
            }
        }
    }
}
