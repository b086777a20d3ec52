//! The estimator on the compiled fixtures: every model folds to fit the Ultra96-V2, the numbers
//! are the same on every run, and cnn_bn's MAC layers carry the hand-checked values of
//! docs/estimator.md ("Worked example").

use crate::compile_util;

use binpoint::board::Board;
use binpoint::estimate::{choose_reuse, estimate, estimate_with, Folding, Multiplier, FIT_MARGIN};
use binpoint::hardware::Strategy;
use binpoint_runtime::model::format::ModelProto;
use compile_util::{graph, inputs, lowered, typed, MODELS};

fn compiled(model: &str, bits: u32) -> ModelProto {
    let g = graph(model, 13, false);
    let x = inputs(&g, "train_x", 256);
    lowered(&typed(&g, &x, bits)).proto
}

#[test]
fn every_fixture_fits_the_ultra96v2_at_8_and_16_bits() {
    let board = Board::ultra96v2();
    for model in MODELS {
        for bits in [8, 16] {
            let m = compiled(model, bits);
            let e = estimate(&m, board, board.default_clock_ns)
                .unwrap_or_else(|e| panic!("{model} {bits}: {e}"));
            assert!(e.within(FIT_MARGIN), "{model} {bits}:\n{}", e.to_text());
            assert!(e.warnings.is_empty(), "{model} {bits}: {:?}", e.warnings);
            assert_eq!(e.layers.len(), m.layers.len());
            let macs: u64 = e.layers.iter().map(|l| l.macs).sum();
            assert!(macs > 0 && e.totals.latency_cycles > 0, "{model} {bits}");
            // Deterministic: the same estimate twice.
            let again = estimate(&m, board, board.default_clock_ns).unwrap();
            assert_eq!(e, again);
            println!("--- {model}, {bits} bits\n{}", e.to_text());
        }
    }
}

#[test]
fn cnn_bn_layers_by_hand() {
    let board = Board::ultra96v2();
    let m = compiled("cnn_bn", 16);
    // Every MAC layer `resource` with one input (tap) per step: R = its fan-in.
    let mut f = Folding::unfolded(&m, Strategy::Resource).unwrap();
    for l in f.layers.iter_mut().filter(|l| l.is_mac()) {
        let r = l.fan_in;
        assert_eq!(l.set_reuse(r), r);
    }
    let e = estimate_with(&m, board, 5.0, &f).unwrap();
    let by_kernel = |k: &'static str| e.layers.iter().filter(move |l| l.kernel == k);
    let convs: Vec<_> = by_kernel("conv2d").collect();
    assert_eq!(convs.len(), 2);
    // conv 1 → 8, 3×3 on 8×8: 9 taps into 8 outputs per pixel; R = 9: 8 multipliers, 9 steps
    // of one tap per pixel (no port limit), 64 pixels.
    let c1 = convs[0];
    assert_eq!((c1.ii, c1.multipliers, c1.iterations), (9, 8, 64 * 9));
    assert_eq!(c1.macs, 512 * 9);
    // conv 8 → 16, 3×3 on 4×4: 72 taps into 16 outputs; R = 72: 16 multipliers, 16 pixels.
    let c2 = convs[1];
    assert_eq!((c2.ii, c2.multipliers, c2.iterations), (72, 16, 16 * 72));
    // 16-bit operands: one DSP48E2 per multiplier.
    for c in [c1, c2] {
        assert_eq!(c.multiplier, Some(Multiplier::Dsp));
        assert_eq!(c.dsp, c.multipliers);
    }
    // dense 64 → 10 at R = 64: 10 multipliers.
    let d: Vec<_> = by_kernel("dense").collect();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].reuse_factor, d[0].multipliers, d[0].dsp),
        (64, 10, 10)
    );
    assert_eq!(e.totals.dsp, 8 + 16 + 10);
    // The chooser's design fits within the margin and is at least as fast.
    let chosen = choose_reuse(&m, board).unwrap();
    assert!(chosen.within_margin && chosen.warning.is_none());
    let ec = estimate_with(&m, board, 5.0, &chosen).unwrap();
    assert!(ec.totals.latency_cycles <= e.totals.latency_cycles);

    // At 8 bits every multiply goes to LUTs.
    let m8 = compiled("cnn_bn", 8);
    let e8 = estimate(&m8, board, 5.0).unwrap();
    assert_eq!(e8.totals.dsp, 0, "{}", e8.to_text());
    assert!(e8.totals.lut > 0);
}

#[test]
fn fully_folded_is_the_smallest() {
    let board = Board::ultra96v2();
    let m = compiled("mlp", 16);
    let un = estimate_with(
        &m,
        board,
        5.0,
        &Folding::unfolded(&m, Strategy::Resource).unwrap(),
    )
    .unwrap();
    let full = estimate_with(&m, board, 5.0, &Folding::fully_folded(&m).unwrap()).unwrap();
    assert!(full.totals.dsp < un.totals.dsp);
    assert!(full.totals.lut < un.totals.lut);
    assert!(full.totals.latency_cycles > un.totals.latency_cycles);
    for l in full.layers.iter().filter(|l| l.kernel == "dense") {
        assert_eq!(l.multipliers, 1);
    }
}

#[test]
fn other_boards() {
    let m = compiled("resnet", 16);
    for name in ["zcu104", "pynq-z2"] {
        let b = Board::lookup(name).unwrap();
        let e = estimate(&m, b, b.default_clock_ns).unwrap();
        assert_eq!(e.budget, b.resources);
        assert!(e.fits(), "{name}:\n{}", e.to_text());
    }
}
