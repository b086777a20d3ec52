//! Softmax by tables (docs/precision.md, "Look-up tables"), one sample: for each of `outer × inner`
//! positions, over `len` elements; element `k` of position `(o, i)` is at `(o·len + k)·inner + i`.
//! Twin of `hls-templates/kernels/softmax.h`.
//!
//! Contract shared with the header, per position:
//! 1. `m = max_k x[k]`: starts at `x[0]`, exact comparisons (input type);
//! 2. for each `k`: `d = m - x[k]` in `diff_t`, the `exp` table's index type, which must hold every
//!    difference exactly (the header's `x - x` type: `W_x + 1`, `I_x + 1`); `e[k] = exp[index(d)]`
//!    (an `exp_t` entry); `sum += e[k]` in `sum_t`, which must hold `len` entries exactly;
//! 3. `r = inv[index(sum)]`: the `inv` table is indexed by the sum's raw bits (its index type is
//!    `sum_t`);
//! 4. for each `k`: `y[k] = e[k] * r`: the header's exact product (`product`, `W_e + W_r` bits, at
//!    most 63 unsigned or 64 signed), cast into the output type.
//!
//! Loops: `o`, `i`, then three passes over `k` (max; exp and sum; products). The index arithmetic
//! is [`LutTable`]'s. The only rounding point is the output cast (the tables' entries were rounded
//! once, by the compiler).

use super::common::{check_len, check_storage, requant, OpError, Raw, Span};
use super::lut::LutTable;
use crate::fixed::{product_type, Requant};
use crate::FixedType;

const OP: &str = "softmax";

/// The types of a softmax besides its tables'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SoftmaxTypes {
    pub input: FixedType,
    /// The exact sum of `len` exp entries; the `inv` table's index type.
    pub sum: FixedType,
    /// The exact product `e·r` (the header's `*` type of the two entry types).
    pub product: FixedType,
    pub output: FixedType,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxConfig {
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
    pub types: SoftmaxTypes,
    /// `exp(-d)`, indexed by `d = max(x) - x` (its index type is the difference type `diff_t`).
    pub exp: LutTable,
    /// `1/s`, indexed by the sum.
    pub inv: LutTable,
    /// `F_diff - F_x`: the raw input difference is shifted left by this.
    pub diff_shift: u32,
    /// `F_sum - F_exp`: each raw entry is shifted left by this before it is summed.
    pub sum_shift: u32,
    /// `product → output`.
    pub requant: Requant,
}

fn same_format(a: FixedType, b: FixedType) -> bool {
    (a.is_signed(), a.width(), a.int_bits()) == (b.is_signed(), b.width(), b.int_bits())
}

impl SoftmaxConfig {
    pub fn new(
        outer: usize,
        len: usize,
        inner: usize,
        types: SoftmaxTypes,
        exp: LutTable,
        inv: LutTable,
    ) -> Result<SoftmaxConfig, OpError> {
        let t = types;
        if len == 0 {
            return Err(OpError::config(OP, "softmax over 0 elements"));
        }
        let diff = exp.index;
        let x = Span::of(t.input);
        let differences = Span {
            lo: 0,
            hi: x.hi - x.lo,
            frac: x.frac,
        };
        if !differences.fits(diff) {
            return Err(OpError::Accumulator {
                op: OP,
                accum: diff,
                need: format!("max(x) - x in {differences}"),
            });
        }
        let sums = Span::of(exp.entry)
            .repeated(len as u64)
            .ok_or_else(|| OpError::config(OP, "the sum exceeds 128 bits"))?;
        if !sums.fits(t.sum) {
            return Err(OpError::Accumulator {
                op: OP,
                accum: t.sum,
                need: format!("{len} entries of {} in {sums}", exp.entry),
            });
        }
        if !same_format(inv.index, t.sum) {
            return Err(OpError::config(
                OP,
                format!(
                    "the inv table is indexed by {}, not by the sum type {}",
                    inv.index, t.sum
                ),
            ));
        }
        let exact = product_type(exp.entry, inv.entry).map_err(OpError::fixed(OP))?;
        if !same_format(exact, t.product) {
            return Err(OpError::config(
                OP,
                format!(
                    "the product type {} is not the exact {exact} of {} × {}",
                    t.product, exp.entry, inv.entry
                ),
            ));
        }
        Ok(SoftmaxConfig {
            outer,
            len,
            inner,
            types,
            diff_shift: (diff.frac_bits() - t.input.frac_bits()) as u32,
            sum_shift: (t.sum.frac_bits() - exp.entry.frac_bits()) as u32,
            requant: requant(OP, exact, t.output)?,
            exp,
            inv,
        })
    }

    pub fn size(&self) -> usize {
        self.outer * self.len * self.inner
    }
}

/// Runs the softmax on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &SoftmaxConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.size())?;
    check_len(OP, "output", y, cfg.size())?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    let (len, inner) = (cfg.len, cfg.inner);
    let mut e = vec![0i64; len];
    for o in 0..cfg.outer {
        for i in 0..inner {
            let at = |k: usize| (o * len + k) * inner + i;
            let m = (1..len).fold(x[at(0)].into(), |m: i64, k| m.max(x[at(k)].into()));
            let mut sum = 0i128;
            for (k, ek) in e.iter_mut().enumerate() {
                let xk: i64 = x[at(k)].into();
                let d = (i128::from(m) - i128::from(xk)) << cfg.diff_shift;
                *ek = cfg.exp.lookup(d);
                sum += i128::from(*ek) << cfg.sum_shift;
            }
            let r = cfg.inv.lookup(sum);
            for (k, &ek) in e.iter().enumerate() {
                y[at(k)] = Y::from_i64_unchecked(cfg.requant.apply(ek.wrapping_mul(r)));
            }
        }
    }
    Ok(())
}
