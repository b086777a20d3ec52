//! ONNX Div (broadcasting). Integer shape arithmetic is folded at load time.
use super::{binary, R};
use crate::ir::ops::Div;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    binary(c, Div, |a, b| a.checked_div(b))
}
