//! The fake-quant cast of the learning forward: `x_q = cast(x, ap_fixed<W, I, Q, O, N>)` with the
//! tensor's own modes, exactly as the runtime casts a double (`Fixed::from_f64`), and a custom
//! backward:
//!
//! - `∂x_q/∂x = 1` where the cast did not overflow, `0` where it did (straight-through inside the
//!   range, the clip's own derivative outside);
//! - `∂x_q/∂I = ln2·(x_q - x)` inside the range (the rounding error scales with the step `2^(I-W)`);
//!   `ln2·max` (or `ln2·min`) where the value overflowed: the end of the range is `±c·2^I`, so its
//!   derivative is the end itself times `ln2`, with the end's sign.
//!
//! `I` is ap_fixed's integer-bit count (sign bit included); the op reads the rounded `I` from its
//! [`FixedType`] and takes the real-valued parameter as its second argument only to receive the
//! gradient, summed over the tensor.

use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

/// `2^52`: below it every scaled value and its rounding are exact in a double.
const EXACT: f64 = 4_503_599_627_370_496.0;

/// `x` cast to `ty` (value, and whether the cast overflowed). Bit-exact with `Fixed::from_f64`:
/// the common modes in double arithmetic, the rest through `Fixed`.
pub fn cast(x: f64, ty: &FixedType) -> (f64, bool) {
    Caster::new(ty).cast(x)
}

/// [`cast`] with the type's constants computed once, for whole tensors.
#[derive(Clone, Copy, Debug)]
struct Caster {
    ty: FixedType,
    scale: f64,
    lo: f64,
    hi: f64,
}

impl Caster {
    pub fn new(ty: &FixedType) -> Caster {
        Caster {
            ty: *ty,
            scale: pow2(ty.frac_bits()),
            lo: ty.min_raw() as f64,
            hi: ty.max_raw() as f64,
        }
    }

    pub fn cast(&self, x: f64) -> (f64, bool) {
        let (ty, scale, lo, hi) = (&self.ty, self.scale, self.lo, self.hi);
        let r = x * scale;
        let fast = r.is_finite()
            && r.abs() < EXACT
            && scale.is_finite()
            && scale > 0.0
            && (r / scale == x)
            && ty.width() <= 52;
        let rounded = if r.is_finite() {
            round(r, ty.rounding())
        } else {
            r
        };
        let overflow = !(lo..=hi).contains(&rounded);
        if fast {
            let raw = if !overflow {
                Some(rounded)
            } else {
                match (ty.overflow(), ty.sat_bits()) {
                    (Overflow::Sat, _) => Some(rounded.clamp(lo, hi)),
                    (Overflow::SatZero, _) => Some(0.0),
                    (Overflow::SatSym, _) if ty.is_signed() && ty.width() > 1 => {
                        Some(rounded.clamp(-hi, hi))
                    }
                    (Overflow::SatSym, _) if !ty.is_signed() => Some(rounded.clamp(lo, hi)),
                    (Overflow::Wrap, 0) => Some(wrap(rounded, ty.width(), ty.is_signed())),
                    _ => None,
                }
            };
            if let Some(raw) = raw {
                return (raw / scale, overflow);
            }
        }
        let exact = Fixed::from_f64(x, *ty).map_or(f64::NAN, |f| f.to_f64());
        (exact, overflow)
    }
}

fn pow2(k: i32) -> f64 {
    2f64.powi(k)
}

/// `r` rounded to an integer the way ap_fixed's quantization modes do (DESIGN.md "Number semantics").
fn round(r: f64, q: Rounding) -> f64 {
    let fl = r.floor();
    let half = r - fl == 0.5;
    match q {
        Rounding::Trn => fl,
        Rounding::TrnZero => r.trunc(),
        Rounding::Rnd => (r + 0.5).floor(),
        Rounding::RndZero if half => r.trunc(),
        Rounding::RndMinInf if half => fl,
        Rounding::RndInf if half => fl + f64::from(r > 0.0),
        Rounding::RndZero | Rounding::RndMinInf | Rounding::RndInf => r.round(),
        Rounding::RndConv => r.round_ties_even(),
    }
}

/// The low `w` bits of the integer `raw`, read back as a `w`-bit (un)signed integer.
fn wrap(raw: f64, w: u32, signed: bool) -> f64 {
    let m = pow2(w as i32);
    let mut v = raw.rem_euclid(m);
    if signed && v >= m / 2.0 {
        v -= m;
    }
    v
}

/// The largest and smallest values of `ty`.
fn type_ends(ty: &FixedType) -> (f64, f64) {
    let step = pow2(-ty.frac_bits());
    (ty.min_raw() as f64 * step, ty.max_raw() as f64 * step)
}

/// The cast as a candle op: `x.apply_op2(i, FixedCast { ty, khot: None })` with `ty`'s `I` = the
/// rounded `i`. With `khot: Some(K)` (weights of K-hot layers) the forward is the nearest value of
/// `ty` with at most K non-zero CSD digits (`quant::khot::project`) and the backward is the same
/// straight-through estimator, with `x_q` the projected value.
#[derive(Clone, Copy, Debug)]
pub struct FixedCast {
    pub ty: FixedType,
    pub khot: Option<u32>,
}

impl FixedCast {
    /// The forward value of one element.
    pub fn apply(&self, x: f64) -> f64 {
        match self.khot {
            Some(k) => crate::quant::khot::project(x, k, &self.ty),
            None => cast(x, &self.ty).0,
        }
    }
}

fn values<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'a [f64]> {
    let CpuStorage::F64(v) = s else {
        candle_core::bail!("fixed-cast: {what} must be f64");
    };
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("fixed-cast: {what} must be contiguous");
    };
    Ok(&v[a..b])
}

impl CustomOp2 for FixedCast {
    fn name(&self) -> &'static str {
        "fixed-cast"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        _s2: &CpuStorage,
        _l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(s1, l1, "x")?;
        let out: Vec<f64> = match self.khot {
            Some(_) => x.iter().map(|&v| self.apply(v)).collect(),
            None => {
                let c = Caster::new(&self.ty);
                x.iter().map(|&v| c.cast(v).0).collect()
            }
        };
        Ok((CpuStorage::F64(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        arg1: &Tensor,
        arg2: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let x = arg1.flatten_all()?.to_vec1::<f64>()?;
        let q = res.flatten_all()?.to_vec1::<f64>()?;
        let g = grad_res.flatten_all()?.to_vec1::<f64>()?;
        let (min, max) = type_ends(&self.ty);
        let ln2 = std::f64::consts::LN_2;
        let mut dx = Vec::with_capacity(x.len());
        let mut di = 0.0;
        let c = Caster::new(&self.ty);
        for ((&x, &q), &g) in x.iter().zip(&q).zip(&g) {
            let (_, overflow) = c.cast(x);
            if overflow {
                dx.push(0.0);
                di += g * ln2 * if x > 0.0 { max } else { min };
            } else {
                dx.push(g);
                di += g * ln2 * (q - x);
            }
        }
        let dx = Tensor::from_vec(dx, arg1.shape(), arg1.device())?;
        let di = Tensor::full(di, arg2.shape(), arg2.device())?;
        Ok((Some(dx), Some(di)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const QS: [Rounding; 7] = [
        Rounding::Trn,
        Rounding::TrnZero,
        Rounding::Rnd,
        Rounding::RndZero,
        Rounding::RndMinInf,
        Rounding::RndInf,
        Rounding::RndConv,
    ];
    const OS: [Overflow; 5] = [
        Overflow::Wrap,
        Overflow::Sat,
        Overflow::SatZero,
        Overflow::SatSym,
        Overflow::WrapSm,
    ];

    #[test]
    fn cast_is_the_runtime_cast_in_every_mode() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let mut checked = 0;
        for &q in &QS {
            for &o in &OS {
                for signed in [true, false] {
                    for _ in 0..400 {
                        let w = rng.random_range(1..=20u32);
                        let i = rng.random_range(-4..=8i32);
                        let n = if rng.random_bool(0.2) {
                            rng.random_range(0..=w)
                        } else {
                            0
                        };
                        let Ok(ty) = FixedType::new(signed, w, i, q, o, n) else {
                            continue;
                        };
                        let step = pow2(-ty.frac_bits());
                        // On the grid, at half steps (ties), and anywhere, inside and outside the range.
                        let k = rng.random_range(-3000..3000i64) as f64;
                        let x = match rng.random_range(0..3) {
                            0 => k * step,
                            1 => (k + 0.5) * step,
                            _ => rng.random_range(-300.0..300.0),
                        };
                        let want = Fixed::from_f64(x, ty).unwrap().to_f64();
                        assert_eq!(cast(x, &ty).0, want, "{x} into {ty}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 20_000);
    }
}
