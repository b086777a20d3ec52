//! ONNX Flatten (axis, default 1, negative allowed).
use super::{unary, R};
use crate::ir::ops::Flatten;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let x = c.shape(0)?;
    let a = c.attr_i("axis", 1)?;
    let r = x.rank() as i64;
    let axis = if a < 0 { a + r } else { a };
    if !(0..=r).contains(&axis) {
        return Err(c.attr_err("axis", format!("{a} out of range for rank {r}")));
    }
    unary(
        c,
        Flatten {
            axis: axis as usize,
        },
    )
}
