//! ONNX MatMul.
use super::R;
use crate::ir::ops::MatMul;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let (a, b) = (c.data(0)?, c.data(1)?);
    c.emit(MatMul, &[a, b])?;
    Ok(())
}
