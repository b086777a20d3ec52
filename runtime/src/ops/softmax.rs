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
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout, where element `k` of position
//! `(o, i)` of sample `s` is at `((o·len + k)·inner + i)·L + s`. For each `o` the positions
//! `(i, s)` are `inner · L` contiguous columns of every row `k`; the loops are `o`, then blocks of
//! columns, then the three passes over `k`, each with an inner loop over the columns. Positions
//! are independent and each sees the header's steps in the header's order (the sum is exact), so
//! every value has the header's bits.

use super::common::{cast_store, check_len, check_storage, lanes_len, requant, OpError, Raw, Span};
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

/// `e` entries kept per block of columns (`len` rows of them): 32 KiB of `i64`s.
const SCRATCH: usize = 4096;

/// Runs the softmax on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &SoftmaxConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the softmax on a tile of `lanes` samples in the lanes layout (`outer · len · inner ·
/// lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &SoftmaxConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.outer, cfg.len, cfg.inner], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    if n == 0 {
        return Ok(());
    }
    let len = cfg.len;
    // The columns of one `o` (positions `(i, s)`), and how many of them a block takes.
    let width = cfg.inner * lanes;
    let cols = (SCRATCH / len).clamp(8, 256).min(width);
    let mut m = vec![0i64; cols];
    let mut sum = vec![0i128; cols];
    let mut e = vec![0i64; len * cols];
    for (x_o, y_o) in x
        .chunks_exact(len * width)
        .zip(y.chunks_exact_mut(len * width))
    {
        for j0 in (0..width).step_by(cols) {
            let w = cols.min(width - j0);
            let (m, sum, e) = (&mut m[..w], &mut sum[..w], &mut e[..len * w]);
            let row = |k: usize| &x_o[k * width + j0..][..w];
            for (m, &x0) in m.iter_mut().zip(row(0)) {
                *m = x0.into();
            }
            for k in 1..len {
                for (m, &xk) in m.iter_mut().zip(row(k)) {
                    *m = (*m).max(xk.into());
                }
            }
            sum.fill(0);
            for (k, e_k) in e.chunks_exact_mut(w).enumerate() {
                for (((ek, s), &m), &xk) in
                    e_k.iter_mut().zip(sum.iter_mut()).zip(m.iter()).zip(row(k))
                {
                    let d = (i128::from(m) - i128::from(Into::<i64>::into(xk))) << cfg.diff_shift;
                    *ek = cfg.exp.lookup(d);
                    *s += i128::from(*ek) << cfg.sum_shift;
                }
            }
            // `m` now holds `r = inv[index(sum)]` of each column.
            for (r, &s) in m.iter_mut().zip(sum.iter()) {
                *r = cfg.inv.lookup(s);
            }
            for (k, e_k) in e.chunks_exact_mut(w).enumerate() {
                for (ek, &r) in e_k.iter_mut().zip(m.iter()) {
                    *ek = ek.wrapping_mul(r);
                }
                cast_store(&cfg.requant, e_k, &mut y_o[k * width + j0..][..w]);
            }
        }
    }
    Ok(())
}
