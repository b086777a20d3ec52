//! ONNX Cast: folded on values known at load time; on graph tensors only a cast to float32 (a no-op here).
use super::{unary, R};
use crate::ir::ops::Identity;
use crate::ir::TensorData;
use crate::onnx::context::{NodeCtx, Sym, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let to = c.attr_i("to", 0)?;
    let to_float = matches!(to, 1 | 10 | 11 | 16);
    let to_int = matches!(to, 2..=7 | 9 | 12 | 13);
    if !to_float && !to_int {
        return Err(c.attr_err("to", format!("cast to type {to} is not supported")));
    }
    match c.value(0)?.clone() {
        Value::Node(_) if to == 1 => unary(c, Identity),
        Value::Node(_) => Err(c.unsupported(format!("cast of a float tensor to type {to}"))),
        Value::Const(TensorData::F32(a)) if to_int => {
            c.define(Value::Const(TensorData::I64(a.mapv(|v| v as i64))));
            Ok(())
        }
        Value::Const(TensorData::I64(a)) if to_float => {
            c.define(Value::Const(TensorData::F32(a.mapv(|v| v as f32))));
            Ok(())
        }
        Value::Sym(s) if to_float && s.v.contains(&Sym::Batch) => {
            Err(c.unsupported("cast of the symbolic batch size to float"))
        }
        _ => c.alias(0),
    }
}
