//! `y = max(x, 0)`. Twin of `hls-templates/kernels/relu.h`.
//!
//! Contract shared with the header: one loop over the values; `x > 0` is exact; one rounding point,
//! the cast `input → output` of the positive values (0 is 0 in every type).
//!
//! Rust: [`run_lanes`] runs the same per-value computation over a tile of samples in the lanes
//! layout (every value is independent, so that is one loop over `size · lanes` values), as
//! `cast(max(x, 0))` in blocks (the cast of 0 is 0, so the result is the header's).

use super::common::{
    check_len, check_storage, lanes_len, map_cast, with_simd, OpError, Raw, Simd, Word,
};
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

/// Runs the activation on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &ReluConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the activation on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &ReluConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if cfg.requant.is_identity() && X::BITS <= 32 {
        with_simd(NoCast { x, y });
        return Ok(());
    }
    if cfg.requant.fits_i32() {
        kernel::<i32, X, Y>(cfg, x, y);
    } else {
        kernel::<i64, X, Y>(cfg, x, y);
    }
    Ok(())
}

/// The loop, in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &ReluConfig, x: &[X], y: &mut [Y]) {
    map_cast(&cfg.requant, x, y, |x| W::of(x).max(W::default()));
}

/// The activation without a cast: `max(x, 0)` in `i32` (exact for storages of at most 32 bits).
struct NoCast<'a, X, Y> {
    x: &'a [X],
    y: &'a mut [Y],
}

impl<X: Raw, Y: Raw> Simd for NoCast<'_, X, Y> {
    #[inline(always)]
    fn go<const AVX2: bool>(self) {
        for (yv, &xv) in self.y.iter_mut().zip(self.x) {
            let v = Into::<i64>::into(xv) as i32;
            *yv = Y::from_i64_unchecked(i64::from(if v > 0 { v } else { 0 }));
        }
    }
}
