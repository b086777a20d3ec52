//! The estimator against a real csynth report: hls4ml's jet tagger (16-64-32-32-5,
//! `ap_fixed<16,6>` everywhere including the accumulator, ReuseFactor 1, Latency strategy),
//! synthesized by Vitis HLS 2022.2 with exactly these weights (`testbench/fixtures/csynth_jet`).
//! binpoint compiles the same network with the same types at `--strategy latency --reuse 1`;
//! its estimate must match the report per layer (DSP within 10%, LUT within 35%, latency within
//! 3 cycles) and in total; and what it emits must stay bit-exact (`verify`).

use crate::compile_util::fixtures;

use binpoint::estimate::Estimate;
use binpoint::hardware::Strategy;
use binpoint::pipeline::{compile, CompileOptions, Precision, Reuse, Target};
use binpoint_runtime::model::Threads;
use serde_json::Value;

fn jet_dir() -> std::path::PathBuf {
    fixtures().join("csynth_jet")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(jet_dir().join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn estimate() -> (Estimate, binpoint::pipeline::Compiled) {
    let d = jet_dir();
    let c = compile(&CompileOptions {
        model: d.join("nrp_model1.onnx"),
        calib: Some(d.join("input_normal_200x16.npy")),
        labels: None,
        precision: Precision {
            config: Some(d.join("prec_16_6.toml")),
            ..Precision::default()
        },
        input_range: None,
        keep_batch_norm: false,
        low_rank: None,
        learn: None,
        target: Target {
            strategy: Some(Strategy::Latency),
            reuse: vec![Reuse::All(1)],
            ..Target::default()
        },
        threads: Threads::All,
    })
    .unwrap();
    (c.estimate.clone(), c)
}

fn within(ours: u64, real: u64, share: f64) -> bool {
    (ours as f64 - real as f64).abs() <= share * real as f64
}

#[test]
fn the_latency_estimate_matches_the_csynth_report_of_the_jet_tagger() {
    let r = reference();
    let (e, c) = estimate();
    assert!(c
        .hardware
        .layers
        .iter()
        .all(|l| l.strategy == Strategy::Latency));
    let mut rows = Vec::new();
    for l in &e.layers {
        let real = &r["layers"][&l.name];
        let get = |k: &str| {
            real[k]
                .as_u64()
                .unwrap_or_else(|| panic!("{}: {k}", l.name))
        };
        let (dsp, lut, lat) = (get("DSP"), get("LUT"), get("latency_max"));
        rows.push(format!(
            "{}: DSP {}/{dsp} LUT {}/{lut} latency {}/{lat}",
            l.name, l.dsp, l.lut, l.latency_cycles
        ));
        assert!(
            l.latency_cycles.abs_diff(lat) <= 3,
            "{}: latency {} against {lat}",
            l.name,
            l.latency_cycles
        );
        if l.kernel == "softmax" {
            // binpoint's softmax is its own kernel (18-bit unsigned table entries: 2 DSPs per
            // product, not hls4ml's 1): compared in the totals only.
            continue;
        }
        assert!(within(l.dsp, dsp, 0.10), "{}", rows.last().unwrap());
        assert!(within(l.lut, lut, 0.35), "{}", rows.last().unwrap());
    }
    let t = &r["total"];
    let real = |k: &str| t[k].as_u64().unwrap();
    assert!(
        within(e.totals.dsp, real("DSP"), 0.10),
        "DSP {} vs {}",
        e.totals.dsp,
        real("DSP")
    );
    assert!(
        within(e.totals.lut, real("LUT"), 0.35),
        "LUT {} vs {}",
        e.totals.lut,
        real("LUT")
    );
    assert!(
        e.totals
            .core_latency_cycles
            .abs_diff(real("latency_max_cycles"))
            <= 3,
        "latency {} vs {}",
        e.totals.core_latency_cycles,
        real("latency_max_cycles")
    );
    assert_eq!(e.totals.core_ii, real("ii"), "{}", rows.join("\n"));
    // The dense layers' DSPs are the constant products with three or more CSD digits: exact.
    for name in ["fc1", "fc2", "fc3", "output"] {
        let l = e.layers.iter().find(|l| l.name == name).unwrap();
        assert_eq!(l.dsp, r["layers"][name]["DSP"].as_u64().unwrap(), "{name}");
    }
}

/// A narrower, saturating accumulator than hls4ml's: the report counts the calibration samples
/// on which it wrapped or saturated, layer by layer, and the C++ (g++ against Xilinx's
/// `ap_fixed.h`) computes the interpreter's bits on every vector, in the all-latency design (one
/// pipeline) and in the resource design.
#[test]
fn narrow_saturating_accumulators_are_counted_and_bit_exact() {
    use binpoint::emit::hls::verify::{verify, VerifyOptions};
    let d = jet_dir();
    let base = std::fs::read_to_string(d.join("prec_16_6.toml")).unwrap();
    let narrow = base.replace(
        "accum = \"ap_fixed<16,6>\"",
        "accum = \"ap_fixed<10,3,AP_RND_CONV,AP_SAT>\"",
    );
    assert_ne!(narrow, base);
    let work = binpoint::emit::hls::ap_types::target_dir().join("csynth-jet-narrow");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let cfg = work.join("narrow.toml");
    std::fs::write(&cfg, narrow).unwrap();
    for (label, strategy) in [
        ("latency", Strategy::Latency),
        ("resource", Strategy::Resource),
    ] {
        let c = compile(&CompileOptions {
            model: d.join("nrp_model1.onnx"),
            calib: Some(d.join("input_normal_200x16.npy")),
            labels: None,
            precision: Precision {
                config: Some(cfg.clone()),
                ..Precision::default()
            },
            input_range: None,
            keep_batch_norm: false,
            low_rank: None,
            learn: None,
            target: Target {
                strategy: Some(strategy),
                reuse: vec![Reuse::All(2)],
                ..Target::default()
            },
            threads: Threads::All,
        })
        .unwrap();
        let counts: Vec<u64> = c
            .report
            .layers
            .iter()
            .filter_map(|l| l.accum_overflow_samples)
            .collect();
        assert_eq!(counts.len(), 4, "{label}: the four dense layers");
        assert!(counts.iter().any(|&n| n > 0), "{label}: {counts:?}");
        assert!(
            c.report
                .warnings
                .iter()
                .any(|w| w.contains("wrapped or saturated on")),
            "{label}: {:?}",
            c.report.warnings
        );
        let out = work.join(label);
        binpoint::pipeline::emit(&c, &out, true).unwrap();
        let r = verify(
            &out,
            &VerifyOptions {
                vectors: 300,
                calib: Some(d.join("input_normal_200x16.npy")),
                ..VerifyOptions::default()
            },
        )
        .unwrap();
        assert_eq!((r.failed, r.passed), (0, 500), "{label}: {}", r.tb_output);
    }
}
