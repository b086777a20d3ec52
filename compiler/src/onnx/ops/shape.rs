//! ONNX Shape (start/end from opset 15): evaluated at load time; the batch dimension stays symbolic.
use super::R;
use crate::ir::Dim;
use crate::onnx::context::{NodeCtx, Sym, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let x = c.shape(0)?;
    let r = x.rank() as i64;
    let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let start = clamp(c.attr_i("start", 0)?);
    let end = clamp(c.attr_i("end", r)?);
    let v = x.dims()[start..end.max(start)]
        .iter()
        .map(|d| match d {
            Dim::Batch => Sym::Batch,
            Dim::Fixed(n) => Sym::Int(*n as i64),
        })
        .collect();
    c.define(Value::from_syms(false, v));
    Ok(())
}
