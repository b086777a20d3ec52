//! ONNX ConstantOfShape with a shape known at load time; the element count and the model's memory
//! budget are checked before allocating.
use super::R;
use crate::ir::budget::bytes_of;
use crate::ir::TensorData;
use crate::onnx::context::{NodeCtx, Value};
use crate::onnx::tensor::checked_numel;
use ndarray::{ArrayD, IxDyn};

pub fn convert(c: &mut NodeCtx) -> R {
    let dims = c.ints(0)?;
    let n = checked_numel(&dims).map_err(|e| c.shape_err(e))?;
    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let fill = match c.attr_t("value")? {
        Some(t) => c.decode_tensor(t)?,
        None => TensorData::F32(ArrayD::zeros(IxDyn(&[1]))),
    };
    if fill.len() != 1 {
        return Err(c.attr_err("value", "must hold exactly one element"));
    }
    let elem = match fill {
        TensorData::F32(_) => 4,
        TensorData::I64(_) => 8,
    };
    c.charge(bytes_of(n as u64, elem))?;
    let data = match fill {
        TensorData::F32(a) => TensorData::F32(ArrayD::from_elem(
            IxDyn(&dims),
            a.iter().copied().next().unwrap_or(0.0),
        )),
        TensorData::I64(a) => TensorData::I64(ArrayD::from_elem(
            IxDyn(&dims),
            a.iter().copied().next().unwrap_or(0),
        )),
    };
    c.define(Value::Const(data));
    Ok(())
}
