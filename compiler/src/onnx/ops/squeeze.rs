//! ONNX Squeeze: axes as attribute before opset 13, as optional input from 13; no axes = all size-1
//! fixed dimensions.
use super::{axes, axes_attr_or_input, unary, R};
use crate::ir::ops::Squeeze;
use crate::ir::Dim;
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let given = axes_attr_or_input(c, 13)?;
    if let Some(v) = c.value(0)?.syms() {
        if v.scalar || v.v.len() != 1 || !matches!(given.as_deref(), None | Some([0]) | Some([-1]))
        {
            return Err(c.unsupported("squeezing a shape value other than [x] -> x"));
        }
        c.define(Value::from_syms(true, v.v));
        return Ok(());
    }
    let x = c.shape(0)?;
    let axes = match given {
        Some(a) => axes(c, "axes", &a, x.rank())?,
        None => (0..x.rank())
            .filter(|&a| x.dims()[a] == Dim::Fixed(1))
            .collect(),
    };
    unary(c, Squeeze { axes })
}
