//! Hard swish as one Verilog module, bit-exact with `runtime/src/ops/hard_swish.rs`: per value,
//! `t = alpha · x + beta` as in hard sigmoid ([`super::hard_sigmoid::line`]), the exact product
//! `x · t` (a multiplier: both are data), then `t <= 0` → 0, `t >= 1` → the cast of `x`, else the
//! cast of `x · t`, then the register.

use std::fmt::Write as _;

use binpoint_runtime::ops::hard_swish::HardSwishConfig;

use super::arith::{extend, Shell};
use super::hard_sigmoid::line;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &HardSwishConfig) -> Result<Module, RtlError> {
    let (wx, wy, wp) = (cfg.input.width(), cfg.output.width(), cfg.product.width());
    let r = cfg.line.result;
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: hard swish, alpha raw {} of {}, beta raw {} of {}, {} values, x {} t {} y {}",
            ctx.layer,
            cfg.params.alpha,
            cfg.params.alpha_type,
            cfg.params.beta,
            cfg.params.beta_type,
            cfg.size,
            cfg.input,
            r,
            cfg.output
        ),
        &[(wx, cfg.size)],
        cfg.size as u32 * wy,
    );
    for i in 0..cfg.size {
        let x = s.input(i);
        let p = format!("h{i}");
        let (le0, ge1) = line(&mut s, &p, &x, cfg.input, &cfg.params, &cfg.line);
        let t = format!("{p}_t");
        let _ = writeln!(
            s.v,
            "  wire [{}:0] {p}_xe = {};",
            wp - 1,
            extend(&x, wx, cfg.input.is_signed(), wp)
        );
        let _ = writeln!(
            s.v,
            "  wire [{}:0] {p}_te = {};",
            wp - 1,
            extend(&t, r.width(), r.is_signed(), wp)
        );
        s.parts.multipliers.push((wx, r.width()));
        let _ = writeln!(s.v, "  wire [{}:0] {p}_p = {p}_xe * {p}_te;", wp - 1);
        let qp = s
            .cast(&format!("a{i}"), &format!("{p}_p"), &cfg.requant_product)
            .map_err(|e| ctx.refuse(e))?;
        let qx = s
            .cast(&format!("c{i}"), &x, &cfg.requant)
            .map_err(|e| ctx.refuse(e))?;
        s.mux(wy);
        s.out(format!("({le0} ? {wy}'h0 : {ge1} ? {qx} : {qp})"));
    }
    Ok(s.finish())
}
