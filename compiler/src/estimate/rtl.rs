//! The estimate of the RTL design (`OUT/rtl/`, docs/rtl.md): LUT, CARRY8 and FF from what the
//! RTL emitter built, counted where it built it ([`crate::emit::rtl::Parts`]: every adder's
//! carry-chain bits, every register bit, every cast's rounding and compare bits, every select),
//! priced by the rules below. The rules are fitted to Yosys 0.23's `synth_xilinx -family xcup
//! -abc9` on small layers (docs/estimator.md "The RTL design"); CI keeps the ratio estimate /
//! Yosys within a band on a few fixtures (`tests/it/rtl_estimate.rs`).

use serde::Serialize;

use crate::emit::rtl::cast::CastParts;
use crate::emit::rtl::{emit_with, Parts, RtlError, RtlOptions};
use binpoint_runtime::model::Model;

/// What the report says these numbers are.
pub const LABEL: &str = "binpoint estimate of binpoint's RTL";

/// LUTs per carry-chain bit of an adder: one LUT6 feeds each CARRY8 bit (the sum's XOR in
/// the carry cell, the operands' XOR/XNOR in the LUT).
pub const LUT_PER_ADDER_BIT: f64 = 1.0;

/// Carry-chain bits per CARRY8.
pub const ADDER_BITS_PER_CARRY8: f64 = 8.0;

/// LUTs per bit of a cast's rounding increment (a half adder chain), over the kept bits that
/// reach the output: at most `W_out + 1` (the bits above only feed the overflow test).
pub const LUT_PER_ROUND_BIT: f64 = 1.0;

/// LUTs per compared bit of a saturating cast, over the kept bits above the output's (whether
/// they are all copies of the sign: a LUT6 tests several), plus per output bit for the select
/// of a bound (merged into the rounding's LUTs where there is one).
pub const LUT_PER_COMPARE_BIT: f64 = 0.25;
pub const LUT_PER_SATURATED_OUT_BIT: f64 = 0.25;

/// LUTs per bit of a ReLU's select without a register (with one, the select is the
/// flip-flop's synchronous reset: free).
pub const LUT_PER_SELECT_BIT: f64 = 0.5;

/// LUTs per bit of an exact comparison of two data values (a max tree's): the subtraction's
/// propagate bits on a carry chain.
pub const LUT_PER_DATA_COMPARE_BIT: f64 = 1.0;

/// LUTs per bit of a comparison with a constant (clip bounds, hard sigmoid's ends, a table
/// index's clamp): a LUT6 decides several bits at once.
pub const LUT_PER_CONST_COMPARE_BIT: f64 = 0.25;

/// LUTs per bit of a data select no register absorbs (a max tree's, clip's, an activation's
/// branches).
pub const LUT_PER_MUX_BIT: f64 = 0.75;

/// Entries of a ROM one LUT6 holds per output bit (an asynchronous read: distributed logic,
/// never a block RAM).
pub const ROM_ENTRIES_PER_LUT: f64 = 64.0;

/// Operand bits a DSP48E2 multiplies (signed 27 x 18).
pub const DSP_A_BITS: u32 = 27;
pub const DSP_B_BITS: u32 = 18;

/// One module's estimate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RtlCost {
    pub lut: u64,
    pub ff: u64,
    pub carry8: f64,
    pub adders: usize,
    /// DSP48E2 of the multipliers of two data operands (hard swish, mul, softmax).
    pub dsp: u64,
}

impl RtlCost {
    /// The cost of `parts` (a module's).
    pub fn of(parts: &Parts, registered_select: bool) -> RtlCost {
        let mut lut = 0.0;
        let mut carry8 = 0.0;
        for &b in &parts.adders {
            lut += LUT_PER_ADDER_BIT * f64::from(b);
            carry8 += (f64::from(b) / ADDER_BITS_PER_CARRY8).ceil();
        }
        for c in &parts.casts {
            lut += cast_luts(c);
            carry8 += (f64::from(round_bits(c)) / ADDER_BITS_PER_CARRY8).ceil();
        }
        if !registered_select {
            lut += LUT_PER_SELECT_BIT * parts.select_bits as f64;
        }
        for &b in &parts.compares {
            lut += LUT_PER_DATA_COMPARE_BIT * f64::from(b);
            carry8 += (f64::from(b) / ADDER_BITS_PER_CARRY8).ceil();
        }
        lut += LUT_PER_CONST_COMPARE_BIT * parts.const_compare_bits as f64;
        lut += LUT_PER_MUX_BIT * parts.mux_bits as f64;
        for &(entries, bits) in &parts.rom_reads {
            lut += rom_luts(entries, bits);
        }
        let dsp = parts.multipliers.iter().map(|&(a, b)| dsps(a, b)).sum();
        RtlCost {
            lut: lut.round() as u64,
            ff: parts.register_bits,
            carry8,
            adders: parts.adders.len(),
            dsp,
        }
    }

    fn add(&mut self, o: &RtlCost) {
        self.lut += o.lut;
        self.ff += o.ff;
        self.carry8 += o.carry8;
        self.adders += o.adders;
        self.dsp += o.dsp;
    }
}

/// LUTs of one read of a ROM of `entries` x `bits`: a LUT6 per 64 entries per bit (the wider
/// multiplexers between them are MUXF7/MUXF8, not LUTs, up to 256 entries; past that a LUT
/// per 4 more).
fn rom_luts(entries: u32, bits: u32) -> f64 {
    let per_bit = (f64::from(entries) / ROM_ENTRIES_PER_LUT).ceil();
    let muxes = ((per_bit - 4.0) / 3.0).ceil().max(0.0);
    (per_bit + muxes) * f64::from(bits)
}

/// DSP48E2 of an `a` x `b`-bit product (signed 27 x 18 each; wider ones are tiled).
fn dsps(a: u32, b: u32) -> u64 {
    let (hi, lo) = (a.max(b), a.min(b));
    let tiles = |w: u32, d: u32| u64::from(w.saturating_sub(1).div_ceil(d - 1).max(1));
    tiles(hi, DSP_A_BITS) * tiles(lo, DSP_B_BITS)
}

/// The rounding increment's bits that reach the output.
fn round_bits(c: &CastParts) -> u32 {
    c.round_bits.min(c.out_bits + 1)
}

fn cast_luts(c: &CastParts) -> f64 {
    let mut l = LUT_PER_ROUND_BIT * f64::from(round_bits(c));
    if c.compare_bits > 0 {
        l += LUT_PER_COMPARE_BIT * f64::from(c.compare_bits.saturating_sub(c.out_bits))
            + LUT_PER_SATURATED_OUT_BIT * f64::from(c.out_bits);
    }
    l
}

/// One layer's estimate.
#[derive(Clone, Debug, Serialize)]
pub struct RtlLayerEstimate {
    pub index: usize,
    pub layer: String,
    pub module: String,
    pub cycles: u32,
    pub cost: RtlCost,
}

/// The estimate of the whole RTL design.
#[derive(Clone, Debug, Serialize)]
pub struct RtlEstimate {
    pub label: &'static str,
    pub latency_cycles: u32,
    pub layers: Vec<RtlLayerEstimate>,
    /// The layers plus the top's input register, valid shift register and delay registers.
    pub total: RtlCost,
}

/// The estimate of `model`'s RTL built with `opts`.
pub fn estimate_rtl(model: &Model, opts: &RtlOptions) -> Result<RtlEstimate, RtlError> {
    let rtl = emit_with(model, opts)?;
    let mut total = RtlCost::default();
    let mut layers = Vec::new();
    for s in &rtl.stages {
        let cost = RtlCost::of(&s.parts, s.cycles > 0);
        total.add(&cost);
        layers.push(RtlLayerEstimate {
            index: s.index,
            layer: s.layer.clone(),
            module: s.module.clone(),
            cycles: s.cycles,
            cost,
        });
    }
    let input_bits: u32 = rtl.inputs.iter().map(|p| p.width).sum();
    total.ff += u64::from(input_bits) + u64::from(rtl.latency) + rtl.delay_bits;
    Ok(RtlEstimate {
        label: LABEL,
        latency_cycles: rtl.latency,
        layers,
        total,
    })
}
