//! `binpoint eval OUT --input X.npy --labels L.npy [--threads N]`: accuracy of a compiled model
//! against its float model (the copy `compile` left in OUT) on labelled data.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use binpoint_runtime::model::Model;
use clap::Args;

use binpoint::pipeline::{calibration_input, measure};

pub const EXAMPLES: &str = "\
Examples:
  binpoint compile model.onnx -o out --bits 8 --calib train_x.npy
  binpoint eval out --input test_x.npy --labels test_y.npy

Prints the float model's accuracy (OUT/model.onnx), the fixed-point accuracy (OUT/model.bpm, run
by the bit-exact interpreter), how often their argmax agrees, and the largest absolute difference
of their outputs, and where the compiled types overflow on X.npy (each input or layer whose type
the float model's values leave, with how many samples: a warning on stderr). X.npy may be [N, features] when the model takes [N, C, H, W].";

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A folder written by `binpoint compile`
    #[arg(value_name = "OUT")]
    out: PathBuf,

    /// Inputs (.npy, float32/float64)
    #[arg(long, value_name = "X.npy")]
    input: PathBuf,

    /// Class labels of the inputs (.npy of integers)
    #[arg(long, value_name = "L.npy")]
    labels: PathBuf,

    /// Threads (0: all cores, 1: the calling thread only)
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let bpm = args.out.join("model.bpm");
    if !bpm.is_file() {
        bail!(
            "{}: no compiled model here (expected {}); run `binpoint compile MODEL -o {}` first",
            args.out.display(),
            bpm.display(),
            args.out.display()
        );
    }
    let model = Model::load(&bpm)?;
    let g = super::float_model(&bpm, &model)?;
    let x = calibration_input(&g, &args.input)?;
    let labels = binpoint::npy::read_labels(&args.labels)?;
    // Float accuracy of the model as it computes with its own quantizers applied (if any).
    let reference = if g.model_types.is_empty() {
        g.clone()
    } else {
        super::float_reference(&bpm, &model)?
    };
    let a = measure(
        &reference,
        &model,
        &x,
        &labels,
        &args.input,
        &args.labels,
        super::threads(args.threads),
    )?;
    let saturation = super::saturation_summary(&g, &model, &x, &args.input)?;
    println!("{} on {}:", bpm.display(), args.input.display());
    print!("{}", a.lines());
    println!("saturation:        {saturation}");
    Ok(ExitCode::SUCCESS)
}
