//! The `.npy` reader on arbitrary bytes: what `--calib`, `--input`, `--labels` and `--data` do with
//! a file before anything else sees it (header, dtype, shape and size checked before allocating),
//! then fitting the samples to a model input of 64 values as `compile --calib` does. Every outcome
//! must be a value or an error message; a panic, an abort (an allocation the header talked it
//! into), a leak or a timeout is a finding.

#![no_main]

use std::sync::OnceLock;

use binpoint::ir::Graph;
use binpoint::npy::{decode, decode_f32, Array};
use binpoint::passes::CleanupOptions;
use libfuzzer_sys::fuzz_target;

/// The committed MLP fixture (input [N, 64]), loaded once.
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
    if let Ok(Array::Int(labels)) = decode(bytes) {
        // What label validation reads: every value, flattened.
        let _ = labels.iter().filter(|&&c| (0..10).contains(&c)).count();
    }
    let Ok((x, _)) = decode_f32(bytes) else {
        return;
    };
    let g = mlp();
    let _ = binpoint::quant::fit_input(g, g.inputs()[0], x);
});
