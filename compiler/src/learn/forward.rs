//! The learning forward: the typed graph run in candle (f64, CPU) with a fake-quant cast at exactly
//! the points where the typed IR rounds: graph inputs, constants (weights, biases, BatchNorm-as-affine
//! scales and shifts), and the output of every node that declares a type (Conv, Dense, Affine, Add,
//! Sub, Mul, Div, pooling averages, piecewise-linear activations, LUT outputs, softmax, Relu/Clip/Concat
//! with a cast). Data movement (Reshape, Transpose, MaxPool, Relu, Pad, ...) passes values unchanged,
//! as its raw bits do. Everything between two casts is exact: products and sums of grid values stay
//! exact in f64 while the typed accumulator is at most 53 bits wide, so this forward computes the
//! same values as the bit-exact simulator (tests/learn.rs checks it on the fixtures). The LUT ops
//! (Sigmoid, Tanh, Softmax) are the exception: the forward casts the exact function's value into the
//! table's entry type and ignores the table's index quantization.
//!
//! [`Mode::Float`] runs the same graph with no casts and the unquantized constants: the teacher.

use std::collections::BTreeMap;

use binpoint_runtime::{FixedType, Overflow};
use candle_core::{DType, Device, Tensor, Var, D};
use petgraph::stable_graph::NodeIndex;

use super::error::LearnError;
use super::quantizer::{cast, FixedCast};
use crate::ir::ops::window::Geom2;
use crate::ir::{Graph, Op};
use crate::quant::{Kernel, TypeOrigin, TypedGraph};

/// Which network the forward computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The float model (the distillation teacher).
    Float,
    /// The fixed-point model with the current integer bits.
    Fixed,
}

/// What a quantized tensor is, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Input,
    Weight,
    Bias,
    Constant,
    Output,
}

/// One rounding point: a declared tensor type whose integer bits `I` are a real parameter.
#[derive(Debug)]
pub struct Point {
    pub node: NodeIndex,
    pub name: String,
    pub op: String,
    pub role: Role,
    /// The calibrated type (`W`, signedness, Q, O, N, and the initial `I`).
    pub base: FixedType,
    /// Whether `I` is learned (calibrated or value-fitted types) or fixed (config, tables).
    pub trainable: bool,
    /// `I` as a real number; the cast uses it rounded.
    pub var: Var,
    /// Weights of a K-hot layer: projected to at most K CSD digits instead of cast.
    pub khot: Option<u32>,
}

impl Point {
    /// The current (rounded) integer bits.
    pub fn int_bits(&self) -> Result<i32, LearnError> {
        let v = self
            .var
            .as_tensor()
            .to_scalar::<f64>()
            .map_err(|e| LearnError::candle(&self.name, &self.op, e))?;
        Ok(v.round() as i32)
    }

    /// The calibrated type with the current integer bits.
    pub fn ty(&self) -> Result<FixedType, LearnError> {
        let i = self.int_bits()?;
        FixedType::new(
            self.base.is_signed(),
            self.base.width(),
            i,
            self.base.rounding(),
            self.base.overflow(),
            self.base.sat_bits(),
        )
        .map_err(|e| LearnError::node(&self.name, &self.op, e.to_string()))
    }
}

/// A float constant: fixed, or fine-tuned.
#[derive(Debug)]
pub enum Param {
    Frozen(Tensor),
    Tuned(Var),
}

impl Param {
    pub fn tensor(&self) -> &Tensor {
        match self {
            Param::Frozen(t) => t,
            Param::Tuned(v) => v.as_tensor(),
        }
    }
}

/// Precomputed gather indices of a windowed op (conv, pooling).
#[derive(Debug)]
struct Windows {
    /// Into the input flattened per sample (conv: `[C·S + 1]`) or per channel (pool: `[S + 1]`);
    /// the last slot is the padding value.
    index: Tensor,
    /// Output positions.
    positions: usize,
    /// Taps per window (conv: `C/group · k`; pool: `k`).
    taps: usize,
    /// Average pooling: the divisor of each output position.
    divisors: Vec<u64>,
}

/// The typed graph as a trainable candle model.
pub struct Student {
    pub graph: Graph,
    order: Vec<NodeIndex>,
    kernels: BTreeMap<NodeIndex, Kernel>,
    pub points: BTreeMap<NodeIndex, Point>,
    pub consts: BTreeMap<NodeIndex, Param>,
    windows: BTreeMap<NodeIndex, Windows>,
    /// The tensor the loss reads: the output, or the input of a final Softmax.
    pub logits: NodeIndex,
    pub device: Device,
}

fn shape_err(g: &Graph, n: NodeIndex, reason: impl Into<String>) -> LearnError {
    let node = g.node(n);
    LearnError::Unsupported {
        file: g.source.clone(),
        node: node.name.clone(),
        op: node.op.name().into(),
        reason: reason.into(),
    }
}

impl Student {
    /// Builds the model from a typed graph (the calibrated typing) and the float graph it was typed
    /// from, whose constants are the float weights (the typed graph's may be K-hot projections;
    /// the node indices are the same). With `finetune`, the weights and biases of Conv, Dense and
    /// Affine become trainable too.
    pub fn new(typed: &TypedGraph, float: &Graph, finetune: bool) -> Result<Student, LearnError> {
        let g = typed.graph.clone();
        let device = Device::Cpu;
        let order = g
            .topo_order()
            .map_err(|n| shape_err(&g, n, "graph has a cycle"))?;
        let (out_name, out) = g
            .outputs()
            .first()
            .cloned()
            .ok_or_else(|| LearnError::node(&g.name, "Graph", "the graph has no output"))?;
        let _ = out_name;
        let logits = match &g.node(out).op {
            Op::Softmax(_) => g.inputs_of(out).first().copied().unwrap_or(out),
            _ => out,
        };
        let mut kernels = BTreeMap::new();
        let mut points = BTreeMap::new();
        let mut consts = BTreeMap::new();
        let mut windows = BTreeMap::new();
        for &n in &order {
            let node = g.node(n);
            let layer = typed.layer(n).ok_or_else(|| {
                shape_err(
                    &g,
                    n,
                    "has no fixed-point type (type the graph before learning)",
                )
            })?;
            check_supported(&g, n, &layer.kernel)?;
            kernels.insert(n, layer.kernel.clone());
            let consumers = g.consumers(n);
            let role = match &node.op {
                Op::Input(_) => Role::Input,
                Op::Const(_) => match consumers.first() {
                    Some(&(c, slot)) => match (&g.node(c).op, slot) {
                        (Op::Conv(_) | Op::Dense(_) | Op::Affine(_), 1) => Role::Weight,
                        (Op::Conv(_) | Op::Dense(_) | Op::Affine(_), 2) => Role::Bias,
                        _ => Role::Constant,
                    },
                    None => Role::Constant,
                },
                _ => Role::Output,
            };
            if let Op::Const(_) = &node.op {
                let same = float
                    .get(n)
                    .is_some_and(|f| f.name == node.name && f.shape == node.shape);
                if !same {
                    return Err(shape_err(
                        &g,
                        n,
                        "the float graph does not match the typed graph (learn from the graph \
                         that was typed)",
                    ));
                }
                let data = float.const_f32(n).ok_or_else(|| {
                    shape_err(&g, n, "a constant without float data cannot be learned")
                })?;
                let t = Tensor::from_vec(
                    data.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                    data.shape(),
                    &device,
                )
                .map_err(|e| LearnError::candle(&node.name, "Const", e))?;
                let tuned = finetune && matches!(role, Role::Weight | Role::Bias);
                let p = if tuned {
                    Param::Tuned(
                        Var::from_tensor(&t)
                            .map_err(|e| LearnError::candle(&node.name, "Const", e))?,
                    )
                } else {
                    Param::Frozen(t)
                };
                consts.insert(n, p);
            }
            if !matches!(layer.kernel, Kernel::Move) {
                let ty = layer.output.ty;
                let trainable = matches!(
                    layer.output.origin,
                    TypeOrigin::Calibrated
                        | TypeOrigin::Percentile
                        | TypeOrigin::Propagated
                        | TypeOrigin::Values
                );
                let var = Var::from_tensor(
                    &Tensor::new(f64::from(ty.int_bits()), &device)
                        .map_err(|e| LearnError::candle(&node.name, node.op.name(), e))?,
                )
                .map_err(|e| LearnError::candle(&node.name, node.op.name(), e))?;
                points.insert(
                    n,
                    Point {
                        node: n,
                        name: node.name.clone(),
                        op: node.op.name().into(),
                        role,
                        base: ty,
                        trainable,
                        var,
                        khot: khot_of(&g, typed, n),
                    },
                );
            }
            if let Some(w) = build_windows(&g, n, &device)? {
                windows.insert(n, w);
            }
        }
        Ok(Student {
            graph: g,
            order,
            kernels,
            points,
            consts,
            windows,
            logits,
            device,
        })
    }

    /// The learned parameters: integer bits, then (with fine-tuning) weights.
    pub fn vars(&self) -> (Vec<&Var>, Vec<&Var>) {
        let bits = self
            .points
            .values()
            .filter(|p| p.trainable)
            .map(|p| &p.var)
            .collect();
        let weights = self
            .consts
            .values()
            .filter_map(|p| match p {
                Param::Tuned(v) => Some(v),
                Param::Frozen(_) => None,
            })
            .collect();
        (bits, weights)
    }

    /// The current type of `n`'s tensor: its own point, or (data movement) its input's.
    fn current_ty(&self, mut n: NodeIndex) -> Result<FixedType, LearnError> {
        loop {
            if let Some(p) = self.points.get(&n) {
                return p.ty();
            }
            match self.graph.inputs_of(n).first() {
                Some(&i) => n = i,
                None => {
                    let node = self.graph.node(n);
                    return Err(LearnError::node(&node.name, node.op.name(), "no type"));
                }
            }
        }
    }

    /// The logits for a batch `x` (f64, the model's input shape with the batch first).
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Result<Tensor, LearnError> {
        let batch = x.dims().first().copied().unwrap_or(1);
        let mut values: BTreeMap<NodeIndex, Tensor> = BTreeMap::new();
        let mut remaining: BTreeMap<NodeIndex, usize> = self
            .order
            .iter()
            .map(|&n| (n, self.graph.use_count(n)))
            .collect();
        for &n in &self.order {
            let node = self.graph.node(n);
            let ins = self.graph.inputs_of(n);
            let args: Vec<&Tensor> = ins
                .iter()
                .map(|i| {
                    values.get(i).ok_or_else(|| {
                        LearnError::node(&node.name, node.op.name(), "input missing")
                    })
                })
                .collect::<Result<_, _>>()?;
            let v = self
                .node_forward(n, x, &args, batch, mode)
                .map_err(|e| match e {
                    Step::Candle(e) => LearnError::candle(&node.name, node.op.name(), e),
                    Step::Learn(e) => e,
                })?;
            if n == self.logits {
                return Ok(v);
            }
            for i in ins {
                if let Some(r) = remaining.get_mut(&i) {
                    *r = r.saturating_sub(1);
                    if *r == 0 {
                        values.remove(&i);
                    }
                }
            }
            values.insert(n, v);
        }
        Err(LearnError::node(
            &self.graph.name,
            "Graph",
            "the logits tensor was not computed",
        ))
    }

    fn cast(&self, n: NodeIndex, t: Tensor, mode: Mode) -> Result<Tensor, Step> {
        if mode == Mode::Float {
            return Ok(t);
        }
        let Some(p) = self.points.get(&n) else {
            return Ok(t);
        };
        let ty = p.ty()?;
        Ok(t.contiguous()?
            .apply_op2(p.var.as_tensor(), FixedCast { ty, khot: p.khot })?)
    }

    fn node_forward(
        &self,
        n: NodeIndex,
        x: &Tensor,
        args: &[&Tensor],
        batch: usize,
        mode: Mode,
    ) -> Result<Tensor, Step> {
        let g = &self.graph;
        let node = g.node(n);
        let fixed = mode == Mode::Fixed;
        let kernel = &self.kernels[&n];
        let arg = |i: usize| -> Result<&Tensor, Step> {
            args.get(i).copied().ok_or_else(|| {
                Step::Learn(LearnError::node(
                    &node.name,
                    node.op.name(),
                    format!("missing input {i}"),
                ))
            })
        };
        let out_dims = node.shape.concrete(batch);
        let y = match &node.op {
            Op::Input(_) => x.clone(),
            Op::Const(_) => self.consts[&n].tensor().clone(),
            Op::Dense(_) => {
                let (x, w) = (arg(0)?, arg(1)?);
                let mut y = x.broadcast_matmul(&w.t()?)?;
                if let Ok(b) = arg(2) {
                    y = y.broadcast_add(b)?;
                }
                y
            }
            Op::Conv(c) => self.conv(n, arg(0)?, arg(1)?, args.get(2).copied(), c.group, batch)?,
            Op::Affine(_) => {
                let x = arg(0)?;
                let mut dims = vec![1usize; x.rank()];
                dims[1] = x.dims()[1];
                x.broadcast_mul(&arg(1)?.reshape(dims.as_slice())?)?
                    .broadcast_add(&arg(2)?.reshape(dims.as_slice())?)?
            }
            Op::Add(_) => arg(0)?.broadcast_add(arg(1)?)?,
            Op::Sub(_) => arg(0)?.broadcast_sub(arg(1)?)?,
            Op::Mul(_) => arg(0)?.broadcast_mul(arg(1)?)?,
            Op::Div(_) => {
                let c = g
                    .const_f32(g.inputs_of(n)[1])
                    .ok_or_else(|| LearnError::node(&node.name, "Div", "divisor not constant"))?;
                let factors: Vec<f64> = match kernel {
                    Kernel::Scale { factor_type, .. } if fixed => c
                        .iter()
                        .map(|&v| cast(1.0 / f64::from(v), factor_type).0)
                        .collect(),
                    _ => c.iter().map(|&v| 1.0 / f64::from(v)).collect(),
                };
                let f = Tensor::from_vec(factors, c.shape(), &self.device)?;
                arg(0)?.broadcast_mul(&f)?
            }
            Op::Relu(_) => arg(0)?.relu()?,
            Op::Clip(c) => {
                let x = arg(0)?;
                let (lo, hi) = if fixed {
                    let input = self.current_ty(g.inputs_of(n)[0])?;
                    let bound = input
                        .with_modes(input.rounding(), Overflow::Sat, 0)
                        .map_err(|e| LearnError::node(&node.name, "Clip", e.to_string()))?;
                    let end = |v: f32| {
                        let v = f64::from(v).clamp(-f64::MAX, f64::MAX);
                        cast(v, &bound).0
                    };
                    (end(c.min), end(c.max))
                } else {
                    (f64::from(c.min), f64::from(c.max))
                };
                x.maximum(lo)?.minimum(hi)?
            }
            Op::LeakyRelu(l) => {
                let a = match kernel {
                    Kernel::LeakyRelu { alpha, .. } if fixed => alpha.quantized(),
                    _ => f64::from(l.alpha),
                };
                let x = arg(0)?;
                x.ge(0.0)?.where_cond(x, &x.affine(a, 0.0)?)?
            }
            Op::HardSigmoid(h) => {
                let (a, b) = match kernel {
                    Kernel::HardSigmoid { alpha, beta, .. } if fixed => {
                        (alpha.quantized(), beta.quantized())
                    }
                    _ => (f64::from(h.alpha), f64::from(h.beta)),
                };
                arg(0)?.affine(a, b)?.maximum(0.0)?.minimum(1.0)?
            }
            Op::HardSwish(_) => {
                let (a, b) = match kernel {
                    Kernel::HardSwish { alpha, beta, .. } if fixed => {
                        (alpha.quantized(), beta.quantized())
                    }
                    _ => (1.0 / 6.0, 0.5),
                };
                let x = arg(0)?;
                x.mul(&x.affine(a, b)?.maximum(0.0)?.minimum(1.0)?)?
            }
            Op::Sigmoid(_) => (arg(0)?.neg()?.exp()? + 1.0)?.recip()?,
            Op::Tanh(_) => arg(0)?.tanh()?,
            Op::Selu(s) => arg(0)?
                .elu(f64::from(s.alpha))?
                .affine(f64::from(s.gamma), 0.0)?,
            Op::Softmax(s) => {
                let x = arg(0)?;
                let dims = x.dims().to_vec();
                let flat = if s.coerce_2d {
                    let outer: usize = dims[..s.axis].iter().product();
                    x.reshape((outer, dims[s.axis..].iter().product::<usize>()))?
                } else {
                    x.clone()
                };
                let axis = if s.coerce_2d { 1 } else { s.axis };
                let m = flat.max_keepdim(axis)?.detach();
                let e = flat.broadcast_sub(&m)?.exp()?;
                e.broadcast_div(&e.sum_keepdim(axis)?)?
                    .reshape(dims.as_slice())?
            }
            Op::MaxPool(_) => {
                let w = &self.windows[&n];
                self.gather_pool(arg(0)?, w, f64::NEG_INFINITY)?
                    .max(3)?
                    .reshape(out_dims.as_slice())?
            }
            Op::AveragePool(_) => {
                let w = &self.windows[&n];
                let sums = self.gather_pool(arg(0)?, w, 0.0)?.sum(3)?;
                let factors = self.pool_factors(n, &w.divisors, fixed)?;
                sums.broadcast_mul(&Tensor::from_vec(factors, w.positions, &self.device)?)?
                    .reshape(out_dims.as_slice())?
            }
            Op::GlobalAveragePool(_) | Op::ReduceMean(_) => {
                let x = arg(0)?;
                let axes: Vec<usize> = match &node.op {
                    Op::ReduceMean(r) => r.axes.clone(),
                    _ => (2..x.rank()).collect(),
                };
                let count: usize = axes.iter().map(|&a| x.dims()[a]).product();
                let f = self.pool_factors(n, &[count as u64], fixed)?[0];
                x.sum_keepdim(axes)?
                    .affine(f, 0.0)?
                    .reshape(out_dims.as_slice())?
            }
            Op::GlobalMaxPool(_) => {
                let x = arg(0)?;
                let (b, c) = (x.dims()[0], x.dims()[1]);
                x.reshape((b, c, ()))?
                    .max_keepdim(2)?
                    .reshape(out_dims.as_slice())?
            }
            Op::Flatten(_)
            | Op::Reshape(_)
            | Op::Squeeze(_)
            | Op::Unsqueeze(_)
            | Op::Identity(_)
            | Op::Dropout(_) => arg(0)?.reshape(out_dims.as_slice())?,
            Op::Transpose(t) => arg(0)?.permute(t.perm.clone())?.contiguous()?,
            Op::Concat(c) => Tensor::cat(args, c.axis)?,
            Op::Pad(p) => {
                let x = arg(0)?;
                let r = x.rank();
                let value = if fixed {
                    cast(f64::from(p.value), &self.current_ty(g.inputs_of(n)[0])?).0
                } else {
                    f64::from(p.value)
                };
                let mut y = x.clone();
                let mut ones = x.ones_like()?;
                for a in 0..r {
                    let (b, e) = (p.pads[a], p.pads[a + r]);
                    if b + e > 0 {
                        y = y.pad_with_zeros(a, b, e)?;
                        ones = ones.pad_with_zeros(a, b, e)?;
                    }
                }
                if value != 0.0 {
                    y = (y + ones.affine(-value, value)?)?;
                }
                y
            }
            Op::Gemm(_) | Op::MatMul(_) | Op::BatchNorm(_) | Op::Quant(_) => {
                return Err(Step::Learn(LearnError::node(
                    &node.name,
                    node.op.name(),
                    "not supported by the learning forward (run the cleanup passes)",
                )))
            }
        };
        self.cast(n, y, mode)
    }

    /// `1/n` per window divisor: the typed (quantized) reciprocals, or the exact ones.
    fn pool_factors(&self, n: NodeIndex, divisors: &[u64], fixed: bool) -> Result<Vec<f64>, Step> {
        let node = self.graph.node(n);
        let reciprocal = match &self.kernels[&n] {
            Kernel::Pool { reciprocal, .. } => reciprocal,
            _ => {
                return Err(Step::Learn(LearnError::node(
                    &node.name,
                    node.op.name(),
                    "typed without a pooling kernel",
                )))
            }
        };
        divisors
            .iter()
            .map(|&d| {
                if !fixed {
                    return Ok(1.0 / d.max(1) as f64);
                }
                reciprocal
                    .divisors
                    .iter()
                    .position(|&k| k == d)
                    .map(|i| reciprocal.factors[i].quantized())
                    .ok_or_else(|| {
                        Step::Learn(LearnError::node(
                            &node.name,
                            node.op.name(),
                            format!("no typed reciprocal for a window of {d}"),
                        ))
                    })
            })
            .collect()
    }

    /// `[N, C, positions, taps]`: each output position's window, padding read as `pad`.
    fn gather_pool(&self, x: &Tensor, w: &Windows, pad: f64) -> Result<Tensor, Step> {
        let (b, c) = (x.dims()[0], x.dims()[1]);
        let flat = x.reshape((b, c, ()))?;
        let fill = Tensor::full(pad, (b, c, 1), &self.device)?;
        let padded = Tensor::cat(&[&flat, &fill], 2)?;
        Ok(padded
            .index_select(&w.index, 2)?
            .reshape((b, c, w.positions, w.taps))?)
    }

    /// Convolution as a gather (im2col) and a batched matmul per group.
    fn conv(
        &self,
        n: NodeIndex,
        x: &Tensor,
        w: &Tensor,
        bias: Option<&Tensor>,
        group: usize,
        batch: usize,
    ) -> Result<Tensor, Step> {
        let win = &self.windows[&n];
        let node = self.graph.node(n);
        let g = group.max(1);
        let m = w.dims()[0];
        let b = x.dims()[0];
        let flat = x.reshape((b, ()))?;
        let zero = Tensor::zeros((b, 1), DType::F64, &self.device)?;
        let cols = Tensor::cat(&[&flat, &zero], 1)?
            .index_select(&win.index, 1)?
            .reshape((b, g, win.taps, win.positions))?;
        let wg = w.reshape((g, m / g, win.taps))?;
        let mut y = wg
            .broadcast_matmul(&cols)?
            .reshape(node.shape.concrete(batch).as_slice())?;
        if let Some(bias) = bias {
            let mut dims = vec![1usize; y.rank()];
            dims[1] = m;
            y = y.broadcast_add(&bias.reshape(dims.as_slice())?)?;
        }
        Ok(y)
    }

    /// Logits for many samples at once, in batches, as rows of f64.
    pub fn predict(&self, x: &Tensor, mode: Mode, batch: usize) -> Result<Tensor, LearnError> {
        let n = x.dims()[0];
        let mut parts = Vec::new();
        let mut start = 0;
        while start < n {
            let len = batch.min(n - start);
            let xb = x
                .narrow(0, start, len)
                .map_err(|e| LearnError::candle(&self.graph.name, "Graph", e))?;
            parts.push(self.forward(&xb, mode)?.detach());
            start += len;
        }
        Tensor::cat(&parts, 0).map_err(|e| LearnError::candle(&self.graph.name, "Graph", e))
    }
}

/// An error inside one node's forward.
pub(super) enum Step {
    Candle(candle_core::Error),
    Learn(LearnError),
}

impl From<candle_core::Error> for Step {
    fn from(e: candle_core::Error) -> Step {
        Step::Candle(e)
    }
}

impl From<LearnError> for Step {
    fn from(e: LearnError) -> Step {
        Step::Learn(e)
    }
}

/// `K` when `n` is the weight of a K-hot layer.
fn khot_of(g: &Graph, typed: &TypedGraph, n: NodeIndex) -> Option<u32> {
    g.consumers(n).iter().find_map(
        |&(c, slot)| match (slot, typed.layer(c).map(|l| &l.kernel)) {
            (1, Some(Kernel::Mac { khot, .. })) => *khot,
            _ => None,
        },
    )
}

/// Ops (and typed kernels) the learning forward computes; anything else is a typed error.
fn check_supported(g: &Graph, n: NodeIndex, kernel: &Kernel) -> Result<(), LearnError> {
    let node = g.node(n);
    let ok = match (&node.op, kernel) {
        (Op::Input(_) | Op::Const(_), Kernel::Source) => true,
        (Op::Conv(c), Kernel::Mac { .. }) => c.window.kernel.len() <= 2,
        (Op::Dense(_) | Op::Affine(_), Kernel::Mac { .. }) => true,
        (Op::Add(_) | Op::Sub(_) | Op::Mul(_), Kernel::Elementwise { .. }) => true,
        (Op::Div(_), Kernel::Scale { .. }) => true,
        (Op::LeakyRelu(_), Kernel::LeakyRelu { .. }) => true,
        (Op::HardSigmoid(_), Kernel::HardSigmoid { .. }) => true,
        (Op::HardSwish(_), Kernel::HardSwish { .. }) => true,
        (Op::Sigmoid(_) | Op::Tanh(_) | Op::Selu(_), Kernel::Lut { .. }) => true,
        (Op::Softmax(_), Kernel::Softmax { .. }) => true,
        (
            Op::AveragePool(_) | Op::GlobalAveragePool(_) | Op::ReduceMean(_),
            Kernel::Pool { .. },
        ) => true,
        (Op::Relu(_) | Op::Clip(_) | Op::Concat(_), Kernel::Move | Kernel::Cast) => true,
        (
            Op::Flatten(_)
            | Op::Reshape(_)
            | Op::Squeeze(_)
            | Op::Unsqueeze(_)
            | Op::Transpose(_)
            | Op::Identity(_)
            | Op::Dropout(_)
            | Op::MaxPool(_)
            | Op::GlobalMaxPool(_)
            | Op::Pad(_),
            Kernel::Move,
        ) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(shape_err(
            g,
            n,
            format!(
                "the learning forward does not support this op with a {} kernel",
                kernel.class()
            ),
        ))
    }
}

/// Gather indices of Conv, MaxPool and AveragePool nodes.
fn build_windows(g: &Graph, n: NodeIndex, device: &Device) -> Result<Option<Windows>, LearnError> {
    let node = g.node(n);
    let (window, conv_group, include_pad) = match &node.op {
        Op::Conv(c) => (&c.window, Some(c.group.max(1)), false),
        Op::MaxPool(p) => (&p.window, None, false),
        Op::AveragePool(p) => (&p.window, None, p.count_include_pad),
        _ => return Ok(None),
    };
    let x = g
        .inputs_of(n)
        .first()
        .map(|&i| g.node(i).shape.clone())
        .ok_or_else(|| shape_err(g, n, "no input"))?;
    let dims: Vec<usize> = (1..x.rank())
        .map(|a| x.fixed_dim(a))
        .collect::<Result<_, _>>()
        .map_err(|r| shape_err(g, n, r))?;
    let (c, spatial) = (dims[0], &dims[1..]);
    let geo = window.geom2(spatial).map_err(|r| shape_err(g, n, r))?;
    let plane = geo.ih * geo.iw;
    let positions = geo.oh * geo.ow;
    let kk = geo.kh * geo.kw;
    let tap = |oy: usize, ox: usize, ky: usize, kx: usize| -> Option<usize> {
        let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
        let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
        (iy >= 0 && ix >= 0 && (iy as usize) < geo.ih && (ix as usize) < geo.iw)
            .then(|| iy as usize * geo.iw + ix as usize)
    };
    let mut index: Vec<u32> = Vec::new();
    let (taps, divisors) = match conv_group {
        Some(group) => {
            // [C][ky][kx][position]: group-major, as the weight [M, C/group, k] reshapes.
            let pad = (c * plane) as u32;
            for ci in 0..c {
                for ky in 0..geo.kh {
                    for kx in 0..geo.kw {
                        for oy in 0..geo.oh {
                            for ox in 0..geo.ow {
                                index.push(
                                    tap(oy, ox, ky, kx).map_or(pad, |t| (ci * plane + t) as u32),
                                );
                            }
                        }
                    }
                }
            }
            ((c / group) * kk, Vec::new())
        }
        None => {
            // [position][ky][kx] within one channel.
            let pad = plane as u32;
            let mut divisors = Vec::with_capacity(positions);
            for oy in 0..geo.oh {
                for ox in 0..geo.ow {
                    let (mut valid, mut padded) = (0u64, 0u64);
                    for ky in 0..geo.kh {
                        for kx in 0..geo.kw {
                            let t = tap(oy, ox, ky, kx);
                            index.push(t.map_or(pad, |t| t as u32));
                            valid += u64::from(t.is_some());
                            padded += u64::from(in_padded(&geo, oy, ox, ky, kx));
                        }
                    }
                    divisors.push(if include_pad { padded } else { valid }.max(1));
                }
            }
            (kk, divisors)
        }
    };
    let len = index.len();
    let index = Tensor::from_vec(index, len, device)
        .map_err(|e| LearnError::candle(&node.name, node.op.name(), e))?;
    Ok(Some(Windows {
        index,
        positions,
        taps,
        divisors,
    }))
}

/// Whether a tap lies inside the padded input (what `count_include_pad` counts).
fn in_padded(geo: &Geom2, oy: usize, ox: usize, ky: usize, kx: usize) -> bool {
    let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
    let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
    iy < (geo.ih + geo.pb) as isize && ix < (geo.iw + geo.pr) as isize
}

/// The last axis of a tensor (for losses).
pub const LAST: D = D::Minus1;
