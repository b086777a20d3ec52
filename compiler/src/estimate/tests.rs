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
    let m = dense_16();
    let f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    assert_eq!(f.layers[0].reuse_factor, 1);
    assert_eq!(f.layers[0].block_factor, 64);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    // 64 multipliers of 16×16: one DSP48E2 each (16 ≤ 27, 16 ≤ 18).
    assert_eq!((l.multipliers, l.dsp_per_multiplier, l.dsp), (64, 1, 64));
    assert_eq!(l.multiplier, Some(Multiplier::Dsp));
    // LUT: base 150 + output cast (40 + 16) + weights 640 words in 64 banks of depth 10
    // (LUTRAM: 64·16·ceil(10/64) = 1024) + biases 10 words, one bank (16): 1246.
    assert_eq!(l.lut, 150 + 56 + 1024 + 16);
    // FF: base 100 + output register 16 + bank output registers 64·16 + 16: 1156.
    assert_eq!(l.ff, 100 + 16 + 1024 + 16);
    assert_eq!(l.bram18, 0);
    // Depth at 5 ns: read 2 + DSP 3 + adder tree log2(64) = 6 levels + 0 + write 2 = 13;
    // latency (10 − 1)·1 + 13 + 2 = 24.
    assert_eq!(
        (l.ii, l.iterations, l.depth, l.latency_cycles),
        (1, 10, 13, 24)
    );
    // Activation arrays: x (64 words, 64 banks: 64·16 LUT) and y (10 words: 16 LUT).
    assert_eq!(e.buffers.lut, 64 * 16 + 16);
    assert_eq!(e.buffers.bram18, 0);
    // Interfaces: 2 m_axi + s_axilite; 2 BRAM18; DDR: 2·40 + 64 + 10 cycles.
    assert_eq!(e.interface.lut, 1800);
    assert_eq!(e.interface.latency_cycles, 154);
    assert_eq!(e.totals.dsp, 64);
    assert_eq!(e.totals.bram36, 1.0);
    assert_eq!(e.totals.latency_cycles, 24 + 154);
    assert_eq!(e.totals.lut, 1246 + 1040 + 1800);
    assert!((e.utilization.dsp - 100.0 * 64.0 / 360.0).abs() < 1e-9);
    assert!(e.fits() && e.within(FIT_MARGIN));
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn dense_folded_by_four() {
    let m = dense_16();
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers[0].set_reuse(4);
    assert_eq!(f.layers[0].block_factor, 16);
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!((l.reuse_factor, l.multipliers, l.dsp), (4, 16, 16));
    // Weights in 16 banks of depth 40: 16·16 LUTs.
    assert_eq!(l.lut, 150 + 56 + 256 + 16);
    // Depth: 2 + 3 + log2(16) = 4 + (4 − 1) + 2 = 14; latency 9·4 + 14 + 2 = 52.
    assert_eq!((l.depth, l.latency_cycles), (14, 52));
    // x is now split in 16 banks of 4 words.
    assert_eq!(e.buffers.lut, 16 * 16 + 16);
}

#[test]
fn narrow_multiplies_go_to_luts() {
    let mut b = B::new(&[64], 8);
    b.dense(64, 10, 8, 24, 8);
    let m = b.done();
    let e = estimate(&m, u96(), 5.0).unwrap();
    let l = &e.layers[0];
    assert_eq!(l.multiplier, Some(Multiplier::Fabric));
    assert_eq!(l.dsp, 0);
    // 64 fabric multipliers of 8×8: (2·ceil(16/6) − 1)·16 = 80 LUTs each; 63 adders of 24 bits;
    // base 150; cast 24 + 8; weights 64 banks × 8 bits; biases 8.
    assert_eq!(l.lut, 64 * 80 + 63 * 24 + 150 + 32 + 64 * 8 + 8);
    // Fabric multipliers: 2 stages at 5 ns: depth 2 + 2 + 6 + 2 = 12.
    assert_eq!(l.depth, 12);
    // Forcing DSPs counts one per multiplier and no fabric adders (24 ≤ 48 bits).
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    f.layers[0].mul_impl = MulImpl::Dsp;
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    assert_eq!(e.layers[0].dsp, 64);
    assert_eq!(e.layers[0].lut, 150 + 32 + 64 * 8 + 8);
}

#[test]
fn wide_operands_take_several_dsps() {
    // 20-bit inputs and weights: 20 > 18 on the B port in both orientations: 2 DSPs each.
    let mut b = B::new(&[16], 20);
    b.dense(16, 4, 20, 50, 20);
    let m = b.done();
    let e = estimate_with(
        &m,
        u96(),
        5.0,
        &Folding::unfolded(&m, Strategy::Resource).unwrap(),
    )
    .unwrap();
    let l = &e.layers[0];
    assert_eq!((l.multipliers, l.dsp_per_multiplier, l.dsp), (16, 2, 32));
    // A 50-bit accumulator does not fit the 48-bit post-adder: 15 adders of 50 bits in LUTs.
    assert_eq!(l.lut, 150 + 15 * 50 + (50 + 20) + 16 * 20 + 20);
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
    f.layers[0].mul_impl = MulImpl::ShiftAdd;
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!(l.multiplier, Some(Multiplier::ShiftAdd));
    assert_eq!(l.dsp, 0);
    // Weights (i % 7) − 3 ∈ [−3, 3]: at most 2 CSD digits (3 = 4 − 1). Per product: 2 shifts of
    // 32 bits over ceil(log2(16)/2) = 2 select levels + 1 adder of 32 bits = 160 LUTs.
    let per = 2 * 32 * 2 + 32;
    assert_eq!(l.lut, 64 * per + 63 * 40 + 150 + 56 + 1024 + 16);
}

#[test]
fn conv_is_limited_by_its_input_ports() {
    // x[1][8][8] (16 bits) → conv 3×3, pad 1, 1→8 channels: y[8][8][8], 512 outputs, fan-in 9.
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
    let m = b.done();
    let f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    // 9 taps per output through 2 ports: reuse factor ceil(9/2) = 5, block factor 2.
    assert_eq!((f.layers[0].reuse_factor, f.layers[0].block_factor), (5, 2));
    let e = estimate_with(&m, u96(), 5.0, &f).unwrap();
    let l = &e.layers[0];
    assert_eq!((l.ii, l.multipliers, l.dsp), (5, 2, 2));
    assert_eq!(l.macs, 512 * 9);
    // Depth 2 + 3 + 1 + 4 + 2 = 12; latency 511·5 + 12 + 2.
    assert_eq!(l.latency_cycles, 511 * 5 + 14);
    // The view costs nothing and aliases the conv output, which the dense partitions in 512
    // banks of one word: 512·16 LUTs; plus x (64 words) and y (10 words).
    assert_eq!(e.layers[1].lut + e.layers[1].latency_cycles, 0);
    assert_eq!(e.buffers.lut, 512 * 16 + 16 + 16);
    // Asking for less than the port limit is reported, and HLS reaches 5 anyway.
    let mut g = f.clone();
    g.layers[0].set_reuse(1);
    let e1 = estimate_with(&m, u96(), 5.0, &g).unwrap();
    assert_eq!(e1.layers[0].ii, 5);
    assert!(e1.warnings[0].contains("below 5"), "{:?}", e1.warnings);
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
    // 512 → 128 at 16 bits: unfolded 512 DSPs (142%); halving once gives 256 (71% ≤ 80%).
    let mut b = B::new(&[512], 16);
    b.dense(512, 128, 16, 40, 16);
    let m = b.done();
    let f = choose_reuse(&m, u96()).unwrap();
    assert_eq!(f.layers[0].reuse_factor, 2);
    assert_eq!(f.layers[0].block_factor, 256);
    assert!(f.fits && f.within_margin && f.warning.is_none());
    let macs: Vec<(&str, u64)> = f
        .layers
        .iter()
        .filter(|l| l.is_mac())
        .map(|l| (l.name.as_str(), l.reuse_factor))
        .collect();
    assert_eq!(macs, [("dense0", 2)]);
    let e = estimate(&m, u96(), 5.0).unwrap();
    assert_eq!(e.totals.dsp, 256);
    // 65536 weights in 256 banks of 256 words × 16 bits: one BRAM18 each.
    assert_eq!(e.layers[0].bram18, 256);
    assert!(e.within(FIT_MARGIN), "{}", e.to_text());
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
    // Folded while it helped: from 256 multipliers on, LUTs are within the margin and the
    // weights need the same 8192 BRAM18 however they are banked, so folding stops there.
    assert_eq!(f.layers[0].reuse_factor, 16);
    let e = estimate(&m, u96(), 5.0).unwrap();
    assert!(!e.fits());
    assert!(e.warnings.iter().any(|w| w.contains("does not fit")));
    assert!(e.to_text().contains("fits: NO"));
}

#[test]
fn totals_serialize_with_the_report_keys() {
    let m = dense_16();
    let e = estimate(&m, u96(), 5.0).unwrap();
    let v = serde_json::to_value(e.totals).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["bram36", "dsp", "ff", "latency_cycles", "lut"]);
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
