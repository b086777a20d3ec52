//! One file per IR op: the struct (typed attributes), shape inference and float evaluation.

mod add;
mod affine;
mod average_pool;
mod batch_norm;
mod clip;
mod concat;
mod constant;
mod conv;
mod dense;
mod div;
mod dropout;
mod flatten;
mod gemm;
mod global_average_pool;
mod global_max_pool;
mod hard_sigmoid;
mod hard_swish;
mod identity;
mod input;
mod leaky_relu;
mod matmul;
pub(crate) mod max_pool;
mod mul;
mod pad;
mod reduce_mean;
mod relu;
mod reshape;
mod sigmoid;
mod softmax;
mod squeeze;
mod sub;
mod tanh;
mod transpose;
mod unsqueeze;
pub mod window;

pub use add::Add;
pub use affine::Affine;
pub use average_pool::AveragePool;
pub use batch_norm::BatchNorm;
pub use clip::Clip;
pub use concat::Concat;
pub use constant::Const;
pub use conv::Conv;
pub use dense::Dense;
pub use div::Div;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use gemm::Gemm;
pub use global_average_pool::GlobalAveragePool;
pub use global_max_pool::GlobalMaxPool;
pub use hard_sigmoid::HardSigmoid;
pub use hard_swish::HardSwish;
pub use identity::Identity;
pub use input::Input;
pub use leaky_relu::LeakyRelu;
pub use matmul::MatMul;
pub use max_pool::MaxPool;
pub use mul::Mul;
pub use pad::Pad;
pub use reduce_mean::ReduceMean;
pub use relu::Relu;
pub use reshape::{Reshape, ReshapeDim};
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use squeeze::Squeeze;
pub use sub::Sub;
pub use tanh::Tanh;
pub use transpose::Transpose;
pub use unsqueeze::Unsqueeze;
pub use window::Window;

pub(crate) mod prelude {
    pub use super::{arg, contiguous, same_shape};
    pub use crate::ir::broadcast::{broadcast_shapes, zip_broadcast};
    pub use crate::ir::op::{EvalCtx, OpSpec};
    pub use crate::ir::shape::{Dim, Shape};
    pub use ndarray::{ArrayD, IxDyn};
}

use ndarray::ArrayD;
use std::borrow::Cow;

/// The i-th input, or an error instead of an index panic.
pub fn arg<'a, T: ?Sized>(inputs: &[&'a T], i: usize) -> Result<&'a T, String> {
    inputs
        .get(i)
        .copied()
        .ok_or_else(|| format!("missing input {i}"))
}

pub fn same_shape(inputs: &[&crate::ir::Shape]) -> Result<crate::ir::Shape, String> {
    Ok(arg(inputs, 0)?.clone())
}

/// The array's elements in row-major order.
pub fn contiguous(a: &ArrayD<f32>) -> Cow<'_, [f32]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

pub(crate) fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
