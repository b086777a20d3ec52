//! Clip (ReLU6 included) as one Verilog module, bit-exact with `runtime/src/ops/clip.rs`: per
//! value, `x < lo` and `x > hi` compared exactly (both at the finer binary point), then `lo` cast
//! into the output, `hi` cast into the output, or the cast of `x` (the one rounding point), then
//! the register.

use binpoint_runtime::fixed::Fixed;
use binpoint_runtime::ops::clip::ClipConfig;

use super::arith::Shell;
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &ClipConfig) -> Result<Module, RtlError> {
    let (wx, wy) = (cfg.input.width(), cfg.output.width());
    let bound = |raw: i64| -> Result<String, RtlError> {
        let f =
            Fixed::from_raw(i128::from(raw), cfg.bound).map_err(|e| ctx.refuse(e.to_string()))?;
        Ok(bits_literal(wy, f.cast(cfg.output).raw()))
    };
    let (lo_out, hi_out) = (bound(cfg.lo)?, bound(cfg.hi)?);
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: clip to [{}, {}] of {}, {} values, x {} y {}",
            ctx.layer, cfg.lo, cfg.hi, cfg.bound, cfg.size, cfg.input, cfg.output
        ),
        &[(wx, cfg.size)],
        cfg.size as u32 * wy,
    );
    for i in 0..cfg.size {
        let x = s.input(i);
        let below = s.compare_const(
            &format!("l{i}"),
            &x,
            cfg.input,
            "<",
            cfg.lo.into(),
            cfg.bound,
        );
        let above = s.compare_const(
            &format!("h{i}"),
            &x,
            cfg.input,
            ">",
            cfg.hi.into(),
            cfg.bound,
        );
        let q = s
            .cast(&format!("c{i}"), &x, &cfg.requant)
            .map_err(|e| ctx.refuse(e))?;
        s.const_select(wy);
        s.out(format!("({below} ? {lo_out} : {above} ? {hi_out} : {q})"));
    }
    Ok(s.finish())
}
