//! ONNX QuantizeLinear (opsets 11+): `y = saturate(round_half_even(x / y_scale) + y_zero_point)` in the zero
//! point's type (uint8 without one; `output_dtype` from opset 21). Per tensor or per `axis` (13+).
//! Becomes the IR `Quant` with the type's range, so that its DequantizeLinear is the identity; its output
//! must feed a DequantizeLinear (docs/precision.md, "Types from the model"). A nonzero zero point
//! (one for the whole tensor, e.g. uint8 activations around 128) shifts the range
//! (`Quant::zero_point`); fold-quantizers types it exactly.
use super::R;
use crate::ir::ops::{Quant, QuantRounding};
use crate::ir::TensorData;
use crate::onnx::context::{NodeCtx, Value};
use ndarray::IxDyn;

pub fn convert(c: &mut NodeCtx) -> R {
    let zero_point = scalar_zero_point(c, 2)?;
    let (bits, signed) = match c.node.input.get(2).filter(|s| !s.is_empty()) {
        Some(zp) => *c.l.int_types.get(zp).ok_or_else(|| {
            c.unsupported("the zero point must be an int8, uint8, int16 or uint16 initializer")
        })?,
        None => match c.attr_i("output_dtype", 0)? {
            0 | 2 => (8, false),
            3 => (8, true),
            4 => (16, false),
            5 => (16, true),
            t => {
                return Err(c.attr_err("output_dtype", format!("type {t} is not (u)int8/(u)int16")))
            }
        },
    };
    let scale = scale_input(c, 1, 0)?;
    let x = c.data(0)?;
    let op = Quant {
        bits,
        signed,
        narrow: false,
        rounding: QuantRounding::HalfEven,
        zero_point,
    };
    c.emit(op, &[x, scale])?;
    Ok(())
}

/// The scale (input `i`) as a Const broadcast against input `x_input`: a scalar, or a 1-D per-`axis` tensor
/// reshaped to `[C, 1, ...]` at `axis`.
pub(crate) fn scale_input(
    c: &mut NodeCtx,
    i: usize,
    x_input: usize,
) -> Result<petgraph::stable_graph::NodeIndex, CompileError> {
    let Value::Const(TensorData::F32(s)) = c.value(i)?.clone() else {
        return Err(c.unsupported("the scale must be a float constant"));
    };
    if s.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
        return Err(c.unsupported("the scale must be finite and positive"));
    }
    let rank = c.shape(x_input)?.rank();
    let s = if s.len() == 1 {
        s.into_shape_with_order(IxDyn(&[]))
            .map_err(|e| c.unsupported(e.to_string()))?
    } else {
        let axis = crate::ir::normalize_axis(c.attr_i("axis", 1)?, rank)
            .map_err(|e| c.attr_err("axis", e))?;
        let mut dims = vec![s.len()];
        dims.extend(std::iter::repeat_n(1, rank - 1 - axis));
        s.into_shape_with_order(IxDyn(&dims))
            .map_err(|e| c.unsupported(e.to_string()))?
    };
    let name = c.l.graph.fresh_name(&format!("{}_scale", c.name));
    c.l.graph.add_const(name, TensorData::F32(s))
}

use crate::error::CompileError;

/// The zero points (input `i`) as integers; none given is all 0.
pub(crate) fn zero_points(c: &NodeCtx, i: usize) -> Result<Vec<i64>, CompileError> {
    if !c.has(i) {
        return Ok(vec![0]);
    }
    match c.value(i)? {
        Value::Const(TensorData::I64(a)) => Ok(a.iter().copied().collect()),
        Value::Const(TensorData::F32(a)) if a.iter().all(|v| v.fract() == 0.0) => {
            Ok(a.iter().map(|&v| v as i64).collect())
        }
        _ => Err(c.unsupported(format!(
            "the zero point (input {i}) must be an integer constant"
        ))),
    }
}

/// One zero point for the whole tensor (activations): per-axis zero points must all be equal.
pub(crate) fn scalar_zero_point(c: &NodeCtx, i: usize) -> Result<i64, CompileError> {
    let z = zero_points(c, i)?;
    match z.first() {
        Some(&z0) if z.iter().all(|&v| v == z0) => Ok(z0),
        _ => Err(c.unsupported(
            "per-channel zero points on a computed tensor are not supported (one offset for the \
             whole tensor is: it shifts the quantizer's integer range)",
        )),
    }
}
