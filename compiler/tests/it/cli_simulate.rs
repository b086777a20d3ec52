//! `binpoint simulate --float`, run as users run it: every fixture against onnxruntime's outputs,
//! float64 inputs, no silent overwrite, and bad inputs that name the file.

use crate::frontend_util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use frontend_util::{close, fixtures};
use ndarray::ArrayD;
use ndarray_npy::{read_npy, write_npy};
use serde_json::Value;

const MODELS: &[&str] = &["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"];

fn binpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
        .args(args)
        .output()
        .expect("the binpoint binary starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// A fresh folder for this test's files, under the target dir.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_simulate")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn simulate(model: &Path, input: &Path, output: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "simulate",
        path(model),
        "--float",
        "--input",
        path(input),
        "--output",
        path(output),
    ];
    args.extend(extra);
    binpoint(&args)
}

fn mlp() -> PathBuf {
    fixtures().join("mlp/mlp_opset13.onnx")
}

fn mlp_input() -> PathBuf {
    fixtures().join("mlp/input.npy")
}

#[test]
fn float_matches_onnxruntime_on_every_fixture() {
    let dir = scratch("fixtures");
    let mut runs = 0;
    for m in MODELS {
        let folder = fixtures().join(m);
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(folder.join("meta.json")).expect("meta"))
                .expect("meta.json is JSON");
        for (key, e) in meta["exports"].as_object().expect("exports") {
            let model = folder.join(e["file"].as_str().expect("file"));
            let expected = folder.join(e["expected"].as_str().expect("expected"));
            let output = dir.join(format!("{m}_{key}.npy"));
            let out = simulate(&model, &folder.join("input.npy"), &output, &[]);
            assert!(out.status.success(), "{m} {key}: {}", stderr(&out));
            let got: ArrayD<f32> = read_npy(&output).expect("output .npy");
            let want: ArrayD<f32> = read_npy(&expected).expect("expected .npy");
            let worst = close(&got, &want).unwrap_or_else(|e| panic!("{m} {key}: {e}"));
            eprintln!("{m:<12} {key:<18} max |diff| {worst:e}");
            runs += 1;
        }
    }
    assert!(runs >= 12);
}

#[test]
fn float64_input_is_read_as_float32() {
    let dir = scratch("float64");
    let x: ArrayD<f32> = read_npy(mlp_input()).expect("input");
    let x64 = dir.join("x64.npy");
    write_npy(&x64, &x.mapv(f64::from)).expect("write f64");
    let (y32, y64) = (dir.join("y32.npy"), dir.join("y64.npy"));
    assert!(simulate(&mlp(), &mlp_input(), &y32, &[]).status.success());
    let out = simulate(&mlp(), &x64, &y64, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a: ArrayD<f32> = read_npy(&y32).expect("y32");
    let b: ArrayD<f32> = read_npy(&y64).expect("y64");
    assert_eq!(a, b);
    // Any batch size: one sample.
    let one = dir.join("one.npy");
    write_npy(&one, &x.slice(ndarray::s![..1, ..]).to_owned()).expect("write");
    let y1 = dir.join("y1.npy");
    assert!(simulate(&mlp(), &one, &y1, &[]).status.success());
    let c: ArrayD<f32> = read_npy(&y1).expect("y1");
    assert_eq!(c.shape(), [1, 10]);
    assert_eq!(
        c.as_slice(),
        a.slice(ndarray::s![..1, ..]).to_owned().as_slice()
    );
}

#[test]
fn an_existing_output_is_kept_without_force() {
    let dir = scratch("overwrite");
    let output = dir.join("y.npy");
    std::fs::write(&output, b"precious").expect("write");
    let out = simulate(&mlp(), &mlp_input(), &output, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}: already exists", output.display())) && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&output).expect("read"), b"precious");

    let out = simulate(&mlp(), &mlp_input(), &output, &["--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let y: ArrayD<f32> = read_npy(&output).expect("overwritten with a valid .npy");
    assert_eq!(y.shape(), [64, 10]);
}

/// Exit status 1, one error line that names `file`, no output file left behind, never a panic.
fn assert_fails(out: &Output, file: &Path, also: &[&str], output: &Path) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!("error: {}: ", file.display())),
        "{err}"
    );
    for a in also {
        assert!(err.contains(a), "missing '{a}' in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(!output.exists(), "{} was written", output.display());
}

#[test]
fn bad_inputs_name_the_file() {
    let dir = scratch("bad_inputs");
    let output = dir.join("y.npy");

    let garbage = dir.join("garbage.onnx");
    std::fs::write(&garbage, b"\x08\x07not a model at all\xff\xff\xff").expect("write");
    let out = simulate(&garbage, &mlp_input(), &output, &[]);
    assert_fails(&out, &garbage, &["not a valid ONNX model"], &output);

    // cnn_bn takes [N,1,8,8]; the MLP's input is [64,64].
    let cnn = fixtures().join("cnn_bn/cnn_bn_opset13.onnx");
    let out = simulate(&cnn, &mlp_input(), &output, &[]);
    assert_fails(
        &out,
        &mlp_input(),
        &["shape [64,64]", "expected [N,1,8,8]"],
        &output,
    );

    let missing = dir.join("missing.npy");
    let out = simulate(&mlp(), &missing, &output, &[]);
    assert_fails(&out, &missing, &["cannot read"], &output);

    let not_npy = dir.join("not.npy");
    std::fs::write(&not_npy, b"1,2,3\n").expect("write");
    let out = simulate(&mlp(), &not_npy, &output, &[]);
    assert_fails(&out, &not_npy, &["not a valid .npy file"], &output);

    let ints = dir.join("ints.npy");
    write_npy(&ints, &ndarray::Array2::<i64>::zeros((2, 64))).expect("write");
    let out = simulate(&mlp(), &ints, &output, &[]);
    assert_fails(&out, &ints, &["'<i8' is not supported"], &output);

    // A header that claims far more data than the file holds: an error, not a huge allocation.
    let liar = dir.join("liar.npy");
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 64), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((dict.len() as u16).to_le_bytes());
    bytes.extend(dict.as_bytes());
    bytes.extend([0u8; 64]);
    std::fs::write(&liar, &bytes).expect("write");
    let out = simulate(&mlp(), &liar, &output, &[]);
    assert_fails(&out, &liar, &["the file holds 64 bytes of data"], &output);

    let nowhere = dir.join("no/such/folder/y.npy");
    let out = simulate(&mlp(), &mlp_input(), &nowhere, &[]);
    assert_fails(&out, &nowhere, &["folder does not exist"], &nowhere);
}

#[test]
fn an_onnx_file_without_float_is_a_usage_error() {
    let dir = scratch("fixed");
    let output = dir.join("y.npy");
    let out = binpoint(&[
        "simulate",
        path(&mlp()),
        "--input",
        path(&mlp_input()),
        "--output",
        path(&output),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    // Whether or not `compile` exists yet, the message points at it and at --float.
    assert!(err.contains("binpoint compile"), "{err}");
    assert!(err.contains("--float"), "{err}");
    assert!(!output.exists());
}
