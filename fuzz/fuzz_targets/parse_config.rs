//! The precision config (TOML) on arbitrary bytes: parsed, its names checked against a model, and,
//! when that passes, the model typed with it by range propagation (the typing stage `compile` runs
//! without calibration data). Every outcome must be a config, a typed graph or a `ConfigError` /
//! `QuantError`; a panic, an abort, a leak or a timeout is a finding.

#![no_main]

use std::sync::OnceLock;

use binpoint::ir::Graph;
use binpoint::passes::CleanupOptions;
use binpoint::quant::{calibrate_and_type, PrecisionConfig, Ranges};
use libfuzzer_sys::fuzz_target;

/// The committed MLP fixture, loaded once: small enough to type in milliseconds.
fn mlp() -> &'static Graph {
    static G: OnceLock<Graph> = OnceLock::new();
    G.get_or_init(|| {
        let bytes = include_bytes!("../../testbench/fixtures/mlp/mlp_opset13.onnx");
        let mut g = binpoint::onnx::load_bytes(bytes, "mlp.onnx", None).expect("the fixture loads");
        binpoint::passes::cleanup(&mut g, &CleanupOptions::default()).expect("and cleans up");
        g
    })
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(cfg) = PrecisionConfig::parse(text, "fuzz.toml") else {
        return;
    };
    let g = mlp();
    if cfg.check_names(g).is_err() {
        return;
    }
    let _ = calibrate_and_type(g, &cfg, Ranges::Propagated(None));
});
