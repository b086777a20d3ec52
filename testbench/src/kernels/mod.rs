//! The twin test of the integer kernels: each Rust kernel of `runtime/src/ops/` against its C++
//! header in `hls-templates/kernels/`, compiled by g++ against Xilinx's `ap_types`.
//!
//! A [`CppCase`] is one kernel instantiation: the C++ config struct rendered from the Rust config
//! ([`render`]), the statements that read the raw inputs, call the kernel and write the raw
//! outputs, the inputs themselves, and the outputs the Rust kernel computed. [`gen`] makes random
//! cases (shapes, types, modes, data); [`run`] groups them into a few programs (g++ costs about
//! 50-300 ms per instantiation, so one program holds many), compiles them in parallel with
//! `-std=c++14 -Wall -Werror`, feeds the inputs on stdin, and compares every output raw value.

pub mod gen;
mod program;
pub mod render;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use binpoint_runtime::FixedType;

use crate::Error;

/// One kernel instantiation and its data.
#[derive(Clone, Debug)]
pub struct CppCase {
    /// The kernel (file stem), e.g. `conv2d`.
    pub op: &'static str,
    /// Shapes and types, for messages.
    pub label: String,
    /// The members of the C++ config struct (`static const int n_in = 4; typedef ... in_t;`).
    pub config: String,
    /// C++ statements run with `CFG` naming the config: read inputs (`bp_read`), call the
    /// kernel, write outputs (`bp_write`).
    pub body: String,
    /// How many times `body` runs, each time on the next inputs.
    pub runs: usize,
    /// Raw input values, in the order `body` reads them, run after run.
    pub input: Vec<i64>,
    /// The Rust kernel's raw outputs, in the order `body` writes them.
    pub expected: Vec<i64>,
    /// The output type (to read the C++ bits back).
    pub output: FixedType,
}

/// How the C++ side is built.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of programs (compiled and run in parallel).
    pub jobs: usize,
    /// g++ optimization flag.
    pub opt: String,
    /// Reuse binaries compiled earlier from the same source, headers and flags.
    pub cache: bool,
}

impl Default for Options {
    /// `BINPOINT_KERNELS_JOBS` (default: available cores, at most 4), `BINPOINT_KERNELS_OPT`
    /// (default `-O0`: these programs are compile-bound), `BINPOINT_KERNELS_NO_CACHE=1`.
    fn default() -> Self {
        let jobs = std::env::var("BINPOINT_KERNELS_JOBS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
            .max(1);
        let opt = std::env::var("BINPOINT_KERNELS_OPT").unwrap_or_else(|_| "-O0".to_string());
        let cache = std::env::var("BINPOINT_KERNELS_NO_CACHE").map_or(true, |v| v != "1");
        Options { jobs, opt, cache }
    }
}

/// One output value where the twins disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub case: usize,
    pub label: String,
    pub index: usize,
    pub rust: i64,
    pub cpp: i64,
}

/// What a run compared.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Cases and compared output values per op.
    pub per_op: BTreeMap<&'static str, (usize, usize)>,
    pub mismatches: Vec<Mismatch>,
    pub programs: usize,
    pub cached: usize,
    pub compile: Duration,
    pub run: Duration,
}

impl Report {
    pub fn cases(&self) -> usize {
        self.per_op.values().map(|v| v.0).sum()
    }

    pub fn values(&self) -> usize {
        self.per_op.values().map(|v| v.1).sum()
    }

    /// A few lines: totals, times, per-op counts.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "kernel twins: {} cases, {} output values, {} mismatches; {} programs \
             ({} cached), compile {:.1} s, run {:.2} s\n",
            self.cases(),
            self.values(),
            self.mismatches.len(),
            self.programs,
            self.cached,
            self.compile.as_secs_f64(),
            self.run.as_secs_f64()
        );
        for (op, (cases, values)) in &self.per_op {
            let _ = writeln!(s, "  {op:<20} {cases:>4} cases {values:>7} values");
        }
        s
    }

    /// The first `limit` mismatches, one per line.
    pub fn mismatch_text(&self, limit: usize) -> String {
        let mut s = String::new();
        for m in self.mismatches.iter().take(limit) {
            let _ = writeln!(
                s,
                "case {} [{}] output {}: rust {} c++ {}",
                m.case, m.label, m.index, m.rust, m.cpp
            );
        }
        s
    }
}

/// Compiles and runs every case, compares every output.
pub fn run(cases: &[CppCase], options: &Options) -> Result<Report, Error> {
    let (outputs, timing) = program::run_all(cases, options)?;
    let mut report = Report {
        programs: timing.programs,
        cached: timing.cached,
        compile: timing.compile,
        run: timing.run,
        ..Report::default()
    };
    for (k, (case, got)) in cases.iter().zip(outputs).enumerate() {
        let entry = report.per_op.entry(case.op).or_default();
        entry.0 += 1;
        entry.1 += case.expected.len();
        for (index, (&rust, &cpp)) in case.expected.iter().zip(&got).enumerate() {
            if rust != cpp {
                report.mismatches.push(Mismatch {
                    case: k,
                    label: case.label.clone(),
                    index,
                    rust,
                    cpp,
                });
            }
        }
    }
    Ok(report)
}
