//! Const: a constant tensor (weights, biases, BatchNorm statistics, folded values).
use super::prelude::*;
use crate::ir::TensorData;

#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    pub data: TensorData,
}

impl Const {
    pub fn f32(a: ArrayD<f32>) -> Const {
        Const {
            data: TensorData::F32(a),
        }
    }
}

impl OpSpec for Const {
    fn name(&self) -> &'static str {
        "Const"
    }
    fn arity(&self) -> (usize, usize) {
        (0, 0)
    }
    fn infer(&self, _: &[&Shape]) -> Result<Shape, String> {
        Ok(Shape::fixed(self.data.shape()))
    }
    fn eval(&self, _: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        match &self.data {
            TensorData::F32(a) => Ok(a.clone()),
            TensorData::I64(_) => Err("an integer tensor reached the float data path".into()),
        }
    }
    fn attrs(&self) -> String {
        format!("{}[{}]", self.data.dtype(), super::join(self.data.shape()))
    }
}
