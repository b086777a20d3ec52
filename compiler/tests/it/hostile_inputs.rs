//! Inputs that once crashed or hung a command (issue 17): a `.npy` whose header claims far more
//! data than the file holds, labels that are not class indices, absurd `--vectors` and `--threads`.
//! Each is a clear error (exit status 1 or 2), never an abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binpoint::emit::hls::ap_types::target_dir;

fn binpoint(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binpoint"));
    for a in args {
        c.arg(a);
    }
    c.output().unwrap()
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

/// An `.npy` of 16 KB whose header says shape (1e11, 64) of float32.
fn lying_npy(path: &Path) {
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 64), }";
    let mut header = format!("{dict}{}", " ".repeat(64));
    header.truncate(118);
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.resize(16 * 1024, 0);
    std::fs::write(path, b).unwrap();
}

/// An `.npy` of int64 labels.
fn labels_npy(path: &Path, labels: &[i64]) {
    let dict = format!(
        "{{'descr': '<i8', 'fortran_order': False, 'shape': ({},), }}",
        labels.len()
    );
    let mut header = format!("{dict}{}", " ".repeat(64));
    header.truncate(118);
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    for l in labels {
        b.extend(l.to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

fn failed_with(o: &Output, code: i32, text: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(text), "expected '{text}' in: {err}");
}

#[test]
fn hostile_data_files_and_counts_are_errors_not_aborts() {
    let dir = target_dir().join("hostile-inputs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let lying = dir.join("lying.npy");
    lying_npy(&lying);
    let model = fixtures().join("mlp/mlp_opset13.onnx");
    let train = fixtures().join("data/train_x.npy");
    let out = dir.join("out");
    let claim = "the header says shape [100000000000, 64]";

    let o = binpoint(&[&"compile", &model, &"-o", &out, &"--calib", &lying]);
    failed_with(&o, 1, claim);
    let o = binpoint(&[
        &"compile", &model, &"-o", &out, &"--bits", &"8", &"--calib", &train,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let y = dir.join("y.npy");
    let o = binpoint(&[&"simulate", &out, &"--input", &lying, &"--output", &y]);
    failed_with(&o, 1, claim);
    let o = binpoint(&[&"eval", &out, &"--input", &lying, &"--labels", &lying]);
    failed_with(&o, 1, claim);
    let o = binpoint(&[&"verify", &out, &"--calib", &lying, &"--vectors", &"1"]);
    failed_with(&o, 1, claim);
    let o = binpoint(&[&"verify", &out, &"--vectors", &"18446744073709551615"]);
    failed_with(&o, 1, "at most 10000000 random vectors");

    // Labels that are not class indices of the 10 outputs.
    let test_x = fixtures().join("data/test_x.npy");
    for bad in [99, -1, 1 << 62] {
        let labels = dir.join(format!("labels{bad}.npy"));
        let mut l = vec![0i64; 360];
        l[7] = bad;
        labels_npy(&labels, &l);
        let o = binpoint(&[&"eval", &out, &"--input", &test_x, &"--labels", &labels]);
        failed_with(&o, 1, &format!("label {bad} (sample 7) is not a class"));
    }

    // A huge thread count is capped, not a pool of 100,000 threads.
    assert_eq!(
        binpoint_runtime::model::Threads::from_count(100_000),
        binpoint_runtime::model::Threads::Exactly(binpoint_runtime::model::MAX_THREADS)
    );
    let o = binpoint(&[
        &"simulate",
        &out,
        &"--input",
        &test_x,
        &"--output",
        &y,
        &"--threads",
        &"100000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
