//! ONNX Identity: known values pass through; graph tensors get an Identity node (remove-identity drops it).
use super::{unary, R};
use crate::ir::ops::Identity;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    if c.is_known(0) {
        return c.alias(0);
    }
    unary(c, Identity)
}
