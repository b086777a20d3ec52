//! Canonical signed digit (CSD) form of a raw integer: `raw = Σ ±2^shift` with digits in
//! {-1, 0, +1} and no two adjacent non-zero digits (the non-adjacent form, NAF).
//!
//! The CSD form is unique and has the fewest non-zero digits of every signed-digit form of the
//! integer, so "at most K signed power-of-two terms" and "`csd_weight(raw) <= K`" are the same
//! condition. A multiply by a constant `c` becomes `Σ ±(x << shift)` over the digits of `c`:
//! `csd_weight(c) - 1` adders and no multiplier. The shift-add kernels
//! (`ops::dense_shift_add`, `ops::conv2d_shift_add`, ...) and the K-hot projection
//! (`binpoint::quant::khot`) both use these functions.

/// One non-zero digit: `(-1)^negative · 2^shift`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CsdDigit {
    pub shift: u32,
    pub negative: bool,
}

impl CsdDigit {
    /// The digit's value, `±2^shift`.
    pub fn value(self) -> i128 {
        let v = 1i128 << self.shift;
        if self.negative {
            -v
        } else {
            v
        }
    }
}

/// The non-zero digits of `raw`'s canonical signed digit form, least significant first.
/// `raw = Σ d.value()`; 0 has no digits. Shifts are at most 63 (`i64::MIN` is `-2^63`,
/// `i64::MAX` is `2^63 - 2^0`).
pub fn csd_digits(raw: i64) -> Vec<CsdDigit> {
    let mut n = i128::from(raw);
    let mut digits = Vec::new();
    let mut shift = 0u32;
    while n != 0 {
        if n & 1 != 0 {
            // n mod 4 is 1 → digit +1; 3 → digit -1 (makes the next bit zero).
            let negative = n & 3 == 3;
            digits.push(CsdDigit { shift, negative });
            n += if negative { 1 } else { -1 };
        }
        n >>= 1;
        shift += 1;
    }
    digits
}

/// The number of non-zero digits of `raw`'s CSD form: the fewest signed powers of two that sum to it.
pub fn csd_weight(raw: i64) -> u32 {
    csd_weight_wide(i128::from(raw))
}

/// [`csd_weight`] of any `i128`.
pub(crate) fn csd_weight_wide(raw: i128) -> u32 {
    // The non-adjacent form's weight: the number of 1 bits of (3n XOR n) at positions >= 1 (with
    // 3n computed exactly). Valid for negative n in two's complement as well; `raw` is at most 2^65
    // here in practice, far from overflow.
    let n = raw;
    let h = n.wrapping_mul(3);
    ((h ^ n) >> 1).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(d: &[CsdDigit]) -> i128 {
        d.iter().map(|d| d.value()).sum()
    }

    #[test]
    fn digits_sum_to_the_value_and_are_non_adjacent() {
        let mut values: Vec<i64> = (-5000..=5000).collect();
        values.extend([
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 1,
            1 << 62,
            -(1 << 62),
        ]);
        for raw in values {
            let d = csd_digits(raw);
            assert_eq!(sum(&d), i128::from(raw), "{raw}");
            for pair in d.windows(2) {
                assert!(pair[1].shift >= pair[0].shift + 2, "{raw}: {d:?}");
            }
            assert_eq!(csd_weight(raw), d.len() as u32, "{raw}");
            assert!(d.iter().all(|d| d.shift <= 63));
        }
    }

    #[test]
    fn csd_weight_is_the_fewest_signed_powers_of_two() {
        // Breadth-first: the fewest ±2^s terms (s <= 12) that reach each value in [-2^11, 2^11].
        const LIM: i64 = 1 << 11;
        let mut best = std::collections::HashMap::from([(0i64, 0u32)]);
        let mut frontier = vec![0i64];
        for k in 1..=7u32 {
            let mut next = Vec::new();
            for &v in &frontier {
                for s in 0..=12 {
                    for t in [v + (1 << s), v - (1 << s)] {
                        if t.abs() <= 4 * LIM && !best.contains_key(&t) {
                            best.insert(t, k);
                            next.push(t);
                        }
                    }
                }
            }
            frontier = next;
        }
        for raw in -LIM..=LIM {
            assert_eq!(Some(&csd_weight(raw)), best.get(&raw), "{raw}");
        }
    }

    #[test]
    fn known_forms() {
        let f = |raw| {
            csd_digits(raw)
                .iter()
                .map(|d| (d.shift, d.negative))
                .collect::<Vec<_>>()
        };
        assert_eq!(f(7), vec![(0, true), (3, false)]);
        assert_eq!(f(-7), vec![(0, false), (3, true)]);
        assert_eq!(f(3), vec![(0, true), (2, false)]);
        assert_eq!(f(0), vec![]);
        assert_eq!(f(i64::MIN), vec![(63, true)]);
        assert_eq!(
            f(0b1011_0111),
            vec![(0, true), (3, true), (6, true), (8, false)]
        );
    }
}
