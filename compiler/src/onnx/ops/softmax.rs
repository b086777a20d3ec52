//! ONNX Softmax. Before opset 13 `axis` (default 1) coerces the input to 2-D; from 13 on it is the
//! single normalized axis (default -1).
use super::{unary, R};
use crate::ir::ops::Softmax;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let x = c.shape(0)?;
    let legacy = c.opset() < 13;
    let axis = c.attr_i("axis", if legacy { 1 } else { -1 })?;
    let axis = x.axis(axis).map_err(|e| c.attr_err("axis", e))?;
    // Coercing at the last axis is the same as the single-axis form.
    let coerce_2d = legacy && axis + 1 != x.rank();
    unary(c, Softmax { axis, coerce_2d })
}
