//! Real old-opset exports (hls4ml's example-models, `testbench/fixtures/example_models/`): opsets 6,
//! 7 and 9 (opset 5 on a built graph), Keras' channels-last Transposes and its BatchNorm between bare Transposes, Selu, a fixed
//! batch of 789,444. Each loads, matches its reference in float within 1e-5 and runs at 8 bits on
//! any number of samples; the Selu model verifies bit-exact against g++ (`verify`). The opset
//! adaptations without a real file, and the readable refusal, are checked on built graphs.
//!
//! The QONNX files of the same folder: the binary-network `bnn_model_fc_1layer` (BipolarQuant of
//! its input and output: sign functions) equals the qonnx executor in float and verifies bit-exact
//! at 8 bits; the segmentation network `branched_model_ch_last` (channels-last Conv/MaxPool
//! wrappers, nearest Resize, Concat) equals onnxruntime on its standard-ONNX rewrite exactly and is
//! refused by `compile` for its size, naming the size and the limit.

use crate::compile_util;
use crate::frontend_util::{attr_f, attr_i, attr_ints, attr_s, ramp, tensor_f32, Model};

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::eval;
use binpoint::ir::{inspect, Dim, Op};
use binpoint::passes::CleanupOptions;
use binpoint::quant::load_npy;
use binpoint::CompileError;
use binpoint_runtime::model::Threads;
use ndarray::ArrayD;
use std::path::PathBuf;

fn dir() -> PathBuf {
    compile_util::fixtures().join("example_models")
}

fn load(name: &str) -> binpoint::Graph {
    binpoint::load_float_graph(
        dir().join(format!("{name}.onnx")),
        &CleanupOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn npy(file: &str) -> ArrayD<f32> {
    load_npy(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// (model, reference output file): every fixture, with the tool that made its reference.
const MODELS: &[(&str, &str)] = &[
    ("conv1d_small_keras", "conv1d_small_keras_ort_out.npy"),
    ("conv2d_small_mp_keras", "conv2d_small_mp_keras_ort_out.npy"),
    ("three_layer_bn_keras", "three_layer_bn_keras_numpy_out.npy"),
    (
        "three_layer_bn_pytorch",
        "three_layer_bn_pytorch_refeval_out.npy",
    ),
    ("two_layer_pytorch", "two_layer_pytorch_ort_out.npy"),
];

fn max_abs(a: &ArrayD<f32>, b: &ArrayD<f32>) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_fixture_matches_its_reference_in_float_and_runs_at_8_bits() {
    for (name, reference) in MODELS {
        let g = load(name);
        let x = npy(&format!("{name}_input.npy"));
        let want = npy(reference);
        let got = eval::run_f32(&g, &x).unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = max_abs(&got, &want);
        assert!(err <= 1e-5, "{name}: float differs by {err}");
        // 8 bits, calibrated on the same inputs; the interpreter runs every sample given.
        let m = compile_util::compiled(&compile_util::typed(&g, &x, 8))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = x.shape()[0];
        let out = m
            .run_f32(&[&compile_util::flat(&x)], n, Threads::Single)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out[0].values.len(), want.len(), "{name}");
    }
}

#[test]
fn a_fixed_batch_is_the_batch() {
    for name in ["two_layer_pytorch", "three_layer_bn_pytorch"] {
        let g = load(name);
        let input = g.node(g.inputs()[0]);
        assert_eq!(input.shape.dims()[0], Dim::Batch, "{name}");
    }
    // 10·32 + 32·1 MACs per sample, not times 789,444.
    let r = inspect::report(&load("two_layer_pytorch"));
    assert_eq!(r.totals.macs, 352);
    // Compiled, it runs 3 samples as well as 16.
    let g = load("two_layer_pytorch");
    let x = npy("two_layer_pytorch_input.npy");
    let m = compile_util::compiled(&compile_util::typed(&g, &x, 8)).unwrap();
    let three: Vec<f32> = compile_util::flat(&x)[..30].to_vec();
    let out = m.run_f32(&[&three], 3, Threads::Single).unwrap();
    assert_eq!(out[0].values.len(), 3);
}

/// Keras' bare Transposes and pytorch 0.3's Unsqueeze/Squeeze around BatchNorm fold away, and
/// fold-batch-norm then folds the four BatchNorms into the Dense layers.
#[test]
fn pairs_around_batch_norm_fold_away() {
    for name in ["three_layer_bn_keras", "three_layer_bn_pytorch"] {
        let g = load(name);
        let ops: Vec<&str> = g
            .node_indices()
            .into_iter()
            .map(|n| g.node(n).op.name())
            .collect();
        for gone in ["Transpose", "Unsqueeze", "Squeeze", "BatchNormalization"] {
            assert!(!ops.contains(&gone), "{name}: {ops:?}");
        }
    }
}

/// Selu (opset 9, three of them) as a table: the emitted C++ built with g++ against the ap_types
/// headers equals the interpreter on 200 random vectors.
#[test]
fn selu_model_verifies_bit_exact_at_8_bits() {
    let name = "conv2d_small_mp_keras";
    let g = load(name);
    assert!(g
        .node_indices()
        .into_iter()
        .any(|n| matches!(g.node(n).op, Op::Selu(_))));
    let x = npy(&format!("{name}_input.npy"));
    let lowered = compile_util::lowered(&compile_util::typed(&g, &x, 8));
    let out = compile_util::verify_dir("example-models", name, &lowered.proto);
    let r = verify(
        &out,
        &VerifyOptions {
            vectors: 200,
            ..VerifyOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (r.passed, r.failed),
        (r.samples as u64, 0),
        "{}",
        r.tb_output
    );
    assert!(r.samples >= 200);
}

#[test]
fn selu_float_is_exact() {
    let mut m = Model::new(9);
    m.input("x", &[0, 4]);
    m.node(
        "Selu",
        &["x"],
        &["y"],
        vec![attr_f("alpha", 2.0), attr_f("gamma", 0.5)],
    )
    .output("y");
    let g = m.load().unwrap();
    let x = ArrayD::from_shape_vec(ndarray::IxDyn(&[1, 4]), vec![-2.0f32, -0.5, 0.0, 3.0]).unwrap();
    let y = eval::run_f32(&g, &x).unwrap();
    let want: Vec<f32> = [-2.0f64, -0.5, 0.0, 3.0]
        .iter()
        .map(|&v| if v > 0.0 { 0.5 * v } else { 2.0 * 0.5 * v.exp_m1() } as f32)
        .collect();
    assert_eq!(y.iter().copied().collect::<Vec<_>>(), want);
    m.graph.node[0].attribute = vec![attr_f("alpha", -1.0)];
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Attribute { attr: "alpha", .. }
    ));
}

fn batch_norm(opset: i64, attrs: Vec<onnx_protobuf::AttributeProto>) -> Model {
    let mut m = Model::new(opset);
    m.input("x", &[0, 3, 2, 2]);
    for p in ["s", "b", "mean", "var"] {
        m.init(tensor_f32(p, &[3], vec![0.5, 1.0, 2.0]));
    }
    m.node(
        "BatchNormalization",
        &["x", "s", "b", "mean", "var"],
        &["y"],
        attrs,
    )
    .output("y");
    m
}

#[test]
fn old_batch_norm_and_dropout_forms() {
    // Opset 6: inference needs is_test = 1; spatial = 1 is today's meaning (opsets < 9).
    batch_norm(6, vec![attr_i("is_test", 1), attr_i("spatial", 1)])
        .load()
        .unwrap();
    for (opset, attrs, attr) in [
        (6, vec![], "is_test"),
        (6, vec![attr_i("is_test", 0)], "is_test"),
        (8, vec![attr_i("spatial", 0)], "spatial"),
    ] {
        let e = batch_norm(opset, attrs).load().unwrap_err();
        assert!(
            matches!(&e, CompileError::Attribute { attr: a, node, .. }
                if *a == attr && node == "BatchNormalization_0"),
            "{e}"
        );
    }
    let mut m = Model::new(6);
    m.input("x", &[0, 4]);
    m.node(
        "Dropout",
        &["x"],
        &["y"],
        vec![attr_i("is_test", 1), attr_f("ratio", 0.5)],
    )
    .output("y");
    let g = m.load().unwrap();
    let x = ramp(&[2, 4]);
    assert_eq!(eval::run_f32(&g, &x).unwrap(), x);
}

/// Opset 5: `consumed_inputs` dropped, Cast's `to` as a string; an unknown type name is refused.
#[test]
fn opset5_forms() {
    let mut m = Model::new(5);
    m.input("x", &[0, 4]);
    m.node(
        "Relu",
        &["x"],
        &["r"],
        vec![attr_ints("consumed_inputs", &[0])],
    );
    m.node("Cast", &["r"], &["y"], vec![attr_s("to", "float")])
        .output("y");
    let g = m.load().unwrap();
    let x = ramp(&[2, 4]);
    assert_eq!(eval::run_f32(&g, &x).unwrap(), x.mapv(|v| v.max(0.0)));
    m.graph.node[1].attribute = vec![attr_s("to", "REAL")];
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Attribute { attr: "to", .. }
    ));
}

/// Opset 6 `Add(broadcast = 1, axis = 1)` of a [3] bias to [N, 3, 2, 2]: per channel.
#[test]
fn legacy_axis_broadcast() {
    let mut m = Model::new(6);
    m.input("x", &[0, 3, 2, 2])
        .init(tensor_f32("b", &[3], vec![10.0, 20.0, 30.0]));
    m.node(
        "Add",
        &["x", "b"],
        &["y"],
        vec![attr_i("broadcast", 1), attr_i("axis", 1)],
    )
    .output("y");
    let g = m.load().unwrap();
    let x = ramp(&[1, 3, 2, 2]);
    let y = eval::run_f32(&g, &x).unwrap();
    for c in 0..3 {
        for i in 0..4 {
            let k = c * 4 + i;
            assert_eq!(
                y.as_slice().unwrap()[k],
                x.as_slice().unwrap()[k] + 10.0 * (c + 1) as f32
            );
        }
    }
    // An axis that does not fit is an attribute error naming the node.
    m.graph.node[0].attribute = vec![attr_i("broadcast", 1), attr_i("axis", 4)];
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Attribute { attr: "axis", .. }
    ));
}

/// Unsqueeze/Squeeze `axes` attributes (< 13) around a BatchNorm, as pytorch 0.3 wrote at opset 6.
#[test]
fn opset6_unsqueeze_batch_norm_squeeze() {
    let mut m = Model::new(6);
    m.input("x", &[0, 3]);
    for p in ["s", "b", "mean", "var"] {
        m.init(tensor_f32(p, &[3], vec![0.5, 1.0, 2.0]));
    }
    m.node("Unsqueeze", &["x"], &["u"], vec![attr_ints("axes", &[2])]);
    m.node(
        "BatchNormalization",
        &["u", "s", "b", "mean", "var"],
        &["n"],
        vec![attr_i("is_test", 1)],
    );
    m.node("Squeeze", &["n"], &["y"], vec![attr_ints("axes", &[2])])
        .output("y");
    let g = m.load().unwrap();
    let y = eval::run_f32(&g, &ramp(&[2, 3])).unwrap();
    assert_eq!(y.shape(), &[2, 3]);
}

#[test]
fn refusal_groups_ops_by_type() {
    let mut m = Model::new(17);
    m.input("x", &[0, 4]);
    let mut prev = "x".to_string();
    for i in 0..100 {
        let out = format!("t{i}");
        let op = if i % 10 == 9 { "Erf" } else { "Conv" };
        m.node(op, &[&prev], &[&out], vec![]);
        m.graph.node[i].domain = if op == "Conv" {
            "com.example.custom".into()
        } else {
            String::new()
        };
        prev = out;
    }
    m.output(&prev);
    let e = m.load().unwrap_err().to_string();
    assert_eq!(
        e,
        "test.onnx: 100 unsupported op(s) of 2 type(s) (model opset 17):\n  \
         com.example.custom::Conv ×90, first node 'Conv_0'\n  \
         Erf ×10, first node 'Erf_9'"
    );
}

/// A fixture's float reference: the cleanup pipeline with the model's quantizers still applied.
fn load_reference(name: &str) -> binpoint::Graph {
    binpoint::load_reference_graph(
        dir().join(format!("{name}.onnx")),
        &CleanupOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// BipolarQuant on computed tensors (the input, the Gemm output): a sign-bit cast and `2c + 1`.
/// The float reference equals the qonnx executor exactly; at 8 bits the interpreter gives the
/// same ±1 on the reference input, and the C++ built with g++ equals the interpreter bit for bit.
#[test]
fn bnn_sign_functions_match_qonnx_and_verify_bit_exact() {
    let name = "bnn_model_fc_1layer";
    let x = npy(&format!("{name}_input.npy"));
    let want = npy(&format!("{name}_qonnx_out.npy"));
    let got = eval::run_f32(&load_reference(name), &x).unwrap();
    assert_eq!(got, want);
    let g = load(name);
    // Random inputs around zero (both signs, ties at 0), and the reference input.
    let calib = ArrayD::from_shape_vec(
        ndarray::IxDyn(&[64, 3]),
        (0..192)
            .map(|i| ((i * 37 % 41) as f32 - 20.0) / 8.0)
            .collect(),
    )
    .unwrap();
    let t = compile_util::typed(&g, &calib, 8);
    let m = compile_util::compiled(&t).unwrap();
    let out = m
        .run_f32(&[&compile_util::flat(&x)], 1, Threads::Single)
        .unwrap();
    let fixed: Vec<f32> = out[0].values.iter().map(|&v| v as f32).collect();
    assert_eq!(fixed, compile_util::flat(&want));
    // Every calibration sample: the float reference's signs, bit for bit.
    let reference = eval::run_f32(&load_reference(name), &calib).unwrap();
    let out = m
        .run_f32(&[&compile_util::flat(&calib)], 64, Threads::Single)
        .unwrap();
    let fixed: Vec<f32> = out[0].values.iter().map(|&v| v as f32).collect();
    assert_eq!(fixed, compile_util::flat(&reference));
    let lowered = compile_util::lowered(&t);
    let out = compile_util::verify_dir("example-models", name, &lowered.proto);
    let r = verify(
        &out,
        &VerifyOptions {
            vectors: 200,
            ..VerifyOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        (r.passed, r.failed),
        (r.samples as u64, 0),
        "{}",
        r.tb_output
    );
}

/// The deterministic input `qonnx_reference.py` feeds: ((i·29) mod 97 − 48) / 16 over the flat shape.
fn ramp_input(dims: &[usize]) -> ArrayD<f32> {
    let n: usize = dims.iter().product();
    ArrayD::from_shape_vec(
        ndarray::IxDyn(dims),
        (0..n)
            .map(|i| ((i * 29 % 97) as f32 - 48.0) / 16.0)
            .collect(),
    )
    .unwrap()
}

/// 14 channels-last Convs, a channels-last MaxPool, a nearest Resize ×2 and a Concat at 256×256:
/// the float reference equals onnxruntime on the standard-ONNX rewrite exactly (every value is on
/// the 2^-5 grid); `compile` refuses it for its size, naming the size and the limit.
#[test]
fn segmentation_model_loads_matches_onnxruntime_and_is_refused_for_size() {
    let name = "branched_model_ch_last";
    let g = load_reference(name);
    let ops: Vec<&str> = g
        .node_indices()
        .into_iter()
        .map(|n| g.node(n).op.name())
        .collect();
    for op in ["Conv", "MaxPool", "Concat", "Transpose"] {
        assert!(ops.contains(&op), "{op}: {ops:?}");
    }
    let x = ramp_input(&[1, 256, 256, 3]);
    let y = eval::run_f32(&g, &x).unwrap();
    let want: ArrayD<i16> =
        ndarray_npy::read_npy(dir().join(format!("{name}_ort_out_x32_int16.npy"))).unwrap();
    assert_eq!(y.shape(), want.shape());
    let differ = y
        .iter()
        .zip(&want)
        .filter(|(&a, &b)| a * 32.0 != f32::from(b))
        .count();
    assert_eq!(differ, 0);

    let e = binpoint::pipeline::compile(&binpoint::pipeline::CompileOptions {
        model: dir().join(format!("{name}.onnx")),
        calib: None,
        labels: None,
        precision: binpoint::pipeline::Precision {
            bits: Some(8),
            ..Default::default()
        },
        input_range: None,
        keep_batch_norm: false,
        low_rank: None,
        learn: None,
        target: Default::default(),
        threads: Threads::Single,
    })
    .err()
    .expect("a 256x256 segmentation network is refused")
    .to_string();
    assert!(
        e.contains("too large to compile")
            && e.contains("values per sample")
            && e.contains("limit of 134217728"),
        "{e}"
    );
}

/// Resize / Upsample nearest with integer scales become index mapping (Unsqueeze, Concat of
/// copies, Reshape): exact against ⌊i / s⌋; other modes are refused naming the node.
#[test]
fn nearest_resize_is_exact_and_other_modes_are_refused() {
    let resize = |opset: i64, op: &str, attrs: Vec<onnx_protobuf::AttributeProto>| {
        let mut m = Model::new(opset);
        m.input("x", &[0, 2, 3, 2]);
        m.init(tensor_f32("scales", &[4], vec![1.0, 1.0, 3.0, 2.0]));
        let ins: Vec<&str> = if op == "Resize" && opset >= 11 {
            m.init(tensor_f32("roi", &[0], vec![]));
            vec!["x", "roi", "scales"]
        } else {
            vec!["x", "scales"]
        };
        m.node(op, &ins, &["y"], attrs).output("y");
        m
    };
    let x = ramp(&[2, 2, 3, 2]);
    let want = |x: &ArrayD<f32>| {
        ArrayD::from_shape_fn(ndarray::IxDyn(&[2, 2, 9, 4]), |i| {
            x[[i[0], i[1], i[2] / 3, i[3] / 2]]
        })
    };
    for m in [
        resize(9, "Upsample", vec![attr_s("mode", "nearest")]),
        resize(10, "Resize", vec![]),
        // Opset 11+ defaults (half_pixel, round_prefer_floor) give ⌊i / s⌋ at scales 2 and 3.
        resize(13, "Resize", vec![]),
        resize(
            13,
            "Resize",
            vec![
                attr_s("coordinate_transformation_mode", "asymmetric"),
                attr_s("nearest_mode", "floor"),
            ],
        ),
    ] {
        let g = m.load().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(eval::run_f32(&g, &x).unwrap(), want(&x));
    }
    for (attrs, reason) in [
        (vec![attr_s("mode", "linear")], "interpolation"),
        // align_corners reads index 1 for output 6 of 9 (3 → 9), not ⌊6 / 3⌋ = 2.
        (
            vec![attr_s("coordinate_transformation_mode", "align_corners")],
            "not a plain nearest upsampling",
        ),
    ] {
        let e = resize(13, "Resize", attrs).load().unwrap_err().to_string();
        assert!(e.contains("Resize_0") && e.contains(reason), "{e}");
    }
}
