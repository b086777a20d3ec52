//! `y = x · clamp(alpha · x + beta, 0, 1)` (ONNX HardSwish is `alpha = 1/6`, `beta = 1/2`), with
//! `alpha`, `beta` fixed-point constants of their own types. Twin of
//! `hls-templates/kernels/hard_swish.h`.
//!
//! Contract shared with the header: one loop over the values; `t = alpha * x + beta` in the
//! header's exact result type; `if (t <= 0) y = 0; else if (t >= 1) y = x; else y = x * t;` with
//! exact comparisons and the exact product `x * t`; one rounding point, the cast into the output.

use super::common::{check_len, check_storage, requant, OpError, Raw};
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

/// Runs the activation on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &HardSwishConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size)?;
    check_len(OP, "output", y, cfg.size)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    let alpha = cfg.params.alpha;
    for (&xv, yv) in x.iter().zip(y) {
        let v: i64 = xv.into();
        let t = cfg.line.eval(alpha, v);
        let out = if t <= 0 {
            0
        } else if i128::from(t) >= cfg.line.one {
            cfg.requant.apply(v)
        } else {
            cfg.requant_product.apply(v.wrapping_mul(t))
        };
        *yv = Y::from_i64_unchecked(out);
    }
    Ok(())
}
