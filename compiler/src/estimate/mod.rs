//! Resource and latency estimate of a compiled model on a board, and the folding (per-layer reuse
//! factors) that makes it fit.
//!
//! ```text
//! ModelProto ──ModelWork::read──▶ per layer: loops, multipliers (operand widths), adders,
//!                                 constant arrays; activation arrays between layers
//!            ──choose_reuse──▶ Folding (reuse factor and block factor per layer)
//!            ──estimate_with──▶ Estimate: per layer DSP48, LUT, FF, BRAM36, II, cycles;
//!                               totals vs the board budget (utilisation %), warnings
//! ```
//!
//! [`estimate`] does both: it folds the model to fit the board with a margin ([`FIT_MARGIN`] of
//! every resource) and estimates that folding. The rules are rough models of what Vitis HLS and
//! Vivado build (docs/estimator.md lists each one and its source); they decide folding and warn
//! early, the csynth report has the last word.
//!
//! The model follows the kernels in `hls-templates/kernels/` and the hardware plan: a MAC layer
//! (dense, conv) takes R cycles per position (hls4ml's reuse factor) on `block_factor` =
//! `fan_in·n_out / R` multipliers, built from the weights' bits when they are constants
//! (`latency`, and `resource` at R = 1); every other kernel handles one element (or window) per
//! iteration; layers run one after the other, as one pipeline (all `latency`) or as a dataflow of
//! streams (`io stream`, [`stream`]).

mod cost;
mod fold;
pub mod rtl;
mod rules;
mod stream;
mod stream_work;
mod text;
mod work;

pub use fold::{choose_reuse, fold_to_fit, Choice, Lock};
pub use rules::{
    array_cost, auto_is_fabric, bram18_blocks, csd_nonzeros, dsps_per_multiplier,
    fabric_multiplier_luts, MemoryCost, FABRIC_MAX_BITS, LUTRAM_MAX_DEPTH,
};

use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::Model;
use serde::Serialize;

use crate::board::{Board, Resources};
use crate::hardware::{Hardware, Io, Strategy};
pub use crate::hardware::{LayerPlan, MulImpl};
use work::{ModelWork, Shape};

/// The share of each resource the folding chooser aims to stay under (placement and routing get
/// hard above it).
pub const FIT_MARGIN: f64 = 0.80;

/// What a layer's multipliers became.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Multiplier {
    Dsp,
    Fabric,
    ShiftAdd,
}

/// Per-layer folding of a model, in layer order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Folding {
    pub layers: Vec<LayerPlan>,
    /// The estimate of this folding fits the board (≤ 100% of every resource).
    pub fits: bool,
    /// ... and stays within [`FIT_MARGIN`].
    pub within_margin: bool,
    /// Why not, in words, when it does not fit within the margin.
    pub warning: Option<String>,
    /// The design the layers are in: arrays one after another, or a dataflow of streams.
    pub io: Io,
}

impl Folding {
    /// Every MAC layer as parallel as it goes: `strategy` at reuse factor 1; DSPs or LUTs as HLS
    /// chooses, K-hot layers shift-add.
    pub fn unfolded(model: &ModelProto, strategy: Strategy) -> Result<Folding, EstimateError> {
        Ok(Folding::from_work(
            &ModelWork::read(model)?,
            strategy,
            false,
        ))
    }

    /// Every MAC layer `resource` with one multiplier (reuse factor = its products): the fewest
    /// resources.
    pub fn fully_folded(model: &ModelProto) -> Result<Folding, EstimateError> {
        Ok(Folding::from_work(
            &ModelWork::read(model)?,
            Strategy::Resource,
            true,
        ))
    }

    pub(crate) fn from_work(w: &ModelWork, strategy: Strategy, full: bool) -> Folding {
        let layers = w
            .layers
            .iter()
            .map(|l| {
                let (fan_in, n_out, khot) = match &l.shape {
                    Shape::Mac(m) => (m.fan_in, m.n_out, m.khot.is_some()),
                    _ => (1, 1, false),
                };
                let mut f = LayerPlan {
                    name: l.name.clone(),
                    kernel: l.kernel.to_string(),
                    strategy,
                    fan_in,
                    n_out,
                    reuse_factor: 1,
                    block_factor: fan_in * n_out,
                    mul_impl: if khot {
                        MulImpl::ShiftAdd
                    } else {
                        MulImpl::Auto
                    },
                    partition: true,
                };
                if full && !khot {
                    f.set_reuse(fan_in * n_out);
                }
                f
            })
            .collect();
        Folding {
            layers,
            fits: false,
            within_margin: false,
            warning: None,
            io: Io::Parallel,
        }
    }

    /// The reuse factor of the layer named `name`.
    pub fn reuse_factor(&self, name: &str) -> Option<u64> {
        self.layers
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.reuse_factor)
    }
}

/// One layer's estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerEstimate {
    pub name: String,
    pub kernel: String,
    pub strategy: Strategy,
    /// Multiplies per sample.
    pub macs: u64,
    /// The reuse factor the kernel reaches (at least its input-port limit).
    pub reuse_factor: u64,
    /// Parallel multipliers.
    pub multipliers: u64,
    /// What they are built from (none for layers without multiplies).
    pub multiplier: Option<Multiplier>,
    pub dsp_per_multiplier: u64,
    pub dsp: u64,
    pub lut: u64,
    pub ff: u64,
    /// 18 Kb block RAMs (weights, tables).
    pub bram18: u64,
    /// Initiation interval of the pipelined loop.
    pub ii: u64,
    /// Iterations of the pipelined loop(s).
    pub iterations: u64,
    /// Pipeline depth in cycles.
    pub depth: u64,
    pub latency_cycles: u64,
}

/// A cost outside the layers: the activation arrays, the AXI interfaces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overhead {
    pub lut: u64,
    pub ff: u64,
    pub bram18: u64,
    pub latency_cycles: u64,
}

/// The totals `report.json` carries (keys `dsp`, `lut`, `ff`, `bram36`, `latency_cycles`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Totals {
    pub dsp: u64,
    pub lut: u64,
    pub ff: u64,
    /// 36 Kb block RAMs (halves count 0.5: a BRAM18 is half a BRAM36).
    pub bram36: f64,
    /// Cycles per sample, input read to output written.
    pub latency_cycles: u64,
    /// ... without the interface (DDR latency, words in and out): the layers' pipeline alone,
    /// what hls4ml's csynth reports as the top's latency.
    pub core_latency_cycles: u64,
    /// Cycles between samples in a batch.
    pub ii: u64,
    /// ... without the interface's one word per cycle: the layers' own (hls4ml's top II).
    pub core_ii: u64,
}

/// Percentages of the board's budget.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Utilization {
    pub dsp: f64,
    pub lut: f64,
    pub ff: f64,
    pub bram36: f64,
}

/// The estimate of a folded model on a board.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub board: String,
    pub part: String,
    pub clock_ns: f64,
    pub layers: Vec<LayerEstimate>,
    /// The activation arrays of the top function (graph input, layer outputs; views share).
    pub buffers: Overhead,
    /// `m_axi` read and write adapters, `s_axilite` control, and the DDR transfers per sample.
    pub interface: Overhead,
    pub totals: Totals,
    pub budget: Resources,
    pub utilization: Utilization,
    /// `latency_cycles · clock_ns`, in microseconds.
    pub latency_us: f64,
    /// Every layer `latency`: the design is one pipeline (II [`Totals::ii`]); else the layers
    /// run one after the other.
    pub pipelined: bool,
    pub warnings: Vec<String>,
    /// The design estimated: arrays one after another, or a dataflow of streams.
    pub io: Io,
}

impl Estimate {
    /// Every resource within the board's budget.
    pub fn fits(&self) -> bool {
        self.within(1.0)
    }

    /// Every resource within `share` of the board's budget (e.g. [`FIT_MARGIN`]).
    pub fn within(&self, share: f64) -> bool {
        let u = &self.utilization;
        [u.dsp, u.lut, u.ff, u.bram36]
            .iter()
            .all(|&p| p <= share * 100.0 + 1e-9)
    }

    /// The human summary (report.txt's resource section).
    pub fn to_text(&self) -> String {
        text::render(self)
    }
}

/// An estimate that cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("estimate: layer '{layer}': {reason}")]
    Model { layer: String, reason: String },
    #[error("estimate: the folding has {folding} layers, the model {model}")]
    Folding { folding: usize, model: usize },
    #[error("estimate: clock period {0} ns is not a positive number")]
    Clock(f64),
}

/// Folds `model` to fit `board` ([`choose_reuse`]) and estimates it at `clock_ns`. The folding's
/// warning, if any, is the estimate's last warning.
pub fn estimate(
    model: &ModelProto,
    board: &Board,
    clock_ns: f64,
) -> Result<Estimate, EstimateError> {
    let folding = choose_reuse(model, board)?;
    estimate_with(model, board, clock_ns, &folding)
}

/// The estimate of `model` folded as `folding` says.
pub fn estimate_with(
    model: &ModelProto,
    board: &Board,
    clock_ns: f64,
    folding: &Folding,
) -> Result<Estimate, EstimateError> {
    let work = ModelWork::read(model)?;
    let mut e = evaluate(&work, board, clock_ns, folding)?;
    // The chooser's warning says the same as the fit warning, with what to try.
    if let Some(w) = folding.warning.clone().or_else(|| fit_warning(&e, board)) {
        e.warnings.push(w);
    }
    Ok(e)
}

/// The estimate of the hardware plan `hw` for `model` (what `compile` reports and stores);
/// `warning`: the folding chooser's, when it chose the reuse factors and they do not fit.
pub fn estimate_hardware(
    model: &Model,
    hw: &Hardware,
    warning: Option<String>,
) -> Result<Estimate, EstimateError> {
    let folding = Folding {
        layers: hw.layers.clone(),
        fits: false,
        within_margin: false,
        warning,
        io: hw.io,
    };
    estimate_with(model.proto(), hw.board, hw.clock_ns, &folding)
}

/// "does not fit" / "more than 80%" in words, or nothing.
fn fit_warning(e: &Estimate, board: &Board) -> Option<String> {
    if !e.fits() {
        Some(format!(
            "the design does not fit the {}: {}",
            board.display_name,
            text::over_budget(e)
        ))
    } else if !e.within(FIT_MARGIN) {
        Some(format!(
            "the design uses more than {:.0}% of the {} ({}): placement and routing may fail or \
             miss the {} ns clock",
            FIT_MARGIN * 100.0,
            board.display_name,
            text::over_budget_share(e, FIT_MARGIN),
            e.clock_ns
        ))
    } else {
        None
    }
}

/// The estimate of already-read work (the chooser calls this many times).
fn evaluate(
    w: &ModelWork,
    board: &Board,
    clock_ns: f64,
    folding: &Folding,
) -> Result<Estimate, EstimateError> {
    if !(clock_ns.is_finite() && clock_ns > 0.0) {
        return Err(EstimateError::Clock(clock_ns));
    }
    if folding.layers.len() != w.layers.len() {
        return Err(EstimateError::Folding {
            folding: folding.layers.len(),
            model: w.layers.len(),
        });
    }
    let interface = |latency_cycles| Overhead {
        lut: 2 * rules::M_AXI_LUT + rules::S_AXILITE_LUT,
        ff: 2 * rules::M_AXI_FF + rules::S_AXILITE_FF,
        bram18: 2 * rules::M_AXI_BRAM18,
        latency_cycles,
    };
    if folding.io == Io::Stream {
        let d = stream::design(w, board, clock_ns, folding)?;
        // The interface words are inside the read and write stages.
        let interface = interface(2 * rules::M_AXI_LATENCY);
        let sum = |f: &dyn Fn(&LayerEstimate) -> u64| d.layers.iter().map(f).sum::<u64>();
        let bram18 = sum(&|l| l.bram18) + d.memories.bram18 + interface.bram18;
        let totals = Totals {
            dsp: sum(&|l| l.dsp),
            lut: sum(&|l| l.lut) + d.memories.lut + interface.lut,
            ff: sum(&|l| l.ff) + d.memories.ff + interface.ff,
            bram36: bram18 as f64 / 2.0,
            latency_cycles: d.core_latency + interface.latency_cycles,
            core_latency_cycles: d.core_latency,
            ii: d.ii,
            core_ii: d.ii,
        };
        return Ok(finish(
            board,
            clock_ns,
            Io::Stream,
            false,
            d.layers,
            d.memories,
            interface,
            totals,
            Vec::new(),
        ));
    }
    let warnings = Vec::new();
    let mut layers = Vec::with_capacity(w.layers.len());
    // An all-latency design is one pipeline: every tensor in registers, every layer unrolled.
    let pipeline = folding
        .layers
        .iter()
        .all(|l| l.strategy == Strategy::Latency);
    // Banks of each activation array: a resource dense layer partitions its input by the
    // inputs of a step.
    let mut banks = vec![1u64; w.storage.len()];
    for (l, f) in w.layers.iter().zip(&folding.layers) {
        let e = if pipeline {
            cost::pipelined_layer(l, f, board, clock_ns)
        } else {
            cost::layer(l, f, board, clock_ns)
        };
        if let Shape::Mac(m) = &l.shape {
            if f.strategy == Strategy::Resource && !pipeline {
                // dense: its input by the inputs of a step; conv: as the plan partitions.
                let (in_banks, out_banks) = if m.conv {
                    cost::conv_banks(m, f)
                } else {
                    (cost::step_shape(m, f).1, 1)
                };
                if let Some(&x) = l.inputs.first() {
                    let s = w.storage[x];
                    banks[s] = banks[s].max(in_banks);
                }
                let s = w.storage[l.output];
                banks[s] = banks[s].max(out_banks);
            }
        }
        layers.push(e);
    }
    let mut mem = MemoryCost::default();
    for b in &w.buffers {
        if pipeline {
            // Registers at the layer boundaries (and the input register).
            mem.ff += b.len * b.width;
        } else {
            mem += array_cost(b.len, b.width, banks[b.tensor]);
        }
    }
    // In one pipeline, a layer's result is registered before the next layer (one cycle per
    // boundary: the jet tagger's csynth schedule registers 6 of its 7).
    let boundaries = if pipeline {
        layers
            .iter()
            .filter(|l| l.kernel != "view")
            .count()
            .saturating_sub(1) as u64
    } else {
        0
    };
    let buffers = Overhead {
        lut: mem.lut,
        ff: mem.ff,
        bram18: mem.bram18,
        latency_cycles: boundaries,
    };
    let interface = interface(2 * rules::M_AXI_LATENCY + w.input_words + w.output_words);
    let sum = |f: &dyn Fn(&LayerEstimate) -> u64| layers.iter().map(f).sum::<u64>();
    let bram18 = sum(&|l| l.bram18) + buffers.bram18 + interface.bram18;
    let totals = Totals {
        dsp: sum(&|l| l.dsp),
        lut: sum(&|l| l.lut) + buffers.lut + interface.lut,
        ff: sum(&|l| l.ff) + buffers.ff + interface.ff,
        bram36: bram18 as f64 / 2.0,
        latency_cycles: sum(&|l| l.latency_cycles)
            + buffers.latency_cycles
            + interface.latency_cycles,
        core_latency_cycles: sum(&|l| l.latency_cycles) + buffers.latency_cycles,
        ii: 0,
        core_ii: 0,
    };
    let mut totals = totals;
    if pipeline {
        // One sample per II: the slowest layer, or the interface's one word per cycle.
        totals.core_ii = layers.iter().map(|l| l.ii).max().unwrap_or(1).max(1);
        totals.ii = totals.core_ii.max(w.input_words).max(w.output_words);
    } else {
        totals.core_ii = totals.core_latency_cycles;
        totals.ii = totals.latency_cycles;
    }
    Ok(finish(
        board,
        clock_ns,
        Io::Parallel,
        pipeline,
        layers,
        buffers,
        interface,
        totals,
        warnings,
    ))
}

/// The estimate from its parts: utilisation of the board's budget, latency in microseconds.
#[allow(clippy::too_many_arguments)]
fn finish(
    board: &Board,
    clock_ns: f64,
    io: Io,
    pipelined: bool,
    layers: Vec<LayerEstimate>,
    buffers: Overhead,
    interface: Overhead,
    totals: Totals,
    warnings: Vec<String>,
) -> Estimate {
    let budget = board.resources;
    let pct = |used: f64, have: u64| {
        if have == 0 {
            if used > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        } else {
            100.0 * used / have as f64
        }
    };
    let utilization = Utilization {
        dsp: pct(totals.dsp as f64, budget.dsp),
        lut: pct(totals.lut as f64, budget.lut),
        ff: pct(totals.ff as f64, budget.ff),
        bram36: pct(totals.bram36, budget.bram36),
    };
    Estimate {
        board: board.display_name.to_string(),
        part: board.part.to_string(),
        clock_ns,
        layers,
        buffers,
        interface,
        totals,
        budget,
        utilization,
        latency_us: totals.latency_cycles as f64 * clock_ns / 1000.0,
        pipelined,
        warnings,
        io,
    }
}

#[cfg(test)]
mod tests;
