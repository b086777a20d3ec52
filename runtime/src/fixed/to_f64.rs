//! `ap_fixed_base::to_double()`: round to nearest, ties to even, built by hand from the
//! bits as the header does (including its exponent field arithmetic for extreme `I`).

use super::bits::{get_bit, get_range, truncate};
use super::Fixed;

const DOUBLE_MAN: i64 = 52;
const DOUBLE_BIAS: i64 = 1023;

pub(super) fn convert(x: &Fixed) -> f64 {
    let w = x.ty.width;
    let v = x.bits();
    if v == 0 {
        return 0.0;
    }
    let s = x.ty.signed && get_bit(v, w - 1);
    let tmp = if s { truncate(v.wrapping_neg(), w) } else { v };
    let l = i64::from(tmp.leading_zeros()) - (128 - i64::from(w));
    let mut e = i64::from(x.ty.int_bits) - l - 1 + DOUBLE_BIAS;
    let lsb_index = i64::from(w) - l - 1 - DOUBLE_MAN;
    let mut a = lsb_index >= 2 && get_range(tmp, 0, (lsb_index - 2) as u32) != 0;
    a |= lsb_index >= 0 && get_bit(tmp, lsb_index as u32);
    let mut m = if lsb_index >= 1 {
        (tmp >> (lsb_index - 1)) as u64
    } else {
        (tmp << (1 - lsb_index)) as u64
    };
    m += u64::from(a);
    m >>= 1;
    if (m >> (DOUBLE_MAN + 1)) & 1 == 1 {
        e += 1;
    }
    if s {
        m |= 1 << 63;
    }
    let exp_mask = 0x7ffu64 << DOUBLE_MAN;
    m = (m & !exp_mask) | (((e as u64) << DOUBLE_MAN) & exp_mask);
    f64::from_bits(m)
}
