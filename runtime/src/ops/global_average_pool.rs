//! Global average pooling, one sample: `x [C][N]` (N = H·W) → `y [C]`. Twin of
//! `hls-templates/kernels/global_average_pool.h`.
//!
//! Contract shared with the header:
//! - loops: `c`, then `i` over the `N` values of the channel;
//! - the sum in `accum`, exact (the config proves it holds `N` inputs);
//! - the divide by `N` as in [`average_pool`](super::average_pool): a shift when `N = 2^k`
//!   (exact), else a multiply by the reciprocal `1/N` rounded into `recip_t` up front (**a second
//!   rounding point**), then the output cast.

use super::average_pool::{divide, AvgTypes, Divide};
use super::common::{check_len, check_storage, AccKind, Accum, OpError, Raw, Span};
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

/// Runs the pooling on raw values.
pub fn run<X: Raw, Y: Raw>(
    cfg: &GlobalAveragePoolConfig,
    x: &[X],
    y: &mut [Y],
) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.channels * cfg.size)?;
    check_len(OP, "output", y, cfg.channels)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    match cfg.acc {
        AccKind::I32 => kernel::<X, Y, i32>(cfg, x, y),
        AccKind::I64 => kernel::<X, Y, i64>(cfg, x, y),
    }
    Ok(())
}

/// The loops, for one accumulator integer (slices checked by [`run`]).
pub fn kernel<X: Raw, Y: Raw, A: Accum>(cfg: &GlobalAveragePoolConfig, x: &[X], y: &mut [Y]) {
    for (x_c, yv) in x.chunks_exact(cfg.size).zip(y) {
        let acc = x_c.iter().fold(A::default(), |acc, &v| acc.add(A::of(v)));
        let v = divide(&cfg.divide, acc.shl(cfg.in_shift).to_i64(), cfg.size);
        *yv = Y::from_i64_unchecked(cfg.requant.apply(v));
    }
}
