//! Per-channel affine (BatchNorm kept as a layer) as one Verilog module, bit-exact with
//! `runtime/src/ops/affine.rs`: per value, `x · scale[c]` as CSD shift-add of the constant,
//! moved up by `prod_shift`, plus `shift[c]` moved up by `shift_shift`, in the exact result
//! type's width; then the cast into the output, then the register.

use std::fmt::Write as _;

use binpoint_runtime::ops::affine::AffineConfig;

use super::arith::Shell;
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

pub fn module(
    ctx: &Ctx,
    cfg: &AffineConfig,
    scale: &[i64],
    shift: &[i64],
) -> Result<Module, RtlError> {
    let t = &cfg.types;
    let (wx, wy, wr) = (t.input.width(), t.output.width(), cfg.result.width());
    if scale.len() != cfg.channels || shift.len() != cfg.channels {
        return Err(ctx.refuse(format!(
            "{} scales and {} shifts for {} channels",
            scale.len(),
            shift.len(),
            cfg.channels
        )));
    }
    let n = cfg.channels * cfg.size;
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: affine over {} channels of {}, x {} scale {} shift {} r {} y {}",
            ctx.layer, cfg.channels, cfg.size, t.input, t.scale, t.shift, cfg.result, t.output
        ),
        &[(wx, n)],
        n as u32 * wy,
    );
    let ps = cfg.prod_shift;
    for c in 0..cfg.channels {
        let add = i128::from(shift[c]) << cfg.shift_shift;
        for i in 0..cfg.size {
            let j = c * cfg.size + i;
            let x = s.input(j);
            let p = format!("p{j}");
            s.const_mul(&p, &x, wx, t.input.is_signed(), scale[c], wr - ps);
            let moved = if ps == 0 {
                p
            } else {
                format!("{{{p}, {ps}'b0}}")
            };
            s.adder(wr);
            let _ = writeln!(
                s.v,
                "  wire [{}:0] r{j} = {moved} + {};",
                wr - 1,
                bits_literal(wr, add)
            );
            let y = s
                .cast(&format!("c{j}"), &format!("r{j}"), &cfg.requant)
                .map_err(|e| ctx.refuse(e))?;
            s.out(y);
        }
    }
    Ok(s.finish())
}
