//! Identity: y = x. Removed by the remove-identity pass.
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity;

impl OpSpec for Identity {
    fn name(&self) -> &'static str {
        "Identity"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| x))
    }
}
