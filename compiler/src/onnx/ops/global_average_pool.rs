//! ONNX GlobalAveragePool.
use super::{unary, R};
use crate::ir::ops::GlobalAveragePool;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    unary(c, GlobalAveragePool::default())
}
