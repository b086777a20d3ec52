//! Building the firmware and its testbench with g++ for C simulation, cached by content.
//!
//! `g++ -std=c++14 -O1 -DNDEBUG -Wall -Werror -isystem <ap_types> -I <firmware>
//! <firmware>/binpoint_top.cpp <tb>/tb.cpp -o tb` (`NDEBUG`: the open-source headers assert on
//! some well-defined casts). The executable is cached under `<cache>/hls-tb/<key>/` where the key
//! hashes every firmware file, the testbench, the flags, the compiler's banner and the headers'
//! folder: the same design is compiled once.

use std::fs;
use std::path::{Path, PathBuf};

use super::ap_types::{ap_types_include, gxx, gxx_version, nonce, ToolError};
use super::gxx::GxxError;

/// The flags of every build (plus `-isystem`, `-I` and `-DBINPOINT_TRACE` for a trace build).
const FLAGS: &[&str] = &["-std=c++14", "-O1", "-DNDEBUG", "-Wall", "-Werror"];

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("g++ could not compile the firmware and testbench in {}:\n{stderr}", dir.display())]
    Compile { dir: PathBuf, stderr: String },
    #[error(transparent)]
    Gxx(#[from] GxxError),
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BuildError + 'a {
    move |source| BuildError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// A built testbench.
#[derive(Clone, Debug)]
pub struct Built {
    pub exe: PathBuf,
    /// Found in the cache (no g++ run).
    pub cached: bool,
    /// Seconds g++ took (0 when cached).
    pub seconds: f64,
    /// The g++ command line, for people.
    pub command: String,
}

pub use super::gxx::Fnv;

/// The sources of one build, sorted by name: every file of `firmware` and `tb.cpp`.
fn sources(firmware: &Path, tb: &Path) -> Result<Vec<(String, Vec<u8>)>, BuildError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(firmware).map_err(io("listing", firmware))? {
        let path = entry.map_err(io("listing", firmware))?.path();
        if path.is_file() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((
                format!("firmware/{name}"),
                fs::read(&path).map_err(io("reading", &path))?,
            ));
        }
    }
    files.sort();
    files.push(("tb/tb.cpp".into(), fs::read(tb).map_err(io("reading", tb))?));
    Ok(files)
}

/// Builds `firmware/binpoint_top.cpp` with `tb` (a `tb.cpp`) into an executable under
/// `cache/hls-tb/`, or finds it there.
pub fn build_tb(
    firmware: &Path,
    tb: &Path,
    cache: &Path,
    trace: bool,
) -> Result<Built, BuildError> {
    let include = ap_types_include()?;
    let version = gxx_version()?;
    let mut flags: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    if trace {
        flags.push("-DBINPOINT_TRACE".into());
    }
    let mut key = Fnv::default();
    for (name, data) in sources(firmware, tb)? {
        key.write(name.as_bytes());
        key.write(&data);
    }
    for f in &flags {
        key.write(f.as_bytes());
    }
    key.write(version.as_bytes());
    key.write(include.to_string_lossy().as_bytes());
    let dir = cache.join("hls-tb").join(format!("{:016x}", key.finish()));
    let exe = dir.join("tb");

    // The sources are copied next to the executable, so a cached build shows what it ran.
    let command = |fw: &Path, tbc: &Path, out: &Path| -> Vec<String> {
        let mut args = flags.clone();
        args.push("-isystem".into());
        args.push(include.display().to_string());
        args.push("-I".into());
        args.push(fw.display().to_string());
        args.push(fw.join("binpoint_top.cpp").display().to_string());
        args.push(tbc.display().to_string());
        args.push("-o".into());
        args.push(out.display().to_string());
        args
    };
    let shown = |args: &[String]| format!("{} {}", gxx().display(), args.join(" "));
    if exe.is_file() {
        return Ok(Built {
            command: shown(&command(&dir.join("firmware"), &dir.join("tb.cpp"), &exe)),
            exe,
            cached: true,
            seconds: 0.0,
        });
    }
    let tmp = cache
        .join("hls-tb")
        .join(format!(".tmp-{}-{}", std::process::id(), nonce()));
    let result = build_into(&tmp, firmware, tb, &command, &shown);
    let built = match result {
        Ok(b) => b,
        // A failed compile keeps its folder: the error names it, with the sources inside.
        Err(e @ BuildError::Compile { .. }) => return Err(e),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    // Another process may have published the same key meanwhile: keep either.
    if fs::rename(&tmp, &dir).is_err() {
        let _ = fs::remove_dir_all(&tmp);
        if !exe.is_file() {
            return Err(BuildError::Io {
                what: "publishing the build into",
                path: dir,
                source: std::io::Error::other("rename failed"),
            });
        }
    }
    Ok(Built {
        command: built
            .1
            .replace(&tmp.display().to_string(), &dir.display().to_string()),
        exe,
        cached: false,
        seconds: built.0,
    })
}

type CommandFn<'a> = dyn Fn(&Path, &Path, &Path) -> Vec<String> + 'a;

/// Copies the sources into `tmp` and runs g++ there: (seconds, command).
fn build_into(
    tmp: &Path,
    firmware: &Path,
    tb: &Path,
    command: &CommandFn<'_>,
    shown: &dyn Fn(&[String]) -> String,
) -> Result<(f64, String), BuildError> {
    let fw = tmp.join("firmware");
    fs::create_dir_all(&fw).map_err(io("creating", &fw))?;
    for (name, data) in sources(firmware, tb)? {
        let dest = match name.strip_prefix("firmware/") {
            Some(n) => fw.join(n),
            None => tmp.join("tb.cpp"),
        };
        fs::write(&dest, data).map_err(io("writing", &dest))?;
    }
    let args = command(&fw, &tmp.join("tb.cpp"), &tmp.join("tb"));
    let seconds = match super::gxx::compile(&args) {
        Ok(s) => s,
        Err(GxxError::Compile { stderr, .. }) => {
            return Err(BuildError::Compile {
                dir: tmp.to_path_buf(),
                stderr,
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok((seconds, shown(&args)))
}
