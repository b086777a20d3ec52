//! The typing pass: float graph + precision config + ranges → [`TypedGraph`].
//!
//! Nodes are typed in topological order. A *declared* type (graph inputs, constants, every layer that
//! computes new values) takes `W` from the config and `I` from, in this order: a pinned `type`, a fixed
//! `int_bits`, or the tensor's range ([`fit_int_bits`]: the fewest integer bits whose cast of the
//! range's ends does not overflow). Ranges come from calibration, or from interval propagation over
//! the *typed* values (quantized weights, input ranges after their casts), which makes propagated
//! types overflow-free for every input in the input range. Data movement (Flatten, Reshape, MaxPool,
//! ReLU, Clip, ...) keeps its input's type unless its own config asks for one. Kernel intermediates
//! (accumulators, products, sums) are exact: see [`Kernel`].

use super::bits::{
    ceil_log2_u64, const_int_bits, difference_type, fit_int_bits, mac_accumulator,
    mac_accumulator_wide, product_type, quantize, sum_type, type_range, Wide,
};
use super::calibrate::{Calibration, Method};
use super::config::{ParamRole, PrecisionConfig, Resolved, OP_ALIASES};
use super::lut::{design, saturation_point, LutFunction, LutSpec, TableRequest};
use super::ranges::{const_values, transfer, Interval};
use super::serde_fixed::AccumSpec;
use super::typed::{
    verify_typed, Kernel, LayerTypes, Reciprocal, ScalarConst, TypeOrigin, TypedGraph, TypedTensor,
    MAX_WIDE_MAC,
};
use super::QuantError;
use crate::ir::ops::Window;
use crate::ir::{Graph, Node, Op};
use binpoint_runtime::{FixedType, Overflow};
use petgraph::stable_graph::NodeIndex;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Where the ranges that set integer bits come from.
#[derive(Clone, Debug)]
pub enum RangeSource<'a> {
    /// A calibration run of this graph.
    Calibrated(&'a Calibration),
    /// Interval propagation from these input ranges (one per graph input, or one for all).
    Propagated(Vec<Interval>),
}

/// Types every tensor of `g` (a cleaned-up float graph). The result passes [`verify_typed`].
pub fn type_graph(
    g: &Graph,
    cfg: &PrecisionConfig,
    ranges: RangeSource<'_>,
) -> Result<TypedGraph, QuantError> {
    cfg.check_names(g)?;
    let user_pins = cfg.pinned_names();
    let with_model;
    let cfg = if g.model_types.is_empty() {
        cfg
    } else {
        with_model = cfg.with_model_types(&g.model_types);
        &with_model
    };
    let describe = match &ranges {
        RangeSource::Calibrated(c) => {
            let headroom = match c.headroom {
                0 => String::new(),
                h => format!(", headroom {h} bits: ranges × {}", 1u64 << h),
            };
            match c.method {
                Method::MaxAbs => {
                    format!("calibration (max-abs, {} samples{headroom})", c.samples)
                }
                Method::Percentile(p) => {
                    format!(
                        "calibration (percentile {p}, {} samples{headroom})",
                        c.samples
                    )
                }
            }
        }
        RangeSource::Propagated(v) => format!(
            "propagation from {}",
            v.iter()
                .map(|i| format!("[{}, {}]", i.lo, i.hi))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let order = g
        .topo_order()
        .map_err(|_| QuantError::node(g, &g.name, "Graph", "graph has a cycle"))?;
    let mut t = Typer {
        g,
        cfg,
        user_pins,
        ranges,
        layers: BTreeMap::new(),
        values: BTreeMap::new(),
        warnings: RefCell::new(Vec::new()),
        projected: RefCell::new(BTreeMap::new()),
    };
    for n in order {
        t.type_node(n)?;
    }
    let mut graph = g.clone();
    for (n, values) in t.projected.take() {
        super::khot::store_projected(&mut graph, n, &values)?;
    }
    for (&n, layer) in &t.layers {
        graph.set_type(n, crate::ir::TensorType::Fixed(layer.output.ty));
    }
    let typed = TypedGraph {
        graph,
        layers: t.layers,
        warnings: t.warnings.into_inner(),
        config: cfg.source.clone(),
        ranges: describe,
    };
    verify_typed(&typed)?;
    Ok(typed)
}

struct Typer<'a> {
    g: &'a Graph,
    cfg: &'a PrecisionConfig,
    /// Names the user's own config pins a `type` for (they win over the model's quantizers).
    user_pins: std::collections::BTreeSet<String>,
    ranges: RangeSource<'a>,
    layers: BTreeMap<NodeIndex, LayerTypes>,
    /// With propagation: the range of each tensor's typed values.
    values: BTreeMap<NodeIndex, Interval>,
    warnings: RefCell<Vec<String>>,
    /// Weights of K-hot layers, projected (`quant::khot`) in their type: written into the typed
    /// graph's constants.
    projected: RefCell<BTreeMap<NodeIndex, Vec<f64>>>,
}

/// The weight types of `g`'s constants as [`type_graph`] gives them (they depend only on the
/// constants' values and the config), for the K-hot projection before calibration.
pub(crate) fn const_type(
    g: &Graph,
    cfg: &PrecisionConfig,
    n: NodeIndex,
) -> Result<FixedType, QuantError> {
    let t = Typer {
        g,
        cfg,
        user_pins: Default::default(),
        ranges: RangeSource::Propagated(Vec::new()),
        layers: BTreeMap::new(),
        values: BTreeMap::new(),
        warnings: RefCell::new(Vec::new()),
        projected: RefCell::new(BTreeMap::new()),
    };
    Ok(t.const_typed(n)?.output.ty)
}

/// A node's output and kernel, before they are stored.
struct Typed {
    output: TypedTensor,
    kernel: Kernel,
    /// With propagation: the range of the typed output values.
    values: Option<Interval>,
}

impl<'a> Typer<'a> {
    fn propagating(&self) -> bool {
        matches!(self.ranges, RangeSource::Propagated(_))
    }

    fn err(&self, n: NodeIndex, reason: impl Into<String>) -> QuantError {
        let node = self.g.node(n);
        QuantError::node(self.g, &node.name, node.op.name(), reason)
    }

    fn too_wide(&self, n: NodeIndex, what: &'static str, width: i64, detail: String) -> QuantError {
        self.too_wide_for(n, what, width, 64, detail)
    }

    /// [`Typer::too_wide`] for a kernel whose limit is `max` bits.
    fn too_wide_for(
        &self,
        n: NodeIndex,
        what: &'static str,
        width: i64,
        max: u32,
        detail: String,
    ) -> QuantError {
        let node = self.g.node(n);
        QuantError::TooWide {
            file: self.g.source.clone(),
            node: node.name.clone(),
            op: node.op.name().into(),
            what,
            width,
            max,
            detail,
        }
    }

    fn ty(&self, n: NodeIndex) -> FixedType {
        self.layers[&n].output.ty
    }

    /// The range of `k`'s values as its consumers see them: with propagation the typed values, with
    /// calibration the observed range (constants: their values).
    fn input_range(&self, k: NodeIndex) -> Result<Interval, QuantError> {
        if let Some(v) = self.values.get(&k) {
            return Ok(*v);
        }
        if let RangeSource::Calibrated(c) = &self.ranges {
            if let Some((lo, hi)) = c.range(k) {
                return Ok(Interval::new(lo, hi));
            }
        }
        Ok(self.layers[&k].output.range)
    }

    /// The calibrated range of `n`'s output, or `propagated` (computed only when propagating).
    fn out_range(
        &self,
        n: NodeIndex,
        propagated: impl FnOnce() -> Result<Interval, String>,
    ) -> Result<(Interval, TypeOrigin), QuantError> {
        match &self.ranges {
            RangeSource::Calibrated(c) => {
                let (lo, hi) = c.range(n).ok_or_else(|| {
                    self.err(
                        n,
                        "has no calibration statistics (calibrate this same graph)",
                    )
                })?;
                let origin = match c.method {
                    Method::MaxAbs => TypeOrigin::Calibrated,
                    Method::Percentile(_) => TypeOrigin::Percentile,
                };
                Ok((Interval::new(lo, hi), origin))
            }
            RangeSource::Propagated(_) => Ok((
                propagated().map_err(|r| self.err(n, r))?,
                TypeOrigin::Propagated,
            )),
        }
    }

    /// A declared type for `range` under `res`.
    fn declare(
        &self,
        n: NodeIndex,
        res: &Resolved,
        range: Interval,
        origin: TypeOrigin,
    ) -> Result<TypedTensor, QuantError> {
        let constant = origin == TypeOrigin::Values;
        if let Some(ty) = res.ty {
            let node = self.g.node(n);
            let user = self.user_pins.contains(&node.name) || self.user_pins.contains(&node.tensor);
            let model = self.g.model_types.get(&node.tensor) == Some(&ty);
            return Ok(TypedTensor {
                ty,
                range,
                origin: if model && !user {
                    TypeOrigin::Model
                } else {
                    TypeOrigin::Pinned
                },
            });
        }
        let signed = !(res.unsigned && range.lo >= 0.0);
        if res.unsigned && signed {
            let name = &self.g.node(n).name;
            self.warnings.borrow_mut().push(format!(
                "'{name}': unsigned asked, but its range [{}, {}] has negative values: kept signed",
                range.lo, range.hi
            ));
        }
        let (int_bits, origin) = match res.int_bits {
            Some(i) => (i, TypeOrigin::Config),
            None if constant => (
                const_int_bits(
                    range.lo,
                    range.hi,
                    res.bits,
                    signed,
                    res.rounding,
                    res.overflow,
                )
                .map_err(|e| self.err(n, e.to_string()))?,
                origin,
            ),
            None => (
                fit_int_bits(range.lo, range.hi, res.bits, signed, res.rounding)
                    .map_err(|e| self.err(n, e.to_string()))?,
                origin,
            ),
        };
        let ty = FixedType::new(
            signed,
            res.bits,
            int_bits,
            res.rounding,
            res.overflow,
            res.sat_bits,
        )
        .map_err(|e| self.err(n, format!("invalid type from the config: {e}")))?;
        Ok(TypedTensor { ty, range, origin })
    }

    /// A declared output plus, when propagating, the range of its typed values.
    fn declared(
        &self,
        n: NodeIndex,
        kernel: Kernel,
        propagated: impl FnOnce() -> Result<Interval, String>,
    ) -> Result<Typed, QuantError> {
        let res = self.cfg.resolve(self.g.node(n));
        let (range, origin) = self.out_range(n, propagated)?;
        let output = self.declare(n, &res, range, origin)?;
        let values = self.propagating().then(|| cast_range(range, output.ty));
        Ok(Typed {
            output,
            kernel,
            values,
        })
    }

    /// A scalar constant of a kernel, typed from its value with `bits`.
    fn scalar(
        &self,
        n: NodeIndex,
        value: f64,
        bits: u32,
        res: &Resolved,
    ) -> Result<ScalarConst, QuantError> {
        let i = const_int_bits(value, value, bits, true, res.rounding, Overflow::Sat)
            .map_err(|e| self.err(n, e.to_string()))?;
        let ty = FixedType::new(true, bits, i, res.rounding, Overflow::Sat, 0)
            .map_err(|e| self.err(n, e.to_string()))?;
        ScalarConst::new(value, ty).map_err(|r| self.err(n, r))
    }

    fn type_node(&mut self, n: NodeIndex) -> Result<(), QuantError> {
        let g = self.g;
        let node = g.node(n);
        let ins = g.inputs_of(n);
        let typed = match &node.op {
            Op::Input(_) => {
                let res = self.cfg.resolve(node);
                let (range, origin) = match &self.ranges {
                    RangeSource::Propagated(v) => {
                        let pos = g.inputs().iter().position(|&i| i == n).unwrap_or(0);
                        let r = v
                            .get(pos)
                            .or(v.last())
                            .copied()
                            .ok_or_else(|| self.err(n, "no input range given"))?;
                        (r, TypeOrigin::Propagated)
                    }
                    RangeSource::Calibrated(_) => self.out_range(n, unreachable_range)?,
                };
                let output = self.declare(n, &res, range, origin)?;
                let values = self.propagating().then(|| cast_range(range, output.ty));
                Typed {
                    output,
                    kernel: Kernel::Source,
                    values,
                }
            }
            Op::Const(_) => self.type_const(n)?,
            Op::Conv(_) | Op::Dense(_) | Op::Affine(_) => self.type_mac(n, &ins)?,
            Op::Add(_) | Op::Sub(_) | Op::Mul(_) => {
                let (a, b) = (self.ty(ins[0]), self.ty(ins[1]));
                let exact = match node.op {
                    Op::Mul(_) => product_type(a, b),
                    Op::Sub(_) => difference_type(a, b),
                    _ => sum_type(a, b),
                }
                .map_err(|e| self.err(n, e.to_string()))?;
                if exact.width() > 64 {
                    return Err(self.too_wide(
                        n,
                        "exact result",
                        i64::from(exact.width()),
                        format!("{} of {a} and {b}", node.op.name()),
                    ));
                }
                let ranges = self.in_ranges(&ins)?;
                self.declared(n, Kernel::Elementwise { accum: exact }, || {
                    transfer(g, n, &ranges, &|k| self.quantized(k))
                })?
            }
            Op::Div(_) => self.type_div(n, &ins)?,
            Op::LeakyRelu(l) => {
                let res = self.cfg.resolve(node);
                let alpha = self.scalar(n, f64::from(l.alpha), res.weight_bits, &res)?;
                let x = self.ty(ins[0]);
                let product = product_type(x, alpha.ty).map_err(|e| self.err(n, e.to_string()))?;
                if product.width() > 64 {
                    return Err(self.too_wide(
                        n,
                        "product x·alpha",
                        product.width().into(),
                        format!("{x} × {}", alpha.ty),
                    ));
                }
                let xr = self.input_range(ins[0])?;
                let a = alpha.quantized();
                self.declared(n, Kernel::LeakyRelu { alpha, product }, || {
                    let f = |x: f64| if x >= 0.0 { x } else { a * x };
                    let r = Interval::point(f(xr.lo)).with(f(xr.hi));
                    Ok(if xr.lo < 0.0 && xr.hi > 0.0 {
                        r.with(0.0)
                    } else {
                        r
                    })
                })?
            }
            Op::HardSigmoid(h) => {
                let res = self.cfg.resolve(node);
                let alpha = self.scalar(n, f64::from(h.alpha), res.weight_bits, &res)?;
                let beta = self.scalar(n, f64::from(h.beta), res.bias_bits, &res)?;
                let x = self.ty(ins[0]);
                let accum = mac_accumulator(x, alpha.ty, Some(beta.ty), 1).map_err(|w| {
                    self.too_wide(
                        n,
                        "accumulator x·alpha + beta",
                        w,
                        format!("{x} × {}", alpha.ty),
                    )
                })?;
                let xr = self.input_range(ins[0])?;
                let (a, b) = (alpha.quantized(), beta.quantized());
                self.declared(n, Kernel::HardSigmoid { alpha, beta, accum }, || {
                    let f = |x: f64| (a * x + b).clamp(0.0, 1.0);
                    Ok(Interval::point(f(xr.lo)).with(f(xr.hi)))
                })?
            }
            Op::HardSwish(_) => self.type_hard_swish(n, &ins)?,
            Op::AveragePool(_) | Op::GlobalAveragePool(_) | Op::ReduceMean(_) => {
                self.type_pool(n, &ins)?
            }
            Op::Sigmoid(_) | Op::Tanh(_) | Op::Selu(_) => self.type_lut(n, &ins)?,
            Op::Softmax(_) => self.type_softmax(n, &ins)?,
            Op::Relu(_) | Op::Clip(_) => {
                let res = self.cfg.resolve(node);
                if res.unsigned || self.explicit_output(node) {
                    self.type_cast(n, &ins)?
                } else {
                    self.type_move(n, &ins)?
                }
            }
            Op::Concat(_) => {
                let first = self.ty(ins[0]);
                if ins.iter().all(|&k| self.ty(k) == first) && !self.explicit_output(node) {
                    self.type_move(n, &ins)?
                } else {
                    self.type_cast(n, &ins)?
                }
            }
            Op::Flatten(_)
            | Op::Reshape(_)
            | Op::Squeeze(_)
            | Op::Unsqueeze(_)
            | Op::Transpose(_)
            | Op::Identity(_)
            | Op::Dropout(_)
            | Op::MaxPool(_)
            | Op::GlobalMaxPool(_)
            | Op::Pad(_) => {
                if self.explicit_output(node) {
                    self.warnings.borrow_mut().push(format!(
                        "'{}' ({}): moves its input's raw bits; the type asked for it is ignored",
                        node.name,
                        node.op.name()
                    ));
                }
                if let Op::Pad(p) = &node.op {
                    let ty = self.ty(ins[0]);
                    if super::bits::overflows(f64::from(p.value), ty) {
                        return Err(self.err(
                            n,
                            format!("pad value {} does not fit the input type {ty}", p.value),
                        ));
                    }
                }
                self.type_move(n, &ins)?
            }
            Op::Gemm(_) | Op::MatMul(_) => {
                return Err(self.err(
                    n,
                    "has no fixed-point kernel: run the cleanup passes first (fuse-dense turns \
                     Gemm and MatMul with a constant weight into Dense)",
                ))
            }
            Op::Quant(_) => {
                return Err(self.err(
                    n,
                    "has no fixed-point kernel: run the cleanup passes first (fold-quantizers \
                     turns Quant into types)",
                ))
            }
            Op::BatchNorm(_) => return Err(self.err(
                n,
                "has no fixed-point kernel: run the cleanup passes first (fold-batch-norm turns \
                     BatchNormalization with constant parameters into Affine or folds it)",
            )),
        };
        if let Some(v) = typed.values {
            self.values.insert(n, v);
        }
        let layer = LayerTypes {
            node: node.name.clone(),
            tensor: node.tensor.clone(),
            op: node.op.name().into(),
            inputs: ins.iter().map(|&k| g.node(k).tensor.clone()).collect(),
            output: typed.output,
            kernel: typed.kernel,
        };
        self.layers.insert(n, layer);
        Ok(())
    }

    fn in_ranges(&self, ins: &[NodeIndex]) -> Result<Vec<Interval>, QuantError> {
        ins.iter().map(|&k| self.input_range(k)).collect()
    }

    /// A constant's values cast to its type.
    fn quantized(&self, k: NodeIndex) -> Option<Vec<f64>> {
        if let Some(v) = self.projected.borrow().get(&k) {
            return Some(v.clone());
        }
        let ty = self.layers.get(&k)?.output.ty;
        Some(
            const_values(self.g, k)?
                .into_iter()
                .map(|v| quantize(v, ty))
                .collect(),
        )
    }

    /// Whether the node's own `[layer]` or `[op]` tables set a key of its output type.
    fn explicit_output(&self, node: &Node) -> bool {
        let op = node.op.name();
        let mut tables = vec![
            self.cfg.layer.get(&node.name),
            self.cfg.layer.get(&node.tensor),
        ];
        tables.push(self.cfg.op.get(op));
        for (alias, target) in OP_ALIASES {
            if *target == op {
                tables.push(self.cfg.op.get(*alias));
            }
        }
        tables.into_iter().flatten().any(|l| {
            l.bits.is_some() || l.int_bits.is_some() || l.ty.is_some() || l.unsigned.is_some()
        })
    }

    /// The K of a `khot` Conv/Dense node (`None` for every other op).
    fn khot_of(&self, n: NodeIndex) -> Option<u32> {
        let node = self.g.node(n);
        match node.op {
            Op::Conv(_) | Op::Dense(_) => self.cfg.resolve(node).khot,
            _ => None,
        }
    }

    /// A constant: typed from its values; the weights of K-hot layers are then projected.
    fn type_const(&self, n: NodeIndex) -> Result<Typed, QuantError> {
        let mut typed = self.const_typed(n)?;
        let ks: Vec<(NodeIndex, u32)> = self
            .g
            .consumers(n)
            .into_iter()
            .filter(|&(_, slot)| slot == 1)
            .filter_map(|(c, _)| self.khot_of(c).map(|k| (c, k)))
            .collect();
        let Some(&(first, k)) = ks.iter().min_by_key(|c| c.1) else {
            return Ok(typed);
        };
        if ks.iter().any(|c| c.1 != k) {
            self.warnings.borrow_mut().push(format!(
                "weight '{}' is shared by K-hot layers with different khot: projected with the \
                 smallest, {k} (of '{}')",
                self.g.node(n).name,
                self.g.node(first).name
            ));
        }
        let ty = typed.output.ty;
        let values: Vec<f64> = const_values(self.g, n)
            .unwrap_or_default()
            .into_iter()
            .map(|v| super::khot::project(v, k, &ty))
            .collect();
        let range = values
            .iter()
            .fold(None, |acc: Option<Interval>, &v| {
                Some(acc.map_or(Interval::point(v), |a| a.with(v)))
            })
            .unwrap_or(Interval::point(0.0));
        typed.output.range = range;
        if self.propagating() {
            typed.values = Some(range);
        }
        self.projected.borrow_mut().insert(n, values);
        Ok(typed)
    }

    fn const_typed(&self, n: NodeIndex) -> Result<Typed, QuantError> {
        let g = self.g;
        let node = g.node(n);
        let role = |c: NodeIndex, slot: usize| match (&g.node(c).op, slot) {
            (Op::Conv(_) | Op::Dense(_) | Op::Affine(_), 2) => ParamRole::Bias,
            _ => ParamRole::Weight,
        };
        let consumers = g.consumers(n);
        let res = match consumers.first() {
            Some(&(c, slot)) => {
                let first = self.cfg.resolve_param(node, g.node(c), role(c, slot));
                for &(other, s) in &consumers[1..] {
                    if self.cfg.resolve_param(node, g.node(other), role(other, s)) != first {
                        self.warnings.borrow_mut().push(format!(
                            "constant '{}' is shared by '{}' and '{}', whose configs differ: typed \
                             with the first one's",
                            node.name,
                            g.node(c).name,
                            g.node(other).name
                        ));
                    }
                }
                first
            }
            None => self.cfg.resolve(node),
        };
        let values = const_values(g, n).unwrap_or_default();
        let range = values
            .iter()
            .fold(None, |acc: Option<Interval>, &v| {
                Some(acc.map_or(Interval::point(v), |a| a.with(v)))
            })
            .unwrap_or(Interval::point(0.0));
        if !(range.lo.is_finite() && range.hi.is_finite()) {
            return Err(self.err(n, "has non-finite values"));
        }
        let output = self.declare(n, &res, range, TypeOrigin::Values)?;
        let values = self.propagating().then(|| cast_range(range, output.ty));
        Ok(Typed {
            output,
            kernel: Kernel::Source,
            values,
        })
    }

    fn type_mac(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let g = self.g;
        let node = g.node(n);
        if ins.len() < 2 || g.const_data(ins[1]).is_none() {
            return Err(self.err(n, "needs a constant weight (scale) in fixed point"));
        }
        if let Some(&b) = ins.get(2) {
            if g.const_data(b).is_none() {
                return Err(self.err(n, "needs a constant bias (shift) in fixed point"));
            }
        }
        let x = self.ty(ins[0]);
        let w = self.ty(ins[1]);
        let b = ins.get(2).map(|&k| self.ty(k));
        let wshape = &g.node(ins[1]).shape;
        let fan_in: u64 = match node.op {
            Op::Affine(_) => 1,
            _ => wshape
                .dims()
                .iter()
                .skip(1)
                .map(|d| d.fixed().unwrap_or(1) as u64)
                .product(),
        };
        let product = product_type(x, w).map_err(|e| self.err(n, e.to_string()))?;
        let user = match (self.cfg.resolve(node).accum, &node.op) {
            (Some(AccumSpec::Type(t)), Op::Conv(_) | Op::Dense(_)) => {
                if self.khot_of(n).is_some() {
                    return Err(self.err(
                        n,
                        format!(
                            "accum = \"{t}\": a K-hot layer needs the exact accumulator (its \
                             shift-add kernels sum without casts); drop accum or khot for it"
                        ),
                    ));
                }
                Some(t)
            }
            _ => None,
        };
        // Dense and Conv multiply in `i128` beyond 64 bits; Affine and K-hot shift-add in `i64`.
        let wide = matches!(node.op, Op::Conv(_) | Op::Dense(_)) && self.khot_of(n).is_none();
        let accum = match user {
            Some(t) => Ok(t),
            None if wide => mac_accumulator_wide(x, w, b, fan_in),
            None => mac_accumulator(x, w, b, fan_in),
        }
        .map_err(|width| {
            self.too_wide_for(
                n,
                "accumulator",
                width,
                if wide { MAX_WIDE_MAC } else { 64 },
                format!(
                    "{x} × {w} summed over {fan_in} products (+{} bits){}",
                    ceil_log2_u64(fan_in),
                    b.map(|b| format!(" + bias {b}")).unwrap_or_default()
                ),
            )
        })?;
        let max = if wide { MAX_WIDE_MAC } else { 64 };
        for (what, t) in [("accumulator", accum), ("product x·w", product)] {
            if t.width() > max {
                let kind = if wide {
                    "the multiply-accumulate kernels compute in at most 128 bits"
                } else {
                    "Affine and K-hot (shift-add) kernels compute in 64 bits"
                };
                return Err(self.too_wide_for(
                    n,
                    what,
                    t.width().into(),
                    max,
                    format!("{x} × {w} over {fan_in} products: {kind}"),
                ));
            }
        }
        let ranges = self.in_ranges(ins)?;
        self.declared(
            n,
            Kernel::Mac {
                weight: w,
                bias: b,
                product,
                accum,
                user_accum: user.is_some(),
                fan_in,
                khot: self.khot_of(n),
            },
            || transfer(g, n, &ranges, &|k| self.quantized(k)),
        )
    }

    fn type_div(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let g = self.g;
        let Some(c) = ins.get(1).and_then(|&k| const_values(g, k)) else {
            return Err(self.err(
                n,
                "divides by a tensor: only division by a constant (a multiply by its reciprocal) \
                 has a fixed-point kernel",
            ));
        };
        if c.contains(&0.0) {
            return Err(self.err(n, "divides by a constant that contains 0"));
        }
        let res = self.cfg.resolve(g.node(n));
        let factors: Vec<f64> = c.iter().map(|v| 1.0 / v).collect();
        let (lo, hi) = factors
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let i = const_int_bits(lo, hi, res.weight_bits, true, res.rounding, Overflow::Sat)
            .map_err(|e| self.err(n, e.to_string()))?;
        let factor_type = FixedType::new(true, res.weight_bits, i, res.rounding, Overflow::Sat, 0)
            .map_err(|e| self.err(n, e.to_string()))?;
        let x = self.ty(ins[0]);
        let product = product_type(x, factor_type).map_err(|e| self.err(n, e.to_string()))?;
        if product.width() > 64 {
            return Err(self.too_wide(
                n,
                "product x·(1/c)",
                product.width().into(),
                format!("{x} × {factor_type}"),
            ));
        }
        let xr = self.input_range(ins[0])?;
        let q = Interval::new(quantize(lo, factor_type), quantize(hi, factor_type));
        self.declared(
            n,
            Kernel::Scale {
                factor_type,
                product,
            },
            || {
                Ok(Interval::point(xr.lo * q.lo)
                    .with(xr.lo * q.hi)
                    .with(xr.hi * q.lo)
                    .with(xr.hi * q.hi))
            },
        )
    }

    fn type_hard_swish(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let res = self.cfg.resolve(self.g.node(n));
        let alpha = self.scalar(n, 1.0 / 6.0, res.weight_bits, &res)?;
        let beta = self.scalar(n, 0.5, res.bias_bits, &res)?;
        let x = self.ty(ins[0]);
        let accum = mac_accumulator(x, alpha.ty, Some(beta.ty), 1).map_err(|w| {
            self.too_wide(
                n,
                "accumulator x·alpha + beta",
                w,
                format!("{x} × {}", alpha.ty),
            )
        })?;
        let frac = accum.frac_bits();
        if frac < 0 {
            return Err(self.err(
                n,
                format!("the gate accumulator {accum} cannot hold 1 (no fractional bits)"),
            ));
        }
        let gate_width = i64::from(frac) + 1;
        let gate = Wide {
            signed: false,
            width: gate_width,
            int_bits: 1,
        }
        .declare()
        .map_err(|w| self.too_wide(n, "gate clamp(x·alpha + beta, 0, 1)", w, format!("{accum}")))?;
        let product = product_type(x, gate).map_err(|e| self.err(n, e.to_string()))?;
        if product.width() > 64 {
            return Err(self.too_wide(
                n,
                "product x·gate",
                product.width().into(),
                format!("{x} × {gate}"),
            ));
        }
        let xr = self.input_range(ins[0])?;
        let (a, b) = (alpha.quantized(), beta.quantized());
        let kernel = Kernel::HardSwish {
            alpha,
            beta,
            accum,
            gate,
            product,
        };
        self.declared(n, kernel, || {
            let f = |x: f64| x * (a * x + b).clamp(0.0, 1.0);
            let crit = [-b / a, (1.0 - b) / a, -b / (2.0 * a)];
            let mut r = Interval::point(f(xr.lo)).with(f(xr.hi));
            for c in crit {
                if xr.lo < c && c < xr.hi {
                    r = r.with(f(c));
                }
            }
            Ok(r)
        })
    }

    fn type_pool(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let g = self.g;
        let node = g.node(n);
        let xs = &g.node(ins[0]).shape;
        let fixed = |axis: usize| xs.fixed_dim(axis).map_err(|r| self.err(n, r));
        let (divisors, pads_counted) = match &node.op {
            Op::AveragePool(p) => {
                let spatial: Vec<usize> = (2..xs.rank()).map(fixed).collect::<Result<_, _>>()?;
                let d = pool_divisors(&p.window, &spatial, p.count_include_pad)
                    .map_err(|r| self.err(n, r))?;
                (
                    d,
                    p.count_include_pad && p.window.pads.iter().any(|&v| v > 0),
                )
            }
            Op::GlobalAveragePool(_) => {
                let size: usize = (2..xs.rank()).map(fixed).product::<Result<_, _>>()?;
                (vec![size as u64], false)
            }
            Op::ReduceMean(r) => {
                let size: usize = r.axes.iter().map(|&a| fixed(a)).product::<Result<_, _>>()?;
                (vec![size as u64], false)
            }
            _ => return Err(self.err(n, "not a pooling op")),
        };
        let largest = divisors.first().copied().unwrap_or(1).max(1);
        let x = self.ty(ins[0]);
        let grow = i64::from(ceil_log2_u64(largest));
        let sum = Wide {
            signed: x.is_signed(),
            width: i64::from(x.width()) + grow,
            int_bits: i64::from(x.int_bits()) + grow,
        }
        .declare()
        .map_err(|w| self.too_wide(n, "window sum", w, format!("{largest} values of {x}")))?;
        let res = self.cfg.resolve(node);
        let single_pow2 = match divisors.as_slice() {
            [d] if d.is_power_of_two() => Some(d.trailing_zeros()),
            _ => None,
        };
        let factor_type = match single_pow2 {
            // 2^-k is exact in one bit: ap_ufixed<1, 1-k>.
            Some(k) => FixedType::new(false, 1, 1 - k as i32, res.rounding, Overflow::Sat, 0),
            None => {
                let smallest = divisors.last().copied().unwrap_or(1).max(1);
                let top = 1.0 / smallest as f64;
                let i = const_int_bits(
                    top,
                    top,
                    res.weight_bits,
                    false,
                    res.rounding,
                    Overflow::Sat,
                )
                .map_err(|e| self.err(n, e.to_string()))?;
                FixedType::new(false, res.weight_bits, i, res.rounding, Overflow::Sat, 0)
            }
        }
        .map_err(|e| self.err(n, e.to_string()))?;
        let factors: Vec<ScalarConst> = divisors
            .iter()
            .map(|&d| ScalarConst::new(1.0 / d.max(1) as f64, factor_type))
            .collect::<Result<_, _>>()
            .map_err(|r| self.err(n, r))?;
        let product = product_type(sum, factor_type).map_err(|e| self.err(n, e.to_string()))?;
        if product.width() > 64 {
            return Err(self.too_wide(
                n,
                "product sum·(1/n)",
                product.width().into(),
                format!("{sum} × {factor_type}"),
            ));
        }
        let mut xr = self.input_range(ins[0])?;
        if pads_counted {
            xr = xr.with(0.0);
        }
        let scales: Vec<f64> = divisors
            .iter()
            .zip(&factors)
            .map(|(&d, f)| d as f64 * f.quantized())
            .collect();
        let kernel = Kernel::Pool {
            sum,
            reciprocal: Reciprocal {
                divisors,
                factors,
                shift: single_pow2,
            },
            product,
        };
        self.declared(n, kernel, || {
            Ok(scales
                .iter()
                .map(|&s| Interval::point(xr.lo * s).with(xr.hi * s))
                .reduce(Interval::hull)
                .unwrap_or(xr))
        })
    }

    fn type_lut(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let node = self.g.node(n);
        let res = self.cfg.resolve(node);
        let function = match &node.op {
            Op::Sigmoid(_) => LutFunction::Sigmoid,
            Op::Selu(s) => LutFunction::Selu {
                alpha: s.alpha,
                gamma: s.gamma,
            },
            _ => LutFunction::Tanh,
        };
        let x = self.ty(ins[0]);
        let observed = self.input_range(ins[0])?;
        let unsigned = res.unsigned && function == LutFunction::Sigmoid;
        let entry_frac = res.table_bits as i32 - i32::from(!unsigned);
        let cap = saturation_point(function, entry_frac).unwrap_or(f64::INFINITY);
        let (tlo, thi) = type_range(x);
        // Selu is linear above 0: only its negative side saturates.
        let cap_hi = match function {
            LutFunction::Selu { .. } => f64::INFINITY,
            _ => cap,
        };
        let cover = Interval::new(
            observed.lo.max(-cap).max(tlo).min(thi),
            observed.hi.min(cap_hi).min(thi).max(tlo),
        );
        let mut table = design(TableRequest {
            function,
            index_type: x,
            cover,
            size: res.table_size,
            entry_bits: res.table_bits,
            rounding: res.rounding,
            overflow: res.overflow,
            unsigned,
        })
        .map_err(|r| self.err(n, r))?;
        if let Some(pinned) = res.ty {
            table.entry = pinned;
        }
        self.check_coverage(n, &table, cover);
        let entries = table.entries();
        let (lo, hi) = entries
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), e| {
                (a.min(e.to_f64()), b.max(e.to_f64()))
            });
        let output = TypedTensor {
            ty: table.entry,
            range: Interval::new(lo, hi),
            origin: TypeOrigin::Table,
        };
        Ok(Typed {
            output,
            kernel: Kernel::Lut { table },
            values: self.propagating().then_some(Interval::new(lo, hi)),
        })
    }

    /// Warns when fewer than 16 entries span the observed input range (a table that collapsed).
    fn check_coverage(&self, n: NodeIndex, table: &LutSpec, cover: Interval) {
        let distinct = ((cover.hi - cover.lo) / table.step).floor() + 1.0;
        if distinct < 16.0 {
            let name = &self.g.node(n).name;
            self.warnings.borrow_mut().push(format!(
                "'{name}': only {distinct} {:?} table entries span the input range [{}, {}] (step {}, \
                 input {}): give the input more fractional bits",
                table.function, cover.lo, cover.hi, table.step, table.index_type
            ));
        }
    }

    fn type_softmax(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let g = self.g;
        let node = g.node(n);
        let Op::Softmax(op) = &node.op else {
            return Err(self.err(n, "not a softmax"));
        };
        let res = self.cfg.resolve(node);
        let xs = &g.node(ins[0]).shape;
        let axes: Vec<usize> = if op.coerce_2d {
            (op.axis..xs.rank()).collect()
        } else {
            vec![op.axis]
        };
        let len: u64 = axes
            .iter()
            .map(|&a| xs.fixed_dim(a).map(|d| d as u64))
            .product::<Result<_, _>>()
            .map_err(|r| self.err(n, r))?;
        let x = self.ty(ins[0]);
        let d = difference_type(x, x).map_err(|e| self.err(n, e.to_string()))?;
        if d.width() > 64 {
            return Err(self.too_wide(
                n,
                "difference max(x) - x",
                d.width().into(),
                format!("{x}"),
            ));
        }
        let observed = self.input_range(ins[0])?;
        let entry_frac = res.table_bits as i32 - 1;
        let cap = saturation_point(LutFunction::ExpNeg, entry_frac).unwrap_or(f64::INFINITY);
        let exp_cover = Interval::new(0.0, (observed.hi - observed.lo).min(cap));
        let request = |function, index_type, cover| TableRequest {
            function,
            index_type,
            cover,
            size: res.table_size,
            entry_bits: res.table_bits,
            rounding: res.rounding,
            overflow: res.overflow,
            unsigned: true,
        };
        let exp = design(request(LutFunction::ExpNeg, d, exp_cover)).map_err(|r| self.err(n, r))?;
        self.check_coverage(n, &exp, exp_cover);
        let grow = i64::from(ceil_log2_u64(len));
        let sum = Wide {
            signed: exp.entry.is_signed(),
            width: i64::from(exp.entry.width()) + grow,
            int_bits: i64::from(exp.entry.int_bits()) + grow,
        }
        .declare()
        .map_err(|w| self.too_wide(n, "sum of exp entries", w, format!("{len} × {}", exp.entry)))?;
        let e0 = exp.entries().first().map_or(0.0, |e| e.to_f64());
        if e0 <= 0.0 {
            return Err(self.err(
                n,
                format!(
                    "exp(0) rounds to 0 in {}: give the table more bits",
                    exp.entry
                ),
            ));
        }
        let inv_cover = Interval::new(e0, len as f64 * e0);
        let inv =
            design(request(LutFunction::Reciprocal, sum, inv_cover)).map_err(|r| self.err(n, r))?;
        let product = product_type(exp.entry, inv.entry).map_err(|e| self.err(n, e.to_string()))?;
        if product.width() > 64 {
            return Err(self.too_wide(
                n,
                "product exp·(1/sum)",
                product.width().into(),
                format!("{} × {}", exp.entry, inv.entry),
            ));
        }
        let top = e0 * inv.entries().iter().map(|e| e.to_f64()).fold(0.0, f64::max);
        let kernel = Kernel::Softmax {
            exp,
            sum,
            inv,
            product,
            len,
        };
        self.declared(n, kernel, || Ok(Interval::new(0.0, top)))
    }

    /// Output type = input type; with propagation, the op's rule on the typed input ranges.
    fn type_move(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let ty = self.ty(ins[0]);
        let ranges = self.in_ranges(ins)?;
        let g = self.g;
        let range = match &self.ranges {
            RangeSource::Calibrated(c) => c
                .range(n)
                .map(|(lo, hi)| Interval::new(lo, hi))
                .unwrap_or(ranges[0]),
            RangeSource::Propagated(_) => {
                transfer(g, n, &ranges, &|k| self.quantized(k)).map_err(|r| self.err(n, r))?
            }
        };
        Ok(Typed {
            output: TypedTensor {
                ty,
                range,
                origin: TypeOrigin::Inherited,
            },
            kernel: Kernel::Move,
            values: self.propagating().then_some(range),
        })
    }

    /// A declared output type; each input is cast to it and moved.
    fn type_cast(&self, n: NodeIndex, ins: &[NodeIndex]) -> Result<Typed, QuantError> {
        let ranges = self.in_ranges(ins)?;
        let g = self.g;
        self.declared(n, Kernel::Cast, || {
            transfer(g, n, &ranges, &|k| self.quantized(k))
        })
    }
}

fn unreachable_range() -> Result<Interval, String> {
    Err("no range".into())
}

/// The range of the values `range` takes after a cast to `ty` (casts are monotone).
fn cast_range(range: Interval, ty: FixedType) -> Interval {
    Interval::new(quantize(range.lo, ty), quantize(range.hi, ty))
}

/// The distinct divisors of an average pool's windows, largest first.
fn pool_divisors(
    window: &Window,
    spatial: &[usize],
    include_pad: bool,
) -> Result<Vec<u64>, String> {
    let geo = window.geom2(spatial)?;
    let mut set = std::collections::BTreeSet::new();
    for oy in 0..geo.oh {
        for ox in 0..geo.ow {
            let (mut padded, mut valid) = (0u64, 0u64);
            for ky in 0..geo.kh {
                let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                for kx in 0..geo.kw {
                    let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                    if iy < (geo.ih + geo.pb) as isize && ix < (geo.iw + geo.pr) as isize {
                        padded += 1;
                    }
                    if iy >= 0 && ix >= 0 && (iy as usize) < geo.ih && (ix as usize) < geo.iw {
                        valid += 1;
                    }
                }
            }
            let d = if include_pad { padded } else { valid };
            if d > 0 {
                set.insert(d);
            }
        }
    }
    Ok(set.into_iter().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_divisors_count_padding_as_asked() {
        let mut w = Window::new(vec![3, 3]);
        w.pads = vec![1, 1, 1, 1];
        assert_eq!(pool_divisors(&w, &[4, 4], true).unwrap(), vec![9]);
        assert_eq!(pool_divisors(&w, &[4, 4], false).unwrap(), vec![9, 6, 4]);
    }
}
