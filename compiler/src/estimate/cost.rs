//! The cost model: a layer's [`Work`] and its folding → DSP, LUT, FF, BRAM and cycles
//! (docs/estimator.md explains every term).

use super::rules::{
    adder_levels_per_stage, array_cost, auto_is_fabric, dsps_per_multiplier,
    fabric_multiplier_luts, multiplier_stages, tree_levels, MemoryCost, LAYER_BASE_FF,
    LAYER_BASE_LUT, LOOP_OVERHEAD, SIMPLE_BASE_FF, SIMPLE_BASE_LUT,
};
use super::work::{KhotWork, Mac, Operand, Shape, Stream, Work};
use super::{LayerEstimate, LayerPlan, MulImpl, Multiplier};
use crate::board::Board;

/// Cycles to read a memory, register the operands, and cast and write a result.
const READ_STAGES: u64 = 2;
const WRITE_STAGES: u64 = 2;

pub(super) fn layer(w: &Work, fold: &LayerPlan, board: &Board, clock_ns: f64) -> LayerEstimate {
    let mut e = LayerEstimate {
        name: w.name.clone(),
        kernel: w.kernel.to_string(),
        macs: w.macs,
        reuse_factor: 1,
        multipliers: 0,
        multiplier: None,
        dsp_per_multiplier: 0,
        dsp: 0,
        lut: 0,
        ff: 0,
        bram18: 0,
        ii: 0,
        iterations: 0,
        depth: 0,
        latency_cycles: 0,
    };
    match &w.shape {
        Shape::Mac(m) => mac(&mut e, m, fold, board, clock_ns),
        Shape::Stream(s) => stream(&mut e, s, fold.mul_impl, board, clock_ns),
        Shape::View => {}
    }
    e
}

/// How one multiply is built: the kind and, for DSPs, the slices per multiplier.
fn resolve(a: Operand, b: Operand, imp: MulImpl, board: &Board) -> (Multiplier, u64) {
    let kind = match imp {
        MulImpl::Auto if auto_is_fabric(a.width, b.width) => Multiplier::Fabric,
        MulImpl::Auto | MulImpl::Dsp => Multiplier::Dsp,
        MulImpl::Fabric => Multiplier::Fabric,
        MulImpl::ShiftAdd => Multiplier::ShiftAdd,
    };
    let dsps = match kind {
        Multiplier::Dsp => dsps_per_multiplier(a.signed_bits(), b.signed_bits(), &board.dsp_slice),
        _ => 0,
    };
    (kind, dsps)
}

/// The reuse factor a MAC layer reaches with `requested`: at least what its input ports allow, at
/// most its fan-in.
pub(super) fn effective_reuse(m: &Mac, requested: u64) -> u64 {
    requested.max(m.min_reuse).clamp(1, m.fan_in.max(1))
}

fn mac(e: &mut LayerEstimate, m: &Mac, fold: &LayerPlan, board: &Board, clock_ns: f64) {
    if let Some(k) = &m.khot {
        return khot_mac(e, m, k, fold, clock_ns);
    }
    let r = effective_reuse(m, fold.reuse_factor);
    let p = m.fan_in.div_ceil(r);
    let (kind, dsp_each) = resolve(m.x, m.w, fold.mul_impl, board);
    let (xs, ws) = (u64::from(m.x.signed_bits()), u64::from(m.w.signed_bits()));
    let acc = u64::from(m.acc_bits);
    // The adders that sum the P products (and, when R > 1, accumulate over R cycles).
    let adders = p - 1 + u64::from(r > 1);
    let (mut lut, mut ff, mut dsp) = (0, 0, 0);
    match kind {
        Multiplier::Dsp => {
            dsp = p * dsp_each;
            // mul→add chains go into the DSPs' post-adders while the sum fits P (UG1399, "DSP
            // Multi-Operation Matching"); wider accumulators add in fabric.
            if m.acc_bits > board.dsp_slice.p_bits {
                lut += adders * acc;
                ff += adders * acc;
            }
        }
        Multiplier::Fabric => {
            lut += p * fabric_multiplier_luts(m.x.signed_bits(), m.w.signed_bits());
            ff += p * (xs + ws);
            lut += adders * acc;
            ff += adders * acc;
        }
        Multiplier::ShiftAdd => {
            // K terms per product: K shifts of x (log2(W_w) select levels, two per LUT6) and K − 1
            // adders, then the adders that sum the products.
            let k = u64::from(m.max_terms.max(1));
            let shift_levels = tree_levels(u64::from(m.w.width)).div_ceil(2).max(1);
            lut += p * (k * (xs + ws) * shift_levels + (k - 1) * (xs + ws));
            ff += p * (xs + ws);
            lut += adders * acc;
            ff += adders * acc;
        }
    }
    // The output cast: rounding adder and saturation select.
    lut += acc + u64::from(m.out_bits);
    ff += u64::from(m.out_bits);
    let mut mem = array_cost(m.weights.len, m.weights.width, p);
    mem += array_cost(m.bias.len, m.bias.width, 1);
    e.reuse_factor = r;
    e.multipliers = p;
    e.multiplier = Some(kind);
    e.dsp_per_multiplier = dsp_each;
    e.dsp = dsp;
    e.lut = LAYER_BASE_LUT + lut + mem.lut;
    e.ff = LAYER_BASE_FF + ff + mem.ff;
    e.bram18 = mem.bram18;
    e.ii = r;
    e.iterations = m.outputs;
    e.depth = READ_STAGES
        + multiplier_stages(dsp_each, clock_ns)
        + tree_levels(p).div_ceil(adder_levels_per_stage(clock_ns))
        + (r - 1)
        + WRITE_STAGES;
    e.latency_cycles = if m.outputs == 0 {
        0
    } else {
        (m.outputs - 1) * r + e.depth + LOOP_OVERHEAD
    };
}

/// A K-hot layer (`*_shift_add.h`): no multiplier and no DSP; every weight is a constant-shift
/// circuit of `nnz_CSD - 1` adders of the product's width, every non-zero product one adder of
/// the accumulator's width into its output's sum, one output cast per parallel output. The
/// weights are wired in (no weight memory). Dense runs once (all outputs in parallel); conv
/// pipelines its positions at the input-port limit.
fn khot_mac(e: &mut LayerEstimate, m: &Mac, k: &KhotWork, fold: &LayerPlan, clock_ns: f64) {
    let (xs, ws) = (u64::from(m.x.signed_bits()), u64::from(m.w.signed_bits()));
    let acc = u64::from(m.acc_bits);
    let r = if k.iterations > 1 {
        effective_reuse(m, fold.reuse_factor)
    } else {
        1
    };
    let lut = k.weight_adders * (xs + ws)
        + k.product_adders * acc
        + k.parallel * (acc + u64::from(m.out_bits));
    let ff = k.parallel * (acc + u64::from(m.out_bits));
    let bias = array_cost(m.bias.len, m.bias.width, m.bias.len.max(1));
    e.reuse_factor = r;
    e.multipliers = 0;
    e.multiplier = Some(Multiplier::ShiftAdd);
    e.dsp_per_multiplier = 0;
    e.dsp = 0;
    e.lut = LAYER_BASE_LUT + lut + bias.lut;
    e.ff = LAYER_BASE_FF + ff + bias.ff;
    e.bram18 = bias.bram18;
    e.ii = r;
    e.iterations = k.iterations;
    e.depth = READ_STAGES
        + tree_levels(k.max_row_terms.max(1)).div_ceil(adder_levels_per_stage(clock_ns))
        + WRITE_STAGES;
    e.latency_cycles = if k.iterations == 0 {
        0
    } else {
        (k.iterations - 1) * r + e.depth + LOOP_OVERHEAD
    };
}

fn stream(e: &mut LayerEstimate, s: &Stream, imp: MulImpl, board: &Board, clock_ns: f64) {
    let (mut lut, mut ff, mut dsp) = (SIMPLE_BASE_LUT, SIMPLE_BASE_FF, 0);
    let mut mult_stages = 0;
    for &(a, b) in &s.mults {
        // Element-wise multiplies by a variable cannot become shift-adds.
        let imp = if imp == MulImpl::ShiftAdd {
            MulImpl::Auto
        } else {
            imp
        };
        let (kind, dsps) = resolve(a, b, imp, board);
        match kind {
            Multiplier::Dsp => dsp += dsps,
            _ => {
                lut += fabric_multiplier_luts(a.signed_bits(), b.signed_bits());
                ff += u64::from(a.signed_bits() + b.signed_bits());
            }
        }
        e.multiplier = Some(kind);
        e.dsp_per_multiplier = e.dsp_per_multiplier.max(dsps);
        mult_stages = mult_stages.max(multiplier_stages(dsps, clock_ns));
    }
    for &bits in &s.adders {
        lut += u64::from(bits);
        ff += u64::from(bits);
    }
    for &bits in &s.compares {
        lut += u64::from(bits);
    }
    lut += u64::from(s.out_bits);
    ff += u64::from(s.out_bits);
    let mut mem = MemoryCost::default();
    for rom in &s.roms {
        mem += array_cost(rom.len, rom.width, 1);
    }
    e.multipliers = s.mults.len() as u64;
    e.dsp = dsp;
    e.lut = lut + mem.lut;
    e.ff = ff + mem.ff;
    e.bram18 = mem.bram18;
    e.ii = s.ii.max(1);
    e.iterations = s.loops * s.trips;
    e.depth = READ_STAGES + mult_stages + u64::from(!s.adders.is_empty()) + WRITE_STAGES;
    e.latency_cycles = if s.trips == 0 {
        0
    } else {
        s.loops * ((s.trips - 1) * e.ii + e.depth + LOOP_OVERHEAD)
    };
}
