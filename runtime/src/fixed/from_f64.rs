//! `ap_fixed_base(double)`: the header reads the double as a 54-bit signed integer
//! mantissa `±(2^52 | fraction)` with binary point from the exponent, and then assigns
//! it like any other fixed-point value (its constructor is the converting assignment
//! written out for that source type; the two agree bit for bit).
//!
//! One quirk is kept on purpose: the header sets the implicit leading 1 even for
//! subnormal doubles, reading them as `(1.fraction) · 2^-1023`.

use super::{Fixed, FixedType};

const DOUBLE_MAN: u32 = 52;
const DOUBLE_BIAS: i32 = 1023;

/// `x` must be finite (checked by the caller).
pub(super) fn convert(x: f64, ty: FixedType) -> Fixed {
    let bits = x.to_bits();
    if bits & 0x7fff_ffff_ffff_ffff == 0 {
        return Fixed { ty, raw: 0 };
    }
    let isneg = bits >> 63 == 1;
    let exp = ((bits >> DOUBLE_MAN) & 0x7ff) as i32 - DOUBLE_BIAS;
    let magnitude = ((bits & ((1u64 << DOUBLE_MAN) - 1)) | (1u64 << DOUBLE_MAN)) as i128;
    let mantissa = FixedType {
        signed: true,
        width: DOUBLE_MAN + 2,
        int_bits: exp + 2,
        rounding: ty.rounding,
        overflow: ty.overflow,
        sat_bits: 0,
    };
    let raw = if isneg { -magnitude } else { magnitude };
    Fixed { ty: mantissa, raw }.cast(ty)
}
