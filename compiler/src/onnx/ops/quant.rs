//! QONNX `Quant` (domains qonnx.custom_op.general, finn.custom_op.general, onnx.brevitas, and the
//! default domain as Brevitas' older exports write it): inputs x, scale, zeropt, bitwidth; attributes
//! signed, narrow, rounding_mode. Becomes the IR `Quant` (docs/precision.md, "Types from the model");
//! scale, zero point and bit width must be constants, the zero point 0.
use super::R;
use crate::ir::ops::{Quant, QuantRounding};
use crate::ir::TensorData;
use crate::onnx::context::{NodeCtx, Value};

/// Largest bit width accepted (the integers are carried in f32 by the float graph).
const MAX_BITS: f32 = 24.0;

pub fn convert(c: &mut NodeCtx) -> R {
    let bits = c
        .scalar_f32(3)?
        .ok_or_else(|| c.unsupported("input 3 (bitwidth) is required"))?;
    if bits.fract() != 0.0 || !(1.0..=MAX_BITS).contains(&bits) {
        return Err(c.unsupported(format!(
            "bit width {bits} is not an integer in 1..={MAX_BITS}"
        )));
    }
    check_zero_point(c, 2)?;
    let mode = c.attr_s("rounding_mode")?.unwrap_or_else(|| "ROUND".into());
    let rounding = QuantRounding::parse(&mode)
        .ok_or_else(|| c.attr_err("rounding_mode", format!("unknown rounding mode '{mode}'")))?;
    let op = Quant {
        bits: bits as u32,
        signed: c.attr_bool("signed", true)?,
        narrow: c.attr_bool("narrow", false)?,
        rounding,
        zero_point: 0,
    };
    emit(c, op)
}

/// Emits `op` on inputs 0 (x) and 1 (scale, a constant).
pub(crate) fn emit(c: &mut NodeCtx, op: Quant) -> R {
    if !c.is_known(1) {
        return Err(c.unsupported("the scale (input 1) must be a constant"));
    }
    let scale = c.data(1)?;
    let bad =
        c.l.graph
            .const_f32(scale)
            .is_none_or(|s| s.iter().any(|&v| !(v.is_finite() && v > 0.0)));
    if bad {
        return Err(c.unsupported("the scale must be finite and positive"));
    }
    let x = c.data(0)?;
    c.emit(op, &[x, scale])?;
    Ok(())
}

/// Refuses a zero point (input `i`) that is not a constant 0.
pub(crate) fn check_zero_point(c: &NodeCtx, i: usize) -> R {
    if !c.has(i) {
        return Ok(());
    }
    let zero = match c.value(i)? {
        Value::Const(TensorData::F32(a)) => a.iter().all(|&v| v == 0.0),
        Value::Const(TensorData::I64(a)) => a.iter().all(|&v| v == 0),
        _ => false,
    };
    if zero {
        Ok(())
    } else {
        Err(c.unsupported(
            "a zero point other than a constant 0 is not supported (it has no ap_fixed type: \
             the integers would be offset)",
        ))
    }
}
