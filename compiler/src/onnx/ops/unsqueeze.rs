//! ONNX Unsqueeze: axes as attribute before opset 13, as (required) input from 13.
use super::{axes, axes_attr_or_input, unary, R};
use crate::ir::ops::Unsqueeze;
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let given = axes_attr_or_input(c, 13)?.ok_or_else(|| c.attr_err("axes", "missing"))?;
    if let Some(v) = c.value(0)?.syms() {
        if !v.scalar || !matches!(given.as_slice(), [0] | [-1]) {
            return Err(c.unsupported("unsqueezing a shape value other than x -> [x]"));
        }
        c.define(Value::from_syms(false, v.v));
        return Ok(());
    }
    let rank = c.shape(0)?.rank() + given.len();
    let axes = axes(c, "axes", &given, rank)?;
    unary(c, Unsqueeze { axes })
}
