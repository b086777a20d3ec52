//! Lowering: a [`TypedGraph`] becomes a compiled model ([`ModelProto`], `OUT/model.bpm`), the
//! program the runtime interpreter runs with its integer kernels.
//!
//! Every non-constant node produces a tensor (one sample's shape, the batch axis dropped, and its
//! type); every node that computes something becomes one layer, in topological order, whose
//! kernel carries the config and constants (raw integers) of one runtime kernel. Constants are
//! folded into the layers that read them. One file per kernel family:
//! - [`mac`]: Conv (1-D, 2-D), Dense, Affine (BatchNorm kept);
//! - [`pool`]: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool, ReduceMean;
//! - [`elementwise`]: Add, Sub, Mul (broadcast), Div by a constant (a Mul by `1/c`);
//! - [`activation`]: Relu, Clip, LeakyRelu, HardSigmoid, HardSwish;
//! - [`lut`]: Sigmoid, Tanh, Softmax (the tables of the typed graph);
//! - [`movement`]: Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout (views), Transpose,
//!   Pad, Concat.

mod activation;
mod elementwise;
mod lut;
mod mac;
mod movement;
mod pool;

use std::collections::BTreeMap;

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, LayerProto, ModelProto, TensorProto, TypeProto, WindowProto,
    MAGIC, VERSION,
};
use binpoint_runtime::FixedType;
use petgraph::stable_graph::NodeIndex;

use crate::ir::ops::Window;
use crate::ir::{Dim, Graph, Node, Op};
use crate::quant::{LayerTypes, TypedGraph};

/// A node that cannot become a layer of the compiled model.
#[derive(Debug, thiserror::Error)]
#[error("{file}: node '{node}' ({op}): {reason}")]
pub struct LowerError {
    pub file: String,
    pub node: String,
    pub op: String,
    pub reason: String,
}

/// What the compiled model records besides the graph.
#[derive(Clone, Debug, Default)]
pub struct LowerOptions {
    /// The source model's file name (no folders: the output must not depend on where it lives).
    pub source: String,
    /// The float model's file name next to `model.bpm` ("" for none).
    pub float_model: String,
}

/// One layer of the compiled model and the runtime kernel it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerKernel {
    pub node: NodeIndex,
    /// `dense`, `conv2d`, `view`, `softmax`, ...
    pub kernel: &'static str,
}

/// The compiled model and, per layer, the node it came from.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub proto: ModelProto,
    pub layers: Vec<LayerKernel>,
}

/// Lowers every node of `typed` (see the module docs).
pub fn lower(typed: &TypedGraph, opts: &LowerOptions) -> Result<Lowered, LowerError> {
    let g = &typed.graph;
    let mut l = Lowerer {
        typed,
        g,
        ids: BTreeMap::new(),
        tensors: Vec::new(),
    };
    let mut layers = Vec::new();
    let mut kernels = Vec::new();
    for (n, types) in typed.ordered() {
        let node = g.node(n);
        match node.op {
            Op::Const(_) => continue,
            Op::Input(_) => {
                l.tensor(n)?;
                continue;
            }
            _ => {}
        }
        let at = At { l: &l, n, types };
        let (kernel, inputs) = lower_node(&at)?;
        let name = kernel.stem();
        let inputs = inputs
            .iter()
            .map(|&k| l.id(n, k))
            .collect::<Result<Vec<_>, _>>()?;
        let output = l.tensor(n)?;
        layers.push(LayerProto {
            name: node.name.clone(),
            op: node.op.name().to_string(),
            inputs,
            output,
            kernel: Some(kernel),
        });
        kernels.push(LayerKernel {
            node: n,
            kernel: name,
        });
    }
    let io = |list: &mut dyn Iterator<Item = NodeIndex>| -> Result<Vec<u32>, LowerError> {
        list.map(|n| {
            l.ids.get(&n).copied().ok_or_else(|| {
                let node = g.node(n);
                l.err_at(
                    node,
                    "is a graph input or output that carries no data tensor",
                )
            })
        })
        .collect()
    };
    let inputs = io(&mut g.inputs().iter().copied())?;
    let outputs = io(&mut g.outputs().iter().map(|(_, n)| *n))?;
    let proto = ModelProto {
        magic: MAGIC.to_string(),
        version: VERSION,
        name: g.name.clone(),
        source: opts.source.clone(),
        float_model: opts.float_model.clone(),
        tensors: l.tensors,
        inputs,
        outputs,
        layers,
        precision: typed.config.clone(),
        ranges: typed.ranges.clone(),
    };
    Ok(Lowered {
        proto,
        layers: kernels,
    })
}

/// Lowers one computing node: its kernel and its data inputs (constants are in the kernel).
fn lower_node(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let node = at.node();
    match &node.op {
        Op::Conv(_) | Op::Dense(_) | Op::Affine(_) => mac::lower(at),
        Op::MaxPool(_)
        | Op::AveragePool(_)
        | Op::GlobalMaxPool(_)
        | Op::GlobalAveragePool(_)
        | Op::ReduceMean(_) => pool::lower(at),
        Op::Add(_) | Op::Sub(_) | Op::Mul(_) | Op::Div(_) => elementwise::lower(at),
        Op::Relu(_) | Op::Clip(_) | Op::LeakyRelu(_) | Op::HardSigmoid(_) | Op::HardSwish(_) => {
            activation::lower(at)
        }
        Op::Sigmoid(_) | Op::Tanh(_) | Op::Selu(_) | Op::Softmax(_) => lut::lower(at),
        Op::Flatten(_)
        | Op::Reshape(_)
        | Op::Squeeze(_)
        | Op::Unsqueeze(_)
        | Op::Identity(_)
        | Op::Dropout(_)
        | Op::Transpose(_)
        | Op::Pad(_)
        | Op::Concat(_) => movement::lower(at),
        Op::Input(_)
        | Op::Const(_)
        | Op::Gemm(_)
        | Op::MatMul(_)
        | Op::BatchNorm(_)
        | Op::Quant(_) => Err(at.err(
            "has no kernel in a compiled model (cleanup turns Gemm, MatMul and BatchNorm \
                  into Dense and Affine, and fold-quantizers turns Quant into types)",
        )),
    }
}

/// The tensor table being built.
struct Lowerer<'a> {
    typed: &'a TypedGraph,
    g: &'a Graph,
    ids: BTreeMap<NodeIndex, u32>,
    tensors: Vec<TensorProto>,
}

impl Lowerer<'_> {
    fn err_at(&self, node: &Node, reason: impl Into<String>) -> LowerError {
        LowerError {
            file: self.g.source.clone(),
            node: node.name.clone(),
            op: node.op.name().into(),
            reason: reason.into(),
        }
    }

    /// Adds node `n`'s tensor.
    fn tensor(&mut self, n: NodeIndex) -> Result<u32, LowerError> {
        let node = self.g.node(n);
        let ty = self
            .typed
            .ty(n)
            .ok_or_else(|| self.err_at(node, "has no fixed-point type"))?;
        let shape = sample_shape(node).map_err(|r| self.err_at(node, r))?;
        let id = self.tensors.len() as u32;
        self.tensors.push(TensorProto {
            name: node.tensor.clone(),
            shape: shape.iter().map(|&d| d as u64).collect(),
            ty: Some(ty.into()),
        });
        self.ids.insert(n, id);
        Ok(id)
    }

    /// The tensor id of `k`, an input of `n`.
    fn id(&self, n: NodeIndex, k: NodeIndex) -> Result<u32, LowerError> {
        self.ids.get(&k).copied().ok_or_else(|| {
            self.err_at(
                self.g.node(n),
                format!(
                    "reads '{}', which is not a data tensor here (a constant this op cannot take)",
                    self.g.node(k).name
                ),
            )
        })
    }
}

/// One node being lowered.
struct At<'a> {
    l: &'a Lowerer<'a>,
    n: NodeIndex,
    types: &'a LayerTypes,
}

impl<'a> At<'a> {
    fn g(&self) -> &'a Graph {
        self.l.g
    }
    fn node(&self) -> &'a Node {
        self.l.g.node(self.n)
    }
    fn err(&self, reason: impl Into<String>) -> LowerError {
        self.l.err_at(self.node(), reason)
    }
    /// The node's inputs, in slot order.
    fn ins(&self) -> Vec<NodeIndex> {
        self.g().inputs_of(self.n)
    }
    fn input(&self, slot: usize) -> Result<NodeIndex, LowerError> {
        self.ins()
            .get(slot)
            .copied()
            .ok_or_else(|| self.err(format!("has no input {slot}")))
    }
    fn is_const(&self, k: NodeIndex) -> bool {
        matches!(self.g().node(k).op, Op::Const(_))
    }
    /// The type of node `k`'s tensor.
    fn ty(&self, k: NodeIndex) -> Result<FixedType, LowerError> {
        self.l
            .typed
            .ty(k)
            .ok_or_else(|| self.err(format!("input '{}' has no type", self.g().node(k).name)))
    }
    /// One sample's shape of data tensor `k`.
    fn shape(&self, k: NodeIndex) -> Result<Vec<usize>, LowerError> {
        sample_shape(self.g().node(k)).map_err(|r| self.err(r))
    }
    fn out_shape(&self) -> Result<Vec<usize>, LowerError> {
        self.shape(self.n)
    }
    /// A constant's raw values in its type, row-major.
    fn raw_const(&self, k: NodeIndex) -> Result<Vec<i64>, LowerError> {
        let name = &self.g().node(k).name;
        let raw = self
            .l
            .typed
            .raw_const(k)
            .ok_or_else(|| self.err(format!("input '{name}' is not a typed constant")))?;
        raw.iter()
            .map(|&v| i64::try_from(v))
            .collect::<Result<_, _>>()
            .map_err(|_| self.err(format!("constant '{name}' does not fit 64-bit integers")))
    }
    /// A constant's full shape.
    fn const_shape(&self, k: NodeIndex) -> Result<Vec<usize>, LowerError> {
        self.g()
            .const_data(k)
            .map(|d| d.shape().to_vec())
            .ok_or_else(|| {
                self.err(format!(
                    "input '{}' is not a constant",
                    self.g().node(k).name
                ))
            })
    }
}

/// A tensor's shape for one sample: the batch axis (axis 0, symbolic or 1) dropped.
fn sample_shape(node: &Node) -> Result<Vec<usize>, String> {
    let dims = node.shape.dims();
    match dims.first() {
        None => return Err("is a scalar: data tensors have a batch axis first".into()),
        Some(Dim::Batch | Dim::Fixed(1)) => {}
        Some(Dim::Fixed(b)) => {
            return Err(format!(
                "has a fixed batch of {b} ({}): compiled models run one sample at a time",
                node.shape
            ))
        }
    }
    dims[1..]
        .iter()
        .map(|d| {
            d.fixed()
                .ok_or_else(|| format!("shape {} has the batch axis past axis 0", node.shape))
        })
        .collect()
}

/// A window over one sample's spatial dims (`[L]` or `[H, W]`) as the runtime's 2-D window
/// (1-D: height 1).
fn window_proto(w: &Window, spatial: &[usize]) -> Result<WindowProto, String> {
    let g = w.geom2(spatial)?;
    let u = |v: usize| v as u64;
    Ok(WindowProto {
        in_h: u(g.ih),
        in_w: u(g.iw),
        kernel_h: u(g.kh),
        kernel_w: u(g.kw),
        stride_h: u(g.sh),
        stride_w: u(g.sw),
        dilation_h: u(g.dh),
        dilation_w: u(g.dw),
        pad_top: u(g.pt),
        pad_left: u(g.pl),
        pad_bottom: u(g.pb),
        pad_right: u(g.pr),
        ceil_mode: w.ceil_mode,
    })
}

fn ty_proto(t: FixedType) -> Option<TypeProto> {
    Some(t.into())
}
