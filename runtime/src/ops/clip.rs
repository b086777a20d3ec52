//! `y = min(max(x, lo), hi)` with `lo`, `hi` fixed-point constants of their own type (ReLU6 is
//! `lo = 0`, `hi = 6`). Twin of `hls-templates/kernels/clip.h`.
//!
//! Contract shared with the header: one loop over the values; `if (x < lo) y = lo; else if (x > hi)
//! y = hi; else y = x;` with exact comparisons; one rounding point, the cast into the output of
//! whichever value was chosen (`bound → output` or `input → output`).
//!
//! Rust: [`run_lanes`] runs the same per-value computation over a tile of samples in the lanes
//! layout, one loop over `size · lanes` values, in blocks: every value's `input → output` cast
//! first, then the choice (the same value is chosen, so the same bits).

use super::common::{
    check_len, check_storage, constant, lanes_len, scaled_ceil, scaled_floor, store, with_simd,
    OpError, Raw, Simd, Word, BLOCK,
};
use crate::fixed::Requant;
use crate::{Fixed, FixedType};

const OP: &str = "clip";

#[derive(Clone, Debug, PartialEq)]
pub struct ClipConfig {
    pub size: usize,
    pub input: FixedType,
    /// The type of `lo` and `hi`.
    pub bound: FixedType,
    /// Raw values of `bound`.
    pub lo: i64,
    pub hi: i64,
    pub output: FixedType,
    /// `x < lo` iff `raw(x) < lo_below`; `x > hi` iff `raw(x) > hi_above`.
    lo_below: i128,
    hi_above: i128,
    /// `lo` and `hi` cast into the output.
    lo_out: i64,
    hi_out: i64,
    pub requant: Requant,
}

impl ClipConfig {
    pub fn new(
        size: usize,
        input: FixedType,
        bound: FixedType,
        lo: i64,
        hi: i64,
        output: FixedType,
    ) -> Result<ClipConfig, OpError> {
        let lo_f = constant(OP, lo, bound)?;
        let hi_f = constant(OP, hi, bound)?;
        if lo > hi {
            return Err(OpError::config(
                OP,
                format!("lo {} is above hi {}", lo_f.to_f64(), hi_f.to_f64()),
            ));
        }
        let d = input.frac_bits() - bound.frac_bits();
        Ok(ClipConfig {
            size,
            input,
            bound,
            lo,
            hi,
            output,
            lo_below: scaled_ceil(lo, d),
            hi_above: scaled_floor(hi, d),
            lo_out: lo_f.cast(output).raw() as i64,
            hi_out: hi_f.cast(output).raw() as i64,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
        })
    }

    /// ReLU6: `lo = 0`, `hi = 6` in `ap_ufixed<3,3>`.
    pub fn relu6(size: usize, input: FixedType, output: FixedType) -> Result<ClipConfig, OpError> {
        let bound = FixedType::unsigned(3, 3).map_err(OpError::fixed(OP))?;
        let six = Fixed::from_f64(6.0, bound).map_err(OpError::fixed(OP))?;
        ClipConfig::new(size, input, bound, 0, six.raw() as i64, output)
    }
}

/// Runs the activation on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &ClipConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the activation on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &ClipConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if cfg.requant.is_identity() && X::BITS <= 16 {
        // No cast: the comparisons in `i32`, which vectorize. For 16-bit raw values, thresholds
        // clamped into `i32` compare the same way (every value lies strictly inside).
        let to_i32 = |t: i128| t.clamp(i32::MIN.into(), i32::MAX.into()) as i32;
        let (lo, hi) = (to_i32(cfg.lo_below), to_i32(cfg.hi_above));
        with_simd(NoCast {
            x,
            y,
            lo,
            hi,
            lo_out: cfg.lo_out as i32,
            hi_out: cfg.hi_out as i32,
        });
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
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &ClipConfig, x: &[X], y: &mut [Y]) {
    // `v < lo_below` and `v > hi_above` on words (see `Word::threshold`).
    let (lo, all_below) = W::threshold(cfg.lo_below, true);
    let (hi, all_above) = W::threshold(cfg.hi_above, false);
    let (lo_out, hi_out) = (W::from_i64(cfg.lo_out), W::from_i64(cfg.hi_out));
    let mut buf = [W::default(); BLOCK];
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let q = &mut buf[..xb.len()];
        for (q, &xv) in q.iter_mut().zip(xb) {
            *q = W::of(xv);
        }
        W::cast_all(&cfg.requant, q);
        for (q, &xv) in q.iter_mut().zip(xb) {
            let v = W::of(xv);
            *q = if (v < lo) | all_below {
                lo_out
            } else if (v > hi) | all_above {
                hi_out
            } else {
                *q
            };
        }
        store(q, yb);
    }
}

/// The clip without a cast, on 16-bit raw values: comparisons and results in `i32`.
struct NoCast<'a, X, Y> {
    x: &'a [X],
    y: &'a mut [Y],
    lo: i32,
    hi: i32,
    lo_out: i32,
    hi_out: i32,
}

impl<X: Raw, Y: Raw> Simd for NoCast<'_, X, Y> {
    #[inline(always)]
    fn go<const AVX2: bool>(self) {
        let (lo, hi, lo_out, hi_out) = (self.lo, self.hi, self.lo_out, self.hi_out);
        for (yv, &xv) in self.y.iter_mut().zip(self.x) {
            let v = Into::<i64>::into(xv) as i32;
            let out = if v < lo {
                lo_out
            } else if v > hi {
                hi_out
            } else {
                v
            };
            *yv = Y::from_i64_unchecked(i64::from(out));
        }
    }
}
