//! `trapvisor`: the command-line interface. One module per subcommand, each
//! thin over the libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `eprintln!` for trapvisor's messages, except that a closed stderr (a
/// pipe whose reader went away, `trapvisor run ... 2>&1 | head`) drops the
/// line quietly instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` for a subcommand's own output, except that a closed stdout (a
/// pipe whose reader went away, `trapvisor check --list | head -3`) ends
/// trapvisor quietly with status 141, as a program killed by SIGPIPE, instead
/// of panicking (status 101).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(i32::from(cpu::machine::status::OUTPUT_CLOSED));
        }
    }};
}

mod asm_cmd;
mod bench_cmd;
mod check_cmd;
mod classify_cmd;
mod debug_cmd;
mod disasm_cmd;
mod dtb_cmd;
mod run_cmd;
mod stats_json;
mod trace;

#[derive(Parser)]
#[command(
    name = "trapvisor",
    version,
    about = "A RISC-V hart and a trap-and-emulate monitor, for learning how virtualization works"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assemble a guest program into an ELF executable
    Asm(asm_cmd::AsmArgs),
    /// Disassemble a program, as objdump -d does
    Disasm(disasm_cmd::Args),
    /// Write the device tree a guest finds in a1 (for dtc -I dtb -O dts)
    Dtb(dtb_cmd::Args),
    /// Grade a submission (or a directory of them) against an exercise of the course
    Check(check_cmd::Args),
    /// Run a guest program natively (in S-mode, with trapvisor's built-in SBI firmware), or several side by side under the monitor
    Run(run_cmd::RunArgs),
    /// Measure what a trap costs: nanobenchmarks, whole guests and many guests, natively and under the monitor
    Bench(bench_cmd::BenchArgs),
    /// Classify every instruction and CSR by running it in S- and U-mode (Popek–Goldberg), with the theorems' verdicts
    Classify(classify_cmd::ClassifyArgs),
    /// Debug guests natively or under the monitor: step, break, watch and look, forwards and backwards, each exit a step
    Debug(debug_cmd::DebugArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Asm(args) => asm_cmd::run(args),
        Command::Disasm(args) => disasm_cmd::run(&args),
        Command::Dtb(args) => dtb_cmd::run(&args),
        Command::Run(args) => run_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
        Command::Debug(args) => debug_cmd::run(&args),
        Command::Check(args) => check_cmd::run(&args),
        Command::Classify(args) => classify_cmd::run(&args),
    }
}

/// Reads a whole file the user named, but no more than `limit` bytes: a
/// device or a pipe that never ends (`/dev/zero`, `/dev/urandom`) or a
/// huge file is refused with "larger than N MiB" instead of filling the
/// host's memory. Pipes are still read (`trapvisor run <(cat guest.elf)`).
fn read_bounded(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB: too large for a guest",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// Why a file the user named could not be read, in the same words for
/// every command (and the assembler's): "no such file", "permission
/// denied", "is a directory", without Rust's `(os error N)`.
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}
