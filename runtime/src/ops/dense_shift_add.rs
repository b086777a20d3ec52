//! Dense with K-hot weights, multiplier-free: `y[o] = b[o] + Σ_i Σ_d ±(x[i] << s_d)` over the CSD
//! digits `d` of `w[o][i]`. Twin of `hls-templates/kernels/dense_shift_add.h`, and bit-identical
//! to [`super::dense`] on the same weights (`x·w` is exactly the sum of its shifted terms).
//!
//! Contract shared with the header:
//! - loops: `o` over outputs, then `i` over inputs, then the weight's terms (least significant
//!   first); the terms come from [`ShiftAddWeights`] (the header: a compile-time table of shifts
//!   and signs, emitted from the same derivation);
//! - accumulator: the dense layer's `accum` (exact, proved by [`DenseConfig`]), initialised with
//!   the bias;
//! - one rounding point: `y[o] = acc`.

use super::common::{check_len, check_storage, OpError, Raw};
use super::dense::DenseConfig;
use super::shift_add::{finish, product, ShiftAddWeights};

const OP: &str = "dense_shift_add";

/// A dense layer and the shift-add terms of its weights.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseShiftAddConfig {
    pub dense: DenseConfig,
    pub terms: ShiftAddWeights,
}

impl DenseShiftAddConfig {
    /// `weights` (`[n_out][n_in]`, raw) must each have at most `k` CSD digits.
    pub fn new(dense: DenseConfig, k: u32, weights: &[i64]) -> Result<Self, OpError> {
        check_len(OP, "weight", weights, dense.n_in * dense.n_out)?;
        let terms = ShiftAddWeights::new(OP, k, weights)?;
        Ok(DenseShiftAddConfig { dense, terms })
    }
}

/// Runs the layer on raw values: `x[n_in]`, `b[n_out]` → `y[n_out]` (the weights are in `cfg`).
pub fn run<X: Raw, B: Raw, Y: Raw>(
    cfg: &DenseShiftAddConfig,
    x: &[X],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    let d = &cfg.dense;
    check_len(OP, "input", x, d.n_in)?;
    check_len(OP, "bias", b, d.n_out)?;
    check_len(OP, "output", y, d.n_out)?;
    check_storage::<X>(OP, "input", d.types.input)?;
    check_storage::<B>(OP, "bias", d.types.bias)?;
    check_storage::<Y>(OP, "output", d.types.output)?;
    kernel(cfg, x, b, y);
    Ok(())
}

/// The loops (slices checked by [`run`]).
pub fn kernel<X: Raw, B: Raw, Y: Raw>(cfg: &DenseShiftAddConfig, x: &[X], b: &[B], y: &mut [Y]) {
    let d = &cfg.dense;
    let plan = &d.plan;
    for (o, (yo, bo)) in y.iter_mut().zip(b).enumerate() {
        let mut sum = 0i64;
        for (i, xi) in x.iter().enumerate() {
            sum = sum.wrapping_add(product((*xi).into(), cfg.terms.terms(o * d.n_in + i)));
        }
        let v = finish(
            sum,
            (*bo).into(),
            plan.prod_shift,
            plan.bias_shift,
            &plan.requant,
        );
        *yo = Y::from_i64_unchecked(v);
    }
}
