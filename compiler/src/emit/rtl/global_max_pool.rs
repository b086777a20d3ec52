//! Global max pooling as one Verilog module, bit-exact with
//! `runtime/src/ops/global_max_pool.rs`: per channel, the maximum of its values as a balanced
//! tree of exact comparisons in the input type, then the cast into the output, then the register.

use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;

use super::arith::Shell;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &GlobalMaxPoolConfig) -> Result<Module, RtlError> {
    let (wx, wy) = (cfg.input.width(), cfg.output.width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: global max pool over {} channels of {}, x {} y {}",
            ctx.layer, cfg.channels, cfg.size, cfg.input, cfg.output
        ),
        &[(wx, cfg.channels * cfg.size)],
        cfg.channels as u32 * wy,
    );
    for c in 0..cfg.channels {
        let items = (0..cfg.size).map(|i| s.input(c * cfg.size + i)).collect();
        let m = s.max_tree(&format!("o{c}"), items, cfg.input);
        let y = s
            .cast(&format!("c{c}"), &m, &cfg.requant)
            .map_err(|e| ctx.refuse(e))?;
        s.out(y);
    }
    Ok(s.finish())
}
