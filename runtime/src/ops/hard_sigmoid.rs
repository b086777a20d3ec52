//! `y = clamp(alpha · x + beta, 0, 1)` (ONNX HardSigmoid; PyTorch's is `alpha = 1/6`,
//! `beta = 1/2`), with `alpha`, `beta` fixed-point constants of their own types. Twin of
//! `hls-templates/kernels/hard_sigmoid.h`.
//!
//! Contract shared with the header: one loop over the values; `t = alpha * x + beta` in the
//! header's exact result type; `if (t <= 0) y = 0; else if (t >= 1) y = 1; else y = t;` with exact
//! comparisons; one rounding point, the cast into the output (`y = 1` is the `int` 1 cast, which
//! saturates or wraps when the output cannot hold 1).
//!
//! Rust: [`run_lanes`] runs the same per-value computation over a tile of samples in the lanes
//! layout, one loop over `size · lanes` values, in blocks: the cast of every `t` first, then the
//! choice (the same value is chosen, so the same bits).

use super::common::{
    check_len, check_storage, constant, int_one, lanes_len, mul_add_type, requant, store, OpError,
    Raw, Word, BLOCK,
};
use crate::fixed::Requant;
use crate::FixedType;

const OP: &str = "hard_sigmoid";

/// `alpha` and `beta` of HardSigmoid / HardSwish: raw values and their types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HardParams {
    pub alpha_type: FixedType,
    pub alpha: i64,
    pub beta_type: FixedType,
    pub beta: i64,
}

/// `t = alpha * x + beta`, precomputed: its exact type, the alignment shifts, the raw value of 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardLine {
    pub result: FixedType,
    pub prod_shift: u32,
    /// `beta`, aligned to `result`.
    pub beta_aligned: i64,
    /// `t >= 1` iff `raw(t) >= one`.
    pub one: i128,
}

impl HardLine {
    pub(crate) fn new(
        op: &'static str,
        p: &HardParams,
        input: FixedType,
    ) -> Result<HardLine, OpError> {
        constant(op, p.alpha, p.alpha_type)?;
        constant(op, p.beta, p.beta_type)?;
        let (result, prod_shift, beta_shift) = mul_add_type(op, p.alpha_type, input, p.beta_type)?;
        if result.width() > 64 {
            return Err(OpError::config(
                op,
                format!("alpha * x + beta needs {result}, wider than 64 bits"),
            ));
        }
        let f = result.frac_bits();
        Ok(HardLine {
            result,
            prod_shift,
            beta_aligned: p.beta << beta_shift,
            one: if f >= 0 { 1i128 << f.min(100) } else { 1 },
        })
    }

    /// `raw(alpha * x + beta)`.
    #[inline]
    pub fn eval(&self, alpha: i64, x: i64) -> i64 {
        (alpha.wrapping_mul(x) << self.prod_shift).wrapping_add(self.beta_aligned)
    }

    /// `raw(alpha * x + beta)` in a word that holds `result` (exact, see [`Word`]).
    #[inline(always)]
    pub(crate) fn eval_word<W: Word>(&self, alpha: W, x: W) -> W {
        alpha
            .mul(x)
            .shl(self.prod_shift)
            .add(W::from_i64(self.beta_aligned))
    }

    /// `t >= 1` on words as `!(t < one) | all`: see [`Word::threshold`].
    #[inline]
    pub(crate) fn one_word<W: Word>(&self) -> (W, bool) {
        W::threshold(self.one, true)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HardSigmoidConfig {
    pub size: usize,
    pub input: FixedType,
    pub params: HardParams,
    pub output: FixedType,
    pub line: HardLine,
    /// `1` cast into the output.
    pub one_out: i64,
    /// `result → output`.
    pub requant: Requant,
}

impl HardSigmoidConfig {
    pub fn new(
        size: usize,
        input: FixedType,
        params: HardParams,
        output: FixedType,
    ) -> Result<HardSigmoidConfig, OpError> {
        let line = HardLine::new(OP, &params, input)?;
        Ok(HardSigmoidConfig {
            size,
            input,
            params,
            output,
            line,
            one_out: int_one(output),
            requant: requant(OP, line.result, output)?,
        })
    }
}

/// Runs the activation on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &HardSigmoidConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the activation on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &HardSigmoidConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if cfg.requant.fits_i32() {
        kernel::<i32, X, Y>(cfg, x, y);
    } else {
        kernel::<i64, X, Y>(cfg, x, y);
    }
    Ok(())
}

/// The loop, in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &HardSigmoidConfig, x: &[X], y: &mut [Y]) {
    let alpha = W::from_i64(cfg.params.alpha);
    // `t >= one` is `!(t < one) & !all_below`.
    let (one, all_below) = cfg.line.one_word::<W>();
    let one_out = W::from_i64(cfg.one_out);
    let (mut tbuf, mut qbuf) = ([W::default(); BLOCK], [W::default(); BLOCK]);
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let (t, q) = (&mut tbuf[..xb.len()], &mut qbuf[..xb.len()]);
        for ((t, q), &xv) in t.iter_mut().zip(q.iter_mut()).zip(xb) {
            *t = cfg.line.eval_word(alpha, W::of(xv));
            *q = *t;
        }
        W::cast_all(&cfg.requant, q);
        for (q, &t) in q.iter_mut().zip(t.iter()) {
            *q = if t <= W::default() {
                W::default()
            } else if !((t < one) | all_below) {
                one_out
            } else {
                *q
            };
        }
        store(q, yb);
    }
}
