//! ONNX Gather, only on shape values known at load time (axis 0 of a 1-D integer tensor).
use super::R;
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let data = c.value(0)?.syms().ok_or_else(|| {
        c.unsupported("Gather is supported only on constant shape tensors (e.g. Shape -> Gather), not on data")
    })?;
    let axis = c.attr_i("axis", 0)?;
    if data.scalar || !(axis == 0 || axis == -1) {
        return Err(c.unsupported("Gather on shape values needs a 1-D input and axis 0"));
    }
    let idx_rank = c.shape(1)?.rank();
    if idx_rank > 1 {
        return Err(c.unsupported("Gather indices of rank > 1"));
    }
    let len = data.v.len() as i64;
    let mut out = Vec::new();
    for i in c.ints(1)? {
        let j = if i < 0 { i + len } else { i };
        if !(0..len).contains(&j) {
            return Err(c.shape_err(format!("index {i} out of range for length {len}")));
        }
        out.push(data.v[j as usize]);
    }
    c.define(Value::from_syms(idx_rank == 0, out));
    Ok(())
}
