//! ONNX Selu (alpha, default 1.67326319...; gamma, default 1.05070102...), both positive.
use super::{unary, R};
use crate::ir::ops::Selu;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let alpha = c.attr_f("alpha", 1.673_263_2)?;
    let gamma = c.attr_f("gamma", 1.050_701)?;
    for (attr, v) in [("alpha", alpha), ("gamma", gamma)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(c.attr_err(attr, format!("{v}: must be positive and finite")));
        }
    }
    unary(c, Selu { alpha, gamma })
}
