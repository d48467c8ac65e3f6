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

// No subcommands yet: `Command` is empty, so the match below has no arms.
#[allow(unreachable_code)]
fn main() -> ExitCode {
    match Cli::parse().command {}
}
