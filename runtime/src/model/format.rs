//! The on-disk format of a compiled model (`OUT/model.bpm`): a protobuf message of our own, written
//! by `binpoint compile` and read by the [interpreter](super::Model). Hand-written prost structs (no
//! `.proto`, no build script); the field tags are the format and never change meaning.
//!
//! ```text
//! ModelProto
//!   magic "binpoint-model", version 1, name, source, float_model, precision, ranges
//!   tensors[]   name, shape (one sample, no batch axis), type (signed, W, I, Q, O, N)
//!   inputs[], outputs[]   tensor ids (indices into tensors)
//!   layers[]    in execution order: name, op, inputs[] (tensor ids), output (tensor id), kernel
//! ```
//!
//! A layer's kernel (`layer::Kernel`) carries every number its runtime kernel needs that the tensor
//! types and shapes do not already say: dimensions, windows, groups, the intermediate types
//! (accumulators, reciprocals, table entries), and its constants as raw integers of their types
//! (`sint64`, packed). Values are raw integers throughout: a tensor of type `ap_fixed<W,I>` holds
//! `raw · 2^-(W-I)`. Data are laid out one sample at a time, channels first (`[C][H][W]`).
//!
//! Compatibility: readers refuse another `version`; a new kernel kind or field gets a new tag and,
//! when old readers would misread the file, a new version.

use prost::{Enumeration, Message, Oneof};

/// The first field of every compiled model.
pub const MAGIC: &str = "binpoint-model";
/// The format version this runtime reads and writes.
pub const VERSION: u32 = 1;

/// A compiled model.
#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    /// Always [`MAGIC`].
    #[prost(string, tag = "1")]
    pub magic: String,
    /// [`VERSION`].
    #[prost(uint32, tag = "2")]
    pub version: u32,
    /// The graph's name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// The file it was compiled from (file name only, so that the output is the same wherever the
    /// model lives).
    #[prost(string, tag = "4")]
    pub source: String,
    /// A copy of the float model next to this file (`model.onnx`), for `binpoint eval`; empty
    /// when there is none.
    #[prost(string, tag = "5")]
    pub float_model: String,
    /// Every tensor the layers read or write (not the constants inside kernels).
    #[prost(message, repeated, tag = "6")]
    pub tensors: Vec<TensorProto>,
    /// Graph inputs: tensor ids, in the float model's input order.
    #[prost(uint32, repeated, tag = "7")]
    pub inputs: Vec<u32>,
    /// Graph outputs: tensor ids, in the float model's output order.
    #[prost(uint32, repeated, tag = "8")]
    pub outputs: Vec<u32>,
    /// In execution order: every layer's inputs are graph inputs or outputs of earlier layers.
    #[prost(message, repeated, tag = "9")]
    pub layers: Vec<LayerProto>,
    /// The precision config the types came from ("--bits 8", "precision.toml").
    #[prost(string, tag = "10")]
    pub precision: String,
    /// How the ranges were found ("calibration (max-abs, 1437 samples)").
    #[prost(string, tag = "11")]
    pub ranges: String,
}

/// A fixed-point type: `ap_fixed<width, int_bits, rounding, overflow, sat_bits>` (or `ap_ufixed`).
#[derive(Clone, Copy, PartialEq, Message)]
pub struct TypeProto {
    #[prost(bool, tag = "1")]
    pub signed: bool,
    #[prost(uint32, tag = "2")]
    pub width: u32,
    #[prost(sint32, tag = "3")]
    pub int_bits: i32,
    #[prost(enumeration = "RoundingProto", tag = "4")]
    pub rounding: i32,
    #[prost(enumeration = "OverflowProto", tag = "5")]
    pub overflow: i32,
    #[prost(uint32, tag = "6")]
    pub sat_bits: u32,
}

/// `Q`, as in `ap_fixed.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum RoundingProto {
    Trn = 0,
    TrnZero = 1,
    Rnd = 2,
    RndZero = 3,
    RndMinInf = 4,
    RndInf = 5,
    RndConv = 6,
}

/// `O`, as in `ap_fixed.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum OverflowProto {
    Wrap = 0,
    Sat = 1,
    SatZero = 2,
    SatSym = 3,
    WrapSm = 4,
}

/// One tensor: its shape for one sample (the batch axis is implicit) and its type.
#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(uint64, repeated, tag = "2")]
    pub shape: Vec<u64>,
    #[prost(message, optional, tag = "3")]
    pub ty: Option<TypeProto>,
}

/// One layer: `output = kernel(inputs)`.
#[derive(Clone, PartialEq, Message)]
pub struct LayerProto {
    /// The node name of the typed graph (what reports and traces show).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The IR op it was lowered from (`Conv`, `Dense`, `Flatten`, ...).
    #[prost(string, tag = "2")]
    pub op: String,
    /// Data inputs (tensor ids), in slot order; constants live in the kernel.
    #[prost(uint32, repeated, tag = "3")]
    pub inputs: Vec<u32>,
    #[prost(uint32, tag = "4")]
    pub output: u32,
    #[prost(
        oneof = "layer::Kernel",
        tags = "10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29"
    )]
    pub kernel: Option<layer::Kernel>,
}

pub mod layer {
    use super::*;

    /// The kernel of a layer, one variant per runtime kernel (and data movement).
    #[derive(Clone, PartialEq, Oneof)]
    pub enum Kernel {
        #[prost(message, tag = "10")]
        Dense(DenseProto),
        #[prost(message, tag = "11")]
        Conv(ConvProto),
        #[prost(message, tag = "12")]
        MaxPool(MaxPoolProto),
        #[prost(message, tag = "13")]
        AveragePool(AveragePoolProto),
        #[prost(message, tag = "14")]
        GlobalMaxPool(GlobalMaxPoolProto),
        #[prost(message, tag = "15")]
        GlobalAveragePool(GlobalAveragePoolProto),
        #[prost(message, tag = "16")]
        Affine(AffineProto),
        #[prost(message, tag = "17")]
        Binary(BinaryProto),
        #[prost(message, tag = "18")]
        Relu(ReluProto),
        #[prost(message, tag = "19")]
        Clip(ClipProto),
        #[prost(message, tag = "20")]
        LeakyRelu(LeakyReluProto),
        #[prost(message, tag = "21")]
        HardSigmoid(HardProto),
        #[prost(message, tag = "22")]
        HardSwish(HardProto),
        #[prost(message, tag = "23")]
        View(ViewProto),
        #[prost(message, tag = "24")]
        Transpose(TransposeProto),
        #[prost(message, tag = "25")]
        Pad(PadProto),
        #[prost(message, tag = "26")]
        Concat(ConcatProto),
        #[prost(message, tag = "27")]
        Lut(LutProto),
        #[prost(message, tag = "28")]
        Softmax(SoftmaxProto),
        #[prost(message, tag = "29")]
        Cast(CastProto),
    }
}

/// `y[o] = b[o] + Σ_i x[i]·w[o][i]` (`ops::dense`); input and output types are the tensors'.
#[derive(Clone, PartialEq, Message)]
pub struct DenseProto {
    #[prost(uint64, tag = "1")]
    pub n_in: u64,
    #[prost(uint64, tag = "2")]
    pub n_out: u64,
    #[prost(message, optional, tag = "3")]
    pub weight_type: Option<TypeProto>,
    /// Absent when the layer has no bias (the kernel then adds raw zeros of a 1-bit type).
    #[prost(message, optional, tag = "4")]
    pub bias_type: Option<TypeProto>,
    #[prost(message, optional, tag = "5")]
    pub accum_type: Option<TypeProto>,
    /// `[n_out][n_in]`, raw values of `weight_type`.
    #[prost(sint64, repeated, tag = "6")]
    pub weights: Vec<i64>,
    /// `[n_out]`, raw values of `bias_type`; empty without a bias.
    #[prost(sint64, repeated, tag = "7")]
    pub bias: Vec<i64>,
    /// K-hot weights: when `K > 0`, every raw weight has at most `K` non-zero CSD digits and the
    /// layer runs multiplier-free (`ops::dense_shift_add`: the same bits). 0: multiplies.
    #[prost(uint32, tag = "8")]
    pub khot: u32,
}

/// A sliding window over an `in_h × in_w` plane (1-D: height 1, `pad_top = pad_bottom = 0`).
#[derive(Clone, Copy, PartialEq, Message)]
pub struct WindowProto {
    #[prost(uint64, tag = "1")]
    pub in_h: u64,
    #[prost(uint64, tag = "2")]
    pub in_w: u64,
    #[prost(uint64, tag = "3")]
    pub kernel_h: u64,
    #[prost(uint64, tag = "4")]
    pub kernel_w: u64,
    #[prost(uint64, tag = "5")]
    pub stride_h: u64,
    #[prost(uint64, tag = "6")]
    pub stride_w: u64,
    #[prost(uint64, tag = "7")]
    pub dilation_h: u64,
    #[prost(uint64, tag = "8")]
    pub dilation_w: u64,
    #[prost(uint64, tag = "9")]
    pub pad_top: u64,
    #[prost(uint64, tag = "10")]
    pub pad_left: u64,
    #[prost(uint64, tag = "11")]
    pub pad_bottom: u64,
    #[prost(uint64, tag = "12")]
    pub pad_right: u64,
    #[prost(bool, tag = "13")]
    pub ceil_mode: bool,
}

/// Convolution (`ops::conv1d` when `rank = 1`, `ops::conv2d` when 2).
#[derive(Clone, PartialEq, Message)]
pub struct ConvProto {
    #[prost(uint32, tag = "1")]
    pub rank: u32,
    #[prost(uint64, tag = "2")]
    pub in_channels: u64,
    #[prost(uint64, tag = "3")]
    pub out_channels: u64,
    #[prost(uint64, tag = "4")]
    pub groups: u64,
    #[prost(message, optional, tag = "5")]
    pub window: Option<WindowProto>,
    #[prost(message, optional, tag = "6")]
    pub weight_type: Option<TypeProto>,
    #[prost(message, optional, tag = "7")]
    pub bias_type: Option<TypeProto>,
    #[prost(message, optional, tag = "8")]
    pub accum_type: Option<TypeProto>,
    /// `[C_out][C_in/groups][kh][kw]`.
    #[prost(sint64, repeated, tag = "9")]
    pub weights: Vec<i64>,
    /// `[C_out]`; empty without a bias.
    #[prost(sint64, repeated, tag = "10")]
    pub bias: Vec<i64>,
    /// K-hot weights as in [`DenseProto::khot`] (`ops::conv1d_shift_add`, `ops::conv2d_shift_add`).
    #[prost(uint32, tag = "11")]
    pub khot: u32,
}

/// `ops::max_pool` (1-D: a window of height 1).
#[derive(Clone, PartialEq, Message)]
pub struct MaxPoolProto {
    #[prost(uint64, tag = "1")]
    pub channels: u64,
    #[prost(message, optional, tag = "2")]
    pub window: Option<WindowProto>,
}

/// `ops::average_pool`.
#[derive(Clone, PartialEq, Message)]
pub struct AveragePoolProto {
    #[prost(uint64, tag = "1")]
    pub channels: u64,
    #[prost(message, optional, tag = "2")]
    pub window: Option<WindowProto>,
    #[prost(bool, tag = "3")]
    pub count_include_pad: bool,
    /// The exact window sum.
    #[prost(message, optional, tag = "4")]
    pub accum_type: Option<TypeProto>,
    /// The type of `1/n` (unused when every divisor is the same power of two: a shift).
    #[prost(message, optional, tag = "5")]
    pub recip_type: Option<TypeProto>,
}

/// `ops::global_max_pool`: `[C][size] → [C]`.
#[derive(Clone, PartialEq, Message)]
pub struct GlobalMaxPoolProto {
    #[prost(uint64, tag = "1")]
    pub channels: u64,
    #[prost(uint64, tag = "2")]
    pub size: u64,
}

/// `ops::global_average_pool`: `[C][size] → [C]`.
#[derive(Clone, PartialEq, Message)]
pub struct GlobalAveragePoolProto {
    #[prost(uint64, tag = "1")]
    pub channels: u64,
    #[prost(uint64, tag = "2")]
    pub size: u64,
    #[prost(message, optional, tag = "3")]
    pub accum_type: Option<TypeProto>,
    #[prost(message, optional, tag = "4")]
    pub recip_type: Option<TypeProto>,
}

/// `ops::affine`: `y[c][i] = x[c][i]·scale[c] + shift[c]`.
#[derive(Clone, PartialEq, Message)]
pub struct AffineProto {
    #[prost(uint64, tag = "1")]
    pub channels: u64,
    #[prost(uint64, tag = "2")]
    pub size: u64,
    #[prost(message, optional, tag = "3")]
    pub scale_type: Option<TypeProto>,
    #[prost(message, optional, tag = "4")]
    pub shift_type: Option<TypeProto>,
    #[prost(sint64, repeated, tag = "5")]
    pub scale: Vec<i64>,
    #[prost(sint64, repeated, tag = "6")]
    pub shift: Vec<i64>,
}

/// Which element-wise op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enumeration)]
#[repr(i32)]
pub enum BinaryOpProto {
    Add = 0,
    Sub = 1,
    Mul = 2,
}

/// `ops::add`, `ops::sub`, `ops::mul` over `[channels][size]`.
#[derive(Clone, PartialEq, Message)]
pub struct BinaryProto {
    #[prost(enumeration = "BinaryOpProto", tag = "1")]
    pub op: i32,
    #[prost(uint64, tag = "2")]
    pub channels: u64,
    #[prost(uint64, tag = "3")]
    pub size: u64,
    #[prost(message, optional, tag = "4")]
    pub a: Option<OperandProto>,
    #[prost(message, optional, tag = "5")]
    pub b: Option<OperandProto>,
}

/// One operand of an element-wise op: element `(c, i)` reads `data[c·stride_c + i·stride_i]`.
/// A non-constant operand is the layer's next data input, in order.
#[derive(Clone, PartialEq, Message)]
pub struct OperandProto {
    #[prost(uint64, tag = "1")]
    pub len: u64,
    #[prost(uint64, tag = "2")]
    pub stride_c: u64,
    #[prost(uint64, tag = "3")]
    pub stride_i: u64,
    /// A constant operand (a bias, the reciprocal of a divisor), else absent.
    #[prost(message, optional, tag = "4")]
    pub constant: Option<ConstProto>,
}

/// Constant raw values and their type.
#[derive(Clone, PartialEq, Message)]
pub struct ConstProto {
    #[prost(message, optional, tag = "1")]
    pub ty: Option<TypeProto>,
    #[prost(sint64, repeated, tag = "2")]
    pub values: Vec<i64>,
}

/// `ops::relu`: `max(x, 0)` cast into the output type.
#[derive(Clone, PartialEq, Message)]
pub struct ReluProto {}

/// `ops::clip`: `lo`, `hi` raw values of `bound_type`.
#[derive(Clone, PartialEq, Message)]
pub struct ClipProto {
    #[prost(message, optional, tag = "1")]
    pub bound_type: Option<TypeProto>,
    #[prost(sint64, tag = "2")]
    pub lo: i64,
    #[prost(sint64, tag = "3")]
    pub hi: i64,
}

/// `ops::leaky_relu`.
#[derive(Clone, PartialEq, Message)]
pub struct LeakyReluProto {
    #[prost(message, optional, tag = "1")]
    pub alpha_type: Option<TypeProto>,
    #[prost(sint64, tag = "2")]
    pub alpha: i64,
}

/// `ops::hard_sigmoid`, `ops::hard_swish`: `alpha·x + beta`.
#[derive(Clone, PartialEq, Message)]
pub struct HardProto {
    #[prost(message, optional, tag = "1")]
    pub alpha_type: Option<TypeProto>,
    #[prost(sint64, tag = "2")]
    pub alpha: i64,
    #[prost(message, optional, tag = "3")]
    pub beta_type: Option<TypeProto>,
    #[prost(sint64, tag = "4")]
    pub beta: i64,
}

/// The raw values unchanged (Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout): input and
/// output have the same type and element count.
#[derive(Clone, PartialEq, Message)]
pub struct ViewProto {}

/// Each value cast from the input type to the output type (same shape).
#[derive(Clone, PartialEq, Message)]
pub struct CastProto {}

/// Axes permuted: output axis `k` is input axis `perm[k]` (one sample, no batch axis).
#[derive(Clone, PartialEq, Message)]
pub struct TransposeProto {
    #[prost(uint64, repeated, tag = "1")]
    pub perm: Vec<u64>,
}

/// Constant padding (one sample): all begins, then all ends; `value` a raw value of the tensor
/// type.
#[derive(Clone, PartialEq, Message)]
pub struct PadProto {
    #[prost(uint64, repeated, tag = "1")]
    pub pads: Vec<u64>,
    #[prost(sint64, tag = "2")]
    pub value: i64,
}

/// Inputs joined along `axis` (one sample, no batch axis), each cast into the output type.
#[derive(Clone, PartialEq, Message)]
pub struct ConcatProto {
    #[prost(uint64, tag = "1")]
    pub axis: u64,
}

/// A look-up table (docs/precision.md): `idx = clamp((raw - origin_raw) >> shift, 0, size - 1)`
/// on the raw value of `index_type`, `y = entries[idx]` of `entry_type`.
#[derive(Clone, PartialEq, Message)]
pub struct LutProto {
    /// `sigmoid`, `tanh`, `exp_neg`, `reciprocal`: what the entries hold (informative).
    #[prost(string, tag = "1")]
    pub function: String,
    #[prost(message, optional, tag = "2")]
    pub index_type: Option<TypeProto>,
    #[prost(sint64, tag = "3")]
    pub origin_raw: i64,
    #[prost(uint32, tag = "4")]
    pub shift: u32,
    #[prost(message, optional, tag = "5")]
    pub entry_type: Option<TypeProto>,
    /// `size` raw values of `entry_type` (a power of two).
    #[prost(sint64, repeated, tag = "6")]
    pub entries: Vec<i64>,
}

/// Softmax by tables over `len` elements, for each of `outer × inner` positions: element `k` of
/// position `(o, i)` is at `(o·len + k)·inner + i`.
#[derive(Clone, PartialEq, Message)]
pub struct SoftmaxProto {
    #[prost(uint64, tag = "1")]
    pub outer: u64,
    #[prost(uint64, tag = "2")]
    pub len: u64,
    #[prost(uint64, tag = "3")]
    pub inner: u64,
    /// `exp(-d)` indexed by `d = max(x) - x` (its `index_type`).
    #[prost(message, optional, tag = "4")]
    pub exp: Option<LutProto>,
    /// The exact sum of the exp entries.
    #[prost(message, optional, tag = "5")]
    pub sum_type: Option<TypeProto>,
    /// `1/s` indexed by the sum.
    #[prost(message, optional, tag = "6")]
    pub inv: Option<LutProto>,
    /// The exact product `e·r`, cast into the output.
    #[prost(message, optional, tag = "7")]
    pub product_type: Option<TypeProto>,
}

impl ModelProto {
    /// The encoded bytes (deterministic: prost writes fields in tag order).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode_to_vec()
    }

    /// Decodes the message (no validation: see [`super::Model::from_proto`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<ModelProto, prost::DecodeError> {
        ModelProto::decode(bytes)
    }
}

impl layer::Kernel {
    /// The runtime kernel this layer runs: its stem in [`crate::ops::KERNELS`] (the one mapping
    /// from a compiled layer to its kernel; the loader, the emitters and the estimator use it).
    pub fn stem(&self) -> &'static str {
        use layer::Kernel as K;
        match self {
            K::Dense(d) if d.khot > 0 => "dense_shift_add",
            K::Dense(_) => "dense",
            K::Conv(c) if c.rank == 1 && c.khot > 0 => "conv1d_shift_add",
            K::Conv(c) if c.rank == 1 => "conv1d",
            K::Conv(c) if c.khot > 0 => "conv2d_shift_add",
            K::Conv(_) => "conv2d",
            K::MaxPool(_) => "max_pool",
            K::AveragePool(_) => "average_pool",
            K::GlobalMaxPool(_) => "global_max_pool",
            K::GlobalAveragePool(_) => "global_average_pool",
            K::Affine(_) => "affine",
            K::Binary(b) => match b.op {
                0 => "add",
                1 => "sub",
                _ => "mul",
            },
            K::Relu(_) => "relu",
            K::Clip(_) => "clip",
            K::LeakyRelu(_) => "leaky_relu",
            K::HardSigmoid(_) => "hard_sigmoid",
            K::HardSwish(_) => "hard_swish",
            K::View(_) => "view",
            K::Cast(_) => "cast",
            K::Transpose(_) | K::Pad(_) => "gather",
            K::Concat(_) => "concat",
            K::Lut(_) => "lut",
            K::Softmax(_) => "softmax",
        }
    }
}
