//! ONNX LeakyRelu (alpha, default 0.01).
use super::{unary, R};
use crate::ir::ops::LeakyRelu;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let alpha = c.attr_f("alpha", 0.01)?;
    unary(c, LeakyRelu { alpha })
}
