//! Tanh: y = tanh(x), computed in f64.
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tanh;

impl OpSpec for Tanh {
    fn name(&self) -> &'static str {
        "Tanh"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| (x as f64).tanh() as f32))
    }
}
