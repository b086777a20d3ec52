//! QONNX `BipolarQuant`: inputs x, scale; `y = scale · (x / scale >= 0 ? 1 : -1)`. Becomes the IR
//! `Quant` with one signed bit (its bipolar case).
use super::quant::emit;
use super::R;
use crate::ir::ops::{Quant, QuantRounding};
use crate::onnx::context::NodeCtx;

pub fn convert(c: &mut NodeCtx) -> R {
    let op = Quant {
        bits: 1,
        signed: true,
        narrow: false,
        rounding: QuantRounding::HalfEven,
        zero_point: 0,
    };
    emit(c, op)
}
