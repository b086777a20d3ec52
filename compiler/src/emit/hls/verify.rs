//! `binpoint verify`: the emitted C++ against the interpreter, bit for bit.
//!
//! 1. `OUT/model.bpm` is loaded; `OUT/firmware/` and `OUT/tb/tb.cpp` are emitted when missing
//!    (or always with `regenerate`).
//! 2. Test vectors: `vectors` random samples of raw input values (seeded: uniform over the input
//!    type's range, over a quarter of it, and the type's extreme values), plus every sample of the
//!    calibration inputs when given. The interpreter computes their raw outputs.
//! 3. The firmware and the testbench are built with g++ against the `ap_types` headers
//!    ([`super::build`], cached by content) and run on the vectors in `OUT/verify/`.
//! 4. With `trace`, the first mismatching sample runs again in a `-DBINPOINT_TRACE` build, and
//!    its per-layer raw outputs are compared with the interpreter's trace: the first layer that
//!    differs is named.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use binpoint_runtime::model::{Model, ModelError, Threads};
use binpoint_runtime::FixedType;

use super::ap_types::cache_dir;
use super::build::{build_tb, BuildError, Built};
use super::{write_firmware, write_tb, HlsError, HlsOptions};
use crate::hardware::{Hardware, Interface};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Hls(#[from] HlsError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{0}")]
    Input(String),
    #[error("the testbench {} failed to run: {reason}", exe.display())]
    Tb { exe: PathBuf, reason: String },
}

fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> VerifyError + 'a {
    move |e| VerifyError::Hls(HlsError::io(what, path, e))
}

/// The most random vectors one `verify` runs (their raw values are held in memory).
const MAX_VECTORS: usize = 10_000_000;

/// Vectors written next to the testbench in `OUT/tb/` (seed 0): few, for co-simulation.
pub const TB_VECTORS: usize = 32;

/// Raw test vectors: every graph input's values per sample (concatenated, in input order) and
/// the interpreter's raw outputs (every graph output, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vectors {
    pub samples: usize,
    pub in_words: usize,
    pub out_words: usize,
    pub inputs: Vec<i64>,
    pub expected: Vec<i64>,
}

/// SplitMix64: a small seeded generator (the vectors must not depend on a crate's version).
#[derive(Clone, Debug)]
struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i128, hi: i128) -> i128 {
        let span = (hi - lo + 1) as u128;
        let r = (u128::from(self.next_u64()) << 64 | u128::from(self.next_u64())) % span;
        lo + r as i128
    }
}

/// One random sample of `len` raw values of `ty`, of one of three kinds (by `kind % 3`): the
/// whole range, a quarter of it around zero, or the type's extremes and their neighbours.
fn random_sample(ty: FixedType, len: usize, kind: u64, rng: &mut SplitMix) -> Vec<i64> {
    let (lo, hi) = (ty.min_raw(), ty.max_raw());
    (0..len)
        .map(|_| {
            let v = match kind % 3 {
                0 => rng.range(lo, hi),
                1 => rng.range(lo / 4, hi / 4),
                _ => {
                    let picks = [lo, hi, 0, lo + 1, hi - 1, 1.min(hi), (-1).max(lo)];
                    picks[rng.range(0, picks.len() as i128 - 1) as usize]
                }
            };
            v.clamp(lo, hi) as i64
        })
        .collect()
}

impl Vectors {
    /// `n` random samples (seeded) followed by `extra` (raw samples, one `Vec` per graph input),
    /// with the interpreter's outputs.
    pub fn generate(
        model: &Model,
        n: usize,
        seed: u64,
        extra: Option<(&[Vec<i64>], usize)>,
    ) -> Result<Vectors, ModelError> {
        let mut rng = SplitMix::new(seed);
        let mut per_input: Vec<Vec<i64>> = vec![Vec::new(); model.inputs().len()];
        for s in 0..n {
            let kind = s as u64;
            for (k, &id) in model.inputs().iter().enumerate() {
                let t = &model.tensors()[id];
                per_input[k].extend(random_sample(t.ty, t.len, kind, &mut rng));
            }
        }
        let mut samples = n;
        if let Some((extra, count)) = extra {
            for (k, x) in extra.iter().enumerate() {
                per_input[k].extend_from_slice(x);
            }
            samples += count;
        }
        Vectors::from_inputs(model, &per_input, samples)
    }

    /// The vectors of raw inputs (one `Vec` per graph input, `samples` samples each).
    pub fn from_inputs(
        model: &Model,
        per_input: &[Vec<i64>],
        samples: usize,
    ) -> Result<Vectors, ModelError> {
        let views: Vec<&[i64]> = per_input.iter().map(Vec::as_slice).collect();
        let outs = model.run_raw(&views, samples, Threads::All)?;
        let lens =
            |ids: &[usize]| -> Vec<usize> { ids.iter().map(|&i| model.tensors()[i].len).collect() };
        let (in_lens, out_lens) = (lens(model.inputs()), lens(model.outputs()));
        Ok(Vectors {
            samples,
            in_words: in_lens.iter().sum(),
            out_words: out_lens.iter().sum(),
            inputs: interleave(per_input, &in_lens, samples),
            expected: interleave(&outs, &out_lens, samples),
        })
    }

    /// Sample `s`'s raw inputs, one `Vec` per graph input.
    pub fn sample(&self, model: &Model, s: usize) -> Vec<Vec<i64>> {
        let mut at = s * self.in_words;
        model
            .inputs()
            .iter()
            .map(|&id| {
                let len = model.tensors()[id].len;
                let v = self.inputs[at..at + len].to_vec();
                at += len;
                v
            })
            .collect()
    }

    /// `input_raw.txt` and `expected_raw.txt` in `dir`: one sample per line.
    pub fn write(&self, dir: &Path) -> Result<(), HlsError> {
        fs::create_dir_all(dir).map_err(|e| HlsError::io("creating", dir, e))?;
        for (name, data, words) in [
            ("input_raw.txt", &self.inputs, self.in_words),
            ("expected_raw.txt", &self.expected, self.out_words),
        ] {
            let path = dir.join(name);
            fs::write(&path, lines(data, words)).map_err(|e| HlsError::io("writing", &path, e))?;
        }
        Ok(())
    }
}

/// Per sample, the values of every tensor in order.
fn interleave(parts: &[Vec<i64>], lens: &[usize], samples: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(lens.iter().sum::<usize>() * samples);
    for s in 0..samples {
        for (p, &len) in parts.iter().zip(lens) {
            out.extend_from_slice(&p[s * len..(s + 1) * len]);
        }
    }
    out
}

fn lines(data: &[i64], words: usize) -> String {
    let mut text = String::with_capacity(data.len() * 4);
    for row in data.chunks(words.max(1)) {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            let _ = write!(text, "{v}");
        }
        text.push('\n');
    }
    text
}

/// How to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Random samples.
    pub vectors: usize,
    pub seed: u64,
    /// Name the first mismatching layer (a second, tracing build).
    pub trace: bool,
    /// Real-valued inputs (an `.npy` of the model's input values per sample) added to the
    /// vectors, quantized into the input type.
    pub calib: Option<PathBuf>,
    /// Where builds are cached (default [`cache_dir`]).
    pub cache: Option<PathBuf>,
    /// Emit `OUT/firmware` and `OUT/tb/tb.cpp` even when they exist (from the hardware plan
    /// `compile` stored, `OUT/hardware.json`).
    pub regenerate: bool,
    /// When emitting: the AXI-Stream interface instead of the plan's.
    pub stream: bool,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            vectors: 1000,
            seed: 0,
            trace: false,
            calib: None,
            cache: None,
            regenerate: false,
            stream: false,
        }
    }
}

/// The first layer whose C++ output differs from the interpreter's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerMismatch {
    pub sample: usize,
    pub index: usize,
    pub layer: String,
    pub op: String,
    pub kernel: String,
    pub element: usize,
    pub expected: i64,
    pub got: i64,
}

/// What `verify` found.
#[derive(Clone, Debug)]
pub struct VerifyReport {
    pub samples: usize,
    pub passed: u64,
    pub failed: u64,
    /// The testbench's output (mismatches and the summary).
    pub tb_output: String,
    pub build: Built,
    /// Seconds the testbench ran.
    pub tb_seconds: f64,
    /// Files emitted because they were missing (or `regenerate`).
    pub emitted: Vec<String>,
    pub first_mismatch: Option<LayerMismatch>,
    /// Why no layer was named although `trace` was asked (e.g. the trace agrees).
    pub trace_note: Option<String>,
}

/// Reads `OUT/model.bpm` (the proto and the validated model).
pub fn load(out: &Path) -> Result<Model, VerifyError> {
    let path = out.join("model.bpm");
    let bytes = fs::read(&path).map_err(io_err("reading", &path))?;
    Ok(Model::from_bytes(&bytes)?)
}

/// Calibration inputs from an `.npy` of real values, quantized into the single input's type.
pub(crate) fn calib_inputs(
    model: &Model,
    path: &Path,
) -> Result<(Vec<Vec<i64>>, usize), VerifyError> {
    let [id] = model.inputs() else {
        return Err(VerifyError::Input(format!(
            "{}: calibration inputs feed models with one input; this one has {}",
            path.display(),
            model.inputs().len()
        )));
    };
    let x = crate::quant::load_npy(path).map_err(|e| VerifyError::Input(e.to_string()))?;
    let values: Vec<f32> = x.iter().copied().collect();
    let t = &model.tensors()[*id];
    let len = t.len;
    let sample = x.shape().get(1..).unwrap_or(&[]);
    if values.is_empty() || x.ndim() < 2 || !crate::npy::same_layout(sample, &t.shape) {
        return Err(VerifyError::Input(format!(
            "{}: samples of shape {sample:?} (array {:?}) are not inputs '{}' of shape {:?} \
             ({len} values per sample, in that layout or flat)",
            path.display(),
            x.shape(),
            t.name,
            t.shape
        )));
    }
    Ok((vec![model.quantize(*id, &values)?], values.len() / len))
}

/// Runs the testbench `exe` in `cwd` on `args`: (exit code, stdout, stderr, seconds). Through
/// `sh` with the stack limit raised as far as allowed: the top function keeps each layer's output
/// as a local array (as Vitis C-simulation does), megabytes for an image network, over the
/// usual 8 MB stack (the 512×512 `separable_conv_model_ch_last` crashed without it).
fn run_tb(
    exe: &Path,
    cwd: &Path,
    args: &[PathBuf],
) -> Result<(i32, String, String, f64), VerifyError> {
    let start = Instant::now();
    let exe = exe.canonicalize().unwrap_or_else(|_| exe.to_path_buf());
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -s unlimited 2>/dev/null || ulimit -s \"$(ulimit -H -s)\" 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(&exe)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| VerifyError::Tb {
            exe: exe.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed().as_secs_f64(),
    ))
}

/// `N passed, M failed` from the testbench's last line.
fn summary(stdout: &str) -> Option<(u64, u64)> {
    let last = stdout.lines().last()?;
    let (p, rest) = last.split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some((p.trim().parse().ok()?, f.trim().parse().ok()?))
}

/// The first mismatching sample the testbench reported.
fn first_failing_sample(stdout: &str) -> Option<usize> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("mismatch: sample "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|s| s.parse().ok())
}

/// Verifies the compiled model in `out` (see the module docs).
pub fn verify(out: &Path, opts: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    if opts.vectors > MAX_VECTORS {
        return Err(VerifyError::Input(format!(
            "--vectors {}: at most {MAX_VECTORS} random vectors per run",
            opts.vectors
        )));
    }
    let model = load(out)?;
    let mut emitted = Vec::new();
    let firmware = opts.regenerate || !out.join("firmware/binpoint_top.cpp").is_file();
    let tb = opts.regenerate || !out.join("tb/tb.cpp").is_file();
    if firmware || tb {
        let mut hardware = Hardware::load(out, &model).map_err(HlsError::from)?;
        if opts.stream {
            hardware.interface = Interface::AxiStream;
        }
        let hls = HlsOptions::new(hardware);
        if firmware {
            write_firmware(&model, out, &hls)?;
            emitted.push("firmware/".to_string());
        }
        if tb {
            // With a few vectors of its own: what C/RTL co-simulation (scripts/hls.tcl) runs.
            let few = Vectors::generate(&model, TB_VECTORS, 0, None)?;
            write_tb(&model, out, &hls, Some(&few))?;
            emitted.push("tb/".to_string());
        }
    }
    let calib = match &opts.calib {
        Some(p) => Some(calib_inputs(&model, p)?),
        None => None,
    };
    let vectors = Vectors::generate(
        &model,
        opts.vectors,
        opts.seed,
        calib.as_ref().map(|(x, n)| (x.as_slice(), *n)),
    )?;
    if vectors.samples == 0 {
        return Err(VerifyError::Input(
            "no vectors to verify (--vectors 0 and no calibration inputs)".into(),
        ));
    }
    let work = out.join("verify");
    vectors.write(&work)?;
    let cache = opts.cache.clone().unwrap_or_else(cache_dir);
    let firmware = out.join("firmware");
    let tb = out.join("tb/tb.cpp");
    let build = build_tb(&firmware, &tb, &cache, false)?;
    // The testbench runs in OUT: its arguments are relative to it (OUT itself may be relative).
    let files = [
        PathBuf::from("verify/input_raw.txt"),
        PathBuf::from("verify/expected_raw.txt"),
    ];
    let (code, stdout, stderr, tb_seconds) = run_tb(&build.exe, out, &files)?;
    let Some((passed, failed)) = summary(&stdout) else {
        return Err(VerifyError::Tb {
            exe: build.exe.clone(),
            reason: format!("exit status {code}, no summary line\n{stdout}{stderr}"),
        });
    };
    if (failed == 0) != (code == 0) {
        return Err(VerifyError::Tb {
            exe: build.exe.clone(),
            reason: format!("exit status {code} with {failed} failed\n{stderr}"),
        });
    }
    let mut report = VerifyReport {
        samples: vectors.samples,
        passed,
        failed,
        tb_output: stdout.clone(),
        build,
        tb_seconds,
        emitted,
        first_mismatch: None,
        trace_note: None,
    };
    if failed > 0 && opts.trace {
        match first_failing_sample(&stdout) {
            Some(s) => match trace_layer(out, &model, &vectors, s, &cache)? {
                Ok(m) => report.first_mismatch = Some(m),
                Err(note) => report.trace_note = Some(note),
            },
            None => report.trace_note = Some("the testbench named no mismatching sample".into()),
        }
    }
    Ok(report)
}

/// Runs sample `s` through a tracing build and the interpreter's trace: the first layer whose
/// raw outputs differ (`Err`: why none could be named).
fn trace_layer(
    out: &Path,
    model: &Model,
    vectors: &Vectors,
    s: usize,
    cache: &Path,
) -> Result<Result<LayerMismatch, String>, VerifyError> {
    let inputs = vectors.sample(model, s);
    let one = Vectors::from_inputs(model, &inputs, 1)?;
    let work = out.join("verify/trace");
    one.write(&work)?;
    let build = build_tb(&out.join("firmware"), &out.join("tb/tb.cpp"), cache, true)?;
    let trace_path = work.join("trace_raw.txt");
    let args = [
        PathBuf::from("verify/trace/input_raw.txt"),
        PathBuf::from("verify/trace/expected_raw.txt"),
        PathBuf::from("verify/trace/trace_raw.txt"),
    ];
    run_tb(&build.exe, out, &args)?;
    let text = fs::read_to_string(&trace_path).map_err(io_err("reading", &trace_path))?;
    let views: Vec<&[i64]> = inputs.iter().map(Vec::as_slice).collect();
    let expected = model.trace(&views)?;
    let mut got: Vec<Vec<i64>> = vec![Vec::new(); model.layers().len()];
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (_sample, layer) = (it.next(), it.next());
        let Some(layer) = layer.and_then(|l| l.parse::<usize>().ok()) else {
            continue;
        };
        if let Some(slot) = got.get_mut(layer) {
            *slot = it.filter_map(|v| v.parse().ok()).collect();
        }
    }
    for (index, (want, have)) in expected.iter().zip(&got).enumerate() {
        if want.raw == *have {
            continue;
        }
        let element = want
            .raw
            .iter()
            .zip(have)
            .position(|(a, b)| a != b)
            .unwrap_or(want.raw.len().min(have.len()));
        let l = &model.layers()[index];
        return Ok(Ok(LayerMismatch {
            sample: s,
            index,
            layer: l.name.clone(),
            op: l.op.clone(),
            kernel: l.kernel().to_string(),
            element,
            expected: want.raw.get(element).copied().unwrap_or_default(),
            got: have.get(element).copied().unwrap_or_default(),
        }));
    }
    Ok(Err(format!(
        "sample {s}: every layer's trace agrees with the interpreter (the mismatch is in the \
         interface: reading inputs or writing outputs)"
    )))
}
