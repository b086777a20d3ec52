//! `binpoint compile MODEL -o OUT [--calib X.npy] [--labels L.npy] [--bits W | --config F]
//! [--input-range LO,HI] [--percentile P] [--headroom BITS] [--khot K] [--keep-batch-norm] [--board B] [--clock NS]
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

use std::path::PathBuf;
use std::process::ExitCode;

use binpoint::board::Board;
use binpoint::compress::low_rank::LowRankSpec;
use binpoint::hardware::{Interface, Io, Strategy};
use binpoint::pipeline::{self, CompileOptions, PipelineError, Precision, Reuse, Target};
use clap::Args;

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

The strategy and reuse factor of each multiply-accumulate layer (hls4ml's meaning: R products per
multiplier; a layer or output pixel takes R cycles) are by default the fastest design that fits
--board within 80% of every resource; --strategy sets the strategy, --reuse R every such layer,
--reuse LAYER=R one of them (repeatable, after R), and a precision config may set both per layer.
The firmware's pragmas and the estimate in report.txt/report.json use the same plan
(OUT/hardware.json); a design that does not fit is reported as a warning. --stream gives the top function AXI-Stream data ports (and
the block design an AXI DMA) instead of m_axi.

Files written: OUT/model.bpm, OUT/model.onnx, OUT/report.txt, OUT/report.json, OUT/sim/ (the model
as a standalone Rust crate, docs/emit-sim.md), OUT/firmware/ (HLS C++), OUT/tb/ (testbench and 32
co-simulation vectors) and OUT/scripts/ (hls.tcl, vivado.tcl, driver.py, run_vectors.py;
docs/board-flow.md). Then: binpoint verify OUT.";

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

    /// Headroom: BITS more integer bits on every calibrated activation (0..=16; each bit doubles
    /// the range the types hold), for data that runs larger than the calibration set
    #[arg(long, value_name = "BITS", requires = "calib")]
    headroom: Option<u32>,

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
    /// hls4ml's meaning: each multiplier serves R of a layer's n_in*n_out products (1: all at
    /// once); an R that hls4ml's rule refuses becomes the nearest valid one, with a note.
    /// Default: the fastest design that fits the board
    #[arg(long, value_name = "R|LAYER=R", value_parser = parse_reuse)]
    reuse: Vec<Reuse>,

    /// How multiply-accumulate layers are built (hls4ml's words): latency (weights as constants,
    /// every product unrolled, II = R) or resource (R steps over weights in ROM). Default: chosen
    /// per layer to fit the board; latency when --reuse is given
    #[arg(long, value_name = "latency|resource")]
    strategy: Option<Strategy>,

    /// How layers pass tensors: parallel (arrays) or stream (hls::stream, dataflow)
    #[arg(long, value_name = "parallel|stream")]
    io: Option<Io>,

    /// AXI-Stream data ports (an AXI DMA in the block design) instead of m_axi
    #[arg(long)]
    stream: bool,

    /// Factorize Dense/Conv layers by truncated SVD before typing: energy=E, rank=R, macs=B
    /// (MAC budget, fraction of the model's) or tolerance=T (accuracy points; needs --labels).
    /// See docs/low-rank.md
    #[arg(long, value_name = "SPEC", value_parser = parse_low_rank)]
    low_rank: Option<Box<LowRankSpec>>,

    /// Also write OUT/rtl/: Verilog of the fully-parallel design (every op; docs/rtl.md)
    #[arg(long)]
    rtl: bool,

    /// Adder levels between two pipeline registers of OUT/rtl/ (the default suits 200 MHz on the
    /// Ultra96's xczu3eg; docs/rtl.md "Pipeline cuts")
    #[arg(long, value_name = "N", default_value_t = binpoint::emit::rtl::adders::DEFAULT_LEVELS_PER_STAGE,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    rtl_levels: u32,

    /// Write into a non-empty OUT (replacing the files compile writes; others are left alone)
    #[arg(long)]
    force: bool,

    /// Threads for the accuracy run (0: all cores)
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,

    #[command(flatten)]
    learn: super::learn_args::LearnArgs,
}

fn parse_reuse(s: &str) -> Result<Reuse, String> {
    let factor = |t: &str| match t.trim().parse::<u64>() {
        Ok(r) if r >= 1 => Ok(r),
        _ => Err(format!("'{t}': a reuse factor is a whole number >= 1")),
    };
    match s.rsplit_once('=') {
        Some((name, r)) if !name.is_empty() => Ok(Reuse::Layer(name.to_string(), factor(r)?)),
        Some(_) => Err(format!("'{s}': expected R or LAYER=R")),
        None => Ok(Reuse::All(factor(s)?)),
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
    // Refused before anything slow runs; checked again when the files are moved in.
    pipeline::check_out(&args.out, args.force)?;
    let opts = options(&args)?;
    let compiled = pipeline::compile(&opts).map_err(usage)?;
    pipeline::emit(&compiled, &args.out, args.force)?;
    if args.rtl {
        let model = binpoint_runtime::model::Model::load(args.out.join("model.bpm"))?;
        let opts = binpoint::emit::rtl::RtlOptions {
            pipeline: binpoint::emit::rtl::Pipeline {
                levels_per_stage: args.rtl_levels,
            },
            part: compiled.hardware.board.part.to_string(),
            clock_ns: compiled.hardware.clock_ns,
        };
        let rtl = binpoint::emit::rtl::write_rtl_with(&model, &args.out, &opts)?;
        let est = binpoint::estimate::rtl::estimate_rtl(&model, &opts)?;
        eprintln!(
            "{} of OUT/rtl: {} LUT, {} FF, {} CARRY8, {} adders, {} DSP",
            binpoint::estimate::rtl::LABEL,
            est.total.lut,
            est.total.ff,
            est.total.carry8,
            est.total.adders,
            est.total.dsp
        );
        // report.json (write_rtl added `rtl`): the estimate per layer beside it.
        let rp = args.out.join("report.json");
        let mut whole: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp)?)?;
        if let Some(obj) = whole.as_object_mut() {
            obj.insert("rtl_estimate".into(), serde_json::to_value(&est)?);
        }
        std::fs::write(&rp, serde_json::to_string_pretty(&whole)? + "\n")?;
        eprintln!(
            "wrote {}: {} files, latency {} cycles",
            args.out.join(binpoint::emit::rtl::DIR).display(),
            rtl.files.len(),
            rtl.latency
        );
    }

    let report = &compiled.report;
    if let Some(r) = &report.learning {
        eprintln!(
            "learned {} in {:.1} s: {} epochs, loss {:.6} -> {:.6}, {} of {} tensors changed",
            r.what(),
            r.seconds,
            r.epochs,
            r.initial.loss,
            r.last.loss,
            r.changed(),
            r.tensors.iter().filter(|t| t.learned).count()
        );
    }
    let t = &report.totals;
    println!(
        "{}: {} layers, {} params, {} MACs per sample ({}; {})",
        args.out.join("model.bpm").display(),
        t.layers,
        t.params,
        t.macs,
        compiled.typed.config,
        compiled.typed.ranges
    );
    println!("{}", summary(&compiled));
    if let Some(c) = &report.compression {
        print!("{}", c.lines());
    }
    if let Some(line) = report.learning.as_ref().and_then(|r| r.summary()) {
        println!("{line}");
    }
    if let Some(a) = &report.accuracy {
        print!("{}", a.lines());
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A pipeline error; options that cannot run together exit with status 2.
fn usage(e: PipelineError) -> anyhow::Error {
    match e {
        PipelineError::Usage(m) => UsageError(m).into(),
        e => e.into(),
    }
}

/// The flags as the pipeline's options; `--board` checked before anything slow runs.
fn options(args: &CompileArgs) -> anyhow::Result<CompileOptions> {
    let board = Board::lookup(&args.board).map_err(|e| UsageError(format!("--board: {e}")))?;
    Ok(CompileOptions {
        model: args.model.clone(),
        calib: args.calib.clone(),
        labels: args.labels.clone(),
        precision: Precision {
            config: args.config.clone(),
            bits: args.bits,
            percentile: args.percentile,
            headroom: args.headroom,
            khot: args.khot,
        },
        input_range: args.input_range,
        keep_batch_norm: args.keep_batch_norm,
        low_rank: args.low_rank.as_deref().copied(),
        learn: args.learn.options(),
        target: Target {
            board,
            clock_ns: args.clock,
            strategy: args.strategy,
            io: args.io,
            interface: if args.stream {
                Interface::AxiStream
            } else {
                Interface::MAxi
            },
            reuse: args.reuse.clone(),
        },
        threads: super::threads(args.threads),
    })
}

/// One line for stdout: the estimate's totals against the board.
fn summary(c: &binpoint::Compiled) -> String {
    let e = &c.estimate;
    let (t, u) = (&e.totals, &e.utilization);
    format!(
        "estimate on the {} at {} ns: {} DSP ({:.1}%), {} LUT ({:.1}%), {} FF ({:.1}%), {} \
         BRAM36 ({:.1}%), {} cycles = {:.2} us per sample{}",
        c.hardware.board.display_name,
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
