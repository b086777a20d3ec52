//! What the shift-add (multiplier-free) kernels share: the CSD terms of a K-hot weight array.
//!
//! A weight `w` with canonical signed digits `Σ ±2^s` (`crate::fixed::csd_digits`) multiplies as
//! `x·w = Σ ±(x << s)`: the same exact integer, so a shift-add kernel accumulates the very value
//! its multiply twin does (same accumulator, same alignment shifts, same single rounding point)
//! and computes the same bits. The terms are derived here, once, from the raw weights of the
//! compiled model (the format carries `khot = K` and the weights; see docs/compiled-model.md):
//! deterministic, so the C++ emitter derives the same terms from the same weights.
//!
//! Arithmetic is on `i64` with wrapping adds: the exact sum fits the accumulator (proved by
//! [`super::MacPlan`] as for the multiply kernels), so intermediate wrap-around cancels out.
//!
//! Over a tile of samples in the lanes layout ([`crate::ops`]) each weight's terms are loaded once
//! and each term is one pass over the `L` lanes (`mac_lanes`); the exact accumulators of a group of
//! outputs are then cast together, in `i32` words when the cast fits
//! ([`crate::fixed::Requant::fits_i32`]: the accumulator then fits too).
//!
//! Kernels: [`super::dense_shift_add`], [`super::conv1d_shift_add`], [`super::conv2d_shift_add`].

use super::common::{check_len, check_storage, lanes_len, store, MacPlan, OpError, Raw, Word};
use super::window::Window2;
use crate::fixed::{csd_digits, CsdDigit, Requant};

/// The CSD terms of every weight of a layer, in the weights' own (row-major) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftAddWeights {
    /// Every weight has at most `k` terms.
    pub k: u32,
    /// `offsets[j]..offsets[j + 1]`: the terms of weight `j`.
    offsets: Vec<u32>,
    terms: Vec<CsdDigit>,
}

impl ShiftAddWeights {
    /// The terms of `weights` (raw values), each of which must have at most `k` CSD digits.
    pub fn new(op: &'static str, k: u32, weights: &[i64]) -> Result<ShiftAddWeights, OpError> {
        if k == 0 {
            return Err(OpError::config(
                op,
                "khot = 0: a K-hot layer needs K >= 1 (0 would zero every weight)",
            ));
        }
        let mut offsets = Vec::with_capacity(weights.len() + 1);
        let mut terms = Vec::new();
        offsets.push(0);
        for (j, &w) in weights.iter().enumerate() {
            let d = csd_digits(w);
            if d.len() > k as usize {
                return Err(OpError::config(
                    op,
                    format!(
                        "weight {j} (raw {w}) has {} non-zero CSD digits, more than khot = {k}",
                        d.len()
                    ),
                ));
            }
            terms.extend(d);
            let end = u32::try_from(terms.len())
                .map_err(|_| OpError::config(op, "more than 2^32 shift-add terms"))?;
            offsets.push(end);
        }
        Ok(ShiftAddWeights { k, offsets, terms })
    }

    /// Number of weights.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The terms of weight `j`, least significant first.
    #[inline(always)]
    pub fn terms(&self, j: usize) -> &[CsdDigit] {
        &self.terms[self.offsets[j] as usize..self.offsets[j + 1] as usize]
    }

    /// Total non-zero digits (shifted operands) over all weights.
    pub fn total_terms(&self) -> usize {
        self.terms.len()
    }

    /// Adders of the products: `Σ max(nnz - 1, 0)` over the weights.
    pub fn adders(&self) -> usize {
        (0..self.len())
            .map(|j| self.terms(j).len().saturating_sub(1))
            .sum()
    }

    /// The digit tables of the C++ twins: `k` slots per weight, least significant digit first,
    /// `(shifts, signs)` with sign +1, -1, or 0 for an empty slot (shift 0).
    pub fn table(&self) -> (Vec<i64>, Vec<i64>) {
        let k = self.k as usize;
        let mut shifts = vec![0i64; self.len() * k];
        let mut signs = vec![0i64; self.len() * k];
        for j in 0..self.len() {
            for (t, d) in self.terms(j).iter().enumerate() {
                shifts[j * k + t] = i64::from(d.shift);
                signs[j * k + t] = if d.negative { -1 } else { 1 };
            }
        }
        (shifts, signs)
    }

    /// The most digits of any weight.
    pub fn max_digits(&self) -> u32 {
        (0..self.len())
            .map(|j| self.terms(j).len() as u32)
            .max()
            .unwrap_or(0)
    }
}

/// The shift-add kernels sum exactly, without casts, in `i64`: a user accumulator (`ops::accum`)
/// and an accumulator wider than 64 bits are refused.
pub(crate) fn check_exact(
    op: &'static str,
    plan: &MacPlan,
    accum: crate::FixedType,
) -> Result<(), OpError> {
    if plan.user.is_some() {
        return Err(OpError::config(
            op,
            format!(
                "accumulator {accum} does not hold every partial sum exactly; a K-hot layer \
                 needs an exact accumulator (no accum key on K-hot layers)"
            ),
        ));
    }
    plan.narrow_requant(op)?;
    Ok(())
}

/// `x·w` for the weight whose terms are `terms`: `Σ ±(x << s)` (wrapping `i64`).
#[inline(always)]
pub fn product(x: i64, terms: &[CsdDigit]) -> i64 {
    let mut p = 0i64;
    for t in terms {
        let v = x.wrapping_shl(t.shift);
        p = if t.negative {
            p.wrapping_sub(v)
        } else {
            p.wrapping_add(v)
        };
    }
    p
}

/// `sum[s] += x[s]·w` over the lanes, `w` given by its terms: `Σ ±(x << shift)` (wrapping `i64`,
/// the same integers as [`product`]), one pass over the lanes per term.
#[inline(always)]
pub(crate) fn mac_lanes<X: Raw>(sum: &mut [i64], x: &[X], terms: &[CsdDigit]) {
    for t in terms {
        let k = t.shift;
        if t.negative {
            for (s, &x) in sum.iter_mut().zip(x) {
                *s = s.wrapping_sub(Into::<i64>::into(x).wrapping_shl(k));
            }
        } else {
            for (s, &x) in sum.iter_mut().zip(x) {
                *s = s.wrapping_add(Into::<i64>::into(x).wrapping_shl(k));
            }
        }
    }
}

/// The accumulator's last steps before the cast, as the multiply kernels do them: each sum
/// aligned by `prod_shift`, plus the bias aligned by `bias_shift`. The result is the exact
/// accumulator, a value of `accum`, so it fits the word the cast takes.
#[inline(always)]
pub(crate) fn accumulate<W: Word>(sums: &[i64], bias: i64, plan: &MacPlan, acc: &mut [W]) {
    let bias = bias.wrapping_shl(plan.bias_shift);
    for (a, &s) in acc.iter_mut().zip(sums) {
        *a = W::from_i64(s.wrapping_shl(plan.prod_shift).wrapping_add(bias));
    }
}

/// The geometry and plan of a shift-add convolution (1-D: a window of height 1).
pub(crate) struct ConvGeometry<'a> {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub window: &'a Window2,
    pub plan: &'a MacPlan,
    pub types: &'a super::common::MacTypes,
}

/// The loops of `conv2d_shift_add.h` / `conv1d_shift_add.h` over a tile of `lanes` samples in the
/// lanes layout (`x [C_in][H][W][L]`, `y [C_out][out_h][out_w][L]`): `oy`, `ox` (the pipelined
/// pixel loop), then `co`, then the taps `ci` (the group of `co`), `ky`, `kx`, then the digits,
/// each over the `L` lanes; a tap in the padding adds nothing. The accumulators of every `co` of
/// a pixel are cast together. Checks the lanes, the lengths and storage types of `x`, `b`, `y`
/// first, naming `op` in the error.
pub(crate) fn conv_kernel<X: Raw, B: Raw, Y: Raw>(
    op: &'static str,
    g: &ConvGeometry<'_>,
    terms: &ShiftAddWeights,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let win = g.window;
    let input = lanes_len(op, &[g.in_channels, win.in_h, win.in_w], lanes)?;
    let output = lanes_len(op, &[g.out_channels, win.out_h, win.out_w], lanes)?;
    check_len(op, "input", x, input)?;
    check_len(op, "bias", b, g.out_channels)?;
    check_len(op, "output", y, output)?;
    check_storage::<X>(op, "input", g.types.input)?;
    check_storage::<B>(op, "bias", g.types.bias)?;
    check_storage::<Y>(op, "output", g.types.output)?;
    if output == 0 {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    let rq = g.plan.narrow_requant(op)?;
    match (rq.fits_i32(), lanes) {
        (true, 1) => conv_loops::<i32, X, B, Y>(g, rq, terms, x, b, y, 1),
        (true, _) => conv_loops::<i32, X, B, Y>(g, rq, terms, x, b, y, lanes),
        (false, 1) => conv_loops::<i64, X, B, Y>(g, rq, terms, x, b, y, 1),
        (false, _) => conv_loops::<i64, X, B, Y>(g, rq, terms, x, b, y, lanes),
    }
    Ok(())
}

/// [`conv_kernel`]'s loops, the cast in words `W`.
#[inline(always)]
fn conv_loops<W: Word, X: Raw, B: Raw, Y: Raw>(
    g: &ConvGeometry<'_>,
    rq: &Requant,
    terms: &ShiftAddWeights,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) {
    let win = g.window;
    let cin_g = g.in_channels / g.groups;
    let cout_g = g.out_channels / g.groups;
    let (kh, kw) = (win.kernel_h, win.kernel_w);
    let fan_in = cin_g * kh * kw;
    let plane = win.in_h * win.in_w * lanes;
    let out_plane = win.out_h * win.out_w * lanes;
    let row_in = win.in_w * lanes;
    let mut sum = vec![0i64; lanes];
    // The accumulators of every output channel at one pixel.
    let mut acc = vec![W::default(); g.out_channels * lanes];
    for (oy, &(ky0, ky1)) in win.row_taps().iter().enumerate() {
        for (ox, &(kx0, kx1)) in win.col_taps().iter().enumerate() {
            for (co, (acc, bo)) in acc.chunks_exact_mut(lanes).zip(b).enumerate() {
                let ci0 = co / cout_g * cin_g;
                sum.fill(0);
                for ci in 0..cin_g {
                    let x_c = &x[(ci0 + ci) * plane..][..plane];
                    for ky in ky0..ky1 {
                        let row = &x_c[win.in_row(oy, ky) * row_in..][..row_in];
                        for kx in kx0..kx1 {
                            let j = co * fan_in + (ci * kh + ky) * kw + kx;
                            let tap = &row[win.in_col(ox, kx) * lanes..][..lanes];
                            mac_lanes(&mut sum, tap, terms.terms(j));
                        }
                    }
                }
                accumulate(&sum, (*bo).into(), g.plan, acc);
            }
            W::cast_all(rq, &mut acc);
            let at = (oy * win.out_w + ox) * lanes;
            for (co, acc) in acc.chunks_exact(lanes).enumerate() {
                store(acc, &mut y[co * out_plane + at..][..lanes]);
            }
        }
    }
}

/// The C++ integer type holding the raw bits of `ty`: `ap_int<W>`, or `ap_uint<W>` when unsigned
/// (the `in_raw_t`, `bias_raw_t` members of the shift-add configs).
pub fn cpp_raw_type(ty: crate::FixedType) -> String {
    if ty.is_signed() {
        format!("ap_int<{}>", ty.width())
    } else {
        format!("ap_uint<{}>", ty.width())
    }
}

/// The C++ digit table types: `shift_t` (shifts up to 63) and `sign_t` (-1, 0, +1).
pub const CPP_SHIFT_TYPE: &str = "ap_uint<7>";
pub const CPP_SIGN_TYPE: &str = "ap_int<2>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_is_the_multiply() {
        for w in -300i64..=300 {
            let t = ShiftAddWeights::new("t", 9, &[w]).unwrap();
            for x in [-70000i64, -129, -1, 0, 1, 3, 127, 65535, i32::MAX as i64] {
                assert_eq!(product(x, t.terms(0)), x * w, "{x}·{w}");
            }
        }
    }

    #[test]
    fn too_many_digits_and_k_zero_are_errors() {
        let e = ShiftAddWeights::new("dense_shift_add", 2, &[1, 3, 0b1010101]).unwrap_err();
        assert!(e.to_string().contains("weight 2 (raw 85) has 4"), "{e}");
        assert!(ShiftAddWeights::new("x", 0, &[0]).is_err());
        let t = ShiftAddWeights::new("x", 2, &[0, 1, 3, -6, 7]).unwrap();
        assert_eq!(
            (t.len(), t.total_terms(), t.adders(), t.max_digits()),
            (5, 7, 3, 2)
        );
    }
}
