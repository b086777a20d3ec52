//! The compile report: `OUT/report.json` (for tools) and `OUT/report.txt` (for people), built from
//! the typed graph, the lowered model, the calibration saturation counts and, with labels, the
//! accuracy of float vs fixed point.
//!
//! report.json has the top-level keys `model`, `format_version`, `precision`, `ranges`, `inputs`,
//! `outputs`, `layers`, `totals`, `accuracy` (null without labels) and `warnings`, plus `learning`
//! with `--learn` ([`crate::learn::LearningReport`]). Each layer has
//! its `name`, `op`, runtime `kernel`, data `inputs` and `output` (tensor, shape with `N` for the
//! batch, type), `types` (every intermediate type of its kernel: weights, biases, accumulators,
//! products, tables), `constants` (weights and biases: shape, type, saturations), `params`,
//! `macs` (per sample), `saturation` (of its output on the calibration data, null without) and
//! `estimate` (its resources and latency on the board, [`crate::estimate::LayerEstimate`]; null
//! until [`Report::set_estimate`]).
//!
//! With an estimate, `totals` also carries the design's `dsp`, `lut`, `ff`, `bram36`,
//! `latency_cycles`, `latency_us`, the `board`, its `budget`, the `utilization` in percent and
//! whether it `fits`; the top-level `hardware` says the board, part, clock, how the folding was
//! chosen, and the costs outside the layers (activation arrays, AXI interfaces).
//!
//! Everything is ordered (topological order, BTreeMaps): compiling twice gives the same bytes.

pub mod compression;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::board::Resources;
use crate::estimate::{Estimate, LayerEstimate, Overhead, Utilization};
use crate::eval::Accuracy;
use crate::hardware::Hardware;
use crate::ir::{Op, Shape};
use crate::lower::Lowered;
use crate::quant::{Interval, SaturationCount, TypeOrigin, TypedGraph};

/// One tensor: name, shape (`N` = batch) and type (C++ spelling).
#[derive(Clone, Debug, Serialize)]
pub struct TensorReport {
    pub tensor: String,
    pub shape: Shape,
    #[serde(rename = "type")]
    pub ty: String,
}

/// A layer's output: the tensor and where its type came from.
#[derive(Clone, Debug, Serialize)]
pub struct OutputReport {
    #[serde(flatten)]
    pub tensor: TensorReport,
    /// The range the integer bits were chosen for.
    pub range: Interval,
    pub origin: TypeOrigin,
}

/// A constant input (weight, bias, scale, shift) and how many of its values its type clips.
#[derive(Clone, Debug, Serialize)]
pub struct ConstantReport {
    #[serde(flatten)]
    pub tensor: TensorReport,
    /// Values whose cast into the type saturates (they land within a step or so of the range's
    /// end).
    pub saturated: u64,
}

/// Values of a tensor that its type clipped on the calibration data.
#[derive(Clone, Debug, Serialize)]
pub struct Saturation {
    pub values: u64,
    pub saturated: u64,
    /// The largest error among them, in steps of the type.
    pub worst_steps: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerReport {
    pub name: String,
    pub op: String,
    /// The runtime kernel (`dense`, `conv2d`, `view`, ...).
    pub kernel: String,
    pub inputs: Vec<TensorReport>,
    pub output: OutputReport,
    /// The typed kernel: `kind` and every intermediate type.
    pub types: serde_json::Value,
    pub constants: Vec<ConstantReport>,
    pub params: u64,
    pub macs: u64,
    pub saturation: Option<Saturation>,
    /// With a user accumulator (`accum` key) and calibration data: on how many calibration
    /// samples one of its casts wrapped or saturated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accum_overflow_samples: Option<u64>,
    /// Resources and latency of this layer on the board (null without an estimate).
    pub estimate: Option<LayerEstimate>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub layers: usize,
    pub params: u64,
    /// Bits of every parameter in its type (the weight memory).
    pub param_bits: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
    /// Tensors (outputs and constants) with a value its type clipped on the calibration data.
    pub saturated_tensors: usize,
    /// The resource and latency estimate of the whole design (absent without one).
    #[serde(flatten)]
    pub hardware: Option<HardwareTotals>,
}

/// The estimate's totals, as `report.json` `totals` carries them.
#[derive(Clone, Debug, Serialize)]
pub struct HardwareTotals {
    pub dsp: u64,
    pub lut: u64,
    pub ff: u64,
    /// 36 Kb block RAMs (a BRAM18 counts 0.5).
    pub bram36: f64,
    /// Cycles per sample, input read to output written.
    pub latency_cycles: u64,
    pub latency_us: f64,
    /// Cycles between samples of a batch.
    pub ii: u64,
    /// The layers alone (no DDR transfers, no word-per-cycle interface): what hls4ml's csynth
    /// reports as its top function's latency and II.
    pub core_latency_cycles: u64,
    pub core_ii: u64,
    /// The `--board` name.
    pub board: String,
    pub budget: Resources,
    /// Percent of the budget.
    pub utilization: Utilization,
    /// Every resource within the budget.
    pub fits: bool,
    /// ... and within the folding chooser's margin ([`crate::estimate::FIT_MARGIN`]).
    pub within_margin: bool,
}

/// Where and how the design was estimated: report.json `hardware`.
#[derive(Clone, Debug, Serialize)]
pub struct HardwareReport {
    pub board: String,
    pub board_name: String,
    pub part: String,
    pub clock_ns: f64,
    /// How the reuse factors were chosen (`--reuse` or the chooser).
    pub folding: String,
    /// The reuse factor of every multiply-accumulate layer, by name, as the firmware has it
    /// (`binpoint verify --regenerate` emits the same).
    pub reuse: BTreeMap<String, usize>,
    /// The strategy of every multiply-accumulate layer, by name (`latency`, `resource`).
    pub strategy: BTreeMap<String, String>,
    /// How layers pass tensors: `parallel` or `stream`.
    pub io: String,
    /// The top function's data ports: `m_axi` or `axi-stream`.
    pub data_ports: String,
    /// The activation arrays of the top function.
    pub buffers: Overhead,
    /// `m_axi` and `s_axilite` adapters and the DDR transfers per sample.
    pub interface: Overhead,
    /// The estimate as report.txt shows it (without its warnings, which are the report's).
    #[serde(skip)]
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub model: String,
    pub format_version: u32,
    pub precision: String,
    pub ranges: String,
    pub inputs: Vec<TensorReport>,
    pub outputs: Vec<TensorReport>,
    pub layers: Vec<LayerReport>,
    pub totals: Totals,
    pub accuracy: Option<Accuracy>,
    /// The board, clock and folding of the estimate (null without one).
    pub hardware: Option<HardwareReport>,
    pub warnings: Vec<String>,
    /// With `--learn`: the integer bits before and after learning (see [`learning`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learning: Option<crate::learn::LearningReport>,
    /// `low_rank` and `low_rank_search` (report/low_rank.rs), set by `compile` after `build`.
    #[serde(flatten)]
    pub low_rank: crate::compress::low_rank::report::LowRankSection,
    /// With `--low-rank` or K-hot layers: what was compressed, whole-model MACs and the estimate
    /// before and after (report/compression.rs), set by `compile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<compression::CompressionSummary>,
}

/// Builds the report. `saturations` come from [`crate::quant::count_saturations`] on the
/// calibration data (None without data); `warnings` are added after the typing stage's own.
pub fn build(
    typed: &TypedGraph,
    lowered: &Lowered,
    saturations: Option<&[SaturationCount]>,
    accuracy: Option<Accuracy>,
    warnings: Vec<String>,
) -> Report {
    let g = &typed.graph;
    let sat: BTreeMap<&str, &SaturationCount> = saturations
        .unwrap_or_default()
        .iter()
        .map(|s| (s.node.as_str(), s))
        .collect();
    let tensor = |n| {
        let node = g.node(n);
        TensorReport {
            tensor: node.tensor.clone(),
            shape: node.shape.clone(),
            ty: typed.ty(n).map_or_else(|| "f32".into(), |t| t.to_string()),
        }
    };
    let mut layers = Vec::new();
    let mut param_bits = 0u64;
    for lk in &lowered.layers {
        let n = lk.node;
        let node = g.node(n);
        let Some(types) = typed.layer(n) else {
            continue;
        };
        let ins = g.inputs_of(n);
        let is_const = |k| matches!(g.node(k).op, Op::Const(_));
        let constants: Vec<ConstantReport> = ins
            .iter()
            .filter(|&&k| is_const(k))
            .map(|&k| ConstantReport {
                tensor: tensor(k),
                saturated: sat.get(g.node(k).name.as_str()).map_or(0, |s| s.saturated),
            })
            .collect();
        param_bits += ins
            .iter()
            .filter_map(|&k| Some(g.const_data(k)?.len() as u64 * u64::from(typed.ty(k)?.width())))
            .sum::<u64>();
        let shapes: Vec<&Shape> = ins.iter().map(|&k| &g.node(k).shape).collect();
        layers.push(LayerReport {
            name: node.name.clone(),
            op: node.op.name().to_string(),
            kernel: lk.kernel.to_string(),
            inputs: ins
                .iter()
                .filter(|&&k| !is_const(k))
                .map(|&k| tensor(k))
                .collect(),
            output: OutputReport {
                tensor: tensor(n),
                range: types.output.range,
                origin: types.output.origin,
            },
            types: serde_json::to_value(&types.kernel).unwrap_or(serde_json::Value::Null),
            params: ins
                .iter()
                .filter_map(|&k| g.const_data(k))
                .map(|d| d.len() as u64)
                .sum(),
            macs: node.op.spec().macs(&shapes, &node.shape),
            accum_overflow_samples: None,
            saturation: sat.get(node.name.as_str()).map(|s| Saturation {
                values: s.values,
                saturated: s.saturated,
                worst_steps: s.worst_steps,
            }),
            estimate: None,
            constants,
        });
    }
    let saturated_tensors = saturations
        .unwrap_or_default()
        .iter()
        .filter(|s| s.saturated > 0)
        .count();
    let totals = Totals {
        layers: layers.len(),
        params: layers.iter().map(|l| l.params).sum(),
        param_bits,
        macs: layers.iter().map(|l| l.macs).sum(),
        saturated_tensors,
        hardware: None,
    };
    let constant_sat: BTreeMap<&str, &SaturationCount> = g
        .node_indices()
        .into_iter()
        .filter(|&k| matches!(g.node(k).op, Op::Const(_)))
        .filter_map(|k| {
            let node = g.node(k);
            Some((node.tensor.as_str(), *sat.get(node.name.as_str())?))
        })
        .collect();
    let mut all_warnings = typed.warnings.clone();
    for l in &layers {
        // A constant within a step of its type's end rounds into the end (an error of at most
        // one step, like any rounding): only clipping beyond that is announced.
        for c in l.constants.iter().filter(|c| c.saturated > 0) {
            let Some(worst) = constant_sat
                .get(c.tensor.tensor.as_str())
                .map(|s| s.worst_steps)
                .filter(|&w| w > 1.0)
            else {
                continue;
            };
            let values = c.tensor.shape.fixed_numel().unwrap_or(0);
            all_warnings.push(format!(
                "layer '{}': {} of {values} values of its constant '{}' saturate {} (clipped by \
                 up to {worst:.1} steps): give it more integer bits (int_bits, or \
                 weight_bits/bias_bits of the layer)",
                l.name, c.saturated, c.tensor.tensor, c.tensor.ty
            ));
        }
        if let Some(v) = l.saturation.as_ref().filter(|v| v.saturated > 0) {
            all_warnings.push(format!(
                "'{}': {} of {} calibration values saturate {} (worst by {:.1} steps)",
                l.name, v.saturated, v.values, l.output.tensor.ty, v.worst_steps
            ));
        }
    }
    all_warnings.extend(warnings);
    Report {
        model: lowered.proto.source.clone(),
        format_version: lowered.proto.version,
        precision: typed.config.clone(),
        ranges: typed.ranges.clone(),
        inputs: g.inputs().iter().map(|&n| tensor(n)).collect(),
        outputs: g.outputs().iter().map(|&(_, n)| tensor(n)).collect(),
        layers,
        totals,
        accuracy,
        hardware: None,
        warnings: all_warnings,
        learning: None,
        low_rank: Default::default(),
        compression: None,
    }
}

impl Report {
    /// The user accumulators' overflow counts on the calibration data (`(layer, samples with an
    /// overflow)`, out of `samples`), with a warning for each layer that overflowed.
    pub fn set_accum_overflows(&mut self, counts: &[(String, u64)], samples: u64) {
        for (name, n) in counts {
            let Some(l) = self.layers.iter_mut().find(|l| &l.name == name) else {
                continue;
            };
            l.accum_overflow_samples = Some(*n);
            if *n > 0 {
                let accum = l.types["accum"].as_str().unwrap_or("its type").to_string();
                self.warnings.push(format!(
                    "layer '{name}': its accumulator {accum} (the accum key) wrapped or saturated \
                     on {n} of {samples} calibration samples"
                ));
            }
        }
    }

    /// Adds the resource and latency estimate of `folding`: per layer (matched by name), the
    /// totals against the board's budget, the board and folding (`how`: how it was chosen), and
    /// the estimate's warnings after the report's own. The data ports are `m_axi` until set.
    /// The estimate of the hardware plan `hw`, per layer and in totals, and the plan's summary.
    pub fn set_estimate(&mut self, e: &Estimate, hw: &Hardware) {
        let board = hw.board;
        for l in &mut self.layers {
            l.estimate = e.layers.iter().find(|x| x.name == l.name).cloned();
        }
        let t = &e.totals;
        self.totals.hardware = Some(HardwareTotals {
            dsp: t.dsp,
            lut: t.lut,
            ff: t.ff,
            bram36: t.bram36,
            latency_cycles: t.latency_cycles,
            latency_us: e.latency_us,
            ii: t.ii,
            core_latency_cycles: t.core_latency_cycles,
            core_ii: t.core_ii,
            board: board.name.to_string(),
            budget: e.budget,
            utilization: e.utilization,
            fits: e.fits(),
            within_margin: e.within(crate::estimate::FIT_MARGIN),
        });
        let mut quiet = e.clone();
        quiet.warnings.clear();
        self.hardware = Some(HardwareReport {
            board: board.name.to_string(),
            board_name: board.display_name.to_string(),
            part: e.part.clone(),
            clock_ns: e.clock_ns,
            folding: hw.chosen_by.clone(),
            reuse: hw.reuse_map(),
            strategy: hw
                .layers
                .iter()
                .filter(|l| l.is_mac())
                .map(|l| (l.name.clone(), l.strategy.as_str().to_string()))
                .collect(),
            io: hw.io.as_str().into(),
            data_ports: hw.interface.as_str().into(),
            buffers: e.buffers.clone(),
            interface: e.interface.clone(),
            text: quiet.to_text(),
        });
        self.warnings.extend(e.warnings.iter().cloned());
    }

    /// report.json: pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// report.txt.
    pub fn to_text(&self) -> String {
        let mut s = text::render(self);
        if let Some(l) = &self.learning {
            s.push('\n');
            s.push_str(&l.text());
        }
        s
    }
}
