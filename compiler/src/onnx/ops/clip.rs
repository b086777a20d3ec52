//! ONNX Clip: bounds are attributes before opset 11 and optional constant inputs from 11 on.
use super::{unary, R};
use crate::ir::ops::Clip;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let (min, max) = if c.opset() < 11 {
        (
            c.attr_f("min", f32::NEG_INFINITY)?,
            c.attr_f("max", f32::INFINITY)?,
        )
    } else {
        (
            c.scalar_f32(1)?.unwrap_or(f32::NEG_INFINITY),
            c.scalar_f32(2)?.unwrap_or(f32::INFINITY),
        )
    };
    unary(c, Clip { min, max })
}
