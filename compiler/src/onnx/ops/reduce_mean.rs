//! ONNX ReduceMean: axes as attribute before opset 18, as optional input from 18;
//! keepdims; noop_with_empty_axes (18+).
use super::{axes, axes_attr_or_input, unary, R};
use crate::ir::ops::{Identity, ReduceMean};
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let x = c.shape(0)?;
    let keepdims = c.attr_bool("keepdims", true)?;
    let given = axes_attr_or_input(c, 18)?.unwrap_or_default();
    if given.is_empty() && c.attr_bool("noop_with_empty_axes", false)? {
        return unary(c, Identity);
    }
    let axes = if given.is_empty() {
        (0..x.rank()).collect()
    } else {
        axes(c, "axes", &given, x.rank())?
    };
    unary(c, ReduceMean { axes, keepdims })
}
