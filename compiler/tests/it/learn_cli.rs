//! `binpoint compile --learn` as a user runs it: the same seed gives the same bytes, the learned
//! model passes `binpoint verify`, the report has the learning section, bad flags are usage errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binpoint::emit::hls::ap_types::target_dir;

fn binpoint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn compile(out: &Path, extra: &[&str]) -> Output {
    let _ = std::fs::remove_dir_all(out);
    let f = fixtures();
    binpoint()
        .arg("compile")
        .arg(f.join("mlp/mlp_opset13.onnx"))
        .arg("-o")
        .arg(out)
        .args(["--bits", "8", "--calib"])
        .arg(f.join("data/train_x.npy"))
        .arg("--labels")
        .arg(f.join("data/train_y.npy"))
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

#[test]
fn same_seed_same_bytes_and_the_learned_model_verifies() {
    let dir = target_dir().join("learn-cli");
    let learn = ["--learn", "--epochs", "2", "--seed", "7", "--quiet"];
    let (a, b) = (dir.join("a"), dir.join("b"));
    for out in [&a, &b] {
        let o = compile(out, &learn);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("learned binary points in"),
            "{}",
            text(&o)
        );
    }
    for file in ["model.bpm", "report.json", "report.txt"] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two runs with the same seed");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("report.json")).unwrap()).unwrap();
    let learning = &report["learning"];
    assert_eq!(learning["epochs"], 2);
    assert_eq!(learning["seed"], 7);
    let tensors = learning["tensors"].as_array().unwrap();
    assert!(tensors.iter().any(|t| t["role"] == "weight"));
    assert!(tensors.iter().any(|t| t["role"] == "output"));
    assert!(tensors
        .iter()
        .all(|t| t["int_bits_before"].is_i64() && t["int_bits_after"].is_i64()));
    assert!(std::fs::read_to_string(a.join("report.txt"))
        .unwrap()
        .contains("learned tensors changed their integer bits"));

    let o = binpoint()
        .arg("verify")
        .arg(&a)
        .args(["--vectors", "40", "--seed", "1"])
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("40 passed, 0 failed"), "{out}");
}

#[test]
fn learn_flags_are_checked() {
    let dir = target_dir().join("learn-cli-bad");
    let f = fixtures();
    let o = binpoint()
        .arg("compile")
        .arg(f.join("mlp/mlp_opset13.onnx"))
        .arg("-o")
        .arg(dir.join("nocalib"))
        .args(["--bits", "8", "--learn"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--learn needs calibration data"),
        "{}",
        text(&o)
    );
    let o = compile(&dir.join("zero"), &["--learn", "--epochs", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--epochs must be at least 1"),
        "{}",
        text(&o)
    );
    let o = compile(&dir.join("noflag"), &["--epochs", "3"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--epochs without --learn: {}",
        text(&o)
    );
}
