//! Sub: element-wise difference a - b with numpy broadcasting (by a constant, or between tensors as in
//! residual connections).
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sub;

impl OpSpec for Sub {
    fn name(&self) -> &'static str {
        "Sub"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        broadcast_shapes(arg(i, 0)?, arg(i, 1)?)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        zip_broadcast(arg(i, 0)?, arg(i, 1)?, |a, b| a - b)
    }
}
