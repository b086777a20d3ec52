//! K-hot weights: values with at most `K` non-zero signed power-of-two digits, so that a multiply by
//! one of them is `K` shifts and `K - 1` adds (docs/precision.md, "K-hot weights").
//!
//! The API (the learning forward pass calls [`project`]; post-training typing calls [`project_raw`]):
//!
//! - [`project`]`(value, k, &ty) -> f64`: the value of type `ty` nearest to `value` whose raw
//!   integer has at most `k` non-zero digits in canonical signed digit form. Saturating: values
//!   beyond the type's range go to the nearest K-hot value inside it (for a signed `AP_SAT_SYM`
//!   type the range is `±max`, the type's most negative raw value is never produced). Ties (a value
//!   exactly half-way between two K-hot neighbours) go to the neighbour of smaller magnitude. NaN
//!   gives NaN, `±inf` saturate. `k = 0` gives 0 (the only value with no digit). The result is
//!   exact in `f64` whenever the raw integer's digits span at most 53 bits (always for `W <= 53`).
//! - [`project_raw`]`(value, k, &ty) -> Result<i128, _>`: the same, as the raw integer
//!   (`value ≈ raw · 2^-F`); NaN and infinities are an error here.
//! - [`khot_floor`] / [`khot_ceil`]`(n, k)`: the largest / smallest integer `<= n` / `>= n` with
//!   at most `k` CSD digits (`None` when there is none, i.e. `k = 0` on the wrong side of 0).
//! - [`csd_digits`]`(raw) -> Vec<CsdDigit { shift, negative }>` (least significant first) and
//!   [`csd_weight`]`(raw)`, from the runtime (`binpoint_runtime::fixed`), which the shift-add
//!   kernels use to re-derive their terms from the raw weights.
//!
//! **Nearest, not greedy.** Rounding to the type and keeping the top `K` CSD digits is not always
//! the nearest K-hot value (the test `greedy_truncation_is_not_nearest` shows cases), so the
//! projection searches: the nearest K-hot value to `r` is [`khot_floor`]`(floor r)` or
//! [`khot_ceil`]`(ceil r)`, and those recurse on the top digit. For `0 < n` with
//! `2^p <= n < 2^(p+1)`, the top CSD digit of the best candidate below `n` is `2^p` or `2^(p+1)`
//! (a CSD number whose top digit is `2^t` lies strictly between `2^t·2/3` and `2^t·4/3`), and what
//! is left below it is the best `(k-1)`-hot value below `n - 2^t`; negative `n` mirror `khot_ceil`.
//! Remainders are `±(n mod 2^q)` or `±(2^q - n mod 2^q)`, so a memo keeps it `O(W·K)`. The tests
//! compare against brute force over every value of every type up to 8 bits.

use std::collections::HashMap;

use binpoint_runtime::{FixedError, FixedType, Overflow};
use ndarray::ArrayD;

use super::QuantError;
use crate::ir::Graph;

pub use binpoint_runtime::fixed::{csd_digits, csd_weight, CsdDigit};

/// The raw integers a K-hot projection may produce for `ty`: `[min_raw, max_raw]`, with a signed
/// `AP_SAT_SYM` type's lower end at `-max_raw`.
fn raw_bounds(ty: &FixedType) -> (i128, i128) {
    let hi = ty.max_raw();
    let lo = if ty.is_signed() && ty.overflow() == Overflow::SatSym {
        -hi
    } else {
        ty.min_raw()
    };
    (lo, hi)
}

/// The value of `ty` nearest to `value` with at most `k` non-zero CSD digits (see the module doc).
pub fn project(value: f64, k: u32, ty: &FixedType) -> f64 {
    if value.is_nan() {
        return f64::NAN;
    }
    let clamped = value.clamp(f64::MIN, f64::MAX);
    let raw = project_raw(clamped, k, ty).unwrap_or(0);
    scale(raw as f64, -ty.frac_bits())
}

/// The raw integer of [`project`]: `value ≈ raw · 2^-F`, `raw` within [`raw_bounds`].
fn project_raw(value: f64, k: u32, ty: &FixedType) -> Result<i128, FixedError> {
    if !value.is_finite() {
        return Err(FixedError::NotFinite { value, ty: *ty });
    }
    let (lo, hi) = raw_bounds(ty);
    let r = scale(value, ty.frac_bits());
    // Saturating float → integer casts: beyond ±2^127 the bounds below take over anyway.
    let (fl, ce) = (r.floor(), r.ceil());
    let (fl_i, ce_i) = (fl as i128, ce as i128);
    let below = khot_floor(fl_i.min(hi), k).filter(|&a| a >= lo);
    let above = khot_ceil(ce_i.max(lo), k).filter(|&b| b <= hi);
    Ok(match (below, above) {
        (Some(a), Some(b)) if a != b => {
            // a <= r <= b (both in range, so r is too). Compare r - a with b - r exactly:
            // r = fl + frac, so (r - a) - (b - r) = 2·frac - (a + b - 2·fl).
            let frac2 = 2.0 * (r - fl);
            let d = a + b - 2 * fl_i;
            let towards_a = match d {
                d if d < 0 => std::cmp::Ordering::Greater,
                d if d > 2 => std::cmp::Ordering::Less,
                d => frac2.total_cmp(&(d as f64)),
            };
            match towards_a {
                std::cmp::Ordering::Less => a,
                std::cmp::Ordering::Greater => b,
                std::cmp::Ordering::Equal => {
                    if a.unsigned_abs() <= b.unsigned_abs() {
                        a
                    } else {
                        b
                    }
                }
            }
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
        // Only with k = 0 and a range without 0 (impossible for fixed-point types, whose range
        // always holds 0), or an empty range.
        (None, None) => lo.max(0).min(hi),
    })
}

/// Replaces the data of constant `n` with `values` (same shape), which must be exact in `f32`.
pub(crate) fn store_projected(
    g: &mut Graph,
    n: petgraph::stable_graph::NodeIndex,
    values: &[f64],
) -> Result<(), QuantError> {
    let node = g.node(n);
    let shape = g
        .const_data(n)
        .map(|d| d.shape().to_vec())
        .unwrap_or_default();
    let f32s: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    if let Some(i) = values
        .iter()
        .zip(&f32s)
        .position(|(&v, &f)| f64::from(f) != v)
    {
        return Err(QuantError::node(
            g,
            &node.name,
            node.op.name(),
            format!(
                "the K-hot weight {} is not exact in f32 (the graph's constants are f32): use \
                 weight_bits <= 24 for K-hot layers",
                values[i]
            ),
        ));
    }
    let data = ArrayD::from_shape_vec(shape, f32s).map_err(|e| {
        QuantError::node(g, &node.name, node.op.name(), format!("K-hot weights: {e}"))
    })?;
    g.set_op(n, crate::ir::ops::Const::f32(data), &[])
        .map_err(|e| QuantError::node(g, &g.node(n).name, "Const", e.to_string()))
}

/// The largest integer `<= n` with at most `k` non-zero CSD digits (`None`: `k = 0` and `n < 0`).
fn khot_floor(n: i128, k: u32) -> Option<i128> {
    Search::default().floor(n, k)
}

/// The smallest integer `>= n` with at most `k` non-zero CSD digits (`None`: `k = 0` and `n > 0`).
fn khot_ceil(n: i128, k: u32) -> Option<i128> {
    Search::default().ceil(n, k)
}

/// `x · 2^e`, exact unless it leaves the `f64` range.
fn scale(x: f64, e: i32) -> f64 {
    // Split so that neither factor over- or underflows on its own.
    let e = e.clamp(-2100, 2100);
    let h = e / 2;
    x * 2f64.powi(h) * 2f64.powi(e - h)
}

/// Largest magnitude the search handles: far beyond any 64-bit raw value, far from i128 overflow.
const LIMIT: i128 = 1 << 100;

#[derive(Default)]
struct Search {
    memo: HashMap<(i128, u32, bool), Option<i128>>,
}

impl Search {
    fn floor(&mut self, n: i128, k: u32) -> Option<i128> {
        let n = n.clamp(-LIMIT, LIMIT);
        if weight(n) <= k {
            return Some(n);
        }
        if k == 0 {
            return (n > 0).then_some(0);
        }
        if n < 0 {
            return self.ceil(-n, k).map(|m| -m);
        }
        if let Some(&m) = self.memo.get(&(n, k, false)) {
            return m;
        }
        let p = 127 - n.leading_zeros();
        let best = [1i128 << p, 1i128 << (p + 1)]
            .into_iter()
            .filter_map(|top| self.floor(n - top, k - 1).map(|rest| top + rest))
            .max();
        self.memo.insert((n, k, false), best);
        best
    }

    fn ceil(&mut self, n: i128, k: u32) -> Option<i128> {
        let n = n.clamp(-LIMIT, LIMIT);
        if weight(n) <= k {
            return Some(n);
        }
        if k == 0 {
            return (n < 0).then_some(0);
        }
        if n < 0 {
            return self.floor(-n, k).map(|m| -m);
        }
        if let Some(&m) = self.memo.get(&(n, k, true)) {
            return m;
        }
        let p = 127 - n.leading_zeros();
        let best = [1i128 << p, 1i128 << (p + 1)]
            .into_iter()
            .filter_map(|top| self.ceil(n - top, k - 1).map(|rest| top + rest))
            .min();
        self.memo.insert((n, k, true), best);
        best
    }
}

pub use super::bits::csd_weight_i128 as weight_of;
use super::bits::csd_weight_i128 as weight;

#[cfg(test)]
mod tests {
    use super::*;
    use binpoint_runtime::{Fixed, Rounding};

    /// Every raw value of `ty` with at most `k` digits, nearest to `r` (ties to the smaller magnitude).
    fn brute(r: f64, k: u32, ty: &FixedType) -> i128 {
        let (lo, hi) = raw_bounds(ty);
        let mut best: Option<i128> = None;
        for m in lo..=hi {
            if weight(m) > k {
                continue;
            }
            best = Some(match best {
                None => m,
                Some(b) => {
                    let (db, dm) = ((r - b as f64).abs(), (r - m as f64).abs());
                    if dm < db || (dm == db && m.unsigned_abs() < b.unsigned_abs()) {
                        m
                    } else {
                        b
                    }
                }
            });
        }
        best.expect("0 is always representable")
    }

    fn types(w: u32) -> Vec<FixedType> {
        let mut v = Vec::new();
        for signed in [true, false] {
            for o in [Overflow::Sat, Overflow::SatSym, Overflow::Wrap] {
                if let Ok(t) = FixedType::new(signed, w, 2, Rounding::RndConv, o, 0) {
                    v.push(t);
                }
            }
        }
        v
    }

    #[test]
    fn nearest_and_never_more_than_k_digits_exhaustive_up_to_8_bits() {
        let mut checked = 0u64;
        for w in 1..=8u32 {
            for ty in types(w) {
                let f = ty.frac_bits();
                let (lo, hi) = raw_bounds(&ty);
                for k in 0..=5u32 {
                    // Every quarter step from beyond the low end to beyond the high end: exact
                    // values, half-way points (ties) and points in between.
                    for q in (4 * lo - 9)..=(4 * hi + 9) {
                        let r = q as f64 / 4.0;
                        let value = r * 2f64.powi(-f);
                        let raw = project_raw(value, k, &ty).unwrap();
                        assert_eq!(raw, brute(r, k, &ty), "{ty} k={k} value={value}");
                        assert!(weight(raw) <= k && (lo..=hi).contains(&raw));
                        assert_eq!(project(value, k, &ty), raw as f64 * 2f64.powi(-f));
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50_000, "{checked}");
    }

    #[test]
    fn floor_and_ceil_match_brute_force() {
        for k in 0..=4u32 {
            for n in -600i128..=600 {
                let lo = (-2000..=n).rev().find(|&m| weight(m) <= k);
                let hi = (n..=2000).find(|&m| weight(m) <= k);
                assert_eq!(khot_floor(n, k), lo, "floor {n} k={k}");
                assert_eq!(khot_ceil(n, k), hi, "ceil {n} k={k}");
            }
        }
    }

    #[test]
    fn greedy_truncation_is_not_nearest() {
        // Round to the type, then keep the K most significant CSD digits: for some values the
        // result is farther than the projection's. Found by search, so the claim in the module
        // doc stays true.
        let ty = FixedType::new(true, 8, 8, Rounding::RndConv, Overflow::Sat, 0).unwrap();
        let mut worse = Vec::new();
        for raw in -128i64..=127 {
            for k in 1..=3u32 {
                let d = csd_digits(raw);
                let greedy: i128 = d.iter().rev().take(k as usize).map(|d| d.value()).sum();
                if !(-128..=127).contains(&greedy) {
                    continue; // greedy left the type; the projection saturates
                }
                let nearest = project_raw(raw as f64, k, &ty).unwrap();
                let (dg, dn) = ((greedy - raw as i128).abs(), (nearest - raw as i128).abs());
                assert!(dn <= dg, "{raw} k={k}: nearest {nearest} greedy {greedy}");
                if dn < dg {
                    worse.push((raw, k, greedy, nearest));
                }
            }
        }
        // 11 = 16 - 4 - 1: top digit 16 (off by 5), nearest 1-hot 8 (off by 3);
        // 43 = 64 - 16 - 4 - 1: top two 48 (off by 5), nearest 2-hot 40 = 32 + 8 (off by 3).
        assert!(worse.contains(&(11, 1, 16, 8)), "{worse:?}");
        assert!(worse.contains(&(43, 2, 48, 40)), "{worse:?}");
    }

    #[test]
    fn wide_types_large_k_saturation_and_non_finite() {
        let t64 = FixedType::new(true, 64, 10, Rounding::RndConv, Overflow::Sat, 0).unwrap();
        // k large enough for every 64-bit value: the projection is the plain rounded cast.
        for v in [0.1, -3.3, 511.99999, -512.0, 1e-12, 123.456] {
            let raw = project_raw(v, 40, &t64).unwrap();
            assert_eq!(raw, Fixed::from_f64(v, t64).unwrap().raw(), "{v}");
        }
        assert_eq!(
            project_raw(1e30, 3, &t64).unwrap(),
            khot_floor(t64.max_raw(), 3).unwrap()
        );
        assert_eq!(project_raw(-1e30, 1, &t64).unwrap(), t64.min_raw());
        let sym = FixedType::new(true, 8, 1, Rounding::RndConv, Overflow::SatSym, 0).unwrap();
        assert_eq!(project_raw(-5.0, 1, &sym).unwrap(), -64); // -128 is excluded, -64 is 1-hot
        assert!(project(f64::NAN, 2, &sym).is_nan());
        assert_eq!(project(f64::INFINITY, 2, &sym), 127.0 / 128.0);
        assert!(project_raw(f64::INFINITY, 2, &sym).is_err());
        // 127 = 128 - 1 needs 2 digits; with k = 1 the top of ap_fixed<8,1> is 64/128.
        assert_eq!(project(0.99, 1, &sym), 0.5);
        assert_eq!(project(0.99, 2, &sym), 127.0 / 128.0);
        assert_eq!(project(0.3, 0, &sym), 0.0);
    }
}
