//! `binpoint simulate MODEL --input X.npy --output Y.npy [--float] [--force]`: run a model on inputs.
//!
//! Modes, chosen from the flags and what MODEL is:
//! - `--float` on an ONNX file: the float32 reference ([`binpoint::eval::run_f32`]) of the graph
//!   after cleanup, the graph every later phase starts from.
//! - no `--float`: the fixed-point simulation of a model compiled by `binpoint compile`; not
//!   implemented yet, so it is a usage error (exit status 2) that says so.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use binpoint::ir::{Dim, Shape};
use binpoint::passes::CleanupOptions;
use binpoint::{eval, Graph};
use clap::Args;

use super::npy;
use super::UsageError;

pub const EXAMPLES: &str = "\
Examples:
  binpoint simulate model.onnx --float --input x.npy --output y.npy
  binpoint simulate model.onnx --float --input x.npy --output y.npy --force

X.npy holds float32 or float64 values (float64 is rounded to float32) with the model input's
shape; its batch dimension N may be any size >= 1. Y.npy is written as float32.";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The model: an ONNX file (with --float)
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// Run the float32 reference of the ONNX model (after cleanup), not the fixed-point design
    #[arg(long)]
    float: bool,

    /// Input tensor (.npy, float32 or float64) in the shape of the model's input
    #[arg(long, value_name = "X.npy")]
    input: PathBuf,

    /// Where to write the output tensor (.npy, float32); an existing file is kept unless --force
    #[arg(long, value_name = "Y.npy")]
    output: PathBuf,

    /// Overwrite OUTPUT when it exists
    #[arg(long)]
    force: bool,
}

/// What `simulate` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The float32 reference of an ONNX file.
    Float,
    /// The bit-exact fixed-point simulation of a compiled model.
    Fixed,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let mode = if args.float { Mode::Float } else { Mode::Fixed };
    match mode {
        Mode::Float => {
            if args.model.is_dir() {
                return Err(UsageError(format!(
                    "{}: --float runs an ONNX file, and this is a folder",
                    args.model.display()
                ))
                .into());
            }
            simulate_float(&args)
        }
        Mode::Fixed => Err(UsageError(format!(
            "{}: fixed-point simulation needs the model compiled by `binpoint compile` first, \
             and `compile` is not implemented yet; pass --float for the float32 reference of the \
             ONNX file",
            args.model.display()
        ))
        .into()),
    }
}

fn simulate_float(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    npy::check_writable(&args.output, args.force)?;
    let g = binpoint::load_float_graph(&args.model, &CleanupOptions::default())?;
    let input_shape = single_input(&g)?;
    let (x, _) = npy::read_f32(&args.input)?;
    check_shape(&args.input, x.shape(), input_shape)?;
    let y = eval::run_f32(&g, &x)?;
    npy::write_f32(&args.output, &y, args.force)?;
    println!(
        "{}: float32 {} (float reference of {} on {}, {} sample(s))",
        args.output.display(),
        Shape::fixed(y.shape()),
        args.model.display(),
        args.input.display(),
        x.shape().first().copied().unwrap_or(1)
    );
    Ok(ExitCode::SUCCESS)
}

/// The shape of the model's one input; the model must also have one output.
fn single_input(g: &Graph) -> anyhow::Result<&Shape> {
    let (inputs, outputs) = (g.inputs(), g.outputs());
    if inputs.len() != 1 || outputs.len() != 1 {
        bail!(
            "{}: simulate takes models with one input and one output; this one has {} input(s) and {} output(s)",
            g.source,
            inputs.len(),
            outputs.len()
        );
    }
    Ok(&g.node(inputs[0]).shape)
}

/// `x` fits `want` when the ranks agree, the batch dimension N is at least 1, and every other
/// dimension is equal. A model exported with a fixed batch of 1 also takes any batch size.
fn check_shape(file: &Path, x: &[usize], want: &Shape) -> anyhow::Result<()> {
    let fits = x.len() == want.rank()
        && want
            .dims()
            .iter()
            .zip(x)
            .enumerate()
            .all(|(axis, (&d, &n))| match d {
                Dim::Batch => n >= 1,
                Dim::Fixed(1) if axis == 0 => n >= 1,
                Dim::Fixed(m) => m == n,
            });
    if !fits {
        let batch = if want.dims().contains(&Dim::Batch) {
            " (N: the batch size, any size >= 1)"
        } else {
            ""
        };
        bail!(
            "{}: shape {} does not match the model input: expected {want}{batch}",
            file.display(),
            Shape::fixed(x)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let p = Path::new("x.npy");
        let batched = Shape::batched(&[1, 8, 8]);
        assert!(check_shape(p, &[64, 1, 8, 8], &batched).is_ok());
        assert!(check_shape(p, &[1, 1, 8, 8], &batched).is_ok());
        assert!(check_shape(p, &[0, 1, 8, 8], &batched).is_err());
        assert!(check_shape(p, &[64, 8, 8], &batched).is_err());
        let e = check_shape(p, &[64, 1, 8, 9], &batched).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.npy: shape [64,1,8,9] does not match the model input: expected [N,1,8,8] \
             (N: the batch size, any size >= 1)"
        );
        let one = Shape::fixed(&[1, 64]);
        assert!(check_shape(p, &[5, 64], &one).is_ok());
        assert!(check_shape(p, &[5, 63], &one).is_err());
        let fixed = Shape::fixed(&[2, 64]);
        assert!(check_shape(p, &[5, 64], &fixed).is_err());
    }
}
