//! [`WideRequant`]: a cast between two fixed-point types of up to 128 bits on raw `i128`s, for the
//! multiply-accumulate kernels whose accumulator (or product) is wider than 64 bits.
//!
//! The same two steps as [`super::Requant`], on `i128`: quantization (an arithmetic shift right
//! by `F_src - F_dst` plus the rounding increment, or an exact shift left), then overflow where the
//! header checks it (`overflow_checked`, shared with `Requant`). `AP_WRAP` with `N > 0`,
//! `AP_WRAP_SM`, and shifts down by more than 126 bits fall back to [`Fixed::cast`], the
//! reference. One value at a time: the wide path is not the kernels' fast path. Tests compare
//! `apply` with `Fixed::cast` on random wide types.

use super::requant::{overflow_checked, round_down_wide};
use super::{Fixed, FixedError, FixedType, Overflow, MAX_WIDTH};

/// A precomputed cast from `src` to `dst` (each of at most 128 bits, unsigned ones of at most
/// 127) on raw `i128` values, bit-exact with [`Fixed::cast`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WideRequant {
    src: FixedType,
    dst: FixedType,
    /// `F_src - F_dst`: positive drops bits, negative appends zeros.
    down: i64,
    clamp: Clamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clamp {
    /// Keep the low `W` bits (also every mode the header does not check for this pair).
    Wrap { width: u32, signed: bool },
    /// Clamp into `[lo, hi]` (`AP_SAT`, `AP_SAT_SYM`).
    Sat { lo: i128, hi: i128 },
    /// Values outside `[lo, hi]` become 0.
    SatZero { lo: i128, hi: i128 },
    /// `AP_WRAP` with `N > 0`, `AP_WRAP_SM`, or a shift beyond the `i128` steps: [`Fixed::cast`].
    General,
}

fn check(ty: FixedType) -> Result<(), FixedError> {
    let max = if ty.is_signed() {
        MAX_WIDTH
    } else {
        MAX_WIDTH - 1
    };
    if ty.width() > max {
        return Err(FixedError::Width {
            kind: if ty.is_signed() {
                "an i128 raw value of ap_fixed"
            } else {
                "an i128 raw value of ap_ufixed"
            },
            width: i64::from(ty.width()),
            max,
        });
    }
    Ok(())
}

impl WideRequant {
    /// The cast `src → dst`. Errors when either type does not fit raw `i128`s.
    pub fn new(src: FixedType, dst: FixedType) -> Result<WideRequant, FixedError> {
        check(src)?;
        check(dst)?;
        let down = i64::from(src.frac_bits()) - i64::from(dst.frac_bits());
        let (o, n) = (dst.overflow(), dst.sat_bits());
        let (lo, hi) = (dst.min_raw(), dst.max_raw());
        let wrap = Clamp::Wrap {
            width: dst.width(),
            signed: dst.is_signed(),
        };
        let clamp = if down > 126 {
            Clamp::General
        } else {
            match o {
                Overflow::Wrap if n == 0 => wrap,
                _ if !overflow_checked(src, dst) => wrap,
                Overflow::Sat => Clamp::Sat { lo, hi },
                Overflow::SatSym => {
                    let lo = if src.is_signed() && dst.is_signed() && dst.width() > 1 {
                        lo + 1
                    } else {
                        lo
                    };
                    Clamp::Sat { lo, hi }
                }
                Overflow::SatZero => Clamp::SatZero { lo, hi },
                Overflow::Wrap | Overflow::WrapSm => Clamp::General,
            }
        };
        Ok(WideRequant {
            src,
            dst,
            down,
            clamp,
        })
    }

    pub fn src(&self) -> FixedType {
        self.src
    }

    pub fn dst(&self) -> FixedType {
        self.dst
    }

    /// `dst = src` on raw values: `raw` is a raw value of `src`, the result a raw value of `dst`.
    #[inline]
    pub fn apply(&self, raw: i128) -> i128 {
        // The quantized value, or `None` when a shift up leaves `i128` (then it lies beyond every
        // bound of `dst`, on the side of `raw`'s sign, and its low bits are zero... or wrap).
        let v = match self.down {
            0 => Some(raw),
            d if d > 0 => Some(if d > 126 {
                return self.general(raw);
            } else {
                round_down_wide(raw, d as u32, self.dst.rounding())
            }),
            d => shl_exact(raw, (-d) as u32),
        };
        match self.clamp {
            Clamp::Wrap { width, signed } => {
                let shifted = v.unwrap_or_else(|| {
                    let k = (-self.down) as u32;
                    if k >= 128 {
                        0
                    } else {
                        raw.wrapping_shl(k)
                    }
                });
                wrap(shifted, width, signed)
            }
            Clamp::Sat { lo, hi } => match v {
                Some(v) => v.clamp(lo, hi),
                None if raw < 0 => lo,
                None => hi,
            },
            Clamp::SatZero { lo, hi } => match v {
                Some(v) if v >= lo && v <= hi => v,
                _ => 0,
            },
            Clamp::General => self.general(raw),
        }
    }

    #[cold]
    fn general(&self, raw: i128) -> i128 {
        Fixed::from_bits(raw as u128, self.src).cast(self.dst).raw()
    }
}

/// `v << k` when it stays in `i128`.
fn shl_exact(v: i128, k: u32) -> Option<i128> {
    if v == 0 {
        return Some(0);
    }
    if k >= 127 {
        return None;
    }
    let s = v << k;
    (s >> k == v).then_some(s)
}

/// The low `width` bits of `v`, sign- or zero-extended.
#[inline]
fn wrap(v: i128, width: u32, signed: bool) -> i128 {
    let unused = 128 - width;
    if signed {
        (v << unused) >> unused
    } else {
        ((v as u128) << unused >> unused) as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::Rounding;

    /// A small deterministic generator (xorshift): the runtime has no `rand`.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn wide(&mut self) -> u128 {
            (u128::from(self.next()) << 64) | u128::from(self.next())
        }
    }

    fn random_type(rng: &mut Rng, max_width: u32) -> FixedType {
        loop {
            let signed = rng.below(4) != 0;
            let width = 1 + rng.below(u64::from(max_width)) as u32;
            let int_bits = rng.below(2 * u64::from(width) + 40) as i32 - 20;
            let q = Rounding::ALL[rng.below(7) as usize];
            let o = Overflow::ALL[rng.below(5) as usize];
            let n = if rng.below(4) == 0 {
                rng.below(u64::from(width) + 1) as u32
            } else {
                0
            };
            if let Ok(t) = FixedType::wide(signed, width, int_bits, q, o, n) {
                return t;
            }
        }
    }

    /// Raw values biased to the edges: extremes, near zero, and random bits.
    fn random_raw(rng: &mut Rng, t: FixedType) -> i128 {
        let v = match rng.below(5) {
            0 => t.min_raw() as u128,
            1 => t.max_raw() as u128,
            2 => rng.below(9) as u128 ^ (rng.below(2) as u128).wrapping_neg(),
            _ => rng.wide(),
        };
        Fixed::from_bits(v, t).raw()
    }

    #[test]
    fn equals_the_reference_cast_on_wide_types() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..4000 {
            let src = random_type(&mut rng, 128);
            let dst = random_type(&mut rng, 128);
            let rq = WideRequant::new(src, dst).unwrap();
            for _ in 0..25 {
                let raw = random_raw(&mut rng, src);
                let want = Fixed::from_raw(raw, src).unwrap().cast(dst).raw();
                assert_eq!(rq.apply(raw), want, "{src} -> {dst}, raw {raw}");
            }
        }
    }

    #[test]
    fn refuses_what_an_i128_cannot_hold() {
        let u128_type = FixedType::wide(false, 128, 10, Rounding::Trn, Overflow::Wrap, 0);
        assert!(
            u128_type.is_err(),
            "ap_ufixed<128,..> has raw values beyond i128"
        );
        assert!(FixedType::wide(true, 129, 10, Rounding::Trn, Overflow::Wrap, 0).is_err());
        let a = FixedType::wide(true, 128, 10, Rounding::Trn, Overflow::Wrap, 0).unwrap();
        assert!(WideRequant::new(a, a).is_ok());
    }
}
