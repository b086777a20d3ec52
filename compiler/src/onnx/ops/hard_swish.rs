//! ONNX HardSwish.
use super::{unary, R};
use crate::ir::ops::HardSwish;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, HardSwish)
}
