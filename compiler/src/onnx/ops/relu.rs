//! ONNX Relu.
use super::{unary, R};
use crate::ir::ops::Relu;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, Relu)
}
