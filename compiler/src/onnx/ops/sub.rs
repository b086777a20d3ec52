//! ONNX Sub (broadcasting). Integer shape arithmetic is folded at load time.
use super::{binary, R};
use crate::ir::ops::Sub;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    binary(c, Sub, |a, b| a.checked_sub(b))
}
