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

use crate::fixed::{FixedType, Overflow, Requant, Rounding};

/// The casts of one user accumulator.
#[derive(Clone, Debug, PartialEq)]
pub struct UserAccum {
    bias: Requant,
    product: Requant,
    sum: Requant,
    /// Product quantized to the accumulator's binary point without its overflow (for overflow
    /// counting); `None` when that value does not fit 64 bits.
    product_unbounded: Option<Requant>,
    lo: i64,
    hi: i64,
}

/// The type of `a · b` in `ap_fixed`: the widths and integer bits add; signed when either is.
fn product_type(a: FixedType, b: FixedType) -> Option<FixedType> {
    FixedType::new(
        a.is_signed() || b.is_signed(),
        a.width() + b.width(),
        a.int_bits() + b.int_bits(),
        Rounding::Trn,
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
        let prod = product_type(input, weight)
            .filter(|p| p.width() <= 64)
            .ok_or_else(|| {
                refuse(format!(
                    "the product of {} and {} is wider than 64 bits, which a narrowed \
                     accumulator does not support",
                    input, weight
                ))
            })?;
        if acc.width() > 63 {
            return Err(refuse(
                "a narrowed accumulator has at most 63 bits (its sums need one more)".into(),
            ));
        }
        let sum = FixedType::new(
            acc.is_signed(),
            acc.width() + 1,
            acc.int_bits() + 1,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .map_err(|e| refuse(e.to_string()))?;
        let cast = |src: FixedType| Requant::new(src, acc).map_err(|e| refuse(e.to_string()));
        let unbounded = FixedType::new(
            true,
            64,
            64 - acc.frac_bits(),
            acc.rounding(),
            Overflow::Wrap,
            0,
        )
        .ok()
        .filter(|u| u.int_bits() > prod.int_bits() + 1)
        .and_then(|u| Requant::new(prod, u).ok());
        Ok(UserAccum {
            bias: cast(bias)?,
            product: cast(prod)?,
            sum: cast(sum)?,
            product_unbounded: unbounded,
            lo: acc.min_raw() as i64,
            hi: acc.max_raw() as i64,
        })
    }

    /// The accumulator's start: the bias cast.
    #[inline]
    pub fn start(&self, bias: i64) -> i64 {
        self.bias.apply(bias)
    }

    /// `acc + (accum_t)(x · w)`, cast: one step.
    #[inline]
    pub fn step(&self, acc: i64, x: i64, w: i64) -> i64 {
        let p = self.product.apply(x * w);
        self.sum.apply(acc + p)
    }

    /// [`UserAccum::step`], and whether the product cast or the sum left the accumulator's range.
    pub fn step_checked(&self, acc: i64, x: i64, w: i64) -> (i64, bool) {
        let over = |v: i64| v < self.lo || v > self.hi;
        let product_over = self
            .product_unbounded
            .as_ref()
            .is_some_and(|u| over(u.apply(x * w)));
        let p = self.product.apply(x * w);
        (self.sum.apply(acc + p), product_over || over(acc + p))
    }

    /// [`UserAccum::start`], and whether the bias left the accumulator's range.
    pub fn start_checked(&self, bias: i64) -> (i64, bool) {
        let v = self.bias.apply(bias);
        let exact = Requant::new(
            self.bias.src(),
            FixedType::new(
                true,
                64,
                64 - self.bias.dst().frac_bits(),
                self.bias.dst().rounding(),
                Overflow::Wrap,
                0,
            )
            .unwrap_or(self.bias.dst()),
        )
        .map(|r| r.apply(bias))
        .unwrap_or(v);
        (v, exact < self.lo || exact > self.hi)
    }
}
