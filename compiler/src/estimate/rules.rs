//! The estimator's rules, each a small pure function with its source (docs/estimator.md has the
//! same list with the reasoning). Everything here is a rough model of what Vitis HLS and Vivado do:
//! good for folding choices and "will it fit" answers, not a replacement for the csynth report.

use crate::board::DspSlice;

/// A multiply whose narrower operand has at most this many bits is built from LUTs when HLS
/// chooses (`MulImpl::Auto`). Source: hls4ml's DSP estimator for the Vivado/Vitis backend
/// (`hls4ml/optimization/dsp_aware_pruning/objectives/vivado_objectives.py`: a layer with weights
/// narrower than 9 bits uses no DSP).
pub const FABRIC_MAX_BITS: u32 = 8;

/// A memory bank of at most this many words is built from LUTs (distributed RAM/ROM) instead of
/// block RAM. Source: FINN's MVAU estimate (weights of depth ≤ 128 as LUTs, `lut_estimation`),
/// close to what Vivado's `RAM_STYLE auto` does for small memories.
pub const LUTRAM_MAX_DEPTH: u64 = 128;

/// Words one LUT6 holds as distributed RAM/ROM (64×1).
const LUTRAM_WORDS_PER_LUT: u64 = 64;

/// Read ports of an unpartitioned on-chip array (true dual-port block RAM / LUTRAM): the
/// kernels' own constant ([`binpoint_runtime::ops::ARRAY_PORTS`]).
pub const ARRAY_PORTS: u64 = binpoint_runtime::ops::ARRAY_PORTS as u64;

/// A multiplexer of `inputs` words of `bits` bits, as HLS counts it: 0.3 LUT per input bit
/// (Vitis HLS 2022.2 on the jet tagger, `ap_return_*`: 3 inputs × 16 bits = 14 LUT), ×10.
pub const MUX_LUT_PER_INPUT_BIT_X10: u64 = 3;

/// A cast into `t` that is wiring: `AP_TRN` drops the fraction bits with an arithmetic shift and
/// `AP_WRAP` (without saturation bits) keeps the low `W` bits, so it costs no LUT; rounding
/// needs an incrementer, saturation a compare and a select. Measured: hls4ml's average pooling
/// baselines (`ap_fixed<16,6>`, AP_TRN/AP_WRAP, Vitis HLS 2024.1): 23.2 LUT per output for a sum
/// of two (one 17-bit adder and the cast), 55.2 for a sum of four (three adders and the cast).
pub fn cast_is_wiring(t: &binpoint_runtime::model::format::TypeProto) -> bool {
    use binpoint_runtime::model::format::{OverflowProto, RoundingProto};
    t.rounding == RoundingProto::Trn as i32
        && t.overflow == OverflowProto::Wrap as i32
        && t.sat_bits == 0
}

/// LUTs of a multiplexer choosing one of `inputs` words of `bits` bits (none for one input).
pub fn mux_luts(inputs: u64, bits: u64) -> u64 {
    if inputs <= 1 {
        0
    } else {
        (inputs * bits * MUX_LUT_PER_INPUT_BIT_X10).div_ceil(10)
    }
}

/// Fixed control cost of a compute layer (loop counters, FSM, address generation).
pub const LAYER_BASE_LUT: u64 = 150;
pub const LAYER_BASE_FF: u64 = 100;
/// The same for a one-element-per-cycle layer (activation, element-wise, copy).
pub const SIMPLE_BASE_LUT: u64 = 60;
pub const SIMPLE_BASE_FF: u64 = 50;

/// One `m_axi` adapter (read or write side, 32/64-bit data, default burst settings) and the
/// `s_axilite` control block: typical sizes of the adapters Vitis HLS generates, rounded.
pub const M_AXI_LUT: u64 = 800;
pub const M_AXI_FF: u64 = 1_100;
pub const M_AXI_BRAM18: u64 = 1;
pub const S_AXILITE_LUT: u64 = 200;
pub const S_AXILITE_FF: u64 = 250;
/// Cycles of DDR latency an `m_axi` burst pays before its first word.
pub const M_AXI_LATENCY: u64 = 40;
/// Constant products (latency strategy), measured on the csynth report of the jet tagger
/// (Vitis HLS 2022.2, 16-bit data and accumulator, 5 ns; docs/estimator.md "Constant products";
/// costs for 16-bit operators, scaled by width):
/// - an add of a product into its output's sum: 16 or 23 LUT, 18 on average;
pub const CONST_SUM_ADD_LUT_16: u64 = 18;
/// - a shift-add operator (two-digit constant, negation): 17-26 LUT, 27 on average with its
///   operand widening;
pub const CONST_SHIFT_ADD_LUT_16: u64 = 27;
/// - a multiplier by a constant of three or more digits: one DSP and 5 LUT;
pub const CONST_DSP_MUL_LUT: u64 = 5;
/// - the output return mux of each 16-bit output: 14 LUT;
pub const CONST_OUTPUT_LUT_16: u64 = 14;
/// - registers: each output, plus 4.75 FF per add (the partial sums crossing the pipeline
///   register), ×100;
pub const CONST_SUM_ADD_FF_16_X100: u64 = 475;

/// Cycles of an unrolled constant-weight layer: HLS chains the multiplier and the adder tree
/// (65 terms in the jet tagger) into one cycle at 5 ns (the four dense layers: 1 cycle each);
/// without an adder tree (one term per output) nothing is registered (hls4ml's Dense(1→n)
/// baselines: 0 cycles); at a faster clock, two.
pub fn const_layer_cycles(max_row_terms: u64, clock_ns: f64) -> u64 {
    if max_row_terms <= 1 {
        0
    } else if clock_ns >= 4.5 {
        1
    } else {
        2
    }
}
/// Loop entry/exit cycles every pipelined loop adds.
pub const LOOP_OVERHEAD: u64 = 2;

/// Signed width of an operand: an unsigned type needs one more bit in a signed DSP port.
pub fn signed_bits(width: u32, signed: bool) -> u32 {
    width + u32::from(!signed)
}

/// DSP slices one multiplier of two signed operands (`a`, `b` bits, signed widths) needs when it
/// is built from DSPs: 1 when it fits the slice's `A×B` multiplier in either orientation, else the
/// operands are split into limbs (a signed top limb of the full port width, unsigned lower limbs
/// of one bit less) and every pair of limbs takes a slice; the better orientation counts.
/// 27×18 → 1, 28×18 → 2, 32×32 → 4 on a DSP48E2.
pub fn dsps_per_multiplier(a: u32, b: u32, slice: &DspSlice) -> u64 {
    let limbs = |w: u32, port: u32| -> u64 {
        if w <= port {
            1
        } else {
            1 + u64::from((w - port).div_ceil(port - 1))
        }
    };
    let orient = |x: u32, y: u32| limbs(x, slice.a_bits) * limbs(y, slice.b_bits);
    orient(a, b).min(orient(b, a))
}

/// LUTs of one multiplier built from fabric, `a × b` bits. Source: FINN-R (Blott et al., 2018) as
/// used by FINN's `lut_estimation`: `(2·ceil((a+b)/6) − 1)·(a+b)`.
pub fn fabric_multiplier_luts(a: u32, b: u32) -> u64 {
    let s = u64::from(a + b);
    (2 * s.div_ceil(6) - 1) * s
}

/// Does HLS build a multiply of these raw widths in LUTs by default?
pub fn auto_is_fabric(a_width: u32, b_width: u32) -> bool {
    a_width.min(b_width) <= FABRIC_MAX_BITS
}

/// BRAM18 blocks of one bank of `depth` words × `width` bits, in the best aspect ratio of an
/// 18 Kb block (UG573: 16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36).
pub fn bram18_blocks(depth: u64, width: u64) -> u64 {
    const SHAPES: [(u64, u64); 6] = [
        (16_384, 1),
        (8_192, 2),
        (4_096, 4),
        (2_048, 9),
        (1_024, 18),
        (512, 36),
    ];
    if depth == 0 || width == 0 {
        return 0;
    }
    SHAPES
        .iter()
        .map(|&(d, w)| depth.div_ceil(d) * width.div_ceil(w))
        .min()
        .unwrap_or(0)
}

/// Where an on-chip array bank lives and what it costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryCost {
    pub lut: u64,
    pub ff: u64,
    pub bram18: u64,
}

impl std::ops::AddAssign for MemoryCost {
    fn add_assign(&mut self, o: MemoryCost) {
        self.lut += o.lut;
        self.ff += o.ff;
        self.bram18 += o.bram18;
    }
}

/// An array of `len` words × `width` bits split into `banks` (cyclic partitioning): each bank is
/// LUTRAM when it holds at most [`LUTRAM_MAX_DEPTH`] words (`width · ceil(depth/64)` LUTs and an
/// output register), else block RAM ([`bram18_blocks`]).
pub fn array_cost(len: u64, width: u64, banks: u64) -> MemoryCost {
    if len == 0 || width == 0 {
        return MemoryCost::default();
    }
    let banks = banks.clamp(1, len);
    let depth = len.div_ceil(banks);
    if depth == 1 {
        // Completely partitioned: one register per word.
        MemoryCost {
            lut: 0,
            ff: banks * width,
            bram18: 0,
        }
    } else if depth <= LUTRAM_MAX_DEPTH {
        MemoryCost {
            lut: banks * width * depth.div_ceil(LUTRAM_WORDS_PER_LUT),
            ff: banks * width,
            bram18: 0,
        }
    } else {
        MemoryCost {
            lut: 0,
            ff: 0,
            bram18: banks * bram18_blocks(depth, width),
        }
    }
}

/// Non-zero digits of `v` in canonical signed digit form (non-adjacent form): a constant multiply
/// by `v` as shifts and adds takes `nnz − 1` adders.
pub fn csd_nonzeros(v: i64) -> u32 {
    let mut v = i128::from(v);
    let mut n = 0;
    while v != 0 {
        if v & 1 != 0 {
            // The digit is +1 when v ≡ 1 (mod 4), −1 when v ≡ 3.
            let d = 2 - (v & 3);
            v -= d;
            n += 1;
        }
        v >>= 1;
    }
    n
}

/// Levels of a two-input adder tree summing `n` values.
pub fn tree_levels(n: u64) -> u64 {
    if n <= 1 {
        0
    } else {
        u64::from(64 - (n - 1).leading_zeros())
    }
}

/// Pipeline stages of a multiplier at `clock_ns`: a DSP multiplier (more at a fast clock and when
/// split over several slices), or a fabric multiplier.
pub fn multiplier_stages(dsps: u64, clock_ns: f64) -> u64 {
    let fast = clock_ns < 8.0;
    match (dsps, fast) {
        (0, true) => 2,
        (0, false) => 1,
        (1, true) => 3,
        (1, false) => 2,
        (_, true) => 4,
        (_, false) => 3,
    }
}

/// Adder-tree levels one pipeline stage holds at `clock_ns` (one at 200 MHz and faster, two at
/// 125 MHz and slower).
pub fn adder_levels_per_stage(clock_ns: f64) -> u64 {
    if clock_ns < 8.0 {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Board;

    fn e2() -> DspSlice {
        Board::ultra96v2().dsp_slice
    }

    #[test]
    fn dsp_count_of_a_multiplier() {
        let s = e2();
        assert_eq!(dsps_per_multiplier(8, 8, &s), 1);
        assert_eq!(dsps_per_multiplier(27, 18, &s), 1);
        assert_eq!(dsps_per_multiplier(18, 27, &s), 1, "either orientation");
        assert_eq!(dsps_per_multiplier(19, 19, &s), 2, "19 > 18 on both sides");
        assert_eq!(dsps_per_multiplier(28, 18, &s), 2);
        assert_eq!(
            dsps_per_multiplier(28, 10, &s),
            2,
            "28 bits exceed both ports"
        );
    }

    #[test]
    fn wide_multipliers_split_into_limbs() {
        let s = e2();
        // 32 on A: a 27-bit signed limb + one 26-bit unsigned limb; 32 on B: 18 + 17 -> 2 × 2.
        assert_eq!(dsps_per_multiplier(32, 32, &s), 4);
        // 16 × 32: 32 on A (2 limbs) × 16 on B (1) = 2.
        assert_eq!(dsps_per_multiplier(16, 32, &s), 2);
        // 48 × 48: A limbs 1 + ceil(21/26) = 2, B limbs 1 + ceil(30/17) = 3.
        assert_eq!(dsps_per_multiplier(48, 48, &s), 6);
        // DSP48E1 (25 × 18): 26 × 18 needs two.
        let e1 = Board::by_name("pynq-z2").unwrap().dsp_slice;
        assert_eq!(dsps_per_multiplier(25, 18, &e1), 1);
        assert_eq!(dsps_per_multiplier(26, 18, &e1), 2);
    }

    #[test]
    fn fabric_rule_and_cost() {
        assert!(auto_is_fabric(8, 16));
        assert!(auto_is_fabric(16, 4));
        assert!(!auto_is_fabric(9, 9));
        assert!(!auto_is_fabric(16, 16));
        // FINN-R: (2·ceil(16/6) − 1)·16 = 5·16.
        assert_eq!(fabric_multiplier_luts(8, 8), 80);
        // (2·ceil(24/6) − 1)·24 = 7·24.
        assert_eq!(fabric_multiplier_luts(8, 16), 168);
    }

    #[test]
    fn block_ram_shapes() {
        assert_eq!(bram18_blocks(1_024, 18), 1);
        assert_eq!(bram18_blocks(1_024, 8), 1, "2K×9 holds it");
        assert_eq!(bram18_blocks(2_048, 16), 2, "2 × 1K×18");
        assert_eq!(bram18_blocks(512, 64), 2, "2 × 512×36");
        assert_eq!(bram18_blocks(16_384, 1), 1);
        assert_eq!(bram18_blocks(300, 16), 1);
        assert_eq!(bram18_blocks(0, 16), 0);
    }

    #[test]
    fn arrays_small_banks_go_to_luts() {
        // 64 × 32 weights of 8 bits in 64 banks: 64 banks of 32 words -> LUTRAM, 8 LUTs each.
        let c = array_cost(64 * 32, 8, 64);
        assert_eq!(
            c,
            MemoryCost {
                lut: 512,
                ff: 512,
                bram18: 0
            }
        );
        // The same in one bank: 2048 words of 8 bits -> 2K×9 block: one BRAM18.
        assert_eq!(
            array_cost(2048, 8, 1),
            MemoryCost {
                lut: 0,
                ff: 0,
                bram18: 1
            }
        );
        // 129 words: just past the LUTRAM limit.
        assert_eq!(array_cost(129, 16, 1).bram18, 1);
        assert_eq!(
            array_cost(128, 16, 1),
            MemoryCost {
                lut: 32,
                ff: 16,
                bram18: 0
            }
        );
        // More banks than words: one word per bank, a register.
        assert_eq!(
            array_cost(4, 8, 16),
            MemoryCost {
                lut: 0,
                ff: 32,
                bram18: 0
            }
        );
    }

    #[test]
    fn csd_digits() {
        assert_eq!(csd_nonzeros(0), 0);
        assert_eq!(csd_nonzeros(1), 1);
        assert_eq!(csd_nonzeros(-1), 1);
        assert_eq!(csd_nonzeros(7), 2, "8 - 1");
        assert_eq!(csd_nonzeros(-7), 2);
        assert_eq!(csd_nonzeros(5), 2, "4 + 1");
        assert_eq!(csd_nonzeros(0b1011), 3, "16 - 4 - 1");
        assert_eq!(csd_nonzeros(-128), 1);
        assert_eq!(csd_nonzeros(i64::MIN), 1);
        assert_eq!(
            csd_nonzeros(0x5555),
            8,
            "alternating bits have no shorter form"
        );
    }

    #[test]
    fn adder_tree_levels() {
        assert_eq!(tree_levels(0), 0);
        assert_eq!(tree_levels(1), 0);
        assert_eq!(tree_levels(2), 1);
        assert_eq!(tree_levels(3), 2);
        assert_eq!(tree_levels(4), 2);
        assert_eq!(tree_levels(9), 4);
        assert_eq!(tree_levels(64), 6);
    }
}
