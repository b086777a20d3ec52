//! Look-up tables of the non-linear activations (Sigmoid, Tanh, and Softmax's `exp(-d)` and `1/s`):
//! size, index arithmetic and entry type, and the entries themselves, computed here once so that the
//! HLS parameters and the simulator hold the same constants.
//!
//! Index arithmetic, on the raw integer `raw` of the index value (type `index_type`):
//!
//! ```text
//! idx = clamp((raw - origin_raw) >> shift, 0, size - 1)      // arithmetic shift = floor
//! ```
//!
//! so entry `i` covers the values `[origin + i·step, origin + (i+1)·step)` with
//! `step = 2^(shift - F_index)`, and holds `f` at the middle of the representable values of that
//! bucket, `origin + i·step + (step - 2^-F_index)/2`, cast to `entry` with its Q/O modes
//! ([`LutSpec::entries`]). With `shift = 0` every representable input has its own exact entry. Inputs
//! outside the covered range clamp to the first or last entry: the covered range is chosen from the
//! calibrated (or propagated) input range, cut where the function is saturated to within half a step
//! of the entry type (sigmoid/tanh/exp), so clamping costs at most that.

use super::bits::{ceil_log2, const_int_bits, pow2};
use super::ranges::Interval;
use super::serde_fixed;
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use serde::Serialize;

/// The function a table holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LutFunction {
    Sigmoid,
    Tanh,
    /// `gamma·x` above 0, `gamma·alpha·(exp(x) - 1)` below (ONNX Selu).
    Selu {
        alpha: f32,
        gamma: f32,
    },
    /// Softmax: `exp(-d)` of `d = max(x) - x >= 0`.
    ExpNeg,
    /// Softmax: `1/s` of the sum of the exp entries.
    Reciprocal,
}

/// Reports name a table's function in snake case; Selu with its parameters.
impl Serialize for LutFunction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LutFunction::Sigmoid => s.serialize_str("sigmoid"),
            LutFunction::Tanh => s.serialize_str("tanh"),
            LutFunction::Selu { alpha, gamma } => {
                s.serialize_str(&format!("selu(alpha={alpha}, gamma={gamma})"))
            }
            LutFunction::ExpNeg => s.serialize_str("exp_neg"),
            LutFunction::Reciprocal => s.serialize_str("reciprocal"),
        }
    }
}

impl LutFunction {
    pub fn eval(self, x: f64) -> f64 {
        match self {
            LutFunction::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            LutFunction::Tanh => x.tanh(),
            LutFunction::Selu { alpha, gamma } => {
                crate::ir::ops::Selu::apply(f64::from(alpha), f64::from(gamma), x)
            }
            LutFunction::ExpNeg => (-x).exp(),
            LutFunction::Reciprocal => 1.0 / x,
        }
    }
}

/// One table: see the module docs for the index arithmetic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LutSpec {
    pub function: LutFunction,
    /// The type of the value the index is computed from.
    #[serde(with = "serde_fixed")]
    pub index_type: FixedType,
    /// The raw `index_type` integer of `origin`, the start of the covered range (entry 0).
    pub origin_raw: i128,
    pub shift: u32,
    /// Entries: a power of two.
    pub size: u32,
    #[serde(with = "serde_fixed")]
    pub entry: FixedType,
    /// `[origin, origin + size·step)` as reals (the upper end excluded).
    pub covered: Interval,
    /// Input width of one entry: `2^(shift - F_index)`.
    pub step: f64,
}

impl LutSpec {
    /// The entry for raw index value `raw`.
    pub fn index(&self, raw: i128) -> usize {
        let i = (raw - self.origin_raw) >> self.shift;
        i.clamp(0, i128::from(self.size) - 1) as usize
    }

    /// The input value entry `i` is computed at.
    pub fn point(&self, i: usize) -> f64 {
        let lsb = pow2(-self.index_type.frac_bits());
        self.covered.lo + i as f64 * self.step + (self.step - lsb) / 2.0
    }

    /// The entries: `f(point(i))` cast to `entry`.
    pub fn entries(&self) -> Vec<Fixed> {
        (0..self.size as usize)
            .map(|i| {
                let v = self.function.eval(self.point(i));
                Fixed::from_f64(v, self.entry).unwrap_or_else(|_| Fixed::from_bits(0, self.entry))
            })
            .collect()
    }
}

/// What a table must cover and hold.
#[derive(Clone, Copy, Debug)]
pub struct TableRequest {
    pub function: LutFunction,
    pub index_type: FixedType,
    /// The input values the table must distinguish (already cut to where `function` is not saturated).
    pub cover: Interval,
    pub size: u32,
    pub entry_bits: u32,
    pub rounding: Rounding,
    pub overflow: Overflow,
    /// `ap_ufixed` entries when every entry is non-negative.
    pub unsigned: bool,
}

/// The largest input magnitude worth covering: beyond it `function` is within half a step of its
/// limit for entries with `frac_bits` fractional bits (`None`: no such point).
pub fn saturation_point(function: LutFunction, frac_bits: i32) -> Option<f64> {
    let ln2 = std::f64::consts::LN_2;
    let f = f64::from(frac_bits.max(0));
    match function {
        // 1 - σ(x) < e^-x, below 2^-(F+1) from x = (F+1)·ln 2.
        LutFunction::Sigmoid | LutFunction::ExpNeg => Some((f + 1.0) * ln2),
        // 1 - tanh(x) < 2·e^-2x, below 2^-(F+1) from x = (F+2)·ln2 / 2.
        LutFunction::Tanh => Some((f + 2.0) * ln2 / 2.0),
        // Below 0 only: gamma·alpha·e^x < 2^-(F+1) from x = -((F+1)·ln 2 + ln(gamma·alpha)).
        LutFunction::Selu { alpha, gamma } => {
            Some((f + 1.0) * ln2 + (f64::from(alpha) * f64::from(gamma)).ln().max(0.0))
        }
        LutFunction::Reciprocal => None,
    }
}

/// Designs the table: step (a power of two, at least one input step), origin aligned to the step,
/// size (fewer entries when the input type has fewer distinct values), then the entry type from the
/// entries' range.
pub fn design(req: TableRequest) -> Result<LutSpec, String> {
    let f_in = req.index_type.frac_bits();
    let lsb = pow2(-f_in);
    let span = (req.cover.hi - req.cover.lo).max(lsb);
    let mut size = req.size.max(1);
    let n = size.trailing_zeros() as i32;
    let mut k = ceil_log2(span) - n;
    if k < -f_in {
        k = -f_in;
        let distinct = ceil_log2(span / lsb).max(0);
        size = size.min(1u32 << distinct.min(31));
    }
    let mut origin = 0.0;
    for _ in 0..4 {
        let step = pow2(k);
        origin = (req.cover.lo / step).floor() * step;
        if origin + f64::from(size) * step >= req.cover.hi {
            break;
        }
        k += 1;
    }
    let shift =
        u32::try_from(k + f_in).map_err(|_| "table step below the input step".to_string())?;
    let step = pow2(k);
    let origin_raw = (origin * pow2(f_in)).round() as i128;
    let points: Vec<f64> = (0..size)
        .map(|i| {
            req.function
                .eval(origin + f64::from(i) * step + (step - lsb) / 2.0)
        })
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(format!(
            "{:?} table over [{origin}, {}) has non-finite entries",
            req.function,
            origin + f64::from(size) * step
        ));
    }
    let signed = !(req.unsigned && lo >= 0.0);
    let int_bits = const_int_bits(lo, hi, req.entry_bits, signed, req.rounding, req.overflow)
        .map_err(|e| e.to_string())?;
    let entry = FixedType::new(
        signed,
        req.entry_bits,
        int_bits,
        req.rounding,
        req.overflow,
        0,
    )
    .map_err(|e| e.to_string())?;
    Ok(LutSpec {
        function: req.function,
        index_type: req.index_type,
        origin_raw,
        shift,
        size,
        entry,
        covered: Interval::new(origin, origin + f64::from(size) * step),
        step,
    })
}
