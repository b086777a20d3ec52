//! ONNX Sigmoid.
use super::{unary, R};
use crate::ir::ops::Sigmoid;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, Sigmoid)
}
