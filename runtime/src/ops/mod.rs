//! Integer kernels: every layer of a compiled model on raw fixed-point integers, the Rust twins of
//! the HLS kernel headers in `hls-templates/kernels/<op>.h`.
//!
//! Each op lives in one file with a config struct (every dimension, stride, type, shift and cast
//! computed up front by its `new`) and a `run` over slices of raw integers. The storage integer of
//! each tensor is a type parameter ([`Raw`]: `i8`, `i16`, `i32` or `i64`, chosen from the widths by
//! [`Storage::for_type`]); the accumulator (`i32` when it fits, else `i64`, see [`AccKind`]) is picked
//! by the config. Accumulators are exact (checked by the config against the worst case, see
//! [`Span`]), so the only rounding point of a layer is its output cast ([`crate::fixed::Requant`]),
//! except where an op's file names another one (the reciprocal of average pooling).
//!
//! **Lanes.** Every kernel runs on a tile of `L` samples in the *lanes layout*: a tensor of `len`
//! values per sample is stored `[len][L]`, value `i` of sample `s` at `i·L + s`, so that the inner
//! loops run over `L` contiguous samples with the per-element parameters (a channel's scale, a
//! window's taps, a divisor, a panel of weights) loaded once. `run_lanes(cfg, .., lanes)` computes
//! for every sample the bits that the one-sample loops compute; `run` is `run_lanes` with one lane,
//! which is the one-sample layout, so there is one implementation per op and the twin test checks
//! it. [`dense`], [`conv1d`] and [`conv2d`] take their weights packed once for the engine
//! ([`gemm::PackedWeights`]). Zero lanes, or lengths whose product with the lanes overflows, are
//! config errors.
//!
//! **Twin rule.** A kernel here and its header keep the same loop order, accumulator type and
//! rounding points; they change together, in the same commit (docs/kernels.md). The
//! multiply-accumulate kernels keep the accumulator and rounding point but not the order: their
//! sums are exact integers, computed as matrix products by [`gemm`]. The other kernels keep the
//! header's loops over one sample's values, with a loop over the lanes inside (or, where values
//! are independent, one loop over all of them in blocks that are cast together); each file says
//! where its order differs and why the bits do not. They compute in `i32` when the output cast
//! allows it ([`crate::fixed::Requant::fits_i32`]: every value before the cast fits), else in
//! `i64`, exactly either way.
//!
//! Kernels, in the order of docs/kernels.md:
//! - [`dense`], [`conv1d`], [`conv2d`]: multiply-accumulate layers (the engine: [`gemm`]);
//!   [`dense_shift_add`], [`conv1d_shift_add`], [`conv2d_shift_add`]: the same with K-hot weights,
//!   multiplier-free (shared: [`shift_add`]);
//! - [`max_pool`], [`average_pool`], [`global_max_pool`], [`global_average_pool`];
//! - [`affine`]: BatchNorm kept as a per-channel `x * scale + shift`;
//! - [`add`], [`sub`], [`mul`]: element-wise, with broadcast ([`binary`]);
//! - [`relu`], [`clip`], [`leaky_relu`], [`hard_sigmoid`], [`hard_swish`]: piecewise-linear activations;
//! - [`lut`] (Sigmoid, Tanh: one table, and [`lut::LutTable`], the index arithmetic of every table),
//!   [`softmax`] (an `exp` table, an exact sum, a `1/s` table): table-driven activations.

pub mod accum;
mod common;
pub mod gemm;
pub mod kernels;
pub mod window;

pub mod add;
pub mod affine;
pub mod average_pool;
pub mod binary;
pub mod clip;
pub mod conv1d;
pub mod conv1d_shift_add;
pub mod conv2d;
pub mod conv2d_shift_add;
pub mod dense;
pub mod dense_shift_add;
pub mod global_average_pool;
pub mod global_max_pool;
pub mod hard_sigmoid;
pub mod hard_swish;
pub mod leaky_relu;
pub mod max_pool;
pub mod mul;
pub mod relu;
pub mod shift_add;
pub mod sub;

pub use common::{
    closest_reuse_factor, reuse_is_valid, valid_reuse_factors, AccKind, Accum, MacCast, MacFold,
    MacPlan, MacStrategy, MacTypes, OpError, Raw, Span, Storage, SumKind, ARRAY_PORTS,
};
pub(crate) use common::{with_simd, Simd};
pub use kernels::{kernel, Family, KernelInfo, KERNELS};
pub use window::Window2;

pub mod lut;
pub mod softmax;
