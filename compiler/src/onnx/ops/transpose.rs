//! ONNX Transpose (perm, default reversed axes).
use super::{unary, R};
use crate::ir::ops::Transpose;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let r = c.shape(0)?.rank();
    let perm = match c.attr_ints("perm")? {
        Some(p) => c.usizes("perm", &p)?,
        None => (0..r).rev().collect(),
    };
    unary(c, Transpose { perm })
}
