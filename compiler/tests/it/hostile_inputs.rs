//! The hostile-input suite (issue 17): inputs that once crashed, hung, lost data or said the wrong
//! thing, each run through the `binpoint` command as a user would. Every case checks its exit
//! status and its message; together they are the table of docs/hostile-inputs.md, which this test
//! compares with what the commands print now (paths shown as `$T/` for the test's folder and
//! `fixtures/`). Re-bless after an intended change of words with
//! `BINPOINT_UPDATE_GOLDEN=1 cargo test --release -p binpoint --test it hostile_inputs`.
//!
//! The data-loss cases (symlinks in OUT, files appearing during a compile, interrupted compiles)
//! are in `pipeline.rs` and `compile_cli.rs`; the `.npy` layout and duplicate-name cases in
//! `compile_cli.rs` and `frontend_bad_input.rs`.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::frontend_util::{attr_i, tensor_f32, tensor_i64, Model};
use binpoint::emit::hls::ap_types::target_dir;
use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::StringStringEntryProto;

/// No case may take longer: a FIFO read that blocks is a failure, not a hung test.
const DEADLINE: Duration = Duration::from_secs(60);

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

/// Runs `binpoint args`, killing it after [`DEADLINE`].
fn binpoint(args: &[&dyn AsRef<OsStr>]) -> Ran {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binpoint"));
    for a in args {
        c.arg(a);
    }
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("binpoint {:?} still ran after {DEADLINE:?}", c.get_args());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The cases run so far, as rows of the docs table.
struct Suite {
    dir: PathBuf,
    rows: Vec<String>,
}

impl Suite {
    fn new() -> Suite {
        let dir = target_dir().join("hostile-inputs");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Suite {
            dir,
            rows: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Paths as the docs show them, and wall times (` in 0.3 s`) left out.
    fn show(&self, text: &str) -> String {
        let fixtures = fixtures();
        let text = text
            .replace(&format!("{}/", self.dir.display()), "$T/")
            .replace(&format!("{}/", fixtures.display()), "fixtures/");
        let mut words: Vec<String> = text.split(' ').map(String::from).collect();
        while let Some(i) = (2..words.len().saturating_sub(1)).find(|&i| {
            words[i - 1] == "in" && words[i + 1].starts_with('s') && words[i].parse::<f64>().is_ok()
        }) {
            let rest = words[i + 1][1..].to_string();
            words.drain(i - 1..=i + 1);
            words[i - 2].push_str(&rest);
        }
        words.join(" ")
    }

    /// Runs one case: exit status `code`, and `expect` in a line of its stderr (or stdout), which
    /// becomes the row's message.
    fn case(&mut self, case: &str, args: &[&dyn AsRef<OsStr>], code: i32, expect: &str) -> Ran {
        let r = binpoint(args);
        let both = format!("{}{}", r.stderr, r.stdout);
        assert_eq!(r.code, Some(code), "{case}: {both}");
        let line = both
            .lines()
            .find(|l| self.show(l).contains(expect))
            .unwrap_or_else(|| panic!("{case}: expected '{expect}' in:\n{both}"));
        let cmd: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        self.rows.push(format!(
            "| {case} | `binpoint {}` | {code} | {} |",
            self.show(&cmd.join(" ")),
            self.show(line).replace('|', "\\|")
        ));
        r
    }

    /// The rows against the table in docs/hostile-inputs.md (or written into it when blessing).
    fn check_docs(&self) {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/hostile-inputs.md");
        let text = std::fs::read_to_string(&docs).unwrap();
        let (begin, end) = (
            "<!-- hostile-suite:begin -->\n",
            "<!-- hostile-suite:end -->",
        );
        let (a, b) = (
            text.find(begin).expect("begin marker") + begin.len(),
            text.find(end).expect("end marker"),
        );
        let table = format!(
            "| case | command | exit | message |\n|---|---|---|---|\n{}\n",
            self.rows.join("\n")
        );
        if std::env::var_os("BINPOINT_UPDATE_GOLDEN").is_some() {
            std::fs::write(&docs, format!("{}{table}{}", &text[..a], &text[b..])).unwrap();
        } else {
            assert_eq!(
                text[a..b],
                table,
                "docs/hostile-inputs.md's table differs from what the commands print now; if \
                 that is intended, bless it with BINPOINT_UPDATE_GOLDEN=1"
            );
        }
    }
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
    let a = ArrayD::from_shape_vec(IxDyn(&[labels.len()]), labels.to_vec()).unwrap();
    binpoint::npy::write(path, &a, true).unwrap();
}

fn f32_npy(path: &Path, shape: &[usize], values: Vec<f32>) {
    let a = ArrayD::from_shape_vec(IxDyn(shape), values).unwrap();
    binpoint::npy::write(path, &a, true).unwrap();
}

fn save(m: &Model, path: &Path) {
    std::fs::write(path, m.bytes()).unwrap();
}

/// x [N,4] → Gemm (weight `w` [3,4] with `values`) → y.
fn dense_model(w_name: &str, values: Vec<f32>) -> Model {
    let mut m = Model::new(13);
    m.input("x", &[0, 4])
        .init(tensor_f32(w_name, &[3, 4], values));
    m.node("Gemm", &["x", w_name], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    m
}

/// A model whose weight `w` [3,4] lives in external data at `location`.
fn external_model(location: &str) -> Model {
    let mut t = tensor_f32("w", &[3, 4], vec![]);
    t.data_location = DataLocation::EXTERNAL.into();
    for (k, v) in [("location", location.to_string()), ("length", "48".into())] {
        let mut e = StringStringEntryProto::new();
        e.key = k.into();
        e.value = v;
        t.external_data.push(e);
    }
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).init(t);
    m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    m
}

#[test]
fn hostile_inputs_table() {
    let mut s = Suite::new();
    let mlp = fixtures().join("mlp/mlp_opset13.onnx");
    let train = fixtures().join("data/train_x.npy");
    let test_x = fixtures().join("data/test_x.npy");
    let out = s.path("out");
    let y = s.path("y.npy");

    // Crashes: a header that claims 1e11 × 64 floats in a 16 KB file.
    let lying = s.path("lying.npy");
    lying_npy(&lying);
    let claim = "the header says shape [100000000000, 64]";
    s.case(
        "`.npy` header claims 1e11×64",
        &[&"compile", &mlp, &"-o", &out, &"--calib", &lying],
        1,
        claim,
    );
    s.case(
        "compile the MLP for the cases below",
        &[
            &"compile", &mlp, &"-o", &out, &"--bits", &"8", &"--calib", &train,
        ],
        0,
        "model.bpm:",
    );
    for (what, args) in [
        (
            "simulate",
            vec![
                &"simulate" as &dyn AsRef<OsStr>,
                &out,
                &"--input",
                &lying,
                &"--output",
                &y,
            ],
        ),
        (
            "eval",
            vec![&"eval", &out, &"--input", &lying, &"--labels", &lying],
        ),
        (
            "verify",
            vec![&"verify", &out, &"--data", &lying, &"--vectors", &"1"],
        ),
        (
            "verify, the old flag name",
            vec![&"verify", &out, &"--calib", &lying, &"--vectors", &"1"],
        ),
    ] {
        s.case(
            &format!("`.npy` header claims 1e11×64 ({what})"),
            &args,
            1,
            claim,
        );
    }
    s.case(
        "`--vectors 2^64-1`",
        &[&"verify", &out, &"--vectors", &"18446744073709551615"],
        1,
        "at most 10000000 random vectors",
    );

    // Labels that are not class indices of the 10 outputs.
    for bad in [99, -1, 1 << 62] {
        let labels = s.path(&format!("labels{bad}.npy"));
        let mut l = vec![0i64; 360];
        l[7] = bad;
        labels_npy(&labels, &l);
        s.case(
            &format!("label {bad} for 10 classes"),
            &[&"eval", &out, &"--input", &test_x, &"--labels", &labels],
            1,
            &format!("label {bad} (sample 7) is not a class"),
        );
    }

    // A huge thread count is capped, not a pool of 100,000 threads.
    assert_eq!(
        binpoint_runtime::model::Threads::from_count(100_000),
        binpoint_runtime::model::Threads::Exactly(binpoint_runtime::model::MAX_THREADS)
    );
    let r = s.case(
        "`--threads 100000`",
        &[
            &"simulate",
            &out,
            &"--input",
            &test_x,
            &"--output",
            &y,
            &"--threads",
            &"100000",
        ],
        0,
        "bit-exact simulation",
    );
    // ... and capped at the machine's cores, with a note (its count is the machine's, so it is
    // checked here rather than in the docs table).
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert!(
        r.stderr.contains(&format!(
            "note: --threads 100000: this machine has {cores} cores, using {cores}"
        )),
        "{}",
        r.stderr
    );

    // One memory budget for all tensors of a sample, constants made at load included.
    for dims in [vec![2147483647i64], vec![46340, 46340]] {
        let mut m = Model::new(13);
        m.input("x", &[0, 1])
            .init(tensor_i64("shape", &[dims.len() as i64], dims.clone()));
        m.node("ConstantOfShape", &["shape"], &["c"], vec![]);
        m.node("Add", &["x", "c"], &["y"], vec![]).output("y");
        let path = s.path(&format!("fill{}.onnx", dims.len()));
        save(&m, &path);
        s.case(
            &format!("`ConstantOfShape` of {dims:?} (8 GiB)"),
            &[&"inspect", &path],
            1,
            "node 'ConstantOfShape_0' (ConstantOfShape): its tensor needs 8.0 GiB",
        );
    }
    // An activation of 46340 × 46340 per sample from a 185 KB file (a broadcasting Add).
    let mut m = Model::new(13);
    m.input("x", &[0, 46340, 1])
        .init(tensor_f32("row", &[1, 46340], vec![0.5; 46340]));
    m.node("Add", &["x", "row"], &["y"], vec![]).output("y");
    let wide = s.path("wide.onnx");
    save(&m, &wide);
    s.case(
        "`Add` broadcasting to 46340×46340 per sample",
        &[&"inspect", &wide],
        1,
        "node 'Add_0' (Add): its tensor needs 8.0 GiB",
    );

    // External data: a FIFO is refused without blocking; outside the folder, one answer whether
    // the file exists or not.
    let folder = s.path("model");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(s.path("secret.bin"), [0u8; 48]).unwrap();
    let fifo = folder.join("fifo.bin");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo {}", fifo.display());
    std::os::unix::fs::symlink("../secret.bin", folder.join("to_secret.bin")).unwrap();
    std::os::unix::fs::symlink("../nothing.bin", folder.join("to_nothing.bin")).unwrap();
    let ext = |name: &str, location: &str| {
        let path = folder.join(name);
        save(&external_model(location), &path);
        path
    };
    s.case(
        "external data is a FIFO",
        &[&"inspect", &ext("fifo.onnx", "fifo.bin")],
        1,
        "'fifo.bin': a FIFO (named pipe), not a regular file",
    );
    let mut answers = Vec::new();
    for (case, location) in [
        ("external data outside the folder (exists)", "../secret.bin"),
        (
            "external data outside the folder (missing)",
            "../nothing.bin",
        ),
        ("external data: symlink out (exists)", "to_secret.bin"),
        ("external data: symlink out (missing)", "to_nothing.bin"),
        ("external data: absolute path", "/etc/passwd"),
    ] {
        let r = s.case(
            case,
            &[&"inspect", &ext("m.onnx", location)],
            1,
            "is not a file inside the model's folder",
        );
        answers.push(r.stderr.replace(location, "LOCATION"));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the answers differ: {answers:#?}"
    );
    let npy_fifo = s.path("fifo.npy");
    let made = Command::new("mkfifo").arg(&npy_fifo).status().unwrap();
    assert!(made.success());
    s.case(
        "calibration data is a FIFO",
        &[
            &"compile",
            &mlp,
            &"-o",
            &s.path("o_fifo"),
            &"--calib",
            &npy_fifo,
        ],
        1,
        "fifo.npy: cannot read: a FIFO (named pipe), not a regular file",
    );

    // Unsigned Sigmoid: a 4-bit output no longer clips at 0.875.
    let mut m = Model::new(13);
    m.input("x", &[0, 1]);
    m.node("Sigmoid", &["x"], &["y"], vec![]).output("y");
    let sig = s.path("sigmoid.onnx");
    save(&m, &sig);
    let cfg = s.path("sig4.toml");
    std::fs::write(&cfg, "[default]\nbits = 12\n\n[op.Sigmoid]\nbits = 4\n").unwrap();
    let sig_out = s.path("o_sig");
    s.case(
        "4-bit Sigmoid output type",
        &[
            &"compile",
            &sig,
            &"-o",
            &sig_out,
            &"--config",
            &cfg,
            &"--input-range",
            &"-8,8",
        ],
        0,
        "model.bpm:",
    );
    let report = std::fs::read_to_string(sig_out.join("report.txt")).unwrap();
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("out ") && l.contains("[N,1] ap_u"))
        .unwrap_or_else(|| panic!("no unsigned Sigmoid output in:\n{report}"));
    assert!(line.contains("ap_ufixed<4,"), "{line}");
    let xs: Vec<f32> = (0..=160).map(|i| -8.0 + i as f32 / 10.0).collect();
    let sig_x = s.path("sig_x.npy");
    f32_npy(&sig_x, &[161, 1], xs.clone());
    let sig_y = s.path("sig_y.npy");
    s.case(
        "4-bit Sigmoid on [-8, 8]",
        &[
            &"simulate",
            &sig_out,
            &"--input",
            &sig_x,
            &"--output",
            &sig_y,
        ],
        0,
        "ap_ufixed<4,",
    );
    let binpoint::npy::Array::Float(got, _) = binpoint::npy::read_any(&sig_y).unwrap() else {
        panic!("float output expected")
    };
    let worst = got
        .iter()
        .zip(&xs)
        .map(|(&y, &x)| (f64::from(y) - 1.0 / (1.0 + (-f64::from(x)).exp())).abs())
        .fold(0.0, f64::max);
    // Signed ap_fixed<4,1> stopped at 0.875: an error of 0.12 for large inputs.
    assert!(worst <= 0.0625 + 1e-9, "worst error {worst}");
    assert!(got.iter().any(|&v| v > 0.875), "{got:?}");

    // Saturated weights are announced, naming the layer and the count.
    let small = s.path("small.onnx");
    let w: Vec<f32> = (0..12).map(|i| i as f32 / 2.0 - 3.0).collect();
    save(&dense_model("w", w), &small);
    let pin = s.path("pin.toml");
    std::fs::write(
        &pin,
        "[default]\nbits = 8\n\n[layer.\"Gemm_0.weight\"]\nint_bits = 1\n",
    )
    .unwrap();
    s.case(
        "weights pinned too narrow",
        &[
            &"compile",
            &small,
            &"-o",
            &s.path("o_pin"),
            &"--config",
            &pin,
        ],
        0,
        "layer 'Gemm_0': 8 of 12 values of its constant 'Gemm_0.weight' saturate",
    );

    // Saturation on the data simulate/eval run, and calibration headroom.
    let (x, _) = binpoint::npy::read_f32(&test_x).unwrap();
    let x3 = s.path("x3.npy");
    f32_npy(&x3, x.shape(), x.iter().map(|v| v * 3.0).collect());
    s.case(
        "simulate on data 3× the calibration range",
        &[
            &"simulate",
            &out,
            &"--input",
            &x3,
            &"--output",
            &y,
            &"--force",
        ],
        0,
        "x3.npy: '/net/net.0/Gemm' overflows its type",
    );
    s.case(
        "eval on data 3× the calibration range",
        &[
            &"eval",
            &out,
            &"--input",
            &x3,
            &"--labels",
            &fixtures().join("data/test_y.npy"),
        ],
        0,
        "saturation:",
    );
    let roomy = s.path("o_headroom");
    s.case(
        "`--headroom 2`",
        &[
            &"compile",
            &mlp,
            &"-o",
            &roomy,
            &"--bits",
            &"8",
            &"--calib",
            &train,
            &"--headroom",
            &"2",
        ],
        0,
        "headroom 2 bits",
    );
    s.case(
        "simulate with headroom on the 3× data",
        &[
            &"simulate",
            &roomy,
            &"--input",
            &x3,
            &"--output",
            &y,
            &"--force",
        ],
        0,
        "saturation: no type overflows",
    );
    s.case(
        "`--headroom 17`",
        &[
            &"compile",
            &mlp,
            &"-o",
            &s.path("o_h17"),
            &"--calib",
            &train,
            &"--headroom",
            &"17",
        ],
        2,
        "--headroom must be 0..=16 bits",
    );

    // The words.
    s.case(
        "calibration file missing",
        &[
            &"compile",
            &mlp,
            &"-o",
            &s.path("o_missing"),
            &"--calib",
            &s.path("missing.npy"),
        ],
        1,
        "error: $T/missing.npy: cannot read",
    );
    let nan = s.path("nan.npy");
    let mut v = vec![0.5f32; 8 * 64];
    v[3 * 64 + 5] = f32::NAN;
    f32_npy(&nan, &[8, 64], v);
    s.case(
        "calibration data with a NaN",
        &[&"compile", &mlp, &"-o", &s.path("o_nan"), &"--calib", &nan],
        1,
        "nan.npy: sample 3 holds NaN",
    );
    let empty = s.path("empty.npy");
    f32_npy(&empty, &[0, 64], vec![]);
    s.case(
        "empty calibration data",
        &[
            &"compile",
            &mlp,
            &"-o",
            &s.path("o_empty"),
            &"--calib",
            &empty,
        ],
        1,
        "empty.npy: holds no samples (shape [0, 64])",
    );
    let narrow = s.path("x63.npy");
    f32_npy(&narrow, &[2, 63], vec![0.0; 126]);
    let r = s.case(
        "simulate on [2,63] for 64 inputs",
        &[
            &"simulate",
            &out,
            &"--input",
            &narrow,
            &"--output",
            &y,
            &"--force",
        ],
        1,
        "expected [N,64] (N: the batch size",
    );
    assert!(!r.stderr.contains("or [N,64]"), "{}", r.stderr);
    let nan_w = s.path("nan_weight.onnx");
    let mut w = vec![0.25f32; 12];
    w[6] = f32::NAN;
    save(&dense_model("w", w), &nan_w);
    let r = s.case(
        "a NaN weight, no `--low-rank`",
        &[&"compile", &nan_w, &"-o", &s.path("o_nanw")],
        1,
        "node 'Gemm_0' (Dense): its constant 'Gemm_0.weight' holds NaN",
    );
    assert!(!r.stderr.contains("low-rank"), "{}", r.stderr);
    s.case(
        "inspect says what it counts",
        &[&"inspect", &mlp],
        0,
        "before cleanup",
    );
    let mut m = dense_model("w", vec![0.5; 12]);
    m.graph.input.clear();
    m.input("x", &[789, 4]);
    let batch = s.path("batch789.onnx");
    save(&m, &batch);
    s.case(
        "inspect on a fixed batch of 789",
        &[&"inspect", &batch],
        0,
        // issue 16: a fixed batch above 1 loads as the batch N, so MACs are per sample.
        "total: 1 layers, 12 params, 12 MACs per sample",
    );

    // The learning table names the layer that reads an exporter-named weight.
    let mut m = Model::new(13);
    m.input("x", &[0, 1, 4, 4]).init(tensor_f32(
        "onnx::Conv_54",
        &[2, 1, 3, 3],
        (0..18).map(|i| (i as f32 - 9.0) / 9.0).collect(),
    ));
    m.node("Conv", &["x", "onnx::Conv_54"], &["c"], vec![]);
    m.node("Flatten", &["c"], &["y"], vec![]).output("y");
    let conv = s.path("conv.onnx");
    save(&m, &conv);
    let cx = s.path("conv_x.npy");
    f32_npy(
        &cx,
        &[16, 1, 4, 4],
        (0..256).map(|i| ((i * 7 % 13) as f32) / 13.0).collect(),
    );
    let learned = s.path("o_learn");
    s.case(
        "learning table of an exported Conv",
        &[
            &"compile",
            &conv,
            &"-o",
            &learned,
            &"--bits",
            &"6",
            &"--calib",
            &cx,
            &"--learn",
            &"--epochs",
            &"1",
            &"--quiet",
        ],
        0,
        "learned",
    );
    let report = std::fs::read_to_string(learned.join("report.txt")).unwrap();
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("Conv_0 ") && l.ends_with("(onnx::Conv_54)")),
        "{report}"
    );

    s.check_docs();
}
