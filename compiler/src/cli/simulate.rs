//! `binpoint simulate MODEL --input X.npy --output Y.npy [--float] [--raw] [--threads N] [--force]`:
//! run a model on inputs.
//!
//! Modes, chosen from the flags and what MODEL is:
//! - `--float` on an ONNX file: the float32 reference ([`binpoint::eval::run_f32`]) of the graph
//!   after cleanup, the graph every later phase starts from; the model's own quantizers (QONNX,
//!   QDQ) are applied, as the qonnx executor and onnxruntime apply them
//!   ([`binpoint::load_reference_graph`]).
//! - no `--float`: the bit-exact fixed-point simulation of a model compiled by `binpoint compile`
//!   (MODEL is its OUT folder or the `model.bpm` in it), run by the runtime's interpreter. Inputs
//!   are values (float32/float64, quantized like `ap_fixed<..>(double)`) or raw integers (int64);
//!   outputs are values (float64, exact) or, with `--raw`, raw integers (int64).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use binpoint::ir::{Dim, Shape};
use binpoint::passes::CleanupOptions;
use binpoint::{eval, Graph};
use binpoint_runtime::model::Model;
use clap::Args;
use ndarray::ArrayD;

use super::UsageError;
use binpoint::npy::{self, check_writable};

pub const EXAMPLES: &str = "\
Examples:
  binpoint simulate model.onnx --float --input x.npy --output y.npy
  binpoint simulate model.onnx --float --input x.npy --output y.npy --force
  binpoint simulate out --input x.npy --output y.npy
  binpoint simulate out --input x.npy --output y_raw.npy --raw --threads 1

With --float, X.npy holds float32 or float64 values (float64 is rounded to float32) with the model
input's shape; its batch dimension N may be any size >= 1. Y.npy is written as float32.
On a compiled model (OUT from `binpoint compile`), X.npy holds values (float32/float64) or raw
integers of the input type (int64), shaped [N, input dims...] or [N, values per sample]; Y.npy is
float64 values, or int64 raw integers with --raw.";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The model: an ONNX file (with --float), or a folder written by `binpoint compile`
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

    /// Write raw integers (int64) instead of values (compiled models only)
    #[arg(long, conflicts_with = "float")]
    raw: bool,

    /// Threads for a compiled model (0: all cores, 1: the calling thread only)
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
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
        Mode::Fixed => simulate_fixed(&args),
    }
}

/// The compiled model in `path`: a folder from `binpoint compile`, or its `model.bpm`.
fn compiled_model(path: &Path) -> anyhow::Result<(PathBuf, Model)> {
    let bpm = if path.is_dir() {
        path.join("model.bpm")
    } else {
        path.to_path_buf()
    };
    if !bpm.is_file() {
        return Err(UsageError(format!(
            "{}: not a compiled model; compile it first (`binpoint compile MODEL -o OUT`), or \
             pass --float to run the float32 reference of an ONNX file",
            path.display()
        ))
        .into());
    }
    let is_onnx = bpm.extension().is_some_and(|e| e == "onnx");
    if is_onnx {
        return Err(UsageError(format!(
            "{}: an ONNX file runs with --float; the fixed-point model is the OUT folder of \
             `binpoint compile`",
            path.display()
        ))
        .into());
    }
    let model = Model::load(&bpm)?;
    Ok((bpm, model))
}

fn simulate_fixed(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let (bpm, model) = compiled_model(&args.model)?;
    let [input] = model.inputs() else {
        bail!(
            "{}: simulate takes models with one input; this one has {}",
            bpm.display(),
            model.inputs().len()
        );
    };
    let [output] = model.outputs() else {
        bail!(
            "{}: simulate takes models with one output; this one has {}",
            bpm.display(),
            model.outputs().len()
        );
    };
    let (input, output) = (&model.tensors()[*input], &model.tensors()[*output]);
    check_writable(&args.output, args.force)?;
    let (raw, dims, kind, values) = match npy::read_any(&args.input)? {
        npy::Array::Int(x) => {
            let raw = x.iter().copied().collect::<Vec<i64>>();
            let values = model
                .dequantize(model.inputs()[0], &raw)
                .into_iter()
                .map(|v| v as f32)
                .collect();
            (raw, x.shape().to_vec(), "int64 raw", values)
        }
        npy::Array::Float(x, _) => {
            let values: Vec<f32> = x.iter().copied().collect();
            (
                model.quantize(model.inputs()[0], &values)?,
                x.shape().to_vec(),
                "values",
                values,
            )
        }
    };
    let batch = fixed_batch(&args.input, &dims, &input.shape)?;
    let threads = super::threads(args.threads);
    let out = model
        .run_raw(&[&raw], batch, threads)?
        .pop()
        .context("the compiled model has no output")?;
    let mut shape = vec![batch];
    shape.extend(&output.shape);
    if args.raw {
        npy::write(
            &args.output,
            &ArrayD::from_shape_vec(shape.clone(), out)?,
            args.force,
        )?;
    } else {
        let values = model.dequantize(model.outputs()[0], &out);
        npy::write(
            &args.output,
            &ArrayD::from_shape_vec(shape.clone(), values)?,
            args.force,
        )?;
    }
    println!(
        "{}: {} {} {} (bit-exact simulation of {} on {} {}, {batch} sample(s))",
        args.output.display(),
        if args.raw { "int64 raw" } else { "float64" },
        Shape::fixed(&shape),
        output.ty,
        bpm.display(),
        args.input.display(),
        kind
    );
    let saturation = ArrayD::from_shape_vec(dims, values)
        .map_err(anyhow::Error::from)
        .and_then(|x| {
            let g = super::float_model(&bpm, &model)?;
            let x = binpoint::quant::fit_input(&g, g.inputs()[0], x)?;
            super::saturation_summary(&g, &model, &x, &args.input)
        })
        .unwrap_or_else(|e| format!("not counted ({e:#})"));
    println!("saturation: {saturation}");
    Ok(ExitCode::SUCCESS)
}

/// Samples in an input of shape `dims` for a model input of one sample's shape `want`:
/// `[N, want...]` or `[N, values per sample]`.
fn fixed_batch(file: &Path, dims: &[usize], want: &[usize]) -> anyhow::Result<usize> {
    let per: usize = want.iter().product();
    let fits = match dims.split_first() {
        Some((&n, rest)) if n >= 1 => rest == want || rest.iter().product::<usize>() == per,
        _ => false,
    };
    if !fits {
        let shaped = want
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let expected = if want.len() > 1 {
            format!("[N,{shaped}] or [N,{per}]")
        } else {
            format!("[N,{per}]")
        };
        bail!(
            "{}: shape {} does not match the model input: expected {expected} (N: the batch \
             size, any size >= 1)",
            file.display(),
            Shape::fixed(dims),
        );
    }
    Ok(dims[0])
}

fn simulate_float(args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    npy::check_writable(&args.output, args.force)?;
    let g = binpoint::load_reference_graph(&args.model, &CleanupOptions::default())?;
    let input_shape = single_input(&g)?;
    let (x, _) = npy::read_f32(&args.input)?;
    check_shape(&args.input, x.shape(), input_shape)?;
    let y = eval::run_f32(&g, &x)?;
    npy::write(&args.output, &y, args.force)?;
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
