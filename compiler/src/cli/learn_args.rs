//! The `--learn` flags of `binpoint compile` and the call into [`binpoint::learn`]
//! (docs/learning.md).

use std::path::Path;

use anyhow::Context;
use binpoint::learn::{learn, LearnOptions, Learned};
use binpoint::quant::{PrecisionConfig, TypedGraph};
use binpoint::Graph;
use clap::Args;
use ndarray::ArrayD;

use super::UsageError;

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Learn every tensor's binary point (integer bits) on the --calib data, QFX-style:
    /// distillation against the float model, plus cross-entropy with --labels
    #[arg(long)]
    learn: bool,

    /// Passes over the calibration data (with --learn)
    #[arg(long, value_name = "E", default_value_t = 5, requires = "learn")]
    epochs: usize,

    /// Adam step size for the integer bits, in bits per step (weights: R/50)
    #[arg(long, value_name = "R", default_value_t = 0.05, requires = "learn")]
    lr: f64,

    /// Seed of the sample shuffling (same seed, same learned types)
    #[arg(long, value_name = "S", default_value_t = 0, requires = "learn")]
    seed: u64,

    /// Also fine-tune the float weights and biases while learning (with --learn)
    #[arg(long, requires = "learn")]
    finetune: bool,

    /// No progress bar (it is also hidden when stderr is not a terminal)
    #[arg(long)]
    quiet: bool,
}

impl LearnArgs {
    fn options(&self) -> LearnOptions {
        LearnOptions {
            epochs: self.epochs,
            lr: self.lr,
            seed: self.seed,
            finetune: self.finetune,
            progress: !self.quiet,
            ..LearnOptions::default()
        }
    }

    /// Learns the binary points of `typed` (calibrated on `x`) when `--learn` was given.
    pub fn run(
        &self,
        g: &Graph,
        cfg: &PrecisionConfig,
        typed: &TypedGraph,
        calib: Option<&ArrayD<f32>>,
        labels: Option<&Path>,
    ) -> anyhow::Result<Option<Learned>> {
        if !self.learn {
            return Ok(None);
        }
        let Some(x) = calib else {
            return Err(UsageError(
                "--learn needs calibration data: give --calib X.npy (and optionally --labels L.npy)"
                    .into(),
            )
            .into());
        };
        let opts = self.options();
        opts.validate().map_err(|e| UsageError(e.to_string()))?;
        let y = match labels {
            Some(p) => Some(super::compile::read_labels(p)?),
            None => None,
        };
        let learned = learn(g, cfg, typed, x, y.as_deref(), &opts)
            .with_context(|| format!("{}: learning the binary points", g.source))?;
        let r = &learned.report;
        eprintln!(
            "learned binary points in {:.1} s: {} epochs, loss {:.6} -> {:.6}, {} of {} tensors changed",
            r.seconds,
            r.epochs,
            r.initial.loss,
            r.last.loss,
            r.changed(),
            r.tensors.iter().filter(|t| t.learned).count()
        );
        Ok(Some(learned))
    }
}
