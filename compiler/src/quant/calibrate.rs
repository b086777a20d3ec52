//! Post-training calibration: run the float model on real inputs and record, per tensor, the range
//! its integer bits are chosen from; afterwards, count how many calibration values each chosen type
//! would clip.
//!
//! Per tensor: count, min, max, and a histogram of magnitudes with 8 bins per octave (the f32
//! exponent and the top 3 mantissa bits) that keeps the largest magnitude seen in each bin. A
//! percentile is the largest value of the bin where the cumulative count crosses it: an observed
//! value, at most 1/8 octave above the exact percentile. Max-abs (the default) is exact.

use super::bits::overflows;
use super::trace::trace;
use super::{QuantError, TypedGraph};
use crate::ir::{Dim, Graph};
use binpoint_runtime::FixedType;
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How calibration turns observed values into a range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "method", content = "percentile", rename_all = "kebab-case")]
pub enum Method {
    /// `[min, max]` of everything seen: no calibration value saturates.
    MaxAbs,
    /// Magnitudes up to this percentile (in (0, 100]); larger ones saturate.
    Percentile(f64),
}

const BINS: usize = 1 << 11;

/// What calibration saw of one tensor.
#[derive(Clone, Debug, Serialize)]
pub struct TensorStats {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    #[serde(skip)]
    hist: Vec<u64>,
    #[serde(skip)]
    bin_max: Vec<f32>,
}

impl Default for TensorStats {
    fn default() -> Self {
        TensorStats {
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            hist: vec![0; BINS],
            bin_max: vec![0.0; BINS],
        }
    }
}

impl TensorStats {
    /// Adds values; Err(value) on the first NaN or infinity.
    fn observe(&mut self, values: impl IntoIterator<Item = f32>) -> Result<(), f32> {
        for v in values {
            if !v.is_finite() {
                return Err(v);
            }
            let a = v.abs();
            // Sign bit clear: the exponent and 3 mantissa bits index 2^11 bins in magnitude order.
            let bin = (a.to_bits() >> 20) as usize;
            self.hist[bin] += 1;
            if a > self.bin_max[bin] {
                self.bin_max[bin] = a;
            }
            self.min = self.min.min(f64::from(v));
            self.max = self.max.max(f64::from(v));
            self.count += 1;
        }
        Ok(())
    }

    pub fn max_abs(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.min.abs().max(self.max.abs())
        }
    }

    /// The `p`-th percentile of the magnitudes (p in (0, 100]); exact at 100.
    pub fn percentile_abs(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        if p >= 100.0 {
            return self.max_abs();
        }
        let target = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bin, &c) in self.hist.iter().enumerate() {
            seen += c;
            if seen >= target {
                return f64::from(self.bin_max[bin]);
            }
        }
        self.max_abs()
    }

    /// The range integer bits are chosen from: `[min, max]`, or clipped to `±percentile`.
    pub fn range(&self, method: Method) -> (f64, f64) {
        if self.count == 0 {
            return (0.0, 0.0);
        }
        match method {
            Method::MaxAbs => (self.min, self.max),
            Method::Percentile(p) => {
                let m = self.percentile_abs(p);
                (self.min.max(-m), self.max.min(m))
            }
        }
    }
}

/// Per-tensor statistics of a calibration run (graph inputs and computed nodes; constants are
/// typed from their own values).
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    pub method: Method,
    pub samples: usize,
    /// Integer bits added to every range: [`Calibration::range`] is the observed one × 2^headroom.
    pub headroom: u32,
    #[serde(skip)]
    pub stats: BTreeMap<NodeIndex, TensorStats>,
}

impl Calibration {
    pub fn range(&self, n: NodeIndex) -> Option<(f64, f64)> {
        let scale = f64::from(1u32 << self.headroom.min(30));
        self.stats.get(&n).map(|s| {
            let (lo, hi) = s.range(self.method);
            (lo * scale, hi * scale)
        })
    }
    /// The range over all samples of the graph inputs (the default input range of propagation).
    pub fn input_range(&self, g: &Graph) -> Option<(f64, f64)> {
        g.inputs()
            .iter()
            .filter_map(|&i| self.stats.get(&i))
            .map(|s| (s.min, s.max))
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    }
}

/// Runs the float model on `inputs` (one array per graph input, samples on axis 0) and records every
/// tensor's statistics.
pub fn calibrate(
    g: &Graph,
    inputs: &[ArrayD<f32>],
    method: Method,
) -> Result<Calibration, QuantError> {
    if let Method::Percentile(p) = method {
        if !(p > 0.0 && p <= 100.0) {
            return Err(QuantError::Data {
                file: g.source.clone(),
                reason: format!("calibration percentile must be in (0, 100], got {p}"),
            });
        }
    }
    let mut stats: BTreeMap<NodeIndex, TensorStats> = BTreeMap::new();
    trace(g, inputs, |n, v| {
        stats
            .entry(n)
            .or_default()
            .observe(v.iter().copied())
            .map_err(|bad| {
                let node = g.node(n);
                QuantError::node(
                    g,
                    &node.name,
                    node.op.name(),
                    format!("produced {bad} on the calibration data; ranges need finite values"),
                )
            })
    })?;
    Ok(Calibration {
        method,
        headroom: 0,
        samples: inputs
            .first()
            .map_or(0, |x| x.shape().first().copied().unwrap_or(0)),
        stats,
    })
}

/// The input range of range propagation: `given` (`--input-range LO,HI`), else the config's
/// `[calibration] input_range`, else the range seen in `inputs`, else `[-1, 1]`.
pub fn propagation_range(
    given: Option<(f64, f64)>,
    cfg: &super::PrecisionConfig,
    inputs: &[ArrayD<f32>],
) -> super::Interval {
    let seen = inputs
        .iter()
        .flat_map(|x| x.iter())
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, &v| {
            let v = f64::from(v);
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        });
    let (lo, hi) = given.or(cfg.input_range()).or(seen).unwrap_or((-1.0, 1.0));
    super::Interval::new(lo, hi)
}

/// Reads a `.npy` of float32 or float64 (converted) values ([`crate::npy::read_f32`]: the header
/// is checked before anything is allocated).
pub fn load_npy(path: impl AsRef<Path>) -> Result<ArrayD<f32>, QuantError> {
    Ok(crate::npy::read_f32(path.as_ref())?.0)
}

/// `x` reshaped to the graph input `input`'s per-sample shape when the element counts agree (e.g.
/// digits `[N, 64]` for a model taking `[N, 1, 8, 8]`); samples stay on axis 0.
pub fn fit_input(g: &Graph, input: NodeIndex, x: ArrayD<f32>) -> Result<ArrayD<f32>, QuantError> {
    let node = g.node(input);
    let dims = node.shape.dims();
    let per_sample: Option<Vec<usize>> = dims.iter().skip(1).map(|d| d.fixed()).collect();
    let err = |reason: String| QuantError::node(g, &node.name, "Input", reason);
    let Some(per_sample) = per_sample else {
        return Err(err(format!(
            "only the first dimension may be the batch, declared {}",
            node.shape
        )));
    };
    let Some(&n) = x.shape().first() else {
        return Err(err("calibration data is a scalar".into()));
    };
    let want: usize = per_sample.iter().product();
    let have: usize = x.shape()[1..].iter().product();
    if want != have {
        return Err(err(format!(
            "calibration samples of shape {:?} ({have} values) do not fit the input {} ({want} values per sample)",
            &x.shape()[1..],
            node.shape
        )));
    }
    // The same values in another layout (a channels-last image for a channels-first input, a
    // transposed matrix) would be read as garbage: the per-sample shape must be the input's, or
    // flat, or the input's up to dimensions of size 1.
    let data = &x.shape()[1..];
    if !crate::npy::same_layout(data, &per_sample) {
        return Err(err(format!(
            "calibration samples of shape {data:?} do not have the input's layout {} (another \
             order, e.g. channels-last?): give them as [N, {}] or flat as [N, {want}]",
            node.shape,
            per_sample
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some(&Dim::Fixed(b)) = dims.first() {
        if b != 1 && b != n {
            return Err(err(format!(
                "input has a fixed batch of {b}, got {n} samples"
            )));
        }
    }
    let mut shape = vec![n];
    shape.extend(per_sample);
    let flat: Vec<f32> = x.iter().copied().collect();
    ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| err(e.to_string()))
}

/// How many values of one tensor overflow its type on the calibration set.
#[derive(Clone, Debug, Serialize)]
pub struct SaturationCount {
    pub node: String,
    pub op: String,
    #[serde(with = "super::serde_fixed")]
    pub ty: FixedType,
    pub values: u64,
    /// Values whose cast overflowed (the overflow mode changed them).
    pub saturated: u64,
    /// The largest `|x - cast(x)|` among them, in steps of the type (`2^-F`): about 1 when only
    /// values within a step of the range's end (rounding up into overflow) saturate.
    pub worst_steps: f64,
}

/// For every tensor of `typed`, how many float values of the calibration run (or constant values;
/// only those when `inputs` is empty)
/// fall outside its type after the type's rounding (the values its overflow mode changes). An
/// estimate: the fixed-point model's own values differ from the float ones by the rounding of
/// earlier layers.
pub fn count_saturations(
    typed: &TypedGraph,
    inputs: &[ArrayD<f32>],
) -> Result<Vec<SaturationCount>, QuantError> {
    let g = &typed.graph;
    let mut counts: BTreeMap<NodeIndex, Count> = BTreeMap::new();
    let ty_of = |n: NodeIndex| -> Result<FixedType, QuantError> {
        typed.ty(n).ok_or_else(|| {
            let node = g.node(n);
            QuantError::Untyped {
                file: g.source.clone(),
                node: node.name.clone(),
                op: node.op.name().into(),
                reason: "has no fixed-point type".into(),
            }
        })
    };
    for n in g.node_indices() {
        if let Some(data) = g.const_data(n) {
            let ty = ty_of(n)?;
            counts.entry(n).or_default().add(data.to_f32().iter(), ty);
        }
    }
    if !inputs.is_empty() {
        trace(g, inputs, |n, v| {
            let ty = ty_of(n)?;
            counts.entry(n).or_default().add(v.iter(), ty);
            Ok(())
        })?;
    }
    let order = g.topo_order().unwrap_or_else(|_| g.node_indices());
    Ok(order
        .into_iter()
        .filter_map(|n| {
            let c = counts.get(&n).copied()?;
            let node = g.node(n);
            Some(SaturationCount {
                node: node.name.clone(),
                op: node.op.name().into(),
                ty: typed.ty(n)?,
                values: c.values,
                saturated: c.saturated,
                worst_steps: c.worst_steps,
            })
        })
        .collect())
}

#[derive(Clone, Copy, Default)]
struct Count {
    values: u64,
    saturated: u64,
    worst_steps: f64,
}

impl Count {
    fn add<'a>(&mut self, values: impl Iterator<Item = &'a f32>, ty: FixedType) {
        let step = super::bits::pow2(-ty.frac_bits());
        for &v in values {
            self.values += 1;
            let x = f64::from(v);
            if overflows(x, ty) {
                self.saturated += 1;
                let q = super::bits::quantize(x, ty);
                self.worst_steps = self.worst_steps.max((x - q).abs() / step);
            }
        }
    }
}

/// Where a run on data leaves a type's range: one tensor of a compiled model (a layer's output or
/// a graph input) whose type the float model's values overflow.
#[derive(Clone, Debug, Serialize)]
pub struct DataSaturation {
    pub tensor: String,
    #[serde(with = "super::serde_fixed")]
    pub ty: FixedType,
    /// Values outside the type after its rounding (the ones its overflow mode changes).
    pub saturated: u64,
    pub values: u64,
    /// Samples with at least one such value.
    pub samples: u64,
}

/// Runs the float graph `g` on `x` (fitted to its input) and counts, for every node named in
/// `types` (a compiled model's layer outputs and inputs, by name), the values and samples its type
/// overflows. Returns the tensors that overflow somewhere, in graph order, and how many of `types`
/// the graph has (low-rank factors, for one, exist only in the compiled model).
pub fn saturations_on_data(
    g: &Graph,
    types: &BTreeMap<String, FixedType>,
    x: &ArrayD<f32>,
) -> Result<(Vec<DataSaturation>, usize), QuantError> {
    let mut counts: BTreeMap<NodeIndex, DataSaturation> = BTreeMap::new();
    trace(g, std::slice::from_ref(x), |n, v| {
        let node = g.node(n);
        let Some(&ty) = types.get(&node.name) else {
            return Ok(());
        };
        let c = counts.entry(n).or_insert_with(|| DataSaturation {
            tensor: node.name.clone(),
            ty,
            saturated: 0,
            values: 0,
            samples: 0,
        });
        for sample in v.outer_iter() {
            let over = sample
                .iter()
                .filter(|&&x| overflows(f64::from(x), ty))
                .count() as u64;
            c.values += sample.len() as u64;
            c.saturated += over;
            c.samples += u64::from(over > 0);
        }
        Ok(())
    })?;
    let matched = counts.len();
    let order = g.topo_order().unwrap_or_else(|_| g.node_indices());
    let over = order
        .into_iter()
        .filter_map(|n| counts.remove(&n))
        .filter(|c| c.saturated > 0)
        .collect();
    Ok((over, matched))
}
