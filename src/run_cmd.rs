//! `trapvisor run FILE`: run one guest program natively, in S-mode on the
//! emulated hart, with trapvisor's built-in SEE as its firmware;
//! `trapvisor run --monitor GUEST...` (implied by two or more guests): run
//! them side by side under the monitor ([`monitored`]).
//!
//! The command is three reusable steps, so that running several guests under
//! the monitor can call them once per guest:
//! 1. [`load_guest`]: a file (assembly `.s`/`.S`, or an ELF executable)
//!    into an [`Image`], or a [`LoadError`] naming the file, before
//!    anything runs (exit status 2);
//! 2. run it: here [`cpu::machine::Machine`] natively; the monitor's
//!    scheduler instead, one virtual machine per guest;
//! 3. [`report`]: the end or stop message and, with `--stats`, the
//!    statistics, each prefixed with the guest's name.
//!
//! Exit status: the guest's own exit code (finisher or SBI SRST; codes
//! above 255 give 255), or for a guest trapvisor had to stop: 124
//! instruction limit, 125 hang, 126 trap storm, 70 an internal error
//! (see [`cpu::machine::status`]); 2 for bad input. Under the monitor:
//! 0 only if every guest ended with 0, else the first non-zero guest
//! status in command-line order (see [`monitored`]).

pub mod monitored;

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use clap::Args;
use cpu::devices::{ByteSource, Console, Hangup, HangupWriter};
use cpu::hart::RAM_BASE;
use cpu::image::{Image, ImageError};
use cpu::machine::{status, Machine, Outcome, RunReport, StopReason};
use cpu::privileged::Isa;

use crate::stats_json;

/// A runaway guest is stopped after this many instructions: 100 seconds of
/// virtual time (100 M instructions per virtual second), a minute or two of
/// wall time. `--max-instructions 0` removes the limit.
pub const DEFAULT_MAX_INSTRUCTIONS: u64 = 10_000_000_000;

/// The largest `--memory` accepted. Guest RAM is reserved on the host,
/// not allocated: what a guest never touches costs nothing (`cpu::ram`).
pub const MAX_MEMORY: u64 = 16 << 30;

/// The monitor's default preemption timer, in instructions (see
/// [`monitor::DEFAULT_QUANTUM`]).
pub const DEFAULT_QUANTUM: u64 = monitor::DEFAULT_QUANTUM;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The guest(s): assembly sources (.s, or .S with the C preprocessor),
    /// RISC-V ELF64 executables, or raw images (any other file: its bytes
    /// loaded at 0x80200000 and entered there, as QEMU's -kernel does, e.g.
    /// U-Boot's u-boot.bin). Two or more imply --monitor.
    // Required, but optional to clap so that `--trace FILE` can mean
    // "trace traps, run FILE" (see `RunArgs::resolve`).
    pub files: Vec<PathBuf>,

    /// Run the guest(s) under the monitor, deprivileged to U-mode, every
    /// trap emulated or reflected; each guest's console lines are printed
    /// prefixed with `[NAME] ` (NAME = the file stem; `NAME#2`, ... for
    /// duplicates).
    #[arg(long)]
    pub monitor: bool,

    /// Under the monitor: the preemption timer, in retired instructions a
    /// guest may run before the next guest gets the hart [default: 10000].
    /// Refused for a native run (one guest without --monitor), where it
    /// would change nothing.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub quantum: Option<u64>,

    /// Write each guest's console output, raw (exactly the guest's bytes,
    /// no prefix), to DIR/NAME.out instead of stdout; and if DIR/NAME.in
    /// exists, read the guest's console input from it (a file, or a FIFO
    /// that another program writes into as the guest runs) instead of
    /// stdin (first guest) or nothing (the others).
    #[arg(long, value_name = "DIR")]
    pub console_dir: Option<PathBuf>,

    /// Guest RAM at 0x80000000 (each guest's, under the monitor): bytes,
    /// or with a binary suffix K, M, G (KiB/MiB/GiB and KB/MB/GB mean the
    /// same, as in QEMU's -m). The default is QEMU's `-m 128M`.
    #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
    pub memory: u64,

    /// Stop the guest (each guest, under the monitor) after N retired
    /// instructions (exit status 124); 0 = no limit.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_INSTRUCTIONS)]
    pub max_instructions: u64,

    /// Print statistics to stderr at the end: instructions, traps by
    /// cause, wall time, MIPS and the trace digest; under the monitor, per
    /// guest: exits by reason, emulated instructions by kind, shadow page
    /// faults, world switches, the direct-execution fraction and the digest.
    /// The digest is computed only with --stats (it slows every instruction).
    /// `--stats=json`: the same figures as one JSON document on stderr,
    /// instead of the text (schema `trapvisor-stats`, version 1: see the
    /// book's "Statistics as JSON").
    #[arg(long, value_name = "json", num_args = 0..=1, require_equals = true,
          default_missing_value = "text", value_enum)]
    pub stats: Option<StatsFormat>,

    /// Interpret every instruction: no binary translation of hot code to
    /// host code. The run is the same, to the instruction (output, exit,
    /// digest); only slower. For comparing the two, and on hosts that
    /// forbid executable memory. (With --trace insn or breakpoints every
    /// instruction is interpreted anyway: the trace needs each one.)
    #[arg(long)]
    pub interpret: bool,

    /// The machine: `standard` (the RISC-V privileged architecture), or
    /// `leaky`, the Popek–Goldberg lab's variant with x86's flaws: in
    /// U-mode, reading `sstatus` does not trap and returns the real one,
    /// and a write to `sstatus` that would change only SIE is silently
    /// dropped. Natively a guest kernel (in S-mode) sees no difference;
    /// under the monitor (where it runs in U-mode) it does.
    #[arg(long, value_name = "standard|leaky", default_value_t = Isa::Standard)]
    pub isa: Isa,

    /// How the monitor virtualizes the guests (implies --monitor):
    /// `trap`, trap-and-emulate (the default under the monitor: the
    /// kernel's own code in U-mode, each privileged instruction trapped
    /// and emulated); `bt`, binary translation (the kernel's code scanned
    /// before it runs, its sensitive instructions replaced by calls into
    /// the monitor: equivalent on `--isa leaky` too); `pv`,
    /// paravirtualization (a kernel that finds the monitor's hypercall
    /// interface uses it and a shared page of CSRs; others get trap).
    #[arg(long, value_name = "trap|bt|pv")]
    pub strategy: Option<monitor::Strategy>,

    /// Log every trap to stderr (`--trace`), or every instruction with its
    /// disassembly too (`--trace insn`). Under the monitor: every exit and
    /// what the monitor did about it (with `insn`, each guest's
    /// instructions too, prefixed with its name).
    #[arg(long, value_name = "insn", num_args = 0..=1, default_missing_value = "traps")]
    pub trace: Option<String>,

    #[command(flatten)]
    pub asm: crate::asm_cmd::AsmFlags,
}

/// How `--stats` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    /// Lines of text on stderr, prefixed with the guest's name.
    Text,
    /// One JSON document on stderr (and nothing else there but `--trace`).
    Json,
}

/// What `--trace` logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trace {
    /// Every trap: cause, pc, tval, privilege before and after.
    Traps,
    /// Every trap and every retired instruction, disassembled.
    Insn,
}

impl RunArgs {
    /// The files to run and what to trace. `--trace` takes an optional
    /// value, so in `run --trace guest.s` clap hands the file to `--trace`:
    /// a value that is not a trace level is the first file when no other
    /// file is given, or when it names a guest (ends in `.s`/`.S`/`.elf`
    /// or exists).
    pub fn resolve(&self) -> Result<(Vec<PathBuf>, Option<Trace>), String> {
        let level = |v: &str| match v {
            "traps" => Some(Trace::Traps),
            "insn" => Some(Trace::Insn),
            _ => None,
        };
        let looks_like_guest = |v: &str| {
            let p = Path::new(v);
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("s" | "S" | "elf")
            ) || p.is_file()
        };
        let files = self.files.clone();
        let (files, trace) = match &self.trace {
            None => (files, None),
            Some(v) => match level(v) {
                Some(t) => (files, Some(t)),
                None if files.is_empty() || looks_like_guest(v) => {
                    let mut all = vec![PathBuf::from(v)];
                    all.extend(files);
                    (all, Some(Trace::Traps))
                }
                None => {
                    return Err(format!(
                        "unknown --trace value `{v}`: use `--trace` (traps) or `--trace insn`"
                    ))
                }
            },
        };
        if files.is_empty() {
            return Err("no guest program given: trapvisor run [OPTIONS] FILE...".into());
        }
        Ok((files, trace))
    }

    /// The monitor's quantum: given, or the default.
    pub fn quantum(&self) -> u64 {
        self.quantum.unwrap_or(DEFAULT_QUANTUM)
    }

    /// Whether the guests run under the monitor: asked for, or more than one.
    pub fn monitored(&self, files: &[PathBuf]) -> bool {
        self.monitor || files.len() > 1 || self.strategy.is_some()
    }
}

/// Parses a memory size: `134217728`, `128M`, `64MiB`, `1G`, `512k`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, suffix) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: expected a number like 128M or 67108864"))?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown size unit `{other}`: use K, M or G")),
    };
    let bytes = number
        .checked_mul(1 << shift)
        .filter(|&b| b <= MAX_MEMORY)
        .ok_or_else(|| {
            format!("`{text}` is more memory than trapvisor gives a guest (16G at most)")
        })?;
    if bytes == 0 || bytes % 4096 != 0 {
        return Err(format!(
            "`{text}`: memory must be a non-zero multiple of 4K (one page)"
        ));
    }
    Ok(bytes)
}

/// Why a guest file cannot be run. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `-` for the program: it is read by name (its kind from its
    /// extension, a `.S` file's includes from beside it), and standard
    /// input is the first guest's console (the debugger's commands).
    #[error("{STDIN_PROGRAM}")]
    Stdin,
    #[error("{}: cannot read: {}", path.display(), crate::io_reason(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Assembly(asm::Errors),
    #[error(
        "{}: the image leaves no room in RAM for the device tree ({size} bytes) below \
         the end of RAM: give the guest more --memory",
        path.display()
    )]
    NoRoomForDtb { path: PathBuf, size: usize },
    #[error("{}: {source}{hint}", path.display())]
    Image {
        path: PathBuf,
        source: ImageError,
        hint: &'static str,
    },
}

/// What `--quantum` for a native run says: it is refused (it would change
/// nothing, and a warning would spoil `--stats=json` on stderr).
pub const QUANTUM_NATIVELY: &str = "--quantum sets the monitor's preemption timer, and one guest \
     runs natively, without a monitor: add --monitor to run it under the monitor, or leave \
     --quantum out";

/// What `-` for a program file says.
pub const STDIN_PROGRAM: &str =
    "-: reading a program from standard input is not supported; write it to a file";

/// A guest ready to boot.
#[derive(Debug)]
pub struct Guest {
    /// How messages name it: the file as given.
    pub name: String,
    pub image: Image,
}

/// The physical RAM range for `memory` bytes of RAM.
pub fn ram_range(memory: u64) -> std::ops::Range<u64> {
    RAM_BASE..RAM_BASE + memory
}

/// The largest guest file read for a RAM of `memory` bytes: the RAM
/// itself (a raw image must fit in it) and 256 MiB for what an ELF file
/// carries beside its segments (symbols, debug information).
pub fn image_file_limit(memory: u64) -> u64 {
    memory + (256 << 20)
}

/// Reads, assembles if needed, and checks a guest program against a RAM
/// of `memory` bytes.
pub fn load_guest(path: &Path, memory: u64) -> Result<Guest, LoadError> {
    load_guest_with(path, memory, &asm::Options::default())
}

/// [`load_guest`] with the assembler's options (`-I`, `-D`).
pub fn load_guest_with(path: &Path, memory: u64, asm: &asm::Options) -> Result<Guest, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    if path.as_os_str() == "-" {
        return Err(LoadError::Stdin);
    }
    let is_asm = matches!(path.extension().and_then(|e| e.to_str()), Some("s" | "S"));
    let bytes = if is_asm {
        // Check the file first so a missing one reads the same for every kind.
        std::fs::metadata(path).map_err(read_error)?;
        crate::asm_cmd::assemble(path, asm)
            .map_err(LoadError::Assembly)?
            .elf
    } else {
        crate::read_bounded(path, image_file_limit(memory)).map_err(read_error)?
    };
    let image = Image::from_bytes(&bytes, ram_range(memory)).map_err(|source| {
        let hint = match source {
            ImageError::NotElf => " (assembly sources must end in .s or .S)",
            ImageError::SegmentOutsideRam { .. } | ImageError::RawOutsideRam { .. } => {
                "; or give the guest more --memory"
            }
            _ => "",
        };
        LoadError::Image {
            path: path.to_owned(),
            source,
            hint,
        }
    })?;
    // The device tree goes into the guest's RAM too, clear of the image.
    if cpu::fdt::for_image(memory, &cpu::fdt::occupied(&image)).is_none() {
        return Err(LoadError::NoRoomForDtb {
            path: path.to_owned(),
            size: cpu::fdt::build(memory).len(),
        });
    }
    Ok(Guest {
        name: path.display().to_string(),
        image,
    })
}

/// How many bytes of console input a reader thread holds that the guest
/// has not read yet.
pub const INPUT_AHEAD: usize = 64 << 10;

/// Console input from the host: its stdin, or a guest's `NAME.in` in the
/// `--console-dir`. Reading it never makes the emulation wait:
/// - a regular file (`run guest.s < input.txt`, or `DIR/NAME.in`): read
///   directly, so the guest sees the bytes as if they had all arrived
///   before it started: the same input gives the same run, instruction for
///   instruction;
/// - anything else (a terminal, a pipe, a FIFO, nothing): a reader thread
///   feeds a channel and the guest sees each byte once it has arrived (for
///   a terminal, once its line is entered). When a byte arrives depends on
///   the host, so for reproducible runs give input from a file.
pub enum HostInput {
    File {
        reader: Box<dyn Read + Send>,
        ended: bool,
    },
    Channel(mpsc::Receiver<u8>),
}

impl HostInput {
    /// The host's standard input.
    pub fn stdin() -> HostInput {
        let stdin = io::stdin();
        let is_file =
            !stdin.is_terminal() && std::fs::metadata("/dev/stdin").is_ok_and(|m| m.is_file());
        if is_file {
            return HostInput::File {
                reader: Box::new(stdin),
                ended: false,
            };
        }
        HostInput::reader_thread(|| Ok(io::stdin()))
    }

    /// The file at `path`: a regular file is read directly; anything else
    /// (a FIFO another program writes into as the guest runs) is opened and
    /// read by a reader thread, so that opening it waits for nothing.
    pub fn file(path: &Path) -> io::Result<HostInput> {
        let meta = std::fs::metadata(path)?;
        if meta.is_dir() {
            // The reader thread would fail to read it and the guest would
            // silently get no input.
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        if meta.is_file() {
            return Ok(HostInput::File {
                reader: Box::new(std::fs::File::open(path)?),
                ended: false,
            });
        }
        let path = path.to_owned();
        Ok(HostInput::reader_thread(move || std::fs::File::open(path)))
    }

    /// A thread that reads ahead of the guest, at most [`INPUT_AHEAD`]
    /// bytes: past that it waits for the guest to take some, and the rest
    /// waits in the pipe (`yes | trapvisor run guest.s`, or `< /dev/zero`,
    /// used to fill the host's memory while the guest did not read).
    fn reader_thread<R: Read>(open: impl FnOnce() -> io::Result<R> + Send + 'static) -> HostInput {
        let (tx, rx) = mpsc::sync_channel(INPUT_AHEAD);
        std::thread::spawn(move || {
            let Ok(mut input) = open() else {
                return;
            };
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = input.read(&mut buf) {
                if buf[..n].iter().any(|&b| tx.send(b).is_err()) {
                    return;
                }
            }
        });
        HostInput::Channel(rx)
    }
}

impl ByteSource for HostInput {
    fn next_byte(&mut self) -> Option<u8> {
        match self {
            HostInput::Channel(rx) => rx.try_recv().ok(),
            HostInput::File { ended: true, .. } => None,
            HostInput::File { reader, ended } => {
                let mut b = [0u8];
                match reader.read(&mut b) {
                    Ok(1) => Some(b[0]),
                    _ => {
                        *ended = true;
                        None
                    }
                }
            }
        }
    }
}

/// A guest's console input: `DIR/NAME.in` when `--console-dir DIR` has
/// one (a file, or a FIFO fed while the guest runs), else the host's stdin
/// for the first guest and nothing for the others.
pub fn console_input(
    dir: Option<&Path>,
    name: &str,
    first: bool,
) -> Result<Box<dyn ByteSource>, String> {
    if let Some(path) = dir.map(|d| d.join(format!("{name}.in"))) {
        if path.exists() {
            return HostInput::file(&path)
                .map(|input| Box::new(input) as Box<dyn ByteSource>)
                .map_err(|e| format!("{}: cannot read: {}", path.display(), crate::io_reason(&e)));
        }
    }
    Ok(if first {
        Box::new(HostInput::stdin())
    } else {
        Box::new(cpu::devices::NoInput)
    })
}

/// Installs the `--trace` log on stderr ([`crate::trace`]): one line per
/// event, the same text every run. A closed stderr raises `hangup`: the run
/// ends quietly.
pub fn init_tracing(trace: Option<Trace>, monitored: bool, hangup: &Hangup) {
    let Some(trace) = trace else {
        return;
    };
    let filter = crate::trace::Filter {
        insns: trace == Trace::Insn,
        monitored,
    };
    let hangup = hangup.clone();
    crate::trace::install(filter, move || {
        HangupWriter::new(io::stderr(), hangup.clone())
    });
}

/// Prints what a user needs to know about a finished run to stderr: why
/// the guest was stopped (always), how it ended (when it failed or asked
/// for a reset/reboot, or with `--stats`), and the statistics. With
/// `--stats=json` the JSON document says all of that, alone. Nothing when
/// the run ended because its output was closed: nobody is reading.
pub fn report(guest: &Guest, file: &Path, report: &RunReport, stats: Option<StatsFormat>) {
    if report.outcome == Outcome::Stopped(StopReason::OutputClosed) {
        return;
    }
    let name = &guest.name;
    if stats == Some(StatsFormat::Json) {
        let stem = &monitored::guest_names(&[file.to_path_buf()])[0];
        let doc = stats_json::native(stem, file, report);
        say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return;
    }
    let stats = stats.is_some();
    let quiet_success = matches!(
        report.outcome,
        Outcome::Ended(end) if end.code == 0
            && matches!(end.how, cpu::devices::EndHow::FinisherPass | cpu::devices::EndHow::SbiShutdown)
    );
    if !quiet_success || stats {
        say!("trapvisor: {name}: {}", report.outcome);
    }
    if stats {
        for line in report.stats_text().lines() {
            say!("trapvisor: {name}: {line}");
        }
    }
}

/// `trapvisor run`.
pub fn run(args: &RunArgs) -> ExitCode {
    let (files, trace) = match args.resolve() {
        Ok(resolved) => resolved,
        Err(e) => {
            say!("trapvisor: {e}");
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    if args.monitored(&files) {
        return monitored::run(&files, args, trace);
    }
    if args.quantum.is_some() {
        say!("trapvisor: {QUANTUM_NATIVELY}");
        return ExitCode::from(status::BAD_INPUT);
    }
    let file = &files[0];
    let guest = match load_guest_with(file, args.memory, &args.asm.options()) {
        Ok(guest) => guest,
        Err(e) => {
            say!("trapvisor: {e}");
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    let out: Box<dyn io::Write + Send> = match &args.console_dir {
        None => Box::new(io::stdout()),
        Some(dir) => match monitored::console_file(dir, &monitored::guest_names(&files)[0]) {
            Ok(f) => f,
            Err(e) => {
                say!("trapvisor: {e}");
                return ExitCode::from(status::BAD_INPUT);
            }
        },
    };
    // Every output of the run shares one hangup: if any is a closed pipe,
    // the run ends quietly (status 141, as a program killed by SIGPIPE).
    let hangup = Hangup::new();
    init_tracing(trace, false, &hangup);
    let name = &monitored::guest_names(&files)[0];
    let input = match console_input(args.console_dir.as_deref(), name, true) {
        Ok(input) => input,
        Err(e) => {
            say!("trapvisor: {e}");
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    let console = Console::new(out, input).with_hangup(hangup);
    let mut machine = match Machine::boot(&guest.image, args.memory, console) {
        Ok(machine) => machine,
        Err(e) => {
            let hint = match e {
                cpu::machine::BootError::Memory(_) => " (give the guest less --memory)",
                _ => "",
            };
            say!("trapvisor: {}: {e}{hint}", guest.name);
            return ExitCode::from(status::BAD_INPUT);
        }
    };
    machine.max_instructions = args.max_instructions;
    machine.hart.set_digest(args.stats.is_some());
    machine.hart.set_translation(!args.interpret);
    machine.hart.set_trace_insns(trace == Some(Trace::Insn));
    machine.set_isa(args.isa);
    let result = machine.run();
    report(&guest, file, &result, args.stats);
    ExitCode::from(result.outcome.exit_status())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An input that never ends, counting what was read from it.
    struct Endless(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(b'y');
            self.0
                .fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(buf.len())
        }
    }

    #[test]
    fn the_reader_thread_reads_a_bounded_way_ahead_of_the_guest() {
        let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = read.clone();
        let mut input = HostInput::reader_thread(move || Ok(Endless(counter)));
        // Whenever we look, the thread has read at most INPUT_AHEAD bytes
        // and one buffer more (the old unbounded channel: gigabytes).
        for _ in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            let ahead = read.load(std::sync::atomic::Ordering::Relaxed);
            assert!(ahead <= INPUT_AHEAD + 512, "read {ahead} bytes ahead");
        }
        // And the guest still gets every byte, in order, as it reads.
        for _ in 0..3 * INPUT_AHEAD {
            let b = loop {
                if let Some(b) = input.next_byte() {
                    break b;
                }
                std::thread::yield_now();
            };
            assert_eq!(b, b'y');
        }
    }

    #[test]
    fn sizes_in_bytes_and_binary_units() {
        assert_eq!(parse_size("134217728"), Ok(128 << 20));
        assert_eq!(parse_size("128M"), Ok(128 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mb"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
    }

    fn args(file: Option<&str>, trace: Option<&str>) -> RunArgs {
        RunArgs {
            files: file.map(PathBuf::from).into_iter().collect(),
            monitor: false,
            quantum: None,
            console_dir: None,
            memory: 128 << 20,
            max_instructions: DEFAULT_MAX_INSTRUCTIONS,
            stats: None,
            interpret: false,
            isa: Isa::Standard,
            strategy: None,
            trace: trace.map(str::to_owned),
            asm: Default::default(),
        }
    }

    #[test]
    fn trace_level_or_file_after_trace() {
        let g = vec![PathBuf::from("g.s")];
        assert_eq!(args(Some("g.s"), None).resolve(), Ok((g.clone(), None)));
        assert_eq!(
            args(Some("g.s"), Some("traps")).resolve(),
            Ok((g.clone(), Some(Trace::Traps)))
        );
        assert_eq!(
            args(Some("g.s"), Some("insn")).resolve(),
            Ok((g.clone(), Some(Trace::Insn)))
        );
        assert_eq!(
            args(None, Some("g.s")).resolve(),
            Ok((g.clone(), Some(Trace::Traps)))
        );
        assert!(args(Some("g.s"), Some("all"))
            .resolve()
            .unwrap_err()
            .contains("unknown --trace"));
        assert!(args(None, None)
            .resolve()
            .unwrap_err()
            .contains("no guest program"));
        assert!(args(None, Some("insn"))
            .resolve()
            .unwrap_err()
            .contains("no guest program"));
    }

    #[test]
    fn bad_sizes_say_what_is_wrong() {
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("12T").unwrap_err().contains("unknown size unit"));
        assert!(parse_size("0").unwrap_err().contains("non-zero"));
        assert!(parse_size("1000").unwrap_err().contains("multiple of 4K"));
        assert!(parse_size("17G").unwrap_err().contains("16G at most"));
        assert!(parse_size("99999999999999999999").is_err());
    }
}
