//! Global max pooling, one sample: `x [C][N]` (N = H·W) → `y [C]`. Twin of
//! `hls-templates/kernels/global_max_pool.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - the running maximum has the input type and starts at its lowest value; exact comparisons;
//! - one rounding point: the cast `input → output`.

use super::common::{check_len, check_storage, OpError, Raw};
use crate::fixed::Requant;
use crate::FixedType;

const OP: &str = "global_max_pool";

#[derive(Clone, Debug, PartialEq)]
pub struct GlobalMaxPoolConfig {
    pub channels: usize,
    /// Values per channel (`H·W`).
    pub size: usize,
    pub input: FixedType,
    pub output: FixedType,
    pub requant: Requant,
}

impl GlobalMaxPoolConfig {
    pub fn new(
        channels: usize,
        size: usize,
        input: FixedType,
        output: FixedType,
    ) -> Result<GlobalMaxPoolConfig, OpError> {
        if channels == 0 || size == 0 {
            return Err(OpError::config(
                OP,
                format!("empty input: {channels} channels of {size} values"),
            ));
        }
        Ok(GlobalMaxPoolConfig {
            channels,
            size,
            input,
            output,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
        })
    }
}

/// Runs the pooling on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &GlobalMaxPoolConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.channels * cfg.size)?;
    check_len(OP, "output", y, cfg.channels)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    let lowest = cfg.input.min_raw() as i64;
    for (x_c, yv) in x.chunks_exact(cfg.size).zip(y) {
        let m = x_c.iter().fold(lowest, |m, &v| m.max(v.into()));
        *yv = Y::from_i64_unchecked(cfg.requant.apply(m));
    }
    Ok(())
}
