//! 2-D convolution with K-hot weights, multiplier-free: every product `x·w` is the sum of `x`
//! shifted by the CSD digits of `w`. Twin of `hls-templates/kernels/conv2d_shift_add.h`, and
//! bit-identical to [`super::conv2d`] on the same weights.
//!
//! Contract shared with the header:
//! - loops: `oy`, `ox` (the pipelined pixel loop), `co`, then the taps `ci` (within the group of
//!   `co`), `ky`, `kx`, then the weight's terms (least significant first); a tap in the padding
//!   adds nothing;
//! - accumulator: the convolution's `accum` (exact, proved by [`Conv2dConfig`]), from the bias;
//! - one rounding point: the cast `accum → output`.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout, in the order of
//! [`super::shift_add`]'s conv loops (`oy`, `ox`, `co`, taps, terms), each term one pass over the
//! `L` lanes (the sums are exact), the outputs of a pixel cast together.

use super::common::{check_len, OpError, Raw};
use super::conv2d::Conv2dConfig;
use super::shift_add::{conv_kernel, ConvGeometry, ShiftAddWeights};

const OP: &str = "conv2d_shift_add";

/// A 2-D convolution and the shift-add terms of its weights (`[C_out][C_in/groups][kh][kw]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2dShiftAddConfig {
    pub conv: Conv2dConfig,
    pub terms: ShiftAddWeights,
}

impl Conv2dShiftAddConfig {
    /// `weights` (raw) must each have at most `k` CSD digits.
    pub fn new(conv: Conv2dConfig, k: u32, weights: &[i64]) -> Result<Self, OpError> {
        check_len(OP, "weight", weights, conv.weight_len())?;
        super::shift_add::check_exact(OP, &conv.plan, conv.types.accum)?;
        let terms = ShiftAddWeights::new(OP, k, weights)?;
        Ok(Conv2dShiftAddConfig { conv, terms })
    }
}

/// Runs the convolution on the raw values of one sample (the weights are in `cfg`;
/// [`run_lanes`] with one lane).
pub fn run<X: Raw, B: Raw, Y: Raw>(
    cfg: &Conv2dShiftAddConfig,
    x: &[X],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    run_lanes(cfg, x, b, y, 1)
}

/// Runs the convolution on a tile of `lanes` samples in the lanes layout: `x [C_in][..][L]`,
/// `b [C_out]` (shared by every sample) → `y [C_out][..][L]`.
pub fn run_lanes<X: Raw, B: Raw, Y: Raw>(
    cfg: &Conv2dShiftAddConfig,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let c = &cfg.conv;
    let g = ConvGeometry {
        in_channels: c.in_channels,
        out_channels: c.out_channels,
        groups: c.groups,
        window: &c.window,
        plan: &c.plan,
        types: &c.types,
    };
    conv_kernel(OP, &g, &cfg.terms, x, b, y, lanes)
}
