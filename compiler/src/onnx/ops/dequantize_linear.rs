//! ONNX DequantizeLinear (opsets 11+): `y = (x - x_zero_point) · x_scale`, per tensor or per `axis`.
//! - On a constant of (u)int8/(u)int16 integers (quantized weights): the IR `Quant` of the dequantized
//!   values, which quant-weights turns back into the integers and a scale behind the layer;
//! - after a QuantizeLinear (already the IR `Quant`, whose output is the dequantized value): the identity.
//!
//! The zero point must be 0.
use super::quant::check_zero_point;
use super::quantize_linear::scale_input;
use super::R;
use crate::ir::ops::{Quant, QuantRounding};
use crate::ir::{Op, TensorData};
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    check_zero_point(c, 2)?;
    match c.value(0)?.clone() {
        Value::Node(n) => {
            if !matches!(c.l.graph.node(n).op, Op::Quant(_)) {
                return Err(c.unsupported(
                    "the input is neither an integer constant nor a QuantizeLinear's output",
                ));
            }
            c.alias(0)
        }
        Value::Const(TensorData::I64(q)) => {
            let name = c.node.input.first().cloned().unwrap_or_default();
            let (bits, signed) = *c.l.int_types.get(&name).ok_or_else(|| {
                c.unsupported("the integers must be an int8, uint8, int16 or uint16 initializer")
            })?;
            let scale = scale_input(c, 1, 0)?;
            let s = c.l.graph.const_f32(scale).cloned().unwrap_or_default();
            let q = q.mapv(|v| v as f32);
            let deq = crate::ir::zip_broadcast(&q, &s, |a, b| a * b)
                .map_err(|e| c.unsupported(format!("the scale does not broadcast: {e}")))?;
            let x_name = c.l.graph.fresh_name(&format!("{name}_dequantized"));
            let x = c.l.graph.add_const(x_name, TensorData::F32(deq))?;
            let op = Quant {
                bits,
                signed,
                narrow: false,
                rounding: QuantRounding::HalfEven,
            };
            c.emit(op, &[x, scale])?;
            Ok(())
        }
        _ => Err(
            c.unsupported("the input must be integers (a constant) or a QuantizeLinear's output")
        ),
    }
}
