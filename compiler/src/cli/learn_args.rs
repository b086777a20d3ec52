//! The `--learn` flags of `binpoint compile`, as the pipeline's [`LearnOptions`]
//! (docs/learning.md).

use binpoint::learn::{LearnOptions, DEFAULT_HOLDOUT};
use clap::Args;

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Learn on the --calib data, QFX-style: the weights and every tensor's binary point (integer
    /// bits) together, by distillation against the float model plus cross-entropy with --labels;
    /// the epoch with the best accuracy on a held-out share of the data (--holdout) is kept
    #[arg(long)]
    learn: bool,

    /// With --learn: learn the binary points only, the weights stay the float model's
    #[arg(long, requires = "learn")]
    learn_points_only: bool,

    /// Kept for scripts from before weights were learned by default: the same as --learn alone
    #[arg(
        long,
        requires = "learn",
        conflicts_with = "learn_points_only",
        hide = true
    )]
    finetune: bool,

    /// Passes over the training share of the calibration data (with --learn)
    #[arg(long, value_name = "E", default_value_t = LearnOptions::default().epochs, requires = "learn")]
    epochs: usize,

    /// Share of the --calib samples held out to choose the epoch (0 to 0.5; 0: none, the epoch
    /// with the lowest loss on all samples is kept)
    #[arg(long, value_name = "F", default_value_t = DEFAULT_HOLDOUT, requires = "learn")]
    holdout: f64,

    /// Adam step size for the integer bits, in bits per step (weights: R/50)
    #[arg(long, value_name = "R", default_value_t = 0.05, requires = "learn")]
    lr: f64,

    /// Seed of the held-out draw and the sample shuffling (same seed, same bytes)
    #[arg(long, value_name = "S", default_value_t = 0, requires = "learn")]
    seed: u64,

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
            finetune: self.finetune || !self.learn_points_only,
            holdout: self.holdout,
            progress: !self.quiet,
            ..LearnOptions::default()
        })
    }
}
