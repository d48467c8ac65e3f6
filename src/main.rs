//! `trapvisor`: the command-line interface. One module per subcommand, each
//! thin over the libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod disasm_cmd;

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
    /// Disassemble a program, as objdump -d does
    Disasm(disasm_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Disasm(args) => disasm_cmd::run(&args),
    }
}
