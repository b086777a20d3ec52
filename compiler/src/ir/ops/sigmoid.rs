//! Sigmoid: y = 1 / (1 + exp(-x)), computed in f64.
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sigmoid;

impl OpSpec for Sigmoid {
    fn name(&self) -> &'static str {
        "Sigmoid"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| (1.0 / (1.0 + (-(x as f64)).exp())) as f32))
    }
}
