//! The `cast` kernel (each value cast into the output type) as one Verilog module: the requant
//! cast of [`super::cast`] per value, then the register.

use binpoint_runtime::fixed::Requant;

use super::arith::Shell;
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, rq: &Requant, n: usize) -> Result<Module, RtlError> {
    let (wx, wy) = (rq.src().width(), rq.dst().width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: cast {} -> {}, {n} values",
            ctx.layer,
            rq.src(),
            rq.dst()
        ),
        &[(wx, n)],
        n as u32 * wy,
    );
    for i in 0..n {
        let x = s.input(i);
        let y = s
            .cast(&format!("c{i}"), &x, rq)
            .map_err(|e| ctx.refuse(e))?;
        s.out(y);
    }
    Ok(s.finish())
}
