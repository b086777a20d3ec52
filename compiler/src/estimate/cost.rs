//! The cost model: a layer's [`Work`] and its folding → DSP, LUT, FF, BRAM and cycles
//! (docs/estimator.md explains every term).

use super::rules::{
    adder_levels_per_stage, array_cost, auto_is_fabric, const_layer_cycles, csd_nonzeros,
    dsps_per_multiplier, fabric_multiplier_luts, multiplier_stages, mux_luts, tree_levels,
    MemoryCost, ARRAY_PORTS, CONST_DSP_MUL_LUT, CONST_OUTPUT_LUT_16, CONST_SHIFT_ADD_LUT_16,
    CONST_SUM_ADD_FF_16_X100, CONST_SUM_ADD_LUT_16, LAYER_BASE_FF, LAYER_BASE_LUT, LOOP_OVERHEAD,
    SIMPLE_BASE_FF, SIMPLE_BASE_LUT,
};
use super::work::{KhotWork, Mac, Operand, Shape, Stream, Work};
use super::{LayerEstimate, LayerPlan, MulImpl, Multiplier};
use crate::board::Board;
use crate::hardware::Strategy;
use binpoint_runtime::ops::MacFold;

/// Cycles to read a memory, register the operands, and cast and write a result.
const READ_STAGES: u64 = 2;
const WRITE_STAGES: u64 = 2;

pub(super) fn layer(w: &Work, fold: &LayerPlan, board: &Board, clock_ns: f64) -> LayerEstimate {
    let mut e = LayerEstimate {
        name: w.name.clone(),
        kernel: w.kernel.to_string(),
        strategy: fold.strategy,
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

/// A layer inside one pipeline (an all-latency design): MAC layers as [`layer`]; every other
/// layer unrolled over its elements (each its own hardware: comparators, adders, multipliers,
/// a table copy per two lookups) and chained into the pipeline: no cycle of its own unless it
/// reads a table, multiplies or reduces (softmax).
pub(super) fn pipelined_layer(
    w: &Work,
    fold: &LayerPlan,
    board: &Board,
    clock_ns: f64,
) -> LayerEstimate {
    let mut e = layer(w, fold, board, clock_ns);
    let Shape::Stream(s) = &w.shape else {
        return e;
    };
    let elements = s.trips.max(1);
    let one = {
        let mut unit = s.clone();
        unit.roms.clear();
        // Unrolled, every element multiplies by its own constant: cost each as the costliest.
        for c in &mut unit.const_mults {
            let worst = c.values.iter().copied().max_by_key(|&v| csd_nonzeros(v));
            c.values = worst.into_iter().collect();
        }
        let mut u = e.clone();
        stream(&mut u, &unit, fold.mul_impl, board, clock_ns);
        u
    };
    let mut mem = MemoryCost::default();
    for rom in &s.roms {
        for _ in 0..s.trips.div_ceil(ARRAY_PORTS) {
            mem += array_cost(rom.len, rom.width, 1);
        }
    }
    e.dsp = one.dsp * elements;
    e.lut = (one.lut - SIMPLE_BASE_LUT) * elements + mem.lut;
    e.ff = (one.ff - SIMPLE_BASE_FF - u64::from(s.out_bits)) * elements + mem.ff;
    e.bram18 = mem.bram18;
    e.multipliers = one.multipliers * elements;
    e.ii = 1;
    e.iterations = 1;
    let reduce = if s.loops > 1 {
        tree_levels(s.trips).div_ceil(2)
    } else {
        0
    };
    let mults = u64::from(one.multipliers > 0);
    e.depth = u64::from(!s.roms.is_empty()) * (1 + u64::from(s.loops > 1)) + mults + reduce;
    e.latency_cycles = e.depth;
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

fn mac(e: &mut LayerEstimate, m: &Mac, fold: &LayerPlan, board: &Board, clock_ns: f64) {
    if let Some(k) = &m.khot {
        return khot_mac(e, m, k, fold, clock_ns);
    }
    match fold.strategy {
        Strategy::Latency => latency_mac(e, m, fold, board, clock_ns),
        Strategy::Resource => resource_mac(e, m, fold, board, clock_ns),
    }
}

/// The shape of one step of a resource MAC kernel: (outputs, inputs of each) (`MacFold`).
pub(super) fn step_shape(m: &Mac, fold: &LayerPlan) -> (u64, u64) {
    let outs = (m.n_out / step_groups(m, fold)).max(1);
    (outs, (fold.block_factor / outs).max(1))
}

/// Output groups done one after another (`output_groups`): `R / fan_in` when `R > fan_in`.
fn step_groups(m: &Mac, fold: &LayerPlan) -> u64 {
    let r = fold.reuse_factor.max(1);
    if r > m.fan_in {
        r / m.fan_in.max(1)
    } else {
        1
    }
}

/// The kernels' folding of a planned layer ([`binpoint_runtime::ops::MacFold`]): the bank
/// counts below are the ones the emitter writes into the C++ CONFIG.
fn mac_fold(fold: &LayerPlan) -> MacFold {
    MacFold {
        strategy: fold.strategy.mac(),
        reuse_factor: fold.reuse_factor.max(1) as usize,
        partition: fold.partition,
    }
}

/// Banks of a resource convolution's input and output arrays (`in_banks`, `out_banks` of
/// `conv2d.h`); (1, 1) for dense and the latency strategy.
pub(super) fn conv_banks(m: &Mac, fold: &LayerPlan) -> (u64, u64) {
    if !m.conv || fold.strategy == Strategy::Latency {
        return (1, 1);
    }
    let f = mac_fold(fold);
    let (n_in, n_out) = (m.fan_in as usize, m.n_out as usize);
    (
        f.conv_in_banks(n_in, n_out, m.groups as usize, m.input_words as usize) as u64,
        f.conv_out_banks(n_in, n_out) as u64,
    )
}

/// Input taps one step of a resource convolution reads (its outputs may span groups).
fn conv_reads(m: &Mac, fold: &LayerPlan) -> u64 {
    mac_fold(fold).conv_reads_per_step(m.fan_in as usize, m.n_out as usize, m.groups as usize)
        as u64
}

/// The cycles one step of a resource MAC kernel takes: 1, or for a convolution whose arrays
/// are not partitioned, the taps it reads (and the outputs it writes) through an array's two
/// ports.
pub(super) fn step_ii(m: &Mac, fold: &LayerPlan) -> u64 {
    if !m.conv || fold.strategy == Strategy::Latency {
        return 1;
    }
    let (in_banks, out_banks) = conv_banks(m, fold);
    let reads = if in_banks == 1 {
        conv_reads(m, fold).div_ceil(ARRAY_PORTS)
    } else {
        1
    };
    let writes = if out_banks == 1 {
        step_shape(m, fold).0.div_ceil(ARRAY_PORTS)
    } else {
        1
    };
    reads.max(writes).max(1)
}

/// `resource`: `R` steps per position, each `block_factor` products on as many multipliers (DSP
/// or LUT as HLS chooses), the weights in a ROM of `block_factor` banks, one accumulator per
/// output of a step.
fn resource_mac(e: &mut LayerEstimate, m: &Mac, fold: &LayerPlan, board: &Board, clock_ns: f64) {
    let r = fold.reuse_factor.max(1);
    let p = fold.block_factor.max(1);
    let (outs, ins) = step_shape(m, fold);
    let (kind, dsp_each) = resolve(m.x, m.w, fold.mul_impl, board);
    let (xs, ws) = (u64::from(m.x.signed_bits()), u64::from(m.w.signed_bits()));
    let acc = u64::from(m.acc_bits);
    // Every product is added into its output's accumulator: the step's adder trees and the
    // accumulation add, one adder per product.
    let adders = p;
    let (mut lut, mut ff, mut dsp) = (0, 0, 0);
    // At R = 1 the weight ROM is split into single registers, each read by one multiplier at a
    // fixed index: HLS propagates the constants and builds each product and the sums from the
    // weights' bits as in `latency` (hls4ml's resource Conv2D baseline at R = 1: 740-792 DSP for
    // 1536 products), with no weight memory left.
    let constant = r == 1 && kind != Multiplier::ShiftAdd;
    let mults = if constant {
        lut += per_16_bits(m.constants.shift_adds * CONST_SHIFT_ADD_LUT_16, xs);
        lut += per_16_bits(m.constants.sum_adds * CONST_SUM_ADD_LUT_16, acc);
        ff += per_16_bits(m.constants.sum_adds * CONST_SUM_ADD_FF_16_X100 / 100, acc);
        m.constants.multipliers.min(p)
    } else {
        p
    };
    match kind {
        Multiplier::Dsp => {
            dsp = mults * dsp_each;
            if constant {
                lut += mults * CONST_DSP_MUL_LUT;
            } else if m.acc_bits > board.dsp_slice.p_bits {
                // mul→add chains go into the DSPs' post-adders while the sum fits P (UG1399,
                // "DSP Multi-Operation Matching"); wider accumulators add in fabric.
                lut += adders * acc;
            }
        }
        Multiplier::Fabric => {
            lut += mults * fabric_multiplier_luts(m.x.signed_bits(), m.w.signed_bits());
            ff += mults * (xs + ws);
            if !constant {
                lut += adders * acc;
            }
        }
        Multiplier::ShiftAdd => {
            // K terms per product: K shifts of x (log2(W_w) select levels, two per LUT6) and K − 1
            // adders.
            let k = u64::from(m.max_terms.max(1));
            let shift_levels = tree_levels(u64::from(m.w.width)).div_ceil(2).max(1);
            lut += p * (k * (xs + ws) * shift_levels + (k - 1) * (xs + ws));
            ff += p * (xs + ws);
            lut += adders * acc;
        }
    }
    ff += outs * acc;
    // The output cast of each accumulator: rounding adder and saturation select (none when
    // it truncates and wraps).
    if !m.out_cast_wiring {
        lut += outs * (acc + u64::from(m.out_bits));
    }
    ff += outs * u64::from(m.out_bits);
    // A partitioned input is registers (counted with the activation arrays); each tap a step
    // reads is a multiplexer over the words that tap takes over the positions and steps.
    let (in_banks, _) = conv_banks(m, fold);
    if in_banks > 1 {
        let steps = (r / step_groups(m, fold)).max(1);
        let candidates = (m.positions * steps).min(m.input_words).max(1);
        lut += conv_reads(m, fold) * mux_luts(candidates, u64::from(m.x.width));
    }
    let mut mem = if constant {
        MemoryCost::default()
    } else {
        array_cost(m.weights.len, m.weights.width, p)
    };
    mem += array_cost(m.bias.len, m.bias.width, outs);
    let sii = step_ii(m, fold);
    e.reuse_factor = r;
    e.multipliers = mults;
    e.multiplier = Some(kind);
    e.dsp_per_multiplier = dsp_each;
    e.dsp = dsp;
    e.lut = LAYER_BASE_LUT + lut + mem.lut;
    e.ff = LAYER_BASE_FF + ff + mem.ff;
    e.bram18 = mem.bram18;
    e.ii = r * sii;
    e.iterations = m.positions * r;
    e.depth = if r == 1 && in_banks > 1 {
        // Registers through a multiplexer (one stage), then the constant products and their
        // sums as the latency strategy builds them (hls4ml's resource Conv2D at R = 1: 49
        // pixels in 52 cycles).
        1 + const_layer_cycles(m.constants.max_row_nonzero, clock_ns)
    } else {
        READ_STAGES
            + multiplier_stages(dsp_each, clock_ns)
            + tree_levels(ins).div_ceil(adder_levels_per_stage(clock_ns))
            + WRITE_STAGES
    };
    e.latency_cycles = if m.positions == 0 {
        0
    } else {
        (m.positions * r - 1) * sii + e.depth + LOOP_OVERHEAD
    };
}

/// `latency`: every product of a position written out with its constant weight, built as the
/// constant says ([`super::work::ConstMatrix`]), at most `block_factor` multipliers; the sums'
/// adds, the output registers and a one-cycle pipeline (rules::CONST_* and docs/estimator.md:
/// measured on the jet tagger's csynth report).
fn latency_mac(e: &mut LayerEstimate, m: &Mac, fold: &LayerPlan, board: &Board, clock_ns: f64) {
    let c = &m.constants;
    let r = fold.reuse_factor.max(1);
    let mults = c.multipliers.min(fold.block_factor.max(1));
    let (kind, dsp_each) = resolve(m.x, m.w, fold.mul_impl, board);
    let acc = u64::from(m.acc_bits);
    let xs = u64::from(m.x.signed_bits());
    let out = u64::from(m.out_bits);
    let mut lut = 0;
    let mut dsp = 0;
    match kind {
        Multiplier::Dsp => {
            dsp = mults * dsp_each;
            lut += mults * CONST_DSP_MUL_LUT;
        }
        _ => lut += mults * fabric_multiplier_luts(m.x.signed_bits(), m.w.signed_bits()),
    }
    lut += per_16_bits(c.shift_adds * CONST_SHIFT_ADD_LUT_16, xs);
    lut += per_16_bits(c.sum_adds * CONST_SUM_ADD_LUT_16, acc);
    let depth = const_layer_cycles(c.max_row_nonzero, clock_ns);
    // Without an adder tree nothing is registered: the products are the outputs (no return
    // mux, no output register; hls4ml's Dense(1→64) baselines).
    let outputs = if depth > 0 { m.n_out } else { 0 };
    lut += per_16_bits(outputs * CONST_OUTPUT_LUT_16, out);
    let ff = outputs * out + per_16_bits(c.sum_adds * CONST_SUM_ADD_FF_16_X100 / 100, acc);
    e.reuse_factor = r;
    e.multipliers = mults;
    e.multiplier = Some(kind);
    e.dsp_per_multiplier = dsp_each;
    e.dsp = dsp;
    e.lut = lut;
    e.ff = ff;
    e.bram18 = 0;
    e.ii = r;
    e.iterations = m.positions;
    e.depth = depth;
    e.latency_cycles = if m.positions <= 1 {
        e.depth + (r - 1)
    } else {
        (m.positions - 1) * r + e.depth + LOOP_OVERHEAD
    };
}

/// `cost16 · bits / 16`, rounded: a cost measured on 16-bit operators, for `bits`-bit ones.
fn per_16_bits(cost16: u64, bits: u64) -> u64 {
    (cost16 * bits + 8) / 16
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
        fold.reuse_factor.max(k.min_ii).max(1)
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
    let mut multipliers = s.mults.len() as u64;
    for c in &s.const_mults {
        // A loop over positions with different constants multiplies by a variable.
        let digits = if c.values.len() > 1 { 3 } else { c.digits() };
        match digits {
            0 | 1 => {}
            2 => {
                let bits = u64::from(c.x.width + c.c.width);
                lut += bits;
                ff += bits;
            }
            _ => {
                let (kind, dsps) = resolve(c.x, c.c, MulImpl::Auto, board);
                match kind {
                    Multiplier::Dsp => dsp += dsps,
                    _ => {
                        lut += fabric_multiplier_luts(c.x.signed_bits(), c.c.signed_bits());
                        ff += u64::from(c.x.signed_bits() + c.c.signed_bits());
                    }
                }
                e.multiplier = Some(kind);
                e.dsp_per_multiplier = e.dsp_per_multiplier.max(dsps);
                mult_stages = mult_stages.max(multiplier_stages(dsps, clock_ns));
                multipliers += 1;
            }
        }
    }
    for &bits in &s.adders {
        lut += u64::from(bits);
        ff += u64::from(bits);
    }
    for &bits in &s.compares {
        lut += u64::from(bits);
    }
    if !s.out_is_wiring {
        lut += u64::from(s.out_bits);
    }
    ff += u64::from(s.out_bits);
    let mut mem = MemoryCost::default();
    for rom in &s.roms {
        mem += array_cost(rom.len, rom.width, 1);
    }
    e.multipliers = multipliers;
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
