//! `y = min(max(x, lo), hi)` with `lo`, `hi` fixed-point constants of their own type (ReLU6 is
//! `lo = 0`, `hi = 6`). Twin of `hls-templates/kernels/clip.h`.
//!
//! Contract shared with the header: one loop over the values; `if (x < lo) y = lo; else if (x > hi)
//! y = hi; else y = x;` with exact comparisons; one rounding point, the cast into the output of
//! whichever value was chosen (`bound → output` or `input → output`).

use super::common::{check_len, check_storage, constant, scaled_ceil, scaled_floor, OpError, Raw};
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

/// Runs the activation on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &ClipConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size)?;
    check_len(OP, "output", y, cfg.size)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    for (&xv, yv) in x.iter().zip(y) {
        let v: i64 = xv.into();
        let out = if i128::from(v) < cfg.lo_below {
            cfg.lo_out
        } else if i128::from(v) > cfg.hi_above {
            cfg.hi_out
        } else {
            cfg.requant.apply(v)
        };
        *yv = Y::from_i64_unchecked(out);
    }
    Ok(())
}
