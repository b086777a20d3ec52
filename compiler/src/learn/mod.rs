//! Learned binary points (QFX-style, docs/learning.md): `binpoint compile --calib X.npy --learn`.
//!
//! Every tensor the typed IR declares a type for (graph inputs, weights, biases, layer outputs) keeps
//! its word length `W` and gets a real parameter `I`, its integer bits, initialised from the
//! calibrated typing. The stages, in the order they run:
//! 1. [`forward::Student`]: the calibrated typed graph as a candle model (f64, CPU) that casts with
//!    [`quantizer::FixedCast`] wherever the typed IR rounds.
//! 2. [`train::train`]: distillation against the float model (+ cross-entropy with labels), Adam
//!    over the integer bits and (by default) the float weights and biases, seeded shuffles; the
//!    epoch with the best accuracy on a seeded held-out split of the data ([`train::split`]) is
//!    kept; [`progress`] draws the bar.
//! 3. [`freeze`]: the learned `I` become `int_bits` overrides of the precision config (and the
//!    tuned weights go back into the float graph); K-hot weights are projected in
//!    their learned types, the graph is re-calibrated and re-typed by `quant::calibrate_and_type` (the
//!    stage compile runs), so accumulators, tables and everything downstream are derived as
//!    for any other config. The result is checked to carry exactly the learned types.

pub mod error;
pub mod forward;
pub mod progress;
pub mod quantizer;
pub mod report;
pub mod train;

use std::time::Instant;

use candle_core::Tensor;
use ndarray::ArrayD;

pub use error::LearnError;
pub use forward::{Mode, Role, Student};

use crate::ir::ops::Const;
use crate::ir::Graph;
use crate::quant::{calibrate_and_type, PrecisionConfig, Ranges, TypeOrigin, TypedGraph};
pub use report::{HeldOutAccuracy, LearnedTensor, LearningReport};

/// The knobs of `--learn`.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnOptions {
    pub epochs: usize,
    /// Adam's step size for integer bits (weights use `lr · WEIGHT_LR_RATIO`).
    pub lr: f64,
    pub seed: u64,
    /// Train the float weights and biases of Conv, Dense and Affine layers together with the
    /// binary points (the default); false: binary points only (`--learn-points-only`).
    pub finetune: bool,
    /// Share of the samples held out to choose the epoch (0: none, then the epoch with the lowest
    /// loss on all samples is kept).
    pub holdout: f64,
    pub batch: usize,
    /// Draw a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// The share of the data `--learn` holds out by default (`--holdout`).
pub const DEFAULT_HOLDOUT: f64 = 0.2;

/// The largest `--holdout`: at least half of the data trains.
pub const MAX_HOLDOUT: f64 = 0.5;

impl Default for LearnOptions {
    fn default() -> LearnOptions {
        LearnOptions {
            epochs: 10,
            lr: 0.05,
            seed: 0,
            finetune: true,
            holdout: DEFAULT_HOLDOUT,
            batch: 64,
            progress: false,
        }
    }
}

impl LearnOptions {
    pub fn validate(&self) -> Result<(), LearnError> {
        if self.epochs == 0 {
            return Err(LearnError::Options(
                "--epochs must be at least 1 (got 0)".into(),
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(LearnError::Options(format!(
                "--lr must be a positive number, got {}",
                self.lr
            )));
        }
        if !(0.0..=MAX_HOLDOUT).contains(&self.holdout) {
            return Err(LearnError::Options(format!(
                "--holdout must be a share from 0 to {MAX_HOLDOUT}, got {}",
                self.holdout
            )));
        }
        if self.batch == 0 {
            return Err(LearnError::Options(
                "the batch size must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// What learning produced: the config with the learned integer bits, the (fine-tuned) float graph,
/// its typing, and the report.
pub struct Learned {
    pub graph: Graph,
    pub config: PrecisionConfig,
    pub typed: TypedGraph,
    pub report: LearningReport,
    /// The samples held out to choose the epoch (indices into the data; empty without a split).
    pub held_out: Vec<usize>,
}

/// Learns the integer bits of `typed` (the calibrated typing of `g` under `cfg`) on the samples `x`
/// (the model's input shape), with class `labels` when given.
pub fn learn(
    g: &Graph,
    cfg: &PrecisionConfig,
    typed: &TypedGraph,
    x: &ArrayD<f32>,
    labels: Option<&[i64]>,
    opts: &LearnOptions,
) -> Result<Learned, LearnError> {
    opts.validate()?;
    let start = Instant::now();
    let student = Student::new(typed, g, opts.finetune)?;
    let n = x.shape().first().copied().unwrap_or(0);
    if n == 0 {
        return Err(LearnError::Options(
            "no calibration samples to learn from".into(),
        ));
    }
    let xt = Tensor::from_vec(
        x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        x.shape(),
        &student.device,
    )
    .map_err(|e| LearnError::candle(&g.name, "Input", e))?;
    let classes: usize = student
        .graph
        .node(student.logits)
        .shape
        .concrete(1)
        .iter()
        .skip(1)
        .product();
    let y = match labels {
        Some(l) => {
            if l.len() != n {
                return Err(LearnError::Options(format!(
                    "{} labels for {n} calibration samples",
                    l.len()
                )));
            }
            if let Some(bad) = l.iter().find(|&&c| c < 0 || c as usize >= classes) {
                return Err(LearnError::Options(format!(
                    "label {bad} is not a class of the model's {classes} outputs"
                )));
            }
            let v: Vec<u32> = l.iter().map(|&c| c as u32).collect();
            Some(
                Tensor::from_vec(v, n, &student.device)
                    .map_err(|e| LearnError::candle(&g.name, "Input", e))?,
            )
        }
        None => None,
    };
    let split = train::split(n, opts.holdout, opts.seed);
    let history = train::train(&student, &xt, y.as_ref(), &split, opts)?;
    let (graph, config, typed_out) = freeze(g, cfg, typed, &student, x)?;
    let tensors = student
        .points
        .values()
        .map(|p| {
            // A weight's or bias's own name is often an exporter's (`onnx::Conv_54`): the table
            // names the layer that reads it.
            let layer = match p.role {
                Role::Weight | Role::Bias | Role::Constant => typed
                    .graph
                    .consumers(p.node)
                    .first()
                    .map(|&(c, _)| typed.graph.node(c).name.clone()),
                Role::Input | Role::Output => None,
            };
            Ok(LearnedTensor {
                layer: layer.unwrap_or_else(|| p.name.clone()),
                tensor: p.name.clone(),
                op: p.op.clone(),
                role: p.role,
                width: p.base.width(),
                learned: p.trainable,
                int_bits_before: p.base.int_bits(),
                int_bits_after: p.int_bits()?,
            })
        })
        .collect::<Result<Vec<_>, LearnError>>()?;
    let report = LearningReport {
        epochs: opts.epochs,
        lr: opts.lr,
        seed: opts.seed,
        finetune: opts.finetune,
        batch: opts.batch,
        samples: n,
        train_samples: split.train.len(),
        held_out_samples: split.held_out.len(),
        held_out: None,
        labels: labels.is_some(),
        steps: history.steps,
        best_epoch: history.best_epoch,
        initial: history.initial,
        last: history.last,
        history: history.epochs,
        tensors,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok(Learned {
        graph,
        config,
        typed: typed_out,
        report,
        held_out: split.held_out.iter().map(|&i| i as usize).collect(),
    })
}

/// The learned types as config overrides, re-typed: the (fine-tuned) graph, the config, the typing.
fn freeze(
    g: &Graph,
    cfg: &PrecisionConfig,
    typed: &TypedGraph,
    student: &Student,
    x: &ArrayD<f32>,
) -> Result<(Graph, PrecisionConfig, TypedGraph), LearnError> {
    let mut graph = g.clone();
    let mut tuned = false;
    for (&n, p) in &student.consts {
        if let forward::Param::Tuned(v) = p {
            let t = v.as_tensor();
            let node = graph.node(n).name.clone();
            let data: Vec<f32> = t
                .flatten_all()
                .and_then(|f| f.to_vec1::<f64>())
                .map_err(|e| LearnError::candle(&node, "Const", e))?
                .into_iter()
                .map(|v| v as f32)
                .collect();
            let array = ArrayD::from_shape_vec(t.dims(), data)
                .map_err(|e| LearnError::node(&node, "Const", e.to_string()))?;
            graph.set_op(n, Const::f32(array), &[])?;
            tuned = true;
        }
    }
    let mut config = cfg.clone();
    let mut learned = Vec::new();
    for p in student.points.values().filter(|p| p.trainable) {
        let i = p.int_bits()?;
        config.layer.entry(p.name.clone()).or_default().int_bits = Some(i);
        learned.push((p.node, i));
    }
    // The typing stage compile runs (K-hot weights projected in the learned types).
    let mut out = calibrate_and_type(&graph, &config, Ranges::Calibrated(x))?;
    for (n, i) in learned {
        let layer = out.layers.get_mut(&n).ok_or_else(|| {
            LearnError::node(
                &graph.node(n).name,
                graph.node(n).op.name(),
                "lost by re-typing",
            )
        })?;
        if layer.output.ty.int_bits() != i {
            return Err(LearnError::node(
                &layer.node,
                &layer.op,
                format!(
                    "re-typing gave {} where learning chose {i} integer bits",
                    layer.output.ty
                ),
            ));
        }
        layer.output.origin = TypeOrigin::Learned;
    }
    out.ranges = format!(
        "{}, binary points learned{}",
        typed.ranges,
        if tuned {
            " with fine-tuned weights"
        } else {
            ""
        }
    );
    Ok((graph, config, out))
}
