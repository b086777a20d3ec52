//! Global average pooling, one sample: `x [C][N]` (N = H·W) → `y [C]`. Twin of
//! `hls-templates/kernels/global_average_pool.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - the sum in `accum`, exact (the config proves it holds `N` inputs);
//! - the divide by `N` as in [`average_pool`](super::average_pool): a shift when `N = 2^k`
//!   (exact), else a multiply by the reciprocal `1/N` rounded into `recip_t` up front (**a second
//!   rounding point**), then the output cast.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][N][L]`): loops `c`,
//! then one run over the channel's `N·L` contiguous values into partial sums, a multiple of `L` of
//! them, added per lane (`fold_lanes`); then the divide and the cast, of a group of channels at
//! once. Each sum has the same terms as in the header and is exact, so every sample gets the
//! header's bits.

use super::average_pool::{AvgTypes, Divide};
use super::common::{
    cast_store, check_len, check_storage, fold_lanes, fold_width, lanes_len, AccKind, Accum,
    OpError, Raw, Span, Word, BLOCK,
};
use crate::fixed::Requant;

const OP: &str = "global_average_pool";

#[derive(Clone, Debug, PartialEq)]
pub struct GlobalAveragePoolConfig {
    pub channels: usize,
    /// Values per channel (`H·W`), also the divisor.
    pub size: usize,
    pub types: AvgTypes,
    pub acc: AccKind,
    /// `F_acc - F_x`: the sum of raw inputs is shifted left by this into the accumulator.
    pub in_shift: u32,
    pub divide: Divide,
    pub requant: Requant,
}

impl GlobalAveragePoolConfig {
    pub fn new(
        channels: usize,
        size: usize,
        types: AvgTypes,
    ) -> Result<GlobalAveragePoolConfig, OpError> {
        if channels == 0 || size == 0 {
            return Err(OpError::config(
                OP,
                format!("empty input: {channels} channels of {size} values"),
            ));
        }
        let need = Span::of(types.input)
            .repeated(size as u64)
            .ok_or_else(|| OpError::config(OP, "the sum exceeds 128 bits"))?;
        if !need.fits(types.accum) {
            return Err(OpError::Accumulator {
                op: OP,
                accum: types.accum,
                need: need.to_string(),
            });
        }
        let acc = AccKind::for_type(types.accum).ok_or(OpError::Storage {
            op: OP,
            tensor: "accumulator",
            ty: types.accum,
            bits: 64,
        })?;
        let (divide, requant) = Divide::new(OP, &types, Some(size), size)?;
        Ok(GlobalAveragePoolConfig {
            channels,
            size,
            types,
            acc,
            in_shift: (types.accum.frac_bits() - types.input.frac_bits()) as u32,
            divide,
            requant,
        })
    }
}

/// Runs the pooling on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(
    cfg: &GlobalAveragePoolConfig,
    x: &[X],
    y: &mut [Y],
) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the pooling on a tile of `lanes` samples in the lanes layout: `x [C][N][L]` → `y [C][L]`.
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &GlobalAveragePoolConfig,
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
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    if x.is_empty() {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    // The cast in `i32` words when it fits (then so does the accumulator).
    match (cfg.acc, cfg.requant.fits_i32(), lanes) {
        (AccKind::I32, true, 1) => kernel::<X, Y, i32, i32>(cfg, x, y, 1),
        (AccKind::I32, true, _) => kernel::<X, Y, i32, i32>(cfg, x, y, lanes),
        (AccKind::I32, false, _) => kernel::<X, Y, i32, i64>(cfg, x, y, lanes),
        (AccKind::I64, _, _) => kernel::<X, Y, i64, i64>(cfg, x, y, lanes),
    }
    Ok(())
}

/// The loops, for one accumulator integer, the cast in words `W` (slices checked by
/// [`run_lanes`]).
#[inline(always)]
fn kernel<X: Raw, Y: Raw, A: Accum, W: Word>(
    cfg: &GlobalAveragePoolConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) {
    let factor = W::from_i64(cfg.divide.factor(cfg.size));
    let mut part = vec![A::default(); fold_width(lanes)];
    let mut acc = vec![A::default(); lanes];
    // Channels cast together (about a block of values).
    let group = (BLOCK / lanes).max(1);
    let mut v = vec![W::default(); group * lanes];
    let plane = cfg.size * lanes;
    for (x_g, y_g) in x.chunks(group * plane).zip(y.chunks_mut(group * lanes)) {
        let v = &mut v[..y_g.len()];
        for (x_c, v_c) in x_g.chunks_exact(plane).zip(v.chunks_exact_mut(lanes)) {
            let add = |a: A, t: X| a.add(A::of(t));
            fold_lanes(x_c, &mut part, &mut acc, A::default(), add, A::add);
            for (v, &a) in v_c.iter_mut().zip(&acc) {
                *v = W::from_i64(a.shl(cfg.in_shift).to_i64()).mul(factor);
            }
        }
        cast_store(&cfg.requant, v, y_g);
    }
}
