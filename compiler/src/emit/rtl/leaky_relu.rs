//! Leaky ReLU as one Verilog module, bit-exact with `runtime/src/ops/leaky_relu.rs`: per value,
//! the exact product `alpha · x` (CSD shift-add of the constant, in the product type's width),
//! both casts (`product → output`, `input → output`), chosen by the sign of `x`, then the
//! register.

use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;

use super::arith::Shell;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &LeakyReluConfig) -> Result<Module, RtlError> {
    let (wx, wy, wp) = (cfg.input.width(), cfg.output.width(), cfg.product.width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: leaky relu, alpha raw {} of {}, {} values, x {} y {}",
            ctx.layer, cfg.alpha, cfg.alpha_type, cfg.size, cfg.input, cfg.output
        ),
        &[(wx, cfg.size)],
        cfg.size as u32 * wy,
    );
    for i in 0..cfg.size {
        let x = s.input(i);
        let qx = s
            .cast(&format!("c{i}"), &x, &cfg.requant)
            .map_err(|e| ctx.refuse(e))?;
        if !cfg.input.is_signed() {
            // An unsigned input is never negative: no product.
            s.out(qx);
            continue;
        }
        let p = format!("p{i}");
        s.const_mul(&p, &x, wx, true, cfg.alpha, wp);
        let qp = s
            .cast(&format!("a{i}"), &p, &cfg.requant_product)
            .map_err(|e| ctx.refuse(e))?;
        s.mux(wy);
        s.out(format!("({x}[{}] ? {qp} : {qx})", wx - 1));
    }
    Ok(s.finish())
}
