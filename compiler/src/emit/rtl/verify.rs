//! `binpoint verify OUT --rtl`: the RTL in `OUT/rtl/` against the interpreter, bit for bit, and
//! its latency against the one `OUT/rtl/rtl.json` states.
//!
//! 1. `OUT/model.bpm` is loaded; `OUT/rtl/` is emitted when missing (or with `regenerate`).
//! 2. `verilator --lint-only -Wall` must print nothing.
//! 3. Vectors: edge samples (every input at the type's minimum, 0, +1 LSB, -1 LSB, maximum), then
//!    the random vectors and the calibration samples of `binpoint verify` (the same generator and
//!    seed), with the interpreter's raw outputs, written to `OUT/verify/rtl/`.
//! 4. The RTL is built with Verilator and a generated C++ harness ([`harness`], cached by
//!    content). The harness streams one sample per cycle with a bubble every 13th cycle, checks
//!    that sample `s`'s `out_valid` comes exactly `latency` cycles after its `in_valid`, compares
//!    every output's raw bits and ends with `N passed, M failed`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use binpoint_runtime::model::Model;

use super::verilator::{build, lint, Built};
use super::{read_info, write_rtl_with, Port, RtlError, DIR, TOP};
use crate::emit::hls::ap_types::cache_dir;
use crate::emit::hls::verify::{calib_inputs, load, Vectors, VerifyError, VerifyOptions};

/// Why `verify --rtl` could not run.
#[derive(Debug, thiserror::Error)]
pub enum RtlVerifyError {
    #[error(transparent)]
    Rtl(#[from] RtlError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("the RTL simulator {} failed: {reason}", exe.display())]
    Sim { exe: PathBuf, reason: String },
}

/// What `verify --rtl` found.
#[derive(Clone, Debug)]
pub struct RtlVerifyReport {
    pub samples: usize,
    pub passed: u64,
    pub failed: u64,
    /// The latency `OUT/rtl/rtl.json` states, and the one measured on every sample.
    pub latency_stated: u32,
    pub latency_measured: Option<u32>,
    /// The simulator's output (mismatches, latency, summary).
    pub output: String,
    pub build: Built,
    pub sim_seconds: f64,
    pub emitted: bool,
}

/// One sample per edge case: every input value at the type's minimum, 0, +1 LSB, -1 LSB and
/// maximum (clamped into the type).
fn edges(model: &Model) -> Result<Vectors, VerifyError> {
    let picks = |lo: i128, hi: i128| [lo, 0, 1.min(hi), (-1).max(lo), hi];
    let mut per_input = Vec::new();
    for &id in model.inputs() {
        let t = &model.tensors()[id];
        let mut v = Vec::new();
        for x in picks(t.ty.min_raw(), t.ty.max_raw()) {
            v.extend(std::iter::repeat_n(x as i64, t.len));
        }
        per_input.push(v);
    }
    Ok(Vectors::from_inputs(model, &per_input, 5)?)
}

/// Verifies `OUT/rtl/` (see the module docs). Uses `opts.vectors`, `seed`, `calib`, `cache` and
/// `regenerate`.
pub fn verify_rtl(out: &Path, opts: &VerifyOptions) -> Result<RtlVerifyReport, RtlVerifyError> {
    let model = load(out)?;
    let dir = out.join(DIR);
    let emitted = opts.regenerate || !dir.join(format!("{TOP}.v")).is_file();
    if emitted {
        // The options the folder was built with, when it was.
        let opts = read_info(out).map(|i| i.options).unwrap_or_default();
        write_rtl_with(&model, out, &opts)?;
    }
    let info = read_info(out)?;
    let rtl = super::emit_with(&model, &info.options)?;
    lint(&dir)?;
    let calib = match &opts.calib {
        Some(p) => Some(calib_inputs(&model, p)?),
        None => None,
    };
    let random = Vectors::generate(
        &model,
        opts.vectors,
        opts.seed,
        calib.as_ref().map(|(x, n)| (x.as_slice(), *n)),
    )
    .map_err(VerifyError::from)?;
    let mut vectors = edges(&model)?;
    vectors.samples += random.samples;
    vectors.inputs.extend(random.inputs);
    vectors.expected.extend(random.expected);
    let work = out.join("verify").join("rtl");
    vectors.write(&work).map_err(VerifyError::from)?;
    let cache = opts.cache.clone().unwrap_or_else(cache_dir);
    let build = build(
        &dir,
        &harness(&rtl.inputs, &rtl.outputs, info.latency_cycles),
        &cache,
    )?;
    let start = Instant::now();
    let run = Command::new(&build.exe)
        .arg(work.join("input_raw.txt"))
        .arg(work.join("expected_raw.txt"))
        .output()
        .map_err(|e| RtlVerifyError::Sim {
            exe: build.exe.clone(),
            reason: e.to_string(),
        })?;
    let sim_seconds = start.elapsed().as_secs_f64();
    let output = String::from_utf8_lossy(&run.stdout).into_owned();
    let sim_err = |reason: String| RtlVerifyError::Sim {
        exe: build.exe.clone(),
        reason,
    };
    let summary = output.lines().last().and_then(|l| {
        let (p, rest) = l.split_once(" passed, ")?;
        Some((
            p.trim().parse::<u64>().ok()?,
            rest.strip_suffix(" failed")?.trim().parse::<u64>().ok()?,
        ))
    });
    let Some((passed, failed)) = summary else {
        return Err(sim_err(format!(
            "exit status {:?}, no summary line\n{output}{}",
            run.status.code(),
            String::from_utf8_lossy(&run.stderr)
        )));
    };
    if (failed == 0) != run.status.success() {
        return Err(sim_err(format!(
            "exit status {:?} with {failed} failed",
            run.status.code()
        )));
    }
    let latency_measured = output
        .lines()
        .find_map(|l| l.strip_prefix("latency: "))
        .and_then(|l| l.strip_suffix(" cycles"))
        .and_then(|l| l.trim().parse().ok());
    Ok(RtlVerifyReport {
        samples: vectors.samples,
        passed,
        failed,
        latency_stated: info.latency_cycles,
        latency_measured,
        output,
        build,
        sim_seconds,
        emitted,
    })
}

fn mask(width: u32) -> String {
    if width >= 64 {
        "~0ull".into()
    } else {
        format!("0x{:x}ull", (1u64 << width) - 1)
    }
}

/// The C++ harness for a top with these ports and latency (see the module docs).
pub fn harness(inputs: &[Port], outputs: &[Port], latency: u32) -> String {
    let mut set = String::new();
    for (i, p) in inputs.iter().enumerate() {
        let _ = writeln!(
            set,
            "  t->{} = static_cast<uint64_t>(v[{i}]) & {};",
            p.name,
            mask(p.width)
        );
    }
    let mut get = String::new();
    for (i, p) in outputs.iter().enumerate() {
        let _ = writeln!(
            get,
            "  v[{i}] = value(static_cast<uint64_t>(t->{}), {}, {});",
            p.name, p.width, p.signed
        );
    }
    HARNESS
        .replace("@TOP@", TOP)
        .replace("@IN_WORDS@", &inputs.len().to_string())
        .replace("@OUT_WORDS@", &outputs.len().to_string())
        .replace("@LATENCY@", &latency.to_string())
        .replace("@SET@", &set)
        .replace("@GET@", &get)
}

const HARNESS: &str = r#"// Generated by binpoint: streams raw vectors through the RTL and compares raw outputs.
#include "V@TOP@.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

static const int IN_WORDS = @IN_WORDS@;
static const int OUT_WORDS = @OUT_WORDS@;
static const long LATENCY = @LATENCY@;

static int64_t value(uint64_t bits, int width, bool is_signed) {
  if (width < 64) {
    bits &= (1ull << width) - 1;
    if (is_signed && (bits >> (width - 1)) & 1) bits |= ~((1ull << width) - 1);
  }
  return static_cast<int64_t>(bits);
}

static void set_inputs(V@TOP@ *t, const int64_t *v) {
@SET@}

static void get_outputs(const V@TOP@ *t, int64_t *v) {
@GET@}

static bool read_rows(const char *path, int words, std::vector<int64_t> &out) {
  std::ifstream f(path);
  if (!f) return false;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::istringstream s(line);
    for (int i = 0; i < words; i++) {
      long long x;
      if (!(s >> x)) return false;
      out.push_back(static_cast<int64_t>(x));
    }
  }
  return true;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s input_raw.txt expected_raw.txt\n", argv[0]);
    return 2;
  }
  std::vector<int64_t> in, expected;
  if (!read_rows(argv[1], IN_WORDS, in) || !read_rows(argv[2], OUT_WORDS, expected)) {
    std::fprintf(stderr, "cannot read the vectors\n");
    return 2;
  }
  const long n = static_cast<long>(in.size() / IN_WORDS);
  if (static_cast<long>(expected.size() / OUT_WORDS) != n) {
    std::fprintf(stderr, "%ld input samples, %ld expected\n", n, static_cast<long>(expected.size() / OUT_WORDS));
    return 2;
  }
  VerilatedContext ctx;
  V@TOP@ *t = new V@TOP@(&ctx);
  t->clk = 0;
  t->rst = 1;
  t->in_valid = 0;
  for (int i = 0; i < 2; i++) {
    t->clk = 0; t->eval();
    t->clk = 1; t->eval();
  }
  t->rst = 0;
  std::vector<long> issued(static_cast<size_t>(n), -1);
  std::vector<int64_t> got(OUT_WORDS);
  long next = 0, done = 0, failed = 0, shown = 0, lat_min = -1, lat_max = -1;
  const long limit = n + n / 12 + LATENCY + 16;
  for (long cycle = 0; cycle < limit && done < n; cycle++) {
    const bool bubble = cycle % 13 == 12;
    t->clk = 0;
    if (next < n && !bubble) {
      set_inputs(t, &in[static_cast<size_t>(next * IN_WORDS)]);
      t->in_valid = 1;
      issued[static_cast<size_t>(next)] = cycle;
      next++;
    } else {
      t->in_valid = 0;
    }
    t->eval();
    t->clk = 1;
    t->eval();
    if (t->out_valid) {
      const long s = done++;
      const long lat = cycle + 1 - issued[static_cast<size_t>(s)];
      if (lat_min < 0 || lat < lat_min) lat_min = lat;
      if (lat > lat_max) lat_max = lat;
      get_outputs(t, got.data());
      bool ok = lat == LATENCY;
      if (!ok && shown < 10) {
        std::printf("mismatch: sample %ld latency %ld cycles, expected %ld\n", s, lat, LATENCY);
        shown++;
      }
      for (int k = 0; k < OUT_WORDS; k++) {
        const int64_t e = expected[static_cast<size_t>(s * OUT_WORDS + k)];
        if (got[static_cast<size_t>(k)] != e) {
          if (shown < 10) {
            std::printf("mismatch: sample %ld output %d: expected %lld, got %lld\n", s, k,
                        static_cast<long long>(e), static_cast<long long>(got[static_cast<size_t>(k)]));
            shown++;
          }
          ok = false;
        }
      }
      if (!ok) failed++;
    }
  }
  t->final();
  delete t;
  failed += n - done;
  if (lat_min == lat_max && lat_min >= 0) {
    std::printf("latency: %ld cycles\n", lat_min);
  } else {
    std::printf("latency: between %ld and %ld cycles\n", lat_min, lat_max);
  }
  std::printf("%ld passed, %ld failed\n", n - failed, failed);
  return failed == 0 ? 0 : 1;
}
"#;
