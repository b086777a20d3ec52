//! ONNX Dropout in inference mode (ratio ignored); training_mode = true is unsupported.
use super::{unary, R};
use crate::ir::ops::Dropout;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    if c.has(2) && c.ints(2).map(|v| v.iter().any(|&t| t != 0)).unwrap_or(true) {
        return Err(c.unsupported("training_mode must be a constant false"));
    }
    if c.is_known(0) {
        return c.alias(0);
    }
    unary(c, Dropout)
}
