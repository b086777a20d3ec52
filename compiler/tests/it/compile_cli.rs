//! `binpoint compile`, `simulate OUT` and `eval`, run as users run them: the files OUT holds,
//! report.json's keys, byte-identical output when compiling twice, no overwrite without --force
//! (and other files left alone with it), simulate equal to the interpreter, eval's numbers.

use crate::compile_util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binpoint_runtime::model::{Model, Threads};
use compile_util::*;
use ndarray::ArrayD;
use ndarray_npy::{read_npy, write_npy};
use serde_json::Value;

fn binpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
        .args(args)
        .output()
        .expect("the binpoint binary starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A fresh folder for this test's files, under the target dir.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("compile_cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn data(name: &str) -> PathBuf {
    fixtures().join(format!("data/{name}.npy"))
}

fn compile(model: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["compile", s(model), "-o", s(out)];
    args.extend(extra);
    binpoint(&args)
}

#[test]
fn compile_writes_the_model_and_reports_deterministically() {
    let dir = scratch("deterministic");
    let model = model_path("resnet", 13);
    let calib = data("train_x");
    let labels = data("train_y");
    let flags = ["--bits", "8", "--calib", s(&calib), "--labels", s(&labels)];
    let (a, b) = (dir.join("a"), dir.join("b"));
    let stdout = ok(&compile(&model, &a, &flags));
    assert!(stdout.contains("fixed accuracy:"), "{stdout}");
    ok(&compile(&model, &b, &flags));
    for f in ["model.bpm", "model.onnx", "report.txt", "report.json"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{f} differs between two compiles");
    }
    assert_eq!(
        std::fs::read(a.join("model.onnx")).unwrap(),
        std::fs::read(&model).unwrap()
    );

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("report.json")).unwrap()).unwrap();
    for key in ["layers", "totals", "accuracy"] {
        assert!(json.get(key).is_some(), "report.json has no '{key}'");
    }
    let layers = json["layers"].as_array().unwrap();
    assert!(layers.len() >= 15, "{} layers", layers.len());
    for l in layers {
        for key in [
            "name", "op", "kernel", "inputs", "output", "types", "params", "macs",
        ] {
            assert!(l.get(key).is_some(), "layer {} has no '{key}'", l["name"]);
        }
        assert!(l["output"]["type"].as_str().unwrap().starts_with("ap_"));
        assert!(l["output"]["shape"].is_array());
    }
    let conv = layers.iter().find(|l| l["op"] == "Conv").unwrap();
    assert_eq!(conv["kernel"], "conv2d");
    assert_eq!(conv["types"]["kind"], "mac");
    assert!(conv["types"]["accum"]
        .as_str()
        .unwrap()
        .starts_with("ap_fixed<"));
    assert!(conv["params"].as_u64().unwrap() > 0 && conv["macs"].as_u64().unwrap() > 0);
    let add = layers.iter().find(|l| l["op"] == "Add").unwrap();
    assert_eq!(add["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["totals"]["layers"].as_u64().unwrap() as usize,
        layers.len()
    );
    let acc = &json["accuracy"];
    assert_eq!(acc["samples"], 1437);
    for key in ["float_accuracy", "fixed_accuracy", "argmax_agreement"] {
        let v = acc[key].as_f64().unwrap();
        assert!((0.9..=1.0).contains(&v), "{key} = {v}");
    }
    assert!(acc["max_abs_error"].as_f64().unwrap() > 0.0);
    let txt = std::fs::read_to_string(a.join("report.txt")).unwrap();
    for needle in [
        "/block1/Add",
        "conv2d",
        "accum ap_fixed<",
        "fixed accuracy",
        "warnings",
    ] {
        assert!(txt.contains(needle), "report.txt lacks '{needle}'");
    }
}

#[test]
fn out_is_never_overwritten_without_force() {
    let dir = scratch("force");
    let out = dir.join("out");
    let model = model_path("mlp", 13);
    ok(&compile(&model, &out, &["--bits", "8"]));
    let mine = out.join("notes.txt");
    std::fs::write(&mine, "user file").unwrap();
    let before = std::fs::read(out.join("model.bpm")).unwrap();

    let refused = compile(&model, &out, &["--bits", "16"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(
        err.contains("not empty") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("model.bpm")).unwrap(), before);

    // The staging folder of a compile killed mid-write (its process is gone; 999999999 is above
    // Linux's pid_max) does not count as the user's, and the next compile removes it.
    let stale = out.join(".binpoint-staging-999999999");
    std::fs::create_dir_all(stale.join("firmware")).unwrap();
    std::fs::write(stale.join("model.onnx"), "half written").unwrap();

    ok(&compile(&model, &out, &["--bits", "16", "--force"]));
    assert_ne!(std::fs::read(out.join("model.bpm")).unwrap(), before);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "user file");
    assert!(!stale.exists(), "a stale staging folder was left");

    // An empty folder is fine without --force; a file is not a folder.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    ok(&compile(&model, &empty, &["--bits", "8"]));
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    let e = compile(&model, &file, &["--bits", "8", "--force"]);
    assert!(
        text(&e.stderr).contains("not a folder"),
        "{}",
        text(&e.stderr)
    );
}

#[test]
fn usage_errors() {
    let dir = scratch("usage");
    let model = model_path("mlp", 13);
    let labels = data("train_y");
    // --labels needs --calib; --bits and --config exclude each other.
    let e = compile(&model, &dir.join("o1"), &["--labels", s(&labels)]);
    assert_eq!(e.status.code(), Some(2), "{}", text(&e.stderr));
    let e = compile(
        &model,
        &dir.join("o2"),
        &["--bits", "8", "--config", "p.toml"],
    );
    assert_eq!(e.status.code(), Some(2), "{}", text(&e.stderr));
    // A flag value out of range is a usage error (exit status 2), as --clock 0 and --reuse 0.
    for bits in ["0", "65", "100"] {
        let e = compile(&model, &dir.join("o3"), &["--bits", bits]);
        assert_eq!(
            e.status.code(),
            Some(2),
            "--bits {bits}: {}",
            text(&e.stderr)
        );
    }
    for khot in ["0", "99"] {
        let e = compile(&model, &dir.join("o3"), &["--bits", "8", "--khot", khot]);
        assert_eq!(
            e.status.code(),
            Some(2),
            "--khot {khot}: {}",
            text(&e.stderr)
        );
    }
    let e = compile(&model, &dir.join("o3"), &["--bits", "0"]);
    assert!(text(&e.stderr).contains("--bits"), "{}", text(&e.stderr));
    let e = compile(&model, &dir.join("o4"), &["--input-range", "1,0"]);
    assert_eq!(e.status.code(), Some(2), "{}", text(&e.stderr));
    assert!(!dir.join("o3").exists() && !dir.join("o1").exists());
    let e = binpoint(&["eval", s(&dir), "--input", "x.npy", "--labels", "y.npy"]);
    assert!(
        text(&e.stderr).contains("no compiled model here"),
        "{}",
        text(&e.stderr)
    );
}

#[test]
fn options_reach_the_types() {
    let dir = scratch("options");
    let model = model_path("cnn_bn", 13);
    let calib = data("train_x");
    let report = |out: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
    };
    // Range propagation from [0, 1]; the input type follows the range.
    let out = dir.join("propagated");
    ok(&compile(
        &model,
        &out,
        &["--bits", "10", "--input-range", "0,1"],
    ));
    let r = report(&out);
    assert!(r["ranges"]
        .as_str()
        .unwrap()
        .contains("propagation from [0, 1]"));
    assert!(r["accuracy"].is_null());
    assert_eq!(r["inputs"][0]["type"], "ap_fixed<10,2,AP_RND_CONV,AP_SAT>");
    // BatchNorm kept: Affine layers with their own kernel.
    let out = dir.join("kept");
    ok(&compile(
        &model,
        &out,
        &["--bits", "8", "--calib", s(&calib), "--keep-batch-norm"],
    ));
    let r = report(&out);
    let affine = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kernel"] == "affine")
        .count();
    assert_eq!(affine, 2);
    // Percentile calibration, and a config file.
    let out = dir.join("percentile");
    ok(&compile(
        &model,
        &out,
        &["--bits", "8", "--calib", s(&calib), "--percentile", "99.9"],
    ));
    assert!(report(&out)["ranges"]
        .as_str()
        .unwrap()
        .contains("percentile 99.9"));
    let cfg = dir.join("p.toml");
    std::fs::write(&cfg, "[default]\nbits = 6\nrounding = \"AP_TRN\"\n").unwrap();
    let out = dir.join("config");
    ok(&compile(
        &model,
        &out,
        &["--config", s(&cfg), "--calib", s(&calib)],
    ));
    let r = report(&out);
    assert!(r["precision"].as_str().unwrap().ends_with("p.toml"));
    assert!(r["outputs"][0]["type"]
        .as_str()
        .unwrap()
        .starts_with("ap_fixed<6,"));
}

#[test]
fn simulate_and_eval_a_compiled_model() {
    let dir = scratch("simulate");
    let out = dir.join("out");
    let model = model_path("dwsep", 18);
    let (train, test, test_y) = (data("train_x"), data("test_x"), data("test_y"));
    ok(&compile(
        &model,
        &out,
        &["--bits", "8", "--calib", s(&train)],
    ));

    let values = dir.join("y.npy");
    let raw = dir.join("raw.npy");
    let stdout = ok(&binpoint(&[
        "simulate",
        s(&out),
        "--input",
        s(&test),
        "--output",
        s(&values),
    ]));
    assert!(stdout.contains("float64 [360,10]"), "{stdout}");
    ok(&binpoint(&[
        "simulate",
        s(&out.join("model.bpm")),
        "--input",
        s(&test),
        "--output",
        s(&raw),
        "--raw",
        "--threads",
        "1",
    ]));
    let y: ArrayD<f64> = read_npy(&values).unwrap();
    let r: ArrayD<i64> = read_npy(&raw).unwrap();
    assert_eq!(y.shape(), [360, 10]);
    assert_eq!(r.shape(), [360, 10]);

    // The same bits as the interpreter called directly.
    let m = Model::load(out.join("model.bpm")).unwrap();
    let g = graph("dwsep", 18, false);
    let x = flat(&inputs(&g, "test_x", usize::MAX));
    let direct = m.run_f32(&[&x], 360, Threads::All).unwrap();
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), direct[0].raw);
    assert_eq!(y.iter().copied().collect::<Vec<_>>(), direct[0].values);

    // Raw int64 inputs give the same outputs; no overwrite without --force.
    let raw_in = dir.join("x_raw.npy");
    let xr = m.quantize(m.inputs()[0], &x).unwrap();
    write_npy(
        &raw_in,
        &ArrayD::from_shape_vec(vec![360, 1, 8, 8], xr).unwrap(),
    )
    .unwrap();
    let again = binpoint(&[
        "simulate",
        s(&out),
        "--input",
        s(&raw_in),
        "--output",
        s(&raw),
        "--raw",
    ]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    ok(&binpoint(&[
        "simulate",
        s(&out),
        "--input",
        s(&raw_in),
        "--output",
        s(&raw),
        "--raw",
        "--force",
    ]));
    let r2: ArrayD<i64> = read_npy(&raw).unwrap();
    assert_eq!(r2, r);

    let stdout = ok(&binpoint(&[
        "eval",
        s(&out),
        "--input",
        s(&test),
        "--labels",
        s(&test_y),
    ]));
    for needle in [
        "float accuracy:    95.56% (360 samples)",
        "fixed accuracy:",
        "argmax agreement:",
        "max abs error:",
    ] {
        assert!(stdout.contains(needle), "'{needle}' not in {stdout}");
    }
    let bad = binpoint(&[
        "simulate",
        s(&out),
        "--input",
        s(&data("test_y")),
        "--output",
        s(&dir.join("z.npy")),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("does not match the model input"));
}
