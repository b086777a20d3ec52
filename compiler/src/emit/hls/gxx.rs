//! The one g++ harness: compile a C++ program into an executable, cached by content and published
//! by rename (so concurrent builds never clash and a half-written binary is never run), and run an
//! executable with bytes on its stdin. `binpoint verify` builds the firmware and its testbench
//! with it ([`super::build`]); the testbench's fixed-point oracle and kernel twin test build their
//! programs with it.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::ap_types::{gxx, nonce};

/// FNV-1a, 64 bits, over length-prefixed parts: a content key that does not change between Rust
/// releases (not a defence against adversaries).
#[derive(Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// Why a program could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum GxxError {
    #[error("could not run `{cmd}`: {source}. {hint}")]
    Spawn {
        cmd: String,
        source: std::io::Error,
        hint: &'static str,
    },
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("g++ could not compile {}:\n{stderr}", source_path.display())]
    Compile {
        source_path: PathBuf,
        stderr: String,
    },
    #[error("{} failed ({status}):\n{stderr}", program.display())]
    Run {
        program: PathBuf,
        status: ExitStatus,
        stderr: String,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> GxxError + 'a {
    move |source| GxxError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// A name no other build of this process or another uses at the same time.
fn unique() -> String {
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    format!(
        "tmp{}-{}-{}",
        std::process::id(),
        BUILDS.fetch_add(1, Ordering::Relaxed),
        nonce() % 1_000_000
    )
}

/// A program built from one source file.
#[derive(Clone, Debug)]
pub struct Program {
    /// Where its source is kept (next to the binary).
    pub source_path: PathBuf,
    pub binary: PathBuf,
}

impl Program {
    /// The program `source` compiled with `args` (flags and include folders), cached under
    /// `dir/<stem>-<key>`: the key hashes the source, the arguments, the compiler's path and
    /// `key_parts` (the compiler's banner, header digests).
    pub fn new(
        dir: &Path,
        stem: &str,
        source: &str,
        args: &[String],
        key_parts: &[&str],
    ) -> Program {
        let mut key = Fnv::default();
        key.write(source.as_bytes());
        for a in args {
            key.write(a.as_bytes());
        }
        key.write(gxx().to_string_lossy().as_bytes());
        for p in key_parts {
            key.write(p.as_bytes());
        }
        let name = format!("{stem}-{:016x}", key.finish());
        Program {
            source_path: dir.join(format!("{name}.cpp")),
            binary: dir.join(name),
        }
    }

    /// Compiles `source` unless `cache` and the binary exists; the seconds g++ took (None:
    /// cached). The source is kept next to the binary, so an error can name it.
    pub fn build(
        &self,
        source: &str,
        args: &[String],
        cache: bool,
    ) -> Result<Option<f64>, GxxError> {
        if cache && self.binary.is_file() {
            return Ok(None);
        }
        let u = unique();
        let tmp = self.binary.with_extension(&u);
        let tmp_source = self.binary.with_extension(format!("{u}.cpp"));
        fs::write(&tmp_source, source).map_err(io("writing", &tmp_source))?;
        let mut all = args.to_vec();
        all.push("-o".into());
        all.push(tmp.display().to_string());
        all.push(tmp_source.display().to_string());
        let result = compile(&all);
        let kept =
            fs::rename(&tmp_source, &self.source_path).map_err(io("renaming", &self.source_path));
        let seconds = match result {
            Ok(s) => s,
            Err(GxxError::Compile { stderr, .. }) => {
                let _ = fs::remove_file(&tmp);
                return Err(GxxError::Compile {
                    source_path: self.source_path.clone(),
                    stderr,
                });
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        kept?;
        fs::rename(&tmp, &self.binary).map_err(io("renaming", &self.binary))?;
        Ok(Some(seconds))
    }
}

/// Runs g++ with `args`; the seconds it took. A failed compile is [`GxxError::Compile`] with
/// g++'s messages (its `source_path` is the last argument).
pub fn compile(args: &[String]) -> Result<f64, GxxError> {
    let cxx = gxx();
    let start = Instant::now();
    let out = Command::new(&cxx)
        .args(args)
        .output()
        .map_err(|source| GxxError::Spawn {
            cmd: format!("{} {}", cxx.display(), args.join(" ")),
            source,
            hint: "Install g++ or set CXX to a C++14 compiler",
        })?;
    if !out.status.success() {
        return Err(GxxError::Compile {
            source_path: args.last().map(PathBuf::from).unwrap_or_default(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(start.elapsed().as_secs_f64())
}

/// Runs `exe` with `args`, `input` on its stdin (written from another thread, so a program that
/// writes before it has read everything cannot deadlock); its stdout. A non-zero exit is
/// [`GxxError::Run`] with its stderr.
pub fn run(exe: &Path, args: &[&str], input: Vec<u8>) -> Result<Vec<u8>, GxxError> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| GxxError::Spawn {
            cmd: exe.display().to_string(),
            source,
            hint: "The program was just compiled; is its folder writable and executable?",
        })?;
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        match stdin {
            Some(mut s) => s.write_all(&input),
            None => Ok(()),
        }
    });
    let out = child.wait_with_output().map_err(io("running", exe))?;
    let written = writer.join();
    if !out.status.success() {
        return Err(GxxError::Run {
            program: exe.to_path_buf(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    match written {
        Ok(Ok(())) => Ok(out.stdout),
        Ok(Err(e)) => Err(io("feeding", exe)(e)),
        Err(_) => Err(GxxError::Io {
            what: "feeding",
            path: exe.to_path_buf(),
            source: std::io::Error::other("the stdin writer panicked"),
        }),
    }
}
