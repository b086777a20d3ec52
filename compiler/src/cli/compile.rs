//! `binpoint compile MODEL -o OUT [--calib X.npy] [--labels L.npy] [--bits W | --config F]
//! [--input-range LO,HI] [--percentile P] [--khot K] [--keep-batch-norm] [--board B] [--clock NS]
//! [--reuse R | --reuse LAYER=R ...] [--stream] [--low-rank SPEC] [--force]`: the float model, typed and lowered into a compiled
//! model the interpreter runs (docs/compiled-model.md), folded to fit the board, and everything
//! the hardware flow needs.
//!
//! Writes into OUT ([`write_out`], [`OUT_FILES`]): `model.bpm` (the compiled model), `model.onnx`
//! (a copy of MODEL, so that `eval` can re-run the float model), `report.txt` and `report.json`
//! (types, accuracy, the resource and latency estimate), `sim/` (the standalone simulator crate),
//! `firmware/` (the HLS C++), `tb/` (its testbench with co-simulation vectors) and `scripts/` (Vitis
//! HLS and Vivado tcl, the PYNQ driver). One folding (reuse factor per MAC layer) is chosen
//! ([`Hardware::plan`]) and used by the firmware's pragmas and the estimate alike. A non-empty OUT
//! is refused without `--force`; with it, these files are replaced and anything else in OUT is left
//! alone. Nothing depends on time or on where the files live: compiling twice gives the same bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use binpoint::board::Board;
use binpoint::emit::hls::{HlsOptions, Interface, ReusePolicy};
use binpoint::emit::scripts::{Interface as ScriptInterface, ScriptOptions};
use binpoint::estimate::{choose_reuse, estimate_with, Estimate, Folding};
use binpoint::lower::{lower, LowerOptions};
use binpoint::passes::low_rank::{self, tolerance::Labelled, LowRankSpec};
use binpoint::passes::CleanupOptions;
use binpoint::quant::{
    calibrate, count_saturations, fit_input, load_npy, propagation_range, type_graph,
    PrecisionConfig, RangeSource,
};
use binpoint::{eval, report, Graph};
use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::{Model, Threads};
use clap::Args;
use ndarray::ArrayD;

use super::UsageError;

pub const EXAMPLES: &str = "\
Examples:
  binpoint compile model.onnx -o out --bits 16
  binpoint compile model.onnx -o out --bits 8 --calib train_x.npy --labels train_y.npy
  binpoint compile model.onnx -o out --config precision.toml --calib train_x.npy --percentile 99.99
  binpoint compile model.onnx -o out --bits 12 --input-range 0,1 --force
  binpoint compile model.onnx -o out --bits 16 --calib train_x.npy --board zcu104 --clock 4
  binpoint compile model.onnx -o out --bits 8 --reuse 4 --reuse /fc/Gemm=1

Without --calib, integer bits come from range propagation over --input-range (default: the
config's [calibration] input_range, else [-1, 1]), so no value can overflow. With --calib, from the
ranges seen on those inputs (max-abs, or --percentile). X.npy may be [N, features] when the model
takes [N, C, H, W] with as many values per sample. --labels (class indices, with --calib as their
inputs) adds float and fixed accuracy to report.json.

The reuse factor of each multiply-accumulate layer (II of its output loop; multipliers =
ceil(fan_in / R)) is by default the most parallel folding that fits --board within 80% of every
resource; --reuse R sets every such layer, --reuse LAYER=R one of them (repeatable, after R). The
firmware's pragmas and the estimate in report.txt/report.json use the same folding; a design that
does not fit is reported as a warning. --stream gives the top function AXI-Stream data ports (and
the block design an AXI DMA) instead of m_axi.

Files written: OUT/model.bpm, OUT/model.onnx, OUT/report.txt, OUT/report.json, OUT/sim/ (the model
as a standalone Rust crate, docs/emit-sim.md), OUT/firmware/ (HLS C++), OUT/tb/ (testbench and 32
co-simulation vectors) and OUT/scripts/ (hls.tcl, vivado.tcl, driver.py, run_vectors.py;
docs/board-flow.md). Then: binpoint verify OUT.";

/// The files and folders `compile` writes into OUT.
pub const OUT_FILES: [&str; 8] = [
    "model.bpm",
    "model.onnx",
    "report.txt",
    "report.json",
    "sim/",
    "firmware/",
    "tb/",
    "scripts/",
];

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The trained ONNX model
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// Output folder (created if missing; must be empty unless --force)
    #[arg(short, long, value_name = "OUT")]
    out: PathBuf,

    /// Calibration inputs (.npy, float32/float64): integer bits from the ranges seen on them
    #[arg(long, value_name = "X.npy")]
    calib: Option<PathBuf>,

    /// Labels of the calibration inputs (.npy of class indices): report float and fixed accuracy
    #[arg(long, value_name = "L.npy", requires = "calib")]
    labels: Option<PathBuf>,

    /// Word length of every tensor (the config `[default] bits = W`); default 16
    #[arg(long, value_name = "W", conflicts_with = "config")]
    bits: Option<u32>,

    /// Precision config (TOML, see docs/precision.md)
    #[arg(long, value_name = "F")]
    config: Option<PathBuf>,

    /// Input range for range propagation without --calib, e.g. 0,1 (default: the config's
    /// [calibration] input_range, else -1,1)
    #[arg(
        long,
        value_name = "LO,HI",
        value_parser = parse_range,
        allow_hyphen_values = true,
        conflicts_with = "calib"
    )]
    input_range: Option<(f64, f64)>,

    /// Calibrate to this percentile of |x| (0 < P <= 100) instead of the largest magnitude
    #[arg(long, value_name = "P", requires = "calib")]
    percentile: Option<f64>,

    /// K-hot weights: at most K non-zero signed power-of-two digits per Conv/Dense weight, products
    /// as shifts and adds, no multiplier (the config's `[default] khot = K`)
    #[arg(long, value_name = "K")]
    khot: Option<u32>,

    /// Keep BatchNorm as its own fixed-point affine layer instead of folding it into the conv
    #[arg(long)]
    keep_batch_norm: bool,

    /// Target board (budget, part, block design): ultra96v2, zcu104, pynq-z2
    #[arg(long, value_name = "NAME", default_value = Board::DEFAULT)]
    board: String,

    /// HLS clock period in ns (default: the board's, 5 ns on the Ultra96-V2)
    #[arg(long, value_name = "NS")]
    clock: Option<f64>,

    /// Reuse factor of every multiply-accumulate layer (R), or of one layer (LAYER=R); repeatable.
    /// Default: the most parallel folding that fits the board
    #[arg(long, value_name = "R|LAYER=R", value_parser = parse_reuse)]
    reuse: Vec<ReuseArg>,

    /// AXI-Stream data ports (an AXI DMA in the block design) instead of m_axi
    #[arg(long)]
    stream: bool,

    /// Factorize Dense/Conv layers by truncated SVD before typing: energy=E, rank=R, macs=B
    /// (MAC budget, fraction of the model's) or tolerance=T (accuracy points; needs --labels).
    /// See docs/low-rank.md
    #[arg(long, value_name = "SPEC", value_parser = parse_low_rank)]
    low_rank: Option<Box<LowRankSpec>>,

    /// Write into a non-empty OUT (replacing the files compile writes; others are left alone)
    #[arg(long)]
    force: bool,

    /// Threads for the accuracy run (0: all cores)
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,

    #[command(flatten)]
    learn: super::learn_args::LearnArgs,
}

/// One `--reuse`: every MAC layer, or the layer of that name.
#[derive(Clone, Debug)]
enum ReuseArg {
    All(u64),
    Layer(String, u64),
}

fn parse_reuse(s: &str) -> Result<ReuseArg, String> {
    let factor = |t: &str| match t.trim().parse::<u64>() {
        Ok(r) if r >= 1 => Ok(r),
        _ => Err(format!("'{t}': a reuse factor is a whole number >= 1")),
    };
    match s.rsplit_once('=') {
        Some((name, r)) if !name.is_empty() => Ok(ReuseArg::Layer(name.to_string(), factor(r)?)),
        Some(_) => Err(format!("'{s}': expected R or LAYER=R")),
        None => Ok(ReuseArg::All(factor(s)?)),
    }
}

fn parse_range(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once(',')
        .ok_or_else(|| format!("'{s}': expected LO,HI (e.g. 0,1)"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|_| format!("'{t}' is not a number"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(format!("'{s}': need finite LO <= HI"));
    }
    Ok((lo, hi))
}

/// Boxed: keeps `CompileArgs` small (clippy's `large_enum_variant` on the subcommand enum).
fn parse_low_rank(s: &str) -> Result<Box<LowRankSpec>, String> {
    s.parse().map(Box::new)
}

pub fn run(args: CompileArgs) -> anyhow::Result<ExitCode> {
    check_out(&args.out, args.force)?;
    let target = Target::from_args(&args)?;
    let mut cfg = match (&args.config, args.bits) {
        (Some(f), _) => PrecisionConfig::from_file(f)?,
        (None, bits) => PrecisionConfig::uniform(bits.unwrap_or(16))?,
    };
    if let Some(p) = args.percentile {
        if !(p > 0.0 && p <= 100.0) {
            return Err(UsageError(format!("--percentile must be in (0, 100], got {p}")).into());
        }
        cfg.calibration.percentile = Some(p);
        cfg.calibration.method = None;
    }
    if let Some(k) = args.khot {
        cfg.set_default_khot(k)?;
    }
    let opts = CleanupOptions {
        keep_batch_norm: args.keep_batch_norm,
    };
    let low_rank_spec = args.low_rank.as_deref().copied();
    if let (Some(spec @ LowRankSpec::Tolerance(_)), None) = (low_rank_spec, &args.labels) {
        return Err(UsageError(format!(
            "--low-rank {spec} measures accuracy: it needs --calib X.npy and --labels L.npy"
        ))
        .into());
    }
    let mut g = binpoint::load_float_graph(&args.model, &opts)?;
    let calib = match &args.calib {
        Some(path) => Some(calibration_input(&g, path)?),
        None => None,
    };
    // The original float model stays the float reference of the accuracy report, as for `eval`.
    let float_reference = g.clone();
    let labels = match (&args.labels, low_rank_spec) {
        (Some(l), Some(LowRankSpec::Tolerance(_))) => Some(read_labels(l)?),
        _ => None,
    };
    let data = calib
        .as_ref()
        .zip(labels.as_deref())
        .map(|(x, labels)| Labelled {
            x,
            labels,
            threads: Threads::from_count(args.threads),
        });
    let (decomposed, search) = low_rank::for_compile(&mut g, low_rank_spec, &cfg, data.as_ref())?;
    // K-hot layers' weights projected first, so that calibration sees the K-hot model.
    let gk = binpoint::quant::khot::project_weights(&g, &cfg)?;
    let typed = match &calib {
        Some(x) => {
            let cal = calibrate(&gk, std::slice::from_ref(x), cfg.calibration.method())?;
            type_graph(&gk, &cfg, RangeSource::Calibrated(&cal))?
        }
        None => {
            let range = propagation_range(args.input_range, &cfg, &[]);
            type_graph(&gk, &cfg, RangeSource::Propagated(vec![range]))?
        }
    };
    let learned = args
        .learn
        .run(&g, &cfg, &typed, calib.as_ref(), args.labels.as_deref())?;
    let typed = learned.as_ref().map_or(typed, |l| l.typed.clone());
    let saturations = match &calib {
        Some(x) => Some(count_saturations(&typed, std::slice::from_ref(x))?),
        None => None,
    };
    let lowered = lower(
        &typed,
        &LowerOptions {
            source: file_name(&args.model),
            float_model: "model.onnx".into(),
        },
    )?;
    let bytes = lowered.proto.to_bytes();

    let mut warnings = Vec::new();
    let model = match Model::from_bytes(&bytes) {
        Ok(m) => Some(m),
        Err(e) => {
            warnings.push(format!("the interpreter cannot run this model yet: {e}"));
            None
        }
    };
    let accuracy = match (&args.labels, &calib, &model) {
        (Some(labels), Some(x), Some(model)) => Some(measure(
            &float_reference,
            model,
            x,
            &args.calib.clone().unwrap_or_default(),
            labels,
            Threads::from_count(args.threads),
        )?),
        (Some(_), _, None) => {
            warnings.push("accuracy not measured: the interpreter cannot run this model".into());
            None
        }
        _ => None,
    };
    let mut report = report::build(&typed, &lowered, saturations.as_deref(), accuracy, warnings);
    let hw = target.plan(&lowered.proto)?;
    report.set_estimate(&hw.estimate, target.board, &hw.folding, &hw.folding_note);
    if let Some(h) = report.hardware.as_mut() {
        h.data_ports = if hw.stream { "axi-stream" } else { "m_axi" }.into();
    }
    report.learning = learned.map(|l| l.report);
    report.low_rank.low_rank = decomposed;
    report.low_rank.low_rank_search = search;

    write_out(
        &args.out,
        &Out {
            model_bytes: &bytes,
            onnx: &args.model,
            report: &report,
            proto: &lowered.proto,
            hw: &hw,
        },
    )?;

    let t = &report.totals;
    println!(
        "{}: {} layers, {} params, {} MACs per sample ({}; {})",
        args.out.join("model.bpm").display(),
        t.layers,
        t.params,
        t.macs,
        typed.config,
        typed.ranges
    );
    println!("{}", hw.summary());
    if let Some(a) = &report.accuracy {
        print!("{}", a.lines());
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `--board`, `--clock` and `--reuse`, checked before anything slow runs.
struct Target {
    board: &'static Board,
    clock_ns: f64,
    reuse: Vec<ReuseArg>,
    stream: bool,
}

/// The hardware of one compile: the folding and its estimate. The firmware, the scripts and the
/// report all read these.
struct Hardware {
    board: &'static Board,
    clock_ns: f64,
    stream: bool,
    folding: Folding,
    /// How the folding was chosen, in words (report.json `hardware.folding`).
    folding_note: String,
    estimate: Estimate,
}

impl Target {
    fn from_args(args: &CompileArgs) -> anyhow::Result<Target> {
        let board = Board::lookup(&args.board).map_err(|e| UsageError(format!("--board: {e}")))?;
        let clock_ns = args.clock.unwrap_or(board.default_clock_ns);
        if !(clock_ns.is_finite() && (1.0..=1000.0).contains(&clock_ns)) {
            return Err(UsageError(format!(
                "--clock {clock_ns}: the HLS clock period is 1 to 1000 ns (5 = 200 MHz)"
            ))
            .into());
        }
        Ok(Target {
            board,
            clock_ns,
            reuse: args.reuse.clone(),
            stream: args.stream,
        })
    }

    /// The folding (the chooser's, then the `--reuse` overrides in order) and its estimate.
    fn plan(&self, proto: &ModelProto) -> anyhow::Result<Hardware> {
        let mut folding = choose_reuse(proto, self.board)?;
        let mac_layers = folding.reuse_map();
        for r in &self.reuse {
            match r {
                ReuseArg::All(factor) => {
                    for l in &mut folding.layers {
                        if mac_layers.contains_key(&l.name) {
                            l.set_reuse(*factor);
                        }
                    }
                }
                ReuseArg::Layer(name, factor) => {
                    let Some(l) = folding.layers.iter_mut().find(|l| &l.name == name) else {
                        bail!(UsageError(format!(
                            "--reuse {name}={factor}: the model has no layer '{name}'; its \
                             multiply-accumulate layers are: {}",
                            mac_layers.keys().cloned().collect::<Vec<_>>().join(", ")
                        )));
                    };
                    if !mac_layers.contains_key(name) {
                        bail!(UsageError(format!(
                            "--reuse {name}={factor}: layer '{name}' ({}) has no multipliers to fold",
                            l.kernel
                        )));
                    }
                    l.set_reuse(*factor);
                }
            }
        }
        let folding_note = if self.reuse.is_empty() {
            format!(
                "chosen to fit the {} within {:.0}% of every resource",
                self.board.display_name,
                binpoint::estimate::FIT_MARGIN * 100.0
            )
        } else {
            // The chooser's verdict was about its own folding: the estimate judges this one.
            folding.warning = None;
            let flags: Vec<String> = self
                .reuse
                .iter()
                .map(|r| match r {
                    ReuseArg::All(f) => format!("--reuse {f}"),
                    ReuseArg::Layer(n, f) => format!("--reuse {n}={f}"),
                })
                .collect();
            format!("set by {}", flags.join(" "))
        };
        let estimate = estimate_with(proto, self.board, self.clock_ns, &folding)?;
        Ok(Hardware {
            board: self.board,
            clock_ns: self.clock_ns,
            stream: self.stream,
            folding,
            folding_note,
            estimate,
        })
    }
}

impl Hardware {
    /// The reuse factors the firmware gets: exactly the estimated ones.
    fn hls_options(&self) -> HlsOptions {
        HlsOptions {
            reuse: ReusePolicy {
                default: None,
                per_layer: self.folding.reuse_map(),
            },
            board: self.board.name.to_string(),
            interface: if self.stream {
                Interface::Stream
            } else {
                Interface::Mmap
            },
            ..HlsOptions::default()
        }
    }

    fn script_options(&self, proto: &ModelProto) -> ScriptOptions {
        ScriptOptions {
            clock_ns: self.clock_ns,
            interface: if self.stream {
                ScriptInterface::AxiStream
            } else {
                ScriptInterface::MAxi
            },
            ..ScriptOptions::for_model(proto, self.board)
        }
    }

    /// One line for stdout: the totals against the board.
    fn summary(&self) -> String {
        let e = &self.estimate;
        let (t, u) = (&e.totals, &e.utilization);
        format!(
            "estimate on the {} at {} ns: {} DSP ({:.1}%), {} LUT ({:.1}%), {} FF ({:.1}%), {} \
             BRAM36 ({:.1}%), {} cycles = {:.2} us per sample{}",
            self.board.display_name,
            e.clock_ns,
            t.dsp,
            u.dsp,
            t.lut,
            u.lut,
            t.ff,
            u.ff,
            t.bram36,
            u.bram36,
            t.latency_cycles,
            e.latency_us,
            if e.fits() { "" } else { " (DOES NOT FIT)" }
        )
    }
}

/// Everything [`write_out`] writes.
struct Out<'a> {
    model_bytes: &'a [u8],
    /// The ONNX file, copied as `model.onnx`.
    onnx: &'a Path,
    report: &'a report::Report,
    proto: &'a ModelProto,
    hw: &'a Hardware,
}

/// Writes [`OUT_FILES`] into `out` (created if missing).
fn write_out(out: &Path, o: &Out) -> anyhow::Result<()> {
    fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the folder", out.display()))?;
    let write = |name: &str, data: &[u8]| {
        let path = out.join(name);
        fs::write(&path, data).with_context(|| format!("{}: cannot write", path.display()))
    };
    write("model.bpm", o.model_bytes)?;
    let onnx = fs::read(o.onnx).with_context(|| format!("{}: cannot read", o.onnx.display()))?;
    write("model.onnx", &onnx)?;
    write("report.json", o.report.to_json().as_bytes())?;
    write("report.txt", o.report.to_text().as_bytes())?;
    let sim = binpoint::emit::sim::SimOptions::new(binpoint::emit::sim::default_runtime_path());
    binpoint::emit::sim::write_sim_crate_with(o.proto, &out.join("sim"), &sim).with_context(
        || {
            format!(
                "{}: cannot write the simulator crate",
                out.join("sim").display()
            )
        },
    )?;
    binpoint::emit::hls::write_hls(o.proto, out, &o.hw.hls_options()).with_context(|| {
        format!(
            "{}: cannot write the HLS firmware and testbench",
            out.display()
        )
    })?;
    binpoint::emit::scripts::write_scripts(out, &o.hw.script_options(o.proto)).with_context(
        || {
            format!(
                "{}: cannot write the scripts",
                out.join("scripts").display()
            )
        },
    )?;
    Ok(())
}

/// OUT may be missing or an empty folder; a non-empty one only with `force`.
fn check_out(out: &Path, force: bool) -> anyhow::Result<()> {
    let shown = out.display();
    match fs::metadata(out) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => bail!("{shown}: exists and is not a folder"),
        Ok(_) => {
            let mut entries =
                fs::read_dir(out).with_context(|| format!("{shown}: cannot list the folder"))?;
            if entries.next().is_some() && !force {
                bail!(
                    "{shown}: the folder is not empty; pass --force to write into it anyway \
                     (replaces {}; other files are left alone)",
                    OUT_FILES.join(", ")
                );
            }
            Ok(())
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The calibration (or evaluation) inputs, reshaped to the model's single input.
pub(super) fn calibration_input(g: &Graph, path: &Path) -> anyhow::Result<ArrayD<f32>> {
    let [input] = g.inputs() else {
        bail!(
            "{}: calibration data feeds models with one input; this one has {}",
            g.source,
            g.inputs().len()
        );
    };
    let x = load_npy(path)?;
    Ok(fit_input(g, *input, x)?)
}

/// Class labels from an `.npy` of integers (or integral floats), one per sample.
pub(super) fn read_labels(path: &Path) -> anyhow::Result<Vec<i64>> {
    use ndarray_npy::read_npy;
    let shown = path.display();
    let ints: Option<Vec<i64>> = read_npy::<_, ArrayD<i64>>(path)
        .map(|a| a.iter().copied().collect())
        .or_else(|_| {
            read_npy::<_, ArrayD<i32>>(path).map(|a| a.iter().map(|&v| v.into()).collect())
        })
        .or_else(|_| read_npy::<_, ArrayD<u8>>(path).map(|a| a.iter().map(|&v| v.into()).collect()))
        .ok();
    let labels = match ints {
        Some(v) => v,
        None => {
            let floats = load_npy(path).with_context(|| {
                format!(
                    "{shown}: labels must be an .npy of integers (int64, int32, uint8) or floats"
                )
            })?;
            floats
                .iter()
                .map(|&v| {
                    if v.fract() == 0.0 && v.is_finite() {
                        Ok(v as i64)
                    } else {
                        Err(anyhow::anyhow!("{shown}: label {v} is not a class index"))
                    }
                })
                .collect::<anyhow::Result<_>>()?
        }
    };
    if labels.is_empty() {
        bail!("{shown}: no labels");
    }
    Ok(labels)
}

/// Float and fixed point on `x` against the labels in `labels`.
pub(super) fn measure(
    g: &Graph,
    model: &Model,
    x: &ArrayD<f32>,
    data: &Path,
    labels: &Path,
    threads: Threads,
) -> anyhow::Result<report::Accuracy> {
    let y = read_labels(labels)?;
    let n = x.shape().first().copied().unwrap_or(0);
    if y.len() != n {
        bail!(
            "{}: {} labels for {} samples in {}",
            labels.display(),
            y.len(),
            n,
            data.display()
        );
    }
    let float = eval::run_f32(g, x)?;
    let flat: Vec<f32> = x.iter().copied().collect();
    let fixed = model.run_f32(&[&flat], n, threads)?;
    let values = fixed
        .into_iter()
        .next()
        .context("the compiled model has no output")?
        .values;
    let float: Vec<f32> = float.iter().copied().collect();
    report::compare(
        &float,
        &values,
        &y,
        &data.display().to_string(),
        &labels.display().to_string(),
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", labels.display()))
}
