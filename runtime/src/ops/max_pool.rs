//! Max pooling, 1-D or 2-D, one sample: `x [C][H][W]` → `y [C][out_h][out_w]`; padding is
//! ignored (never the maximum). Twin of `hls-templates/kernels/max_pool.h`; a 1-D pool is a 2-D
//! one of height 1 ([`Window2::new_1d`]).
//!
//! Contract shared with the header:
//! - loops: `c`, `oy`, `ox`, then the taps `ky`, `kx`;
//! - the running maximum has the input type and starts at its lowest value (every window reads
//!   at least one input, checked by the config); comparisons are exact;
//! - one rounding point: `y = m`, the cast `input → output` (none when the types agree).
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`x [C][H][W][L]`), with the
//! taps outside the output columns: loops `c`, `oy`, taps `ky`, `kx`, then the output columns
//! `ox` that tap reaches and their `L` lanes (one contiguous run when `stride_w = 1`), each
//! updating its running maximum; then the cast of the output row. Each maximum sees the same
//! inputs as in the header, and a maximum is exact in any order, so every sample gets the
//! header's bits.

use super::common::{cast_store, check_len, check_storage, lanes_len, OpError, Raw, Word};
use super::window::{fold_tap, TapRanges, Window2};
use crate::fixed::Requant;
use crate::FixedType;

const OP: &str = "max_pool";

#[derive(Clone, Debug, PartialEq)]
pub struct MaxPoolConfig {
    pub channels: usize,
    pub window: Window2,
    pub input: FixedType,
    pub output: FixedType,
    pub requant: Requant,
    rows: TapRanges,
    /// [`Window2::col_spans`].
    spans: TapRanges,
}

impl MaxPoolConfig {
    pub fn new(
        channels: usize,
        window: Window2,
        input: FixedType,
        output: FixedType,
    ) -> Result<MaxPoolConfig, OpError> {
        if channels == 0 {
            return Err(OpError::config(OP, "no channels"));
        }
        if !window.every_window_reads_input() {
            return Err(OpError::config(
                OP,
                "some window lies entirely in the padding, so it has no maximum",
            ));
        }
        let (rows, spans) = (window.row_taps(), window.col_spans());
        Ok(MaxPoolConfig {
            channels,
            window,
            input,
            output,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
            rows,
            spans,
        })
    }

    pub fn input_len(&self) -> usize {
        self.channels * self.window.in_h * self.window.in_w
    }

    pub fn output_len(&self) -> usize {
        self.channels * self.window.out_h * self.window.out_w
    }
}

/// Runs the pooling on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &MaxPoolConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the pooling on a tile of `lanes` samples in the lanes layout: `x [C][H][W][L]` →
/// `y [C][out_h][out_w][L]`.
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &MaxPoolConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let win = &cfg.window;
    let n_in = lanes_len(OP, &[cfg.channels, win.in_h, win.in_w], lanes)?;
    let n_out = lanes_len(OP, &[cfg.channels, win.out_h, win.out_w], lanes)?;
    check_len(OP, "input", x, n_in)?;
    check_len(OP, "output", y, n_out)?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    if n_in == 0 || n_out == 0 {
        return Ok(());
    }
    // One lane: the same loops, compiled with the lane count a constant.
    match (cfg.requant.fits_i32(), lanes) {
        (true, 1) => kernel::<i32, X, Y>(cfg, x, y, 1),
        (true, _) => kernel::<i32, X, Y>(cfg, x, y, lanes),
        (false, 1) => kernel::<i64, X, Y>(cfg, x, y, 1),
        (false, _) => kernel::<i64, X, Y>(cfg, x, y, lanes),
    }
    Ok(())
}

/// The loops, the cast in words `W` (slices checked by [`run_lanes`]).
#[inline(always)]
fn kernel<W: Word, X: Raw, Y: Raw>(cfg: &MaxPoolConfig, x: &[X], y: &mut [Y], lanes: usize) {
    let win = &cfg.window;
    let (row_in, row_out) = (win.in_w * lanes, win.out_w * lanes);
    // The running maxima of an output row, in the input's storage (it holds every input value).
    let lowest = X::from_i64_unchecked(cfg.input.min_raw() as i64);
    let mut m = vec![lowest; row_out];
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
            m.fill(lowest);
            for ky in ky0..ky1 {
                let row = &x_c[win.in_row(oy, ky) * row_in..][..row_in];
                for (kx, &(o0, o1)) in cfg.spans.iter().enumerate().filter(|(_, s)| s.0 < s.1) {
                    let m = &mut m[o0 * lanes..o1 * lanes];
                    fold_tap(m, row, win.in_col(o0, kx), win.stride_w, lanes, |m, t| {
                        if t > m {
                            t
                        } else {
                            m
                        }
                    });
                }
            }
            for (v, &m) in v.iter_mut().zip(&m) {
                *v = W::of(m);
            }
            cast_store(&cfg.requant, &mut v, y_row);
        }
    }
}
