//! The `binpoint` command line: clap derive at the top, one file per subcommand.
//!
//! To add a subcommand: a variant in [`Command`] with its `clap::Args` (or `Subcommand`) type in
//! `cli/<name>.rs`, and one arm in [`run`]. Subcommands return the process's [`ExitCode`] and
//! `anyhow` errors; this module turns those into exit statuses:
//! - 0: success;
//! - 1: the command ran but failed (an error printed to stderr, e.g. a value that cannot be converted);
//! - 2: usage error: an unknown flag or malformed type string, reported by clap before anything
//!   runs, or a combination a subcommand cannot run, reported as a [`UsageError`].

mod compile;
mod decimal;
mod eval;
mod fixed;
mod inspect;
mod learn_args;
mod simulate;
mod synth;
mod verify;

use std::fmt;
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

// Parsed once per run: the size of the largest variant (compile's many flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Fixed-point number tools: see what an ap_fixed type does to your values
    #[command(subcommand)]
    Fixed(fixed::FixedCommand),
    /// Per layer of an ONNX model: op, shapes, parameters and MACs, plus totals
    #[command(after_help = inspect::EXAMPLES)]
    Inspect(inspect::InspectArgs),
    /// Run a model on inputs from an .npy file (--float: the float32 reference of an ONNX file)
    #[command(after_help = simulate::EXAMPLES)]
    Simulate(simulate::SimulateArgs),
    /// Compile an ONNX model into a fixed-point model (OUT/model.bpm) and its report
    #[command(after_help = compile::EXAMPLES)]
    Compile(compile::CompileArgs),
    /// Accuracy of a compiled model against its float model on labelled data
    #[command(after_help = eval::EXAMPLES)]
    Eval(eval::EvalArgs),
    /// Build the emitted HLS C++ and its testbench with g++ and check them against the interpreter
    #[command(after_help = verify::EXAMPLES)]
    Verify(verify::VerifyArgs),
    /// Map OUT/rtl/ onto UltraScale+ cells with Yosys: per-layer and total LUT, FF, CARRY, DSP, BRAM
    #[command(after_help = synth::EXAMPLES)]
    Synth(synth::SynthArgs),
}

/// A request that parsed but cannot be carried out as asked (exit status 2, like clap's own
/// usage errors). The message says what to do instead.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Parses the arguments, runs the command, and maps its outcome to an exit status.
pub fn main() -> ExitCode {
    // On usage errors clap prints its message and exits with status 2; on --help/--version with 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `binpoint ... | head`: the reader left; that is not our failure.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", message(&e));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Fixed(cmd) => fixed::run(cmd),
        Command::Inspect(args) => inspect::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Synth(args) => synth::run(args),
    }
}

/// The error and its causes joined by ": ", skipping a cause whose text is already there (errors
/// that both print their source and return it from `source()` would otherwise say it twice).
fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// The float model `compile` left next to `bpm` (`OUT/model.onnx`), after cleanup.
fn float_model(
    bpm: &std::path::Path,
    model: &binpoint_runtime::model::Model,
) -> anyhow::Result<binpoint::Graph> {
    float_graph(bpm, model, |p, o| binpoint::load_float_graph(p, o))
}

/// The float reference of that model: its own quantizers applied ([`binpoint::load_reference_graph`]).
fn float_reference(
    bpm: &std::path::Path,
    model: &binpoint_runtime::model::Model,
) -> anyhow::Result<binpoint::Graph> {
    float_graph(bpm, model, |p, o| binpoint::load_reference_graph(p, o))
}

type Loader = fn(
    &std::path::Path,
    &binpoint::passes::CleanupOptions,
) -> Result<binpoint::Graph, binpoint::CompileError>;

fn float_graph(
    bpm: &std::path::Path,
    model: &binpoint_runtime::model::Model,
    load: Loader,
) -> anyhow::Result<binpoint::Graph> {
    use anyhow::Context;
    let plain = std::path::Path::new(&model.float_model)
        .file_name()
        .is_some_and(|n| n == model.float_model.as_str());
    if !plain {
        anyhow::bail!(
            "{}: the compiled model names no float model file next to it ({:?})",
            bpm.display(),
            model.float_model
        );
    }
    let dir = bpm.parent().unwrap_or(std::path::Path::new("."));
    let onnx = dir.join(&model.float_model);
    load(&onnx, &binpoint::passes::CleanupOptions::default())
        .with_context(|| format!("{}: loading the float model", onnx.display()))
}

/// Warns on stderr about every input or layer whose type the data `x` overflows (the float
/// model's values against the compiled types: which tensor, how many samples and values), and
/// returns a one-line summary.
fn saturation_summary(
    g: &binpoint::Graph,
    model: &binpoint_runtime::model::Model,
    x: &ndarray::ArrayD<f32>,
    data: &std::path::Path,
) -> anyhow::Result<String> {
    let (over, checked) = binpoint::pipeline::data_saturations(g, model, x)?;
    let samples = x.shape().first().copied().unwrap_or(0);
    for s in &over {
        eprintln!(
            "warning: {}: '{}' overflows its type {} on {} of {samples} samples ({} of {} values \
             saturate or wrap)",
            data.display(),
            s.tensor,
            s.ty,
            s.samples,
            s.saturated,
            s.values
        );
    }
    Ok(if over.is_empty() {
        format!(
            "no type overflows on these {samples} samples ({checked} tensors checked, float model's \
             values against the compiled types)"
        )
    } else {
        format!(
            "{} of {checked} tensors overflow their types on these {samples} samples (warnings \
             above)",
            over.len()
        )
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `--threads N` as the interpreter's [`binpoint_runtime::model::Threads`]: `0` = every core, and
/// more threads than the machine has cores only cost, so N is capped at the core count with a
/// one-line note on stderr.
pub fn threads(n: usize) -> binpoint_runtime::model::Threads {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if n > cores {
        eprintln!("note: --threads {n}: this machine has {cores} cores, using {cores}");
    }
    binpoint_runtime::model::Threads::from_count(n.min(cores))
}
