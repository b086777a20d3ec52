//! Quant: the QONNX uniform quantizer with zero point 0 (also what an ONNX QuantizeLinear →
//! DequantizeLinear pair and BipolarQuant become). Inputs `x` and `scale` (a scalar or broadcast to
//! `x`); `y = scale · clamp_round(x / scale)` where the clamp bounds are the integer range of
//! `bits`/`signed`/`narrow` and the rounding is `rounding`. As the qonnx executor computes it: f32
//! division, clamp, then round (clamp first is the same as round first, the bounds being integers),
//! then the product in f32. One bit signed is bipolar: `x / scale >= 0 ? 1 : -1`.
//!
//! The pass `fold-quantizers` turns every Quant into binpoint types: the integers become a tensor of
//! type `ap_fixed<bits,bits>` (or `ap_ufixed`), the scale moves into the neighbouring linear layers.
use super::prelude::*;
use binpoint_runtime::{Overflow, Rounding};

/// QONNX's rounding modes (`rounding_mode` attribute), named as qonnx names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantRounding {
    /// Half to even (`ROUND`, `HALF_EVEN`; numpy's `round`).
    HalfEven,
    Ceil,
    Floor,
    /// Away from zero (`UP`).
    Up,
    /// Towards zero (`DOWN`, numpy's `fix`).
    Down,
    /// Half away from zero (`HALF_UP`).
    HalfUp,
    /// Half towards zero (`HALF_DOWN`).
    HalfDown,
}

impl QuantRounding {
    /// The attribute value, case-insensitive as in qonnx.
    pub fn parse(s: &str) -> Option<QuantRounding> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ROUND" | "HALF_EVEN" => QuantRounding::HalfEven,
            "CEIL" => QuantRounding::Ceil,
            "FLOOR" => QuantRounding::Floor,
            "UP" => QuantRounding::Up,
            "DOWN" => QuantRounding::Down,
            "HALF_UP" => QuantRounding::HalfUp,
            "HALF_DOWN" => QuantRounding::HalfDown,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            QuantRounding::HalfEven => "ROUND",
            QuantRounding::Ceil => "CEIL",
            QuantRounding::Floor => "FLOOR",
            QuantRounding::Up => "UP",
            QuantRounding::Down => "DOWN",
            QuantRounding::HalfUp => "HALF_UP",
            QuantRounding::HalfDown => "HALF_DOWN",
        }
    }

    /// The `ap_fixed` quantization mode that rounds a value onto the integer grid the same way:
    /// AP_RND_CONV (half to even), AP_TRN (floor), AP_TRN_ZERO (towards zero), AP_RND_INF (half
    /// away from zero), AP_RND_ZERO (half towards zero). CEIL and UP have no `ap_fixed` mode.
    pub fn ap_rounding(self) -> Option<Rounding> {
        match self {
            QuantRounding::HalfEven => Some(Rounding::RndConv),
            QuantRounding::Floor => Some(Rounding::Trn),
            QuantRounding::Down => Some(Rounding::TrnZero),
            QuantRounding::HalfUp => Some(Rounding::RndInf),
            QuantRounding::HalfDown => Some(Rounding::RndZero),
            QuantRounding::Ceil | QuantRounding::Up => None,
        }
    }

    /// Rounds `v` to an integer (f64 in, as numpy would on the f32 value).
    pub fn round(self, v: f64) -> f64 {
        match self {
            QuantRounding::HalfEven => v.round_ties_even(),
            QuantRounding::Ceil => v.ceil(),
            QuantRounding::Floor => v.floor(),
            QuantRounding::Up => v.signum() * v.abs().ceil(),
            QuantRounding::Down => v.trunc(),
            QuantRounding::HalfUp => v.signum() * (v.abs() + 0.5).floor(),
            QuantRounding::HalfDown => v.signum() * (v.abs() - 0.5).ceil(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Quant {
    pub bits: u32,
    pub signed: bool,
    pub narrow: bool,
    pub rounding: QuantRounding,
    /// An integer zero point `z` (ONNX QDQ's `y_zero_point`): the stored integers are
    /// `clamp(round(x / s) + z)` in the range of `bits`/`signed`/`narrow` and the value is
    /// `(q - z)·s`, that is `s · clamp(round(x / s), min - z, max - z)`: [`Quant::int_range`] is the
    /// range shifted. QuantizeLinear rounds before it adds `z`; QONNX's `Quant` adds its zero point
    /// before rounding (different at ties when `z` is odd), so a nonzero QONNX zero point is refused.
    pub zero_point: i64,
}

impl Quant {
    /// The integer range `[min, max]` (qonnx's `min_int`/`max_int`) minus the zero point: the
    /// integers `round(x / s)` are clamped to it.
    pub fn int_range(&self) -> (f64, f64) {
        let b = self.bits as i32;
        let (lo, hi) = match (self.signed, self.narrow) {
            (true, true) => (-(2f64.powi(b - 1)) + 1.0, 2f64.powi(b - 1) - 1.0),
            (true, false) => (-(2f64.powi(b - 1)), 2f64.powi(b - 1) - 1.0),
            (false, false) => (0.0, 2f64.powi(b) - 1.0),
            (false, true) => (0.0, 2f64.powi(b) - 2.0),
        };
        let z = self.zero_point as f64;
        (lo - z, hi - z)
    }

    pub fn bipolar(&self) -> bool {
        self.bits == 1 && self.signed
    }

    /// The integer of `x / scale` (computed in f32 as qonnx does).
    pub fn integer(&self, x: f32, scale: f32) -> f32 {
        let v = x / scale;
        if self.bipolar() {
            return if v >= 0.0 { 1.0 } else { -1.0 };
        }
        let (lo, hi) = self.int_range();
        let c = (v as f64).clamp(lo, hi);
        self.rounding.round(c) as f32
    }

    /// The `ap_fixed` overflow mode that clamps exactly to [`Quant::int_range`] on a `bits`-wide
    /// integer type: AP_SAT, or AP_SAT_SYM for signed narrow (`min = -max`). Unsigned narrow
    /// (max `2^bits - 2`) has none.
    pub fn ap_overflow(&self) -> Option<Overflow> {
        match (self.signed, self.narrow) {
            (true, true) => Some(Overflow::SatSym),
            (_, false) => Some(Overflow::Sat),
            (false, true) => None,
        }
    }
}

impl OpSpec for Quant {
    fn name(&self) -> &'static str {
        "Quant"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        let s = broadcast_shapes(x, arg(i, 1)?)?;
        if s.rank() != x.rank() {
            return Err("the scale has more dimensions than the input".into());
        }
        Ok(x.clone())
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        zip_broadcast(arg(i, 0)?, arg(i, 1)?, |x, s| self.integer(x, s) * s)
    }
    fn attrs(&self) -> String {
        let zero = if self.zero_point == 0 {
            String::new()
        } else {
            format!(" zero_point={}", self.zero_point)
        };
        format!(
            "bits={} signed={} narrow={} rounding={}{zero}",
            self.bits,
            self.signed,
            self.narrow,
            self.rounding.label()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use binpoint_runtime::{Fixed, FixedType};

    /// Every rounding mode with an `ap_fixed` equivalent rounds like that mode's cast onto the integer
    /// grid, on a grid of quarters (ties included), and the overflow modes clamp to qonnx's range.
    #[test]
    fn quant_rounding_and_range_equal_the_ap_fixed_cast() {
        let modes = [
            QuantRounding::HalfEven,
            QuantRounding::Floor,
            QuantRounding::Down,
            QuantRounding::HalfUp,
            QuantRounding::HalfDown,
            QuantRounding::Ceil,
            QuantRounding::Up,
        ];
        for mode in modes {
            for (signed, narrow) in [(true, true), (true, false), (false, false), (false, true)] {
                let q = Quant {
                    bits: 3,
                    signed,
                    narrow,
                    rounding: mode,
                    zero_point: 0,
                };
                let (Some(r), Some(o)) = (mode.ap_rounding(), q.ap_overflow()) else {
                    continue;
                };
                let ty = FixedType::new(signed, 3, 3, r, o, 0).unwrap();
                for k in -48..=48 {
                    let v = k as f32 / 4.0;
                    let want = q.integer(v, 1.0);
                    let got = Fixed::from_f64(f64::from(v), ty).unwrap().to_f64();
                    assert_eq!(got, f64::from(want), "{} {ty} at {v}", mode.label());
                }
            }
        }
        // The rounding functions themselves, as numpy computes them.
        let r = |m: QuantRounding| [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 1.7].map(|v| m.round(v));
        assert_eq!(
            r(QuantRounding::HalfEven),
            [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, -1.0, 2.0]
        );
        assert_eq!(
            r(QuantRounding::HalfUp),
            [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, -1.0, 2.0]
        );
        assert_eq!(
            r(QuantRounding::HalfDown),
            [-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, -1.0, 2.0]
        );
        assert_eq!(
            r(QuantRounding::Ceil),
            [-2.0, -1.0, -0.0, 1.0, 2.0, 3.0, -1.0, 2.0]
        );
        assert_eq!(
            r(QuantRounding::Up),
            [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, -2.0, 2.0]
        );
        assert_eq!(
            r(QuantRounding::Down),
            [-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, -1.0, 1.0]
        );
    }
}
