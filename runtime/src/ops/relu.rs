//! `y = max(x, 0)`. Twin of `hls-templates/kernels/relu.h`.
//!
//! Contract shared with the header: one loop over the values; `x > 0` is exact; one rounding point,
//! the cast `input → output` of the positive values (0 is 0 in every type).

use super::common::{check_len, check_storage, OpError, Raw};
use crate::fixed::Requant;
use crate::FixedType;

const OP: &str = "relu";

#[derive(Clone, Debug, PartialEq)]
pub struct ReluConfig {
    pub size: usize,
    pub input: FixedType,
    pub output: FixedType,
    pub requant: Requant,
}

impl ReluConfig {
    pub fn new(size: usize, input: FixedType, output: FixedType) -> Result<ReluConfig, OpError> {
        Ok(ReluConfig {
            size,
            input,
            output,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
        })
    }
}

/// Runs the activation on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &ReluConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size)?;
    check_len(OP, "output", y, cfg.size)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if cfg.requant.is_identity() {
        for (&xv, yv) in x.iter().zip(y) {
            *yv = Y::from_i64_unchecked(Into::<i64>::into(xv).max(0));
        }
        return Ok(());
    }
    for (&xv, yv) in x.iter().zip(y) {
        let v: i64 = xv.into();
        *yv = Y::from_i64_unchecked(if v > 0 { cfg.requant.apply(v) } else { 0 });
    }
    Ok(())
}
