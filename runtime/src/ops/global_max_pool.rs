//! Global max pooling, one sample: `x [C][N]` (N = H·W) → `y [C]`. Twin of
//! `hls-templates/kernels/global_max_pool.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - the running maximum has the input type and starts at its lowest value; exact comparisons;
//! - one rounding point: the cast `input → output`.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][N][L]`): loops `c`,
//! then one run over the channel's `N·L` contiguous values into partial maxima, a multiple of `L`
//! of them, merged per lane (`fold_lanes`); then the cast, of a group of channels at once. Each
//! maximum sees the same inputs as in the header, and a maximum is exact in any order, so every
//! sample gets the header's bits.

use super::common::{
    cast_store, check_len, check_storage, fold_lanes, fold_width, lanes_len, OpError, Raw, Word,
    BLOCK,
};
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
    match (cfg.requant.fits_i32(), lanes) {
        (true, 1) => kernel::<i32, X, Y>(cfg, x, y, 1),
        (true, _) => kernel::<i32, X, Y>(cfg, x, y, lanes),
        (false, 1) => kernel::<i64, X, Y>(cfg, x, y, 1),
        (false, _) => kernel::<i64, X, Y>(cfg, x, y, lanes),
    }
    Ok(())
}

/// The loops, the cast in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &GlobalMaxPoolConfig, x: &[X], y: &mut [Y], lanes: usize) {
    // The maxima in the input's storage (it holds every value of the input type).
    let lowest = X::from_i64_unchecked(cfg.input.min_raw() as i64);
    let mut part = vec![lowest; fold_width(lanes)];
    let mut m = vec![lowest; lanes];
    // Channels cast together (about a block of values).
    let group = (BLOCK / lanes).max(1);
    let mut v = vec![W::default(); group * lanes];
    let plane = cfg.size * lanes;
    for (x_g, y_g) in x.chunks(group * plane).zip(y.chunks_mut(group * lanes)) {
        let v = &mut v[..y_g.len()];
        for (x_c, v_c) in x_g.chunks_exact(plane).zip(v.chunks_exact_mut(lanes)) {
            let max = |m: X, t: X| if t > m { t } else { m };
            fold_lanes(x_c, &mut part, &mut m, lowest, max, max);
            for (v, &m) in v_c.iter_mut().zip(&m) {
                *v = W::of(m);
            }
        }
        cast_store(&cfg.requant, v, y_g);
    }
}
