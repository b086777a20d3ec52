//! ONNX Mul (broadcasting). Integer shape arithmetic is folded at load time.
use super::{binary, R};
use crate::ir::ops::Mul;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    binary(c, Mul, |a, b| a.checked_mul(b))
}
