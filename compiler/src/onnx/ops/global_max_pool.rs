//! ONNX GlobalMaxPool.
use super::{unary, R};
use crate::ir::ops::GlobalMaxPool;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, GlobalMaxPool)
}
