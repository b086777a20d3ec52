//! Exact decimal spelling of `raw · 2^-F`.
//!
//! Every such number has a finite decimal expansion: for `F > 0` it is `raw · 5^F / 10^F`, so the
//! digits of `|raw| · 5^F` with the point `F` places from the right; for `F <= 0` it is the integer
//! `raw · 2^-F`. No floating point is involved, so the text is the value, digit for digit.

use num_bigint::BigUint;

/// Formats values of one binary point: `5^F` (or the shift) is prepared once.
pub struct ExactDecimal {
    frac_bits: i32,
    /// `5^F` when `F > 0` and it fits in a `u128` (the fast path).
    pow5_small: Option<u128>,
    /// `5^F` when `F > 0`.
    pow5: BigUint,
}

impl ExactDecimal {
    pub fn new(frac_bits: i32) -> Self {
        let exp = frac_bits.max(0).unsigned_abs();
        ExactDecimal {
            frac_bits,
            pow5_small: 5u128.checked_pow(exp),
            pow5: BigUint::from(5u32).pow(exp),
        }
    }

    /// `raw · 2^-F` in plain decimal: `-1.375`, `0`, `96`, `0.000030517578125`. No exponent, no
    /// trailing zeros after the point, no point for integers.
    pub fn format(&self, raw: i128) -> String {
        let sign = if raw < 0 { "-" } else { "" };
        let magnitude = raw.unsigned_abs();
        if magnitude == 0 {
            return "0".to_string();
        }
        if self.frac_bits <= 0 {
            let shift = self.frac_bits.unsigned_abs();
            let digits = if shift < magnitude.leading_zeros() {
                (magnitude << shift).to_string()
            } else {
                (BigUint::from(magnitude) << shift).to_string()
            };
            return format!("{sign}{digits}");
        }
        let digits = match self.pow5_small.and_then(|p| magnitude.checked_mul(p)) {
            Some(scaled) => scaled.to_string(),
            None => (BigUint::from(magnitude) * &self.pow5).to_string(),
        };
        let point = self.frac_bits.unsigned_abs() as usize;
        let (int_part, frac_part) = if digits.len() > point {
            let (i, f) = digits.split_at(digits.len() - point);
            (i.to_string(), f.to_string())
        } else {
            ("0".to_string(), format!("{digits:0>point$}"))
        };
        let frac_part = frac_part.trim_end_matches('0');
        if frac_part.is_empty() {
            format!("{sign}{int_part}")
        } else {
            format!("{sign}{int_part}.{frac_part}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(raw: i128, frac_bits: i32) -> String {
        ExactDecimal::new(frac_bits).format(raw)
    }

    #[test]
    fn small_cases() {
        assert_eq!(fmt(44, 5), "1.375");
        assert_eq!(fmt(-44, 5), "-1.375");
        assert_eq!(fmt(0, 5), "0");
        assert_eq!(fmt(0, -5), "0");
        assert_eq!(fmt(3, 0), "3");
        assert_eq!(fmt(-7, 0), "-7");
        assert_eq!(fmt(32, 5), "1");
        assert_eq!(fmt(1, 1), "0.5");
        assert_eq!(fmt(1, 15), "0.000030517578125");
        assert_eq!(fmt(-1, 3), "-0.125");
        assert_eq!(fmt(3, -2), "12");
        assert_eq!(fmt(-3, -2), "-12");
        assert_eq!(fmt(13, 7), "0.1015625");
    }

    #[test]
    fn wide_cases_take_the_bignum_path() {
        // 2^-100 = 5^100 / 10^100.
        let s = fmt(1, 100);
        assert!(s.starts_with("0.00000000000000000000000000000078886090522101180541"));
        assert_eq!(s.len(), 2 + 100);
        assert!(s.ends_with('5'));
        assert_eq!(fmt(1, -100), "1267650600228229401496703205376");
        assert_eq!(
            fmt(i128::MIN, 0),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(fmt(i128::MAX, 127).len(), "0.".len() + 127);
        assert_eq!(
            fmt(-(1 << 63), -64),
            "-170141183460469231731687303715884105728"
        );
        // The fast and the bignum path agree on the boundary of u128.
        for f in [50, 54, 55, 56, 57] {
            for raw in [1i128, 3, 255, (1 << 63) - 1, -(1 << 63)] {
                let big = BigUint::from(raw.unsigned_abs()) * BigUint::from(5u32).pow(f as u32);
                let s = fmt(raw, f);
                let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
                assert_eq!(
                    digits.trim_start_matches('0'),
                    big.to_string().trim_end_matches('0')
                );
            }
        }
    }
}
