//! Where Xilinx's `ap_types` headers and g++ come from (`binpoint verify` and the testbench's
//! differential tests share this).
//!
//! The headers are the reference for every bit binpoint computes, and they may not be copied
//! into this repository. In order of preference they come from
//! 1. `$AP_TYPES_INCLUDE` (a folder holding `ap_fixed.h`),
//! 2. `$XILINX_HLS/include` when Vitis HLS is installed,
//! 3. the open-source copy inside the `hls4ml` wheel on PyPI, fetched once with
//!    `python3 -m pip download` and cached in `<cache>/ap_types/hls4ml-1.3.0/`, where `<cache>` is
//!    `$BINPOINT_CACHE_DIR`, else the workspace's cargo target dir when binpoint runs from its
//!    source tree, else `$XDG_CACHE_HOME/binpoint` (or `~/.cache/binpoint`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The hls4ml release whose headers are cached.
pub const HLS4ML_VERSION: &str = "1.3.0";
/// Folder of the headers inside the hls4ml wheel.
const WHEEL_PREFIX: &str = "hls4ml/templates/vivado/ap_types/";

/// Why the headers or the compiler cannot be found; each says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(
        "AP_TYPES_INCLUDE={dir} has no ap_fixed.h: point it at a folder holding Xilinx's ap_types \
         headers (e.g. $XILINX_HLS/include), or unset it to download them from the hls4ml wheel"
    )]
    ApTypesEnv { dir: PathBuf },

    #[error("could not run `{cmd}`: {source}. {hint}")]
    Spawn {
        cmd: String,
        source: std::io::Error,
        hint: &'static str,
    },

    #[error("`{cmd}` failed ({status}). {hint}\n{stderr}")]
    CommandFailed {
        cmd: String,
        status: ExitStatus,
        stderr: String,
        hint: &'static str,
    },

    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "reading the hls4ml wheel {}: {source}. Delete it and retry, or set AP_TYPES_INCLUDE",
        path.display()
    )]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },

    #[error(
        "the hls4ml wheel {} has no ap_fixed.h under {prefix}; set AP_TYPES_INCLUDE to a folder \
         with the ap_types headers",
        path.display()
    )]
    WheelLayout { path: PathBuf, prefix: &'static str },
}

impl ToolError {
    fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ToolError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

const GXX_HINT: &str = "Install g++ or set CXX to a C++14 compiler";

/// A folder containing `ap_fixed.h` (see the module docs for where it comes from).
pub fn ap_types_include() -> Result<PathBuf, ToolError> {
    if let Some(dir) = std::env::var_os("AP_TYPES_INCLUDE") {
        let dir = PathBuf::from(dir);
        return if dir.join("ap_fixed.h").is_file() {
            Ok(dir)
        } else {
            Err(ToolError::ApTypesEnv { dir })
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
    let dir = cached_headers(&cache_dir())?;
    Ok(CACHED.get_or_init(|| dir).clone())
}

/// The C++ compiler: `$CXX`, else `g++`.
pub fn gxx() -> PathBuf {
    std::env::var_os("CXX")
        .filter(|cxx| !cxx.is_empty())
        .map_or_else(|| PathBuf::from("g++"), PathBuf::from)
}

/// The compiler's `--version` banner (first line); checks that it runs.
pub fn gxx_version() -> Result<String, ToolError> {
    let cxx = gxx();
    let out = Command::new(&cxx)
        .arg("--version")
        .output()
        .map_err(|source| ToolError::Spawn {
            cmd: format!("{} --version", cxx.display()),
            source,
            hint: GXX_HINT,
        })?;
    if !out.status.success() {
        return Err(ToolError::CommandFailed {
            cmd: format!("{} --version", cxx.display()),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            hint: GXX_HINT,
        });
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// The workspace root of this source tree (the parent of the compiler crate), as built.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The workspace's cargo target dir: `$CARGO_TARGET_DIR` (relative to the workspace root when
/// relative), else `<workspace root>/target`.
pub fn target_dir() -> PathBuf {
    let root = workspace_root();
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// Where downloads and builds are cached (see the module docs).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BINPOINT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let target = target_dir();
    if target.is_dir() {
        return target;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("binpoint")
}

/// `<cache>/ap_types/hls4ml-<version>/`, downloading the wheel when absent.
///
/// Concurrent processes may download at the same time: each extracts into its own temporary
/// folder and renames it into place; a loser of the race keeps the winner's copy.
fn cached_headers(cache: &Path) -> Result<PathBuf, ToolError> {
    let root = cache.join("ap_types");
    let dest = root.join(format!("hls4ml-{HLS4ML_VERSION}"));
    if dest.join("ap_fixed.h").is_file() {
        return Ok(dest);
    }
    fs::create_dir_all(&root).map_err(|e| ToolError::io("creating", &root, e))?;
    let tmp = root.join(format!(".tmp-{}-{}", std::process::id(), nonce()));
    let result = download_into(&tmp).and_then(|extracted| publish(&extracted, &dest));
    // Best effort: a leftover temporary folder is harmless.
    let _ = fs::remove_dir_all(&tmp);
    result.map(|()| dest)
}

/// Nanoseconds since the epoch: a name for temporary files no other process picks.
pub(crate) fn nonce() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Downloads the wheel into `tmp` and extracts the headers into `tmp/ap_types`.
fn download_into(tmp: &Path) -> Result<PathBuf, ToolError> {
    let wheels = tmp.join("wheel");
    fs::create_dir_all(&wheels).map_err(|e| ToolError::io("creating", &wheels, e))?;
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
    let out = cmd.output().map_err(|source| ToolError::Spawn {
        cmd: shown.clone(),
        source,
        hint: HINT,
    })?;
    if !out.status.success() {
        return Err(ToolError::CommandFailed {
            cmd: shown,
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            hint: HINT,
        });
    }
    let wheel = fs::read_dir(&wheels)
        .map_err(|e| ToolError::io("listing", &wheels, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|ext| ext == "whl"))
        .ok_or_else(|| ToolError::CommandFailed {
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
fn extract_headers(wheel: &Path, into: &Path) -> Result<(), ToolError> {
    let zip_err = |source| ToolError::Zip {
        path: wheel.to_path_buf(),
        source,
    };
    let file = fs::File::open(wheel).map_err(|e| ToolError::io("opening", wheel, e))?;
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
            fs::create_dir_all(parent).map_err(|e| ToolError::io("creating", parent, e))?;
        }
        let mut out = fs::File::create(&path).map_err(|e| ToolError::io("creating", &path, e))?;
        io::copy(&mut entry, &mut out).map_err(|e| ToolError::io("extracting", &path, e))?;
        found |= rel == Path::new("ap_fixed.h");
    }
    if found {
        Ok(())
    } else {
        Err(ToolError::WheelLayout {
            path: wheel.to_path_buf(),
            prefix: WHEEL_PREFIX,
        })
    }
}

/// Renames `extracted` to `dest`; if another process got there first, keeps its copy.
fn publish(extracted: &Path, dest: &Path) -> Result<(), ToolError> {
    match fs::rename(extracted, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.join("ap_fixed.h").is_file() => Ok(()),
        Err(e) => Err(ToolError::io("renaming the headers into", dest, e)),
    }
}
