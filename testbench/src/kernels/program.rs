//! Cases → C++ programs → g++ → run → raw outputs.
//!
//! Each program: `prelude.h` (which includes every kernel header), then per case a config
//! struct `cfg_K` and a function `case_K()` that starts with `typedef cfg_K CFG;`, then `main()`
//! calling them in order. Binaries are cached in `<target>/kernel-twins/` under a hash of the
//! source, the kernel headers' contents, the flags, the compiler and the header folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use std::{fs, thread};

use binpoint::emit::hls::gxx::{self, Fnv};
use binpoint_runtime::Fixed;

use super::{CppCase, Options};
use crate::ap_types::{ap_types_include, gxx_version, target_dir, workspace_root};
use crate::Error;

const PRELUDE: &str = include_str!("prelude.h");
const SYNC: u64 = 0x6b65_726e_0000_0000;

pub(super) struct Timing {
    pub programs: usize,
    pub cached: usize,
    pub compile: Duration,
    pub run: Duration,
}

/// The kernel headers' folder.
pub fn kernels_dir() -> PathBuf {
    workspace_root().join("hls-templates").join("kernels")
}

/// Raw outputs per case, in the cases' order.
pub(super) fn run_all(
    cases: &[CppCase],
    options: &Options,
) -> Result<(Vec<Vec<i64>>, Timing), Error> {
    let include = ap_types_include()?;
    let kernels = kernels_dir();
    let version = gxx_version()?;
    let args: Vec<String> = [
        "-std=c++14",
        "-Wall",
        "-Werror",
        // The header asserts on a harmless out-of-range get_bit in some casts.
        "-DNDEBUG",
        &options.opt,
        "-isystem",
        &include.display().to_string(),
        "-I",
        &kernels.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let headers = header_digest(&kernels)?;

    // Round-robin by cost (instantiation weight), each program keeping its cases in order.
    let jobs = options.jobs.clamp(1, cases.len().max(1));
    let mut members = vec![Vec::new(); jobs];
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&cases[i])));
    let mut load = vec![0u32; jobs];
    for i in order {
        let j = (0..jobs).min_by_key(|&j| load[j]).unwrap_or(0);
        load[j] += cost(&cases[i]);
        members[j].push(i);
    }
    members.retain(|m| !m.is_empty());
    for m in &mut members {
        m.sort_unstable();
    }

    let dir = target_dir().join("kernel-twins");
    fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let key_parts = [version.as_str(), headers.as_str()];
    let programs: Vec<Program> = members
        .into_iter()
        .map(|m| Program::new(cases, m, &dir, &args, &key_parts))
        .collect();

    let start = Instant::now();
    let compiled = thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .map(|p| s.spawn(|| p.build(options.cache, &args)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Output("compiler thread panicked".into())))
            })
            .collect::<Result<Vec<bool>, Error>>()
    })?;
    let compile = start.elapsed();

    let start = Instant::now();
    let outputs = thread::scope(|s| {
        let handles: Vec<_> = programs.iter().map(|p| s.spawn(|| p.run(cases))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Output("runner thread panicked".into())))
            })
            .collect::<Result<Vec<_>, Error>>()
    })?;
    let run = start.elapsed();

    let mut per_case: Vec<Option<Vec<i64>>> = vec![None; cases.len()];
    for (program, out) in programs.iter().zip(outputs) {
        for (&i, values) in program.members.iter().zip(out) {
            per_case[i] = Some(values);
        }
    }
    let per_case = per_case
        .into_iter()
        .map(|v| v.ok_or_else(|| Error::Output("a case got no output".into())))
        .collect::<Result<Vec<_>, _>>()?;
    let cached = compiled.iter().filter(|&&c| !c).count();
    Ok((
        per_case,
        Timing {
            programs: programs.len(),
            cached,
            compile,
            run,
        },
    ))
}

/// Relative compile cost of a case (an instantiation of a looping kernel costs more).
fn cost(case: &CppCase) -> u32 {
    match case.op {
        "conv2d" | "conv1d" | "average_pool" | "max_pool" => 3,
        "dense" | "hard_swish" | "hard_sigmoid" | "global_average_pool" => 2,
        _ => 1,
    }
}

/// The contents of every kernel header, so that a changed header rebuilds cached programs.
fn header_digest(dir: &Path) -> Result<String, Error> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::io("listing", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "h"))
        .collect();
    names.sort();
    let mut hash = Fnv::default();
    for name in names {
        let text = fs::read(&name).map_err(|e| Error::io("reading", &name, e))?;
        hash.write(name.to_string_lossy().as_bytes());
        hash.write(&text);
    }
    Ok(format!("{:016x}", hash.finish()))
}

struct Program {
    members: Vec<usize>,
    source: String,
    exe: gxx::Program,
}

impl Program {
    fn new(
        cases: &[CppCase],
        members: Vec<usize>,
        dir: &Path,
        args: &[String],
        key_parts: &[&str],
    ) -> Program {
        let mut source = String::from(PRELUDE);
        for (k, &i) in members.iter().enumerate() {
            let case = &cases[i];
            let _ = write!(
                source,
                "\n// {}\nstruct cfg_{k} {{\n{}}};\nstatic void case_{k}() {{\n  typedef cfg_{k} CFG;\n  bp_sync({k});\n  for (int run = 0; run < {}; run++) {{\n{}  }}\n}}\n",
                case.label.replace('\n', " "),
                case.config,
                case.runs,
                case.body
            );
        }
        source.push_str("\nint main() {\n");
        for k in 0..members.len() {
            let _ = writeln!(source, "  case_{k}();");
        }
        source.push_str("  return fflush(stdout) == 0 ? 0 : 4;\n}\n");
        let exe = gxx::Program::new(dir, "twins", &source, args, key_parts);
        Program {
            members,
            source,
            exe,
        }
    }

    /// Compiles unless cached; true when it compiled.
    fn build(&self, cache: bool, args: &[String]) -> Result<bool, Error> {
        Ok(self.exe.build(&self.source, args, cache)?.is_some())
    }

    fn run(&self, cases: &[CppCase]) -> Result<Vec<Vec<i64>>, Error> {
        let input: Vec<u8> = self
            .members
            .iter()
            .flat_map(|&i| cases[i].input.iter())
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let stdout = gxx::run(&self.exe.binary, &[], input)?;
        self.parse(cases, &stdout)
    }

    fn parse(&self, cases: &[CppCase], stdout: &[u8]) -> Result<Vec<Vec<i64>>, Error> {
        let mut words = stdout
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        if !stdout.len().is_multiple_of(8) {
            return Err(Error::Output(format!(
                "{} bytes of output, not whole words",
                stdout.len()
            )));
        }
        let mut out = Vec::with_capacity(self.members.len());
        for (k, &i) in self.members.iter().enumerate() {
            let case = &cases[i];
            let sync = words.next();
            if sync != Some(SYNC | k as u64) {
                return Err(Error::Output(format!(
                    "case {i} ({}): sync word {sync:x?}, expected {:#x}",
                    case.label,
                    SYNC | k as u64
                )));
            }
            let mut values = Vec::with_capacity(case.expected.len());
            for _ in 0..case.expected.len() {
                let bits = words.next().ok_or_else(|| {
                    Error::Output(format!("case {i} ({}): output ended early", case.label))
                })?;
                values.push(Fixed::from_bits(u128::from(bits), case.output).raw() as i64);
            }
            out.push(values);
        }
        if words.next().is_some() {
            return Err(Error::Output("trailing output words".into()));
        }
        Ok(out)
    }
}
