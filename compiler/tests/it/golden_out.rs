//! Golden snapshots of whole OUT folders (compiler/tests/golden_out/<case>/): the firmware, the
//! simulator crate, the testbench and its vectors, the scripts, the hardware plan, report.txt and
//! report.json, and (mlp_8bit, `--rtl`) the Verilog, as `binpoint compile` writes them for four
//! small fixtures. A change in anything binpoint ships shows up here, file by file, in review.
//!
//! Bless an intended change with
//! `BINPOINT_UPDATE_GOLDEN=1 cargo test --release -p binpoint --test it golden_out`
//! and commit the new files with the change that made them.
//!
//! Together the cases render every askama template (checked line by line below) and copy most
//! kernel headers; every static header the emitter can ship, used by a case or not, is pinned by
//! its digest in `static-headers.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Name, then the arguments of `binpoint compile` (fixture paths relative to
/// testbench/fixtures/).
const CASES: &[(&str, &[&str])] = &[
    (
        "mlp_8bit",
        &[
            "mlp/mlp_opset13.onnx",
            "--bits",
            "8",
            "--calib",
            "data/train_x.npy",
            "--rtl",
        ],
    ),
    (
        "activations_khot2_stream",
        &[
            "activations/activations_opset18.onnx",
            "--bits",
            "8",
            "--khot",
            "2",
            "--calib",
            "data/train_x.npy",
            "--stream",
        ],
    ),
    (
        "cnn_bn_io_stream",
        &[
            "cnn_bn/cnn_bn_opset13.onnx",
            "--bits",
            "8",
            "--calib",
            "data/train_x.npy",
            "--io",
            "stream",
        ],
    ),
    (
        "dwsep_khot2_zcu104",
        &[
            "dwsep/dwsep_opset13.onnx",
            "--bits",
            "8",
            "--khot",
            "2",
            "--calib",
            "data/train_x.npy",
            "--board",
            "zcu104",
            "--clock",
            "4",
        ],
    ),
];

/// Files of OUT that are not snapshotted: the copy of the input model (a committed fixture).
const SKIPPED: &[&str] = &["model.onnx"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_out")
}

fn updating() -> bool {
    std::env::var_os("BINPOINT_UPDATE_GOLDEN").is_some()
}

/// Every file under `dir`, by `/`-separated relative path.
fn walk(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn go(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                go(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap();
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    go(dir, dir, &mut out);
    out
}

/// The one line that depends on where the checkout lives: the runtime's path in sim/Cargo.toml.
fn normalize(rel: &str, bytes: Vec<u8>) -> Vec<u8> {
    if rel != "sim/Cargo.toml" {
        return bytes;
    }
    let text = String::from_utf8(bytes).unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("binpoint-runtime = { path = ") {
                "binpoint-runtime = { path = \"<runtime>\" }"
            } else {
                l
            }
        })
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Compiles `case` into a fresh folder under the target dir and returns its snapshot.
fn compile(name: &str, args: &[&str]) -> BTreeMap<String, Vec<u8>> {
    compile_into(name, name, args)
}

/// [`compile`] into `target/golden-out/<dir>`: tests that run at the same time use their own.
fn compile_into(dir: &str, name: &str, args: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let fixtures = root().join("testbench/fixtures");
    let out = binpoint::emit::hls::ap_types::target_dir()
        .join("golden-out")
        .join(dir);
    let _ = std::fs::remove_dir_all(&out);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_binpoint"));
    cmd.arg("compile");
    for a in args {
        if a.ends_with(".onnx") || a.ends_with(".npy") {
            cmd.arg(fixtures.join(a));
        } else {
            cmd.arg(a);
        }
    }
    let run = cmd.arg("-o").arg(&out).output().unwrap();
    assert!(
        run.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    walk(&out)
        .into_iter()
        .filter(|(rel, _)| !SKIPPED.contains(&rel.as_str()))
        .map(|(rel, bytes)| {
            let b = normalize(&rel, bytes);
            (rel, b)
        })
        .collect()
}

/// What differs between a fresh OUT and its golden, file by file (empty: nothing).
fn differences(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, bytes) in got {
        match want.get(rel) {
            None => out.push(format!("{rel}: new file, not in the golden")),
            Some(w) if w != bytes => {
                let (a, b) = (String::from_utf8_lossy(w), String::from_utf8_lossy(bytes));
                let line = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.lines().count().min(b.lines().count()));
                out.push(format!(
                    "{rel}: differs from line {}:\n  golden: {}\n  now:    {}",
                    line + 1,
                    a.lines().nth(line).unwrap_or("<end>"),
                    b.lines().nth(line).unwrap_or("<end>")
                ));
            }
            Some(_) => {}
        }
    }
    for rel in want.keys().filter(|r| !got.contains_key(*r)) {
        out.push(format!("{rel}: in the golden, no longer written"));
    }
    out
}

fn write_golden(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(dir);
    for (rel, bytes) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

#[test]
fn out_folders_match_their_golden_snapshots() {
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let got = compile(name, args);
        let dir = golden_dir().join(name);
        if updating() {
            write_golden(&dir, &got);
            continue;
        }
        let d = differences(&got, &walk(&dir));
        if !d.is_empty() {
            failures.push(format!("{name} ({}):\n{}", dir.display(), d.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "the emitted OUT changed; if that is intended, bless it with BINPOINT_UPDATE_GOLDEN=1 \
         (see the module doc):\n{}",
        failures.join("\n\n")
    );
}

/// A digest that does not change between Rust releases (the build cache's).
fn fnv64(bytes: &[u8]) -> u64 {
    let mut h = binpoint::emit::hls::gxx::Fnv::default();
    h.write(bytes);
    h.finish()
}

/// Every static header of `hls-templates/` (kernels and the firmware's own), with its digest.
fn static_headers() -> String {
    let mut lines = Vec::new();
    for folder in ["kernels", "firmware"] {
        for (rel, bytes) in walk(&root().join("hls-templates").join(folder)) {
            let text = String::from_utf8_lossy(&bytes);
            // askama templates (interpolated) are covered by the OUT snapshots.
            if text.contains("{{") || text.contains("{%") {
                continue;
            }
            lines.push(format!("{folder}/{rel} {:016x}\n", fnv64(&bytes)));
        }
    }
    lines.concat()
}

#[test]
fn every_static_header_is_pinned() {
    let file = golden_dir().join("static-headers.txt");
    let now = static_headers();
    if updating() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&file, &now).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        want, now,
        "a kernel or firmware header changed; bless with BINPOINT_UPDATE_GOLDEN=1"
    );
}

/// The askama templates' literal lines (no interpolation or tag): each must appear in some
/// golden file, so that a change to any of them changes a snapshot.
#[test]
fn every_template_line_reaches_a_snapshot() {
    if updating() {
        return;
    }
    let mut shipped: Vec<String> = Vec::new();
    for (name, _) in CASES {
        for bytes in walk(&golden_dir().join(name)).values() {
            shipped.extend(String::from_utf8_lossy(bytes).lines().map(str::to_string));
        }
    }
    let shipped: std::collections::BTreeSet<&str> = shipped.iter().map(|l| l.trim()).collect();
    let mut missing = Vec::new();
    for folder in ["firmware", "tb", "scripts", "sim"] {
        for (rel, bytes) in walk(&root().join("hls-templates").join(folder)) {
            let text = String::from_utf8_lossy(&bytes);
            if !(text.contains("{{") || text.contains("{%")) {
                continue;
            }
            for line in text.lines() {
                let t = line.trim();
                let tagged = ["{{", "}}", "{%", "%}", "{#", "#}"]
                    .iter()
                    .any(|m| t.contains(m));
                if t.is_empty() || tagged {
                    continue;
                }
                if !shipped.contains(t) {
                    missing.push(format!("{folder}/{rel}: {t}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "template lines no snapshot holds (add a case that renders them):\n{}",
        missing.join("\n")
    );
}

/// One changed character in any shipped file (a kernel header copied into the firmware, a
/// rendered template, a script, the simulator crate) is caught and named.
#[test]
fn a_one_character_change_is_caught() {
    if updating() {
        return;
    }
    let (name, args) = CASES[0];
    let fresh = compile_into(&format!("{name}-one-character"), name, args);
    let golden = walk(&golden_dir().join(name));
    assert!(differences(&fresh, &golden).is_empty());
    for rel in [
        "firmware/dense.h",
        "firmware/binpoint_top.cpp",
        "firmware/parameters.h",
        "tb/tb.cpp",
        "scripts/hls.tcl",
        "sim/src/lib.rs",
        "report.txt",
        "hardware.json",
    ] {
        let mut perturbed = fresh.clone();
        let bytes = perturbed
            .get_mut(rel)
            .unwrap_or_else(|| panic!("{rel} not written"));
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
        let d = differences(&perturbed, &golden);
        assert_eq!(d.len(), 1, "{rel}: {d:?}");
        assert!(d[0].starts_with(&format!("{rel}: differs")), "{}", d[0]);
    }
    // And a header change is caught by the digests.
    let mut headers = static_headers();
    let at = headers.find(' ').unwrap() + 3;
    headers.replace_range(
        at..at + 1,
        if &headers[at..at + 1] == "0" {
            "1"
        } else {
            "0"
        },
    );
    let want = std::fs::read_to_string(golden_dir().join("static-headers.txt")).unwrap();
    assert_ne!(headers, want);
}
