//! The plan of the emitted C++: identifiers, one buffer per tensor (views share their input's),
//! one [`HlsLayer`] per layer, and the top function's interface.

use std::collections::BTreeMap;

use binpoint_runtime::model::format::{layer::Kernel, LayerProto, ModelProto, TypeProto};
use binpoint_runtime::model::{Model, TensorInfo};
use binpoint_runtime::FixedType;

use super::layer::{BufRef, ConfigStruct, Emitted};
use super::{activation, elementwise, lut, mac, movement, pool, HlsError, HlsOptions};
use crate::board::Board;
use crate::emit::ident::{comment, Names};
use crate::estimate::choose_reuse;

/// The data interface of the top function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interface {
    /// `m_axi` pointers for the data (bundles gmem0, gmem1), `s_axilite` for the pointers,
    /// `n_samples` and the return (bundle control).
    #[default]
    Mmap,
    /// AXI-Stream (`hls::stream` of `ap_axis` words with TLAST) for the data, `s_axilite` for
    /// `n_samples` and the return.
    Stream,
}

/// How many products each multiplier of a MAC layer computes (its `reuse_factor`, the II of the
/// pipelined output loop). It changes no bit, only the hardware.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReusePolicy {
    /// Every MAC layer's reuse factor; `None`: the estimator's folding for the board
    /// ([`crate::estimate::choose_reuse`]: the most parallel design that fits).
    pub default: Option<usize>,
    /// By layer name, before `default`.
    pub per_layer: BTreeMap<String, usize>,
}

/// Multipliers per MAC layer of the fallback policy, when the estimator cannot read a model.
pub const FALLBACK_MAX_MULTIPLIERS: usize = 64;

impl ReusePolicy {
    /// The reuse factor of a MAC layer with `fan_in` products per output; `folded`: the
    /// estimator's choice for it.
    pub fn reuse(&self, layer: &str, fan_in: usize, folded: Option<usize>) -> usize {
        self.per_layer
            .get(layer)
            .copied()
            .or(self.default)
            .or(folded)
            .unwrap_or_else(|| fan_in.div_ceil(FALLBACK_MAX_MULTIPLIERS))
            .clamp(1, fan_in.max(1))
    }
}

/// One layer in C++.
#[derive(Clone, Debug)]
pub struct HlsLayer {
    pub index: usize,
    /// `name (Op, kernel)`, comment-safe.
    pub comment: String,
    pub emitted: Emitted,
    /// Its output buffer and length (for the trace).
    pub out: BufRef,
}

/// A tensor's typedef.
#[derive(Clone, Debug)]
pub struct TensorDef {
    pub name: String,
    pub ty: FixedType,
    pub comment: String,
}

/// Where a graph input or output sits in the words of one sample.
#[derive(Clone, Debug)]
pub struct IoSlot {
    pub buf: BufRef,
    pub offset: usize,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub model: String,
    pub source: String,
    pub opts: HlsOptions,
    pub tensors: Vec<TensorDef>,
    /// Local arrays of the top function (tensors that are not views), with a comment.
    pub buffers: Vec<(BufRef, String)>,
    pub layers: Vec<HlsLayer>,
    pub inputs: Vec<IoSlot>,
    pub outputs: Vec<IoSlot>,
    pub in_words: usize,
    pub out_words: usize,
    /// Bits of an interface word: 32, or 64 when some input or output raw value needs more.
    pub io_bits: u32,
    /// Kernel headers to copy and include, sorted.
    pub headers: Vec<&'static str>,
}

/// Identifiers the emitted code defines or uses itself, and lowercase macros of the C and C++
/// libraries the headers include: no name from the model may take them.
const RESERVED: &[&str] = &[
    "binpoint",
    "binpoint_top",
    "bpm",
    "hls",
    "io_word_t",
    "io_axis_t",
    "input",
    "output",
    "n_samples",
    "s",
    "i",
    "k",
    "n",
    "ap_int",
    "ap_uint",
    "ap_fixed",
    "ap_ufixed",
    "assert",
    "errno",
    "stdin",
    "stdout",
    "stderr",
    "offsetof",
    "setjmp",
    "va_start",
    "va_arg",
    "va_end",
    "va_copy",
    "isnan",
    "isinf",
    "isfinite",
    "isnormal",
    "signbit",
    "fpclassify",
    "major",
    "minor",
    "makedev",
    "linux",
    "unix",
    "i386",
];

impl Plan {
    pub fn new(proto: &ModelProto, opts: &HlsOptions) -> Result<Plan, HlsError> {
        let model = Structure::read(proto)?;
        if opts.max_batch == 0 {
            return Err(HlsError::Unsupported("max_batch must be at least 1".into()));
        }
        let mut names = Names::with_reserved(RESERVED);
        // The estimator's folding for the board, unless every layer's reuse is given.
        let folding = match opts.reuse.default {
            Some(_) => None,
            None => {
                let board =
                    Board::lookup(&opts.board).map_err(|e| HlsError::Unsupported(e.to_string()))?;
                choose_reuse(proto, board).ok()
            }
        };

        // Tensors: a typedef each; a buffer each unless a view aliases it.
        let tensor_names: Vec<String> = model.tensors.iter().map(|t| names.cpp(&t.name)).collect();
        let mut tensors = Vec::with_capacity(tensor_names.len());
        for (t, ident) in model.tensors.iter().zip(&tensor_names) {
            tensors.push(TensorDef {
                name: names.cpp(&format!("{ident}_t")),
                ty: t.ty,
                comment: format!("{} {:?}: {}", comment(&t.name), t.shape, t.ty),
            });
        }
        let mut bufs: Vec<BufRef> = model
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| BufRef {
                name: tensor_names[i].clone(),
                ty_name: tensors[i].name.clone(),
                ty: t.ty,
                len: t.len,
                shape: t.shape.clone(),
            })
            .collect();
        let mut has_buffer = vec![true; bufs.len()];

        let mut layers = Vec::with_capacity(proto.layers.len());
        let mut headers: Vec<&'static str> = vec!["binpoint_common.h"];
        for (index, (lp, l)) in proto.layers.iter().zip(&model.layers).enumerate() {
            let base = names.cpp(&lp.name);
            let ins: Vec<BufRef> = l.inputs.iter().map(|&i| bufs[i].clone()).collect();
            let mut ctx = Ctx {
                index,
                layer: lp,
                ins,
                out: bufs[l.output].clone(),
                base,
                names: &mut names,
                reuse: &opts.reuse,
                folded: folding
                    .as_ref()
                    .and_then(|f| f.layers.get(index))
                    .filter(|f| f.name == lp.name)
                    .map(|f| f.reuse_factor as usize),
            };
            let emitted = emit_layer(&mut ctx)?;
            if emitted.alias {
                let from = ctx.ins[0].clone();
                bufs[l.output].name = from.name;
                has_buffer[l.output] = false;
            }
            headers.extend(emitted.headers.iter().copied());
            layers.push(HlsLayer {
                index,
                comment: format!("{} ({}, {})", comment(&lp.name), comment(&lp.op), l.kernel),
                emitted,
                out: bufs[l.output].clone(),
            });
        }
        headers.sort_unstable();
        headers.dedup();

        let buffers = model
            .tensors
            .iter()
            .enumerate()
            .filter(|&(i, _)| has_buffer[i])
            .map(|(i, t)| {
                (
                    bufs[i].clone(),
                    format!("{} {:?}", comment(&t.name), t.shape),
                )
            })
            .collect();
        let slots = |ids: &[usize]| -> (Vec<IoSlot>, usize) {
            let mut offset = 0;
            let slots = ids
                .iter()
                .map(|&id| {
                    let slot = IoSlot {
                        buf: bufs[id].clone(),
                        offset,
                    };
                    offset += bufs[id].len;
                    slot
                })
                .collect();
            (slots, offset)
        };
        let (inputs, in_words) = slots(&model.inputs);
        let (outputs, out_words) = slots(&model.outputs);
        let io_bits = if inputs
            .iter()
            .chain(&outputs)
            .all(|s| raw_bits(s.buf.ty) <= 32)
        {
            32
        } else {
            64
        };
        Ok(Plan {
            model: comment(&proto.name),
            source: comment(&proto.source),
            opts: opts.clone(),
            tensors,
            buffers,
            layers,
            inputs,
            outputs,
            in_words,
            out_words,
            io_bits,
            headers,
        })
    }
}

/// The graph of a compiled model: tensors, inputs, outputs, layers.
struct Structure {
    tensors: Vec<TensorInfo>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    layers: Vec<LayerIo>,
}

struct LayerIo {
    inputs: Vec<usize>,
    output: usize,
    kernel: &'static str,
}

impl Structure {
    /// The model validated by the interpreter's loader (every kernel config built, every
    /// constant checked), then its graph.
    fn read(proto: &ModelProto) -> Result<Structure, HlsError> {
        Model::from_proto(proto)?;
        let bad =
            |what: String| HlsError::Unsupported(format!("the compiled model is invalid: {what}"));
        let mut tensors = Vec::with_capacity(proto.tensors.len());
        for t in &proto.tensors {
            let ty =
                t.ty.as_ref()
                    .ok_or_else(|| bad(format!("tensor '{}' has no type", t.name)))?
                    .to_fixed()
                    .map_err(|e| bad(format!("tensor '{}': {e}", t.name)))?;
            let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
            tensors.push(TensorInfo {
                name: t.name.clone(),
                len: shape.iter().product(),
                shape,
                ty,
            });
        }
        let id = |v: u32| -> Result<usize, HlsError> {
            let i = v as usize;
            if i < tensors.len() {
                Ok(i)
            } else {
                Err(bad(format!("tensor {v} does not exist")))
            }
        };
        let ids = |list: &[u32]| list.iter().map(|&v| id(v)).collect::<Result<Vec<_>, _>>();
        let layers = proto
            .layers
            .iter()
            .map(|l| {
                Ok(LayerIo {
                    inputs: ids(&l.inputs)?,
                    output: id(l.output)?,
                    kernel: l.kernel.as_ref().map_or("none", crate::lower::kernel_name),
                })
            })
            .collect::<Result<Vec<_>, HlsError>>()?;
        Ok(Structure {
            inputs: ids(&proto.inputs)?,
            outputs: ids(&proto.outputs)?,
            tensors,
            layers,
        })
    }
}

/// Bits of a signed integer that holds every raw value of `t`.
fn raw_bits(t: FixedType) -> u32 {
    t.width() + u32::from(!t.is_signed())
}

/// One layer being emitted.
pub struct Ctx<'a> {
    pub index: usize,
    pub layer: &'a LayerProto,
    /// Input buffers, in the layer's input order.
    pub ins: Vec<BufRef>,
    pub out: BufRef,
    /// The layer's identifier; its config and constants are named after it.
    pub base: String,
    pub names: &'a mut Names,
    pub reuse: &'a ReusePolicy,
    /// The estimator's reuse factor for this layer.
    pub folded: Option<usize>,
}

impl Ctx<'_> {
    pub fn err(&self, reason: impl Into<String>) -> HlsError {
        HlsError::Layer {
            index: self.index,
            name: self.layer.name.clone(),
            op: self.layer.op.clone(),
            reason: reason.into(),
        }
    }

    /// A fresh identifier `<layer>_<suffix>`.
    pub fn name(&mut self, suffix: &str) -> String {
        let n = format!("{}_{suffix}", self.base);
        self.names.cpp(&n)
    }

    /// The layer's config struct, named `<layer>_config`.
    pub fn config(&mut self) -> ConfigStruct {
        ConfigStruct::new(self.name("config"))
    }

    pub fn input(&self, k: usize) -> Result<&BufRef, HlsError> {
        self.ins
            .get(k)
            .ok_or_else(|| self.err(format!("has no input {k}")))
    }

    /// A type of the layer's kernel (validated by the loader).
    pub fn ty(&self, what: &str, t: &Option<TypeProto>) -> Result<FixedType, HlsError> {
        t.as_ref()
            .ok_or_else(|| self.err(format!("{what}: missing")))?
            .to_fixed()
            .map_err(|r| self.err(format!("{what}: {r}")))
    }
}

fn emit_layer(ctx: &mut Ctx<'_>) -> Result<Emitted, HlsError> {
    let kernel = ctx
        .layer
        .kernel
        .clone()
        .ok_or_else(|| ctx.err("has no kernel"))?;
    match &kernel {
        Kernel::Dense(k) => mac::dense(ctx, k),
        Kernel::Conv(k) => mac::conv(ctx, k),
        Kernel::Affine(k) => mac::affine(ctx, k),
        Kernel::MaxPool(k) => pool::max_pool(ctx, k),
        Kernel::AveragePool(k) => pool::average_pool(ctx, k),
        Kernel::GlobalMaxPool(k) => pool::global_max_pool(ctx, k),
        Kernel::GlobalAveragePool(k) => pool::global_average_pool(ctx, k),
        Kernel::Binary(k) => elementwise::binary(ctx, k),
        Kernel::Relu(_) => activation::relu(ctx),
        Kernel::Clip(k) => activation::clip(ctx, k),
        Kernel::LeakyRelu(k) => activation::leaky_relu(ctx, k),
        Kernel::HardSigmoid(k) => activation::hard(ctx, k, "hard_sigmoid"),
        Kernel::HardSwish(k) => activation::hard(ctx, k, "hard_swish"),
        Kernel::Lut(k) => lut::lut(ctx, k),
        Kernel::Softmax(k) => lut::softmax(ctx, k),
        Kernel::View(_) => Ok(movement::view()),
        Kernel::Cast(_) => movement::cast(ctx),
        Kernel::Transpose(k) => movement::transpose(ctx, k),
        Kernel::Pad(k) => movement::pad(ctx, k),
        Kernel::Concat(k) => movement::concat(ctx, k),
    }
}
