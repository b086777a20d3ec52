//! Max pooling (1-D or 2-D) as one Verilog module, bit-exact with `runtime/src/ops/max_pool.rs`:
//! per output position, the maximum of the taps inside the input (padding is never the maximum)
//! as a balanced tree of exact comparisons in the input type, then the cast into the output,
//! then the register.

use binpoint_runtime::ops::max_pool::MaxPoolConfig;

use super::arith::Shell;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &MaxPoolConfig) -> Result<Module, RtlError> {
    let win = &cfg.window;
    let (wx, wy) = (cfg.input.width(), cfg.output.width());
    let plane = win.in_h * win.in_w;
    let n_out = cfg.channels * win.out_h * win.out_w;
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: max pool {}x{}x{} -> {}x{}, kernel {}x{}, stride {}x{}, x {} y {}",
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
            cfg.input,
            cfg.output
        ),
        &[(wx, cfg.channels * plane)],
        n_out as u32 * wy,
    );
    for c in 0..cfg.channels {
        for oy in 0..win.out_h {
            for ox in 0..win.out_w {
                let j = (c * win.out_h + oy) * win.out_w + ox;
                let mut items = vec![];
                for ky in win.rows(oy) {
                    for kx in win.cols(ox) {
                        let at = c * plane + win.in_row(oy, ky) * win.in_w + win.in_col(ox, kx);
                        items.push(s.input(at));
                    }
                }
                if items.is_empty() {
                    return Err(ctx.refuse(format!("output {j} reads no input")));
                }
                let m = s.max_tree(&format!("o{j}"), items, cfg.input);
                let y = s
                    .cast(&format!("c{j}"), &m, &cfg.requant)
                    .map_err(|e| ctx.refuse(e))?;
                s.out(y);
            }
        }
    }
    Ok(s.finish())
}
