//! The `binpoint` command line: clap derive at the top, one file per subcommand.
//!
//! To add a subcommand: a variant in [`Command`] with its `clap::Args` (or `Subcommand`) type in
//! `cli/<name>.rs`, and one arm in [`run`]. Subcommands return the process's [`ExitCode`] and
//! `anyhow` errors; this module turns those into exit statuses:
//! - 0: success;
//! - 1: the command ran but failed (an error printed to stderr, e.g. a value that cannot be converted);
//! - 2: usage error (unknown flag, malformed type string, ...), reported by clap before anything runs.

mod decimal;
mod fixed;

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// binpoint: compile trained ONNX models into bit-exact fixed-point FPGA accelerators.
#[derive(Debug, Parser)]
#[command(
    name = "binpoint",
    version,
    about = "Compile trained ONNX models into bit-exact fixed-point FPGA accelerators",
    long_about = "binpoint compiles a trained ONNX model into Vitis HLS C++ that uses only fixed-point \
                  arithmetic (ap_fixed), together with a Rust simulator that computes the very same bits.\n\n\
                  Fixed-point types are written as in C++, e.g. 'ap_fixed<8,3,AP_RND,AP_SAT>' \
                  (quote them in the shell: '<' and '>' are redirections)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fixed-point number tools: see what an ap_fixed type does to your values
    #[command(subcommand)]
    Fixed(fixed::FixedCommand),
}

/// Parses the arguments, runs the command, and maps its outcome to an exit status.
pub fn main() -> ExitCode {
    // On usage errors clap prints its message and exits with status 2; on --help/--version with 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `binpoint ... | head`: the reader left; that is not our failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Fixed(cmd) => fixed::run(cmd),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
