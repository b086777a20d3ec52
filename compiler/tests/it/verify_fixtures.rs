//! The done criterion: `verify` (the emitted HLS C++ and testbench built with g++
//! `-Wall -Werror` against the ap_types headers) reports 0 mismatches for every fixture, both
//! exporters, at 8 and 16 bits with AP_RND_CONV and AP_SAT (the non-default modes, which
//! are binpoint's defaults) and at 8 bits with ap_fixed's defaults (AP_TRN, AP_WRAP), on 1,000
//! random vectors plus the 360 test digits each.
//!
//! Each design is built once and cached by content under `target/hls-tb/` (the second run of this
//! test compiles nothing); builds run two at a time. `BINPOINT_VERIFY_VECTORS` changes the number
//! of random vectors, `BINPOINT_VERIFY_ONLY=mlp,cnn_bn` the models.
//! `cargo test --release -p binpoint --test it verify_fixtures:: -- --nocapture` prints the table.

use crate::compile_util;

use std::path::PathBuf;
use std::sync::Mutex;

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate, type_graph, Method, PrecisionConfig, RangeSource};
use compile_util::*;

/// `(label, precision config)`. binpoint's default modes are the non-default ones
/// (`AP_RND_CONV`, `AP_SAT`: `[default] bits = W` alone gives them), at 8 and 16 bits; the third
/// config takes ap_fixed's own defaults (`AP_TRN`, `AP_WRAP`), so both families are covered.
const CONFIGS: &[(&str, &str)] = &[
    ("8 bit RND_CONV SAT", "[default]\nbits = 8\n"),
    ("16 bit RND_CONV SAT", "[default]\nbits = 16\n"),
    (
        "8 bit TRN WRAP",
        "[default]\nbits = 8\nrounding = \"AP_TRN\"\noverflow = \"AP_WRAP\"\n",
    ),
];

fn vectors() -> usize {
    std::env::var("BINPOINT_VERIFY_VECTORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn models() -> Vec<String> {
    match std::env::var("BINPOINT_VERIFY_ONLY") {
        Ok(list) if !list.is_empty() => list.split(',').map(str::to_string).collect(),
        _ => MODELS.iter().map(|m| m.to_string()).collect(),
    }
}

/// One case: compiles the fixture into `target/verify-fixtures/<name>/` (model.bpm and the test
/// digits as calib.npy) and verifies it. `Err`: the interpreter cannot run the model.
fn case(model: &str, opset: u32, label: &str, config: &str) -> Result<String, String> {
    let g = graph(model, opset, false);
    let train = inputs(&g, "train_x", usize::MAX);
    let cfg = PrecisionConfig::parse(config, label).unwrap();
    let cal = calibrate(&g, std::slice::from_ref(&train), Method::MaxAbs).unwrap();
    let typed = type_graph(&g, &cfg, RangeSource::Calibrated(&cal))
        .unwrap_or_else(|e| panic!("{model} opset{opset} {label}: {e}"));
    let lowered = lower(
        &typed,
        &LowerOptions {
            source: format!("{model}_opset{opset}.onnx"),
            float_model: String::new(),
        },
    )
    .unwrap();
    if let Err(e) = binpoint_runtime::model::Model::from_proto(&lowered.proto) {
        return Err(e.to_string());
    }
    let name = format!("{model}_opset{opset}_{}", label.replace(' ', "_"));
    // model.bpm and the hardware plan compile would store: verify emits the firmware from it.
    let out: PathBuf = verify_dir("verify-fixtures", &name, &lowered.proto);
    let calib = fixtures().join("data/test_x.npy");
    let opts = VerifyOptions {
        vectors: vectors(),
        seed: u64::from(opset) * 1000 + label.len() as u64,
        trace: true,
        calib: Some(calib),
        ..VerifyOptions::default()
    };
    let r = verify(&out, &opts).unwrap_or_else(|e| panic!("{model} opset{opset} {label}: {e}"));
    let row = format!(
        "{model:<12} opset{opset} {label:<19} {:>5} vectors {:>5} passed {:>3} failed  g++ {}  tb {:.2} s",
        r.samples,
        r.passed,
        r.failed,
        if r.build.cached {
            "cached".to_string()
        } else {
            format!("{:.1} s", r.build.seconds)
        },
        r.tb_seconds
    );
    if r.failed > 0 {
        panic!(
            "{row}\n{}\nfirst mismatching layer: {:?} {:?}",
            r.tb_output, r.first_mismatch, r.trace_note
        );
    }
    Ok(row)
}

#[test]
fn every_fixture_verifies_bit_exact_at_8_and_16_bits_and_non_default_modes() {
    let mut cases = Vec::new();
    for model in models() {
        for opset in [13, 18] {
            for (label, config) in CONFIGS {
                cases.push((model.clone(), opset, *label, *config));
            }
        }
    }
    let queue = Mutex::new(cases.into_iter().enumerate());
    let rows = Mutex::new(Vec::new());
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get().min(2));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let Some((i, (model, opset, label, config))) = queue.lock().unwrap().next() else {
                    break;
                };
                let row = match case(&model, opset, label, config) {
                    Ok(row) => row,
                    Err(e) if lut_missing(&e) => {
                        format!("{model:<12} opset{opset} {label:<20} not run: {e}")
                    }
                    Err(e) => panic!("{model} opset{opset} {label}: {e}"),
                };
                rows.lock().unwrap().push((i, row));
            });
        }
    });
    let mut rows = rows.into_inner().unwrap();
    rows.sort();
    for (_, row) in rows {
        println!("{row}");
    }
}
