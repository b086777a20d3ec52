//! ONNX Constant: value (tensor), value_float(s), value_int(s); sparse and string values unsupported.
use super::{i64_array, R};
use crate::ir::TensorData;
use crate::onnx::context::{NodeCtx, Value};
use ndarray::{ArrayD, IxDyn};

pub fn convert(c: &mut NodeCtx) -> R {
    let data = if let Some(t) = c.attr_t("value")? {
        c.decode_tensor(t)?
    } else if let Some(v) = c.attr_floats("value_floats")? {
        TensorData::F32(
            ArrayD::from_shape_vec(IxDyn(&[v.len()]), v)
                .map_err(|e| c.attr_err("value_floats", e.to_string()))?,
        )
    } else if let Some(v) = c.attr_ints("value_ints")? {
        i64_array(&[v.len()], v).ok_or_else(|| c.attr_err("value_ints", "bad length"))?
    } else if c.node.attribute.iter().any(|a| a.name == "value_float") {
        TensorData::F32(ArrayD::from_elem(IxDyn(&[]), c.attr_f("value_float", 0.0)?))
    } else if c.node.attribute.iter().any(|a| a.name == "value_int") {
        TensorData::I64(ArrayD::from_elem(IxDyn(&[]), c.attr_i("value_int", 0)?))
    } else {
        return Err(
            c.unsupported("Constant needs a value, value_float(s) or value_int(s) attribute")
        );
    };
    c.define(Value::Const(data));
    Ok(())
}
