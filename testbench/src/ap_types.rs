//! Where Xilinx's `ap_types` headers and g++ come from.
//!
//! The headers are the reference for every bit the runtime computes, and they may not be
//! copied into this repository. In order of preference they come from
//! 1. `$AP_TYPES_INCLUDE` (a folder holding `ap_fixed.h`),
//! 2. `$XILINX_HLS/include` when Vitis HLS is installed,
//! 3. the open-source copy inside the `hls4ml` wheel on PyPI, fetched once with
//!    `python3 -m pip download` and cached in `<target>/ap_types/hls4ml-1.3.0/`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// The hls4ml release whose headers are cached.
pub const HLS4ML_VERSION: &str = "1.3.0";
/// Folder of the headers inside the hls4ml wheel.
const WHEEL_PREFIX: &str = "hls4ml/templates/vivado/ap_types/";

/// A folder containing `ap_fixed.h` (see the module docs for where it comes from).
pub fn ap_types_include() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("AP_TYPES_INCLUDE") {
        let dir = PathBuf::from(dir);
        return if dir.join("ap_fixed.h").is_file() {
            Ok(dir)
        } else {
            Err(Error::ApTypesEnv { dir })
        };
    }
    if let Some(hls) = std::env::var_os("XILINX_HLS") {
        let dir = Path::new(&hls).join("include");
        if dir.join("ap_fixed.h").is_file() {
            return Ok(dir);
        }
    }
    static CACHED: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = CACHED.get() {
        return Ok(dir.clone());
    }
    let dir = cached_headers(&target_dir())?;
    Ok(CACHED.get_or_init(|| dir).clone())
}

/// The C++ compiler: `$CXX`, else `g++`.
pub fn gxx() -> PathBuf {
    std::env::var_os("CXX")
        .filter(|cxx| !cxx.is_empty())
        .map_or_else(|| PathBuf::from("g++"), PathBuf::from)
}

/// The compiler's `--version` banner (first line); checks that it runs.
pub fn gxx_version() -> Result<String, Error> {
    let cxx = gxx();
    let out = Command::new(&cxx)
        .arg("--version")
        .output()
        .map_err(|source| Error::Spawn {
            cmd: format!("{} --version", cxx.display()),
            source,
            hint: "Install g++ or set CXX to a C++14 compiler",
        })?;
    if !out.status.success() {
        return Err(Error::CommandFailed {
            cmd: format!("{} --version", cxx.display()),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            hint: "Install g++ or set CXX to a C++14 compiler",
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// The workspace's cargo target dir: `$CARGO_TARGET_DIR` (relative to the workspace root
/// when relative), else `<workspace root>/target`.
pub fn target_dir() -> PathBuf {
    let root = workspace_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// The workspace root: the parent of this crate's manifest dir.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `<target>/ap_types/hls4ml-<version>/`, downloading the wheel when absent.
///
/// Concurrent processes may download at the same time: each extracts into its own
/// temporary folder and renames it into place; a loser of the race keeps the winner's copy.
fn cached_headers(target: &Path) -> Result<PathBuf, Error> {
    let root = target.join("ap_types");
    let dest = root.join(format!("hls4ml-{HLS4ML_VERSION}"));
    if dest.join("ap_fixed.h").is_file() {
        return Ok(dest);
    }
    fs::create_dir_all(&root).map_err(|e| Error::io("creating", &root, e))?;
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = root.join(format!(".tmp-{}-{nonce}", std::process::id()));
    let result = download_into(&tmp).and_then(|extracted| publish(&extracted, &dest));
    // Best effort: a leftover temporary folder is harmless.
    let _ = fs::remove_dir_all(&tmp);
    result.map(|()| dest)
}

/// Downloads the wheel into `tmp` and extracts the headers into `tmp/ap_types`.
fn download_into(tmp: &Path) -> Result<PathBuf, Error> {
    let wheels = tmp.join("wheel");
    fs::create_dir_all(&wheels).map_err(|e| Error::io("creating", &wheels, e))?;
    let spec = format!("hls4ml=={HLS4ML_VERSION}");
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--quiet", &spec, "-d"])
        .arg(&wheels);
    let shown = format!(
        "python3 -m pip download --no-deps {spec} -d {}",
        wheels.display()
    );
    const HINT: &str = "The ap_types headers come from the hls4ml wheel on PyPI: check that \
                        python3, pip and network access work, or set AP_TYPES_INCLUDE to a folder \
                        with ap_fixed.h (e.g. $XILINX_HLS/include)";
    let out = cmd.output().map_err(|source| Error::Spawn {
        cmd: shown.clone(),
        source,
        hint: HINT,
    })?;
    if !out.status.success() {
        return Err(Error::CommandFailed {
            cmd: shown,
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            hint: HINT,
        });
    }
    let wheel = fs::read_dir(&wheels)
        .map_err(|e| Error::io("listing", &wheels, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|ext| ext == "whl"))
        .ok_or_else(|| Error::CommandFailed {
            cmd: shown,
            status: out.status,
            stderr: format!("no .whl file appeared in {}", wheels.display()),
            hint: HINT,
        })?;
    let headers = tmp.join("ap_types");
    extract_headers(&wheel, &headers)?;
    Ok(headers)
}

/// Extracts the entries under `hls4ml/templates/vivado/ap_types/` (with `etc/`, `utils/`).
fn extract_headers(wheel: &Path, into: &Path) -> Result<(), Error> {
    let zip_err = |source| Error::Zip {
        path: wheel.to_path_buf(),
        source,
    };
    let file = fs::File::open(wheel).map_err(|e| Error::io("opening", wheel, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut found = false;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        let Some(name) = entry.enclosed_name() else {
            continue;
        };
        let Ok(rel) = name.strip_prefix(WHEEL_PREFIX) else {
            continue;
        };
        if entry.is_dir() || rel.as_os_str().is_empty() {
            continue;
        }
        let path = into.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        let mut out = fs::File::create(&path).map_err(|e| Error::io("creating", &path, e))?;
        io::copy(&mut entry, &mut out).map_err(|e| Error::io("extracting", &path, e))?;
        found |= rel == Path::new("ap_fixed.h");
    }
    if found {
        Ok(())
    } else {
        Err(Error::WheelLayout {
            path: wheel.to_path_buf(),
            prefix: WHEEL_PREFIX,
        })
    }
}

/// Renames `extracted` to `dest`; if another process got there first, keeps its copy.
fn publish(extracted: &Path, dest: &Path) -> Result<(), Error> {
    match fs::rename(extracted, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.join("ap_fixed.h").is_file() => Ok(()),
        Err(e) => Err(Error::io("renaming the headers into", dest, e)),
    }
}
