//! ONNX Conv, 1-D and 2-D: strides, pads, auto_pad (SAME_UPPER, SAME_LOWER, VALID), dilations, group.
use super::{window, R};
use crate::ir::ops::Conv;
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let (xs, ws) = (c.shape(0)?, c.shape(1)?);
    if ws.rank() < 3 {
        return Err(c.shape_err(format!("weight {ws} must have rank 3 or 4")));
    }
    let from_weight: Vec<usize> = (2..ws.rank())
        .map(|a| ws.fixed_dim(a))
        .collect::<Result<_, _>>()
        .map_err(|e| c.shape_err(e))?;
    let kernel = match c.attr_ints("kernel_shape")? {
        Some(k) => c.usizes("kernel_shape", &k)?,
        None => from_weight,
    };
    let group = c.attr_i("group", 1)?;
    let group = c.to_usize("group", group)?;
    let window = window(c, &xs, kernel, false)?;
    let mut ins = vec![c.data(0)?, c.data(1)?];
    if c.has(2) {
        ins.push(c.data(2)?);
    }
    c.emit(Conv { window, group }, &ins)?;
    Ok(())
}
