//! `y = x < 0 ? alpha · x : x` with `alpha` a fixed-point constant of its own type. Twin of
//! `hls-templates/kernels/leaky_relu.h`.
//!
//! Contract shared with the header: one loop over the values; `alpha * x` is the header's exact
//! product (`W_a+W_x` bits); one rounding point, the cast into the output of `alpha · x` (negative
//! `x`) or of `x`.
//!
//! Rust: [`run_lanes`] runs the same per-value computation over a tile of samples in the lanes
//! layout, one loop over `size · lanes` values, in blocks: both casts of every value first, then
//! the choice by the sign of `x` (the same cast is chosen, so the same bits).

use super::common::{
    check_len, check_storage, constant, lanes_len, requant, store, OpError, Raw, Word, BLOCK,
};
use crate::fixed::{product_type, Requant};
use crate::FixedType;

const OP: &str = "leaky_relu";

#[derive(Clone, Debug, PartialEq)]
pub struct LeakyReluConfig {
    pub size: usize,
    pub input: FixedType,
    pub alpha_type: FixedType,
    /// Raw value of `alpha_type`.
    pub alpha: i64,
    pub output: FixedType,
    /// The exact type of `alpha * x`.
    pub product: FixedType,
    /// `input → output`.
    pub requant: Requant,
    /// `product → output`.
    pub requant_product: Requant,
}

impl LeakyReluConfig {
    pub fn new(
        size: usize,
        input: FixedType,
        alpha_type: FixedType,
        alpha: i64,
        output: FixedType,
    ) -> Result<LeakyReluConfig, OpError> {
        constant(OP, alpha, alpha_type)?;
        let product = product_type(alpha_type, input).map_err(OpError::fixed(OP))?;
        Ok(LeakyReluConfig {
            size,
            input,
            alpha_type,
            alpha,
            output,
            product,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
            requant_product: requant(OP, product, output)?,
        })
    }
}

/// Runs the activation on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &LeakyReluConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the activation on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &LeakyReluConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if cfg.requant.fits_i32() && cfg.requant_product.fits_i32() {
        kernel::<i32, X, Y>(cfg, x, y);
    } else {
        kernel::<i64, X, Y>(cfg, x, y);
    }
    Ok(())
}

/// The loop, in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &LeakyReluConfig, x: &[X], y: &mut [Y]) {
    let alpha = W::from_i64(cfg.alpha);
    let (mut pbuf, mut qbuf) = ([W::default(); BLOCK], [W::default(); BLOCK]);
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let (p, q) = (&mut pbuf[..xb.len()], &mut qbuf[..xb.len()]);
        for ((p, q), &xv) in p.iter_mut().zip(q.iter_mut()).zip(xb) {
            // Exact: the product type fits the word (checked by the config and `fits_i32`).
            *p = alpha.mul(W::of(xv));
            *q = W::of(xv);
        }
        W::cast_all(&cfg.requant_product, p);
        W::cast_all(&cfg.requant, q);
        for ((q, &p), &xv) in q.iter_mut().zip(p.iter()).zip(xb) {
            *q = if W::of(xv) < W::default() { p } else { *q };
        }
        store(q, yb);
    }
}
