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
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [n_in][L]`, `y
//! [n_out][L]`): the same loops `o`, `i`, terms, each term one pass over the `L` lanes (the sums
//! are exact); then the cast of a group of outputs at once.

use super::common::{cast_store, check_len, check_storage, lanes_len, OpError, Raw, Word, BLOCK};
use super::dense::DenseConfig;
use super::shift_add::{accumulate, mac_lanes, ShiftAddWeights};
use crate::fixed::Requant;

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
        super::shift_add::check_exact(OP, &dense.plan, dense.types.accum)?;
        let terms = ShiftAddWeights::new(OP, k, weights)?;
        Ok(DenseShiftAddConfig { dense, terms })
    }
}

/// Runs the layer on the raw values of one sample: `x[n_in]`, `b[n_out]` → `y[n_out]` (the
/// weights are in `cfg`; [`run_lanes`] with one lane).
pub fn run<X: Raw, B: Raw, Y: Raw>(
    cfg: &DenseShiftAddConfig,
    x: &[X],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    run_lanes(cfg, x, b, y, 1)
}

/// Runs the layer on a tile of `lanes` samples in the lanes layout: `x [n_in][L]`, `b[n_out]`
/// (shared by every sample) → `y [n_out][L]`.
pub fn run_lanes<X: Raw, B: Raw, Y: Raw>(
    cfg: &DenseShiftAddConfig,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let d = &cfg.dense;
    check_len(OP, "input", x, lanes_len(OP, &[d.n_in], lanes)?)?;
    check_len(OP, "bias", b, d.n_out)?;
    check_len(OP, "output", y, lanes_len(OP, &[d.n_out], lanes)?)?;
    check_storage::<X>(OP, "input", d.types.input)?;
    check_storage::<B>(OP, "bias", d.types.bias)?;
    check_storage::<Y>(OP, "output", d.types.output)?;
    if y.is_empty() {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    let rq = d.plan.narrow_requant(OP)?;
    match (rq.fits_i32(), lanes) {
        (true, 1) => kernel::<i32, X, B, Y>(cfg, rq, x, b, y, 1),
        (true, _) => kernel::<i32, X, B, Y>(cfg, rq, x, b, y, lanes),
        (false, 1) => kernel::<i64, X, B, Y>(cfg, rq, x, b, y, 1),
        (false, _) => kernel::<i64, X, B, Y>(cfg, rq, x, b, y, lanes),
    }
    Ok(())
}

/// The loops, the cast in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, B: Raw, Y: Raw>(
    cfg: &DenseShiftAddConfig,
    rq: &Requant,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) {
    let d = &cfg.dense;
    let mut sum = vec![0i64; lanes];
    // Outputs cast together (about a block of values).
    let group = (BLOCK / lanes).max(1);
    let mut acc = vec![W::default(); group * lanes];
    for (g, (y_g, b_g)) in y.chunks_mut(group * lanes).zip(b.chunks(group)).enumerate() {
        let acc = &mut acc[..y_g.len()];
        for (i_o, (acc, bo)) in acc.chunks_exact_mut(lanes).zip(b_g).enumerate() {
            let o = g * group + i_o;
            sum.fill(0);
            for (i, x_i) in x.chunks_exact(lanes).enumerate() {
                mac_lanes(&mut sum, x_i, cfg.terms.terms(o * d.n_in + i));
            }
            accumulate(&sum, (*bo).into(), &d.plan, acc);
        }
        cast_store(rq, acc, y_g);
    }
}
