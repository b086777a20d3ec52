//! Dense (fully connected): `y[o] = b[o] + Σ_i x[i] · w[o][i]`. Twin of `hls-templates/kernels/dense.h`.
//!
//! Contract shared with the header:
//! - accumulator `accum`, initialised with the bias, exact: the config proves it holds
//!   `bias + n_in · x·w` in the worst case with enough fractional bits, so its final value is one
//!   exact integer sum;
//! - one rounding point: `y[o] = acc`, the cast `accum → output` with the output's Q and O;
//! - the header loops `o` over outputs, then `i` over inputs; the kernel here computes the same
//!   exact sum in another order, over a tile of samples at once ([`super::gemm`]).
//!
//! Weights are `[n_out][n_in]` row-major (ONNX Gemm with `transB = 1`, PyTorch `Linear.weight`).

use super::common::{MacFold, MacPlan, MacStrategy, MacTypes, OpError, Raw};
use super::gemm::{self, MacShape, PackedWeights};

const OP: &str = "dense";

/// A dense layer, with everything the kernel needs computed up front.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseConfig {
    pub n_in: usize,
    pub n_out: usize,
    pub types: MacTypes,
    /// How the HLS twin folds a position's products ([`MacFold`]). Only the C++ twin uses it;
    /// it never changes a bit.
    pub fold: MacFold,
    pub plan: MacPlan,
    shape: MacShape,
}

impl DenseConfig {
    pub fn new(n_in: usize, n_out: usize, types: MacTypes) -> Result<DenseConfig, OpError> {
        if n_in == 0 || n_out == 0 {
            return Err(OpError::config(
                OP,
                format!("empty layer {n_in} -> {n_out}"),
            ));
        }
        Ok(DenseConfig {
            n_in,
            n_out,
            types,
            fold: MacFold::default(),
            plan: MacPlan::new(OP, &types, n_in)?,
            shape: MacShape::dense(n_in, n_out),
        })
    }

    /// Sets the HLS folding: `strategy` and a reuse factor valid for this layer's products
    /// ([`super::common::reuse_is_valid`]).
    pub fn with_fold(
        mut self,
        strategy: MacStrategy,
        reuse_factor: usize,
    ) -> Result<DenseConfig, OpError> {
        self.fold = MacFold::new(OP, strategy, reuse_factor, self.n_in, self.n_out)?;
        Ok(self)
    }

    /// Multiply-accumulates per run.
    pub fn macs(&self) -> usize {
        self.n_in * self.n_out
    }

    /// With a user accumulator ([`super::accum`]): whether any of its casts wrapped or saturated
    /// on one sample `x` (raw values), weights packed by `pack`; `None` when the accumulator is
    /// exact (it never overflows).
    pub fn accum_overflows(&self, packed: &PackedWeights, x: &[i64], b: &[i64]) -> Option<bool> {
        gemm::accum_overflows(&self.shape, &self.plan, packed, x, b)
    }

    /// The weights `[n_out][n_in]`, checked and packed for [`run_lanes`].
    pub fn pack<W: Raw>(&self, w: &[W]) -> Result<PackedWeights, OpError> {
        gemm::pack(OP, &self.shape, &self.types, &self.plan, w)
    }
}

/// Runs the layer on one sample's raw values: `x[n_in]`, `w[n_out · n_in]`, `b[n_out]` →
/// `y[n_out]` (packs the weights for this call; a caller running many samples packs them once,
/// [`DenseConfig::pack`], and calls [`run_lanes`]).
pub fn run<X: Raw, W: Raw, B: Raw, Y: Raw>(
    cfg: &DenseConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    let packed = cfg.pack(w)?;
    run_lanes(cfg, &packed, x, b, y, 1)
}

/// Runs a tile of `lanes` samples in the lanes layout (`x [input_len][lanes]` →
/// `y [output_len][lanes]`: value `i` of sample `s` at `i · lanes + s`, [`super::gemm`]) with
/// weights packed by [`DenseConfig::pack`]. Bit for bit one call of [`run`] per sample.
pub fn run_lanes<X: Raw, B: Raw, Y: Raw>(
    cfg: &DenseConfig,
    packed: &PackedWeights,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    gemm::run_layer(
        OP, &cfg.shape, &cfg.types, &cfg.plan, packed, x, b, y, lanes,
    )
}
