//! The estimate of a dataflow design (`io = stream`, [`crate::dataflow`]): every layer a
//! process, all processes overlapping, FIFOs between them.
//!
//! Rules (docs/estimator.md, "Stream designs", with the csynth reports they come from):
//! - a window stage (conv, pool) walks its padded input raster, one position per `R` cycles
//!   (pools: 1): `II = walk·R`, latency `walk·R + 4` (conv) or `+ 3` (pool); hls4ml's
//!   io_stream conv reports n+3..4 and its pool n+3 for n input pixels;
//! - a pixel stage: `II = words`, latency `words + 2` (hls4ml's relu: n+2);
//! - a tensor stage reads its inputs, runs the array kernel ([`super::cost::layer`]) and writes
//!   its output: `II = latency = words in + kernel latency + words out`;
//! - read and write stages: the interface words plus the pixels they stream;
//! - the top: `II = max stage II + 1`, `latency = max stage latency + stages + 3` (the fill of
//!   the other stages: 17 cycles for 14 stages in the SVHN report);
//! - resources of a stage: its kernel's ([`super::cost::layer`] at the plan's strategy and
//!   reuse factor; pixel stages × the word's channels),
//!   plus for window stages the line buffer (`span_h − 1` banks of `cols` words of
//!   `C·bits`, LUTRAM or BRAM by [`super::array_cost`]) and the window registers
//!   (`span_h·span_w·C·bits` FF); tensor stages hold their arrays ([`super::array_cost`]);
//! - one FIFO per stream, channels packed in one word: depth ≤ 16 ⇒ `2 FF + 13 LUT` per 16 bits
//!   of word (hls4ml's shallow per-channel FIFO, 16-bit); deeper ⇒ `51 FF + 102 LUT` of control
//!   and the block RAMs of `depth × word bits`.

use super::cost;
use super::rules::{array_cost, bram18_blocks, MemoryCost, SIMPLE_BASE_FF, SIMPLE_BASE_LUT};
use super::work::ModelWork;
use super::{EstimateError, Folding, LayerEstimate, Overhead};
use crate::board::Board;
use crate::dataflow::StageKind;

/// Extra cycles of a stage beyond its words (hls4ml io_stream csynth: conv n+3..4, pool n+3,
/// relu n+2).
const CONV_DEPTH: u64 = 4;
const POOL_DEPTH: u64 = 3;
const PIXEL_DEPTH: u64 = 2;
/// The dataflow top's II over its slowest process (hls4ml: max layer II + 1).
const TOP_II_EXTRA: u64 = 1;
/// Fill of a dataflow pipeline beyond its slowest stage: stages + this (SVHN: 14 stages, 17).
const FILL_EXTRA: u64 = 3;
/// A FIFO at most this deep is a shift register.
const SHALLOW_FIFO: u64 = 16;
/// hls4ml's shallow FIFO of one 16-bit channel.
const SHALLOW_FIFO_FF: u64 = 2;
const SHALLOW_FIFO_LUT: u64 = 13;
const SHALLOW_FIFO_BITS: u64 = 16;
/// hls4ml's deep FIFO: control beside its block RAM.
const DEEP_FIFO_FF: u64 = 51;
const DEEP_FIFO_LUT: u64 = 102;

/// The FIFO of one stream: `depth` words of `width` bits.
fn fifo_cost(depth: u64, width: u64) -> MemoryCost {
    if depth <= SHALLOW_FIFO {
        let units = width.div_ceil(SHALLOW_FIFO_BITS).max(1);
        MemoryCost {
            lut: SHALLOW_FIFO_LUT * units,
            ff: SHALLOW_FIFO_FF * units,
            bram18: 0,
        }
    } else {
        MemoryCost {
            lut: DEEP_FIFO_LUT,
            ff: DEEP_FIFO_FF,
            bram18: bram18_blocks(depth, width),
        }
    }
}

/// The stages (one per layer, in order), the FIFOs and line buffers, the top's II and core
/// latency.
pub(super) struct Design {
    pub layers: Vec<LayerEstimate>,
    pub memories: Overhead,
    pub ii: u64,
    pub core_latency: u64,
}

pub(super) fn design(
    w: &ModelWork,
    board: &Board,
    clock_ns: f64,
    folding: &Folding,
) -> Result<Design, EstimateError> {
    let sw = &w.stream;
    if sw.stages.len() != w.layers.len() {
        return Err(EstimateError::Folding {
            folding: sw.stages.len(),
            model: w.layers.len(),
        });
    }
    let words = |t: usize| sw.pixels.get(t).copied().unwrap_or(1);
    let word_bits =
        |t: usize| sw.channels.get(t).copied().unwrap_or(1) * sw.bits.get(t).copied().unwrap_or(0);
    let mut layers = Vec::with_capacity(w.layers.len());
    let mut mem = MemoryCost::default();
    for ((l, f), s) in w.layers.iter().zip(&folding.layers).zip(&sw.stages) {
        let mut e = cost::layer(l, f, board, clock_ns);
        let words_in: u64 = l.inputs.iter().map(|&t| words(t)).sum();
        let words_out = words(l.output);
        match s.kind {
            StageKind::Window => {
                let r = if s.pool { 1 } else { f.reuse_factor.max(1) };
                e.ii = s.walk * r;
                e.iterations = s.walk;
                e.depth = if s.pool { POOL_DEPTH } else { CONV_DEPTH };
                e.latency_cycles = e.ii + e.depth;
                let cin = l.inputs.first().map_or(0, |&t| word_bits(t));
                mem += array_cost(s.lines.0 * s.lines.1, cin, s.lines.0);
                mem.ff += s.window.0 * s.window.1 * cin;
            }
            StageKind::Pixel => {
                // One element's operator per channel of the word; the stage's control once.
                let c = sw.channels.get(l.output).copied().unwrap_or(1);
                let base = |v: u64, b: u64| v.min(b) + v.saturating_sub(b) * c;
                e.lut = base(e.lut, SIMPLE_BASE_LUT);
                e.ff = base(e.ff, SIMPLE_BASE_FF);
                e.dsp *= c;
                e.ii = words_out;
                e.iterations = words_out;
                e.depth = PIXEL_DEPTH;
                e.latency_cycles = words_out + PIXEL_DEPTH;
            }
            StageKind::Tensor => {
                let kernel = e.latency_cycles;
                e.ii = words_in + kernel + words_out;
                e.latency_cycles = e.ii;
                for &t in l.inputs.iter().chain([&l.output]) {
                    mem += array_cost(
                        words(t) * sw.channels.get(t).copied().unwrap_or(1),
                        sw.bits.get(t).copied().unwrap_or(0),
                        1,
                    );
                }
            }
        }
        layers.push(e);
    }
    // FIFOs: one per stream; a tensor read k > 1 times has k more (clone2 outputs) and k − 2
    // between the clones.
    for t in 0..sw.pixels.len() {
        let reads = sw.reads.get(t).copied().unwrap_or(0);
        if reads == 0 {
            continue;
        }
        let streams = if reads == 1 {
            1
        } else {
            1 + reads + (reads - 2)
        };
        for _ in 0..streams {
            mem += fifo_cost(sw.depths.get(t).copied().unwrap_or(2), word_bits(t));
        }
    }
    // The read (write) stage moves the interface words into an array and streams its pixels
    // (and back): at most twice its words.
    let in_words = w.input_words;
    let out_words = w.output_words;
    let stage_ii = layers
        .iter()
        .map(|l| l.ii)
        .chain([in_words + in_words, out_words + out_words])
        .max()
        .unwrap_or(1)
        .max(1);
    let stage_latency = layers
        .iter()
        .map(|l| l.latency_cycles)
        .chain([in_words + in_words, out_words + out_words])
        .max()
        .unwrap_or(1);
    let stages = layers.len() as u64 + 2;
    Ok(Design {
        layers,
        memories: Overhead {
            lut: mem.lut,
            ff: mem.ff,
            bram18: mem.bram18,
            latency_cycles: 0,
        },
        ii: stage_ii + TOP_II_EXTRA,
        core_latency: stage_latency + stages + FILL_EXTRA,
    })
}
