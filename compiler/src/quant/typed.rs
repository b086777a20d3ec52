//! The typed graph: the float graph plus, for every node, the type of the tensor it produces and
//! the types its kernel works with. What the emitters (HLS C++, simulator) and report.json read.
//!
//! Every node has a [`LayerTypes`]: `output` is the type of its tensor (graph inputs, constants and
//! layer outputs alike) and `kernel` says how the output is computed from the inputs' types. Weights
//! and biases are `Const` nodes with their own `output` type; a layer's kernel repeats them. Casts
//! happen only where a kernel says so: accumulators and other intermediates are exact (they can
//! never overflow), so a layer's single rounding point is the cast into its output type.

use super::bits::{ceil_log2_u64, mac_accumulator_wide, product_type};
use super::lut::LutSpec;
use super::ranges::Interval;
use super::{serde_fixed, QuantError};
use crate::ir::{Graph, Op, TensorType};
use binpoint_runtime::{Fixed, FixedType};
use ndarray::ArrayD;
use petgraph::stable_graph::NodeIndex;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Where a tensor's integer bits came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeOrigin {
    /// From the calibration run's range (max-abs).
    Calibrated,
    /// From the calibration run's percentile range (outliers saturate).
    Percentile,
    /// From interval range propagation (no value can overflow).
    Propagated,
    /// From the constant's own values.
    Values,
    /// `int_bits` fixed by the config.
    Config,
    /// `type = "..."` pinned by the config.
    Pinned,
    /// From the model's own quantizers (QONNX `Quant`, ONNX QDQ; passes quant-weights and
    /// fold-quantizers).
    Model,
    /// The input's type, unchanged (data movement: the raw bits pass through).
    Inherited,
    /// The LUT entry type (Sigmoid, Tanh).
    Table,
    /// Integer bits learned by `--learn` (compiler/src/learn), starting from calibration.
    Learned,
}

/// The type of one tensor and the range it was chosen for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TypedTensor {
    #[serde(with = "serde_fixed")]
    pub ty: FixedType,
    /// The range the integer bits were chosen from (observed, propagated or the constant's values).
    pub range: Interval,
    pub origin: TypeOrigin,
}

/// A scalar constant of a kernel (an activation's alpha/beta, a pooling reciprocal).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScalarConst {
    /// The real value before quantization.
    pub value: f64,
    #[serde(with = "serde_fixed")]
    pub ty: FixedType,
    /// The quantized raw integer (`value` cast to `ty`).
    pub raw: i64,
}

impl ScalarConst {
    pub fn new(value: f64, ty: FixedType) -> Result<ScalarConst, String> {
        let q = Fixed::from_f64(value, ty).map_err(|e| e.to_string())?;
        Ok(ScalarConst {
            value,
            ty,
            raw: i64::try_from(q.raw()).map_err(|_| format!("{value} in {ty} exceeds 64 bits"))?,
        })
    }
    /// The quantized value.
    pub fn quantized(&self) -> f64 {
        Fixed::from_raw(i128::from(self.raw), self.ty).map_or(f64::NAN, |f| f.to_f64())
    }
}

/// Average pooling's `1/n`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reciprocal {
    /// The window sizes `n` (several when padding is excluded from the count); largest first.
    pub divisors: Vec<u64>,
    /// `1/n` for each divisor, same order, in one type.
    pub factors: Vec<ScalarConst>,
    /// `Some(k)` when the only divisor is `2^k`: the kernel may shift right by `k` instead of
    /// multiplying (the factor `2^-k` is exact, so both give the same bits).
    pub shift: Option<u32>,
}

/// How a node's output is computed, with every type its kernel needs. Emitters match on this.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kernel {
    /// Graph inputs and constants: values cast to `output` (constants at compile time).
    Source,
    /// Raw bits unchanged, `output` equals the input type: Flatten, Reshape, Squeeze, Unsqueeze,
    /// Transpose, Identity, Dropout, MaxPool, GlobalMaxPool, Pad, Relu (`max(raw, 0)`), Clip (bounds cast
    /// into the input type with AP_SAT), Concat of equal types.
    Move,
    /// Each input cast to `output`, then moved: Relu with `unsigned`, Concat of different types.
    Cast,
    /// `acc = bias; acc += x·w` over `fan_in` products; `output = acc` (the one rounding point).
    /// Conv, Dense, and Affine (kept BatchNorm: `w` = scale, `bias` = shift, `fan_in` = 1).
    Mac {
        #[serde(with = "serde_fixed")]
        weight: FixedType,
        #[serde(with = "serde_fixed::option")]
        bias: Option<FixedType>,
        /// One product `x·w`: `W_x + W_w`, `I_x + I_w` (exact; up to 128 bits).
        #[serde(with = "serde_fixed::wide")]
        product: FixedType,
        /// Never overflows ([`super::bits::mac_accumulator_wide`]), unless the user's `accum` key
        /// set it (`user_accum`): then every product is cast to it and every sum wraps or
        /// saturates in it, as `ap_fixed` does (runtime `ops::accum`). Up to 128 bits for Conv
        /// and Dense (their kernels compute in `i128` beyond 64), 64 for Affine and K-hot layers.
        #[serde(with = "serde_fixed::wide")]
        accum: FixedType,
        /// `accum` came from the precision config's `accum` key.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        user_accum: bool,
        fan_in: u64,
        /// K-hot weights (Conv/Dense with `khot = K`): every raw weight has at most `K` non-zero
        /// CSD digits, and the products are computed as shifts and adds (the same bits).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        khot: Option<u32>,
    },
    /// `accum = a op b` exactly (the header's `+`, `-`, `*` result type), `output = accum`.
    /// Add, Sub, Mul (residual adds, gates, constant operands).
    Elementwise {
        #[serde(with = "serde_fixed")]
        accum: FixedType,
    },
    /// `output = x·factor` (Div by a constant: `factor = 1/c` per element, `factor_type` its type).
    Scale {
        #[serde(with = "serde_fixed")]
        factor_type: FixedType,
        #[serde(with = "serde_fixed")]
        product: FixedType,
    },
    /// `output = x >= 0 ? x : x·alpha` (both branches cast to `output`).
    LeakyRelu {
        alpha: ScalarConst,
        #[serde(with = "serde_fixed")]
        product: FixedType,
    },
    /// `accum = x·alpha + beta` exactly, clamped to `[0, 1]`, `output = accum`.
    HardSigmoid {
        alpha: ScalarConst,
        beta: ScalarConst,
        #[serde(with = "serde_fixed")]
        accum: FixedType,
    },
    /// `accum = x·alpha + beta` exactly; `gate = clamp(accum, 0, 1)` (exact in `gate`);
    /// `product = x·gate` exactly; `output = product`.
    HardSwish {
        alpha: ScalarConst,
        beta: ScalarConst,
        #[serde(with = "serde_fixed")]
        accum: FixedType,
        #[serde(with = "serde_fixed")]
        gate: FixedType,
        #[serde(with = "serde_fixed")]
        product: FixedType,
    },
    /// `sum` of the window (exact), `product = sum·(1/n)` (exact), `output = product`.
    /// AveragePool, GlobalAveragePool, ReduceMean.
    Pool {
        #[serde(with = "serde_fixed")]
        sum: FixedType,
        reciprocal: Reciprocal,
        #[serde(with = "serde_fixed")]
        product: FixedType,
    },
    /// `output = table[index(x)]` (`output` is the entry type). Sigmoid, Tanh.
    Lut { table: LutSpec },
    /// `d = max(x) - x` (exact, `exp.index_type`); `e = exp[index(d)]`; `sum = Σ e` (exact);
    /// `r = inv[index(sum)]`; `product = e·r` (exact); `output = product`.
    Softmax {
        exp: LutSpec,
        #[serde(with = "serde_fixed")]
        sum: FixedType,
        inv: LutSpec,
        #[serde(with = "serde_fixed")]
        product: FixedType,
        /// Elements along the softmax axis.
        len: u64,
    },
}

impl Kernel {
    /// The class of typed kernel, in words (error messages).
    pub fn class(&self) -> &'static str {
        match self {
            Kernel::Source => "source",
            Kernel::Move => "move",
            Kernel::Cast => "cast",
            Kernel::Mac { .. } => "mac",
            Kernel::Elementwise { .. } => "elementwise",
            Kernel::Scale { .. } => "scale",
            Kernel::LeakyRelu { .. } => "leaky_relu",
            Kernel::HardSigmoid { .. } => "hard_sigmoid",
            Kernel::HardSwish { .. } => "hard_swish",
            Kernel::Pool { .. } => "pool",
            Kernel::Lut { .. } => "lut",
            Kernel::Softmax { .. } => "softmax",
        }
    }
}

/// Everything typed about one node.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerTypes {
    pub node: String,
    pub tensor: String,
    pub op: String,
    /// Input tensor names, in slot order.
    pub inputs: Vec<String>,
    pub output: TypedTensor,
    pub kernel: Kernel,
}

/// The float graph with a type for every tensor.
#[derive(Clone, Debug)]
pub struct TypedGraph {
    pub graph: Graph,
    pub layers: BTreeMap<NodeIndex, LayerTypes>,
    /// Things a user should look at (poorly covered tables, unsigned requests that could not apply).
    pub warnings: Vec<String>,
    /// The precision config's source (file or `--bits W`).
    pub config: String,
    /// How ranges were found: "calibration (max-abs, 1437 samples)", "propagation from [0, 1]".
    pub ranges: String,
}

impl TypedGraph {
    pub fn layer(&self, n: NodeIndex) -> Option<&LayerTypes> {
        self.layers.get(&n)
    }
    /// The type of node `n`'s tensor.
    pub fn ty(&self, n: NodeIndex) -> Option<FixedType> {
        self.layers.get(&n).map(|l| l.output.ty)
    }
    /// The layer of the node (or tensor) named `name`.
    pub fn by_name(&self, name: &str) -> Option<&LayerTypes> {
        self.layers
            .values()
            .find(|l| l.node == name)
            .or_else(|| self.layers.values().find(|l| l.tensor == name))
    }
    /// Layers in topological order.
    pub fn ordered(&self) -> Vec<(NodeIndex, &LayerTypes)> {
        let order = self
            .graph
            .topo_order()
            .unwrap_or_else(|_| self.graph.node_indices());
        order
            .into_iter()
            .filter_map(|n| self.layers.get(&n).map(|l| (n, l)))
            .collect()
    }
    /// A constant's values quantized to its type, as raw integers (row-major, the constant's shape).
    pub fn raw_const(&self, n: NodeIndex) -> Option<ArrayD<i128>> {
        let data = self.graph.const_data(n)?.to_f32();
        let ty = self.ty(n)?;
        Some(data.mapv(|v| Fixed::from_f64(f64::from(v), ty).map_or(0, |f| f.raw())))
    }
}

impl Serialize for TypedGraph {
    /// `{"model", "config", "ranges", "warnings", "layers": [LayerTypes in topological order]}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            model: &'a str,
            config: &'a str,
            ranges: &'a str,
            warnings: &'a [String],
            layers: Vec<&'a LayerTypes>,
        }
        View {
            model: &self.graph.source,
            config: &self.config,
            ranges: &self.ranges,
            warnings: &self.warnings,
            layers: self.ordered().into_iter().map(|(_, l)| l).collect(),
        }
        .serialize(s)
    }
}

/// Checks that every node has a type and a kernel that fits its op, that kernels agree with the
/// types of their inputs, and that no accumulator can overflow. Errors name the node and op.
pub fn verify_typed(t: &TypedGraph) -> Result<(), QuantError> {
    let g = &t.graph;
    let order = g
        .topo_order()
        .map_err(|_| QuantError::node(g, &g.name, "Graph", "graph has a cycle"))?;
    for n in order {
        let node = g.node(n);
        let op = node.op.name();
        let fail = |reason: String| QuantError::Untyped {
            file: g.source.clone(),
            node: node.name.clone(),
            op: op.into(),
            reason,
        };
        let Some(layer) = t.layers.get(&n) else {
            return Err(fail(
                "has no fixed-point type: the tensor would stay float".into(),
            ));
        };
        if node.ty != TensorType::Fixed(layer.output.ty) {
            return Err(fail(format!(
                "the graph node is typed {} but its layer says {}",
                node.ty, layer.output.ty
            )));
        }
        let ins = g.inputs_of(n);
        let in_ty = |i: usize| -> Result<FixedType, QuantError> {
            ins.get(i)
                .and_then(|&k| t.ty(k))
                .ok_or_else(|| fail(format!("input {i} has no fixed-point type")))
        };
        let kernel_fits = matches!(
            (&node.op, &layer.kernel),
            (Op::Input(_) | Op::Const(_), Kernel::Source)
                | (
                    Op::Conv(_) | Op::Dense(_) | Op::Affine(_),
                    Kernel::Mac { .. }
                )
                | (
                    Op::Add(_) | Op::Sub(_) | Op::Mul(_),
                    Kernel::Elementwise { .. }
                )
                | (Op::Div(_), Kernel::Scale { .. })
                | (Op::LeakyRelu(_), Kernel::LeakyRelu { .. })
                | (Op::HardSigmoid(_), Kernel::HardSigmoid { .. })
                | (Op::HardSwish(_), Kernel::HardSwish { .. })
                | (
                    Op::AveragePool(_) | Op::GlobalAveragePool(_) | Op::ReduceMean(_),
                    Kernel::Pool { .. }
                )
                | (
                    Op::Sigmoid(_) | Op::Tanh(_) | Op::Selu(_),
                    Kernel::Lut { .. }
                )
                | (Op::Softmax(_), Kernel::Softmax { .. })
                | (
                    Op::Relu(_) | Op::Clip(_) | Op::Concat(_),
                    Kernel::Move | Kernel::Cast
                )
                | (
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
                )
        );
        if !kernel_fits {
            return Err(fail(format!(
                "kernel {:?} does not fit the op",
                layer.kernel
            )));
        }
        match &layer.kernel {
            Kernel::Move => {
                for i in 0..ins.len() {
                    if in_ty(i)? != layer.output.ty {
                        return Err(fail(format!(
                            "moves raw bits but input {i} is {} and the output {}",
                            in_ty(i)?,
                            layer.output.ty
                        )));
                    }
                }
            }
            Kernel::Mac {
                weight,
                bias,
                accum,
                user_accum,
                fan_in,
                khot,
                ..
            } => {
                if let Some(k) = *khot {
                    if matches!(node.op, Op::Affine(_)) {
                        return Err(fail("khot on an Affine layer: only Conv and Dense".into()));
                    }
                    let heavy = ins.get(1).and_then(|&w| t.raw_const(w)).and_then(|w| {
                        w.iter()
                            .copied()
                            .find(|&r| super::bits::csd_weight_i128(r) > k)
                    });
                    if let Some(r) = heavy {
                        return Err(fail(format!(
                            "khot = {k}, but the raw weight {r} has {} non-zero CSD digits",
                            super::bits::csd_weight_i128(r)
                        )));
                    }
                }
                if in_ty(1)? != *weight || (bias.is_some() && in_ty(2).ok() != *bias) {
                    return Err(fail(
                        "weight/bias types differ from their constants' types".into(),
                    ));
                }
                let need = mac_accumulator_wide(in_ty(0)?, *weight, *bias, *fan_in)
                    .map_err(|w| fail(format!("accumulator would need {w} bits")))?;
                let (acc_i, acc_f) = (accum.int_bits(), accum.frac_bits());
                if !*user_accum && (acc_i < need.int_bits() || acc_f < need.frac_bits()) {
                    return Err(fail(format!(
                        "accumulator {accum} can overflow or round: needs at least {need}"
                    )));
                }
                let fan = ceil_log2_u64(*fan_in);
                if fan > 63 {
                    return Err(fail(format!("fan-in {fan_in} too large")));
                }
            }
            Kernel::Elementwise { accum } => {
                let (a, b) = (in_ty(0)?, in_ty(1)?);
                let exact = match node.op {
                    Op::Mul(_) => product_type(a, b),
                    Op::Sub(_) => super::bits::difference_type(a, b),
                    _ => super::bits::sum_type(a, b),
                }
                .map_err(|e| fail(e.to_string()))?;
                if (exact.width(), exact.int_bits(), exact.is_signed())
                    != (accum.width(), accum.int_bits(), accum.is_signed())
                {
                    return Err(fail(format!(
                        "accumulator {accum} is not the exact result type {exact}"
                    )));
                }
            }
            Kernel::Lut { table } => {
                if table.entry != layer.output.ty || table.index_type != in_ty(0)? {
                    return Err(fail("table types differ from the layer's".into()));
                }
                check_table(table).map_err(fail)?;
            }
            Kernel::Softmax { exp, inv, .. } => {
                check_table(exp).map_err(&fail)?;
                check_table(inv).map_err(fail)?;
            }
            _ => {}
        }
        let max = if is_wide_mac(&node.op, &layer.kernel) {
            MAX_WIDE_MAC
        } else {
            64
        };
        for w in kernel_widths(&layer.kernel) {
            if w > max {
                return Err(fail(format!(
                    "an intermediate type is {w} bits wide (max {max})"
                )));
            }
        }
    }
    for n in t.layers.keys() {
        if g.get(*n).is_none() {
            return Err(QuantError::node(
                g,
                &g.name,
                "Graph",
                "a type refers to a removed node",
            ));
        }
    }
    Ok(())
}

fn check_table(t: &LutSpec) -> Result<(), String> {
    if !t.size.is_power_of_two() {
        return Err(format!("table size {} is not a power of two", t.size));
    }
    if t.entries().len() != t.size as usize {
        return Err("table entries missing".into());
    }
    Ok(())
}

/// Widest accumulator or product of a Dense or Conv layer: its kernels compute in `i128`.
pub const MAX_WIDE_MAC: u32 = 128;

/// True for the layers whose intermediate types may exceed 64 bits: Dense and Conv with
/// multiplies (K-hot shift-add kernels and Affine compute in `i64`).
pub fn is_wide_mac(op: &Op, k: &Kernel) -> bool {
    matches!(op, Op::Conv(_) | Op::Dense(_)) && matches!(k, Kernel::Mac { khot: None, .. })
}

fn kernel_widths(k: &Kernel) -> Vec<u32> {
    match k {
        Kernel::Mac { accum, product, .. } => vec![accum.width(), product.width()],
        Kernel::Elementwise { accum } => vec![accum.width()],
        Kernel::Scale { product, .. } | Kernel::LeakyRelu { product, .. } => vec![product.width()],
        Kernel::HardSigmoid { accum, .. } => vec![accum.width()],
        Kernel::HardSwish {
            accum,
            gate,
            product,
            ..
        } => vec![accum.width(), gate.width(), product.width()],
        Kernel::Pool { sum, product, .. } => vec![sum.width(), product.width()],
        Kernel::Softmax { sum, product, .. } => vec![sum.width(), product.width()],
        _ => vec![],
    }
}
