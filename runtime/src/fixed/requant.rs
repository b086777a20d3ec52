//! [`Requant`]: a cast between two fixed-point types, precomputed once and applied to raw `i64`s.
//!
//! Kernels end every layer with one cast (accumulator → output type) per element. [`Fixed::cast`]
//! is the reference: a line-by-line port of the header's `operator=`, general but slow (u128 bit
//! vectors, a dozen branches). `Requant` computes the same bits from precomputed shift amounts and
//! bounds:
//! 1. **quantization**: arithmetic shift right by `F_src - F_dst` (floor), plus the increment of the
//!    rounding mode decided from the first dropped bit `qb`, the OR `r` of the others, the sign and
//!    the kept LSB (docs/fixed-point.md); or an exact shift left when the destination has more
//!    fractional bits;
//! 2. **overflow**, only where the header checks it (its `overflow_checked` condition, mirrored in
//!    [`Requant::new`]): `AP_WRAP` with `N = 0` keeps the low `W` bits, `AP_SAT` clamps, `AP_SAT_ZERO`
//!    zeroes, `AP_SAT_SYM` clamps to `±max` (`min` itself for a 1-bit signed type, as the header
//!    does).
//!
//! `AP_WRAP` with `N > 0` and `AP_WRAP_SM` fall back to [`Fixed::cast`]. Raw values travel in `i64`,
//! so signed types may have up to 64 bits and unsigned ones up to 63. Tests compare `apply` with
//! `Fixed::cast` exhaustively on small types and on random wide ones (`runtime/tests/kernels_requant.rs`).
//!
//! Also here: [`product_type`], [`sum_type`], [`difference_type`], the header's result types of
//! `*`, `+` and `-`, which the kernels need to size exact intermediate values.

use super::{Fixed, FixedError, FixedType, Overflow, Rounding};

/// A precomputed cast from `src` to `dst` on raw integers, bit-exact with [`Fixed::cast`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    src: FixedType,
    dst: FixedType,
    shift: Shift,
    clamp: Clamp,
}

/// How the raw value moves to the destination's binary point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shift {
    /// Same number of fractional bits.
    None,
    /// Drop `1..=62` low bits, rounding per the destination's Q.
    Down(u32),
    /// Append zero bits; the shifted source still fits in an `i64`.
    Up(u32),
    /// Anything wider: computed in `i128` (down shifts clamped to 100, up shifts to 64, which
    /// changes no result for a 64-bit source and destination).
    Wide(i32),
}

/// What happens to a quantized value outside the destination's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clamp {
    /// Keep the low `W` bits (also every mode the header does not check for this pair of types).
    Wrap { width: u32, signed: bool },
    /// Values below `lo` become `lo`, above `hi` become `hi` (`AP_SAT`, `AP_SAT_SYM`).
    Sat { lo: i64, hi: i64 },
    /// Values outside `[lo, hi]` become 0.
    SatZero { lo: i64, hi: i64 },
    /// `AP_WRAP` with `N > 0`, `AP_WRAP_SM`: [`Fixed::cast`].
    General,
}

impl Requant {
    /// The cast `src → dst`. Errors when either type does not fit raw `i64`s (signed `W > 64`,
    /// unsigned `W > 63`).
    pub fn new(src: FixedType, dst: FixedType) -> Result<Requant, FixedError> {
        check_i64(src)?;
        check_i64(dst)?;
        let (f_src, f_dst) = (i64::from(src.frac_bits()), i64::from(dst.frac_bits()));
        let shift = match f_src - f_dst {
            0 => Shift::None,
            d @ 1..=62 => Shift::Down(d as u32),
            d if d < 0
                && i64::from(src.width()) + i64::from(src.is_signed() as u32 ^ 1) - d <= 64 =>
            {
                Shift::Up((-d) as u32)
            }
            d => Shift::Wide(d.clamp(-64, 100) as i32),
        };
        let (q, o, n) = (dst.rounding(), dst.overflow(), dst.sat_bits());
        // The header's `overflow_checked`: without it the value keeps its low W bits whatever O says.
        let quan_inc =
            f_src > f_dst && !(q == Rounding::Trn || (q == Rounding::TrnZero && !src.is_signed()));
        let (s, s2) = (i64::from(dst.is_signed()), i64::from(src.is_signed()));
        // Into its own type a value is copied (see `Fixed::cast`).
        let checked = src != dst
            && (o != Overflow::Wrap || n != 0)
            && ((s == 0 && s2 == 1)
                || i64::from(dst.int_bits()) - s
                    < i64::from(src.int_bits()) - s2
                        + i64::from(quan_inc || (s2 == 1 && o == Overflow::SatSym)));
        let (lo, hi) = (dst.min_raw() as i64, dst.max_raw() as i64);
        let wrap = Clamp::Wrap {
            width: dst.width(),
            signed: dst.is_signed(),
        };
        let clamp = match o {
            Overflow::Wrap if n == 0 => wrap,
            _ if !checked => wrap,
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
        };
        Ok(Requant {
            src,
            dst,
            shift,
            clamp,
        })
    }

    pub fn src(&self) -> FixedType {
        self.src
    }

    pub fn dst(&self) -> FixedType {
        self.dst
    }

    /// True when `apply` takes the precomputed path (false: `AP_WRAP` with `N > 0`, `AP_WRAP_SM`).
    pub fn is_fast(&self) -> bool {
        self.clamp != Clamp::General
    }

    /// `dst = src` on raw values: `raw` is a raw value of `src` (sign- or zero-extended), the
    /// result a raw value of `dst`.
    #[inline]
    pub fn apply(&self, raw: i64) -> i64 {
        let q = self.dst.rounding();
        let v: i128 = match self.shift {
            Shift::None => return self.overflow(i128::from(raw), raw),
            Shift::Up(k) => return self.overflow(i128::from(raw << k), raw),
            Shift::Down(d) => i128::from(round_down_i64(raw, d, q)),
            Shift::Wide(d) if d < 0 => i128::from(raw) << (-d) as u32,
            Shift::Wide(d) => round_down_i128(i128::from(raw), d as u32, q),
        };
        self.overflow(v, raw)
    }

    #[inline]
    fn overflow(&self, v: i128, raw: i64) -> i64 {
        match self.clamp {
            Clamp::Wrap { width, signed } => wrap(v as i64, width, signed),
            Clamp::Sat { lo, hi } => {
                if v > i128::from(hi) {
                    hi
                } else if v < i128::from(lo) {
                    lo
                } else {
                    v as i64
                }
            }
            Clamp::SatZero { lo, hi } => {
                if v > i128::from(hi) || v < i128::from(lo) {
                    0
                } else {
                    v as i64
                }
            }
            Clamp::General => self.general(raw),
        }
    }

    #[cold]
    fn general(&self, raw: i64) -> i64 {
        // `raw` is a valid value of `src`, checked to fit i64 by `new`.
        Fixed::from_bits(raw as u128, self.src).cast(self.dst).raw() as i64
    }
}

/// The low `width` bits of `v`, sign- or zero-extended.
#[inline]
fn wrap(v: i64, width: u32, signed: bool) -> i64 {
    let unused = 64 - width;
    if signed {
        (v << unused) >> unused
    } else {
        ((v as u64) << unused >> unused) as i64
    }
}

macro_rules! round_down {
    ($name:ident, $t:ty) => {
        /// `raw · 2^-d` rounded to an integer per `q` (the header's `quantization_adjust`).
        #[inline]
        fn $name(raw: $t, d: u32, q: Rounding) -> $t {
            let floor = raw >> d;
            if q == Rounding::Trn {
                return floor;
            }
            let rem = raw & ((1 << d) - 1);
            let half: $t = 1 << (d - 1);
            let qb = rem >= half;
            let r = rem & (half - 1) != 0;
            let neg = raw < 0;
            let inc = match q {
                Rounding::Trn => false,
                Rounding::TrnZero => neg && (qb || r),
                Rounding::Rnd => qb,
                Rounding::RndZero => qb && (neg || r),
                Rounding::RndMinInf => qb && r,
                Rounding::RndInf => qb && (!neg || r),
                Rounding::RndConv => qb && (floor & 1 == 1 || r),
            };
            floor + <$t>::from(inc)
        }
    };
}
round_down!(round_down_i64, i64);
round_down!(round_down_i128, i128);

fn check_i64(ty: FixedType) -> Result<(), FixedError> {
    let max = if ty.is_signed() { 64 } else { 63 };
    if ty.width() > max {
        return Err(FixedError::Width {
            kind: if ty.is_signed() {
                "an i64 raw value of ap_fixed"
            } else {
                "an i64 raw value of ap_ufixed"
            },
            width: i64::from(ty.width()),
            max,
        });
    }
    Ok(())
}

fn zero(ty: FixedType) -> Fixed {
    Fixed::from_bits(0, ty)
}

/// The header's type of `a * b` (exact: `W1 + W2` bits).
pub fn product_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Ok(zero(a).mul(&zero(b))?.ty())
}

/// The header's type of `a + b` (exact).
pub fn sum_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Ok(zero(a).add(&zero(b))?.ty())
}

/// The header's type of `a - b` (exact, always signed).
pub fn difference_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Ok(zero(a).sub(&zero(b))?.ty())
}
