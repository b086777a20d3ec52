//! The plan of the emitted C++: identifiers, one buffer per tensor (views share their input's),
//! one [`HlsLayer`] per layer, and the top function's interface.

use binpoint_runtime::model::format::layer::Kernel;
use binpoint_runtime::model::{Exec, Model, TensorInfo};
use binpoint_runtime::FixedType;

use super::layer::{BufRef, Ctx, Emitted};
use super::{
    activation, config, elementwise, lut, mac, movement, pool, stream, HlsError, HlsOptions,
};
use crate::emit::ident::{comment, Names};
use crate::hardware::Io;

/// One layer in C++.
#[derive(Clone, Debug)]
pub struct HlsLayer {
    pub index: usize,
    /// `name (Op, kernel)`, comment-safe.
    pub comment: String,
    pub emitted: Emitted,
    /// Its output buffer and length (for the trace).
    pub out: BufRef,
    /// Its dataflow process, in a stream design.
    pub stage: Option<stream::Stage>,
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
    /// A stream design's top function file (`stream_top::top`, set by `render_firmware` once the
    /// plan is made); `None`: the array design.
    pub stream_top: Option<String>,
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
    pub fn new(m: &Model, opts: &HlsOptions) -> Result<Plan, HlsError> {
        opts.hardware.check(m)?;
        let proto = m.proto();
        let model = Structure::read(m);
        if opts.max_batch == 0 {
            return Err(HlsError::Unsupported("max_batch must be at least 1".into()));
        }
        let mut names = Names::with_reserved(RESERVED);
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
        for (index, ((lp, l), ml)) in proto
            .layers
            .iter()
            .zip(&model.layers)
            .zip(m.layers())
            .enumerate()
        {
            let base = names.cpp(&lp.name);
            let ins: Vec<BufRef> = l.inputs.iter().map(|&i| bufs[i].clone()).collect();
            let mut ctx = Ctx {
                index,
                layer: lp,
                ins,
                out: bufs[l.output].clone(),
                base,
                names: &mut names,
                plan: opts.hardware.layer(index, &lp.name)?,
                exec: ml.exec(),
            };
            let mut emitted = emit_layer(&mut ctx)?;
            let stage = match opts.hardware.io {
                Io::Stream => Some(stream::stage(&mut ctx, &mut emitted)?),
                Io::Parallel => None,
            };
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
                stage,
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
            stream_top: None,
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
    /// The graph of the validated model.
    fn read(m: &Model) -> Structure {
        Structure {
            tensors: m.tensors().to_vec(),
            inputs: m.inputs().to_vec(),
            outputs: m.outputs().to_vec(),
            layers: m
                .layers()
                .iter()
                .map(|l| LayerIo {
                    inputs: l.inputs.clone(),
                    output: l.output,
                    kernel: l.kernel(),
                })
                .collect(),
        }
    }
}

/// Bits of a signed integer that holds every raw value of `t`.
fn raw_bits(t: FixedType) -> u32 {
    t.width() + u32::from(!t.is_signed())
}

/// One layer in C++: the kernels from their validated configs, data movement from the proto.
fn emit_layer(ctx: &mut Ctx<'_>) -> Result<Emitted, HlsError> {
    use activation::unary;
    let exec = ctx.exec;
    Ok(match exec {
        Exec::Dense { cfg, b, .. } => mac::dense(ctx, cfg, b)?,
        Exec::Conv1d { cfg, b, .. } => mac::conv1d(ctx, cfg, b)?,
        Exec::Conv2d { cfg, b, .. } => mac::conv2d(ctx, cfg, b)?,
        Exec::DenseShiftAdd { cfg, b } => mac::dense_shift_add(ctx, cfg, b)?,
        Exec::Conv1dShiftAdd { cfg, b } => mac::conv1d_shift_add(ctx, cfg, b)?,
        Exec::Conv2dShiftAdd { cfg, b } => mac::conv2d_shift_add(ctx, cfg, b)?,
        Exec::Affine { cfg, scale, shift } => mac::affine(ctx, cfg, scale, shift)?,
        Exec::MaxPool(cfg) => pool::max_pool(ctx, cfg),
        Exec::AveragePool(cfg) => pool::average_pool(ctx, cfg),
        Exec::GlobalMaxPool(cfg) => pool::global_max_pool(ctx, cfg),
        Exec::GlobalAveragePool(cfg) => pool::global_average_pool(ctx, cfg),
        Exec::Binary { cfg, a, b } => elementwise::binary(ctx, cfg, a, b)?,
        Exec::Relu(cfg) => {
            let c = config::relu(ctx.config_name(), cfg, &ctx.io());
            unary(ctx, "relu", c)
        }
        Exec::Clip(cfg) => {
            let c = config::clip(ctx.config_name(), cfg, &ctx.io());
            unary(ctx, "clip", c)
        }
        Exec::LeakyRelu(cfg) => {
            let c = config::leaky_relu(ctx.config_name(), cfg, &ctx.io());
            unary(ctx, "leaky_relu", c)
        }
        Exec::HardSigmoid(cfg) => {
            let c = config::hard_sigmoid(ctx.config_name(), cfg, &ctx.io());
            unary(ctx, "hard_sigmoid", c)
        }
        Exec::HardSwish(cfg) => {
            let c = config::hard_swish(ctx.config_name(), cfg, &ctx.io());
            unary(ctx, "hard_swish", c)
        }
        Exec::Lut(cfg) => lut::lut(ctx, cfg),
        Exec::Softmax(cfg) => lut::softmax(ctx, cfg),
        Exec::View | Exec::Cast(_) | Exec::Gather(_) | Exec::Concat { .. } => {
            let kernel = ctx
                .layer
                .kernel
                .clone()
                .ok_or_else(|| ctx.err("has no kernel"))?;
            match &kernel {
                Kernel::View(_) => movement::view(),
                Kernel::Cast(_) => movement::cast(ctx)?,
                Kernel::Transpose(k) => movement::transpose(ctx, k)?,
                Kernel::Pad(k) => movement::pad(ctx, k)?,
                Kernel::Concat(k) => movement::concat(ctx, k)?,
                _ => return Err(ctx.err("a data movement without its kernel")),
            }
        }
    })
}
