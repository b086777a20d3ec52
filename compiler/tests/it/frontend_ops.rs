//! Single-op cases (compiler/tests/frontend_ops/, made by make_cases.py with onnxruntime): every
//! attribute form the loader supports evaluates like onnxruntime, before and after cleanup.

use crate::frontend_util;

use binpoint::passes::{cleanup, CleanupOptions};
use binpoint::{eval, onnx};
use frontend_util::close;
use ndarray::ArrayD;
use ndarray_npy::read_npy;
use std::path::PathBuf;

fn cases() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/frontend_ops");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("frontend_ops dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    v.sort();
    assert!(v.len() >= 40, "cases missing: {}", v.len());
    v
}

#[test]
fn every_case_matches_onnxruntime() {
    let mut failures = Vec::new();
    for path in cases() {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let x: ArrayD<f32> = read_npy(path.with_extension("in.npy")).expect("input");
        let want: ArrayD<f32> = read_npy(path.with_extension("out.npy")).expect("output");
        let result = (|| -> Result<(f32, f32), String> {
            let g = onnx::load_file(&path).map_err(|e| e.to_string())?;
            let loaded = close(&eval::run_f32(&g, &x).map_err(|e| e.to_string())?, &want)?;
            let mut c = g.clone();
            cleanup(&mut c, &CleanupOptions::default()).map_err(|e| e.to_string())?;
            let cleaned = close(&eval::run_f32(&c, &x).map_err(|e| e.to_string())?, &want)?;
            Ok((loaded, cleaned))
        })();
        match result {
            Ok((a, b)) => eprintln!("{name:<36} loaded {a:e}  cleanup {b:e}"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
