//! The one list of supported ONNX ops: op type → converter. docs/supported-ops.md describes each.

use super::context::NodeCtx;
use super::ops;
use crate::error::CompileError;

pub type Convert = fn(&mut NodeCtx) -> Result<(), CompileError>;

/// The QONNX custom-op domains whose ops are listed here (`Quant`, `BipolarQuant`).
pub const QONNX_DOMAINS: &[&str] = &[
    "qonnx.custom_op.general",
    "finn.custom_op.general",
    "onnx.brevitas",
];

/// QONNX's channels-last wrappers of Conv, MaxPool and BatchNormalization (`ops::channels_last`).
pub const CHANNELS_LAST_DOMAIN: &str = "qonnx.custom_op.channels_last";

/// The converter of `op_type` in `domain`: the default domain's ops, and the QONNX quantizers in
/// the QONNX domains (Brevitas' older exports put `Quant` in the default domain too).
pub fn lookup_in(domain: &str, op_type: &str) -> Option<Convert> {
    if domain == CHANNELS_LAST_DOMAIN && ops::channels_last::WRAPPED.contains(&op_type) {
        return Some(ops::channels_last::convert);
    }
    let default = domain.is_empty() || domain == "ai.onnx";
    let qonnx = QONNX_DOMAINS.contains(&domain) && matches!(op_type, "Quant" | "BipolarQuant");
    if default || qonnx {
        lookup(op_type)
    } else {
        None
    }
}

pub fn lookup(op_type: &str) -> Option<Convert> {
    Some(match op_type {
        "Add" => ops::add::convert,
        "AveragePool" => ops::average_pool::convert,
        "BatchNormalization" => ops::batch_normalization::convert,
        "BipolarQuant" => ops::bipolar_quant::convert,
        "Cast" => ops::cast::convert,
        "Clip" => ops::clip::convert,
        "Concat" => ops::concat::convert,
        "Constant" => ops::constant::convert,
        "ConstantOfShape" => ops::constant_of_shape::convert,
        "Conv" => ops::conv::convert,
        "DequantizeLinear" => ops::dequantize_linear::convert,
        "Div" => ops::div::convert,
        "Dropout" => ops::dropout::convert,
        "Flatten" => ops::flatten::convert,
        "Gather" => ops::gather::convert,
        "Gemm" => ops::gemm::convert,
        "GlobalAveragePool" => ops::global_average_pool::convert,
        "GlobalMaxPool" => ops::global_max_pool::convert,
        "HardSigmoid" => ops::hard_sigmoid::convert,
        "HardSwish" => ops::hard_swish::convert,
        "Identity" => ops::identity::convert,
        "LeakyRelu" => ops::leaky_relu::convert,
        "MatMul" => ops::matmul::convert,
        "MaxPool" => ops::max_pool::convert,
        "Mul" => ops::mul::convert,
        "Pad" => ops::pad::convert,
        "Quant" => ops::quant::convert,
        "QuantizeLinear" => ops::quantize_linear::convert,
        "ReduceMean" => ops::reduce_mean::convert,
        "Relu" => ops::relu::convert,
        "Reshape" => ops::reshape::convert,
        "Resize" => ops::resize::convert,
        "Selu" => ops::selu::convert,
        "Shape" => ops::shape::convert,
        "Sigmoid" => ops::sigmoid::convert,
        "Softmax" => ops::softmax::convert,
        "Squeeze" => ops::squeeze::convert,
        "Sub" => ops::sub::convert,
        "Tanh" => ops::tanh::convert,
        "Transpose" => ops::transpose::convert,
        "Unsqueeze" => ops::unsqueeze::convert,
        "Upsample" => ops::resize::convert,
        _ => return None,
    })
}

/// Every supported op type, for docs and tests.
pub const SUPPORTED: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "BipolarQuant",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "DequantizeLinear",
    "Div",
    "Dropout",
    "Flatten",
    "Gather",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "LeakyRelu",
    "MatMul",
    "MaxPool",
    "Mul",
    "Pad",
    "Quant",
    "QuantizeLinear",
    "ReduceMean",
    "Relu",
    "Reshape",
    "Resize",
    "Selu",
    "Shape",
    "Sigmoid",
    "Softmax",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
    "Upsample",
];
