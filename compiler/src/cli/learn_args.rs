//! The `--learn` flags of `binpoint compile`, as the pipeline's [`LearnOptions`]
//! (docs/learning.md).

use binpoint::learn::LearnOptions;
use clap::Args;

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
    /// The options of `--learn`, or None without it.
    pub fn options(&self) -> Option<LearnOptions> {
        self.learn.then(|| LearnOptions {
            epochs: self.epochs,
            lr: self.lr,
            seed: self.seed,
            finetune: self.finetune,
            progress: !self.quiet,
            ..LearnOptions::default()
        })
    }
}
