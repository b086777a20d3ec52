//! `ap_fixed<W,I,Q,O,N>` and `ap_ufixed<W,I,Q,O,N>` with runtime parameters.
//!
//! A value is a raw two's-complement (or unsigned) integer of `W` bits; it represents
//! `raw · 2^-(W-I)`. Every conversion into a declared type goes through [`cast`], a
//! line-by-line port of the header's converting assignment, so quantization and
//! overflow quirks match the header exactly. `+`, `-` and `*` are exact and return the
//! header's result types (see [`Fixed::add`]).

mod arith;
mod bits;
mod cast;
mod csd;
mod from_f64;
mod parse;
mod to_f64;

use std::fmt;

/// Widest declared type a user may write (`ap_fixed<64,..>`).
pub const MAX_DECLARED_WIDTH: u32 = 64;
/// Widest intermediate value (products and sums of declared types).
pub const MAX_WIDTH: u32 = 128;

/// Quantization mode, named as in `ap_fixed.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rounding {
    /// `AP_TRN`: drop the extra bits (round towards minus infinity). The default.
    Trn,
    /// `AP_TRN_ZERO`: round towards zero.
    TrnZero,
    /// `AP_RND`: round half towards plus infinity.
    Rnd,
    /// `AP_RND_ZERO`: round half towards zero.
    RndZero,
    /// `AP_RND_MIN_INF`: round half towards minus infinity.
    RndMinInf,
    /// `AP_RND_INF`: round half away from zero.
    RndInf,
    /// `AP_RND_CONV`: round half to even.
    RndConv,
}

impl Rounding {
    pub const ALL: [Rounding; 7] = [
        Rounding::Trn,
        Rounding::TrnZero,
        Rounding::Rnd,
        Rounding::RndZero,
        Rounding::RndMinInf,
        Rounding::RndInf,
        Rounding::RndConv,
    ];

    /// The C++ enumerator, e.g. `AP_RND_CONV`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Trn => "AP_TRN",
            Rounding::TrnZero => "AP_TRN_ZERO",
            Rounding::Rnd => "AP_RND",
            Rounding::RndZero => "AP_RND_ZERO",
            Rounding::RndMinInf => "AP_RND_MIN_INF",
            Rounding::RndInf => "AP_RND_INF",
            Rounding::RndConv => "AP_RND_CONV",
        }
    }
}

/// Overflow mode, named as in `ap_fixed.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Overflow {
    /// `AP_WRAP`: keep the low `W` bits (with `N > 0`, the top `N` become saturation bits). The default.
    Wrap,
    /// `AP_SAT`: clamp to the representable range.
    Sat,
    /// `AP_SAT_ZERO`: an overflowing value becomes zero.
    SatZero,
    /// `AP_SAT_SYM`: clamp to `±max` (a signed type never holds its most negative value).
    SatSym,
    /// `AP_WRAP_SM`: sign-magnitude wrap.
    WrapSm,
}

impl Overflow {
    pub const ALL: [Overflow; 5] = [
        Overflow::Wrap,
        Overflow::Sat,
        Overflow::SatZero,
        Overflow::SatSym,
        Overflow::WrapSm,
    ];

    /// The C++ enumerator, e.g. `AP_SAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Overflow::Wrap => "AP_WRAP",
            Overflow::Sat => "AP_SAT",
            Overflow::SatZero => "AP_SAT_ZERO",
            Overflow::SatSym => "AP_SAT_SYM",
            Overflow::WrapSm => "AP_WRAP_SM",
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors of the fixed-point layer. Each says what was wrong with which input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FixedError {
    #[error("width W={width} is out of range: {kind} needs 1 <= W <= {max}")]
    Width {
        kind: &'static str,
        width: i64,
        max: u32,
    },
    #[error("ap_ufixed cannot use AP_WRAP_SM: sign-magnitude wrapping needs a sign bit")]
    UnsignedWrapSm,
    #[error("saturation bits N={sat_bits} must be at most W={width}")]
    SatBits { sat_bits: u32, width: u32 },
    #[error("cannot convert {value} to {ty}: NaN and infinities have no fixed-point value")]
    NotFinite { value: f64, ty: FixedType },
    #[error("raw value {raw} does not fit in the {width} bits of {ty}")]
    RawOutOfRange {
        raw: i128,
        width: u32,
        ty: FixedType,
    },
    #[error("{op} of {lhs} and {rhs} needs a {width}-bit result, wider than the {max}-bit limit")]
    ResultTooWide {
        op: &'static str,
        lhs: FixedType,
        rhs: FixedType,
        width: i64,
        max: u32,
    },
    #[error("invalid fixed-point type '{text}': {reason}")]
    Parse { text: String, reason: String },
}

/// A fixed-point type: `ap_fixed<W,I,Q,O,N>` when `signed`, else `ap_ufixed<W,I,Q,O,N>`.
///
/// Construct through [`FixedType::new`] (or the shorthands), which checks `W` and `N`.
/// Declared types have `W <= 64`; intermediate results (see [`Fixed::mul`]) up to 128.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedType {
    signed: bool,
    width: u32,
    int_bits: i32,
    rounding: Rounding,
    overflow: Overflow,
    sat_bits: u32,
}

impl FixedType {
    /// A declared type, as a user writes it in C++ (`1 <= W <= 64`, `N <= W`).
    pub fn new(
        signed: bool,
        width: u32,
        int_bits: i32,
        rounding: Rounding,
        overflow: Overflow,
        sat_bits: u32,
    ) -> Result<Self, FixedError> {
        Self::with_limit(
            signed,
            width,
            int_bits,
            rounding,
            overflow,
            sat_bits,
            MAX_DECLARED_WIDTH,
        )
    }

    /// A declared type up to [`MAX_WIDTH`] bits: an accumulator (the kernels of multiply-accumulate
    /// layers compute in `i128` beyond 64 bits). Other tensors are stored in at most 64 bits,
    /// which their kernels check. Unsigned types have at most 127 bits (their raw values are
    /// `i128`s).
    pub fn wide(
        signed: bool,
        width: u32,
        int_bits: i32,
        rounding: Rounding,
        overflow: Overflow,
        sat_bits: u32,
    ) -> Result<Self, FixedError> {
        let max = if signed { MAX_WIDTH } else { MAX_WIDTH - 1 };
        Self::with_limit(signed, width, int_bits, rounding, overflow, sat_bits, max)
    }

    /// `ap_fixed<W,I>` with the default `AP_TRN`, `AP_WRAP`, `N=0`.
    pub fn signed(width: u32, int_bits: i32) -> Result<Self, FixedError> {
        Self::new(true, width, int_bits, Rounding::Trn, Overflow::Wrap, 0)
    }

    /// `ap_ufixed<W,I>` with the default `AP_TRN`, `AP_WRAP`, `N=0`.
    pub fn unsigned(width: u32, int_bits: i32) -> Result<Self, FixedError> {
        Self::new(false, width, int_bits, Rounding::Trn, Overflow::Wrap, 0)
    }

    /// An intermediate (result) type: default modes, width up to [`MAX_WIDTH`].
    pub(crate) fn intermediate(
        signed: bool,
        width: u32,
        int_bits: i32,
    ) -> Result<Self, FixedError> {
        Self::with_limit(
            signed,
            width,
            int_bits,
            Rounding::Trn,
            Overflow::Wrap,
            0,
            MAX_WIDTH,
        )
    }

    fn with_limit(
        signed: bool,
        width: u32,
        int_bits: i32,
        rounding: Rounding,
        overflow: Overflow,
        sat_bits: u32,
        max: u32,
    ) -> Result<Self, FixedError> {
        if width == 0 || width > max {
            return Err(FixedError::Width {
                kind: if signed { "ap_fixed" } else { "ap_ufixed" },
                width: i64::from(width),
                max,
            });
        }
        if !signed && overflow == Overflow::WrapSm {
            return Err(FixedError::UnsignedWrapSm);
        }
        if sat_bits > width {
            return Err(FixedError::SatBits { sat_bits, width });
        }
        Ok(FixedType {
            signed,
            width,
            int_bits,
            rounding,
            overflow,
            sat_bits,
        })
    }

    /// The same type with other quantization/overflow modes.
    pub fn with_modes(
        self,
        rounding: Rounding,
        overflow: Overflow,
        sat_bits: u32,
    ) -> Result<Self, FixedError> {
        Self::with_limit(
            self.signed,
            self.width,
            self.int_bits,
            rounding,
            overflow,
            sat_bits,
            MAX_WIDTH,
        )
    }

    pub fn is_signed(&self) -> bool {
        self.signed
    }
    /// `W`: total bits.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// `I`: integer bits, sign included; may be negative or larger than `W`.
    pub fn int_bits(&self) -> i32 {
        self.int_bits
    }
    /// `F = W - I`: fractional bits; may be negative or larger than `W`.
    pub fn frac_bits(&self) -> i32 {
        self.width as i32 - self.int_bits
    }
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }
    /// `N`: saturation bits of `AP_WRAP` / `AP_WRAP_SM`.
    pub fn sat_bits(&self) -> u32 {
        self.sat_bits
    }

    /// Smallest raw value: `-2^(W-1)` when signed, else 0.
    pub fn min_raw(&self) -> i128 {
        bits::min_value(self.width, self.signed)
    }

    /// Largest raw value: `2^(W-1) - 1` when signed, else `2^W - 1` (as `i128` up to W=127).
    pub fn max_raw(&self) -> i128 {
        bits::max_value(self.width, self.signed)
    }

    /// The C++ spelling without the defaults a user may omit.
    pub fn cpp_name(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for FixedType {
    /// `ap_fixed<8,3>`, `ap_fixed<8,3,AP_RND,AP_SAT>`, `ap_ufixed<8,3,AP_TRN,AP_WRAP,2>`: the
    /// shortest form that C++ accepts for this type (trailing defaults omitted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.signed { "ap_fixed" } else { "ap_ufixed" };
        write!(f, "{name}<{},{}", self.width, self.int_bits)?;
        if self.sat_bits != 0 {
            write!(f, ",{},{},{}", self.rounding, self.overflow, self.sat_bits)?;
        } else if self.overflow != Overflow::Wrap {
            write!(f, ",{},{}", self.rounding, self.overflow)?;
        } else if self.rounding != Rounding::Trn {
            write!(f, ",{}", self.rounding)?;
        }
        f.write_str(">")
    }
}

/// A value of a [`FixedType`]: its raw bits, kept sign- (or zero-) extended in an `i128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fixed {
    ty: FixedType,
    raw: i128,
}

impl Fixed {
    /// The value whose raw integer is `raw`; errors if `raw` does not fit in `W` bits.
    pub fn from_raw(raw: i128, ty: FixedType) -> Result<Fixed, FixedError> {
        if raw < ty.min_raw() || raw > ty.max_raw() {
            return Err(FixedError::RawOutOfRange {
                raw,
                width: ty.width,
                ty,
            });
        }
        Ok(Fixed { ty, raw })
    }

    /// The value whose raw bits are the low `W` bits of `bits` (a C++ `.range()` assignment).
    pub fn from_bits(bits: u128, ty: FixedType) -> Fixed {
        Fixed {
            ty,
            raw: bits::extend(bits, ty.width, ty.signed),
        }
    }

    /// `ap_fixed<..>(x)`: the exact value of `x`, then the destination's Q and O modes.
    pub fn from_f64(x: f64, ty: FixedType) -> Result<Fixed, FixedError> {
        if !x.is_finite() {
            return Err(FixedError::NotFinite { value: x, ty });
        }
        Ok(from_f64::convert(x, ty))
    }

    /// The raw integer (two's complement value when signed).
    pub fn raw(&self) -> i128 {
        self.raw
    }

    /// The raw bits, zero-extended (what `.range()` reads).
    pub fn bits(&self) -> u128 {
        bits::truncate(self.raw as u128, self.ty.width)
    }

    pub fn ty(&self) -> FixedType {
        self.ty
    }

    /// `.to_double()`: the nearest double (ties to even), as the header computes it.
    pub fn to_f64(&self) -> f64 {
        to_f64::convert(self)
    }

    /// Assignment into a declared type: the header's converting `operator=`.
    ///
    /// Into its own type a value is copied bit for bit (C++ picks the implicit copy
    /// constructor, not the converting one): an `AP_SAT_SYM` value whose bits were set to
    /// the most negative raw integer through `.range()` stays there.
    pub fn cast(&self, ty: FixedType) -> Fixed {
        if ty == self.ty {
            return *self;
        }
        cast::convert(self, ty)
    }
}

mod requant;
pub use csd::{csd_digits, csd_weight, CsdDigit};
mod requant_wide;
pub use requant::{difference_type, product_type, sum_type, FloatRequant, OverflowStep, Requant};
pub use requant_wide::WideRequant;
