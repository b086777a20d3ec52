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
//! [`Requant::apply_all`] and [`Requant::apply_all_i32`] are the slice forms the kernels use: the
//! modes chosen once per slice, so the loops vectorize; the `i32` form (when the cast
//! [fits](Requant::fits_i32)) has twice the values per vector.
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

/// [`Requant::overflow_step`]: the overflow handling of a cast, after quantization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverflowStep {
    /// Keep the low `W` bits of the destination (also when the header checks nothing).
    Wrap,
    /// Clamp into `lo..=hi` (`AP_SAT`, `AP_SAT_SYM`).
    Sat { lo: i64, hi: i64 },
    /// Values outside `lo..=hi` become 0 (`AP_SAT_ZERO`).
    SatZero { lo: i64, hi: i64 },
    /// `AP_WRAP` with `N > 0` or `AP_WRAP_SM`: only [`Fixed::cast`] states it.
    General,
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
        let (o, n) = (dst.overflow(), dst.sat_bits());
        let checked = overflow_checked(src, dst);
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

    /// What the cast does to a quantized value outside the destination's range, as decided once
    /// here (the header's `overflow_checked` included): for backends that build the cast in
    /// hardware, so that they never restate the rule.
    pub fn overflow_step(&self) -> OverflowStep {
        match self.clamp {
            Clamp::Wrap { .. } => OverflowStep::Wrap,
            Clamp::Sat { lo, hi } => OverflowStep::Sat { lo, hi },
            Clamp::SatZero { lo, hi } => OverflowStep::SatZero { lo, hi },
            Clamp::General => OverflowStep::General,
        }
    }

    /// True when `apply` takes the precomputed path (false: `AP_WRAP` with `N > 0`, `AP_WRAP_SM`).
    pub fn is_fast(&self) -> bool {
        self.clamp != Clamp::General
    }

    /// True when the cast changes no raw value of `src`: the same binary point, and every value
    /// of `src` lies inside what the overflow mode keeps.
    pub fn is_identity(&self) -> bool {
        let (lo, hi) = match self.clamp {
            Clamp::Wrap { .. } => (self.dst.min_raw(), self.dst.max_raw()),
            // `AP_SAT_SYM` keeps `lo`: it may be above the type's minimum.
            Clamp::Sat { lo, hi } | Clamp::SatZero { lo, hi } => (i128::from(lo), i128::from(hi)),
            Clamp::General => return false,
        };
        self.shift == Shift::None && self.src.min_raw() >= lo && self.src.max_raw() <= hi
    }

    /// [`Requant::apply`] on every value of `v`, in place: the same bits, with the choice of
    /// shift, rounding and overflow made once for the slice rather than per value (so the loop
    /// has no branches on the modes and can vectorize).
    #[inline]
    pub fn apply_all(&self, v: &mut [i64]) {
        if self.is_identity() {
            return;
        }
        match self.shift {
            Shift::None => self.overflow_all(v, |x| x),
            Shift::Up(k) => self.overflow_all(v, |x| x << k),
            Shift::Down(d) => match self.dst.rounding() {
                Rounding::Trn => self.overflow_all(v, |x| x >> d),
                Rounding::TrnZero => {
                    self.overflow_all(v, |x| round_down_i64(x, d, Rounding::TrnZero))
                }
                Rounding::Rnd => self.overflow_all(v, |x| round_down_i64(x, d, Rounding::Rnd)),
                Rounding::RndZero => {
                    self.overflow_all(v, |x| round_down_i64(x, d, Rounding::RndZero))
                }
                Rounding::RndMinInf => {
                    self.overflow_all(v, |x| round_down_i64(x, d, Rounding::RndMinInf))
                }
                Rounding::RndInf => {
                    self.overflow_all(v, |x| round_down_i64(x, d, Rounding::RndInf))
                }
                Rounding::RndConv => {
                    self.overflow_all(v, |x| round_down_i64(x, d, Rounding::RndConv))
                }
            },
            Shift::Wide(_) => {
                for x in v.iter_mut() {
                    *x = self.apply(*x);
                }
            }
        }
    }

    /// True when [`Requant::apply_all_i32`] computes the cast on `i32`s: every raw value of `src`
    /// and `dst` fits an `i32`, and so does a shift up of `src`; a shift down drops at most 30
    /// bits; the overflow mode is not `AP_WRAP` with `N > 0` or `AP_WRAP_SM`.
    pub fn fits_i32(&self) -> bool {
        let bits = |t: FixedType| t.width() + u32::from(!t.is_signed());
        let shift = match self.shift {
            Shift::None => true,
            Shift::Down(d) => d <= 30,
            Shift::Up(k) => bits(self.src) + k <= 32,
            Shift::Wide(_) => false,
        };
        shift && bits(self.src) <= 32 && bits(self.dst) <= 32 && self.clamp != Clamp::General
    }

    /// [`Requant::apply_all`] on `i32` raw values of `src`, in place: the same bits, with twice
    /// as many values per vector. When the cast does not [`fit`](Requant::fits_i32) in `i32`s,
    /// each value goes through [`Requant::apply`] (the results must then still fit an `i32`).
    /// Always inlined, so that a caller compiled for a wider instruction set (AVX2, see
    /// `ops::common`) compiles it for that set too.
    #[inline(always)]
    pub fn apply_all_i32(&self, v: &mut [i32]) {
        if self.is_identity() {
            return;
        }
        if !self.fits_i32() {
            for x in v.iter_mut() {
                *x = self.apply(i64::from(*x)) as i32;
            }
            return;
        }
        match self.shift {
            Shift::None => self.overflow_all_i32(v, |x| x),
            Shift::Up(k) => self.overflow_all_i32(v, |x| x << k),
            Shift::Down(d) => match self.dst.rounding() {
                Rounding::Trn => self.overflow_all_i32(v, |x| x >> d),
                Rounding::TrnZero => {
                    self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::TrnZero))
                }
                Rounding::Rnd => self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::Rnd)),
                Rounding::RndZero => {
                    self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::RndZero))
                }
                Rounding::RndMinInf => {
                    self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::RndMinInf))
                }
                Rounding::RndInf => {
                    self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::RndInf))
                }
                Rounding::RndConv => {
                    self.overflow_all_i32(v, |x| round_down_i32(x, d, Rounding::RndConv))
                }
            },
            Shift::Wide(_) => unreachable!("fits_i32 excludes wide shifts"),
        }
    }

    /// [`Requant::overflow_all`] on `i32`s (bounds and widths fit: see [`Requant::fits_i32`]).
    #[inline(always)]
    fn overflow_all_i32(&self, v: &mut [i32], quantize: impl Fn(i32) -> i32) {
        // Plain `for` loops, nothing out of line: they compile for the caller's instruction set.
        match self.clamp {
            Clamp::Wrap { width, signed } => {
                for x in v.iter_mut() {
                    *x = wrap_i32(quantize(*x), width, signed);
                }
            }
            Clamp::Sat { lo, hi } => {
                let (lo, hi) = (lo as i32, hi as i32);
                for x in v.iter_mut() {
                    *x = quantize(*x).max(lo).min(hi);
                }
            }
            Clamp::SatZero { lo, hi } => {
                let (lo, hi) = (lo as i32, hi as i32);
                for x in v.iter_mut() {
                    let q = quantize(*x);
                    *x = if q < lo || q > hi { 0 } else { q };
                }
            }
            Clamp::General => {
                for x in v.iter_mut() {
                    *x = self.general(i64::from(*x)) as i32;
                }
            }
        }
    }

    /// `overflow(quantize(x))` for every value, the overflow mode chosen once. Plain `for` loops
    /// (not `for_each`), so that they inline into the calling kernel and get its instruction set.
    #[inline(always)]
    fn overflow_all(&self, v: &mut [i64], quantize: impl Fn(i64) -> i64) {
        match self.clamp {
            Clamp::Wrap { width, signed } => {
                for x in v.iter_mut() {
                    *x = wrap(quantize(*x), width, signed);
                }
            }
            Clamp::Sat { lo, hi } => {
                for x in v.iter_mut() {
                    *x = quantize(*x).clamp(lo, hi);
                }
            }
            Clamp::SatZero { lo, hi } => {
                for x in v.iter_mut() {
                    let q = quantize(*x);
                    *x = if q < lo || q > hi { 0 } else { q };
                }
            }
            Clamp::General => {
                for x in v.iter_mut() {
                    *x = self.general(*x);
                }
            }
        }
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

/// [`wrap`] on an `i32` (`width <= 32`).
#[inline(always)]
fn wrap_i32(v: i32, width: u32, signed: bool) -> i32 {
    let unused = 32 - width;
    if signed {
        (v << unused) >> unused
    } else {
        ((v as u32) << unused >> unused) as i32
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
        #[inline(always)]
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

/// `raw · 2^-d` rounded per `q`, on `i128` (`1 <= d <= 126`).
#[inline]
pub(super) fn round_down_wide(raw: i128, d: u32, q: Rounding) -> i128 {
    round_down_i128(raw, d, q)
}
round_down!(round_down_i32, i32);

/// The header's `overflow_checked` for the cast `src → dst`: without it the value keeps its low
/// `W` bits whatever `O` says. Into its own type a value is copied (see `Fixed::cast`).
pub(super) fn overflow_checked(src: FixedType, dst: FixedType) -> bool {
    let (q, o, n) = (dst.rounding(), dst.overflow(), dst.sat_bits());
    let (f_src, f_dst) = (i64::from(src.frac_bits()), i64::from(dst.frac_bits()));
    let quan_inc =
        f_src > f_dst && !(q == Rounding::Trn || (q == Rounding::TrnZero && !src.is_signed()));
    let (s, s2) = (i64::from(dst.is_signed()), i64::from(src.is_signed()));
    src != dst
        && (o != Overflow::Wrap || n != 0)
        && ((s == 0 && s2 == 1)
            || i64::from(dst.int_bits()) - s
                < i64::from(src.int_bits()) - s2
                    + i64::from(quan_inc || (s2 == 1 && o == Overflow::SatSym)))
}

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

/// [`Requant`] on raw values held in an `f64`, for kernels whose sums are exact floats (see
/// `ops::gemm`): the same bits as [`Requant::apply`], computed with float operations that are
/// all exact, so that a row of values vectorizes (multiply, `floor`/`round_ties_even`, min/max).
///
/// Exactness. `v` is an integer with `|v| ≤ 2^52` (a raw value of `src`, at most 53 bits). With a
/// shift down by `d ≤ 53`, `t = v · 2^-d` is exact (a power-of-two scaling), and so are `t ± 1/2`
/// (multiples of `2^-d` of magnitude at most `(|v| + 2^(d-1)) · 2^-d ≤ 2^(53-d)`), `floor`,
/// `ceil`, `trunc` and `round_ties_even` (integers below `2^53`). Each mode then is: `AP_TRN`
/// `floor(t)`; `AP_TRN_ZERO` `trunc(t)`; `AP_RND` `floor(t + 1/2)`; `AP_RND_MIN_INF`
/// `ceil(t - 1/2)`; `AP_RND_ZERO` / `AP_RND_INF` those two by the sign of `v`; `AP_RND_CONV`
/// `round_ties_even(t)` (the header's increments, docs/fixed-point.md, restated on the fraction
/// `t - floor(t)`). The destination has at most 32 bits, so its bounds are exact and the result
/// fits an `i32`; `AP_WRAP` keeps the low `W` bits as `r - 2^W · floor((r + 2^(W-1)) · 2^-W)`
/// (signed; unsigned without the offset), exact for integers below `2^53`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatRequant {
    /// `2^-d` (1 without a shift).
    scale: f64,
    round: FloatRound,
    clamp: FloatClamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FloatRound {
    /// No bits dropped.
    Exact,
    Floor,
    Trunc,
    HalfUp,
    HalfDown,
    HalfToZero,
    HalfAway,
    HalfEven,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum FloatClamp {
    Wrap { modulus: f64, offset: f64 },
    Sat { lo: f64, hi: f64 },
    SatZero { lo: f64, hi: f64 },
}

impl Requant {
    /// The same cast on `f64` raw values, when it can be computed exactly that way: `src` of at
    /// most 53 bits, `dst` of at most 32, no shift up, a shift down of at most 53 bits, and
    /// neither `AP_WRAP` with `N > 0` nor `AP_WRAP_SM`.
    pub fn float(&self) -> Option<FloatRequant> {
        let src_bits = self.src.width() + u32::from(!self.src.is_signed());
        if src_bits > 53 || self.dst.width() + u32::from(!self.dst.is_signed()) > 32 {
            return None;
        }
        let (scale, round) = match self.shift {
            Shift::None => (1.0, FloatRound::Exact),
            Shift::Down(d) if d <= 53 => (
                f64::powi(2.0, -(d as i32)),
                match self.dst.rounding() {
                    Rounding::Trn => FloatRound::Floor,
                    Rounding::TrnZero => FloatRound::Trunc,
                    Rounding::Rnd => FloatRound::HalfUp,
                    Rounding::RndMinInf => FloatRound::HalfDown,
                    Rounding::RndZero => FloatRound::HalfToZero,
                    Rounding::RndInf => FloatRound::HalfAway,
                    Rounding::RndConv => FloatRound::HalfEven,
                },
            ),
            _ => return None,
        };
        let clamp = match self.clamp {
            Clamp::Wrap { width, signed } => FloatClamp::Wrap {
                modulus: f64::powi(2.0, width as i32),
                offset: if signed {
                    f64::powi(2.0, width as i32 - 1)
                } else {
                    0.0
                },
            },
            Clamp::Sat { lo, hi } => FloatClamp::Sat {
                lo: lo as f64,
                hi: hi as f64,
            },
            Clamp::SatZero { lo, hi } => FloatClamp::SatZero {
                lo: lo as f64,
                hi: hi as f64,
            },
            Clamp::General => return None,
        };
        Some(FloatRequant {
            scale,
            round,
            clamp,
        })
    }
}

impl FloatRequant {
    /// An integral `v` with `|v| < 2^31` (every result of [`FloatRequant::apply_all`]) as an
    /// `i32`: the low 32 bits of `v + 1.5 · 2^52`, whose mantissa holds `v` in two's complement
    /// (the sum is exact and lies in `[2^52, 2^53)`). One add and a move, which vectorize, where
    /// `v as i32` checks for NaN and saturates value by value.
    #[inline(always)]
    pub fn to_i32(v: f64) -> i32 {
        const MAGIC: f64 = 6_755_399_441_055_744.0;
        (v + MAGIC).to_bits() as i32
    }

    /// `Requant::apply` on every value of `v`, in place: each an integer with `|v| ≤ 2^52` (a
    /// raw value of `src`); each result is an integer that fits an `i32`. The modes are chosen
    /// once for the slice, so the loop has no branches on them.
    #[inline(always)]
    pub fn apply_all(&self, v: &mut [f64]) {
        match self.round {
            FloatRound::Exact => self.clamp_all(v, |t, _| t),
            FloatRound::Floor => self.clamp_all(v, |t, _| t.floor()),
            FloatRound::Trunc => self.clamp_all(v, |t, _| t.trunc()),
            FloatRound::HalfUp => self.clamp_all(v, |t, _| (t + 0.5).floor()),
            FloatRound::HalfDown => self.clamp_all(v, |t, _| (t - 0.5).ceil()),
            FloatRound::HalfToZero => self.clamp_all(v, |t, v| {
                if v < 0.0 {
                    (t + 0.5).floor()
                } else {
                    (t - 0.5).ceil()
                }
            }),
            FloatRound::HalfAway => self.clamp_all(v, |t, v| {
                if v < 0.0 {
                    (t - 0.5).ceil()
                } else {
                    (t + 0.5).floor()
                }
            }),
            FloatRound::HalfEven => self.clamp_all(v, |t, _| t.round_ties_even()),
        }
    }

    /// `clamp(round(v · scale, v))` for every value, the overflow mode chosen once. Plain `for`
    /// loops, not `for_each`: they inline into the caller, so they get its instruction set (the
    /// MAC engine's AVX2 code).
    #[inline(always)]
    fn clamp_all(&self, v: &mut [f64], round: impl Fn(f64, f64) -> f64) {
        let scale = self.scale;
        match self.clamp {
            FloatClamp::Wrap { modulus, offset } => {
                let inv = modulus.recip();
                for x in v.iter_mut() {
                    let r = round(*x * scale, *x);
                    *x = r - modulus * ((r + offset) * inv).floor();
                }
            }
            // Comparisons rather than `f64::max`/`min` (whose NaN rules keep LLVM from using
            // vector min/max); the values are never NaN.
            FloatClamp::Sat { lo, hi } => {
                for x in v.iter_mut() {
                    let r = round(*x * scale, *x);
                    let r = if r < lo { lo } else { r };
                    *x = if r > hi { hi } else { r };
                }
            }
            FloatClamp::SatZero { lo, hi } => {
                for x in v.iter_mut() {
                    let r = round(*x * scale, *x);
                    *x = if r < lo || r > hi { 0.0 } else { r };
                }
            }
        }
    }
}
