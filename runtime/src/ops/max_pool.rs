//! Max pooling, 1-D or 2-D, one sample: `x [C][H][W]` → `y [C][out_h][out_w]`; padding is
//! ignored (never the maximum). Twin of `hls-templates/kernels/max_pool.h`; a 1-D pool is a 2-D
//! one of height 1 ([`Window2::new_1d`]).
//!
//! Contract shared with the header:
//! - loops: `c`, `oy`, `ox`, then the taps `ky`, `kx`;
//! - the running maximum has the input type and starts at its lowest value (every window reads
//!   at least one input, checked by the config); comparisons are exact;
//! - one rounding point: `y = m`, the cast `input → output` (none when the types agree).

use super::common::{check_len, check_storage, OpError, Raw};
use super::window::{TapRanges, Window2};
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
    cols: TapRanges,
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
        let (rows, cols) = (window.row_taps(), window.col_taps());
        Ok(MaxPoolConfig {
            channels,
            window,
            input,
            output,
            requant: Requant::new(input, output).map_err(OpError::fixed(OP))?,
            rows,
            cols,
        })
    }

    pub fn input_len(&self) -> usize {
        self.channels * self.window.in_h * self.window.in_w
    }

    pub fn output_len(&self) -> usize {
        self.channels * self.window.out_h * self.window.out_w
    }
}

/// Runs the pooling on raw values.
pub fn run<X: Raw, Y: Raw>(cfg: &MaxPoolConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.input_len())?;
    check_len(OP, "output", y, cfg.output_len())?;
    check_storage::<X>(OP, "input", cfg.input)?;
    check_storage::<Y>(OP, "output", cfg.output)?;
    let win = &cfg.window;
    let plane = win.in_h * win.in_w;
    let lowest = cfg.input.min_raw() as i64;
    let identity = cfg.requant.is_identity();
    for (x_c, y_c) in x
        .chunks_exact(plane)
        .zip(y.chunks_exact_mut(win.out_h * win.out_w))
    {
        for (oy, &(ky0, ky1)) in cfg.rows.iter().enumerate() {
            for (ox, &(kx0, kx1)) in cfg.cols.iter().enumerate() {
                let mut m = lowest;
                for ky in ky0..ky1 {
                    let row = &x_c[win.in_row(oy, ky) * win.in_w..][..win.in_w];
                    for kx in kx0..kx1 {
                        m = m.max(row[win.in_col(ox, kx)].into());
                    }
                }
                let v = if identity { m } else { cfg.requant.apply(m) };
                y_c[oy * win.out_w + ox] = Y::from_i64_unchecked(v);
            }
        }
    }
    Ok(())
}
