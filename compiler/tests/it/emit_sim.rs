//! The emitted simulator crate (`OUT/sim`) against the interpreter.
//!
//! - Every fixture (both exporters; opset 13 at 16 bits, opset 18 at 8 bits, calibrated on 256
//!   training digits) is emitted as a crate; one harness crate depends on all of them, so one
//!   `cargo build` compiles everything; the harness runs each on the 360 test digits and the raw
//!   outputs must equal the interpreter's.
//! - A model whose names are hostile (code injection, unicode, bidi overrides, leading digits,
//!   keywords, duplicates) compiles, and its own `cargo test` (the crate's replay of its vectors)
//!   and its command line agree with the interpreter.
//! - The same model renders to the same bytes.
//!
//! Generated crates build with `--offline` into one shared target folder,
//! `target/sim-crates`, so `binpoint-runtime` compiles once. They build with the release profile at
//! `opt-level = 0` (passed with `--config`; the crates are unchanged): these tests compare bits,
//! which the optimisation level cannot change (the release profile keeps overflow checks and debug
//! assertions off at every level). The twelve fixture crates then build in about 13 s instead of
//! 140 s (the runtime's blocked kernels are monomorphised per raw type, which LLVM optimises
//! slowly). The crates' speed is measured by `testbench/bench` at their own profile.

use crate::compile_util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use binpoint::emit::sim::{render_sim_crate, write_sim_crate_with, SimOptions};
use binpoint::ir::ops::{
    Concat, Conv, Dense, Flatten, MaxPool, Pad, Relu, Sigmoid, Transpose, Window,
};
use binpoint::ir::GraphBuilder;
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{type_graph, Interval, PrecisionConfig, RangeSource};
use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::{Model, Threads};
use compile_util::*;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn runtime_path() -> PathBuf {
    workspace().join("runtime")
}

/// The target folder every generated crate builds into.
fn sim_target() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("sim-crates")
}

/// A fresh folder for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("emit_sim/{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `cargo <args>` on the crate at `manifest`, into the shared target folder.
pub(crate) fn cargo(args: &[&str], manifest: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let t = Instant::now();
    let out = Command::new(cargo)
        .args(args)
        .args([
            "--release",
            "--offline",
            "--config",
            "profile.release.opt-level=0",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .env("CARGO_TARGET_DIR", sim_target())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    eprintln!(
        "cargo {} {}: {:.1} s",
        args.join(" "),
        manifest.display(),
        t.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "cargo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_rows(path: &Path, values: &[i64], per: usize) {
    let text: String = values
        .chunks(per)
        .map(|r| {
            let mut s = r.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
            s.push('\n');
            s
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

fn read_ints(path: &Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn every_fixture_simulates_bit_exact() {
    let root = scratch("fixtures");
    let t0 = Instant::now();
    // name → (interpreter outputs, sample count, output length)
    let mut expected: BTreeMap<String, (Vec<i64>, usize)> = BTreeMap::new();
    let mut skipped = Vec::new();
    for model in MODELS {
        for opset in [13, 18] {
            let bits = if opset == 13 { 16 } else { 8 };
            let name = format!("{model}_{opset}");
            let g = graph(model, opset, false);
            let calib = inputs(&g, "train_x", 256);
            let typed = typed(&g, &calib, bits);
            let proto = lowered(&typed).proto;
            let m = match Model::from_proto(&proto) {
                Ok(m) => m,
                Err(e) if lut_missing(&e.to_string()) => {
                    skipped.push(format!("{name}: {e}"));
                    continue;
                }
                Err(e) => panic!("{name}: {e}"),
            };
            let test = inputs(&g, "test_x", usize::MAX);
            let n = test.shape()[0];
            let raw = m.quantize(m.inputs()[0], &flat(&test)).unwrap();
            let n_in = m.input().len;
            let opts = SimOptions {
                crate_name: Some(format!("{name}_sim")),
                vectors: raw[..16 * n_in].to_vec(),
                ..SimOptions::new(runtime_path())
            };
            write_sim_crate_with(&m, &root.join(&name).join("sim"), &opts)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            write_rows(&root.join(format!("{name}.in")), &raw, n_in);
            let out = m.run_raw(&[&raw], n, Threads::All).unwrap();
            expected.insert(name, (out.into_iter().next().unwrap(), n));
        }
    }
    eprintln!(
        "emitted {} crates in {:.1} s",
        expected.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(expected.len() >= 10, "too few fixtures ran: {skipped:?}");

    // One harness crate that depends on every generated crate.
    let harness = root.join("harness");
    std::fs::create_dir_all(harness.join("src")).unwrap();
    let mut toml = String::from(
        "[package]\nname = \"sim_harness\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    let mut main = String::from(
        "use std::fmt::Debug;\n\
         fn run<E: Debug>(dir: &str, name: &str, n_in: usize, f: fn(&[i64], usize) -> Result<Vec<i64>, E>) {\n\
         \x20   let text = std::fs::read_to_string(format!(\"{dir}/{name}.in\")).unwrap();\n\
         \x20   let x: Vec<i64> = text.split_whitespace().map(|v| v.parse().unwrap()).collect();\n\
         \x20   let y = f(&x, x.len() / n_in).unwrap();\n\
         \x20   let out: Vec<String> = y.iter().map(|v| v.to_string()).collect();\n\
         \x20   std::fs::write(format!(\"{dir}/{name}.out\"), out.join(\" \")).unwrap();\n\
         }\n\
         fn main() {\n\
         \x20   let dir = std::env::args().nth(1).unwrap();\n",
    );
    for name in expected.keys() {
        toml += &format!("{name}_sim = {{ path = \"../{name}/sim\" }}\n");
        main += &format!(
            "    run(&dir, \"{name}\", {name}_sim::INPUT_LEN, {name}_sim::infer_batch);\n"
        );
    }
    toml += "\n[workspace]\n";
    main += "}\n";
    std::fs::write(harness.join("Cargo.toml"), toml).unwrap();
    std::fs::write(harness.join("src/main.rs"), main).unwrap();
    cargo(&["build"], &harness.join("Cargo.toml"));

    let t = Instant::now();
    let status = Command::new(sim_target().join("release/sim_harness"))
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    eprintln!("harness ran in {:.2} s", t.elapsed().as_secs_f64());
    let mut failures = Vec::new();
    for (name, (want, n)) in &expected {
        let got = read_ints(&root.join(format!("{name}.out")));
        if &got != want {
            let first = got.iter().zip(want).position(|(a, b)| a != b);
            failures.push(format!(
                "{name}: {} values vs {} from the interpreter; first difference at {first:?}",
                got.len(),
                want.len()
            ));
        } else {
            eprintln!("{name}: {n} samples, {} raw outputs identical", got.len());
        }
    }
    for s in &skipped {
        eprintln!("not run: {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Names a model file may hold.
const INJECT: &str = "x; system(\"rm -rf /\"); //";
const BIDI: &str = "ψ-ÿ \u{202e}evil\u{202c}";
const BREAKOUT: &str = "*/ /* \\ \"\n}\r";

/// A small conv net (ending in a table-driven Sigmoid) whose every node, constant and tensor has a hostile name: code injection,
/// unicode with a bidi override, comment and string breakouts, keywords, a leading digit, the
/// empty name, and exact duplicates (two layers named `match`, an input and a constant alike).
fn hostile_model() -> ModelProto {
    let mut b = GraphBuilder::new("x\"; drop table; \u{202e}");
    let x = b.input(INJECT, &[0, 2, 4, 4]);
    let w = b.constant_fn("match", &[3, 2, 3, 3], |i| {
        ((i * 7 % 11) as f32 - 5.0) / 8.0
    });
    let bias = b.constant_fn("1st layer", &[3], |i| i as f32 / 4.0 - 0.25);
    let mut win = Window::new(vec![3, 3]);
    win.pads = vec![1, 1, 1, 1];
    let conv = b
        .op(
            BIDI,
            Conv {
                window: win,
                group: 1,
            },
            &[x, w, bias],
        )
        .unwrap();
    let relu = b.op(BREAKOUT, Relu, &[conv]).unwrap();
    let tr = b
        .op(
            "self",
            Transpose {
                perm: vec![0, 1, 3, 2],
            },
            &[relu],
        )
        .unwrap();
    let cat = b.op("match", Concat { axis: 1 }, &[relu, tr]).unwrap();
    let pad = b
        .op(
            "",
            Pad {
                pads: vec![0, 0, 1, 1, 0, 0, 1, 1],
                value: 0.0,
            },
            &[cat],
        )
        .unwrap();
    let mut pool_win = Window::new(vec![2, 2]);
    pool_win.strides = vec![2, 2];
    let pool = b.op("Self", MaxPool { window: pool_win }, &[pad]).unwrap();
    let flat = b.op("fn main() {}", Flatten { axis: 1 }, &[pool]).unwrap();
    let fw = b.constant_fn(INJECT, &[5, 54], |i| ((i * 13 % 17) as f32 - 8.0) / 16.0);
    let fb = b.constant_fn("1st", &[5], |i| i as f32 / 8.0);
    let dense = b.op("match", Dense, &[flat, fw, fb]).unwrap();
    let y = b.op("match", Sigmoid, &[dense]).unwrap();
    b.output(y);
    let g = b.finish().unwrap();
    let cfg = PrecisionConfig::uniform(8).unwrap();
    let typed = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    lower(&typed, &LowerOptions::default()).unwrap().proto
}

#[test]
fn hostile_names_give_safe_code_that_matches_the_interpreter() {
    let root = scratch("hostile");
    let proto = hostile_model();
    let opts = SimOptions {
        random_vectors: 12,
        ..SimOptions::new(runtime_path())
    };
    let sim = root.join("out/sim");
    let krate = write_sim_crate_with(&Model::from_proto(&proto).unwrap(), &sim, &opts).unwrap();
    for file in ["src/lib.rs", "src/weights.rs", "README.md", "Cargo.toml"] {
        let text = std::fs::read_to_string(sim.join(file)).unwrap();
        for bad in ["system(\"", "\u{202e}", "\r", "\"\n}"] {
            assert!(!text.contains(bad), "{bad:?} reached {file}");
        }
        for line in text.lines().filter(|l| l.trim_start().starts_with("//")) {
            assert!(!line.contains("*/"), "{file}: {line}");
        }
    }
    // The crate's own tests: every vector, as a batch, and layer by layer.
    cargo(&["test"], &sim.join("Cargo.toml"));
    // The command line on the raw vectors prints the interpreter's outputs.
    let out = Command::new(sim_target().join("release").join(&krate.crate_name))
        .args(["--raw", "vectors/input.txt"])
        .current_dir(&sim)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read_to_string(sim.join("vectors/expected.txt")).unwrap();
    let rows = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(rows(&String::from_utf8_lossy(&out.stdout)), rows(&expected));
    assert_eq!(krate.vectors, 12);
}

#[test]
fn the_same_model_renders_the_same_bytes() {
    let proto = hostile_model();
    let opts = SimOptions::new(runtime_path());
    let a = render_sim_crate(&Model::from_proto(&proto).unwrap(), &opts, "../runtime").unwrap();
    let b = Model::from_proto(&hostile_model()).unwrap();
    let b = render_sim_crate(&b, &opts, "../runtime").unwrap();
    assert_eq!(a.files, b.files);
    let cargo_toml = &a.files[0].1;
    assert!(cargo_toml.contains("path = \"../runtime\""), "{cargo_toml}");
}

#[test]
fn the_runtime_path_is_relative_when_it_can_be() {
    use binpoint::emit::sim::runtime_dependency;
    let ws = workspace().canonicalize().unwrap();
    let sim = ws.join("target/x/out/sim");
    assert_eq!(
        runtime_dependency(&sim, &ws.join("runtime")),
        "../../../../runtime"
    );
    assert_eq!(
        runtime_dependency(
            Path::new("/nonexistent-a/sim"),
            Path::new("/nonexistent-b/runtime")
        ),
        "/nonexistent-b/runtime"
    );
}
