//! `y = clamp(alpha · x + beta, 0, 1)` (ONNX HardSigmoid; PyTorch's is `alpha = 1/6`,
//! `beta = 1/2`), with `alpha`, `beta` fixed-point constants of their own types. Twin of
//! `hls-templates/kernels/hard_sigmoid.h`.
//!
//! Contract shared with the header: one loop over the values; `t = alpha * x + beta` in the
//! header's exact result type; `if (t <= 0) y = 0; else if (t >= 1) y = 1; else y = t;` with exact
//! comparisons; one rounding point, the cast into the output (`y = 1` is the `int` 1 cast, which
//! saturates or wraps when the output cannot hold 1).

use super::common::{
    check_len, check_storage, constant, int_one, mul_add_type, requant, OpError, Raw,
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

/// Runs the activation on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &HardSigmoidConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size)?;
    check_len(OP, "output", y, cfg.size)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    let alpha = cfg.params.alpha;
    for (&xv, yv) in x.iter().zip(y) {
        let t = cfg.line.eval(alpha, xv.into());
        let out = if t <= 0 {
            0
        } else if i128::from(t) >= cfg.line.one {
            cfg.one_out
        } else {
            cfg.requant.apply(t)
        };
        *yv = Y::from_i64_unchecked(out);
    }
    Ok(())
}
