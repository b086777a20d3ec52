//! `binpoint inspect`, run as users run it, on every committed fixture and on bad files.

use crate::frontend_util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frontend_util::{attr_i, fixtures, Model};
use serde_json::Value;

const MODELS: &[&str] = &["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"];

fn binpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
        .args(args)
        .output()
        .expect("the binpoint binary starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// A fresh folder for this test's files, under the target dir.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_inspect")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Every export of every fixture: (model, export key, ONNX file, meta.json's param count).
fn exports() -> Vec<(String, String, PathBuf, u64)> {
    let mut out = Vec::new();
    for m in MODELS {
        let dir = fixtures().join(m);
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).expect("meta"))
                .expect("meta.json is JSON");
        let params = meta["param_count"].as_u64().expect("param_count");
        for (key, e) in meta["exports"].as_object().expect("exports") {
            let file = dir.join(e["file"].as_str().expect("file"));
            out.push((m.to_string(), key.clone(), file, params));
        }
    }
    assert!(out.len() >= 12, "fixtures missing: {}", out.len());
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn json_totals_params_equal_meta_for_every_fixture() {
    for (model, key, file, meta_params) in exports() {
        let out = binpoint(&["inspect", path(&file), "--json"]);
        assert!(out.status.success(), "{model} {key}: {}", stderr(&out));
        let json: Value = serde_json::from_str(&stdout(&out)).expect("--json prints JSON");
        let layers = json["layers"].as_array().expect("layers");
        let totals = &json["totals"];
        let params = totals["params"].as_u64().expect("totals.params");
        let macs = totals["macs"].as_u64().expect("totals.macs");
        eprintln!("{model:<12} {key:<18} params {params:>6} macs {macs:>8}");
        if key.ends_with("_default") {
            // dynamo's default export folds BatchNorm into the Conv: the file stores fewer.
            assert!(params < meta_params, "{model} {key}: {params}");
        } else {
            assert_eq!(params, meta_params, "{model} {key}");
        }
        assert!(!layers.is_empty());
        assert_eq!(totals["layers"].as_u64(), Some(layers.len() as u64));
        let sum = |k: &str| -> u64 { layers.iter().map(|l| l[k].as_u64().expect(k)).sum() };
        assert_eq!(sum("params"), params, "{model} {key}");
        assert_eq!(sum("macs"), macs, "{model} {key}");
        assert!(macs > 0);
        for l in layers {
            assert!(l["op"].is_string() && l["name"].is_string() && l["output"].is_array());
        }
        assert!(json.get("ir").is_none());
    }
}

#[test]
fn text_table_has_every_layer_and_the_totals() {
    let file = fixtures().join("cnn_bn/cnn_bn_opset13.onnx");
    let out = binpoint(&["inspect", path(&file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("model: {}", file.display()));
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(header, ["layer", "op", "input", "output", "params", "MACs"]);
    assert!(
        lines.iter().any(|l| l.contains("Conv")
            && l.contains("[N,1,8,8]")
            && l.contains("[N,8,8,8]")
            && l.split_whitespace().rev().nth(1) == Some("80")),
        "{text}"
    );
    assert!(
        text.contains("\ntotal: 10 layers, 1994 params, 24448 MACs per sample\n"),
        "{text}"
    );
}

/// `--dump-ir` prints the graph after cleanup: the same text as the golden dumps.
#[test]
fn dump_ir_is_the_cleaned_graph() {
    for m in MODELS {
        for v in ["13", "18"] {
            let file = fixtures().join(format!("{m}/{m}_opset{v}.onnx"));
            let out = binpoint(&["inspect", path(&file), "--dump-ir"]);
            assert!(out.status.success(), "{}", stderr(&out));
            let text = stdout(&out);
            let (_, ir) = text
                .split_once("\nIR after cleanup:\n")
                .expect("IR section");
            let golden = std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("tests/frontend_golden/{m}_opset{v}.txt")),
            )
            .expect("golden dump");
            let (_, want) = golden.split_once("# after cleanup\n").expect("section");
            assert_eq!(ir, want, "{m} opset{v}");

            let out = binpoint(&["inspect", path(&file), "--dump-ir", "--json"]);
            let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
            assert_eq!(json["ir"].as_str(), Some(want), "{m} opset{v}");
        }
    }
}

#[test]
fn keep_batch_norm_keeps_an_affine_layer() {
    let file = fixtures().join("cnn_bn/cnn_bn_opset13.onnx");
    let folded = stdout(&binpoint(&["inspect", path(&file), "--dump-ir"]));
    let kept = stdout(&binpoint(&[
        "inspect",
        path(&file),
        "--dump-ir",
        "--keep-batch-norm",
    ]));
    assert!(!folded.contains("= Affine("), "{folded}");
    assert_eq!(kept.matches("= Affine(").count(), 2, "{kept}");
    // The layer table is the file as loaded either way.
    let table = |t: &str| t.split("\nIR after cleanup:").next().map(str::to_string);
    assert_eq!(table(&folded), table(&kept));
}

/// Exit status 1 and one line naming the file, never a panic.
fn assert_fails_naming(args: &[&str], file: &str, also: &[&str]) {
    let out = binpoint(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.starts_with(&format!("error: {file}: ")),
        "{args:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for a in also {
        assert!(err.contains(a), "{args:?}: missing '{a}' in {err}");
    }
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
}

#[test]
fn bad_files_give_one_error_naming_the_file() {
    let dir = scratch("bad_files");
    let missing = dir.join("missing.onnx");
    assert_fails_naming(
        &["inspect", path(&missing)],
        path(&missing),
        &["cannot read"],
    );

    let garbage = dir.join("garbage.onnx");
    let bytes: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, &bytes).expect("write");
    assert_fails_naming(&["inspect", path(&garbage), "--json"], path(&garbage), &[]);

    let truncated = dir.join("truncated.onnx");
    let mlp = std::fs::read(fixtures().join("mlp/mlp_opset13.onnx")).expect("fixture");
    std::fs::write(&truncated, &mlp[..mlp.len() / 2]).expect("write");
    assert_fails_naming(&["inspect", path(&truncated)], path(&truncated), &[]);

    assert_fails_naming(&["inspect", path(&dir)], path(&dir), &[]);
}

#[test]
fn unsupported_ops_are_listed_at_once_with_node_and_opset() {
    let dir = scratch("unsupported");
    let mut m = Model::new(17);
    m.input("x", &[0, 4]).weight("w", &[3, 4]);
    m.node("Gemm", &["x", "w"], &["a"], vec![attr_i("transB", 1)]);
    m.node("Erf", &["a"], &["b"], vec![]);
    m.node("Relu", &["b"], &["c"], vec![]);
    m.node("Gelu", &["c"], &["y"], vec![]).output("y");
    let file = dir.join("unsupported.onnx");
    std::fs::write(&file, m.bytes()).expect("write");
    assert_fails_naming(
        &["inspect", path(&file)],
        path(&file),
        &[
            "2 unsupported op(s) of 2 type(s) (model opset 17):",
            "Erf ×1, node 'Erf_1'",
            "Gelu ×1, node 'Gelu_3'",
        ],
    );
}

#[test]
fn help_lists_the_subcommand() {
    let out = binpoint(&["--help"]);
    assert!(stdout(&out).contains("inspect"));
    let out = binpoint(&["inspect", "--help"]);
    let text = stdout(&out);
    for flag in ["--json", "--dump-ir", "--keep-batch-norm", "Examples:"] {
        assert!(text.contains(flag), "{text}");
    }
    let out = binpoint(&["inspect"]);
    assert_eq!(out.status.code(), Some(2));
}
