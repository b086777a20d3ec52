//! `y = x < 0 ? alpha · x : x` with `alpha` a fixed-point constant of its own type. Twin of
//! `hls-templates/kernels/leaky_relu.h`.
//!
//! Contract shared with the header: one loop over the values; `alpha * x` is the header's exact
//! product (`W_a+W_x` bits); one rounding point, the cast into the output of `alpha · x` (negative
//! `x`) or of `x`.

use super::common::{check_len, check_storage, constant, requant, OpError, Raw};
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

/// Runs the activation on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &LeakyReluConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size)?;
    check_len(OP, "output", y, cfg.size)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    for (&xv, yv) in x.iter().zip(y) {
        let v: i64 = xv.into();
        let out = if v < 0 {
            cfg.requant_product.apply(cfg.alpha.wrapping_mul(v))
        } else {
            cfg.requant.apply(v)
        };
        *yv = Y::from_i64_unchecked(out);
    }
    Ok(())
}
