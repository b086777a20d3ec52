//! The compile pipeline as a library: `binpoint compile`, the tests and any caller run these
//! stages, in this order, and nothing else assembles them.
//!
//! ```text
//! CompileOptions ──precision──▶ PrecisionConfig
//!   ──load──▶ float Graph (ONNX → IR → cleanup passes)
//!   ──compress──▶ float Graph (low-rank; tolerance=T measures candidates with `Labelled`,
//!                 i.e. through the stages below)
//!   ──quant::calibrate_and_type──▶ TypedGraph (K-hot projection, calibration, typing)
//!   ──learn──▶ TypedGraph (`--learn`: learned binary points, re-typed by the same stage)
//!   ──lower──▶ Lowered + Model (validated once: the hub every backend reads)
//!   ──plan_hardware──▶ Hardware (board, clock, interface, per-layer strategy and reuse) + Estimate
//!   ──report──▶ Report
//!   = Compiled ──emit──▶ OUT (model.bpm, model.onnx, hardware.json, report.*, sim/, firmware/,
//!                             tb/, scripts/)
//! ```
//!
//! Errors are values ([`PipelineError`]); [`PipelineError::Usage`] marks a combination of options
//! that cannot run (the CLI exits with status 2 on it).

use std::fs;
use std::path::{Path, PathBuf};

use binpoint_runtime::model::{Model, ModelError, Threads};
use ndarray::ArrayD;

use crate::board::Board;
use crate::compress::low_rank::{self, tolerance, Decomposed, LowRankSpec};
use crate::emit::hls::HlsOptions;
use crate::emit::scripts::ScriptOptions;
use crate::emit::sim::SimOptions;
use crate::error::CompileError;
use crate::estimate::{
    estimate_hardware, fold_to_fit, Choice, Estimate, EstimateError, Folding, Lock, FIT_MARGIN,
};
use crate::hardware::{self, Hardware, Interface, Io, LayerPlan, MulImpl, Strategy};
use crate::ir::Graph;
use crate::learn::{LearnError, LearnOptions};
use crate::lower::{lower, LowerError, LowerOptions, Lowered};
use crate::npy::NpyError;
use crate::passes::CleanupOptions;
use crate::quant::{
    calibrate_and_type, count_saturations, fit_input, load_npy, saturations_on_data,
    DataSaturation, PrecisionConfig, QuantError, Ranges, TypedGraph,
};
use crate::report::compression::{CompressedLayer, CompressionSummary, DesignTotals};
use crate::report::{self, Report};
use crate::{eval, learn};

/// Every choice of `binpoint compile` (its flags), typed.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// The trained ONNX model.
    pub model: PathBuf,
    /// Calibration inputs (`--calib X.npy`).
    pub calib: Option<PathBuf>,
    /// Their class labels (`--labels L.npy`): accuracy in the report.
    pub labels: Option<PathBuf>,
    pub precision: Precision,
    /// `--input-range LO,HI` for range propagation without calibration data.
    pub input_range: Option<(f64, f64)>,
    /// `--keep-batch-norm`.
    pub keep_batch_norm: bool,
    /// `--low-rank SPEC`.
    pub low_rank: Option<LowRankSpec>,
    /// `--learn` and its knobs.
    pub learn: Option<LearnOptions>,
    pub target: Target,
    /// Threads of the accuracy runs (`--threads`).
    pub threads: Threads,
}

/// The precision flags: a config file or a uniform word length, then the overrides.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Precision {
    /// `--config F` (TOML, docs/precision.md).
    pub config: Option<PathBuf>,
    /// `--bits W` (default 16 without a config).
    pub bits: Option<u32>,
    /// `--percentile P`.
    pub percentile: Option<f64>,
    /// `--headroom BITS`.
    pub headroom: Option<u32>,
    /// `--khot K`.
    pub khot: Option<u32>,
}

/// The hardware flags: what the plan is made for, and the user's reuse factors.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// `--board NAME`.
    pub board: &'static Board,
    /// `--clock NS` (default: the board's).
    pub clock_ns: Option<f64>,
    /// `--stream`: AXI-Stream data ports.
    pub interface: Interface,
    /// `--reuse R | LAYER=R`, in order.
    pub reuse: Vec<Reuse>,
    /// `--strategy`: every multiply-accumulate layer's, unless its own config table says.
    pub strategy: Option<Strategy>,
    /// `--io`.
    pub io: Option<Io>,
}

impl Default for Target {
    fn default() -> Target {
        Target {
            board: Board::ultra96v2(),
            clock_ns: None,
            interface: Interface::MAxi,
            reuse: Vec::new(),
            strategy: None,
            io: None,
        }
    }
}

/// One `--reuse`: every MAC layer, or the layer of that name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reuse {
    All(u64),
    Layer(String, u64),
}

impl std::fmt::Display for Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reuse::All(r) => write!(f, "--reuse {r}"),
            Reuse::Layer(n, r) => write!(f, "--reuse {n}={r}"),
        }
    }
}

/// What a compile produced: every stage's result.
pub struct Compiled {
    /// The ONNX file compiled.
    pub source: PathBuf,
    /// The float model after compression (what was typed).
    pub graph: Graph,
    pub typed: TypedGraph,
    pub lowered: Lowered,
    /// The compiled model, validated once: every backend reads it.
    pub model: Model,
    pub hardware: Hardware,
    pub estimate: Estimate,
    pub report: Report,
}

/// Why a compile failed. Every variant's message names the file, and the node or layer.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Options that cannot run together, or a value out of range.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Quant(Box<QuantError>),
    #[error("{file}: learning the binary points: {error}")]
    Learn { file: String, error: LearnError },
    #[error(transparent)]
    Config(#[from] crate::quant::ConfigError),
    #[error(transparent)]
    Lower(#[from] LowerError),
    #[error("the interpreter cannot run this model: {0}")]
    Model(#[from] ModelError),
    #[error(transparent)]
    Estimate(#[from] EstimateError),
    #[error(transparent)]
    Hardware(#[from] crate::hardware::HardwareError),
    #[error(transparent)]
    Npy(#[from] NpyError),
    #[error("{0}")]
    Data(String),
    #[error("{what}: {reason}")]
    Write { what: String, reason: String },
}

type Result<T> = std::result::Result<T, PipelineError>;

impl From<QuantError> for PipelineError {
    fn from(e: QuantError) -> PipelineError {
        PipelineError::Quant(Box::new(e))
    }
}

/// Runs every stage (see the module docs); [`emit`] writes the result.
pub fn compile(opts: &CompileOptions) -> Result<Compiled> {
    check_target(&opts.target)?;
    let cfg = precision(&opts.precision)?;
    if let (Some(spec @ LowRankSpec::Tolerance(_)), None) = (opts.low_rank, &opts.labels) {
        return Err(PipelineError::Usage(format!(
            "--low-rank {spec} measures accuracy: it needs --calib X.npy and --labels L.npy"
        )));
    }
    if opts.learn.is_some() && opts.calib.is_none() {
        return Err(PipelineError::Usage(
            "--learn needs calibration data: give --calib X.npy (and optionally --labels L.npy)"
                .into(),
        ));
    }
    if let Some(l) = &opts.learn {
        l.validate()
            .map_err(|e| PipelineError::Usage(e.to_string()))?;
    }
    let mut g = load(&opts.model, opts.keep_batch_norm)?;
    let calib = match &opts.calib {
        Some(path) => Some(calibration_input(&g, path)?),
        None => None,
    };
    let labels = match &opts.labels {
        Some(p) => Some(crate::npy::read_labels(p)?),
        None => None,
    };
    // The original float model stays the float reference of the accuracy report, as for `eval`;
    // with the model's own quantizers, it is the quantized model in float (quantizers applied).
    let float_reference = if g.model_types.is_empty() {
        g.clone()
    } else {
        load_reference(&opts.model, opts.keep_batch_norm)?
    };

    let scorer = match (&calib, &labels, opts.low_rank) {
        (Some(x), Some(labels), Some(LowRankSpec::Tolerance(_))) => Some(Labelled {
            cfg: &cfg,
            calib: x,
            x,
            labels,
            threads: opts.threads,
        }),
        _ => None,
    };
    let (decomposed, search) = compress(
        &mut g,
        opts.low_rank,
        &cfg,
        scorer.as_ref().map(|s| s as &dyn tolerance::Score),
    )?;

    let ranges = match &calib {
        Some(x) => Ranges::Calibrated(x),
        None => Ranges::Propagated(opts.input_range),
    };
    let mut typed = calibrate_and_type(&g, &cfg, ranges)?;
    let mut learning = None;
    // The post-training typing and the held-out samples, to measure what learning gained.
    let mut before_learning = None;
    if let (Some(lopts), Some(x)) = (&opts.learn, &calib) {
        let learned =
            learn::learn(&g, &cfg, &typed, x, labels.as_deref(), lopts).map_err(|error| {
                PipelineError::Learn {
                    file: g.source.clone(),
                    error,
                }
            })?;
        before_learning = Some((
            std::mem::replace(&mut typed, learned.typed),
            learned.held_out,
        ));
        learning = Some(learned.report);
    }
    // Without data, the weights' and biases' saturations are still counted (and announced).
    let saturations = match &calib {
        Some(x) => count_saturations(&typed, std::slice::from_ref(x))?,
        None => count_saturations(&typed, &[])?,
    };
    let (lowered, model) = lower_model(&typed, &opts.model)?;
    if let (Some(r), Some((ptq, held)), Some(x)) = (&mut learning, &before_learning, &calib) {
        if !held.is_empty() {
            let data = HeldOut {
                float: &float_reference,
                x,
                labels: labels.as_deref(),
                held,
                threads: opts.threads,
            };
            r.held_out = Some(data.accuracy(ptq, &model, &opts.model)?);
        }
    }
    let accuracy = match (&labels, &calib, &opts.labels, &opts.calib) {
        (Some(y), Some(x), Some(lpath), Some(xpath)) => Some(measure(
            &float_reference,
            &model,
            x,
            y,
            xpath,
            lpath,
            opts.threads,
        )?),
        _ => None,
    };
    let (hardware, chooser_warning) = plan_hardware(&model, &opts.target, &cfg)?;
    let estimate = estimate_hardware(&model, &hardware, chooser_warning)?;
    let mut report = report::build(&typed, &lowered, Some(&saturations), accuracy, Vec::new());
    report.set_estimate(&estimate, &hardware);
    if let Some(x) = &calib {
        match count_accum_overflows(&model, x) {
            Ok(counts) => {
                report.set_accum_overflows(&counts, x.shape().first().copied().unwrap_or(0) as u64)
            }
            Err(e) => report
                .warnings
                .push(format!("user accumulators' overflows not counted: {e}")),
        }
    }
    report.learning = learning;
    report.compression = compression(
        &Reference {
            graph: &float_reference,
            cfg: &cfg,
            calib: calib.as_ref(),
            input_range: opts.input_range,
            source: &opts.model,
            target: &opts.target,
        },
        &typed,
        &decomposed,
        DesignTotals::new(report.totals.macs, &estimate),
        &mut report.warnings,
    );
    report.low_rank.low_rank = decomposed;
    report.low_rank.low_rank_search = search;
    Ok(Compiled {
        source: opts.model.clone(),
        graph: g,
        typed,
        lowered,
        model,
        hardware,
        estimate,
        report,
    })
}

/// `--board`/`--clock` checked before anything slow runs.
fn check_target(t: &Target) -> Result<()> {
    let clock = t.clock_ns.unwrap_or(t.board.default_clock_ns);
    if !(clock.is_finite() && (1.0..=1000.0).contains(&clock)) {
        return Err(PipelineError::Usage(format!(
            "--clock {clock}: the HLS clock period is 1 to 1000 ns (5 = 200 MHz)"
        )));
    }
    Ok(())
}

/// The precision config of the flags: the file or `--bits W` (16), then `--percentile` and
/// `--khot`.
pub fn precision(p: &Precision) -> Result<PrecisionConfig> {
    // A flag's value out of range is a usage error (exit status 2), like `--clock 0`.
    let usage = |e: crate::quant::ConfigError| PipelineError::Usage(e.to_string());
    let mut cfg = match &p.config {
        Some(f) => PrecisionConfig::from_file(f)?,
        None => PrecisionConfig::uniform(p.bits.unwrap_or(16)).map_err(usage)?,
    };
    if let Some(pct) = p.percentile {
        if !(pct > 0.0 && pct <= 100.0) {
            return Err(PipelineError::Usage(format!(
                "--percentile must be in (0, 100], got {pct}"
            )));
        }
        cfg.calibration.percentile = Some(pct);
        cfg.calibration.method = None;
    }
    if let Some(h) = p.headroom {
        if h > crate::quant::config::MAX_HEADROOM {
            return Err(PipelineError::Usage(format!(
                "--headroom must be 0..={} bits, got {h}",
                crate::quant::config::MAX_HEADROOM
            )));
        }
        cfg.calibration.headroom = Some(h);
    }
    if let Some(k) = p.khot {
        cfg.set_default_khot(k).map_err(usage)?;
    }
    Ok(cfg)
}

/// Stage 1: the ONNX file as a cleaned-up float graph.
pub fn load(path: &Path, keep_batch_norm: bool) -> Result<Graph> {
    let g = crate::load_float_graph(path, &CleanupOptions { keep_batch_norm })?;
    check_finite_constants(&g)?;
    Ok(g)
}

/// The float reference of the ONNX file: [`crate::load_reference_graph`] (quantizers applied).
pub fn load_reference(path: &Path, keep_batch_norm: bool) -> Result<Graph> {
    Ok(crate::load_reference_graph(
        path,
        &CleanupOptions { keep_batch_norm },
    )?)
}

/// Every float constant a layer reads is finite: a NaN or infinite weight is the model's fault,
/// named with the layer that reads it, before any phase (low-rank's SVD, typing) trips over it.
fn check_finite_constants(g: &Graph) -> Result<()> {
    for n in g.topo_order().unwrap_or_else(|_| g.node_indices()) {
        let Some(data) = g.const_f32(n) else { continue };
        let Some((i, v)) = data.iter().enumerate().find(|(_, v)| !v.is_finite()) else {
            continue;
        };
        let node = g.node(n);
        let (layer, op) = g
            .consumers(n)
            .first()
            .map(|&(c, _)| (g.node(c).name.clone(), g.node(c).op.name().to_string()))
            .unwrap_or_else(|| (node.name.clone(), "Const".into()));
        return Err(CompileError::Unsupported {
            file: g.source.clone(),
            node: layer,
            op,
            reason: format!(
                "its constant '{}' holds {v} (value {i} of {}): weights must be finite",
                node.tensor,
                data.len()
            ),
        }
        .into());
    }
    Ok(())
}

/// The calibration (or evaluation) inputs of `path`, reshaped to the model's single input.
pub fn calibration_input(g: &Graph, path: &Path) -> Result<ArrayD<f32>> {
    let [input] = g.inputs() else {
        return Err(PipelineError::Data(format!(
            "{}: calibration data feeds models with one input; this one has {}",
            g.source,
            g.inputs().len()
        )));
    };
    let x = load_npy(path)?;
    let data = |reason: String| {
        PipelineError::from(QuantError::Data {
            file: path.display().to_string(),
            reason,
        })
    };
    if x.shape().first().is_none_or(|&n| n == 0) || x.is_empty() {
        return Err(data(format!(
            "holds no samples (shape {:?}): binpoint needs at least one",
            x.shape()
        )));
    }
    if let Some((i, v)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let per = x.len() / x.shape()[0];
        return Err(data(format!(
            "sample {} holds {v} (value {i} of the file): binpoint needs finite values",
            i / per.max(1)
        )));
    }
    Ok(fit_input(g, *input, x)?)
}

/// Stage 2: low-rank compression (the flag's rule and the config's `low_rank` keys); with
/// `tolerance=T`, a search whose candidates `score` measures.
pub fn compress(
    g: &mut Graph,
    spec: Option<LowRankSpec>,
    cfg: &PrecisionConfig,
    score: Option<&dyn tolerance::Score>,
) -> Result<(Vec<Decomposed>, Option<tolerance::Search>)> {
    Ok(low_rank::for_compile(g, spec, cfg, score)?)
}

/// Labelled data that measures a float graph compiled exactly as [`compile`] ships it: typed by
/// [`calibrate_and_type`] (K-hot projection included) on `calib`, lowered, run by the interpreter
/// on `x`.
pub struct Labelled<'a> {
    pub cfg: &'a PrecisionConfig,
    /// Calibration inputs (`compile`: the same as `x`).
    pub calib: &'a ArrayD<f32>,
    /// Inputs fitted to the model's input.
    pub x: &'a ArrayD<f32>,
    pub labels: &'a [i64],
    pub threads: Threads,
}

impl tolerance::Score for Labelled<'_> {
    fn samples(&self) -> usize {
        self.labels.len()
    }

    fn accuracy(&self, g: &Graph) -> std::result::Result<f64, String> {
        let typed = calibrate_and_type(g, self.cfg, Ranges::Calibrated(self.calib))
            .map_err(|e| e.to_string())?;
        let (_, model) = lower_model(&typed, Path::new(&g.source)).map_err(|e| e.to_string())?;
        let n = self.x.shape().first().copied().unwrap_or(0);
        if n == 0 || self.labels.len() != n {
            return Err(format!("{} labels for {n} samples", self.labels.len()));
        }
        let flat: Vec<f32> = self.x.iter().copied().collect();
        let out = model
            .run_f32(&[&flat], n, self.threads)
            .map_err(|e| e.to_string())?;
        let values = &out.first().ok_or("the model has no output")?.values;
        let classes = values.len() / n;
        if classes == 0 {
            return Err("the model's output is empty".into());
        }
        let right = values
            .chunks_exact(classes)
            .zip(self.labels)
            .filter(|(row, &label)| eval::argmax(row.iter().copied()) as i64 == label)
            .count();
        Ok(right as f64 / n as f64)
    }
}

/// What the uncompressed model is compiled from: the same model, config, data and target.
struct Reference<'a> {
    /// The float model before compression.
    graph: &'a Graph,
    cfg: &'a PrecisionConfig,
    calib: Option<&'a ArrayD<f32>>,
    input_range: Option<(f64, f64)>,
    source: &'a Path,
    target: &'a Target,
}

/// The compression section of the report: the low-rank and K-hot layers of `typed`, and the whole
/// model against the same model compiled without compression (None when nothing was compressed;
/// a warning when the reference cannot be compiled, e.g. a flag names a factorized layer).
fn compression(
    r: &Reference,
    typed: &TypedGraph,
    decomposed: &[Decomposed],
    after: DesignTotals,
    warnings: &mut Vec<String>,
) -> Option<CompressionSummary> {
    let mut layers: Vec<CompressedLayer> = decomposed
        .iter()
        .map(|d| CompressedLayer {
            layer: d.layer.clone(),
            how: format!("low-rank r={} ({}x{})", d.rank, d.matrix[0], d.matrix[1]),
        })
        .collect();
    layers.extend(typed.layers.values().filter_map(|l| match l.kernel {
        crate::quant::Kernel::Mac { khot: Some(k), .. } => Some(CompressedLayer {
            layer: l.node.clone(),
            how: format!("K-hot {k}"),
        }),
        _ => None,
    }));
    if layers.is_empty() {
        return None;
    }
    match uncompressed(r) {
        Ok(before) => Some(CompressionSummary {
            layers,
            before,
            after,
        }),
        Err(e) => {
            warnings.push(format!(
                "compression summary left out: the model without compression does not compile \
                 with these flags: {e}"
            ));
            None
        }
    }
}

/// The whole-model totals of the reference compiled without compression: no factorization, no
/// K-hot key, the same data, board and flags.
fn uncompressed(r: &Reference) -> Result<DesignTotals> {
    let mut cfg = r.cfg.clone();
    cfg.default.khot = None;
    for level in cfg.op.values_mut().chain(cfg.layer.values_mut()) {
        level.khot = None;
    }
    let ranges = match r.calib {
        Some(x) => Ranges::Calibrated(x),
        None => Ranges::Propagated(r.input_range),
    };
    let typed = calibrate_and_type(r.graph, &cfg, ranges)?;
    let (lowered, model) = lower_model(&typed, r.source)?;
    let (hw, warning) = plan_hardware(&model, r.target, &cfg)?;
    let estimate = estimate_hardware(&model, &hw, warning)?;
    let macs = report::build(&typed, &lowered, None, None, Vec::new())
        .totals
        .macs;
    Ok(DesignTotals::new(macs, &estimate))
}

/// The samples learning held out, to measure the compiled models on.
struct HeldOut<'a> {
    /// The float model (its argmax is the target without labels).
    float: &'a Graph,
    /// Every calibration sample, fitted to the model's input.
    x: &'a ArrayD<f32>,
    labels: Option<&'a [i64]>,
    /// Indices into `x`.
    held: &'a [usize],
    threads: Threads,
}

impl HeldOut<'_> {
    /// The held-out accuracy of the post-training typing `ptq` (lowered here) and of the `learned`
    /// compiled model, both run by the bit-exact interpreter.
    fn accuracy(
        &self,
        ptq: &TypedGraph,
        learned: &Model,
        source: &Path,
    ) -> Result<learn::HeldOutAccuracy> {
        let xs = self.x.select(ndarray::Axis(0), self.held);
        let n = self.held.len();
        let flat: Vec<f32> = xs.iter().copied().collect();
        let rows = |values: &[f64]| -> Result<Vec<usize>> {
            let classes = values.len() / n.max(1);
            if classes == 0 {
                return Err(PipelineError::Data("the model's output is empty".into()));
            }
            Ok(values
                .chunks_exact(classes)
                .map(|r| eval::argmax(r.iter().copied()))
                .collect())
        };
        let (want, against): (Vec<usize>, _) = match self.labels {
            Some(l) => (
                self.held
                    .iter()
                    .map(|&i| l.get(i).map_or(usize::MAX, |&c| c as usize))
                    .collect(),
                "labels",
            ),
            None => {
                let f = eval::run_f32(self.float, &xs)?;
                let f: Vec<f64> = f.iter().map(|&v| f64::from(v)).collect();
                (rows(&f)?, "float argmax")
            }
        };
        let score = |m: &Model| -> Result<f64> {
            let out = m.run_f32(&[&flat], n, self.threads)?;
            let values = &out
                .first()
                .ok_or_else(|| PipelineError::Data("the compiled model has no output".into()))?
                .values;
            let right = rows(values)?
                .iter()
                .zip(&want)
                .filter(|(a, b)| a == b)
                .count();
            Ok(right as f64 / n.max(1) as f64)
        };
        let (_, ptq_model) = lower_model(ptq, source)?;
        Ok(learn::HeldOutAccuracy {
            samples: n,
            against: against.into(),
            ptq: score(&ptq_model)?,
            learned: score(learned)?,
        })
    }
}

/// Stage 5: the typed graph lowered into a compiled model, and that model validated (once) by the
/// interpreter's loader. `source` is the ONNX file (only its name is stored).
fn lower_model(typed: &TypedGraph, source: &Path) -> Result<(Lowered, Model)> {
    let lowered = lower(
        typed,
        &LowerOptions {
            source: file_name(source),
            float_model: "model.onnx".into(),
        },
    )?;
    check_workspace(&lowered.proto, source)?;
    let model = Model::from_bytes(&lowered.proto.to_bytes())?;
    Ok((lowered, model))
}

/// A model whose tensors of one sample hold more than the interpreter's workspace
/// (`binpoint_runtime::model::MAX_WORKSPACE` values, 2^27) is refused with its size and the
/// limit, naming its largest tensor: the segmentation networks of hls4ml's example-models
/// (256×256 and 512×512 images through 32-channel layers) are an example. Such a model keeps
/// every layer's whole output; the design would not fit a board either.
fn check_workspace(
    proto: &binpoint_runtime::model::format::ModelProto,
    source: &Path,
) -> Result<()> {
    let limit = binpoint_runtime::model::MAX_WORKSPACE as u64;
    let numel = |t: &binpoint_runtime::model::format::TensorProto| {
        t.shape.iter().fold(1u64, |a, &d| a.saturating_mul(d))
    };
    let total = proto
        .tensors
        .iter()
        .fold(0u64, |a, t| a.saturating_add(numel(t)));
    if total <= limit {
        return Ok(());
    }
    let largest = proto.tensors.iter().max_by_key(|t| numel(t));
    let (name, shape, n) = largest.map_or((String::new(), Vec::new(), 0), |t| {
        (t.name.clone(), t.shape.clone(), numel(t))
    });
    Err(PipelineError::Data(format!(
        "{}: too large to compile: its {} tensors hold {total} values per sample (the largest, \
         '{name}' {shape:?}, holds {n}), over binpoint's limit of {limit} values per sample; \
         binpoint keeps every layer's whole output, so a model of this size needs a smaller \
         input (crop or tile the image) or fewer, narrower layers",
        file_name(source),
        proto.tensors.len(),
    )))
}

/// Stage 6: the hardware plan of `model` for `target`: the folding chooser's reuse factors (the
/// most parallel design that fits the board within [`FIT_MARGIN`]), then the `--reuse` overrides
/// in order. Also returns the chooser's warning when it chose and the design does not fit.
pub fn plan_hardware(
    model: &Model,
    target: &Target,
    cfg: &PrecisionConfig,
) -> Result<(Hardware, Option<String>)> {
    let io = design_io(model, target, cfg)?;
    let mut start = Folding::unfolded(model.proto(), Strategy::Latency)?;
    start.io = io;
    if io == Io::Stream {
        // The stream kernels read their windows from line buffers in registers: no array of
        // theirs has ports to wait for, so nothing is partitioned (or charged for it).
        for l in &mut start.layers {
            l.partition = false;
        }
    }
    let n = start.layers.len();
    let mut locked = vec![Lock::Free; n];
    let mut notes = Vec::new();
    // The model-wide strategy: the flag, else [default]/[hardware].
    let keys: Vec<_> = model
        .layers()
        .iter()
        .map(|l| cfg.layer_hardware(&l.name, &l.op))
        .collect();
    let wide_strategy = target.strategy.or_else(|| {
        keys.iter()
            .flat_map(|k| &k.strategy)
            .find(|k| k.model_wide)
            .map(|k| k.value)
    });
    check_reuse_flags(&start, &target.reuse)?;
    for (i, (p, k)) in start.layers.iter_mut().zip(&keys).enumerate() {
        if !p.is_mac() {
            if let Some(r) = k.reuse.as_ref().filter(|r| !r.model_wide) {
                return Err(PipelineError::Usage(format!(
                    "{}: reuse = {}: layer '{}' ({}) has no multipliers to fold",
                    r.from, r.value, p.name, p.kernel
                )));
            }
            continue;
        }
        let own_strategy = k
            .strategy
            .as_ref()
            .filter(|s| !s.model_wide)
            .map(|s| s.value);
        let strategy = own_strategy.or(wide_strategy);
        if let Some(s) = strategy {
            p.strategy = s;
        }
        if own_strategy.is_some() {
            locked[i] = Lock::Strategy;
        }
        // The reuse factor: the flags (a layer's, then every layer's), then the config.
        let flag = target
            .reuse
            .iter()
            .rev()
            .find_map(|r| match r {
                Reuse::Layer(name, f) if *name == p.name => Some((*f, r.to_string())),
                _ => None,
            })
            .or_else(|| {
                target.reuse.iter().rev().find_map(|r| match r {
                    Reuse::All(f) => Some((*f, r.to_string())),
                    _ => None,
                })
            });
        let asked = flag.or_else(|| k.reuse.as_ref().map(|r| (r.value, r.from.clone())));
        if let Some((r, from)) = asked {
            if p.mul_impl == MulImpl::ShiftAdd && p.kernel.starts_with("dense") {
                // A K-hot dense layer is one unrolled circuit: it has nothing to fold.
                continue;
            }
            if strategy.is_none() {
                // hls4ml's default strategy when the user fixes the reuse factor.
                p.strategy = Strategy::Latency;
            }
            let set = p.set_reuse(r);
            if set != r {
                notes.push(format!(
                    "{from}: reuse factor {r} is not valid for layer '{}' ({} × {} products; \
                     hls4ml's rule: it divides the {} inputs, or is a multiple of them dividing \
                     the products): using {set} (valid: {})",
                    p.name,
                    p.fan_in,
                    p.n_out,
                    p.fan_in,
                    hardware::short_list(&p.valid_reuse())
                ));
            }
            locked[i] = Lock::Fixed;
        }
    }
    let choice = Choice {
        latency: wide_strategy != Some(Strategy::Resource),
        resource: wide_strategy != Some(Strategy::Latency),
        locked: locked.clone(),
    };
    let free = locked
        .iter()
        .zip(&start.layers)
        .any(|(l, p)| *l != Lock::Fixed && p.is_mac());
    let folding = choose_design(model, target, start, &choice)?;
    let chosen_by = describe_choice(&folding, &locked, target, wide_strategy, free);
    let mut warnings = notes;
    warnings.extend(folding.warning.clone().filter(|_| free));
    let hw = Hardware {
        format_version: hardware::FORMAT_VERSION,
        board: target.board,
        clock_ns: target.clock_ns.unwrap_or(target.board.default_clock_ns),
        interface: target.interface,
        io,
        chosen_by,
        layers: folding.layers,
    };
    hw.check(model)?;
    let warning = (!warnings.is_empty()).then(|| warnings.join("\n"));
    Ok((hw, warning))
}

/// The chooser run from two starts (every free MAC layer `latency`, and `resource`, when both
/// are allowed): the one within the board's margin with the smaller II, then latency. From the
/// latency start alone, a streaming CNN folds its constant circuits before trying ROM weights and
/// ends far slower than the resource start.
fn choose_design(
    model: &Model,
    target: &Target,
    start: Folding,
    choice: &Choice,
) -> Result<Folding> {
    let board = target.board;
    let clock = target.clock_ns.unwrap_or(board.default_clock_ns);
    let mut starts = vec![start.clone()];
    if choice.latency && choice.resource {
        let mut resource = start;
        for (p, lock) in resource.layers.iter_mut().zip(&choice.locked) {
            if *lock == Lock::Free {
                p.strategy = Strategy::Resource;
            }
        }
        starts.push(resource);
    }
    let mut best: Option<(Folding, (bool, u64, u64))> = None;
    for s in starts {
        let f = fold_to_fit(model.proto(), board, s, choice)?;
        let e = crate::estimate::estimate_with(model.proto(), board, clock, &f)?;
        let key = (!f.within_margin, e.totals.ii, e.totals.latency_cycles);
        if best.as_ref().is_none_or(|(_, k)| key < *k) {
            best = Some((f, key));
        }
    }
    Ok(best.map(|(f, _)| f).expect("at least one start"))
}

/// On how many samples of `x` each layer with a user accumulator overflowed (only layers whose
/// accumulator is narrower than exact; none: an empty list).
pub fn count_accum_overflows(model: &Model, x: &ArrayD<f32>) -> Result<Vec<(String, u64)>> {
    use binpoint_runtime::model::Exec;
    let user = model.layers().iter().any(|l| match l.exec() {
        Exec::Dense { cfg, .. } => cfg.plan.user.is_some(),
        Exec::Conv1d { cfg, .. } => cfg.plan.user.is_some(),
        Exec::Conv2d { cfg, .. } => cfg.plan.user.is_some(),
        _ => false,
    });
    let [input] = model.inputs() else {
        return Ok(Vec::new());
    };
    if !user {
        return Ok(Vec::new());
    }
    let n = x.shape().first().copied().unwrap_or(0);
    let per = x.len().checked_div(n).unwrap_or(0);
    let flat: Vec<f32> = x.iter().copied().collect();
    let mut counts: Vec<(String, u64)> = Vec::new();
    for s in 0..n {
        let raw = model
            .quantize(*input, &flat[s * per..][..per])
            .map_err(|e| PipelineError::Data(format!("calibration sample {s}: {e}")))?;
        let over = model
            .accum_overflows(&[&raw])
            .map_err(|e| PipelineError::Data(format!("calibration sample {s}: {e}")))?;
        if counts.is_empty() {
            counts = over
                .iter()
                .map(|&(i, _)| (model.layers()[i].name.clone(), 0))
                .collect();
        }
        for (c, (_, o)) in counts.iter_mut().zip(&over) {
            c.1 += u64::from(*o);
        }
    }
    Ok(counts)
}

/// `--reuse LAYER=R` names a multiply-accumulate layer of the model.
fn check_reuse_flags(f: &Folding, flags: &[Reuse]) -> Result<()> {
    for r in flags {
        let Reuse::Layer(name, factor) = r else {
            continue;
        };
        match f.layers.iter().find(|l| &l.name == name) {
            Some(l) if l.is_mac() => {}
            Some(l) => {
                return Err(PipelineError::Usage(format!(
                    "--reuse {name}={factor}: layer '{name}' ({}) has no multipliers to fold",
                    l.kernel
                )))
            }
            None => {
                let mut names: Vec<&str> = f
                    .layers
                    .iter()
                    .filter(|l| l.is_mac())
                    .map(|l| l.name.as_str())
                    .collect();
                names.sort_unstable();
                return Err(PipelineError::Usage(format!(
                    "--reuse {name}={factor}: the model has no layer '{name}'; its \
                     multiply-accumulate layers are: {}",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// The design's io: the flag, else the config's `[hardware]`/`[default]` key, else parallel; a
/// layer's or op's own `io` key must agree (it is one choice for the whole design).
fn design_io(model: &Model, target: &Target, cfg: &PrecisionConfig) -> Result<Io> {
    let keys: Vec<_> = model
        .layers()
        .iter()
        .map(|l| (l, cfg.layer_hardware(&l.name, &l.op)))
        .collect();
    let io = target
        .io
        .or_else(|| {
            keys.iter()
                .flat_map(|(_, k)| &k.io)
                .find(|k| k.model_wide)
                .map(|k| k.value)
        })
        .unwrap_or_default();
    for (l, k) in &keys {
        if let Some(key) = k.io.as_ref().filter(|k| !k.model_wide && k.value != io) {
            return Err(PipelineError::Usage(format!(
                "{}: io = \"{}\" for layer '{}' ({}), but the design is io {}: io is one choice \
                 for the whole design (set it in [hardware] or with --io)",
                key.from,
                key.value.as_str(),
                l.name,
                l.op,
                io.as_str()
            )));
        }
    }
    Ok(io)
}

/// How the plan was chosen, in words (report.json `hardware.folding`, report.txt).
fn describe_choice(
    f: &Folding,
    locked: &[Lock],
    target: &Target,
    strategy: Option<Strategy>,
    free: bool,
) -> String {
    let mac: Vec<&LayerPlan> = f.layers.iter().filter(|l| l.is_mac()).collect();
    let designs: Vec<String> = mac
        .iter()
        .map(|l| format!("{} {} R={}", l.name, l.strategy.as_str(), l.reuse_factor))
        .collect();
    let user = locked.iter().filter(|l| **l == Lock::Fixed).count();
    let how = if !free {
        let flags: Vec<String> = target.reuse.iter().map(Reuse::to_string).collect();
        if flags.is_empty() {
            "set by the precision config".to_string()
        } else {
            format!("set by {}", flags.join(" "))
        }
    } else {
        let allowed = match strategy {
            Some(s) => format!("{} designs", s.as_str()),
            None => "latency or resource designs".into(),
        };
        let fixed = if user > 0 {
            format!(" ({user} layer(s) fixed by the user)")
        } else {
            String::new()
        };
        format!(
            "the fastest {allowed} per layer that fit the {} within {:.0}% of every resource{fixed}",
            target.board.display_name,
            FIT_MARGIN * 100.0
        )
    };
    format!("{how}: {}", designs.join(", "))
}
/// Where `model`'s types overflow on data `x` (fitted to the float graph `g`'s input): its
/// inputs' and layers' types against the float model's values, by name ([`saturations_on_data`]).
/// `simulate` and `eval` run it on the data they are given; `compile` counts the same on the
/// calibration data. Returns the tensors that overflow and how many tensors were checked.
pub fn data_saturations(
    g: &Graph,
    model: &Model,
    x: &ArrayD<f32>,
) -> Result<(Vec<DataSaturation>, usize)> {
    let tensors = model.tensors();
    let types: std::collections::BTreeMap<String, binpoint_runtime::FixedType> = model
        .inputs()
        .iter()
        .map(|&i| (tensors[i].name.clone(), tensors[i].ty))
        .chain(
            model
                .layers()
                .iter()
                .map(|l| (l.name.clone(), tensors[l.output].ty)),
        )
        .collect();
    Ok(saturations_on_data(g, &types, x)?)
}

/// Float and fixed-point accuracy on `x` against `labels`.
pub fn measure(
    g: &Graph,
    model: &Model,
    x: &ArrayD<f32>,
    labels: &[i64],
    data: &Path,
    label_file: &Path,
    threads: Threads,
) -> Result<eval::Accuracy> {
    let n = x.shape().first().copied().unwrap_or(0);
    if labels.len() != n {
        return Err(PipelineError::Data(format!(
            "{}: {} labels for {} samples in {}",
            label_file.display(),
            labels.len(),
            n,
            data.display()
        )));
    }
    let float = eval::run_f32(g, x)?;
    let flat: Vec<f32> = x.iter().copied().collect();
    let fixed = model.run_f32(&[&flat], n, threads)?;
    let values = fixed
        .into_iter()
        .next()
        .ok_or_else(|| PipelineError::Data("the compiled model has no output".into()))?
        .values;
    let float: Vec<f32> = float.iter().copied().collect();
    eval::compare(
        &float,
        &values,
        labels,
        &data.display().to_string(),
        &label_file.display().to_string(),
    )
    .map_err(|e| PipelineError::Data(format!("{}: {e}", label_file.display())))
}

/// The files and folders [`emit`] writes into OUT.
pub const OUT_FILES: [&str; 9] = [
    "model.bpm",
    "model.onnx",
    hardware::FILE_NAME,
    "report.txt",
    "report.json",
    "sim/",
    "firmware/",
    "tb/",
    "scripts/",
];

/// The last stage: writes [`OUT_FILES`] into `out` (created if missing), every backend reading the
/// one validated model and the one hardware plan.
///
/// Nothing the user has is lost: everything is written first into a staging folder inside `out`,
/// then moved into place file by file (a rename, so no file is ever half-written, and a symlink
/// in the way is replaced, never written through). Without `force`, `out` must be empty or
/// missing, and a file that appeared there during the compile is an error, not overwritten; with
/// `force`, the files `compile` writes are replaced and anything else is left alone. On an error
/// the staging folder is removed and `out` is as it was, but for the files already moved.
pub fn emit(c: &Compiled, out: &Path, force: bool) -> Result<()> {
    check_out(out, force)?;
    fs::create_dir_all(out)
        .map_err(|e| write_err(out, &format!("cannot create the folder: {e}")))?;
    remove_stale_staging(out);
    let staging = out.join(format!(".binpoint-staging-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let written = write_all(c, &staging, out).and_then(|()| install(&staging, out, force));
    let _ = fs::remove_dir_all(&staging);
    written
}

fn write_err(what: &Path, reason: &dyn std::fmt::Display) -> PipelineError {
    PipelineError::Write {
        what: what.display().to_string(),
        reason: reason.to_string(),
    }
}

/// OUT may be missing or an empty folder; a non-empty one only with `force`.
/// Staging folders a compile killed before it could clean up left in `out`
/// (`.binpoint-staging-<pid>` whose process is gone): binpoint's own, removed.
fn remove_stale_staging(out: &Path) {
    // Whether a process lives is read from /proc (Linux); elsewhere nothing is removed.
    let (true, Ok(entries)) = (Path::new("/proc/self").exists(), fs::read_dir(out)) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(".binpoint-staging-") else {
            continue;
        };
        let alive = pid
            .parse::<u32>()
            .map(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists())
            .unwrap_or(true);
        if !alive && e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

pub fn check_out(out: &Path, force: bool) -> Result<()> {
    match fs::metadata(out) {
        Err(_) => Ok(()),
        Ok(m) if !m.is_dir() => Err(write_err(out, &"exists and is not a folder")),
        Ok(_) => {
            let mut entries = fs::read_dir(out)
                .map_err(|e| write_err(out, &format!("cannot list the folder: {e}")))?
                .filter_map(|e| e.ok())
                .filter(|e| {
                    !e.file_name()
                        .to_string_lossy()
                        .starts_with(".binpoint-staging-")
                });
            if entries.next().is_some() && !force {
                return Err(write_err(
                    out,
                    &format!(
                        "the folder is not empty; pass --force to write into it anyway (replaces \
                         {}; other files are left alone)",
                        OUT_FILES.join(", ")
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// Every file of OUT, written into `dir` (the staging folder) for the final folder `out`.
fn write_all(c: &Compiled, dir: &Path, out: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| write_err(dir, &format!("cannot create: {e}")))?;
    let write = |name: &str, data: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, data)
            .map_err(|e| write_err(&out.join(name), &format!("cannot write: {e}")))
    };
    write("model.bpm", &c.lowered.proto.to_bytes())?;
    let onnx =
        fs::read(&c.source).map_err(|e| write_err(&c.source, &format!("cannot read: {e}")))?;
    write("model.onnx", &onnx)?;
    write(hardware::FILE_NAME, c.hardware.to_json().as_bytes())?;
    write("report.json", c.report.to_json().as_bytes())?;
    write("report.txt", c.report.to_text().as_bytes())?;
    let sim = SimOptions {
        final_dir: Some(out.join("sim")),
        ..SimOptions::new(crate::emit::sim::default_runtime_path())
    };
    crate::emit::sim::write_sim_crate_with(&c.model, &dir.join("sim"), &sim).map_err(|e| {
        write_err(
            &out.join("sim"),
            &format!("cannot write the simulator crate: {e}"),
        )
    })?;
    crate::emit::hls::write_hls(&c.model, dir, &HlsOptions::new(c.hardware.clone())).map_err(
        |e| {
            write_err(
                out,
                &format!("cannot write the HLS firmware and testbench: {e}"),
            )
        },
    )?;
    crate::emit::scripts::write_scripts(dir, &ScriptOptions::for_plan(&c.model, &c.hardware))
        .map_err(|e| {
            write_err(
                &out.join("scripts"),
                &format!("cannot write the scripts: {e}"),
            )
        })?;
    Ok(())
}

/// Moves every file of `staging` to the same place under `out`. Folders on the way that are
/// symlinks are replaced by real folders (the link itself is removed, never what it points to).
fn install(staging: &Path, out: &Path, force: bool) -> Result<()> {
    let mut files = Vec::new();
    collect(staging, Path::new(""), &mut files)
        .map_err(|e| write_err(staging, &format!("cannot list: {e}")))?;
    for rel in files {
        let dest = out.join(&rel);
        let mut dir = out.to_path_buf();
        for part in rel.parent().into_iter().flat_map(|p| p.components()) {
            dir.push(part);
            real_dir(&dir)?;
        }
        match fs::symlink_metadata(&dest) {
            Ok(_) if !force => {
                return Err(write_err(
                    &dest,
                    &"appeared during the compile; pass --force to replace it",
                ))
            }
            Ok(m) if m.is_dir() => {
                return Err(write_err(&dest, &"is a folder where compile writes a file"))
            }
            _ => {}
        }
        fs::rename(staging.join(&rel), &dest)
            .map_err(|e| write_err(&dest, &format!("cannot write: {e}")))?;
    }
    Ok(())
}

/// `dir` as a real folder: created if missing, a symlink replaced.
fn real_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => fs::remove_file(dir)
            .and_then(|()| fs::create_dir(dir))
            .map_err(|e| write_err(dir, &format!("cannot replace the symlink: {e}"))),
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(write_err(dir, &"is a file where compile writes a folder")),
        Err(_) => fs::create_dir(dir).map_err(|e| write_err(dir, &format!("cannot create: {e}"))),
    }
}

fn collect(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(base.join(rel))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for name in entries {
        let r = rel.join(name);
        if fs::symlink_metadata(base.join(&r))?.is_dir() {
            collect(base, &r, out)?;
        } else {
            out.push(r);
        }
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
