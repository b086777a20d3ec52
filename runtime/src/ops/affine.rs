//! Per-channel affine `y[c][i] = x[c][i] · scale[c] + shift[c]`: BatchNorm kept as its own layer.
//! Twin of `hls-templates/kernels/affine.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - `x * scale + shift` in the header's exact result type (product `W_x+W_s`, `I_x+I_s`, then the
//!   sum's widening), no intermediate declared type;
//! - one rounding point: the cast `result → output`.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][N][L]`): loops `c`,
//! then one loop over the `N · L` contiguous values of the channel with `scale[c]`, `shift[c]`
//! loaded once (shared by every sample), in blocks. Values are independent, so each has the
//! header's bits.

use super::common::{
    check_len, check_storage, lanes_len, map_cast, mul_add_type, requant, OpError, Raw, Word,
};
use crate::fixed::Requant;
use crate::FixedType;

const OP: &str = "affine";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AffineTypes {
    pub input: FixedType,
    pub scale: FixedType,
    pub shift: FixedType,
    pub output: FixedType,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AffineConfig {
    pub channels: usize,
    /// Values per channel (`H·W`, 1 after a dense layer).
    pub size: usize,
    pub types: AffineTypes,
    /// The exact type of `x * scale + shift`.
    pub result: FixedType,
    /// Left shifts aligning the product and the shift to `result`.
    pub prod_shift: u32,
    pub shift_shift: u32,
    pub requant: Requant,
}

impl AffineConfig {
    pub fn new(channels: usize, size: usize, types: AffineTypes) -> Result<AffineConfig, OpError> {
        if channels == 0 || size == 0 {
            return Err(OpError::config(
                OP,
                format!("empty input: {channels} channels of {size} values"),
            ));
        }
        let (result, prod_shift, shift_shift) =
            mul_add_type(OP, types.input, types.scale, types.shift)?;
        Ok(AffineConfig {
            channels,
            size,
            types,
            result,
            prod_shift,
            shift_shift,
            requant: requant(OP, result, types.output)?,
        })
    }
}

/// Runs the layer on the raw values of one sample: `x [C·N]`, `scale [C]`, `shift [C]` →
/// `y [C·N]` ([`run_lanes`] with one lane).
pub fn run<X: Raw, S: Raw, T: Raw, Y: Raw>(
    cfg: &AffineConfig,
    x: &[X],
    scale: &[S],
    shift: &[T],
    y: &mut [Y],
) -> Result<(), OpError> {
    run_lanes(cfg, x, scale, shift, y, 1)
}

/// Runs the layer on a tile of `lanes` samples in the lanes layout: `x [C·N·L]`, `scale [C]`,
/// `shift [C]` (one per channel, shared by every sample) → `y [C·N·L]`.
pub fn run_lanes<X: Raw, S: Raw, T: Raw, Y: Raw>(
    cfg: &AffineConfig,
    x: &[X],
    scale: &[S],
    shift: &[T],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let plane = lanes_len(OP, &[cfg.size], lanes)?;
    let n = lanes_len(OP, &[cfg.channels, cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "scale", scale, cfg.channels)?;
    check_len(OP, "shift", shift, cfg.channels)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<S>(OP, "scale", cfg.types.scale)?;
    check_storage::<T>(OP, "shift", cfg.types.shift)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    if n == 0 {
        return Ok(());
    }
    if cfg.requant.fits_i32() {
        kernel::<i32, _, _, _, _>(cfg, x, scale, shift, y, plane);
    } else {
        kernel::<i64, _, _, _, _>(cfg, x, scale, shift, y, plane);
    }
    Ok(())
}

/// The loops, in words `W` (slices checked by [`run_lanes`]; `plane = N·L`).
#[inline(always)]
fn kernel<W: Word, X: Raw, S: Raw, T: Raw, Y: Raw>(
    cfg: &AffineConfig,
    x: &[X],
    scale: &[S],
    shift: &[T],
    y: &mut [Y],
    plane: usize,
) {
    for (((x_c, y_c), &s), &t) in x
        .chunks_exact(plane)
        .zip(y.chunks_exact_mut(plane))
        .zip(scale)
        .zip(shift)
    {
        let (s, t) = (W::of(s), W::of(t).shl(cfg.shift_shift));
        map_cast(&cfg.requant, x_c, y_c, |x| {
            W::of(x).mul(s).shl(cfg.prod_shift).add(t)
        });
    }
}
