//! Global average pooling as one Verilog module, bit-exact with
//! `runtime/src/ops/global_average_pool.rs`: per channel, the exact sum of its `N` values, then
//! the divide by `N` and the cast as in average pooling ([`super::average_pool::average`]),
//! then the register.

use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;

use super::arith::Shell;
use super::average_pool::average;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &GlobalAveragePoolConfig) -> Result<Module, RtlError> {
    let t = &cfg.types;
    let (wx, wy) = (t.input.width(), t.output.width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: global average pool over {} channels of {}, x {} acc {} y {}",
            ctx.layer, cfg.channels, cfg.size, t.input, t.accum, t.output
        ),
        &[(wx, cfg.channels * cfg.size)],
        cfg.channels as u32 * wy,
    );
    for c in 0..cfg.channels {
        let items = (0..cfg.size).map(|i| s.input(c * cfg.size + i)).collect();
        let y = average(
            ctx,
            &mut s,
            &format!("o{c}"),
            items,
            cfg.size,
            t,
            cfg.in_shift,
            &cfg.divide,
            &cfg.requant,
        )?;
        s.out(y);
    }
    Ok(s.finish())
}
