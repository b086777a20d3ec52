//! Hand-computed layers: every number below is worked out in the comment next to it from the
//! rules in `rules.rs` (docs/estimator.md).

use binpoint_runtime::model::format::{
    layer::Kernel, ConvProto, DenseProto, LayerProto, ModelProto, TensorProto, TypeProto,
    ViewProto, WindowProto, MAGIC, VERSION,
};

use super::*;

fn ty(width: u32, int_bits: i32) -> TypeProto {
    TypeProto {
        signed: true,
        width,
        int_bits,
        rounding: 0,
        overflow: 0,
        sat_bits: 0,
    }
}

/// A model built layer by layer: tensors get ids in the order they are added.
struct B {
    m: ModelProto,
}

impl B {
    fn new(shape: &[u64], width: u32) -> B {
        let mut b = B {
            m: ModelProto {
                magic: MAGIC.into(),
                version: VERSION,
                name: "t".into(),
                ..Default::default()
            },
        };
        let x = b.tensor("x", shape, width);
        b.m.inputs.push(x);
        b
    }
    fn tensor(&mut self, name: &str, shape: &[u64], width: u32) -> u32 {
        self.m.tensors.push(TensorProto {
            name: name.into(),
            shape: shape.to_vec(),
            ty: Some(ty(width, 2)),
        });
        (self.m.tensors.len() - 1) as u32
    }
    fn last(&self) -> u32 {
        (self.m.tensors.len() - 1) as u32
    }
    fn layer(&mut self, name: &str, kernel: Kernel, out_shape: &[u64], out_width: u32) {
        let input = self.last();
        let output = self.tensor(name, out_shape, out_width);
        self.m.layers.push(LayerProto {
            name: name.into(),
            op: "Test".into(),
            inputs: vec![input],
            output,
            kernel: Some(kernel),
        });
    }
    fn dense(&mut self, n_in: u64, n_out: u64, w_bits: u32, acc_bits: u32, out_bits: u32) {
        let d = DenseProto {
            n_in,
            n_out,
            weight_type: Some(ty(w_bits, 1)),
            bias_type: Some(ty(w_bits, 2)),
            accum_type: Some(ty(acc_bits, 10)),
            weights: (0..n_in * n_out).map(|i| (i % 7) as i64 - 3).collect(),
            bias: vec![1; n_out as usize],
            khot: 0,
        };
        let name = format!("dense{}", self.m.layers.len());
        self.layer(&name, Kernel::Dense(d), &[n_out], out_bits);
    }
    fn done(mut self) -> ModelProto {
        let out = self.last();
        self.m.outputs.push(out);
        self.m
    }
}

/// Every Dense/Conv weight a distinct constant of three or more CSD digits: at R = 1 HLS builds
/// each product from its constant, so this is what makes every product a multiplier.
fn multi_digit_weights(m: &mut ModelProto) {
    for l in &mut m.layers {
        let w = match &mut l.kernel {
            Some(Kernel::Dense(d)) => &mut d.weights,
            Some(Kernel::Conv(c)) => &mut c.weights,
            _ => continue,
        };
        for (i, v) in w.iter_mut().enumerate() {
            *v = 21 + 32 * i as i64;
        }
    }
}

fn u96() -> &'static Board {
    Board::ultra96v2()
}

/// x[64] (16 bits) → dense 64→10, 16-bit weights and biases, 40-bit accumulator, 16-bit output.
fn dense_16() -> ModelProto {
    let mut b = B::new(&[64], 16);
    b.dense(64, 10, 16, 40, 16);
    b.done()
}

#[test]
fn dense_unfolded_by_hand() {
    let mut m = dense_16();
    multi_digit_weights(&mut m);
    let f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    // hls4ml's reuse factor: R = 1 puts all 64·10 products on their own multiplier.
    assert_eq!(f.layers[0].reuse_factor, 1);
    assert_eq!(f.layers[0].block_factor, 640);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    // 640 multipliers of 16×16: one DSP48E2 each (16 ≤ 27, 16 ≤ 18).
    assert_eq!((l.multipliers, l.dsp_per_multiplier, l.dsp), (640, 1, 640));
    assert_eq!(l.multiplier, Some(Multiplier::Dsp));
    // R = 1: the weights are constants (no weight memory), the products and their sums built
    // as the latency strategy builds them: 640 + 10 biases − 10 outputs = 640 adds of 40 bits
    // at 18 LUT per 16 bits (28,800) and 5 LUT per DSP multiplier (3,200). The output casts
    // truncate and wrap (AP_TRN, AP_WRAP): wiring. Biases: 10 banks of one word, registers.
    assert_eq!(l.lut, 150 + 28_800 + 3_200);
    // FF: base 100 + 10 accumulators of 40 + 10 outputs of 16 + 4.75 per add of 40 bits
    // (7,600) + the bias registers.
    assert_eq!(l.ff, 100 + 400 + 160 + 7_600 + 160);
    assert_eq!(l.bram18, 0);
    // Depth at 5 ns: read 2 + DSP 3 + adder tree log2(64) = 6 levels + write 2 = 13; one step:
    // latency 0 + 13 + 2 = 15.
    assert_eq!(
        (l.ii, l.iterations, l.depth, l.latency_cycles),
        (1, 1, 13, 15)
    );
    // Activation arrays: x (64 words in 64 banks: registers, 64·16 FF) and y (10 words: 16
    // LUT).
    assert_eq!(e.buffers.lut, 16);
    assert_eq!(e.buffers.ff, 64 * 16 + 16);
    // Interfaces: 2 m_axi + s_axilite; 2 BRAM18; DDR: 2·40 + 64 + 10 cycles.
    assert_eq!(e.interface.lut, 1800);
    assert_eq!(e.interface.latency_cycles, 154);
    assert_eq!(e.totals.dsp, 640);
    assert_eq!(e.totals.latency_cycles, 15 + 154);
    assert_eq!(e.totals.lut, 32_150 + 16 + 1800);
    // 640 DSPs do not fit the Ultra96-V2's 360.
    assert!(!e.fits());
    assert!(
        e.warnings.iter().any(|w| w.contains("does not fit")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn dense_folded_by_its_inputs() {
    let m = dense_16();
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    // R = 64 = n_in: one input of every output per step, 10 multipliers.
    assert_eq!(f.layers[0].set_reuse(64), 64);
    assert_eq!(f.layers[0].block_factor, 10);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!((l.reuse_factor, l.multipliers, l.dsp), (64, 10, 10));
    // Weights in 10 banks of depth 64: 10·16 LUTs; biases in 10 registers; casts wiring.
    assert_eq!(l.lut, 150 + 160);
    // Depth 2 + 3 + 0 (one product per output and step) + 2 = 7; latency 63 + 7 + 2 = 72.
    assert_eq!((l.depth, l.latency_cycles), (7, 72));
    // x is read one word per step: one bank.
    assert_eq!(e.buffers.lut, 16 + 16);
    assert!(e.fits() && e.within(FIT_MARGIN), "{:?}", e.warnings);
    // R = 128 > n_in: two groups of 5 outputs, one after the other, 5 multipliers.
    assert_eq!(f.layers[0].set_reuse(128), 128);
    assert_eq!(f.layers[0].block_factor, 5);
    // An invalid R becomes the nearest valid one: 10 does not divide 64; 8 and 16 are the
    // nearest valid factors, and a tie goes to the smaller.
    assert_eq!(f.layers[0].set_reuse(12), 8);
    assert_eq!(f.layers[0].set_reuse(100), 128);
}

#[test]
fn narrow_multiplies_go_to_luts() {
    let mut b = B::new(&[64], 8);
    b.dense(64, 10, 8, 24, 8);
    let m = b.done();
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers[0].set_reuse(64);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!(l.multiplier, Some(Multiplier::Fabric));
    assert_eq!(l.dsp, 0);
    // 10 fabric multipliers of 8×8: (2·ceil(16/6) − 1)·16 = 80 LUTs each; 10 adds of 24 bits;
    // base 150; weights 10 banks × 8 bits (biases: registers; casts: wiring).
    assert_eq!(l.lut, 10 * 80 + 10 * 24 + 150 + 80);
    // Fabric multipliers: 2 stages at 5 ns: depth 2 + 2 + 0 + 2 = 6.
    assert_eq!(l.depth, 6);
    // Forcing DSPs counts one per multiplier and no fabric adders (24 ≤ 48 bits).
    f.layers[0].mul_impl = MulImpl::Dsp;
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    assert_eq!(e.layers[0].dsp, 10);
    assert_eq!(e.layers[0].lut, 150 + 80);
}

#[test]
fn wide_operands_take_several_dsps() {
    // 20-bit inputs and weights: 20 > 18 on the B port in both orientations: 2 DSPs each.
    let mut b = B::new(&[16], 20);
    b.dense(16, 4, 20, 50, 20);
    let mut m = b.done();
    multi_digit_weights(&mut m);
    let e = estimate_with(
        &m,
        u96(),
        5.0,
        &Folding::unfolded(&m, Strategy::Resource).unwrap(),
    )
    .unwrap();
    let l = &e.layers[0];
    assert_eq!((l.multipliers, l.dsp_per_multiplier, l.dsp), (64, 2, 128));
    // R = 1, constant weights: 64 + 4 − 4 = 64 adds of 50 bits at 18 LUT per 16 bits (3,600)
    // and 5 LUT per multiplier (64 · 5); no weight memory; bias registers; casts wiring.
    assert_eq!(l.lut, 150 + 3_600 + 64 * 5);
    // An unsigned operand needs one more signed bit: 27 unsigned bits no longer fit A.
    let s = &u96().dsp_slice;
    assert_eq!(dsps_per_multiplier(rules::signed_bits(27, false), 18, s), 2);
    assert_eq!(dsps_per_multiplier(rules::signed_bits(26, false), 18, s), 1);
    assert_eq!(
        dsps_per_multiplier(rules::signed_bits(18, false), 18, s),
        1,
        "19 fits A"
    );
}

#[test]
fn shift_add_layers_use_no_dsp() {
    let m = dense_16();
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers[0].set_reuse(64);
    f.layers[0].mul_impl = MulImpl::ShiftAdd;
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!(l.multiplier, Some(Multiplier::ShiftAdd));
    assert_eq!(l.dsp, 0);
    // Weights (i % 7) − 3 ∈ [−3, 3]: at most 2 CSD digits (3 = 4 − 1). Per product: 2 shifts of
    // 32 bits over ceil(log2(16)/2) = 2 select levels + 1 adder of 32 bits = 160 LUTs; 10
    // products, 10 adds of 40 bits.
    let per = 2 * 32 * 2 + 32;
    assert_eq!(l.lut, 10 * per + 10 * 40 + 150 + 160);
}

#[test]
fn latency_layers_count_their_constants() {
    // Weights (i % 7) − 3: 0 (1 in 7), ±1 and ±2 (powers of two), ±3 (two digits: 4 − 1).
    let m = dense_16();
    let f = Folding::unfolded(&m, Strategy::Latency).unwrap();
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    // No constant has three digits: no multiplier, no DSP.
    assert_eq!((l.multipliers, l.dsp), (0, 0));
    // Every layer latency: one pipeline, the layer one cycle at 5 ns, II 1.
    assert!(e.pipelined);
    assert_eq!((l.ii, l.latency_cycles), (1, 1));
    assert_eq!(e.totals.core_ii, 1);
    // The interface moves one 64-word sample per 64 cycles.
    assert_eq!(e.totals.ii, 64);
    // A weight with three digits (7 = 8 − 1 has two; 11 = 8 + 4 − 1 has three) is a multiplier,
    // shared by the products of one input by one constant.
    let mut b = B::new(&[4], 16);
    b.dense(4, 3, 16, 40, 16);
    let mut m = b.done();
    if let Some(Kernel::Dense(d)) = &mut m.layers[0].kernel {
        d.weights = vec![11, 11, 0, 7, 11, -11, 0, 2, 11, 11, 3, 0];
    }
    let f = Folding::unfolded(&m, Strategy::Latency).unwrap();
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    // (input, constant) pairs of three digits: (0, 11), (1, 11), (0, -11)... rows are outputs:
    // output 0: x0·11, x1·11; output 1: x0·11, x1·-11; output 2: x0·11, x1·11. Distinct:
    // (0, 11), (1, 11), (1, -11) = 3.
    assert_eq!(e.layers[0].dsp, 3);
}

#[test]
fn conv_is_limited_by_its_input_ports() {
    // x[1][8][8] (16 bits) → conv 3×3, pad 1, 1→8 channels: y[8][8][8], 64 positions of 9 taps
    // into 8 outputs.
    let mut b = B::new(&[1, 8, 8], 16);
    let win = WindowProto {
        in_h: 8,
        in_w: 8,
        kernel_h: 3,
        kernel_w: 3,
        stride_h: 1,
        stride_w: 1,
        dilation_h: 1,
        dilation_w: 1,
        pad_top: 1,
        pad_left: 1,
        pad_bottom: 1,
        pad_right: 1,
        ceil_mode: false,
    };
    let c = ConvProto {
        rank: 2,
        in_channels: 1,
        out_channels: 8,
        groups: 1,
        window: Some(win),
        weight_type: Some(ty(16, 1)),
        bias_type: Some(ty(16, 2)),
        accum_type: Some(ty(36, 10)),
        weights: vec![1; 72],
        bias: vec![0; 8],
        khot: 0,
    };
    b.layer("conv", Kernel::Conv(c), &[8, 8, 8], 16);
    b.layer("flat", Kernel::View(ViewProto {}), &[512], 16);
    b.dense(512, 10, 16, 48, 16);
    let mut m = b.done();
    multi_digit_weights(&mut m);
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers[2].set_reuse(512);
    assert_eq!(
        (f.layers[0].reuse_factor, f.layers[0].block_factor),
        (1, 72)
    );
    // R = 1, arrays partitioned (the default): a step reads 9 taps and writes 8 outputs, so x
    // becomes 64 registers and y 8 planes; one position per cycle. Depth: the registers'
    // multiplexer (1) + the constant products (1 at 5 ns); latency 63 + 2 + 2.
    assert!(f.layers[0].partition);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!((l.ii, l.multipliers, l.dsp), (1, 72, 72));
    assert_eq!(l.macs, 512 * 9);
    assert_eq!(l.latency_cycles, 63 + 2 + 2);
    // Each tap read is a 64:1 multiplexer of 16 bits: ceil(64·16·0.3) = 308 LUT, 9 of them.
    f.layers[0].partition = false;
    let unpartitioned = estimate_with(&m, u96(), 5.0, &f).unwrap();
    assert_eq!(l.lut - unpartitioned.layers[0].lut, 9 * 308);
    // x in registers (64·16 FF instead of one LUTRAM bank's 16), y in 8 LUTRAM banks of 64
    // words (an output register each: 8·16 FF) instead of a block RAM of 512 words.
    assert_eq!(
        e.buffers.ff - unpartitioned.buffers.ff,
        (64 * 16 - 16) + 8 * 16
    );
    assert_eq!(unpartitioned.buffers.bram18 - e.buffers.bram18, 1);
    // Unpartitioned: 72 multipliers, but each step reads 9 taps through 2 ports (5 cycles) and
    // writes 8 outputs (4): 5 cycles a step.
    let l = &unpartitioned.layers[0];
    assert_eq!((l.ii, l.multipliers, l.dsp), (5, 72, 72));
    // Depth 2 + 3 + log2(9) = 4 + 2 = 11; latency 63·5 + 11 + 2.
    assert_eq!(l.latency_cycles, 63 * 5 + 13);
    f.layers[0].partition = true;
    // R = 9: one tap per step, no port limit: 64·9 steps.
    f.layers[0].set_reuse(9);
    let e9 = estimate_with(&m, u96(), 5.0, &f).unwrap();
    assert_eq!((e9.layers[0].ii, e9.layers[0].multipliers), (9, 8));
    assert_eq!(e9.layers[0].latency_cycles, 64 * 9 - 1 + 7 + 2);
    // The view costs nothing.
    assert_eq!(e9.layers[1].lut + e9.layers[1].latency_cycles, 0);
}

#[test]
fn slower_clock_shortens_pipelines() {
    let m = dense_16();
    let f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    let e = estimate_with(&m, u96(), 10.0, &f).unwrap();
    // At 10 ns: DSP 2 stages, two adder levels per stage: 2 + 2 + 3 + 0 + 2 = 9.
    assert_eq!(e.layers[0].depth, 9);
    assert!((e.latency_us - e.totals.latency_cycles as f64 * 10.0 / 1000.0).abs() < 1e-12);
    assert!(estimate_with(&m, u96(), 0.0, &f).is_err());
    assert!(estimate_with(&m, u96(), f64::NAN, &f).is_err());
}

#[test]
fn chooser_folds_a_layer_that_is_too_parallel() {
    // 512 → 128 at 16 bits, every weight a three-digit constant (11): the all-latency design
    // needs one multiplier per input (the 128 outputs share x_i·11): 512 DSPs (142%).
    let mut b = B::new(&[512], 16);
    b.dense(512, 128, 16, 40, 16);
    let mut m = b.done();
    if let Some(Kernel::Dense(d)) = &mut m.layers[0].kernel {
        d.weights = vec![11; 512 * 128];
    }
    let f = choose_reuse(&m, u96()).unwrap();
    assert!(f.fits && f.within_margin && f.warning.is_none(), "{f:?}");
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    assert!(e.within(FIT_MARGIN), "{}", e.to_text());
    // Not the most parallel design any more, and the fastest of the chooser's steps.
    let l = &f.layers[0];
    assert!(
        l.reuse_factor > 1 || l.strategy == Strategy::Resource,
        "{l:?}"
    );
}

#[test]
fn chooser_leaves_a_small_model_unfolded() {
    let m = dense_16();
    let f = choose_reuse(&m, u96()).unwrap();
    assert_eq!(f.layers[0].reuse_factor, 1);
    assert!(f.within_margin);
}

#[test]
fn chooser_keeps_shift_add_flags_and_lower_bounds() {
    let m = dense_16();
    let mut start = Folding::unfolded(&m, Strategy::Resource).unwrap();
    start.layers[0].mul_impl = MulImpl::ShiftAdd;
    start.layers[0].set_reuse(8);
    let f = fold_to_fit(&m, u96(), start, &Choice::free(m.layers.len())).unwrap();
    assert_eq!(f.layers[0].mul_impl, MulImpl::ShiftAdd);
    assert_eq!(f.layers[0].reuse_factor, 8);
}

#[test]
fn a_model_too_big_for_the_board_says_so() {
    // 4096 → 4096 at 8 bits: 128 Mb of weights; BRAM holds 7.6 Mb.
    let mut b = B::new(&[4096], 8);
    let d = DenseProto {
        n_in: 4096,
        n_out: 4096,
        weight_type: Some(ty(8, 1)),
        bias_type: None,
        accum_type: Some(ty(30, 10)),
        weights: Vec::new(),
        bias: Vec::new(),
        khot: 0,
    };
    b.layer("big", Kernel::Dense(d), &[4096], 8);
    let m = b.done();
    let f = choose_reuse(&m, u96()).unwrap();
    assert!(!f.fits && !f.within_margin);
    let w = f.warning.clone().unwrap();
    assert!(w.contains("does not fit the Avnet Ultra96-V2"), "{w}");
    assert!(w.contains("BRAM36"), "{w}");
    // An 8-bit design is not told to try `--bits 8` (issue 17), but fewer bits than it uses.
    assert!(!w.contains("--bits 8"), "{w}");
    assert!(
        w.contains("fewer bits than the 8 it uses (`--bits 6`"),
        "{w}"
    );
    // Folded down to resource (its weights need 8192 BRAM18 however they are banked).
    assert_eq!(f.layers[0].strategy, Strategy::Resource);
    let e = estimate(&m, u96(), 5.0).unwrap();
    assert!(!e.fits());
    assert!(e.warnings.iter().any(|w| w.contains("does not fit")));
    assert!(e.to_text().contains("fits: NO"));
}

#[test]
fn a_16_bit_design_too_big_is_told_to_try_8_bits() {
    let mut b = B::new(&[4096], 16);
    let d = DenseProto {
        n_in: 4096,
        n_out: 4096,
        weight_type: Some(ty(16, 1)),
        bias_type: None,
        accum_type: Some(ty(46, 10)),
        weights: Vec::new(),
        bias: Vec::new(),
        khot: 0,
    };
    b.layer("big", Kernel::Dense(d), &[4096], 16);
    let f = choose_reuse(&b.done(), u96()).unwrap();
    let w = f.warning.unwrap();
    assert!(w.contains("Try fewer bits (`--bits 8`"), "{w}");
}

#[test]
fn totals_serialize_with_the_report_keys() {
    let m = dense_16();
    let e = estimate(&m, u96(), 5.0).unwrap();
    let v = serde_json::to_value(e.totals).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bram36",
            "core_ii",
            "core_latency_cycles",
            "dsp",
            "ff",
            "ii",
            "latency_cycles",
            "lut"
        ]
    );
    let all = serde_json::to_value(&e).unwrap();
    assert_eq!(all["layers"][0]["multiplier"], "dsp");
    assert_eq!(all["budget"]["dsp"], 360);
}

#[test]
fn text_lists_layers_and_budget() {
    let m = dense_16();
    let t = estimate(&m, u96(), 5.0).unwrap().to_text();
    assert!(
        t.contains("Avnet Ultra96-V2 (xczu3eg-sbva484-1-i) at 5 ns (200.0 MHz)"),
        "{t}"
    );
    assert!(t.contains("dense0"), "{t}");
    assert!(t.contains("/ 360"), "{t}");
    assert!(t.contains("fits: yes"), "{t}");
}

#[test]
fn folding_must_match_the_model() {
    let m = dense_16();
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers.clear();
    assert!(matches!(
        estimate_with(&m, u96(), 5.0, &f),
        Err(EstimateError::Folding { .. })
    ));
    let mut bad = dense_16();
    bad.layers[0].kernel = None;
    assert!(estimate(&bad, u96(), 5.0).is_err());
    bad.layers[0].kernel = dense_16().layers[0].kernel.clone();
    bad.layers[0].output = 99;
    let e = estimate(&bad, u96(), 5.0).unwrap_err().to_string();
    assert!(e.contains("dense0") && e.contains("99"), "{e}");
}
