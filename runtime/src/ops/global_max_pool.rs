//! Global max pooling, one sample: `x [C][N]` (N = H·W) → `y [C]`. Twin of
//! `hls-templates/kernels/global_max_pool.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - the running maximum has the input type and starts at its lowest value; exact comparisons;
//! - one rounding point: the cast `input → output`.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][N][L]`): loops `c`,
//! `i`, with a running maximum per lane updated over the `L` contiguous lanes of each `i`; then
//! the cast. The maximum is exact in any order, so every sample gets the header's bits.

use super::common::{cast_store, check_len, check_storage, lanes_len, OpError, Raw};
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

/// Runs the pooling on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &GlobalMaxPoolConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the pooling on a tile of `lanes` samples in the lanes layout: `x [C][N][L]` → `y [C][L]`.
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &GlobalMaxPoolConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    check_len(
        OP,
        "input",
        x,
        lanes_len(OP, &[cfg.channels, cfg.size], lanes)?,
    )?;
    check_len(OP, "output", y, lanes_len(OP, &[cfg.channels], lanes)?)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if x.is_empty() {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    if lanes == 1 {
        kernel(cfg, x, y, 1);
    } else {
        kernel(cfg, x, y, lanes);
    }
    Ok(())
}

/// The loops (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<X: Raw, Y: Raw>(cfg: &GlobalMaxPoolConfig, x: &[X], y: &mut [Y], lanes: usize) {
    // The running maximum in the input's storage (it holds every value of the input type).
    let lowest = X::from_i64_unchecked(cfg.input.min_raw() as i64);
    let mut m = vec![lowest; lanes];
    let mut v = vec![0i64; lanes];
    for (x_c, y_c) in x
        .chunks_exact(cfg.size * lanes)
        .zip(y.chunks_exact_mut(lanes))
    {
        m.fill(lowest);
        for xi in x_c.chunks_exact(lanes) {
            for (m, &t) in m.iter_mut().zip(xi) {
                // A select, not a conditional store: it becomes a vector max.
                *m = if t > *m { t } else { *m };
            }
        }
        for (v, &m) in v.iter_mut().zip(&m) {
            *v = m.into();
        }
        cast_store(&cfg.requant, &mut v, y_c);
    }
}
