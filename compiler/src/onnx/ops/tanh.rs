//! ONNX Tanh.
use super::{unary, R};
use crate::ir::ops::Tanh;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, Tanh)
}
