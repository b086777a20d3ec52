//! QONNX quantizers become types (passes quant-weights and fold-quantizers, docs/precision.md
//! "Types from the model"):
//! - the must-show: the FINN KWS-W3A3 MLP compiled with no `--bits` predicts, on 1,000 real Speech
//!   Commands samples, the very class the FPGA (FINN on a PYNQ-Z2) returned, every time;
//! - a small QONNX model built here (power-of-two and float scales, per-channel weight scales,
//!   half-way ties) gives, raw, the integers of the qonnx semantics (the IR's float `Quant`);
//! - quantizers without an `ap_fixed` equivalent are refused naming the node and the reason.

use crate::frontend_util::{attr_i, attr_ints, attr_s, tensor_f32, tensor_i64, Model};
use binpoint::eval::argmax;
use binpoint::lower::{lower, LowerOptions};
use binpoint::passes::CleanupOptions;
use binpoint::pipeline::{precision, Precision};
use binpoint::quant::{calibrate, type_graph, Method, RangeSource, TypeOrigin, TypedGraph};
use binpoint::Graph;
use binpoint_runtime::model::{Model as Compiled, Threads};
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::TensorProto;
use protobuf::Enum;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qonnx")
        .join(name)
}

/// Typed as `binpoint compile` types it with no `--bits` and no config, calibrated on `calib`.
fn typed_no_bits(g: &Graph, calib: &ArrayD<f32>) -> TypedGraph {
    let cfg = precision(&Precision::default()).unwrap();
    let cal = calibrate(g, std::slice::from_ref(calib), Method::MaxAbs).unwrap();
    type_graph(g, &cfg, RangeSource::Calibrated(&cal)).unwrap_or_else(|e| panic!("{e}"))
}

fn compiled(t: &TypedGraph) -> Compiled {
    let l = lower(
        t,
        &LowerOptions {
            source: "model.onnx".into(),
            float_model: "model.onnx".into(),
        },
    )
    .unwrap_or_else(|e| panic!("lowering: {e}"));
    Compiled::from_bytes(&l.proto.to_bytes()).unwrap()
}

fn raw_outputs(m: &Compiled, x: &ArrayD<f32>) -> Vec<Vec<f64>> {
    let n = x.shape()[0];
    let flat: Vec<f32> = x.iter().copied().collect();
    let out = m.run_f32(&[&flat], n, Threads::All).unwrap();
    let v = &out[0].values;
    let per = v.len() / n;
    v.chunks(per).map(|c| c.to_vec()).collect()
}

#[test]
fn kws_w3a3_predicts_what_the_fpga_predicted_on_1000_real_samples() {
    let g =
        binpoint::load_float_graph(fixture("kws_w3a3.onnx"), &CleanupOptions::default()).unwrap();
    let xi: ArrayD<i8> = ndarray_npy::read_npy(fixture("x_int8.npy")).unwrap();
    // The model's input, as the MLPerf harness feeds it: int8 times the input quantizer's scale.
    let x = xi.mapv(|v| f32::from(v) * 0.336_742_46_f32);
    let calib = x.slice_axis(Axis(0), Slice::from(0..16)).to_owned();
    let t = typed_no_bits(&g, &calib);

    // The types the model's quantizers give.
    let origin = |name: &str| {
        let l = t.by_name(name).unwrap_or_else(|| panic!("no layer {name}"));
        (l.output.ty.to_string(), l.output.origin)
    };
    assert_eq!(
        origin("Quant_3_requant"),
        (
            "ap_fixed<8,8,AP_RND_CONV,AP_SAT_SYM>".into(),
            TypeOrigin::Model
        )
    );
    for bn in [
        "BatchNormalization_11",
        "BatchNormalization_23",
        "BatchNormalization_35",
    ] {
        assert_eq!(
            origin(bn),
            (
                "ap_ufixed<3,3,AP_RND_CONV,AP_SAT>".into(),
                TypeOrigin::Model
            )
        );
    }
    for dense in ["MatMul_10", "MatMul_22", "MatMul_34", "MatMul_46"] {
        let w = t.by_name(&format!("{dense}.weight")).unwrap().output;
        assert_eq!(
            (w.ty.to_string(), w.origin),
            ("ap_fixed<3,3>".into(), TypeOrigin::Model)
        );
        assert_eq!(
            origin(dense).1,
            TypeOrigin::Model,
            "{dense}: exact accumulator"
        );
    }

    let m = compiled(&t);
    let y = raw_outputs(&m, &x);
    let pred: Vec<i64> = y.iter().map(|r| argmax(r.iter().copied()) as i64).collect();
    let fpga: Vec<i64> = ndarray_npy::read_npy::<_, ArrayD<i64>>(fixture("pynq_z2_pred.npy"))
        .unwrap()
        .iter()
        .copied()
        .collect();
    let labels: ArrayD<i64> = ndarray_npy::read_npy(fixture("labels.npy")).unwrap();
    let reference: ArrayD<f32> = ndarray_npy::read_npy(fixture("ref_out.npy")).unwrap();
    let differ: Vec<usize> = (0..1000).filter(|&i| pred[i] != fpga[i]).collect();
    assert!(
        differ.is_empty(),
        "differs from the FPGA on samples {differ:?}"
    );
    let correct = (0..1000).filter(|&i| pred[i] == labels[[i]]).count();
    assert_eq!(correct, 825);
    // The qonnx executor: the same class except on the two exact ties (lowest index wins here and on
    // the FPGA; the float32 executor's logits differ there by one ulp).
    let ref_pred: Vec<usize> = reference
        .axis_iter(Axis(0))
        .map(|r| argmax(r.iter().map(|&v| f64::from(v))))
        .collect();
    let disagree: Vec<usize> = (0..1000)
        .filter(|&i| pred[i] as usize != ref_pred[i])
        .collect();
    assert_eq!(disagree, vec![515, 886]);
    for i in disagree {
        let r = &y[i];
        let top = r.iter().copied().fold(f64::MIN, f64::max);
        assert_eq!(
            r.iter().filter(|&&v| v == top).count(),
            2,
            "sample {i} is a tie"
        );
    }
    // Logits: the executor's within float32 noise.
    let worst = (0..1000)
        .flat_map(|i| (0..12).map(move |k| (i, k)))
        .map(|(i, k)| (y[i][k] - f64::from(reference[[i, k]])).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-4, "logits differ from the executor by {worst}");
}

fn quant(
    m: &mut Model,
    (x, s, out): (&str, &str, &str),
    bits: f32,
    (signed, narrow): (i64, i64),
    mode: &str,
) {
    let (z, b) = (format!("{out}_z"), format!("{out}_b"));
    m.init(tensor_f32(&z, &[], vec![0.0]))
        .init(tensor_f32(&b, &[], vec![bits]))
        .node(
            "Quant",
            &[x, s, &z, &b],
            &[out],
            vec![
                attr_i("signed", signed),
                attr_i("narrow", narrow),
                attr_s("rounding_mode", mode),
            ],
        );
}

/// x[N,4] → Quant(0.25, 6 bit signed narrow) → MatMul(Quant(W[3,4], one float scale per output
/// channel, 3 bit narrow) transposed) → Relu → Quant(0.1, 4 bit unsigned) → output.
fn small_model(act_mode: &str, act_narrow: i64, zero: f32) -> Model {
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).output("y");
    m.init(tensor_f32("s_in", &[], vec![0.25]));
    quant(&mut m, ("x", "s_in", "xq"), 6.0, (1, 1), "ROUND");
    let w: Vec<f32> = (0..12)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) * 0.13)
        .collect();
    m.init(tensor_f32("w", &[3, 4], w)).init(tensor_f32(
        "s_w",
        &[3, 1],
        vec![0.2113, 0.1731, 0.3037],
    ));
    quant(&mut m, ("w", "s_w", "wq"), 3.0, (1, 1), "ROUND");
    m.node(
        "Transpose",
        &["wq"],
        &["wt"],
        vec![attr_ints("perm", &[1, 0])],
    )
    .node("MatMul", &["xq", "wt"], &["h"], vec![])
    .node("Relu", &["h"], &["r"], vec![]);
    m.init(tensor_f32("s_a", &[], vec![0.1]));
    let (z, b) = ("y_z", "y_b");
    m.init(tensor_f32(z, &[], vec![zero]))
        .init(tensor_f32(b, &[], vec![4.0]))
        .node(
            "Quant",
            &["r", "s_a", z, b],
            &["y"],
            vec![
                attr_i("signed", 0),
                attr_i("narrow", act_narrow),
                attr_s("rounding_mode", act_mode),
            ],
        );
    m
}

#[test]
fn a_small_qonnx_model_gives_the_quantizers_integers() {
    let m = small_model("ROUND", 0, 0.0);
    // The qonnx semantics: the graph as loaded, evaluated in float with the IR's Quant.
    let raw = m.load().unwrap();
    let n = 400;
    // Multiples of 1/8 hit the input quantizer's half-way points (ties to even) and its clamp.
    let x = ArrayD::from_shape_vec(
        IxDyn(&[n, 4]),
        (0..n * 4)
            .map(|i| ((i * 29 % 97) as f32 - 48.0) / 8.0)
            .collect(),
    )
    .unwrap();
    let want = binpoint::eval::run_f32(&raw, &x).unwrap();
    let mut g = raw.clone();
    binpoint::passes::cleanup(&mut g, &CleanupOptions::default()).unwrap();
    let t = typed_no_bits(&g, &x);
    let y = raw_outputs(&compiled(&t), &x);
    let mut mismatches = 0;
    for i in 0..n {
        for k in 0..3 {
            let q_want = (f64::from(want[[i, k]]) / 0.1).round();
            let q_got = (y[i][k] / 0.1).round();
            assert!(
                (y[i][k] - q_got * 0.1).abs() < 1e-7,
                "output {} is not an integer times 0.1",
                y[i][k]
            );
            mismatches += usize::from(q_want != q_got);
        }
    }
    assert_eq!(mismatches, 0);
    // The requantization is typed by the model, the input grid too.
    let types: Vec<String> = t
        .ordered()
        .iter()
        .filter(|(_, l)| l.output.origin == TypeOrigin::Model)
        .map(|(_, l)| l.output.ty.to_string())
        .collect();
    assert!(
        types.contains(&"ap_fixed<6,6,AP_RND_CONV,AP_SAT_SYM>".to_string()),
        "{types:?}"
    );
    assert!(
        types.contains(&"ap_ufixed<4,4,AP_RND_CONV,AP_SAT>".to_string()),
        "{types:?}"
    );
}

#[test]
fn quantizers_without_an_ap_fixed_equivalent_are_refused_by_name() {
    let cases = [
        (
            small_model("CEIL", 0, 0.0),
            "rounding mode CEIL has no ap_fixed quantization mode",
        ),
        (small_model("ROUND", 1, 0.0), "unsigned narrow range"),
        (
            small_model("ROUND", 0, 3.0),
            "zero point other than a constant 0",
        ),
    ];
    for (m, reason) in cases {
        let mut g = match m.load() {
            Ok(g) => g,
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("Quant_") && e.contains(reason), "{e}");
                continue;
            }
        };
        let e = binpoint::passes::cleanup(&mut g, &CleanupOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("node 'Quant_") && e.contains(reason), "{e}");
    }
    // A bipolar quantizer of a computed tensor is a sign function: a sign-bit cast and `2c + 1`
    // (it used to be refused here); the compiled model gives the float reference's ±0.5 exactly,
    // zero and the smallest negative input included.
    let mut m = Model::new(13);
    m.input("x", &[0, 3]).output("y");
    m.init(tensor_f32("half", &[], vec![0.5]));
    m.node("BipolarQuant", &["x", "half"], &["y"], vec![]);
    let raw = m.load().unwrap();
    let x = ArrayD::from_shape_vec(
        IxDyn(&[4, 3]),
        vec![
            0.0, -0.0, 1.0, -1.0, 0.001, -0.001, 3.5, -3.5, 0.25, -0.25, 2.0, -2.0,
        ],
    )
    .unwrap();
    let want = binpoint::eval::run_f32(&raw, &x).unwrap();
    let mut g = raw.clone();
    binpoint::passes::cleanup(&mut g, &CleanupOptions::default()).unwrap();
    let t = typed_no_bits(&g, &x);
    let y = raw_outputs(&compiled(&t), &x);
    let got: Vec<f32> = y.iter().flatten().map(|&v| v as f32).collect();
    assert_eq!(got, want.iter().copied().collect::<Vec<f32>>());
}

fn int_tensor(name: &str, dims: &[i64], v: Vec<i32>, dtype: DataType) -> TensorProto {
    let mut t = tensor_i64(name, dims, vec![]);
    t.data_type = dtype.value();
    t.int32_data = v;
    t
}

#[test]
fn onnx_qdq_pairs_and_int8_weights_give_the_same_integers() {
    // x → Q/DQ int8 (0.05) → MatMul(DQ(int8 W [4,3], per-axis scales)) → Q/DQ uint8 (0.1) → y.
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).output("y");
    m.init(tensor_f32("s_x", &[], vec![0.05]))
        .init(int_tensor("z_x", &[], vec![0], DataType::INT8))
        .init(int_tensor(
            "w",
            &[4, 3],
            (0..12).map(|i| (i * 37 % 255) - 127).collect(),
            DataType::INT8,
        ))
        .init(tensor_f32("s_w", &[3], vec![0.0123, 0.0071, 0.0157]))
        .init(int_tensor("z_w", &[3], vec![0; 3], DataType::INT8))
        .init(tensor_f32("s_y", &[], vec![0.1]))
        .init(int_tensor("z_y", &[], vec![0], DataType::UINT8))
        .node("QuantizeLinear", &["x", "s_x", "z_x"], &["xq"], vec![])
        .node("DequantizeLinear", &["xq", "s_x", "z_x"], &["xd"], vec![])
        .node(
            "DequantizeLinear",
            &["w", "s_w", "z_w"],
            &["wd"],
            vec![attr_i("axis", 1)],
        )
        .node("MatMul", &["xd", "wd"], &["h"], vec![])
        .node("QuantizeLinear", &["h", "s_y", "z_y"], &["hq"], vec![])
        .node("DequantizeLinear", &["hq", "s_y", "z_y"], &["y"], vec![]);
    let raw = m.load().unwrap();
    let n = 300;
    let x = ArrayD::from_shape_vec(
        IxDyn(&[n, 4]),
        (0..n * 4)
            .map(|i| ((i * 31 % 101) as f32 - 50.0) / 16.0)
            .collect(),
    )
    .unwrap();
    let want = binpoint::eval::run_f32(&raw, &x).unwrap();
    let mut g = raw.clone();
    binpoint::passes::cleanup(&mut g, &CleanupOptions::default()).unwrap();
    let t = typed_no_bits(&g, &x);
    let y = raw_outputs(&compiled(&t), &x);
    let mismatches = (0..n)
        .flat_map(|i| (0..3).map(move |k| (i, k)))
        .filter(|&(i, k)| (f64::from(want[[i, k]]) / 0.1).round() != (y[i][k] / 0.1).round())
        .count();
    assert_eq!(mismatches, 0);
    let model_types: Vec<String> = t
        .ordered()
        .iter()
        .filter(|(_, l)| l.output.origin == TypeOrigin::Model)
        .map(|(_, l)| l.output.ty.to_string())
        .collect();
    assert!(
        model_types.contains(&"ap_fixed<8,8,AP_RND_CONV,AP_SAT>".to_string()),
        "{model_types:?}"
    );
    assert!(
        model_types.contains(&"ap_ufixed<8,8,AP_RND_CONV,AP_SAT>".to_string()),
        "{model_types:?}"
    );
}

fn qdq_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testbench/fixtures/qdq")
        .join(name)
}

/// A QDQ model made by onnxruntime's own static quantizer (`testbench/fixtures/qdq/make_qdq.py`):
/// uint8 activations with zero points 42, 149, 143 and 140, int8 per-channel weights, uint8 biases
/// with zero point 140. The float reference (quantizers applied) equals onnxruntime exactly; the
/// shifted ranges become `ap_fixed<9,9>` plus a Clip, and the compiled model gives onnxruntime's
/// integers on every output (with a 24-bit input interface: at 16 bits, 4 of 256 inputs round
/// across a quantizer's half-way point before it sees them).
#[test]
fn qdq_with_nonzero_zero_points_gives_onnxruntimes_integers() {
    let path = qdq_fixture("qdq_uint8_mlp.onnx");
    let x: ArrayD<f32> = ndarray_npy::read_npy(qdq_fixture("qdq_x.npy")).unwrap();
    let want: ArrayD<f32> = ndarray_npy::read_npy(qdq_fixture("qdq_ort_out.npy")).unwrap();
    let reference = binpoint::load_reference_graph(&path, &CleanupOptions::default()).unwrap();
    assert_eq!(binpoint::eval::run_f32(&reference, &x).unwrap(), want);

    let g = binpoint::load_float_graph(&path, &CleanupOptions::default()).unwrap();
    let cfg = precision(&Precision {
        bits: Some(24),
        ..Precision::default()
    })
    .unwrap();
    let cal = calibrate(&g, std::slice::from_ref(&x), Method::MaxAbs).unwrap();
    let t = type_graph(&g, &cfg, RangeSource::Calibrated(&cal)).unwrap();
    let clips: Vec<(String, String)> = t
        .ordered()
        .iter()
        .filter(|(_, l)| l.node.ends_with("_clip"))
        .map(|(_, l)| (l.node.clone(), l.output.ty.to_string()))
        .collect();
    assert_eq!(clips.len(), 4, "{clips:?}");
    for (_, ty) in &clips {
        assert_eq!(ty, "ap_fixed<9,9,AP_RND_CONV,AP_SAT>");
    }
    let y = raw_outputs(&compiled(&t), &x);
    let step = 0.029_827_53_f64;
    let mismatches = (0..64)
        .flat_map(|i| (0..4).map(move |k| (i, k)))
        .filter(|&(i, k)| (f64::from(want[[i, k]]) / step).round() != (y[i][k] / step).round())
        .count();
    assert_eq!(mismatches, 0);
}

/// uint8 with zero point 128 is exactly `ap_fixed<8,8,AP_RND_CONV,AP_SAT>` (no Clip); a DequantizeLinear
/// whose zero point differs from its QuantizeLinear's, and per-channel zero points on a computed
/// tensor, are refused naming the node.
#[test]
fn qdq_zero_point_128_is_int8_and_mismatched_zero_points_are_refused() {
    let model = |zq: i32, zd: Vec<i32>| {
        let mut m = Model::new(13);
        m.input("x", &[0, 3]).output("y");
        let nd = zd.len() as i64;
        m.init(tensor_f32("s", &[], vec![0.05]))
            .init(int_tensor("zq", &[], vec![zq], DataType::UINT8))
            .init(int_tensor(
                "zd",
                if nd == 1 { &[] } else { &[3] },
                zd,
                DataType::UINT8,
            ))
            .node("QuantizeLinear", &["x", "s", "zq"], &["q"], vec![])
            .node("DequantizeLinear", &["q", "s", "zd"], &["y"], vec![]);
        m
    };
    let raw = model(128, vec![128]).load().unwrap();
    let x = ArrayD::from_shape_vec(
        IxDyn(&[40, 3]),
        (0..120).map(|i| (i as f32 - 60.0) / 7.0).collect(),
    )
    .unwrap();
    let want = binpoint::eval::run_f32(&raw, &x).unwrap();
    // onnxruntime's arithmetic: (clamp(round(x / s) + 128, 0, 255) - 128) · s.
    for (w, v) in want.iter().zip(&x) {
        let q = ((v / 0.05).round_ties_even() + 128.0).clamp(0.0, 255.0) - 128.0;
        assert_eq!(*w, q * 0.05);
    }
    let mut g = raw.clone();
    binpoint::passes::cleanup(&mut g, &CleanupOptions::default()).unwrap();
    let t = typed_no_bits(&g, &x);
    let types: Vec<String> = t
        .ordered()
        .iter()
        .map(|(_, l)| format!("{} {}", l.op, l.output.ty))
        .collect();
    assert!(
        types.contains(&"Affine ap_fixed<8,8,AP_RND_CONV,AP_SAT>".to_string()),
        "{types:?}"
    );
    assert!(!types.iter().any(|t| t.starts_with("Clip")), "{types:?}");
    for (m, reason) in [
        (model(128, vec![127]), "differs from the QuantizeLinear's"),
        (model(128, vec![128, 127, 128]), "per-channel zero points"),
    ] {
        let e = m.load().unwrap_err().to_string();
        assert!(
            e.contains("DequantizeLinear_1") && e.contains(reason),
            "{e}"
        );
    }
}
