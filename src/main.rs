//! `trapvisor`: the command-line interface. One module per subcommand, each
//! thin over the libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}
