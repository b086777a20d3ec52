//! ONNX MaxPool, 1-D and 2-D (kernel_shape, strides, pads, auto_pad, dilations, ceil_mode).
//! The Indices output is unsupported.
use super::{kernel_attr, window, R};
use crate::ir::ops::MaxPool;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    if c.attr_i("storage_order", 0)? != 0 {
        return Err(c.attr_err("storage_order", "only row-major (0) is supported"));
    }
    let xs = c.shape(0)?;
    let ceil = c.attr_bool("ceil_mode", false)?;
    let window = window(c, &xs, kernel_attr(c)?, ceil)?;
    let x = c.data(0)?;
    c.emit(MaxPool { window }, &[x])?;
    Ok(())
}
