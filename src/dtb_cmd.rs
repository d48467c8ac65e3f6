//! `trapvisor dtb [--memory SIZE] [-o FILE]`: the device tree blob a guest
//! finds at `a1` (book: "The device tree"), for reading with
//! `dtc -I dtb -O dts`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use cpu::fdt;

use crate::run_cmd::parse_size;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The guest RAM the tree describes, as `trapvisor run --memory` takes
    /// it (bytes, or K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
    pub memory: u64,

    /// Write the blob to FILE instead of standard output (which must then
    /// not be a terminal: pipe it, e.g. `trapvisor dtb | dtc -I dtb -O dts`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> ExitCode {
    let blob = fdt::build(args.memory);
    let written = match &args.output {
        Some(path) => {
            std::fs::write(path, &blob).map_err(|e| {
                format!("{}: cannot write: {}", path.display(), crate::io_reason(&e))
            })
        }
        None if std::io::stdout().is_terminal() => Err(
            "the device tree is binary: write it with -o FILE, or pipe it (trapvisor dtb | dtc -I dtb -O dts)"
                .to_string(),
        ),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&blob).and_then(|()| out.flush()) {
                // `trapvisor dtb | dtc ...` with no dtc: the reader went
                // away; end quietly as a program killed by SIGPIPE does.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return ExitCode::from(cpu::machine::status::OUTPUT_CLOSED)
                }
                written => written.map_err(|e| {
                    format!("cannot write to standard output: {}", crate::io_reason(&e))
                }),
            }
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trapvisor dtb: {e}");
            ExitCode::from(2)
        }
    }
}
