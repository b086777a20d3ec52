//! `binpoint compile` then `binpoint verify` as a user runs them: the summary is the last line of
//! stdout, the exit status says whether every sample matched, and `--trace` names the first
//! mismatching layer.

use std::path::{Path, PathBuf};
use std::process::Command;

use binpoint::emit::hls::ap_types::target_dir;
use binpoint_runtime::model::format::{layer::Kernel, ModelProto};

fn binpoint() -> Command {
    Command::new(env!("CARGO_BIN_EXE_binpoint"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn compile(out: &Path) {
    let _ = std::fs::remove_dir_all(out);
    let f = fixtures();
    let status = binpoint()
        .arg("compile")
        .arg(f.join("dwsep/dwsep_opset18.onnx"))
        .arg("-o")
        .arg(out)
        .args(["--bits", "8", "--calib"])
        .arg(f.join("data/train_x.npy"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn verify_passes_on_a_compiled_model_and_fails_with_the_layer_named_on_a_wrong_one() {
    let out = target_dir().join("verify-cli/dwsep");
    compile(&out);
    let run = |args: &[&str]| {
        // OUT as a user types it: relative to where they stand.
        let o = binpoint()
            .current_dir(out.parent().unwrap())
            .arg("verify")
            .arg("dwsep")
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&["--vectors", "300", "--seed", "3"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("300 passed, 0 failed"),
        "{stdout}"
    );
    for f in [
        "firmware/binpoint_top.cpp",
        "firmware/parameters.h",
        "tb/tb.cpp",
        "tb/input_raw.txt",
    ] {
        assert!(out.join(f).is_file(), "{f} was not emitted");
    }

    // The firmware stays; the model changes under it (one bias of the first conv at its far
    // end): the interpreter's expectations no longer hold.
    let path = out.join("model.bpm");
    let mut p = ModelProto::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
    let Some(Kernel::Conv(c)) = &mut p.layers[0].kernel else {
        panic!("layer 0 is not a conv");
    };
    let ty = c.bias_type.unwrap().to_fixed().unwrap();
    c.bias[0] = if c.bias[0] > 0 {
        ty.min_raw() as i64
    } else {
        ty.max_raw() as i64
    };
    let name = p.layers[0].name.clone();
    std::fs::write(&path, p.to_bytes()).unwrap();
    let (code, stdout, stderr) = run(&["--vectors", "100", "--trace"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains(" failed\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("first mismatching layer: 0 '{name}'")),
        "{stdout}"
    );
}

#[test]
fn verify_explains_a_missing_model() {
    let out = target_dir().join("verify-cli/empty");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let o = binpoint().arg("verify").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("model.bpm"), "{stderr}");
}
