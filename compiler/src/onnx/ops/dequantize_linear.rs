//! ONNX DequantizeLinear (opsets 11+): `y = (x - x_zero_point) · x_scale`, per tensor or per `axis`.
//! - On a constant of (u)int8/(u)int16 integers (quantized weights): the IR `Quant` of the dequantized
//!   values, which quant-weights turns back into the integers and a scale behind the layer;
//! - after a QuantizeLinear (already the IR `Quant`, whose output is the dequantized value): the identity.
//!
//! A zero point is subtracted: from the integers of a constant (one per `axis` entry allowed), and
//! after a QuantizeLinear it must be the one that QuantizeLinear added.
use super::quantize_linear::{scalar_zero_point, scale_input, zero_points};
use super::R;
use crate::ir::ops::{Quant, QuantRounding};
use crate::ir::{Op, TensorData};
use crate::onnx::context::{NodeCtx, Value};

pub fn convert(c: &mut NodeCtx) -> R {
    match c.value(0)?.clone() {
        Value::Node(n) => {
            let Op::Quant(q) = &c.l.graph.node(n).op else {
                return Err(c.unsupported(
                    "the input is neither an integer constant nor a QuantizeLinear's output",
                ));
            };
            let z = scalar_zero_point(c, 2)?;
            if z != q.zero_point {
                return Err(c.unsupported(format!(
                    "its zero point {z} differs from the QuantizeLinear's ({})",
                    q.zero_point
                )));
            }
            c.alias(0)
        }
        Value::Const(TensorData::I64(q)) => {
            let name = c.node.input.first().cloned().unwrap_or_default();
            let (bits, signed) = *c.l.int_types.get(&name).ok_or_else(|| {
                c.unsupported(
                    "the integers must be an int8, uint8, int16, uint16 or int32 initializer",
                )
            })?;
            let scale = scale_input(c, 1, 0)?;
            let s = c.l.graph.const_f32(scale).cloned().unwrap_or_default();
            // The integers minus their zero points (one, or one per `axis` entry, shaped as the
            // scale is): exact integers in a range one bit wider, signed.
            let z = zero_points(c, 2)?;
            let shifted = z.iter().any(|&v| v != 0);
            let z = ndarray::ArrayD::from_shape_vec(
                if z.len() == 1 {
                    vec![]
                } else {
                    s.shape().to_vec()
                },
                z.iter().map(|&v| v as f32).collect(),
            )
            .map_err(|e| c.unsupported(format!("the zero point does not match the scale: {e}")))?;
            let q = crate::ir::zip_broadcast(&q.mapv(|v| v as f32), &z, |a, b| a - b)
                .map_err(|e| c.unsupported(format!("the zero point does not broadcast: {e}")))?;
            // The float graph carries the integers in f32: exact, and `round(q·s / s) = q`, up to
            // 2^22 (int32 biases beyond that are refused).
            if q.iter().any(|v| v.abs() > (1 << 22) as f32) {
                return Err(c.unsupported(
                    "an integer beyond ±2^22 (after the zero point) does not survive f32",
                ));
            }
            let (bits, signed) = if shifted {
                (bits + 1, true)
            } else {
                (bits, signed)
            };
            let deq = crate::ir::zip_broadcast(&q, &s, |a, b| a * b)
                .map_err(|e| c.unsupported(format!("the scale does not broadcast: {e}")))?;
            let x_name = c.l.graph.fresh_name(&format!("{name}_dequantized"));
            let x = c.l.graph.add_const(x_name, TensorData::F32(deq))?;
            let op = Quant {
                bits,
                signed,
                narrow: false,
                rounding: QuantRounding::HalfEven,
                zero_point: 0,
            };
            c.emit(op, &[x, scale])?;
            Ok(())
        }
        _ => Err(
            c.unsupported("the input must be integers (a constant) or a QuantizeLinear's output")
        ),
    }
}
