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
mod quant;
mod reduce_mean;
mod relu;
mod reshape;
mod selu;
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
pub use quant::{Quant, QuantRounding};
pub use reduce_mean::ReduceMean;
pub use relu::Relu;
pub use reshape::{Reshape, ReshapeDim};
pub use selu::Selu;
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

/// Dot product as onnxruntime's MLAS SGEMM computes one output: a sequential f32 fused
/// multiply-add chain from zero (bit-identical to it on the fixtures).
pub fn fma_dot(a: impl Iterator<Item = f32>, b: impl Iterator<Item = f32>) -> f32 {
    a.zip(b).fold(0f32, |acc, (x, w)| x.mul_add(w, acc))
}

/// Sum in the order of Eigen's SSE reduction (as onnxruntime's ReduceMean/ReduceSum compute it on an
/// aligned contiguous block): two 4-lane accumulators over 8-element strides, a trailing 4-lane packet,
/// the lanes combined as (l0 + l2) + (l1 + l3), then the scalar tail in order.
pub fn eigen_sum(v: &[f32]) -> f32 {
    const P: usize = 4;
    let n = v.len();
    let aligned = n / P * P;
    if aligned == 0 {
        return v.iter().sum();
    }
    let mut r0 = [v[0], v[1], v[2], v[3]];
    if aligned > P {
        let aligned2 = n / (2 * P) * (2 * P);
        let mut r1 = [v[4], v[5], v[6], v[7]];
        let mut i = 2 * P;
        while i < aligned2 {
            for l in 0..P {
                r0[l] += v[i + l];
                r1[l] += v[i + P + l];
            }
            i += 2 * P;
        }
        for l in 0..P {
            r0[l] += r1[l];
        }
        if aligned > aligned2 {
            for l in 0..P {
                r0[l] += v[aligned2 + l];
            }
        }
    }
    let mut res = (r0[0] + r0[2]) + (r0[1] + r0[3]);
    for x in &v[aligned..] {
        res += x;
    }
    res
}

pub(crate) fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
