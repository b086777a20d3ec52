//! report.json's `compression` (null without `--low-rank` or K-hot layers): which layers were
//! compressed and how, and the whole model's MACs and hardware estimate before and after.
//! "Before" is the same model compiled the same way without compression (no factorization, every
//! weight a plain multiply), typed on the same data and planned for the same board and flags by
//! the pipeline ([`crate::pipeline::compile`]); `compile` prints [`CompressionSummary::lines`].
//! The numbers are the binpoint estimate, not a synthesis result.

use std::fmt::Write;

use serde::Serialize;

use crate::estimate::Estimate;

/// One compressed layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompressedLayer {
    pub layer: String,
    /// `low-rank r=8 (64x784)` or `K-hot 2`.
    pub how: String,
}

/// A design's whole-model totals (binpoint estimate).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DesignTotals {
    /// Multiply-accumulates per sample (K-hot products count: they are shift-add MACs).
    pub macs: u64,
    pub dsp: u64,
    pub lut: u64,
    pub ff: u64,
    pub bram36: f64,
    pub latency_cycles: u64,
}

impl DesignTotals {
    pub fn new(macs: u64, e: &Estimate) -> DesignTotals {
        let t = &e.totals;
        DesignTotals {
            macs,
            dsp: t.dsp,
            lut: t.lut,
            ff: t.ff,
            bram36: t.bram36,
            latency_cycles: t.latency_cycles,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompressionSummary {
    pub layers: Vec<CompressedLayer>,
    /// The same model without compression.
    pub before: DesignTotals,
    pub after: DesignTotals,
}

impl CompressionSummary {
    /// Two lines for compile's stdout (also the report.txt section).
    pub fn lines(&self) -> String {
        let mut s = String::new();
        let list: Vec<String> = self
            .layers
            .iter()
            .map(|l| format!("{} {}", l.layer, l.how))
            .collect();
        let _ = writeln!(
            s,
            "compressed {} layer(s): {}",
            self.layers.len(),
            list.join(", ")
        );
        let (b, a) = (&self.before, &self.after);
        let _ = writeln!(
            s,
            "  whole model, uncompressed -> compressed (binpoint estimate): {} -> {} MACs per \
             sample, {} -> {} DSP, {} -> {} LUT, {} -> {} FF, {} -> {} BRAM36, {} -> {} cycles{}",
            b.macs,
            a.macs,
            b.dsp,
            a.dsp,
            b.lut,
            a.lut,
            b.ff,
            a.ff,
            b.bram36,
            a.bram36,
            b.latency_cycles,
            a.latency_cycles,
            worse(b, a)
        );
        s
    }
}

/// A note when compression made a resource or the latency worse (it can: a factorized layer is
/// two layers, and the folding chooser may spend what was saved differently).
fn worse(b: &DesignTotals, a: &DesignTotals) -> String {
    let mut w = Vec::new();
    if a.dsp > b.dsp {
        w.push("DSP");
    }
    if a.lut > b.lut {
        w.push("LUT");
    }
    if a.latency_cycles > b.latency_cycles {
        w.push("latency");
    }
    if w.is_empty() {
        String::new()
    } else {
        format!(" (more {} than without compression)", w.join(", "))
    }
}
