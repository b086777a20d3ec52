//! ONNX AveragePool, 1-D and 2-D (kernel_shape, strides, pads, auto_pad, ceil_mode, count_include_pad,
//! dilations from opset 19).
use super::{kernel_attr, window, R};
use crate::ir::ops::AveragePool;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let xs = c.shape(0)?;
    let ceil = c.attr_bool("ceil_mode", false)?;
    let count_include_pad = c.attr_bool("count_include_pad", false)?;
    let window = window(c, &xs, kernel_attr(c)?, ceil)?;
    let x = c.data(0)?;
    c.emit(
        AveragePool {
            window,
            count_include_pad,
        },
        &[x],
    )?;
    Ok(())
}
