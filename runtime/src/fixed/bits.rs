//! Two's-complement helpers on `u128` bit vectors of a given width (1..=128).

/// The low `width` bits of `v`.
pub(crate) fn truncate(v: u128, width: u32) -> u128 {
    if width >= 128 {
        v
    } else {
        v & ((1u128 << width) - 1)
    }
}

/// The low `width` bits of `v`, read as a signed or unsigned integer.
pub(crate) fn extend(v: u128, width: u32, signed: bool) -> i128 {
    let t = truncate(v, width);
    if signed && width < 128 && get_bit(t, width - 1) {
        (t | !((1u128 << width) - 1)) as i128
    } else {
        t as i128
    }
}

/// Bit `i` of `v` (false beyond bit 127).
pub(crate) fn get_bit(v: u128, i: u32) -> bool {
    i < 128 && (v >> i) & 1 == 1
}

pub(crate) fn set_bit(v: u128, i: u32, b: bool) -> u128 {
    if b {
        v | (1u128 << i)
    } else {
        v & !(1u128 << i)
    }
}

/// Bits `lo..=hi` of `v`, shifted down to bit 0.
pub(crate) fn get_range(v: u128, lo: u32, hi: u32) -> u128 {
    truncate(v >> lo, hi - lo + 1)
}

/// `v` with bits `lo..=hi` replaced by the low bits of `r`.
pub(crate) fn set_range(v: u128, lo: u32, hi: u32, r: u128) -> u128 {
    let mask = truncate(u128::MAX, hi - lo + 1) << lo;
    (v & !mask) | ((r << lo) & mask)
}

pub(crate) fn min_value(width: u32, signed: bool) -> i128 {
    if signed {
        if width >= 128 {
            i128::MIN
        } else {
            -(1i128 << (width - 1))
        }
    } else {
        0
    }
}

pub(crate) fn max_value(width: u32, signed: bool) -> i128 {
    let magnitude = if signed { width - 1 } else { width };
    if magnitude >= 127 {
        i128::MAX
    } else {
        (1i128 << magnitude) - 1
    }
}
