//! Typing the committed fixtures (both exporters, BatchNorm folded and kept), calibrated on the
//! digits training inputs: every tensor typed, no calibration value saturated by a max-abs type,
//! range propagation never narrower than calibration, the LUTs reproduce softmax, and the integer
//! bits chosen for cnn_bn.

use binpoint::passes::CleanupOptions;
use binpoint::quant::{
    calibrate, count_saturations, fit_input, load_npy, propagate, type_graph, Calibration,
    Interval, Kernel, Method, PrecisionConfig, RangeSource, TypeOrigin, TypedGraph,
};
use binpoint::Graph;
use binpoint_runtime::Fixed;
use ndarray::{ArrayD, Axis, Slice};
use std::path::PathBuf;

const MODELS: &[&str] = &["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn graph(model: &str, opset: u32, keep_batch_norm: bool) -> Graph {
    let path = fixtures().join(format!("{model}/{model}_opset{opset}.onnx"));
    binpoint::load_float_graph(&path, &CleanupOptions { keep_batch_norm })
        .unwrap_or_else(|e| panic!("{model} opset {opset}: {e}"))
}

/// The first `n` digits training inputs in the graph's input shape.
fn train_inputs(g: &Graph, n: usize) -> ArrayD<f32> {
    let x = load_npy(fixtures().join("data/train_x.npy")).unwrap();
    let n = n.min(x.shape()[0]);
    let x = x.slice_axis(Axis(0), Slice::from(0..n)).to_owned();
    fit_input(g, g.inputs()[0], x).unwrap()
}

fn typed(g: &Graph, cal: &Calibration, bits: u32) -> TypedGraph {
    type_graph(
        g,
        &PrecisionConfig::uniform(bits).unwrap(),
        RangeSource::Calibrated(cal),
    )
    .unwrap_or_else(|e| panic!("{bits} bits: {e}"))
}

fn int_bits(t: &TypedGraph, name: &str) -> i32 {
    t.by_name(name)
        .unwrap_or_else(|| panic!("no layer {name}"))
        .output
        .ty
        .int_bits()
}

#[test]
fn every_fixture_is_typed_and_max_abs_types_never_saturate() {
    for model in MODELS {
        for opset in [13, 18] {
            for keep in [false, true] {
                let g = graph(model, opset, keep);
                let x = train_inputs(&g, 512);
                let cal = calibrate(&g, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
                for bits in [8, 16] {
                    let what = format!("{model} opset{opset} keep_bn={keep} {bits} bits");
                    let t = typed(&g, &cal, bits);
                    // No float left in the IR itself.
                    for n in t.graph.node_indices() {
                        let node = t.graph.node(n);
                        assert!(
                            matches!(node.ty, binpoint::ir::TensorType::Fixed(_)),
                            "{what}: {} is {}",
                            node.name,
                            node.ty
                        );
                    }
                    assert_eq!(t.layers.len(), t.graph.node_count(), "{what}");
                    for sat in count_saturations(&t, std::slice::from_ref(&x)).unwrap() {
                        let origin = t.by_name(&sat.node).unwrap().output.origin;
                        match origin {
                            TypeOrigin::Calibrated | TypeOrigin::Inherited => assert_eq!(
                                sat.saturated, 0,
                                "{what}: {} ({}) saturates in {}",
                                sat.node, sat.op, sat.ty
                            ),
                            // Constants and LUT entries may clip their top value by under a step.
                            _ => assert!(
                                sat.worst_steps <= 1.0 + 1e-9,
                                "{what}: {} clips by {} steps",
                                sat.node,
                                sat.worst_steps
                            ),
                        }
                    }
                    let json = serde_json::to_value(&t).unwrap();
                    assert_eq!(
                        json["layers"].as_array().map(|l| l.len()),
                        Some(t.graph.node_count())
                    );
                }
                // Range propagation types the same graph without data.
                let tp = type_graph(
                    &g,
                    &PrecisionConfig::uniform(16).unwrap(),
                    RangeSource::Propagated(vec![Interval::new(0.0, 1.0)]),
                )
                .unwrap_or_else(|e| panic!("{model} opset{opset} propagation: {e}"));
                assert!(tp.ranges.starts_with("propagation"));
            }
        }
    }
}

/// The integer bits calibration chooses for cnn_bn (opset 13, all 1437 training inputs).
#[test]
fn cnn_bn_integer_bits_at_8_and_16_bits() {
    let folded = graph("cnn_bn", 13, false);
    let x = train_inputs(&folded, usize::MAX);
    let cal = calibrate(&folded, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    let layers = [
        ("input", 2),
        ("/features/features.0/Conv", 4),
        ("/features/features.2/Relu", 4),
        ("/features/features.4/Conv", 5),
        ("/features/features.7/MaxPool", 5),
        ("/fc/Gemm", 6),
        ("/features/features.0/Conv.weight", 3),
        ("/features/features.4/Conv.weight", 1),
        ("/fc/Gemm.weight", 1),
        ("/fc/Gemm.bias", -2),
    ];
    for bits in [8, 16] {
        let t = typed(&folded, &cal, bits);
        print_types(&t);
        for (name, i) in layers {
            assert_eq!(int_bits(&t, name), i, "{name} at {bits} bits");
            assert_eq!(t.by_name(name).unwrap().output.ty.width(), bits);
        }
        // conv0: 8+8 bits of product, 9 taps (+4), plus the bias (+1).
        let Kernel::Mac { accum, fan_in, .. } =
            &t.by_name("/features/features.0/Conv").unwrap().kernel
        else {
            panic!("conv is not a MAC")
        };
        assert_eq!(*fan_in, 9);
        assert_eq!(accum.width(), 2 * bits + 4 + 1);
        assert_eq!(accum.int_bits(), 2 + 3 + 4 + 1);
    }

    let kept = graph("cnn_bn", 13, true);
    let cal = calibrate(&kept, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    for bits in [8, 16] {
        let t = typed(&kept, &cal, bits);
        print_types(&t);
        for (name, i) in [
            ("/features/features.0/Conv", 2),
            ("/features/features.1/BatchNormalization", 4),
            ("/features/features.4/Conv", 4),
            ("/features/features.5/BatchNormalization", 5),
            ("/fc/Gemm", 6),
        ] {
            assert_eq!(int_bits(&t, name), i, "kept BN: {name} at {bits} bits");
        }
        let bn = t
            .by_name("/features/features.1/BatchNormalization")
            .unwrap();
        assert_eq!(bn.op, "Affine");
        let Kernel::Mac { fan_in, bias, .. } = &bn.kernel else {
            panic!("BatchNorm is not an affine MAC")
        };
        assert_eq!((*fan_in, bias.is_some()), (1, true));
    }
}

fn print_types(t: &TypedGraph) {
    for (_, l) in t.ordered() {
        let extra = match &l.kernel {
            Kernel::Mac { accum, .. } => format!("accum {accum}"),
            _ => String::new(),
        };
        eprintln!(
            "{:<45} {:<10} {:<36} [{:>9.4}, {:>9.4}] {:?} {extra}",
            l.node,
            l.op,
            l.output.ty.to_string(),
            l.output.range.lo,
            l.output.range.hi,
            l.output.origin
        );
    }
}

/// Propagating from the range seen in the calibration inputs bounds every calibrated range, and
/// the propagated types never have fewer integer bits than the calibrated ones.
#[test]
fn range_propagation_is_never_narrower_than_calibration() {
    for model in MODELS {
        for keep in [false, true] {
            let g = graph(model, 13, keep);
            let x = train_inputs(&g, usize::MAX);
            let cal = calibrate(&g, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
            let (lo, hi) = cal.input_range(&g).unwrap();
            let input = Interval::new(lo, hi);
            let ranges = propagate(&g, &[input]).unwrap();
            for (n, s) in &cal.stats {
                let r = ranges[n];
                let tol = |v: f64| 1e-5 * v.abs().max(1.0);
                assert!(
                    r.lo <= s.min + tol(s.min) && s.max <= r.hi + tol(s.max),
                    "{model}: {} calibrated [{}, {}] outside propagated [{}, {}]",
                    g.node(*n).name,
                    s.min,
                    s.max,
                    r.lo,
                    r.hi
                );
            }
            let cfg = PrecisionConfig::uniform(16).unwrap();
            let tc = type_graph(&g, &cfg, RangeSource::Calibrated(&cal)).unwrap();
            let tp = type_graph(&g, &cfg, RangeSource::Propagated(vec![input])).unwrap();
            for (n, l) in &tc.layers {
                if l.output.origin != TypeOrigin::Calibrated {
                    continue;
                }
                let p = &tp.layers[n];
                assert_eq!(p.output.origin, TypeOrigin::Propagated);
                assert!(
                    p.output.ty.int_bits() >= l.output.ty.int_bits(),
                    "{model}: {} propagated {} < calibrated {}",
                    l.node,
                    p.output.ty,
                    l.output.ty
                );
                // (The propagated ranges bound the fixed-point values, computed with quantized
                // weights, so they need not contain every float value; the integer bits do.)
            }
        }
    }
}

/// The softmax kernel as the typed graph describes it (tables, exact sum, one cast), emulated with
/// `Fixed`, against the exact softmax of the same quantized logits.
#[test]
fn softmax_tables_reproduce_softmax() {
    let g = graph("activations", 18, false);
    let x = train_inputs(&g, 512);
    let cal = calibrate(&g, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    // The reciprocal table's step (1/64 over sums in [1, 17) with 1024 entries) dominates.
    for (bits, tolerance) in [(16, 0.01), (12, 0.01), (8, 0.03)] {
        let t = typed(&g, &cal, bits);
        let n = g.find("node_softmax").unwrap();
        let layer = t.layer(n).unwrap();
        let Kernel::Softmax {
            exp, sum, inv, len, ..
        } = &layer.kernel
        else {
            panic!("softmax kernel")
        };
        let x_ty = t.ty(g.inputs_of(n)[0]).unwrap();
        let (exp_e, inv_e) = (exp.entries(), inv.entries());
        let range = t.layer(g.inputs_of(n)[0]).unwrap().output.range;
        let mut worst = 0f64;
        let mut state = 12345u64;
        for _ in 0..2000 {
            let row: Vec<Fixed> = (0..*len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                    Fixed::from_f64(range.lo + u * (range.hi - range.lo), x_ty).unwrap()
                })
                .collect();
            let max = row.iter().map(|v| v.raw()).max().unwrap();
            let e: Vec<Fixed> = row
                .iter()
                .map(|v| exp_e[exp.index(max - v.raw())])
                .collect();
            let total = e.iter().fold(Fixed::from_raw(0, *sum).unwrap(), |acc, v| {
                acc.add(v).unwrap().cast(*sum)
            });
            let r = inv_e[inv.index(total.raw())];
            let xs: Vec<f64> = row.iter().map(|v| v.to_f64()).collect();
            let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = xs.iter().map(|v| (v - m).exp()).sum();
            for (v, ev) in xs.iter().zip(&e) {
                let y = ev.mul(&r).unwrap().cast(layer.output.ty).to_f64();
                worst = worst.max((y - (v - m).exp() / z).abs());
            }
        }
        eprintln!("softmax at {bits} bits: worst |error| {worst:.5} (exp {} entries {}, inv {} entries {})", exp.size, exp.entry, inv.size, inv.entry);
        assert!(worst <= tolerance, "{bits} bits: softmax error {worst}");
    }
}

#[test]
fn percentile_calibration_trades_outliers_for_precision() {
    let g = graph("cnn_bn", 13, false);
    let x = train_inputs(&g, usize::MAX);
    let max_abs = calibrate(&g, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    let pct = calibrate(&g, std::slice::from_ref(&x), Method::Percentile(99.0)).unwrap();
    let (ta, tp) = (typed(&g, &max_abs, 8), typed(&g, &pct, 8));
    let mut narrower = 0;
    for (n, l) in &tp.layers {
        let a = &ta.layers[n];
        assert!(
            l.output.ty.int_bits() <= a.output.ty.int_bits(),
            "{}",
            l.node
        );
        if l.output.origin == TypeOrigin::Percentile
            && l.output.ty.int_bits() < a.output.ty.int_bits()
        {
            narrower += 1;
        }
    }
    assert!(narrower > 0, "99th percentile changed no type");
    let saturated: u64 = count_saturations(&tp, std::slice::from_ref(&x))
        .unwrap()
        .iter()
        .filter(|s| tp.by_name(&s.node).unwrap().output.origin == TypeOrigin::Percentile)
        .map(|s| s.saturated)
        .sum();
    assert!(saturated > 0);
    // Percentiles are observed values, within 1/8 octave above the exact one, and 100 is the max.
    for s in pct.stats.values() {
        assert_eq!(s.percentile_abs(100.0), s.max_abs());
        assert!(s.percentile_abs(50.0) <= s.percentile_abs(99.0));
    }
}

#[test]
fn pooling_reciprocals_are_shifts_for_powers_of_two() {
    let dwsep = graph("dwsep", 13, false);
    let x = train_inputs(&dwsep, 64);
    let cal = calibrate(&dwsep, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    let t = typed(&dwsep, &cal, 16);
    let Kernel::Pool {
        reciprocal, sum, ..
    } = &t
        .by_name("/features/features.9/AveragePool")
        .unwrap()
        .kernel
    else {
        panic!("pool kernel")
    };
    assert_eq!(
        (reciprocal.divisors.as_slice(), reciprocal.shift),
        (&[4u64][..], Some(2))
    );
    assert_eq!(reciprocal.factors[0].quantized(), 0.25);
    let input = t.by_name("/features/features.8/Clip").unwrap().output.ty;
    assert_eq!(sum.width(), input.width() + 2);

    let resnet = graph("resnet", 18, false);
    let x = train_inputs(&resnet, 64);
    let cal = calibrate(&resnet, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    let t = typed(&resnet, &cal, 16);
    let Kernel::Pool { reciprocal, .. } = &t.by_name("node_mean").unwrap().kernel else {
        panic!("global average pool kernel")
    };
    assert_eq!(reciprocal.shift, Some(4));
}

#[test]
fn calibration_inputs_are_checked() {
    let g = graph("cnn_bn", 13, false);
    let x = load_npy(fixtures().join("data/train_x.npy")).unwrap();
    assert_eq!(x.shape(), &[1437, 64]);
    let fitted = fit_input(&g, g.inputs()[0], x.clone()).unwrap();
    assert_eq!(fitted.shape(), &[1437, 1, 8, 8]);
    let wrong = x.slice_axis(Axis(1), Slice::from(0..10)).to_owned();
    let err = fit_input(&g, g.inputs()[0], wrong).unwrap_err().to_string();
    assert!(
        err.contains("'input'") && err.contains("10 values"),
        "{err}"
    );
    let err = calibrate(&g, &[x], Method::MaxAbs).unwrap_err().to_string();
    assert!(
        err.contains("'input'") && err.contains("[1437, 64]"),
        "{err}"
    );
    let err = load_npy("/nonexistent.npy").unwrap_err().to_string();
    assert!(err.contains("/nonexistent.npy"), "{err}");
    let mut nan = fitted.slice_axis(Axis(0), Slice::from(0..4)).to_owned();
    nan[[1, 0, 3, 3]] = f32::NAN;
    let err = calibrate(&g, &[nan], Method::MaxAbs)
        .unwrap_err()
        .to_string();
    assert!(err.contains("NaN") && err.contains("finite"), "{err}");
}
