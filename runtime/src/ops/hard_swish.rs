//! `y = x · clamp(alpha · x + beta, 0, 1)` (ONNX HardSwish is `alpha = 1/6`, `beta = 1/2`), with
//! `alpha`, `beta` fixed-point constants of their own types. Twin of
//! `hls-templates/kernels/hard_swish.h`.
//!
//! Contract shared with the header: one loop over the values; `t = alpha * x + beta` in the
//! header's exact result type; `if (t <= 0) y = 0; else if (t >= 1) y = x; else y = x * t;` with
//! exact comparisons and the exact product `x * t`; one rounding point, the cast into the output.
//!
//! Rust: [`run_lanes`] runs the same per-value computation over a tile of samples in the lanes
//! layout, one loop over `size · lanes` values, in blocks: both casts (`x`, `x * t`) of every value
//! first, then the choice (the same cast is chosen, so the same bits).

use super::common::{
    check_len, check_storage, lanes_len, requant, store, OpError, Raw, Word, BLOCK,
};
use super::hard_sigmoid::{HardLine, HardParams};
use crate::fixed::{product_type, Requant};
use crate::FixedType;

const OP: &str = "hard_swish";

#[derive(Clone, Debug, PartialEq)]
pub struct HardSwishConfig {
    pub size: usize,
    pub input: FixedType,
    pub params: HardParams,
    pub output: FixedType,
    pub line: HardLine,
    /// The exact type of `x * t`.
    pub product: FixedType,
    /// `input → output`.
    pub requant: Requant,
    /// `product → output`.
    pub requant_product: Requant,
}

impl HardSwishConfig {
    pub fn new(
        size: usize,
        input: FixedType,
        params: HardParams,
        output: FixedType,
    ) -> Result<HardSwishConfig, OpError> {
        let line = HardLine::new(OP, &params, input)?;
        let product = product_type(input, line.result).map_err(OpError::fixed(OP))?;
        Ok(HardSwishConfig {
            size,
            input,
            params,
            output,
            line,
            product,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
            requant_product: requant(OP, product, output)?,
        })
    }
}

/// Runs the activation on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &HardSwishConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the activation on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &HardSwishConfig,
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
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &HardSwishConfig, x: &[X], y: &mut [Y]) {
    let alpha = W::from_i64(cfg.params.alpha);
    // `t >= one` is `!(t < one) & !all_below`.
    let (one, all_below) = cfg.line.one_word::<W>();
    let (mut pbuf, mut qbuf) = ([W::default(); BLOCK], [W::default(); BLOCK]);
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let (p, q) = (&mut pbuf[..xb.len()], &mut qbuf[..xb.len()]);
        for ((p, q), &xv) in p.iter_mut().zip(q.iter_mut()).zip(xb) {
            let v = W::of(xv);
            // Exact: the product type fits the word (checked by the config and `fits_i32`).
            *p = v.mul(cfg.line.eval_word(alpha, v));
            *q = v;
        }
        W::cast_all(&cfg.requant_product, p);
        W::cast_all(&cfg.requant, q);
        for ((q, &p), &xv) in q.iter_mut().zip(p.iter()).zip(xb) {
            let t = cfg.line.eval_word(alpha, W::of(xv));
            *q = if t <= W::default() {
                W::default()
            } else if !((t < one) | all_below) {
                *q
            } else {
                p
            };
        }
        store(q, yb);
    }
}
