//! Concatenation as one Verilog module, bit-exact with the interpreter's `Concat`: per outer
//! index, each input's chunk in turn, every value cast into the output type (a wire when the
//! types agree), then the register.

use binpoint_runtime::model::ConcatPart;
use binpoint_runtime::FixedType;

use super::arith::Shell;
use super::{Ctx, Module, RtlError};

pub fn module(
    ctx: &Ctx,
    outer: usize,
    parts: &[ConcatPart],
    types: &[FixedType],
) -> Result<Module, RtlError> {
    if types.len() != parts.len() {
        return Err(ctx.refuse(format!("{} inputs for {} parts", types.len(), parts.len())));
    }
    let inputs: Vec<(u32, usize)> = parts
        .iter()
        .map(|p| (p.requant.src().width(), outer * p.chunk))
        .collect();
    let total: usize = parts.iter().map(|p| p.chunk).sum::<usize>() * outer;
    let wy = parts.first().map_or(1, |p| p.requant.dst().width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: concat of {} inputs, {outer} x ({}) values",
            ctx.layer,
            parts.len(),
            parts
                .iter()
                .map(|p| p.chunk.to_string())
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        &inputs,
        total as u32 * wy,
    );
    let mut j = 0;
    for o in 0..outer {
        let mut base = 0;
        for p in parts {
            for c in 0..p.chunk {
                let x = s.input(base + o * p.chunk + c);
                let y = s
                    .cast(&format!("c{j}"), &x, &p.requant)
                    .map_err(|e| ctx.refuse(e))?;
                s.out(y);
                j += 1;
            }
            base += outer * p.chunk;
        }
    }
    Ok(s.finish())
}
