//! LeakyRelu: y = x if x >= 0 else alpha * x.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct LeakyRelu {
    pub alpha: f32,
}

impl OpSpec for LeakyRelu {
    fn name(&self) -> &'static str {
        "LeakyRelu"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| if x >= 0.0 { x } else { self.alpha * x }))
    }
    fn attrs(&self) -> String {
        format!("alpha={}", self.alpha)
    }
}
