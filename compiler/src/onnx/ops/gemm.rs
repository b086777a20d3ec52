//! ONNX Gemm (alpha, beta, transA, transB; C optional). fuse-dense turns it into Dense.
use super::R;
use crate::ir::ops::Gemm;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let op = Gemm {
        alpha: c.attr_f("alpha", 1.0)?,
        beta: c.attr_f("beta", 1.0)?,
        trans_a: c.attr_bool("transA", false)?,
        trans_b: c.attr_bool("transB", false)?,
    };
    let mut ins = vec![c.data(0)?, c.data(1)?];
    if c.has(2) {
        ins.push(c.data(2)?);
    }
    c.emit(op, &ins)?;
    Ok(())
}
