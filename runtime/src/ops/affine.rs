//! Per-channel affine `y[c][i] = x[c][i] · scale[c] + shift[c]`: BatchNorm kept as its own layer.
//! Twin of `hls-templates/kernels/affine.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - `x * scale + shift` in the header's exact result type (product `W_x+W_s`, `I_x+I_s`, then the
//!   sum's widening), no intermediate declared type;
//! - one rounding point: the cast `result → output`.

use super::common::{check_len, check_storage, mul_add_type, requant, OpError, Raw};
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

/// Runs the layer on raw values: `x [C·N]`, `scale [C]`, `shift [C]` → `y [C·N]`.
pub fn run<X: Raw, S: Raw, T: Raw, Y: Raw>(
    cfg: &AffineConfig,
    x: &[X],
    scale: &[S],
    shift: &[T],
    y: &mut [Y],
) -> Result<(), OpError> {
    let n = cfg.channels * cfg.size;
    check_len(OP, "input", x, n)?;
    check_len(OP, "scale", scale, cfg.channels)?;
    check_len(OP, "shift", shift, cfg.channels)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<S>(OP, "scale", cfg.types.scale)?;
    check_storage::<T>(OP, "shift", cfg.types.shift)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    for (((x_c, y_c), &s), &t) in x
        .chunks_exact(cfg.size)
        .zip(y.chunks_exact_mut(cfg.size))
        .zip(scale)
        .zip(shift)
    {
        let s: i64 = s.into();
        let t = Into::<i64>::into(t) << cfg.shift_shift;
        for (&xv, yv) in x_c.iter().zip(y_c) {
            let v = (Into::<i64>::into(xv).wrapping_mul(s) << cfg.prod_shift).wrapping_add(t);
            *yv = Y::from_i64_unchecked(cfg.requant.apply(v));
        }
    }
    Ok(())
}
