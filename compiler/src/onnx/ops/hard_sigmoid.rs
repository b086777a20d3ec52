//! ONNX HardSigmoid (alpha default 0.2, beta default 0.5).
use super::{unary, R};
use crate::ir::ops::HardSigmoid;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let (alpha, beta) = (c.attr_f("alpha", 0.2)?, c.attr_f("beta", 0.5)?);
    unary(c, HardSigmoid { alpha, beta })
}
