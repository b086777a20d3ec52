//! Shared by the compile_* tests: the fixtures, the digits data, and the compile pipeline through
//! the library (what `binpoint compile` runs, without a process per model).
#![allow(dead_code)]

use binpoint::emit::hls::HlsOptions;
use binpoint::hardware::Hardware;
use binpoint::lower::{lower, LowerOptions, Lowered};
use binpoint::passes::CleanupOptions;
use binpoint::pipeline::{plan_hardware, Target};
use binpoint::quant::{
    calibrate, fit_input, load_npy, type_graph, Method, PrecisionConfig, RangeSource, TypedGraph,
};
use binpoint::Graph;
use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::Model;
use ndarray::{ArrayD, Axis, Slice};
use std::path::PathBuf;

pub const MODELS: &[&str] = &["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"];

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

pub fn model_path(model: &str, opset: u32) -> PathBuf {
    fixtures().join(format!("{model}/{model}_opset{opset}.onnx"))
}

pub fn graph(model: &str, opset: u32, keep_batch_norm: bool) -> Graph {
    binpoint::load_float_graph(
        model_path(model, opset),
        &CleanupOptions { keep_batch_norm },
    )
    .unwrap_or_else(|e| panic!("{model} opset {opset}: {e}"))
}

/// `data/<name>.npy` (train_x, test_x), the first `n` samples, in the graph's input shape.
pub fn inputs(g: &Graph, name: &str, n: usize) -> ArrayD<f32> {
    let x = load_npy(fixtures().join(format!("data/{name}.npy"))).unwrap();
    let n = n.min(x.shape()[0]);
    let x = x.slice_axis(Axis(0), Slice::from(0..n)).to_owned();
    fit_input(g, g.inputs()[0], x).unwrap()
}

/// `data/<name>.npy` (train_y, test_y) as class indices.
pub fn labels(name: &str) -> Vec<i64> {
    let a: ArrayD<i64> =
        ndarray_npy::read_npy(fixtures().join(format!("data/{name}.npy"))).unwrap();
    a.iter().copied().collect()
}

/// Typed with `--bits W`, calibrated (max-abs) on `calib`.
pub fn typed(g: &Graph, calib: &ArrayD<f32>, bits: u32) -> TypedGraph {
    let cal = calibrate(g, std::slice::from_ref(calib), Method::MaxAbs).unwrap();
    type_graph(
        g,
        &PrecisionConfig::uniform(bits).unwrap(),
        RangeSource::Calibrated(&cal),
    )
    .unwrap_or_else(|e| panic!("{bits} bits: {e}"))
}

pub fn lowered(t: &TypedGraph) -> Lowered {
    lower(
        t,
        &LowerOptions {
            source: "model.onnx".into(),
            float_model: "model.onnx".into(),
        },
    )
    .unwrap_or_else(|e| panic!("lowering: {e}"))
}

/// The compiled model as the interpreter loads it from bytes (`Err`: the load error's text).
pub fn compiled(t: &TypedGraph) -> Result<Model, String> {
    Model::from_bytes(&lowered(t).proto.to_bytes()).map_err(|e| e.to_string())
}

/// Row-major values of an array.
pub fn flat(x: &ArrayD<f32>) -> Vec<f32> {
    x.iter().copied().collect()
}

/// True when a load error is about missing look-up-table kernels. The runtime has them now (the
/// compile_* tests no longer skip anything); kept because other tests still call it.
pub fn lut_missing(err: &str) -> bool {
    err.contains("look-up-table kernels")
}

/// The hardware plan `compile` makes for `m` by default (Ultra96-V2, m_axi, the folding chooser's
/// reuse factors).
pub fn hardware(m: &Model) -> Hardware {
    plan_hardware(m, &Target::default(), &PrecisionConfig::default())
        .unwrap_or_else(|e| panic!("planning the hardware: {e}"))
        .0
}

/// A fresh folder `target/<group>/<name>` holding `proto` as `model.bpm` and its default hardware
/// plan as `hardware.json`, as `compile` writes them: what `verify` needs to emit and check the
/// firmware.
pub fn verify_dir(group: &str, name: &str, proto: &ModelProto) -> PathBuf {
    let out = binpoint::emit::hls::ap_types::target_dir()
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("model.bpm"), proto.to_bytes()).unwrap();
    let model = Model::from_proto(proto).unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::write(
        out.join(binpoint::hardware::FILE_NAME),
        hardware(&model).to_json(),
    )
    .unwrap();
    out
}

/// The HLS options of that plan.
pub fn hls_options(m: &Model) -> HlsOptions {
    HlsOptions::new(hardware(m))
}
