//! Compiled models: the on-disk format ([`format`]) and the interpreter that runs it ([`Model`]).
//!
//! ```text
//! model.bpm ──Model::load──▶ Model (validated: every layer's kernel config built, every constant
//!                                    checked against its type)
//!           ──Model::run_raw / run_f32 / trace──▶ raw integers per output (and f64 values)
//! ```
//!
//! The interpreter runs every layer with the integer kernels of [`crate::ops`] and nothing else,
//! so it computes the same bits as the HLS twins of those kernels. Tensors live in `i16` storage
//! when their type fits one, else in `i64`; accumulators are chosen by each kernel (`i32` or
//! `i64`). Samples run in parallel with rayon ([`Threads`]), one workspace per worker.
//!
//! Loading never panics on a corrupt file: every count, shape, type, window and constant is
//! checked, and an error names the layer (or tensor) it is about.

pub mod format;
pub mod index;

mod error;
mod interp;
mod load;

pub use error::ModelError;
pub use interp::{LayerOutput, Output, Threads, MAX_THREADS};
pub use load::{MAX_TENSOR, MAX_WORKSPACE};

use crate::fixed::Requant;
use crate::ops::affine::AffineConfig;
use crate::ops::average_pool::AveragePoolConfig;
use crate::ops::binary::BinaryConfig;
use crate::ops::clip::ClipConfig;
use crate::ops::conv1d::Conv1dConfig;
use crate::ops::conv1d_shift_add::Conv1dShiftAddConfig;
use crate::ops::conv2d::Conv2dConfig;
use crate::ops::conv2d_shift_add::Conv2dShiftAddConfig;
use crate::ops::dense::DenseConfig;
use crate::ops::dense_shift_add::DenseShiftAddConfig;
use crate::ops::gemm::PackedWeights;
use crate::ops::global_average_pool::GlobalAveragePoolConfig;
use crate::ops::global_max_pool::GlobalMaxPoolConfig;
use crate::ops::hard_sigmoid::HardSigmoidConfig;
use crate::ops::hard_swish::HardSwishConfig;
use crate::ops::leaky_relu::LeakyReluConfig;
use crate::ops::lut::LutConfig;
use crate::ops::max_pool::MaxPoolConfig;
use crate::ops::relu::ReluConfig;
use crate::ops::softmax::SoftmaxConfig;
use crate::{Fixed, FixedType};

/// A tensor of the model: one sample's shape (no batch axis) and its type.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<usize>,
    pub ty: FixedType,
    /// Elements per sample.
    pub len: usize,
}

/// A layer of a loaded model.
#[derive(Clone, Debug)]
pub struct Layer {
    pub name: String,
    /// The IR op it was lowered from.
    pub op: String,
    /// Data inputs (tensor ids).
    pub inputs: Vec<usize>,
    /// Output tensor id.
    pub output: usize,
    /// Its kernel's stem ([`format::layer::Kernel::stem`]).
    kernel: &'static str,
    exec: Exec,
}

impl Layer {
    /// The runtime kernel this layer runs (`dense`, `conv2d`, `view`, ...): a stem of
    /// [`crate::ops::KERNELS`].
    pub fn kernel(&self) -> &'static str {
        self.kernel
    }

    /// Its validated kernel config and constants.
    pub fn exec(&self) -> &Exec {
        &self.exec
    }
}

/// A validated compiled model, ready to run.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub source: String,
    /// The float model's file name inside the compiled folder ("" when none was stored).
    pub float_model: String,
    pub precision: String,
    pub ranges: String,
    tensors: Vec<TensorInfo>,
    inputs: Vec<usize>,
    outputs: Vec<usize>,
    layers: Vec<Layer>,
    /// Which buffer each tensor uses while running (planned once, at load).
    slots: interp::Slots,
    /// The validated proto: the constants and kernel parameters the emitters read.
    proto: format::ModelProto,
}

impl Model {
    /// The compiled model as it was validated (the backends read its kernels' parameters and
    /// constants from it; nothing re-validates it).
    pub fn proto(&self) -> &format::ModelProto {
        &self.proto
    }
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }
    pub fn tensor(&self, id: usize) -> Option<&TensorInfo> {
        self.tensors.get(id)
    }
    /// Graph inputs (tensor ids).
    pub fn inputs(&self) -> &[usize] {
        &self.inputs
    }
    /// Graph outputs (tensor ids).
    pub fn outputs(&self) -> &[usize] {
        &self.outputs
    }
    /// Layers in execution order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    /// The first input's tensor.
    pub fn input(&self) -> &TensorInfo {
        &self.tensors[self.inputs[0]]
    }
    /// The first output's tensor.
    pub fn output(&self) -> &TensorInfo {
        &self.tensors[self.outputs[0]]
    }

    /// Values quantized into tensor `id`'s type the way `ap_fixed<..>(double)` does
    /// ([`Fixed::from_f64`]: the exact value, then the type's Q and O): raw integers.
    pub fn quantize(&self, id: usize, values: &[f32]) -> Result<Vec<i64>, ModelError> {
        let t = self
            .tensors
            .get(id)
            .ok_or_else(|| ModelError::Input(format!("no tensor {id}")))?;
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                Fixed::from_f64(f64::from(v), t.ty)
                    .map(|f| f.raw() as i64)
                    .map_err(|e| {
                        ModelError::Input(format!(
                            "value {i} ({v}) of '{}' (sample {}): {e}",
                            t.name,
                            i / t.len.max(1)
                        ))
                    })
            })
            .collect()
    }

    /// Raw values of tensor `id` as real numbers (`to_double()`; exact up to 53 bits).
    pub fn dequantize(&self, id: usize, raw: &[i64]) -> Vec<f64> {
        match self.tensors.get(id) {
            Some(t) => raw.iter().map(|&r| value_of(r, t.ty)).collect(),
            None => vec![f64::NAN; raw.len()],
        }
    }
}

/// `raw` of `ty` as a double (`NaN` if it is not a raw value of `ty`).
pub fn value_of(raw: i64, ty: FixedType) -> f64 {
    Fixed::from_raw(i128::from(raw), ty).map_or(f64::NAN, |f| f.to_f64())
}

/// Raw values of one tensor: `i16` when its type fits, else `i64`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Buf {
    I16(Vec<i16>),
    I64(Vec<i64>),
}

impl Default for Buf {
    fn default() -> Buf {
        Buf::I64(Vec::new())
    }
}

impl Buf {
    /// Zeros in the storage of `ty`.
    pub fn zeros(narrow: bool, len: usize) -> Buf {
        if narrow {
            Buf::I16(vec![0; len])
        } else {
            Buf::I64(vec![0; len])
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        match self {
            Buf::I16(v) => i64::from(v[i]),
            Buf::I64(v) => v[i],
        }
    }

    #[inline]
    pub fn set(&mut self, i: usize, x: i64) {
        match self {
            Buf::I16(v) => v[i] = x as i16,
            Buf::I64(v) => v[i] = x,
        }
    }

    /// Copies `n` samples of `len` values each (`raw`, one sample after another, values of
    /// this buffer's type) into lanes `0..n` of this `[len][lanes]` buffer, and zeros lanes
    /// `n..lanes`: the buffer may have held another tensor, and the kernels run every lane, so
    /// the unused ones must hold valid raw values too (0 is one of every type).
    pub fn fill_lanes(&mut self, raw: &[i64], len: usize, n: usize, lanes: usize) {
        fn fill<T: Copy>(
            v: &mut [T],
            raw: &[i64],
            len: usize,
            n: usize,
            lanes: usize,
            f: fn(i64) -> T,
        ) {
            if n < lanes {
                for row in v[..len * lanes].chunks_exact_mut(lanes) {
                    row[n..].fill(f(0));
                }
            }
            for (s, sample) in raw.chunks_exact(len).take(n).enumerate() {
                for (i, &r) in sample.iter().enumerate() {
                    v[i * lanes + s] = f(r);
                }
            }
        }
        match self {
            Buf::I16(v) => fill(v, raw, len, n, lanes, |r| r as i16),
            Buf::I64(v) => fill(v, raw, len, n, lanes, |r| r),
        }
    }

    /// Appends lanes `0..n` of this `[len][lanes]` buffer to `out`, one sample after another.
    pub fn extend_lanes(&self, out: &mut Vec<i64>, len: usize, n: usize, lanes: usize) {
        fn extend<T: Copy + Into<i64>>(
            v: &[T],
            out: &mut Vec<i64>,
            len: usize,
            n: usize,
            lanes: usize,
        ) {
            for s in 0..n {
                out.extend((0..len).map(|i| v[i * lanes + s].into()));
            }
        }
        match self {
            Buf::I16(v) => extend(v, out, len, n, lanes),
            Buf::I64(v) => extend(v, out, len, n, lanes),
        }
    }
}

/// True when every raw value of `ty` fits an `i16`.
pub(crate) fn narrow(ty: FixedType) -> bool {
    ty.width() + u32::from(!ty.is_signed()) <= 16
}

/// A data-movement plan: output element `i` is input element `map[i]`, or `fill` when
/// `map[i] == PAD`.
#[derive(Clone, Debug)]
pub struct Gather {
    pub map: Vec<usize>,
    pub fill: i64,
}

pub(crate) const PAD: usize = usize::MAX;

/// One input of a concatenation: per outer index, `chunk` values, cast into the output type.
#[derive(Clone, Debug)]
pub struct ConcatPart {
    pub chunk: usize,
    pub requant: Requant,
}

/// What a layer runs: its kernel's config, built and checked once by the loader, and its
/// constants. The backends (the HLS emitter, the twin test) read the configs from here.
#[derive(Clone, Debug)]
pub enum Exec {
    Dense {
        cfg: DenseConfig,
        /// Packed once, at load.
        w: PackedWeights,
        b: Vec<i64>,
    },
    Conv1d {
        cfg: Conv1dConfig,
        /// Packed once, at load.
        w: PackedWeights,
        b: Vec<i64>,
    },
    Conv2d {
        cfg: Conv2dConfig,
        /// Packed once, at load.
        w: PackedWeights,
        b: Vec<i64>,
    },
    /// K-hot layers: the weights live in the config as shift-add terms.
    DenseShiftAdd {
        cfg: DenseShiftAddConfig,
        b: Vec<i64>,
    },
    Conv1dShiftAdd {
        cfg: Conv1dShiftAddConfig,
        b: Vec<i64>,
    },
    Conv2dShiftAdd {
        cfg: Conv2dShiftAddConfig,
        b: Vec<i64>,
    },
    MaxPool(MaxPoolConfig),
    AveragePool(AveragePoolConfig),
    GlobalMaxPool(GlobalMaxPoolConfig),
    GlobalAveragePool(GlobalAveragePoolConfig),
    Affine {
        cfg: AffineConfig,
        scale: Vec<i64>,
        shift: Vec<i64>,
    },
    /// Constant operands are stored here; the others are the layer's inputs, in order.
    Binary {
        cfg: BinaryConfig,
        a: Option<Vec<i64>>,
        b: Option<Vec<i64>>,
    },
    Relu(ReluConfig),
    Clip(ClipConfig),
    LeakyRelu(LeakyReluConfig),
    HardSigmoid(HardSigmoidConfig),
    HardSwish(HardSwishConfig),
    Lut(LutConfig),
    Softmax(SoftmaxConfig),
    /// Raw values copied unchanged.
    View,
    /// Each value cast into the output type.
    Cast(Requant),
    /// Transpose, Pad.
    Gather(Gather),
    Concat {
        outer: usize,
        parts: Vec<ConcatPart>,
    },
}
