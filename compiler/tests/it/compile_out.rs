//! What `binpoint compile` writes into OUT for the hardware flow: the whole tree is the same bytes
//! when compiling twice; `--board`, `--clock` and `--reuse` reach the firmware, the estimate and
//! the scripts alike; a design that cannot fit is a warning on stderr and in the report; bad
//! values of those flags are usage errors.

use crate::compile_util;
use crate::frontend_util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use compile_util::*;
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

fn ok(out: &Output) -> (String, String) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("compile_out")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn compile(model: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["compile", s(model), "-o", s(out)];
    args.extend(extra);
    binpoint(&args)
}

/// Every file under `root`, by path relative to it, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn report(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// The `reuse_factor` of every config struct in `parameters.h`, in file (= layer) order.
fn firmware_reuse(out: &Path) -> Vec<u64> {
    std::fs::read_to_string(out.join("firmware/parameters.h"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("static const int reuse_factor = ")
                .map(|v| v.trim_end_matches(';').parse().unwrap())
        })
        .collect()
}

/// The estimate's reuse factor of every multiply-accumulate layer, in layer order.
fn estimated_reuse(r: &Value) -> Vec<u64> {
    r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| matches!(l["kernel"].as_str(), Some("dense" | "conv1d" | "conv2d")))
        .map(|l| l["estimate"]["reuse_factor"].as_u64().unwrap())
        .collect()
}

#[test]
fn compiling_twice_gives_the_same_out_tree_byte_for_byte() {
    let dir = scratch("twice");
    let model = model_path("cnn_bn", 13);
    let calib = fixtures().join("data/train_x.npy");
    let labels = fixtures().join("data/train_y.npy");
    let flags = ["--bits", "8", "--calib", s(&calib), "--labels", s(&labels)];
    let (a, b) = (dir.join("a"), dir.join("b"));
    ok(&compile(&model, &a, &flags));
    ok(&compile(&model, &b, &flags));
    let (ta, tb) = (tree(&a), tree(&b));
    for must in [
        "model.bpm",
        "model.onnx",
        "report.txt",
        "report.json",
        "sim/Cargo.toml",
        "firmware/binpoint_top.cpp",
        "firmware/parameters.h",
        "tb/tb.cpp",
        "tb/input_raw.txt",
        "tb/expected_raw.txt",
        "scripts/hls.tcl",
        "scripts/vivado.tcl",
        "scripts/driver.py",
        "scripts/run_vectors.py",
    ] {
        assert!(ta.contains_key(must), "OUT lacks {must}: {:?}", ta.keys());
    }
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "the two OUT trees hold different files"
    );
    for (name, bytes) in &ta {
        assert!(
            *bytes == tb[name],
            "{name} differs between two compiles of the same model"
        );
    }
    // The co-simulation vectors are real: one line per sample.
    let vectors = String::from_utf8(ta["tb/input_raw.txt"].clone()).unwrap();
    assert_eq!(vectors.lines().count(), 32);
    // Different flags, different bytes: the comparison can fail.
    let c = dir.join("c");
    ok(&compile(&model, &c, &["--bits", "8", "--calib", s(&calib)]));
    assert_ne!(ta["report.json"], tree(&c)["report.json"]);
}

#[test]
fn board_clock_and_reuse_reach_the_firmware_the_estimate_and_the_scripts() {
    let dir = scratch("flags");
    let model = model_path("cnn_bn", 13);
    let calib = fixtures().join("data/train_x.npy");

    // Default: Ultra96-V2 at 5 ns, the chooser's folding in the firmware and in the estimate.
    let out = dir.join("default");
    let (stdout, _) = ok(&compile(
        &model,
        &out,
        &["--bits", "16", "--calib", s(&calib)],
    ));
    assert!(
        stdout.contains("estimate on the Avnet Ultra96-V2 at 5 ns:"),
        "{stdout}"
    );
    let r = report(&out);
    let t = &r["totals"];
    for key in ["dsp", "lut", "ff", "bram36", "latency_cycles"] {
        assert!(t[key].as_f64().unwrap() > 0.0, "totals.{key} = {}", t[key]);
    }
    assert_eq!(t["board"], "ultra96v2");
    assert_eq!(t["budget"]["dsp"], 360);
    assert_eq!(t["budget"]["lut"], 70560);
    assert_eq!(t["fits"], true);
    let dsp_sum: u64 = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["estimate"]["dsp"].as_u64().unwrap())
        .sum();
    assert_eq!(dsp_sum, t["dsp"].as_u64().unwrap());
    assert!(r["hardware"]["folding"]
        .as_str()
        .unwrap()
        .starts_with("the fastest latency or resource designs per layer"));
    let chosen = estimated_reuse(&r);
    assert_eq!(chosen.len(), 3);
    assert_eq!(firmware_reuse(&out), chosen);
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    for needle in [
        "resource estimate: Avnet Ultra96-V2",
        "DSP48",
        "BRAM36",
        "fits: yes",
    ] {
        assert!(txt.contains(needle), "report.txt lacks '{needle}'");
    }
    let hls = std::fs::read_to_string(out.join("scripts/hls.tcl")).unwrap();
    assert!(hls.contains("set part {xczu3eg-sbva484-1-i}"), "{hls}");
    assert!(hls.contains("set clock_ns 5\n"), "{hls}");

    // Another board and clock, every MAC layer at 8 and the dense layer at 2.
    let out = dir.join("pynq");
    ok(&compile(
        &model,
        &out,
        &[
            "--bits",
            "16",
            "--calib",
            s(&calib),
            "--board",
            "pynq-z2",
            "--clock",
            "8",
            "--reuse",
            "40",
            "--reuse",
            "/fc/Gemm=2",
        ],
    ));
    let r = report(&out);
    assert_eq!(r["totals"]["board"], "pynq-z2");
    assert_eq!(r["totals"]["budget"]["dsp"], 220);
    assert_eq!(r["hardware"]["clock_ns"], 8.0);
    assert_eq!(
        r["hardware"]["folding"],
        "set by --reuse 40 --reuse /fc/Gemm=2: /features/features.0/Conv latency R=36, \
         /features/features.4/Conv latency R=36, /fc/Gemm latency R=2"
    );
    // hls4ml's rule: 40 is valid for neither conv (9 × 8 and 72 × 16 products): the nearest
    // valid factor, 36, with a note naming the flag.
    assert_eq!(estimated_reuse(&r), [36, 36, 2]);
    assert_eq!(firmware_reuse(&out), [36, 36, 2]);
    let notes = r["warnings"].to_string();
    assert!(
        notes.contains("--reuse 40: reuse factor 40 is not valid for layer '/features/features.0/Conv' (9 × 8 products"),
        "{notes}"
    );
    let hls = std::fs::read_to_string(out.join("scripts/hls.tcl")).unwrap();
    assert!(hls.contains("xc7z020"), "{hls}");
    assert!(hls.contains("set clock_ns 8\n"), "{hls}");
    let vivado = std::fs::read_to_string(out.join("scripts/vivado.tcl")).unwrap();
    assert!(vivado.contains("processing_system7"), "{vivado}");
    assert!(!vivado.contains("axi_dma"), "{vivado}");
    assert_regenerated_firmware_is_the_same(&out);

    // AXI-Stream: the top function's ports and the block design's DMA agree.
    let out = dir.join("stream");
    ok(&compile(&model, &out, &["--bits", "8", "--stream"]));
    let top = std::fs::read_to_string(out.join("firmware/binpoint_top.cpp")).unwrap();
    assert!(top.contains("hls::stream<io_axis_t> &input"), "{top}");
    let vivado = std::fs::read_to_string(out.join("scripts/vivado.tcl")).unwrap();
    assert!(vivado.contains("axi_dma"), "{vivado}");
    assert_regenerated_firmware_is_the_same(&out);
}

/// `verify --regenerate` emits the firmware and testbench again from what compile recorded
/// (board, folding, interface): the same bytes. (`--vectors 0` stops it after emitting, before
/// any g++ build.)
fn assert_regenerated_firmware_is_the_same(out: &Path) {
    let before = tree(out);
    std::fs::remove_dir_all(out.join("firmware")).unwrap();
    let v = binpoint(&["verify", s(out), "--regenerate", "--vectors", "0"]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v.stderr));
    assert!(
        text(&v.stderr).contains("no vectors"),
        "{}",
        text(&v.stderr)
    );
    let after = tree(out);
    for (name, bytes) in before.iter().filter(|(n, _)| !n.starts_with("verify/")) {
        assert!(
            after.get(name) == Some(bytes),
            "{name} differs after verify --regenerate"
        );
    }
}

#[test]
fn bad_board_clock_or_reuse_is_a_usage_error_before_anything_is_written() {
    let dir = scratch("usage");
    let model = model_path("mlp", 13);
    for (i, (flags, says)) in [
        (&["--board", "zedboard"][..], "ultra96v2"),
        (&["--clock", "0"][..], "--clock"),
        (&["--clock", "nan"][..], "--clock"),
        (&["--reuse", "0"][..], "reuse factor"),
        (&["--reuse", "/no/such=2"][..], "/net/net.0/Gemm"),
        (&["--reuse", "/net/net.1/Relu=2"][..], "no multipliers"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.join(format!("o{i}"));
        let e = compile(&model, &out, flags);
        assert_eq!(e.status.code(), Some(2), "{flags:?}: {}", text(&e.stderr));
        assert!(
            text(&e.stderr).contains(says),
            "{flags:?}: '{says}' not in {}",
            text(&e.stderr)
        );
        assert!(!out.exists(), "{flags:?} wrote {}", out.display());
    }
}

#[test]
fn a_design_that_cannot_fit_even_fully_folded_is_a_warning() {
    // One 768 -> 512 dense layer at 16 bits: 6.3 Mbit of weights, more block RAM than the
    // PYNQ-Z2 has (140 BRAM36 = 5 Mbit), however far it is folded.
    let dir = scratch("too_big");
    let mut m = frontend_util::Model::new(13);
    m.input("x", &[0, 768])
        .weight("w", &[512, 768])
        .weight("b", &[512])
        .node(
            "Gemm",
            &["x", "w", "b"],
            &["y"],
            vec![frontend_util::attr_i("transB", 1)],
        )
        .output("y");
    let model = dir.join("big.onnx");
    std::fs::write(&model, m.bytes()).unwrap();
    let out = dir.join("out");
    let (_, stderr) = ok(&compile(
        &model,
        &out,
        &["--bits", "16", "--board", "pynq-z2"],
    ));
    assert!(
        stderr.contains("warning: the design does not fit the TUL PYNQ-Z2 even with"),
        "{stderr}"
    );
    assert!(stderr.contains("BRAM36"), "{stderr}");
    let r = report(&out);
    assert_eq!(r["totals"]["fits"], false);
    assert!(r["totals"]["bram36"].as_f64().unwrap() > 140.0);
    assert!(r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("does not fit")));
    // Whatever the chooser settled on, the firmware has the same.
    assert_eq!(firmware_reuse(&out), estimated_reuse(&r));
    let txt = std::fs::read_to_string(out.join("report.txt")).unwrap();
    assert!(txt.contains("fits: NO"), "{txt}");
}
