//! The closed set of IR operations. Each op is a struct in `ops/<op>.rs` that implements [`OpSpec`]:
//! its contract (arity), shape inference, float evaluation and cost.

use super::ops::*;
use super::shape::Shape;
use ndarray::ArrayD;

/// What an op needs to know about the current run.
#[derive(Clone, Copy, Debug)]
pub struct EvalCtx {
    /// The concrete size of [`super::Dim::Batch`].
    pub batch: usize,
}

pub trait OpSpec {
    /// The op's name in dumps and reports (ONNX spelling where there is one).
    fn name(&self) -> &'static str;
    /// Minimum and maximum number of inputs.
    fn arity(&self) -> (usize, usize);
    /// Output shape from the input shapes; the error text is wrapped with node and op by the caller.
    fn infer(&self, inputs: &[&Shape]) -> Result<Shape, String>;
    /// Float reference: f32 in and out, accumulations in f64 (closest to onnxruntime).
    fn eval(&self, inputs: &[&ArrayD<f32>], ctx: &EvalCtx) -> Result<ArrayD<f32>, String>;
    /// Multiply-accumulates for one sample.
    fn macs(&self, _inputs: &[&Shape], _output: &Shape) -> u64 {
        0
    }
    /// Attributes as `key=value` text for the IR dump (stable order).
    fn attrs(&self) -> String {
        String::new()
    }
}

macro_rules! ops {
    ($($variant:ident),* $(,)?) => {
        /// Every IR operation. Adding one: a file in `ir/ops/`, a line here, see docs/supported-ops.md.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Op {
            $($variant($variant)),*
        }
        impl Op {
            pub fn spec(&self) -> &dyn OpSpec {
                match self {
                    $(Op::$variant(o) => o),*
                }
            }
        }
        $(impl From<$variant> for Op {
            fn from(o: $variant) -> Op { Op::$variant(o) }
        })*
    };
}

ops!(
    Input,
    Const,
    Conv,
    Dense,
    Gemm,
    MatMul,
    Add,
    Sub,
    Mul,
    Div,
    BatchNorm,
    Affine,
    Relu,
    Clip,
    LeakyRelu,
    Sigmoid,
    Tanh,
    Selu,
    HardSigmoid,
    HardSwish,
    Softmax,
    MaxPool,
    AveragePool,
    GlobalAveragePool,
    GlobalMaxPool,
    ReduceMean,
    Flatten,
    Reshape,
    Squeeze,
    Unsqueeze,
    Transpose,
    Concat,
    Pad,
    Identity,
    Dropout,
    Quant,
);

impl Op {
    pub fn name(&self) -> &'static str {
        self.spec().name()
    }
    pub fn is_source(&self) -> bool {
        matches!(self, Op::Input(_) | Op::Const(_))
    }
}
