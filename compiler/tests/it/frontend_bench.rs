//! Load + cleanup time of large real models (torchvision ResNet-18 / MobileNetV2, random weights), made by
//! `testbench/fixtures/bench_models.py` and not committed. Ignored by default:
//!
//!     .venv-fixtures/bin/python testbench/fixtures/bench_models.py target/bench-models
//!     BINPOINT_BENCH_MODELS=target/bench-models cargo test -p binpoint --release --test it frontend_bench:: -- --ignored --nocapture

use binpoint::passes::{cleanup, CleanupOptions};
use std::time::Instant;

#[test]
#[ignore]
fn torchvision_models_load_and_inspect() {
    let dir = std::env::var("BINPOINT_BENCH_MODELS")
        .expect("set BINPOINT_BENCH_MODELS to the bench_models.py output folder");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for p in paths {
        let t0 = Instant::now();
        let mut g = binpoint::onnx::load_file(&p).unwrap_or_else(|e| panic!("{e}"));
        let t1 = Instant::now();
        let before = binpoint::inspect::report(&g);
        cleanup(&mut g, &CleanupOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let t2 = Instant::now();
        let after = binpoint::inspect::report(&g);
        // Optional reference pair written next to the model: <name>.in.npy / <name>.out.npy (onnxruntime).
        let (xin, xout) = (p.with_extension("in.npy"), p.with_extension("out.npy"));
        let agreement = if xin.exists() && xout.exists() {
            let x: ndarray::ArrayD<f32> = ndarray_npy::read_npy(&xin).expect("input");
            let want: ndarray::ArrayD<f32> = ndarray_npy::read_npy(&xout).expect("output");
            let t = Instant::now();
            let got = binpoint::eval::run_f32(&g, &x).unwrap_or_else(|e| panic!("{e}"));
            let worst = got
                .iter()
                .zip(want.iter())
                .map(|(a, b)| (a - b).abs() / b.abs().max(1e-1))
                .fold(0f32, f32::max);
            format!(
                "; eval {:.1} s, max |diff|/max(|ref|, 0.1) = {worst:e}",
                t.elapsed().as_secs_f64()
            )
        } else {
            String::new()
        };
        eprintln!(
            "{}: load {:.0} ms, cleanup {:.0} ms; {} layers -> {}, params {} (stored {}), {:.1} MMACs{agreement}",
            p.file_name().and_then(|s| s.to_str()).unwrap_or_default(),
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            before.totals.layers,
            after.totals.layers,
            before.totals.params,
            before.totals.stored_params,
            after.totals.macs as f64 / 1e6
        );
    }
}
