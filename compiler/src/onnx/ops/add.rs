//! ONNX Add (broadcasting). Integer shape arithmetic is folded at load time.
use super::{binary, R};
use crate::ir::ops::Add;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    binary(c, Add, |a, b| a.checked_add(b))
}
