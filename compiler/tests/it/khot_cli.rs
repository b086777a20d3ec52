//! K-hot weights end to end: `binpoint compile --khot 2 --bits 8` on the cnn_bn fixture (two
//! convs and a dense layer), then `binpoint verify` (g++ against the ap_types headers, 0
//! mismatches), the emitted firmware of the K-hot layers (shift-add kernels, no `*` on data),
//! the compiled model (every weight within K digits), the report (K per layer, 0 DSP), and the
//! errors for bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use binpoint::emit::hls::ap_types::target_dir;
use binpoint_runtime::fixed::csd_weight;
use binpoint_runtime::model::format::{layer::Kernel, ModelProto};

fn binpoint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn compile(out: &Path, extra: &[&str]) -> std::process::Output {
    let _ = std::fs::remove_dir_all(out);
    let f = fixtures();
    binpoint()
        .arg("compile")
        .arg(f.join("cnn_bn/cnn_bn_opset13.onnx"))
        .arg("-o")
        .arg(out)
        .args(["--bits", "8", "--calib"])
        .arg(f.join("data/train_x.npy"))
        .args(extra)
        .output()
        .unwrap()
}

/// The text with `//` comments and everything inside `[...]` (array sizes, indices, also across
/// lines) removed.
fn without_comments_and_indices(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for c in code.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn khot_2_at_8_bits_compiles_verifies_and_has_no_multiplier() {
    let out = target_dir().join("khot-cli/cnn_bn_k2");
    let o = compile(&out, &["--khot", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The compiled model: Conv/Dense layers are K-hot, every raw weight has at most 2 digits, and
    // at least one weight needs both (the projection keeps what K allows).
    let p = ModelProto::from_bytes(&std::fs::read(out.join("model.bpm")).unwrap()).unwrap();
    let mut khot_layers = Vec::new();
    for l in &p.layers {
        let (k, w) = match &l.kernel {
            Some(Kernel::Dense(d)) => (d.khot, &d.weights),
            Some(Kernel::Conv(c)) => (c.khot, &c.weights),
            _ => continue,
        };
        assert_eq!(k, 2, "{}", l.name);
        assert!(w.iter().all(|&v| csd_weight(v) <= 2), "{}", l.name);
        assert!(w.iter().any(|&v| csd_weight(v) == 2), "{}", l.name);
        khot_layers.push(l.name.clone());
    }
    assert_eq!(khot_layers.len(), 3, "{khot_layers:?}");

    // The report: per layer, K and the shift-add kernel; the estimate's DSPs for them are 0.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(report["precision"].as_str().unwrap().contains("--khot 2"));
    let layers = report["layers"].as_array().unwrap();
    for name in &khot_layers {
        let l = layers.iter().find(|l| l["name"] == name.as_str()).unwrap();
        assert!(l["kernel"].as_str().unwrap().ends_with("_shift_add"), "{l}");
        assert_eq!(l["types"]["khot"], 2, "{l}");
    }
    let text = serde_json::to_string(&report).unwrap();
    let est_layers = find_estimate_layers(&report);
    assert!(
        !est_layers.is_empty(),
        "no per-layer estimate in report.json: {text:.400}"
    );
    for name in &khot_layers {
        let e = est_layers
            .iter()
            .find(|e| e["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no estimate for {name}"));
        assert_eq!(e["dsp"], 0, "{e}");
        assert_eq!(e["multiplier"], "shift-add", "{e}");
    }
    let report_txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(report_txt.contains("khot 2"), "{report_txt}");
    assert!(report_txt.contains("conv2d_shift_add"));

    // The firmware: the K-hot layers call the shift-add kernels with digit tables, no weights.
    let top = std::fs::read_to_string(out.join("firmware/binpoint_top.cpp")).unwrap();
    let calls: Vec<&str> = top.lines().filter(|l| l.contains("_shift_add<")).collect();
    assert_eq!(calls.len(), 3, "{top}");
    for c in &calls {
        assert!(!c.contains('*'), "{c}");
        assert!(c.contains("_shift,") && c.contains("_sign,"), "{c}");
    }
    assert!(!top.contains("binpoint::dense<") && !top.contains("binpoint::conv2d<"));
    let params = std::fs::read_to_string(out.join("firmware/parameters.h")).unwrap();
    assert!(
        !params.contains("_w["),
        "K-hot layers carry digit tables, not weights"
    );
    // No `*` on data in the kernels of those layers: every `*` left outside comments and array
    // indices computes a tap position from loop counters.
    for h in ["shift_add.h", "dense_shift_add.h", "conv2d_shift_add.h"] {
        let code = without_comments_and_indices(
            &std::fs::read_to_string(out.join("firmware").join(h)).unwrap(),
        );
        for line in code.lines().filter(|l| l.contains('*')) {
            let t = line.trim();
            assert!(
                t.starts_with("const int iy =")
                    || t.starts_with("const int ix =")
                    || t.starts_with("const int ci ="),
                "{h}: `*` outside an index computation: {t}"
            );
        }
        assert!(
            !code.contains(".range() *") && !code.contains("xr *"),
            "{h}"
        );
    }

    // C simulation of that firmware against the interpreter.
    let v = binpoint()
        .arg("verify")
        .arg(&out)
        .args(["--vectors", "200", "--seed", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&v.stdout);
    assert!(
        v.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert_eq!(
        stdout.lines().last(),
        Some("200 passed, 0 failed"),
        "{stdout}"
    );
}

/// The per-layer estimate entries of report.json, wherever the report keeps them.
fn find_estimate_layers(v: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    fn walk(v: &serde_json::Value, found: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(m) => {
                if m.contains_key("dsp") && m.contains_key("name") && m.contains_key("lut") {
                    found.push(v.clone());
                }
                for x in m.values() {
                    walk(x, found);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, found)),
            _ => {}
        }
    }
    walk(v, &mut found);
    found
}

#[test]
fn bad_khot_input_is_a_clear_error() {
    let dir = target_dir().join("khot-cli/bad");
    let o = compile(&dir.join("k0"), &["--khot", "0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("--khot") && err.contains("K must be in 1..=32"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    std::fs::create_dir_all(&dir).unwrap();
    for (toml, want) in [
        (
            "[default]\nbits = 8\n[layer.\"/features/features.2/Relu\"]\nkhot = 2\n",
            "'/features/features.2/Relu' is a Relu node, which has no weights to make K-hot",
        ),
        (
            "[default]\nbits = 8\n[op.MaxPool]\nkhot = 1\n",
            "[op.MaxPool]: khot: MaxPool has no weights to make K-hot",
        ),
        (
            "[op.Conv]\nkhot = 0\n",
            "[op.Conv]: khot: K must be in 1..=32",
        ),
    ] {
        let cfg = dir.join("precision.toml");
        std::fs::write(&cfg, toml).unwrap();
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let f = fixtures();
        let o = binpoint()
            .arg("compile")
            .arg(f.join("cnn_bn/cnn_bn_opset13.onnx"))
            .arg("-o")
            .arg(dir.join("out"))
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{toml}");
        assert!(err.contains(want), "{toml}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn khot_per_layer_in_the_config_applies_to_that_layer_only() {
    let dir = target_dir().join("khot-cli/per-layer");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("precision.toml");
    std::fs::write(
        &cfg,
        "[default]\nbits = 8\n[layer.\"/fc/Gemm\"]\nkhot = 1\n",
    )
    .unwrap();
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let f = fixtures();
    let o = binpoint()
        .arg("compile")
        .arg(f.join("cnn_bn/cnn_bn_opset13.onnx"))
        .arg("-o")
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .arg("--calib")
        .arg(f.join("data/train_x.npy"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p = ModelProto::from_bytes(&std::fs::read(out.join("model.bpm")).unwrap()).unwrap();
    for l in &p.layers {
        match &l.kernel {
            Some(Kernel::Dense(d)) => {
                assert_eq!(d.khot, 1);
                // Powers of two (and 0) only.
                assert!(d
                    .weights
                    .iter()
                    .all(|&v| v == 0 || (v.unsigned_abs()).is_power_of_two()));
            }
            Some(Kernel::Conv(c)) => {
                assert_eq!(c.khot, 0, "{}", l.name);
                assert!(c.weights.iter().any(|&v| csd_weight(v) > 2), "{}", l.name);
            }
            _ => {}
        }
    }
}
