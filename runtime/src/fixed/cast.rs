//! Assignment into a declared type: a line-by-line port of the converting
//! `ap_fixed_base::operator=` in Xilinx's `ap_fixed_base.h`.
//!
//! The header first shifts the source to the destination's binary point (rounding per
//! Q on the way), then decides from the source bits above the destination's MSB whether
//! the value overflowed, and lets O repair it. The decision logic (`deleted_zeros`,
//! `deleted_ones`, `lD`, ...) is kept with the header's names so that the two can be
//! read side by side; it reproduces the header's behaviour in every corner, including
//! `AP_WRAP` with saturation bits and `AP_WRAP_SM`.

use super::bits::{extend, get_bit, get_range, set_bit, set_range, truncate};
use super::{Fixed, FixedType, Overflow, Rounding};

pub(super) fn convert(op: &Fixed, ty: FixedType) -> Fixed {
    let src = op.ty;
    let (w, s) = (ty.width, ty.signed);
    let (w2, s2) = (src.width, src.signed);
    let f = ty.frac_bits() as i64;
    let f2 = src.frac_bits() as i64;
    let (q, o, n) = (ty.rounding, ty.overflow, ty.sat_bits);
    let op_bits = op.bits();

    // The header's `!(Q == AP_TRN || (Q == AP_TRN_ZERO && !S2))`: truncation towards zero of
    // an unsigned source is plain truncation.
    let rounds = q != Rounding::Trn && (q != Rounding::TrnZero || s2);
    let quan_inc = f2 > f && rounds;
    let mut carry = false;
    let signbit = get_bit(op_bits, w2 - 1);
    let isneg = signbit && s2;

    let mut v: u128;
    if f2 == f {
        v = truncate(op.raw as u128, w);
    } else if f2 > f {
        let sh_amt = (f2 - f) as u64;
        v = if sh_amt < u64::from(w2) {
            truncate((op.raw >> sh_amt) as u128, w)
        } else if isneg {
            truncate(u128::MAX, w)
        } else {
            0
        };
        if rounds {
            let qb = if f2 - f > i64::from(w2) {
                s2 && signbit
            } else {
                get_bit(op_bits, (f2 - f - 1) as u32)
            };
            let r = if f2 > f + 1 {
                let hi = (f2 - f - 2).min(i64::from(w2) - 1) as u32;
                get_range(op_bits, 0, hi) != 0
            } else {
                false
            };
            let (adjusted, c) = quantization_adjust(v, ty, qb, r, isneg);
            v = adjusted;
            carry = c;
        }
    } else {
        let sh_amt = (f - f2) as u64;
        v = if sh_amt < u64::from(w) {
            truncate((op.raw as u128) << sh_amt, w)
        } else {
            0
        };
    }

    let overflow_checked = (o != Overflow::Wrap || n != 0)
        && ((!s && s2)
            || i64::from(ty.int_bits) - i64::from(s)
                < i64::from(src.int_bits) - i64::from(s2)
                    + i64::from(quan_inc || (s2 && o == Overflow::SatSym)));
    if overflow_checked {
        let mut deleted_zeros = if s2 { true } else { !carry };
        let mut deleted_ones = true;
        let neg_src;
        let newsignbit = get_bit(v, w - 1);
        let pos1 = f2 - f + i64::from(w);
        let pos2 = pos1 + 1;
        let w2i = i64::from(w2);
        let ld = pos1 < w2i && pos1 >= 0 && get_bit(op_bits, pos1 as u32);
        if pos1 < w2i {
            let mut range1_all_ones = true;
            let mut range1_all_zeros = true;
            let mut range2_all_ones = true;
            if pos2 < w2i && pos2 >= 0 {
                range2_all_ones = is_all_ones(op_bits, pos2 as u32, w2);
            } else if pos2 < 0 {
                range2_all_ones = false;
            }
            if pos1 >= 0 && pos2 < w2i {
                range1_all_ones = is_all_ones(op_bits, pos1 as u32, w2);
                range1_all_zeros = get_range(op_bits, pos1 as u32, w2 - 1) == 0;
            } else if pos2 == w2i {
                range1_all_ones = ld;
                range1_all_zeros = !ld;
            } else if pos1 < 0 {
                range1_all_zeros = op_bits == 0;
                range1_all_ones = false;
            }
            deleted_zeros = deleted_zeros
                && if carry {
                    range1_all_ones
                } else {
                    range1_all_zeros
                };
            deleted_ones = if carry {
                range2_all_ones && (pos1 < 0 || !ld)
            } else {
                range1_all_ones
            };
            neg_src = isneg && !(carry && range1_all_ones);
        } else {
            neg_src = isneg && newsignbit;
        }
        let neg_trg = s && newsignbit;
        let overflow = (neg_trg || !deleted_zeros) && !isneg;
        let mut underflow = (!neg_trg || !deleted_ones) && neg_src;
        if o == Overflow::SatSym && s2 && s {
            underflow |= neg_src && (w == 1 || get_range(v, 0, w - 2) == 0);
        }
        v = overflow_adjust(v, ty, underflow, overflow, ld, neg_src);
    }
    Fixed {
        ty,
        raw: extend(v, w, s),
    }
}

/// Bits `lo..W2-1` of `bits` are all ones (the header's `Range == all_ones >> lo`).
fn is_all_ones(bits: u128, lo: u32, w2: u32) -> bool {
    get_range(bits, lo, w2 - 1) == truncate(u128::MAX, w2 - lo)
}

/// `quantization_adjust`: add the rounding increment; returns the new bits and whether
/// the increment carried out of the sign bit.
pub(super) fn quantization_adjust(
    v: u128,
    ty: FixedType,
    qb: bool,
    r: bool,
    s: bool,
) -> (u128, bool) {
    let w = ty.width;
    let carry = get_bit(v, w - 1);
    let qb = match ty.rounding {
        Rounding::Trn => return (v, false),
        Rounding::Rnd => qb,
        Rounding::RndZero => qb && (s || r),
        Rounding::RndMinInf => qb && r,
        Rounding::RndInf => qb && (!s || r),
        Rounding::RndConv => qb && (get_bit(v, 0) || r),
        Rounding::TrnZero => s && (qb || r),
    };
    let v = truncate(v.wrapping_add(u128::from(qb)), w);
    (v, carry && !get_bit(v, w - 1))
}

/// `overflow_adjust`: what each overflow mode does to a value found to over- or underflow.
pub(super) fn overflow_adjust(
    v: u128,
    ty: FixedType,
    underflow: bool,
    overflow: bool,
    ld: bool,
    sign: bool,
) -> u128 {
    if !underflow && !overflow {
        return v;
    }
    let (w, n) = (ty.width, ty.sat_bits);
    let ones = truncate(u128::MAX, w);
    match ty.overflow {
        Overflow::Wrap => {
            if n == 0 {
                v
            } else if ty.signed {
                let mut v = set_bit(v, w - 1, sign);
                if n > 1 {
                    let mask = if sign { 0 } else { ones };
                    v = set_range(v, w - n, w - 2, mask);
                }
                v
            } else {
                set_range(v, w - n, w - 1, ones)
            }
        }
        Overflow::SatZero => 0,
        Overflow::WrapSm if ty.signed => {
            let ro = get_bit(v, w - 1);
            let mut v = v;
            if n == 0 {
                if ld != ro {
                    v = set_bit(!v & ones, w - 1, ld);
                }
            } else {
                if n == 1 && sign != ro {
                    v = !v & ones;
                } else if n > 1 {
                    let lno = get_bit(v, w - n);
                    if lno == sign {
                        v = !v & ones;
                    }
                    let mask = if sign { 0 } else { ones };
                    v = set_range(v, w - n, w - 2, mask);
                }
                v = set_bit(v, w - 1, sign);
            }
            v
        }
        // AP_SAT, AP_SAT_SYM, and AP_WRAP_SM on unsigned types, which the header saturates.
        _ => {
            if ty.signed {
                let min = 1u128 << (w - 1);
                if overflow {
                    !min & ones
                } else if ty.overflow == Overflow::SatSym {
                    min | 1
                } else {
                    min
                }
            } else if overflow {
                ones
            } else {
                0
            }
        }
    }
}
