//! Every fixture (PyTorch exports of models trained on 8x8 digits, both exporters) loads, cleans up
//! and evaluates within 1e-5 relative / 1e-6 absolute of onnxruntime; inspect counts its parameters.

use crate::frontend_util;

use binpoint::passes::{cleanup, CleanupOptions};
use binpoint::{eval, inspect, onnx};
use frontend_util::{close_tol, fixtures};
use ndarray::ArrayD;
use ndarray_npy::read_npy;

const MODELS: &[&str] = &["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"];

struct Variant {
    model: String,
    key: String,
    onnx: std::path::PathBuf,
    expected: std::path::PathBuf,
    input: std::path::PathBuf,
    meta_params: u64,
}

fn variants() -> Vec<Variant> {
    let mut out = Vec::new();
    for m in MODELS {
        let dir = fixtures().join(m);
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("meta.json")).expect("meta.json"),
        )
        .expect("json");
        let exports = meta["exports"].as_object().expect("exports");
        for (key, e) in exports {
            out.push(Variant {
                model: m.to_string(),
                key: key.clone(),
                onnx: dir.join(e["file"].as_str().expect("file")),
                expected: dir.join(e["expected"].as_str().expect("expected")),
                input: dir.join("input.npy"),
                meta_params: meta["param_count"].as_u64().expect("param_count"),
            });
        }
    }
    assert!(out.len() >= 12, "fixtures missing: {}", out.len());
    out
}

/// Strict (1e-6 abs / 1e-5 rel) after the default cleanup, which folds BatchNorm the way onnxruntime
/// itself does; 10x looser for graphs that keep BatchNorm apart (onnxruntime fuses it into the Conv, so
/// its rounding differs from a separate BatchNorm by a few ulp).
fn check(v: &Variant, g: &binpoint::Graph, stage: &str, strict: bool) {
    let x: ArrayD<f32> = read_npy(&v.input).expect("input.npy");
    let want: ArrayD<f32> = read_npy(&v.expected).expect("expected npy");
    let got = eval::run_f32(g, &x).unwrap_or_else(|e| panic!("{} {} {stage}: {e}", v.model, v.key));
    let (abs, rel) = if strict { (1e-6, 1e-5) } else { (1e-5, 1e-4) };
    let worst = close_tol(&got, &want, abs, rel)
        .unwrap_or_else(|e| panic!("{} {} {stage}: {e}", v.model, v.key));
    eprintln!(
        "{:<12} {:<16} {:<18} max |diff| {worst:e}",
        v.model, v.key, stage
    );
}

#[test]
fn fixtures_match_onnxruntime_before_and_after_cleanup() {
    for v in variants() {
        let g = onnx::load_file(&v.onnx).unwrap_or_else(|e| panic!("{e}"));
        check(&v, &g, "loaded", false);
        let mut folded = g.clone();
        cleanup(&mut folded, &CleanupOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        check(&v, &folded, "cleanup", true);
        let mut kept = g.clone();
        cleanup(
            &mut kept,
            &CleanupOptions {
                keep_batch_norm: true,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        check(&v, &kept, "cleanup keep-bn", false);
    }
}

#[test]
fn inspect_params_equal_meta() {
    for v in variants() {
        let g = onnx::load_file(&v.onnx).unwrap_or_else(|e| panic!("{e}"));
        let r = inspect::report(&g);
        let json = serde_json::to_value(&r).expect("serializes");
        assert!(
            json.get("layers").is_some()
                && json["totals"].get("params").is_some()
                && json["totals"].get("macs").is_some()
        );
        eprintln!(
            "{} {}: params {} macs {}",
            v.model, v.key, r.totals.params, r.totals.macs
        );
        if v.key.ends_with("_default") {
            // dynamo's default export folds BatchNorm into Conv: the file stores fewer parameters.
            assert!(r.totals.params < v.meta_params, "{} {}", v.model, v.key);
        } else {
            assert_eq!(r.totals.params, v.meta_params, "{} {}", v.model, v.key);
        }
    }
}
