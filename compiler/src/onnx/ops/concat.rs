//! ONNX Concat: of shape values at load time, or of float tensors in the graph.
use super::R;
use crate::ir::ops::Concat;
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    let n = c.n_inputs();
    if n == 0 {
        return Err(c.unsupported("Concat without inputs"));
    }
    let axis = c.attr_i("axis", i64::MIN)?;
    if axis == i64::MIN {
        return Err(c.attr_err("axis", "missing"));
    }
    let known: Option<Vec<_>> = (0..n)
        .map(|i| c.value(i).ok().and_then(|v| v.syms()))
        .collect();
    if let Some(parts) = known {
        if parts.iter().any(|p| p.scalar) || !(axis == 0 || axis == -1) {
            return Err(c.shape_err("Concat of shape values needs 1-D inputs and axis 0"));
        }
        c.define(Value::from_syms(
            false,
            parts.into_iter().flat_map(|p| p.v).collect(),
        ));
        return Ok(());
    }
    let rank = c.shape(0)?.rank();
    let axis = crate::ir::normalize_axis(axis, rank).map_err(|e| c.attr_err("axis", e))?;
    let ins = (0..n).map(|i| c.data(i)).collect::<Result<Vec<_>, _>>()?;
    c.emit(Concat { axis }, &ins)?;
    Ok(())
}
