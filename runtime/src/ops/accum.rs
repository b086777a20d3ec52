//! Accumulators narrower than the exact sum (the user's `accum` type, as hls4ml's `accum_t`):
//! the multiply-accumulate kernels' contract read literally, one step at a time, as the C++
//! twins (`dense.h`, `conv2d.h`, `conv1d.h`) compute it with `ap_fixed`:
//!
//! ```text
//! acc = (accum_t) b;                         // the bias cast: accum's Q and O
//! for each tap t, in increasing order:
//!     acc = (accum_t)(acc + (accum_t)(x * w)) // the product cast, then the sum's overflow
//! y = (out_t) acc;
//! ```
//!
//! When the accumulator holds every partial sum exactly (binpoint's own accumulator types), each
//! cast is the identity and the kernels take their fast paths ([`super::gemm`]); this path is
//! for the others, where products lose low bits and sums wrap or saturate exactly as `ap_fixed`
//! does. A padding tap of a convolution adds a zero product, which changes nothing.

use crate::fixed::{FixedType, Overflow, Requant, Rounding, WideRequant, MAX_WIDTH};

/// The casts of one user accumulator. Raw accumulator values travel in `i128`; the casts run on
/// `i64` when the accumulator has at most 63 bits and the products at most 64 (the common case),
/// else on `i128` ([`WideRequant`]: accumulators up to 127 bits, products up to 128).
#[derive(Clone, Debug, PartialEq)]
pub struct UserAccum {
    casts: Casts,
    lo: i128,
    hi: i128,
}

#[derive(Clone, Debug, PartialEq)]
enum Casts {
    Narrow {
        bias: Requant,
        product: Requant,
        sum: Requant,
        /// Product quantized to the accumulator's binary point without its overflow (for
        /// overflow counting); `None` when that value does not fit 64 bits.
        product_unbounded: Option<Requant>,
        /// The bias at the accumulator's binary point without its overflow.
        bias_unbounded: Option<Requant>,
    },
    Wide {
        bias: WideRequant,
        product: WideRequant,
        sum: WideRequant,
        product_unbounded: Option<WideRequant>,
        bias_unbounded: Option<WideRequant>,
    },
}

/// The type of `a · b` in `ap_fixed`: the widths and integer bits add; signed when either is.
fn product_type(a: FixedType, b: FixedType) -> Option<FixedType> {
    FixedType::wide(
        a.is_signed() || b.is_signed(),
        a.width() + b.width(),
        a.int_bits() + b.int_bits(),
        Rounding::Trn,
        Overflow::Wrap,
        0,
    )
    .ok()
}

/// A signed type of `width` bits with the accumulator's binary point and rounding, which wraps
/// nowhere near the values it is given: where a cast lands before its overflow step.
fn unbounded(acc: FixedType, width: u32) -> Option<FixedType> {
    FixedType::wide(
        true,
        width,
        width as i32 - acc.frac_bits(),
        acc.rounding(),
        Overflow::Wrap,
        0,
    )
    .ok()
}

impl UserAccum {
    /// The casts of accumulator `acc` for products `input × weight` and a bias of type `bias`;
    /// the reason in words when it cannot be run.
    pub fn new(
        input: FixedType,
        weight: FixedType,
        bias: FixedType,
        acc: FixedType,
    ) -> Result<UserAccum, String> {
        let refuse = |why: String| format!("accumulator {acc}: {why}");
        let prod = product_type(input, weight).ok_or_else(|| {
            refuse(format!(
                "the product of {input} and {weight} is wider than {MAX_WIDTH} bits"
            ))
        })?;
        let sum = FixedType::wide(
            acc.is_signed(),
            acc.width() + 1,
            acc.int_bits() + 1,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .map_err(|_| {
            refuse(format!(
                "a user accumulator has at most {} bits (its sums need one more)",
                MAX_WIDTH - 1 - u32::from(!acc.is_signed())
            ))
        })?;
        // Bias, product and the sums' source types fit i64 raws: the i64 casts.
        let fits_i64 = |t: FixedType| t.width() + u32::from(!t.is_signed()) <= 64;
        let casts = if fits_i64(prod) && fits_i64(sum) && fits_i64(bias) {
            let cast = |src: FixedType| Requant::new(src, acc).map_err(|e| refuse(e.to_string()));
            let exact = |src: FixedType, width_over: i32| {
                unbounded(acc, 64)
                    .filter(|u| u.int_bits() > width_over)
                    .and_then(|u| Requant::new(src, u).ok())
            };
            Casts::Narrow {
                bias: cast(bias)?,
                product: cast(prod)?,
                sum: cast(sum)?,
                product_unbounded: exact(prod, prod.int_bits() + 1),
                bias_unbounded: exact(bias, i32::MIN),
            }
        } else {
            let cast =
                |src: FixedType| WideRequant::new(src, acc).map_err(|e| refuse(e.to_string()));
            let exact = |src: FixedType, width_over: i32| {
                unbounded(acc, MAX_WIDTH)
                    .filter(|u| u.int_bits() > width_over)
                    .and_then(|u| WideRequant::new(src, u).ok())
            };
            Casts::Wide {
                bias: cast(bias)?,
                product: cast(prod)?,
                sum: cast(sum)?,
                product_unbounded: exact(prod, prod.int_bits() + 1),
                bias_unbounded: exact(bias, i32::MIN),
            }
        };
        Ok(UserAccum {
            casts,
            lo: acc.min_raw(),
            hi: acc.max_raw(),
        })
    }

    /// True when the casts run on `i128` (an accumulator or product wider than 64 bits).
    pub fn is_wide(&self) -> bool {
        matches!(self.casts, Casts::Wide { .. })
    }

    /// The accumulator's start: the bias cast.
    #[inline]
    pub fn start(&self, bias: i64) -> i128 {
        match &self.casts {
            Casts::Narrow { bias: c, .. } => i128::from(c.apply(bias)),
            Casts::Wide { bias: c, .. } => c.apply(i128::from(bias)),
        }
    }

    /// `acc + (accum_t)(x · w)`, cast: one step.
    #[inline]
    pub fn step(&self, acc: i128, x: i64, w: i64) -> i128 {
        match &self.casts {
            Casts::Narrow { product, sum, .. } => {
                let p = product.apply(x * w);
                i128::from(sum.apply(acc as i64 + p))
            }
            Casts::Wide { product, sum, .. } => {
                let p = product.apply(i128::from(x) * i128::from(w));
                sum.apply(acc + p)
            }
        }
    }

    fn over(&self, v: i128) -> bool {
        v < self.lo || v > self.hi
    }

    /// [`UserAccum::step`], and whether the product cast or the sum left the accumulator's range.
    pub fn step_checked(&self, acc: i128, x: i64, w: i64) -> (i128, bool) {
        let (p, p_exact) = match &self.casts {
            Casts::Narrow {
                product,
                product_unbounded,
                ..
            } => (
                i128::from(product.apply(x * w)),
                product_unbounded.map(|u| i128::from(u.apply(x * w))),
            ),
            Casts::Wide {
                product,
                product_unbounded,
                ..
            } => {
                let xw = i128::from(x) * i128::from(w);
                (product.apply(xw), product_unbounded.map(|u| u.apply(xw)))
            }
        };
        let product_over = p_exact.is_some_and(|v| self.over(v));
        // `acc + p` is exact: both are raw values of the accumulator (at most 127 bits).
        (self.step(acc, x, w), product_over || self.over(acc + p))
    }

    /// [`UserAccum::start`], and whether the bias left the accumulator's range.
    pub fn start_checked(&self, bias: i64) -> (i128, bool) {
        let v = self.start(bias);
        let exact = match &self.casts {
            Casts::Narrow { bias_unbounded, .. } => {
                bias_unbounded.map(|u| i128::from(u.apply(bias)))
            }
            Casts::Wide { bias_unbounded, .. } => bias_unbounded.map(|u| u.apply(i128::from(bias))),
        };
        (v, self.over(exact.unwrap_or(v)))
    }
}
