//! Relu: y = max(x, 0).
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Relu;

impl OpSpec for Relu {
    fn name(&self) -> &'static str {
        "Relu"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| if x < 0.0 { 0.0 } else { x }))
    }
}
