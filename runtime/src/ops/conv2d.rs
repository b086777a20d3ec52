//! 2-D convolution on one sample, NCHW: `x [C_in][H][W]`, `w [C_out][C_in/groups][kh][kw]`,
//! `b [C_out]` → `y [C_out][out_h][out_w]`. Groups (depthwise when `groups = C_in`), stride,
//! zero padding (raw 0), dilation. Twin of `hls-templates/kernels/conv2d.h`.
//!
//! Contract shared with the header:
//! - accumulator `accum`, initialised with the bias, exact for `bias + (C_in/groups)·kh·kw`
//!   products (checked), so its final value is one exact integer sum;
//! - one rounding point: the cast `accum → output`;
//! - the header loops `co`, `oy`, `ox`, then the taps `ci` (within the group of `co`), `ky`, `kx`,
//!   and skips taps in the padding; the kernel here computes the same exact sum in another order,
//!   a matrix product over a tile of samples ([`super::gemm`]: padding taps skipped).

use super::common::{MacFold, MacPlan, MacStrategy, MacTypes, OpError, Raw};
use super::gemm::{self, MacShape, PackedWeights};
use super::window::Window2;

const OP: &str = "conv2d";

#[derive(Clone, Debug, PartialEq)]
pub struct Conv2dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub window: Window2,
    pub types: MacTypes,
    /// How the HLS twin folds a position's products ([`MacFold`]). Only the C++ twin uses it;
    /// it never changes a bit.
    pub fold: MacFold,
    pub plan: MacPlan,
    shape: MacShape,
}

impl Conv2dConfig {
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        window: Window2,
        types: MacTypes,
    ) -> Result<Conv2dConfig, OpError> {
        check_groups(OP, in_channels, out_channels, groups)?;
        let fan_in = in_channels / groups * window.size();
        Ok(Conv2dConfig {
            in_channels,
            out_channels,
            groups,
            window,
            types,
            fold: MacFold::default(),
            plan: MacPlan::new(OP, &types, fan_in)?,
            shape: MacShape::new(in_channels, out_channels, groups, window),
        })
    }

    /// Sets the HLS folding: `strategy` and a reuse factor valid for this layer's products
    /// ([`super::common::reuse_is_valid`]).
    pub fn with_fold(
        mut self,
        strategy: MacStrategy,
        reuse_factor: usize,
    ) -> Result<Conv2dConfig, OpError> {
        self.fold = MacFold::new(OP, strategy, reuse_factor, self.fan_in(), self.out_channels)?;
        Ok(self)
    }

    /// Products per output value: `C_in/groups · kh · kw`.
    pub fn fan_in(&self) -> usize {
        self.in_channels / self.groups * self.window.size()
    }

    pub fn input_len(&self) -> usize {
        self.in_channels * self.window.in_h * self.window.in_w
    }

    pub fn weight_len(&self) -> usize {
        self.out_channels * self.fan_in()
    }

    pub fn output_len(&self) -> usize {
        self.out_channels * self.window.out_h * self.window.out_w
    }

    /// Multiply-accumulates per run, padding taps included (what the hardware spends).
    pub fn macs(&self) -> usize {
        self.output_len() * self.fan_in()
    }

    /// With a user accumulator ([`super::accum`]): whether any of its casts wrapped or saturated
    /// on one sample `x` (raw values), weights packed by `pack`; `None` when the accumulator is
    /// exact (it never overflows).
    pub fn accum_overflows(&self, packed: &PackedWeights, x: &[i64], b: &[i64]) -> Option<bool> {
        gemm::accum_overflows(&self.shape, &self.plan, packed, x, b)
    }

    /// The weights `[C_out][C_in/groups][kh][kw]`, checked and packed for [`run_lanes`].
    pub fn pack<W: Raw>(&self, w: &[W]) -> Result<PackedWeights, OpError> {
        gemm::pack(OP, &self.shape, &self.types, &self.plan, w)
    }
}

pub(crate) fn check_groups(
    op: &'static str,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
) -> Result<(), OpError> {
    if groups == 0
        || in_channels == 0
        || out_channels == 0
        || !in_channels.is_multiple_of(groups)
        || !out_channels.is_multiple_of(groups)
    {
        return Err(OpError::config(
            op,
            format!(
                "groups {groups} must divide the input channels {in_channels} and the output \
                 channels {out_channels} (all non-zero)"
            ),
        ));
    }
    Ok(())
}

/// Runs the convolution on one sample's raw values (packs the weights for this call; a caller
/// running many samples packs them once, [`Conv2dConfig::pack`], and calls [`run_lanes`]).
pub fn run<X: Raw, W: Raw, B: Raw, Y: Raw>(
    cfg: &Conv2dConfig,
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
/// weights packed by [`Conv2dConfig::pack`]. Bit for bit one call of [`run`] per sample.
pub fn run_lanes<X: Raw, B: Raw, Y: Raw>(
    cfg: &Conv2dConfig,
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
