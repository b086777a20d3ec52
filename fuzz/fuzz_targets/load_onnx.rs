//! The ONNX loader on arbitrary bytes: load, inspect, dump, both cleanup pipelines and, when the
//! graph is small, a batch-1 float evaluation. Every outcome must be a value or a `CompileError`;
//! a panic, an abort (e.g. an allocation that exceeds memory), a leak or a timeout is a finding.

#![no_main]

use binpoint::passes::{cleanup, CleanupOptions};
use libfuzzer_sys::fuzz_target;

/// Graphs evaluated per input stay under these, so each run takes milliseconds.
const MAX_MACS: u64 = 1_000_000;
const MAX_INPUT_ELEMENTS: u64 = 1 << 14;

fuzz_target!(|bytes: &[u8]| {
    // No base folder: external-data tensors are refused, so the fuzzer never reads other files.
    let Ok(loaded) = binpoint::onnx::load_bytes(bytes, "fuzz.onnx", None) else {
        return;
    };
    let _ = binpoint::inspect::report(&loaded);
    let _ = loaded.dump();
    for keep_batch_norm in [false, true] {
        let mut g = loaded.clone();
        if cleanup(&mut g, &CleanupOptions { keep_batch_norm }).is_err() {
            continue;
        }
        let _ = g.dump();
        let small = binpoint::inspect::report(&g).totals.macs < MAX_MACS
            && g.inputs().len() == 1
            && g.node(g.inputs()[0])
                .shape
                .fixed_numel()
                .is_some_and(|n| n < MAX_INPUT_ELEMENTS);
        if small {
            let dims = g.node(g.inputs()[0]).shape.concrete(1);
            let x = ndarray::ArrayD::<f32>::from_elem(ndarray::IxDyn(&dims), 0.5);
            let _ = binpoint::eval::run_f32(&g, &x);
        }
    }
});
