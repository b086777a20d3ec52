//! Verilator: `--lint-only -Wall` on `OUT/rtl/`, and `--cc --exe --build` of the RTL with a C++
//! harness, cached by content (the RTL files, the harness, the flags and `verilator --version`)
//! under `<cache>/rtl-verilator/<key>/`, published by rename like the g++ builds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::{RtlError, TOP};
use crate::emit::hls::gxx::Fnv;

/// Runs `tool` with `args` in `cwd`: (success, stdout + stderr). A missing tool is
/// [`RtlError::MissingTool`].
pub fn run_tool(
    tool: &'static str,
    package: &'static str,
    args: &[String],
    cwd: &Path,
) -> Result<(bool, String), RtlError> {
    let out = Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RtlError::MissingTool { tool, package },
            _ => RtlError::Tool {
                tool,
                command: format!("{tool} {}", args.join(" ")),
                output: e.to_string(),
            },
        })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// `verilator --version`'s line.
pub fn version() -> Result<String, RtlError> {
    let (_, v) = run_tool(
        "verilator",
        "verilator",
        &["--version".into()],
        Path::new("."),
    )?;
    Ok(v.trim().to_string())
}

/// The `.v` files of `dir`, sorted by name.
pub fn sources(dir: &Path) -> Result<Vec<PathBuf>, RtlError> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| RtlError::io("reading", dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(RtlError::Unsupported(format!(
            "{}: no .v files (compile with --rtl)",
            dir.display()
        )));
    }
    Ok(files)
}

/// `verilator --lint-only -Wall` on the RTL in `dir`: `Err` with Verilator's warnings.
pub fn lint(dir: &Path) -> Result<(), RtlError> {
    let mut args: Vec<String> = ["--lint-only", "-Wall", "--top-module", TOP]
        .map(String::from)
        .to_vec();
    args.extend(sources(dir)?.iter().map(|p| p.display().to_string()));
    let (ok, text) = run_tool("verilator", "verilator", &args, Path::new("."))?;
    if !ok || !text.trim().is_empty() {
        return Err(RtlError::Tool {
            tool: "verilator",
            command: format!("verilator {}", args.join(" ")),
            output: text,
        });
    }
    Ok(())
}

/// A Verilator-built simulator.
#[derive(Clone, Debug)]
pub struct Built {
    pub exe: PathBuf,
    pub cached: bool,
    /// Seconds Verilator and the C++ compiler took (0 when cached).
    pub seconds: f64,
}

/// Builds the RTL in `dir` with the harness `harness` (C++ text) into `<cache>/rtl-verilator/`.
pub fn build(dir: &Path, harness: &str, cache: &Path) -> Result<Built, RtlError> {
    let files = sources(dir)?;
    let flags: Vec<String> = [
        "--cc",
        "--exe",
        "--build",
        "-j",
        "2",
        "-Wno-fatal",
        "--top-module",
        TOP,
        "-CFLAGS",
        "-O1",
    ]
    .map(String::from)
    .to_vec();
    let mut key = Fnv::default();
    key.write(version()?.as_bytes());
    key.write(harness.as_bytes());
    for f in &flags {
        key.write(f.as_bytes());
    }
    let mut texts = Vec::new();
    for f in &files {
        let text = fs::read(f).map_err(|e| RtlError::io("reading", f, e))?;
        key.write(f.file_name().unwrap_or_default().as_encoded_bytes());
        key.write(&text);
        texts.push(text);
    }
    let root = cache.join("rtl-verilator");
    let done = root.join(format!("{:016x}", key.finish()));
    let exe = done.join("obj").join("sim");
    if exe.is_file() {
        return Ok(Built {
            exe,
            cached: true,
            seconds: 0.0,
        });
    }
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let tmp = root.join(format!(
        "tmp-{}-{}-{nanos}",
        std::process::id(),
        BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&tmp);
    let src = tmp.join("src");
    fs::create_dir_all(&src).map_err(|e| RtlError::io("creating", &src, e))?;
    let mut args = flags.clone();
    args.extend(["--Mdir".into(), "obj".into(), "-o".into(), "sim".into()]);
    for (f, text) in files.iter().zip(&texts) {
        let p = src.join(f.file_name().unwrap_or_default());
        fs::write(&p, text).map_err(|e| RtlError::io("writing", &p, e))?;
        args.push(format!(
            "src/{}",
            p.file_name().unwrap_or_default().to_string_lossy()
        ));
    }
    let h = tmp.join("harness.cpp");
    fs::write(&h, harness).map_err(|e| RtlError::io("writing", &h, e))?;
    args.push(h.display().to_string());
    let start = Instant::now();
    let (ok, text) = run_tool("verilator", "verilator", &args, &tmp)?;
    let seconds = start.elapsed().as_secs_f64();
    if !ok || !tmp.join("obj/sim").is_file() {
        return Err(RtlError::Tool {
            tool: "verilator",
            command: format!("verilator {} (in {})", args.join(" "), tmp.display()),
            output: text,
        });
    }
    match fs::rename(&tmp, &done) {
        Ok(()) => {}
        // Another build of the same content won the race: use it.
        Err(_) if done.join("obj/sim").is_file() => {
            let _ = fs::remove_dir_all(&tmp);
        }
        Err(e) => return Err(RtlError::io("renaming", &tmp, e)),
    }
    Ok(Built {
        exe,
        cached: false,
        seconds,
    })
}
