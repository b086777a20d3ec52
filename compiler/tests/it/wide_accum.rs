//! Accumulators wider than 64 bits (issue 14): a depthwise convolution and a dense layer at
//! 32-bit types, like hls4ml's `ap_fixed<32,12>` DepthwiseConv2D baseline whose exact
//! accumulator needs 69 bits, compile and run bit-exactly in the interpreter, the emitted
//! simulator crate and the g++ C-simulation of the emitted HLS C++; so does a saturating user
//! accumulator of 66 bits, and user accumulators of 66 and 80 bits count their overflows. Beyond 128 bits: a typed error naming the layer.

use crate::compile_util::verify_dir;
use crate::emit_sim::{cargo, runtime_path, scratch};

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::emit::sim::{write_sim_crate_with, SimOptions};
use binpoint::ir::ops::{Conv, Dense, Flatten, Window};
use binpoint::ir::{Graph, GraphBuilder};
use binpoint::lower::{lower, LowerOptions};
use binpoint::pipeline::count_accum_overflows;
use binpoint::quant::{type_graph, Interval, Kernel, PrecisionConfig, QuantError, RangeSource};
use binpoint_runtime::model::{Exec, Model};
use ndarray::{ArrayD, IxDyn};

/// `x [4][6][6]` → depthwise 3×3 conv (4 groups, padding 1, bias) → flatten → dense 144 → 3.
fn depthwise_then_dense() -> Graph {
    let mut b = GraphBuilder::new("wide_accum");
    let x = b.input("x", &[0, 4, 6, 6]);
    let w = b.constant_fn("dw_w", &[4, 1, 3, 3], |i| ((i * 7 % 13) as f32 - 6.0) / 5.0);
    let bias = b.constant_fn("dw_b", &[4], |i| i as f32 / 3.0 - 0.5);
    let mut win = Window::new(vec![3, 3]);
    win.pads = vec![1, 1, 1, 1];
    let conv = b
        .op(
            "depthwise",
            Conv {
                window: win,
                group: 4,
            },
            &[x, w, bias],
        )
        .unwrap();
    let flat = b.op("flatten", Flatten { axis: 1 }, &[conv]).unwrap();
    let wd = b.constant_fn("fc_w", &[3, 144], |i| ((i * 5 % 17) as f32 - 8.0) / 9.0);
    let bd = b.constant_fn("fc_b", &[3], |i| i as f32 - 1.0);
    let fc = b.op("fc", Dense, &[flat, wd, bd]).unwrap();
    b.output(fc);
    b.finish().unwrap()
}

/// hls4ml's baseline types: 32-bit data with 12 integer bits, 32-bit weights and biases.
const BASE: &str = "[default]\nbits = 32\nweight_bits = 32\nbias_bits = 32\nint_bits = 12\n";

fn model(config: &str) -> (binpoint_runtime::model::format::ModelProto, Model) {
    let g = depthwise_then_dense();
    let cfg = PrecisionConfig::parse(config, "precision.toml").unwrap();
    let typed = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(-100.0, 100.0)]),
    )
    .unwrap();
    let proto = lower(&typed, &LowerOptions::default()).unwrap().proto;
    let m = Model::from_proto(&proto).unwrap();
    (proto, m)
}

/// Per layer: the accumulator type, whether the output cast is the wide one, whether a user
/// accumulator runs step by step.
fn accumulators(m: &Model) -> Vec<(String, bool, bool)> {
    m.layers()
        .iter()
        .filter_map(|l| match l.exec() {
            Exec::Conv2d { cfg, .. } => Some((cfg.types.accum, &cfg.plan)),
            Exec::Dense { cfg, .. } => Some((cfg.types.accum, &cfg.plan)),
            _ => None,
        })
        .map(|(t, plan)| (t.to_string(), plan.requant.is_wide(), plan.user.is_some()))
        .collect()
}

/// `verify` (interpreter against the g++ C-simulation) on 64 random vectors: 0 mismatches.
fn verify_clean(name: &str, proto: &binpoint_runtime::model::format::ModelProto) {
    let out = verify_dir("wide-accum", name, proto);
    let opts = VerifyOptions {
        vectors: 64,
        seed: 14,
        trace: true,
        ..VerifyOptions::default()
    };
    let r = verify(&out, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.failed, 0, "{name}:\n{}", r.tb_output);
    assert_eq!(r.passed, 64, "{name}:\n{}", r.tb_output);
}

#[test]
fn exact_accumulators_beyond_64_bits_are_bit_exact_everywhere() {
    let (proto, m) = model(BASE);
    // 32 + 32 bits of product + ceil(log2 9) + 1 (depthwise, as hls4ml's baseline), and
    // + ceil(log2 144) + 1 + one more for the dense layer's wider bias.
    assert_eq!(
        accumulators(&m),
        vec![
            ("ap_fixed<69,19>".to_string(), true, false),
            ("ap_fixed<73,22>".to_string(), true, false)
        ]
    );
    verify_clean("exact", &proto);
    // The emitted simulator crate replays the interpreter's outputs on its vectors.
    let root = scratch("wide_accum");
    let opts = SimOptions {
        random_vectors: 16,
        ..SimOptions::new(runtime_path())
    };
    write_sim_crate_with(&m, &root.join("sim"), &opts).unwrap();
    cargo(&["test"], &root.join("sim/Cargo.toml"));
}

#[test]
fn user_accumulators_beyond_64_bits_wrap_and_count_overflows() {
    // 80 bits with 30 integer bits: wide, and large enough not to overflow.
    let (_, m) = model(&format!("{BASE}accum = \"ap_fixed<80,30>\"\n"));
    // It holds every partial sum of the depthwise layer exactly (the fast exact path runs), not
    // the dense layer's, which runs its casts step by step in i128.
    assert_eq!(
        accumulators(&m),
        vec![
            ("ap_fixed<80,30>".to_string(), true, false),
            ("ap_fixed<80,30>".to_string(), true, true)
        ]
    );
    let x = ArrayD::from_shape_fn(IxDyn(&[12, 4, 6, 6]), |i| {
        ((i[0] * 31 + i[1] * 7 + i[2] * 3 + i[3]) % 41) as f32 * 4.0 - 80.0
    });
    let counts = count_accum_overflows(&m, &x).unwrap();
    assert_eq!(counts, vec![("fc".into(), 0)]);
    // 66 bits with 4 integer bits and saturation: still the wide path (sums need 67 bits),
    // and inputs of ±80 overflow it on every sample; the C++ saturates the same bits.
    let (proto, m) = model(&format!(
        "{BASE}accum = \"ap_fixed<66,4,AP_RND_CONV,AP_SAT>\"\n"
    ));
    assert!(accumulators(&m)
        .iter()
        .all(|(_, wide, user)| *wide && *user));
    verify_clean("user66", &proto);
    let counts = count_accum_overflows(&m, &x).unwrap();
    assert_eq!(counts, vec![("depthwise".into(), 12), ("fc".into(), 12)]);
    let zero = ArrayD::zeros(IxDyn(&[3, 4, 6, 6]));
    let counts = count_accum_overflows(&m, &zero).unwrap();
    assert_eq!(counts, vec![("depthwise".into(), 0), ("fc".into(), 0)]);
}

#[test]
fn accumulators_beyond_128_bits_are_typed_errors_naming_the_layer() {
    let g = depthwise_then_dense();
    // 64-bit data and weights: the dense layer's exact accumulator needs 64 + 64 + 8 + 1 bits.
    let err = type_graph(
        &g,
        &PrecisionConfig::uniform(64).unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap_err();
    assert!(matches!(err, QuantError::TooWide { .. }), "{err}");
    let msg = err.to_string();
    for w in ["'depthwise'", "accumulator", "wide_accum"] {
        assert!(msg.contains(w), "{msg} lacks {w}");
    }
    // A user accumulator beyond 128 bits is refused by the config's parser.
    let bad = PrecisionConfig::parse(&format!("{BASE}accum = \"ap_fixed<129,30>\"\n"), "p.toml");
    assert!(bad.is_err());
    // At 32 bits the same graph types with a 69-bit accumulator (refused before issue 14).
    let t = type_graph(
        &g,
        &PrecisionConfig::parse(BASE, "p.toml").unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    let Kernel::Mac { accum, .. } = &t.by_name("depthwise").unwrap().kernel else {
        panic!("not a mac")
    };
    assert_eq!(accum.width(), 69);
}
