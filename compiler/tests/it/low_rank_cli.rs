//! `binpoint compile --low-rank` as a user runs it: the report names every factorized layer with
//! its rank, params and MACs; the decomposed model passes `binpoint verify` bit for bit; bad specs
//! are usage errors that name the flag.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binpoint::emit::hls::ap_types::target_dir;

fn binpoint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn compile(model: &str, out: &Path, extra: &[&str]) -> Output {
    let _ = std::fs::remove_dir_all(out);
    let f = fixtures();
    binpoint()
        .arg("compile")
        .arg(f.join(model))
        .arg("-o")
        .arg(out)
        .arg("--calib")
        .arg(f.join("data/train_x.npy"))
        .args(extra)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

#[test]
fn decomposed_cnn_is_reported_and_verifies_bit_exact() {
    let out = target_dir().join("low-rank-cli/cnn");
    let o = compile(
        "cnn_bn/cnn_bn_opset13.onnx",
        &out,
        &["--bits", "8", "--low-rank", "energy=0.9"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r = report(&out);
    let lr = r["low_rank"].as_array().unwrap();
    assert!(!lr.is_empty(), "{r:#}");
    let layers = r["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    let mut saved = 0;
    for d in lr {
        let (layer, first) = (d["layer"].as_str().unwrap(), d["first"].as_str().unwrap());
        assert_eq!(first, format!("{layer}.lr_v"));
        // The new layer comes right before the one it feeds, and both are typed and lowered.
        let at = names.iter().position(|n| *n == first).expect(first);
        assert_eq!(names[at + 1], layer);
        let rank = d["rank"].as_u64().unwrap();
        let [rows, cols] = [0, 1].map(|i| d["matrix"][i].as_u64().unwrap());
        assert!(rank * (rows + cols) < rows * cols, "{d}");
        assert_eq!(
            layers[at]["macs"].as_u64().unwrap() + layers[at + 1]["macs"].as_u64().unwrap(),
            d["macs_after"].as_u64().unwrap()
        );
        assert!(layers[at]["output"]["type"]
            .as_str()
            .unwrap()
            .starts_with("ap_fixed<8,"));
        saved += d["macs_before"].as_u64().unwrap() - d["macs_after"].as_u64().unwrap();
    }
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(txt.contains("low-rank (truncated SVD"), "{txt}");
    assert!(txt.contains("--low-rank energy=0.9"), "{txt}");

    // The same model without --low-rank costs exactly the saved MACs more.
    let plain = target_dir().join("low-rank-cli/cnn-plain");
    assert!(
        compile("cnn_bn/cnn_bn_opset13.onnx", &plain, &["--bits", "8"])
            .status
            .success()
    );
    assert_eq!(
        report(&plain)["totals"]["macs"].as_u64().unwrap(),
        r["totals"]["macs"].as_u64().unwrap() + saved
    );
    assert_eq!(report(&plain)["low_rank"], serde_json::json!([]));

    let v = binpoint()
        .arg("verify")
        .arg(&out)
        .args(["--vectors", "64", "--seed", "5"])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).lines().last(),
        Some("64 passed, 0 failed"),
        "{}",
        text(&v)
    );
}

#[test]
fn tolerance_search_reports_its_trials() {
    let out = target_dir().join("low-rank-cli/mlp-tolerance");
    let f = fixtures();
    let labels = f.join("data/train_y.npy");
    let o = compile(
        "mlp/mlp_opset13.onnx",
        &out,
        &[
            "--bits",
            "16",
            "--labels",
            labels.to_str().unwrap(),
            "--low-rank",
            "tolerance=1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r = report(&out);
    let s = &r["low_rank_search"];
    let base = s["baseline_accuracy"].as_f64().unwrap();
    let trials = s["trials"].as_array().unwrap();
    assert!(trials.len() >= 5, "{s:#}");
    let chosen = s["chosen"].as_str().expect("a candidate within 1 point");
    let pick = trials.iter().find(|t| t["rule"] == chosen).unwrap();
    let macs = pick["macs"].as_u64().unwrap();
    assert!(base - pick["fixed_accuracy"].as_f64().unwrap() <= 0.01 + 1e-12);
    // No candidate within the tolerance has fewer MACs.
    for t in trials {
        if base - t["fixed_accuracy"].as_f64().unwrap() <= 0.01 + 1e-12 {
            assert!(t["macs"].as_u64().unwrap() >= macs, "{t} beats {pick}");
        }
    }
    assert_eq!(r["totals"]["macs"].as_u64().unwrap(), macs);
    // The accuracy the report prints is that of the compiled model: the same as the search's.
    let fixed = r["accuracy"]["fixed_accuracy"].as_f64().unwrap();
    assert!((fixed - pick["fixed_accuracy"].as_f64().unwrap()).abs() < 1e-12);
}

#[test]
fn bad_low_rank_specs_are_usage_errors_naming_the_flag() {
    let out = target_dir().join("low-rank-cli/bad");
    for (spec, needle) in [
        ("rank=0", "at least 1"),
        ("energy=1.5", "(0, 1]"),
        ("size=3", "unknown rule"),
        ("tolerance=1", "--labels"),
    ] {
        let o = compile("mlp/mlp_opset13.onnx", &out, &["--low-rank", spec]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{spec}: {t}");
        assert!(
            t.contains("--low-rank") && t.contains(needle),
            "{spec}: {t}"
        );
        assert!(!t.contains("panicked"), "{t}");
    }
    let cfg = out.with_extension("toml");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "[layer.\"/net/net.0/Gemm\"]\nlow_rank = \"rank=0\"\n").unwrap();
    let o = compile(
        "mlp/mlp_opset13.onnx",
        &out,
        &["--config", cfg.to_str().unwrap()],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("low_rank") && t.contains("/net/net.0/Gemm") && t.contains("at least 1"),
        "{t}"
    );
}
