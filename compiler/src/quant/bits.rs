//! Integer-bit rules: how many integer bits a range needs, whether a value overflows a type (with the
//! header's own cast), and the exact result types of `*` and `+` (from the runtime's `Fixed`).
//!
//! A signed `ap_fixed<W,I>` holds `[-2^(I-1), 2^(I-1) - 2^-F]`, an unsigned one `[0, 2^I - 2^-F]`. With
//! unlimited fractional bits a positive `x` needs `I = floor(log2 x) + 2` signed (`+1` unsigned), so an
//! exact power of two `2^k` needs `k + 2`; a negative `x` needs `I = ceil(log2 |x|) + 1`, so `-2^k`
//! fits in `k + 1`. With `F` finite a value less than one step below `2^(I-1)` can still round up
//! into overflow: [`fit_int_bits`] checks the real cast and adds a bit when that happens.

use binpoint_runtime::{Fixed, FixedError, FixedType, Overflow, Rounding};

/// `floor(log2 x)` for a finite `x > 0`, exact (read from the IEEE exponent).
fn floor_log2(x: f64) -> i32 {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let mantissa = bits & ((1u64 << 52) - 1);
        return -1074 + (63 - mantissa.leading_zeros() as i32);
    }
    exp - 1023
}

/// `ceil(log2 x)` for a finite `x > 0`, exact.
pub fn ceil_log2(x: f64) -> i32 {
    let f = floor_log2(x);
    if x == pow2(f) {
        f
    } else {
        f + 1
    }
}

/// `ceil(log2 n)` for an integer `n >= 1` (0 for n = 1).
pub fn ceil_log2_u64(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// `2^k` as a double (0 or infinity beyond the double's range).
pub fn pow2(k: i32) -> f64 {
    2f64.powi(k)
}

/// Integer bits (sign included when `signed`) that hold every value of `[lo, hi]` with unlimited
/// fractional bits; `None` when the range is `{0}` (any `I` holds it).
pub fn int_bits_for_range(lo: f64, hi: f64, signed: bool) -> Option<i32> {
    let mut need: Option<i32> = None;
    if hi > 0.0 {
        let i = floor_log2(hi) + if signed { 2 } else { 1 };
        need = Some(need.map_or(i, |n| n.max(i)));
    }
    if lo < 0.0 {
        // Unsigned types never hold negatives; callers only ask for them with lo >= 0.
        let i = ceil_log2(-lo) + 1;
        need = Some(need.map_or(i, |n| n.max(i)));
    }
    need
}

/// The integer bits of a `width`-bit type for values in `[lo, hi]`: [`int_bits_for_range`], plus one
/// when the cast of an end point (with `rounding`) would still overflow. An all-zero range gets
/// `I = 1` (signed) or `I = 0` (unsigned).
pub fn fit_int_bits(
    lo: f64,
    hi: f64,
    width: u32,
    signed: bool,
    rounding: Rounding,
) -> Result<i32, FixedError> {
    let mut i = int_bits_for_range(lo, hi, signed).unwrap_or(i32::from(signed));
    for _ in 0..2 {
        let ty = FixedType::new(signed, width, i, rounding, Overflow::Sat, 0)?;
        if overflows(lo, ty) || overflows(hi, ty) {
            i += 1;
        } else {
            break;
        }
    }
    Ok(i)
}

/// The integer bits of a constant (weights, biases, kernel scalars, LUT entries): as
/// [`fit_int_bits`], except that with a saturating overflow mode (`AP_SAT`, `AP_SAT_SYM`) an end
/// value that only overflows by rounding up is left to saturate: it then lands within one step of
/// its value, while one more integer bit would double the rounding error of every other value.
pub fn const_int_bits(
    lo: f64,
    hi: f64,
    width: u32,
    signed: bool,
    rounding: Rounding,
    overflow: Overflow,
) -> Result<i32, FixedError> {
    if matches!(overflow, Overflow::Sat | Overflow::SatSym) {
        Ok(int_bits_for_range(lo, hi, signed).unwrap_or(i32::from(signed)))
    } else {
        fit_int_bits(lo, hi, width, signed, rounding)
    }
}

/// Whether assigning the double `x` to `ty` overflows, i.e. its quantized value (with `ty`'s rounding)
/// lies outside `ty`'s range, so that `ty`'s overflow mode changes it. Non-finite values overflow.
pub fn overflows(x: f64, ty: FixedType) -> bool {
    if !x.is_finite() {
        return true;
    }
    let (w, i) = (ty.width(), ty.int_bits());
    // A signed twin with one more integer bit and the same fraction holds every value of `ty`
    // and everything up to twice its range; beyond that the value certainly overflows.
    let twin_bound = pow2(i);
    if x.abs() >= twin_bound {
        return true;
    }
    if w < 64 {
        let Ok(twin) = FixedType::new(true, w + 1, i + 1, ty.rounding(), Overflow::Wrap, 0) else {
            return true;
        };
        match Fixed::from_f64(x, twin) {
            Ok(q) => q.raw() < ty.min_raw() || q.raw() > ty.max_raw(),
            Err(_) => true,
        }
    } else {
        // 64-bit types: no wider twin; compare with the range (exact up to the last step).
        let top = if ty.is_signed() {
            pow2(i - 1)
        } else {
            twin_bound
        };
        let bottom = if ty.is_signed() { -top } else { 0.0 };
        x >= top || x < bottom
    }
}

/// `ty`'s smallest and largest values.
pub fn type_range(ty: FixedType) -> (f64, f64) {
    let lo = Fixed::from_raw(ty.min_raw(), ty).map_or(0.0, |f| f.to_f64());
    let hi = Fixed::from_raw(ty.max_raw(), ty).map_or(0.0, |f| f.to_f64());
    (lo, hi)
}

/// `x` assigned to `ty` (its Q and O modes), as a double.
pub fn quantize(x: f64, ty: FixedType) -> f64 {
    Fixed::from_f64(x, ty).map_or(f64::NAN, |f| f.to_f64())
}

/// The header's result type of `a * b`: `W1 + W2`, `I1 + I2`, signed if either is.
pub fn product_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Fixed::from_raw(0, a)?
        .mul(&Fixed::from_raw(0, b)?)
        .map(|f| f.ty())
}

/// The header's result type of `a + b`.
pub fn sum_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Fixed::from_raw(0, a)?
        .add(&Fixed::from_raw(0, b)?)
        .map(|f| f.ty())
}

/// The header's result type of `a - b` (always signed).
pub fn difference_type(a: FixedType, b: FixedType) -> Result<FixedType, FixedError> {
    Fixed::from_raw(0, a)?
        .sub(&Fixed::from_raw(0, b)?)
        .map(|f| f.ty())
}

/// Width, integer bits and signedness of a type that may be wider than 64 bits (before checking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wide {
    pub signed: bool,
    pub width: i64,
    pub int_bits: i64,
}

impl Wide {
    pub fn of(t: FixedType) -> Wide {
        Wide {
            signed: t.is_signed(),
            width: i64::from(t.width()),
            int_bits: i64::from(t.int_bits()),
        }
    }
    pub fn frac_bits(&self) -> i64 {
        self.width - self.int_bits
    }
    /// The header's `a + b` rule on shapes.
    pub fn plus(self, b: Wide) -> Wide {
        let ia = self.int_bits + i64::from(b.signed && !self.signed);
        let ib = b.int_bits + i64::from(self.signed && !b.signed);
        let int_bits = ia.max(ib) + 1;
        Wide {
            signed: self.signed || b.signed,
            width: int_bits + self.frac_bits().max(b.frac_bits()),
            int_bits,
        }
    }
    /// A declared type with the default modes (`AP_TRN`, `AP_WRAP`): exact accumulators need no
    /// others. At most 64 bits (the error is the width).
    pub fn declare(self) -> Result<FixedType, i64> {
        self.declare_up_to(false)
    }

    /// [`Wide::declare`] up to 128 bits: the accumulator of a multiply-accumulate kernel.
    pub fn declare_wide(self) -> Result<FixedType, i64> {
        self.declare_up_to(true)
    }

    fn declare_up_to(self, wide: bool) -> Result<FixedType, i64> {
        let (Ok(w), Ok(i)) = (u32::try_from(self.width), i32::try_from(self.int_bits)) else {
            return Err(self.width);
        };
        let make = if wide {
            FixedType::wide
        } else {
            FixedType::new
        };
        make(self.signed, w, i, Rounding::Trn, Overflow::Wrap, 0).map_err(|_| self.width)
    }
}

/// The accumulator of a multiply-accumulate layer that can never overflow: the sum of `fan_in`
/// products `x * w` (`I_x + I_w + ceil(log2 fan_in)` integer bits, `F_x + F_w` fractional), plus the
/// bias by the header's `+` rule. With `F_b <= F_x + F_w` and `I_b` small that is
/// `W_acc = W_x + W_w + ceil(log2 fan_in) + 1` (DESIGN.md). Errors with the width when over 64
/// (the element-wise kernels that use it compute in `i64`); [`mac_accumulator_wide`] for the
/// multiply-accumulate kernels.
pub fn mac_accumulator(
    x: FixedType,
    w: FixedType,
    bias: Option<FixedType>,
    fan_in: u64,
) -> Result<FixedType, i64> {
    let grow = i64::from(ceil_log2_u64(fan_in));
    let p = Wide::of(x);
    let q = Wide::of(w);
    let sum = Wide {
        signed: p.signed || q.signed,
        width: p.width + q.width + grow,
        int_bits: p.int_bits + q.int_bits + grow,
    };
    let acc = match bias {
        Some(b) => sum.plus(Wide::of(b)),
        None => sum,
    };
    acc.declare()
}

/// [`mac_accumulator`] up to 128 bits: the accumulator of a Dense or Conv layer, whose kernels
/// compute in `i128` beyond 64 bits. Errors with the width when over 128.
pub fn mac_accumulator_wide(
    x: FixedType,
    w: FixedType,
    bias: Option<FixedType>,
    fan_in: u64,
) -> Result<FixedType, i64> {
    match mac_accumulator(x, w, bias, fan_in) {
        Ok(t) => Ok(t),
        Err(_) => {
            let grow = i64::from(ceil_log2_u64(fan_in));
            let (p, q) = (Wide::of(x), Wide::of(w));
            let sum = Wide {
                signed: p.signed || q.signed,
                width: p.width + q.width + grow,
                int_bits: p.int_bits + q.int_bits + grow,
            };
            match bias {
                Some(b) => sum.plus(Wide::of(b)),
                None => sum,
            }
            .declare_wide()
        }
    }
}

/// Non-zero digits of `n` in canonical signed-digit form (the runtime's `csd_weight` takes
/// `i64`); the K-hot rule counts them.
pub fn csd_weight_i128(n: i128) -> u32 {
    let mut n = n;
    let mut w = 0;
    while n != 0 {
        if n & 1 != 0 {
            w += 1;
            n -= if n & 3 == 3 { -1 } else { 1 };
        }
        n >>= 1;
    }
    w
}
