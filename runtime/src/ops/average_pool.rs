//! Average pooling, 1-D or 2-D, one sample: `x [C][H][W]` → `y [C][out_h][out_w]`. Twin of
//! `hls-templates/kernels/average_pool.h`; a 1-D pool is a 2-D one of height 1.
//!
//! Contract shared with the header:
//! - loops: `c`, `oy`, `ox`, then the taps `ky`, `kx` (padding adds nothing; the header counts
//!   the divisor `n` in the same loops);
//! - the window sum in `accum`, exact (the config proves it holds `kh·kw` inputs);
//! - the divide, see [`Divide`]: when every window has the same divisor `n = 2^k`, a shift,
//!   i.e. the sum's bits reread with `k` more fractional bits (`shift_t`), exact; otherwise a
//!   multiply by `recip[n]`, the reciprocal `1/n` rounded into `recip_t` once, up front (its Q and
//!   O, from the exact rational). **The reciprocal is a second rounding point**: `sum · recip[n]`
//!   is exact but `recip[n] ≠ 1/n` in general, so the result may differ from `round(sum / n)` by
//!   an output step;
//! - the output cast: `shift_t → output`, or `(accum · recip_t) → output` (the exact product).
//!
//! The divisor `n` counts the inputs a window reads, or with `count_include_pad` the positions it
//! covers inside the input and its explicit padding (not the extra area of `ceil_mode`), as ONNX.
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][H][W][L]`), with the
//! taps outside the output columns: loops `c`, `oy`, taps `ky`, `kx`, then the output columns
//! `ox` that tap reaches and their `L` lanes (one contiguous run when `stride_w = 1`), each adding
//! to its accumulator; then the divide and the cast of the output row. Each sum has the same
//! terms as in the header and is exact, so every sample gets the header's bits.

use super::common::{
    cast_store, check_len, check_storage, lanes_len, requant, AccKind, Accum, OpError, Raw, Span,
    Word,
};
use super::window::{fold_tap, TapRanges, Window2};
use crate::fixed::{product_type, Requant};
use crate::{Fixed, FixedType, Overflow, Rounding};

const OP: &str = "average_pool";

/// The types of an average: `accum_t acc = 0; acc += x; y = acc * recip` (or the shift).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvgTypes {
    pub input: FixedType,
    pub accum: FixedType,
    /// The reciprocals' type; unused when the divide is a shift.
    pub recip: FixedType,
    pub output: FixedType,
}

impl AvgTypes {
    /// A sensible reciprocal type for divisors `>= min_count`: `ap_ufixed<width, 1 - ceil(log2
    /// min_count), AP_RND_CONV, AP_SAT>` (the largest reciprocal `1/min_count` just fits).
    pub fn recip_type(min_count: usize, width: u32) -> Result<FixedType, crate::FixedError> {
        let lg = usize::BITS - min_count.max(1).saturating_sub(1).leading_zeros();
        let lg = if min_count <= 1 { 0 } else { lg as i32 };
        FixedType::new(false, width, 1 - lg, Rounding::RndConv, Overflow::Sat, 0)
    }

    /// The exact accumulator of a sum of `n` inputs: `ap_fixed<W_x + ceil(log2 n) + 1, ...>`.
    pub fn sum_type(input: FixedType, n: usize) -> Option<FixedType> {
        // The pooling kernels compute in at most 64 bits.
        Span::of(input)
            .repeated(n as u64)?
            .smallest_type()
            .filter(|t| t.width() <= 64)
    }
}

/// How the sum becomes an average.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Divide {
    /// Every divisor is `2^bits`: reread the sum as `shifted` (the accumulator's bits with `bits`
    /// more fractional bits), then cast.
    Shift { bits: u32, shifted: FixedType },
    /// Multiply by `recip[n]` (raw values of the reciprocal type, index = divisor, `recip[0]`
    /// unused), then cast the exact `product` type.
    Reciprocal { recip: Vec<i64>, product: FixedType },
}

impl Divide {
    /// What the sum of a window of `n` inputs is multiplied by before the output cast: 1 for a
    /// shift (it only rereads the bits), else `recip[n]` (the exact product).
    #[inline]
    pub fn factor(&self, n: usize) -> i64 {
        match self {
            Divide::Shift { .. } => 1,
            Divide::Reciprocal { recip, .. } => recip[n],
        }
    }

    /// The divide for divisors that are all `count` (`uniform`), or anything in `1..=max`.
    pub(crate) fn new(
        op: &'static str,
        types: &AvgTypes,
        uniform: Option<usize>,
        max: usize,
    ) -> Result<(Divide, Requant), OpError> {
        if let Some(n) = uniform.filter(|n| n.is_power_of_two()) {
            let bits = n.trailing_zeros();
            let a = types.accum;
            let shifted = FixedType::new(
                a.is_signed(),
                a.width(),
                a.int_bits() - bits as i32,
                a.rounding(),
                a.overflow(),
                a.sat_bits(),
            )
            .map_err(OpError::fixed(op))?;
            let rq = requant(op, shifted, types.output)?;
            return Ok((Divide::Shift { bits, shifted }, rq));
        }
        let recip = (0..=max)
            .map(|n| {
                if n == 0 {
                    Ok(0)
                } else {
                    reciprocal(op, n, types.recip)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let product = product_type(types.accum, types.recip).map_err(OpError::fixed(op))?;
        let rq = requant(op, product, types.output)?;
        Ok((Divide::Reciprocal { recip, product }, rq))
    }
}

/// `1/n` rounded into `ty` with its Q and O modes, from the exact rational: the quotient with
/// two guard bits and a sticky bit carries every bit the rounding looks at.
pub fn reciprocal(op: &'static str, n: usize, ty: FixedType) -> Result<i64, OpError> {
    let f = ty.frac_bits();
    if !(0..=60).contains(&f) {
        return Err(OpError::config(
            op,
            format!("reciprocal type {ty} needs 0..=60 fractional bits"),
        ));
    }
    let num = 1u128 << (f + 2);
    let n = n as u128;
    let raw = (num / n) << 1 | u128::from(!num.is_multiple_of(n));
    let width = 128 - raw.leading_zeros() + 1;
    let exact = FixedType::unsigned(width, width as i32 - (f + 3)).map_err(OpError::fixed(op))?;
    let fixed = Fixed::from_raw(raw as i128, exact).map_err(OpError::fixed(op))?;
    Ok(fixed.cast(ty).raw() as i64)
}

#[derive(Clone, Debug, PartialEq)]
pub struct AveragePoolConfig {
    pub channels: usize,
    pub window: Window2,
    pub count_include_pad: bool,
    pub types: AvgTypes,
    pub acc: AccKind,
    /// `F_acc - F_x`: the sum of raw inputs is shifted left by this into the accumulator.
    pub in_shift: u32,
    pub divide: Divide,
    /// `shifted → output` or `product → output`.
    pub requant: Requant,
    rows: TapRanges,
    /// [`Window2::col_spans`].
    spans: TapRanges,
    /// Divisor factor of each output row and column (the divisor is their product).
    count_rows: Vec<usize>,
    count_cols: Vec<usize>,
}

impl AveragePoolConfig {
    pub fn new(
        channels: usize,
        window: Window2,
        count_include_pad: bool,
        types: AvgTypes,
    ) -> Result<AveragePoolConfig, OpError> {
        if channels == 0 {
            return Err(OpError::config(OP, "no channels"));
        }
        if !window.every_window_reads_input() {
            return Err(OpError::config(
                OP,
                "some window lies entirely in the padding",
            ));
        }
        let need = Span::of(types.input)
            .repeated(window.size() as u64)
            .ok_or_else(|| OpError::config(OP, "window sum exceeds 128 bits"))?;
        if !need.fits(types.accum) {
            return Err(OpError::Accumulator {
                op: OP,
                accum: types.accum,
                need: need.to_string(),
            });
        }
        let acc = AccKind::for_type(types.accum).ok_or(OpError::Storage {
            op: OP,
            tensor: "accumulator",
            ty: types.accum,
            bits: 64,
        })?;
        let (rows, cols) = (window.row_taps(), window.col_taps());
        let (count_rows, count_cols): (Vec<usize>, Vec<usize>) = if count_include_pad {
            (
                (0..window.out_h).map(|oy| window.padded_rows(oy)).collect(),
                (0..window.out_w).map(|ox| window.padded_cols(ox)).collect(),
            )
        } else {
            (
                rows.iter().map(|(a, b)| b - a).collect(),
                cols.iter().map(|(a, b)| b - a).collect(),
            )
        };
        let uniform = |v: &[usize]| v.iter().all(|&n| n == v[0]).then_some(v[0]);
        let count = uniform(&count_rows)
            .zip(uniform(&count_cols))
            .map(|(a, b)| a * b);
        let (divide, requant) = Divide::new(OP, &types, count, window.size())?;
        Ok(AveragePoolConfig {
            channels,
            window,
            count_include_pad,
            types,
            acc,
            in_shift: (types.accum.frac_bits() - types.input.frac_bits()) as u32,
            divide,
            requant,
            rows,
            spans: window.col_spans(),
            count_rows,
            count_cols,
        })
    }

    pub fn input_len(&self) -> usize {
        self.channels * self.window.in_h * self.window.in_w
    }

    pub fn output_len(&self) -> usize {
        self.channels * self.window.out_h * self.window.out_w
    }

    /// The divisor of output position `(oy, ox)`.
    pub fn count(&self, oy: usize, ox: usize) -> usize {
        self.count_rows[oy] * self.count_cols[ox]
    }
}

/// Runs the pooling on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &AveragePoolConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the pooling on a tile of `lanes` samples in the lanes layout: `x [C][H][W][L]` →
/// `y [C][out_h][out_w][L]`.
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &AveragePoolConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let win = &cfg.window;
    let n_in = lanes_len(OP, &[cfg.channels, win.in_h, win.in_w], lanes)?;
    let n_out = lanes_len(OP, &[cfg.channels, win.out_h, win.out_w], lanes)?;
    check_len(OP, "input", x, n_in)?;
    check_len(OP, "output", y, n_out)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    if n_in == 0 || n_out == 0 {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    // The cast in `i32` words when it fits (then so does the accumulator).
    match (cfg.acc, cfg.requant.fits_i32(), lanes) {
        (AccKind::I32, true, 1) => kernel::<X, Y, i32, i32>(cfg, x, y, 1),
        (AccKind::I32, true, _) => kernel::<X, Y, i32, i32>(cfg, x, y, lanes),
        (AccKind::I32, false, _) => kernel::<X, Y, i32, i64>(cfg, x, y, lanes),
        (AccKind::I64, _, _) => kernel::<X, Y, i64, i64>(cfg, x, y, lanes),
    }
    Ok(())
}

/// The loops, for one accumulator integer, the cast in words `W` (slices checked by
/// [`run_lanes`]).
#[inline(always)]
fn kernel<X: Raw, Y: Raw, A: Accum, W: Word>(
    cfg: &AveragePoolConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) {
    let win = &cfg.window;
    let (row_in, row_out) = (win.in_w * lanes, win.out_w * lanes);
    // The sums of an output row.
    let mut acc = vec![A::default(); row_out];
    let mut v = vec![W::default(); row_out];
    for (x_c, y_c) in x
        .chunks_exact(win.in_h * row_in)
        .zip(y.chunks_exact_mut(win.out_h * row_out))
    {
        for ((oy, &(ky0, ky1)), y_row) in cfg
            .rows
            .iter()
            .enumerate()
            .zip(y_c.chunks_exact_mut(row_out))
        {
            acc.fill(A::default());
            for ky in ky0..ky1 {
                let row = &x_c[win.in_row(oy, ky) * row_in..][..row_in];
                for (kx, &(o0, o1)) in cfg.spans.iter().enumerate().filter(|(_, s)| s.0 < s.1) {
                    let acc = &mut acc[o0 * lanes..o1 * lanes];
                    fold_tap(acc, row, win.in_col(o0, kx), win.stride_w, lanes, |a, t| {
                        a.add(A::of(t))
                    });
                }
            }
            for (ox, (v, acc)) in v
                .chunks_exact_mut(lanes)
                .zip(acc.chunks_exact(lanes))
                .enumerate()
            {
                let factor = W::from_i64(cfg.divide.factor(cfg.count(oy, ox)));
                for (v, &a) in v.iter_mut().zip(acc) {
                    *v = W::from_i64(a.shl(cfg.in_shift).to_i64()).mul(factor);
                }
            }
            cast_store(&cfg.requant, &mut v, y_row);
        }
    }
}
