//! The `learning` object of report.json (only with `--learn`) and its report.txt section: the
//! options, the loss and accuracy before and after (on the held-out samples, or all of them
//! without a split, in the learning forward), each epoch, for every quantized tensor its integer
//! bits before (calibration) and after learning, and the held-out accuracy of the post-training
//! and the learned compiled model as the bit-exact interpreter measures it ([`HeldOutAccuracy`],
//! set by the pipeline, which owns the lowering). The wall time is printed by `compile` but kept out of both files, so that
//! compiling twice still gives the same bytes.

use std::fmt::Write;

use serde::Serialize;

use super::train::{Epoch, Score};
use super::Role;

/// One quantized tensor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearnedTensor {
    /// The layer: the node itself for inputs and outputs, the layer that reads it for a weight,
    /// bias or other constant.
    pub layer: String,
    /// The node name (`[layer."<name>"]` in a precision config).
    pub tensor: String,
    pub op: String,
    pub role: Role,
    /// `W`, fixed.
    pub width: u32,
    /// False for types the config pins or LUT entry types: they keep their integer bits.
    pub learned: bool,
    /// `I` (sign bit included) from calibration.
    pub int_bits_before: i32,
    /// `I` after learning.
    pub int_bits_after: i32,
}

/// Accuracy on the held-out samples of the compiled model, post-training quantization (the
/// calibrated types, the float weights) against learned, both run by the bit-exact interpreter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldOutAccuracy {
    pub samples: usize,
    /// `labels`, or `float argmax` (the float model's class) without labels.
    pub against: String,
    pub ptq: f64,
    pub learned: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LearningReport {
    pub epochs: usize,
    pub lr: f64,
    pub seed: u64,
    pub finetune: bool,
    pub batch: usize,
    pub samples: usize,
    /// The samples trained on, and those held out to choose the epoch (0: no split).
    pub train_samples: usize,
    pub held_out_samples: usize,
    /// The compiled models on the held-out samples (null without a split).
    pub held_out: Option<HeldOutAccuracy>,
    /// Whether the loss had a cross-entropy term (labels given).
    pub labels: bool,
    pub steps: usize,
    /// The epoch whose parameters were kept (0: the calibrated types were best).
    pub best_epoch: usize,
    /// With the calibrated types, on the held-out samples (all samples without a split).
    pub initial: Score,
    /// With the kept parameters, on the same samples.
    pub last: Score,
    pub history: Vec<Epoch>,
    pub tensors: Vec<LearnedTensor>,
    #[serde(skip)]
    pub seconds: f64,
}

impl LearningReport {
    /// Tensors whose integer bits changed.
    pub fn changed(&self) -> usize {
        self.tensors
            .iter()
            .filter(|t| t.int_bits_before != t.int_bits_after)
            .count()
    }

    /// What was learned, in words.
    pub fn what(&self) -> &'static str {
        if self.finetune {
            "weights and binary points"
        } else {
            "binary points"
        }
    }

    /// The samples the scores are on, in words.
    fn scored_on(&self) -> String {
        if self.held_out_samples > 0 {
            format!(
                "{} held-out samples (trained on the other {})",
                self.held_out_samples, self.train_samples
            )
        } else {
            format!("all {} samples", self.samples)
        }
    }

    /// compile's summary line (stdout): the gain on the held-out samples, as the interpreter
    /// measures it (None without a split).
    pub fn summary(&self) -> Option<String> {
        let h = self.held_out.as_ref()?;
        Some(format!(
            "learned {} ({} epochs, kept epoch {}): accuracy on {} held-out samples (vs {}) \
             {:.2}% post-training -> {:.2}% learned ({:+.2} points)",
            self.what(),
            self.epochs,
            self.best_epoch,
            h.samples,
            h.against,
            100.0 * h.ptq,
            100.0 * h.learned,
            100.0 * (h.learned - h.ptq)
        ))
    }

    /// The report.txt section.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let against = if self.labels {
            "labels"
        } else {
            "float argmax"
        };
        let _ = writeln!(
            s,
            "learning {}: {} epochs ({} steps of {}), lr {}, seed {}, on {} samples; kept epoch {}",
            self.what(),
            self.epochs,
            self.steps,
            self.batch,
            self.lr,
            self.seed,
            self.samples,
            self.best_epoch
        );
        if let Some(h) = &self.held_out {
            let _ = writeln!(
                s,
                "  held-out accuracy (bit-exact, {} samples, vs {}): post-training {:.2}% -> \
                 learned {:.2}%",
                h.samples,
                h.against,
                100.0 * h.ptq,
                100.0 * h.learned
            );
        }
        let _ = writeln!(
            s,
            "  on {}: loss {:.6} -> {:.6} (distillation {:.6} -> {:.6}), accuracy vs {against} {:.2}% -> {:.2}%",
            self.scored_on(),
            self.initial.loss,
            self.last.loss,
            self.initial.distill,
            self.last.distill,
            self.initial.accuracy * 100.0,
            self.last.accuracy * 100.0
        );
        let learned = self.tensors.iter().filter(|t| t.learned).count();
        let _ = writeln!(
            s,
            "  {} of {} learned tensors changed their integer bits:",
            self.changed(),
            learned
        );
        let width = self
            .tensors
            .iter()
            .map(|t| t.layer.chars().count())
            .max()
            .unwrap_or(0);
        for t in self.tensors.iter().filter(|t| t.learned) {
            let mark = if t.int_bits_before == t.int_bits_after {
                ""
            } else {
                "  *"
            };
            // The tensor's own name only where it is not the layer's (a weight, a bias).
            let own = if t.tensor == t.layer {
                String::new()
            } else {
                format!("  ({})", t.tensor)
            };
            let _ = writeln!(
                s,
                "    {:<width$}  {:<8} W={:<2} I {:>3} -> {:>3}{mark}{own}",
                t.layer,
                format!("{:?}", t.role).to_lowercase(),
                t.width,
                t.int_bits_before,
                t.int_bits_after
            );
        }
        s
    }
}
