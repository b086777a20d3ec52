//! Average pooling (1-D or 2-D) as one Verilog module, bit-exact with
//! `runtime/src/ops/average_pool.rs`: per output position, the exact sum of the taps inside the
//! input (each moved up by `in_shift` into the accumulator's width, a balanced adder tree), then
//! the runtime's [`Divide`]: a shift (the sum's bits reread with more fractional bits: the cast
//! from `shifted`), or the exact product by the rounded reciprocal `recip[n]` of the window's
//! divisor `n` (CSD shift-add of the constant), then the cast into the output, then the
//! register. [`average`] is shared with global average pooling.

use binpoint_runtime::fixed::Requant;
use binpoint_runtime::ops::average_pool::{AveragePoolConfig, AvgTypes, Divide};

use super::arith::{align, Shell};
use super::{Ctx, Module, RtlError};

/// The average of `items` (input wires) with divisor `n`: declares `{p}_*`, returns the output
/// wire.
#[allow(clippy::too_many_arguments)]
pub fn average(
    ctx: &Ctx,
    s: &mut Shell,
    p: &str,
    items: Vec<String>,
    n: usize,
    types: &AvgTypes,
    in_shift: u32,
    divide: &Divide,
    requant: &Requant,
) -> Result<String, RtlError> {
    let (wx, wa) = (types.input.width(), types.accum.width());
    let mut terms = vec![];
    for (k, x) in items.into_iter().enumerate() {
        let t = format!("{p}_e{k}");
        align(&mut s.v, &t, &x, wx, types.input.is_signed(), in_shift, wa);
        terms.push(t);
    }
    let acc = format!("{p}_s");
    s.sum(&acc, terms, 0, wa);
    let src = match divide {
        Divide::Shift { .. } => acc,
        Divide::Reciprocal { recip, product } => {
            let Some(&r) = recip.get(n) else {
                return Err(ctx.refuse(format!("no reciprocal for a window of {n}")));
            };
            let q = format!("{p}_q");
            s.const_mul(&q, &acc, wa, types.accum.is_signed(), r, product.width());
            q
        }
    };
    s.cast(&format!("{p}_c"), &src, requant)
        .map_err(|e| ctx.refuse(e))
}

pub fn module(ctx: &Ctx, cfg: &AveragePoolConfig) -> Result<Module, RtlError> {
    let win = &cfg.window;
    let t = &cfg.types;
    let (wx, wy) = (t.input.width(), t.output.width());
    let plane = win.in_h * win.in_w;
    let n_out = cfg.channels * win.out_h * win.out_w;
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: average pool {}x{}x{} -> {}x{}, kernel {}x{}, stride {}x{}, count_include_pad \
             {}, x {} acc {} y {}",
            ctx.layer,
            cfg.channels,
            win.in_h,
            win.in_w,
            win.out_h,
            win.out_w,
            win.kernel_h,
            win.kernel_w,
            win.stride_h,
            win.stride_w,
            cfg.count_include_pad,
            t.input,
            t.accum,
            t.output
        ),
        &[(wx, cfg.channels * plane)],
        n_out as u32 * wy,
    );
    for c in 0..cfg.channels {
        for oy in 0..win.out_h {
            for ox in 0..win.out_w {
                let j = (c * win.out_h + oy) * win.out_w + ox;
                let (rows, cols) = (win.rows(oy), win.cols(ox));
                let n = if cfg.count_include_pad {
                    win.padded_rows(oy) * win.padded_cols(ox)
                } else {
                    rows.len() * cols.len()
                };
                let mut items = vec![];
                for ky in rows {
                    for kx in cols.clone() {
                        let at = c * plane + win.in_row(oy, ky) * win.in_w + win.in_col(ox, kx);
                        items.push(s.input(at));
                    }
                }
                let y = average(
                    ctx,
                    &mut s,
                    &format!("o{j}"),
                    items,
                    n,
                    t,
                    cfg.in_shift,
                    &cfg.divide,
                    &cfg.requant,
                )?;
                s.out(y);
            }
        }
    }
    Ok(s.finish())
}
