//! HardSigmoid: y = max(0, min(1, alpha * x + beta)).
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct HardSigmoid {
    pub alpha: f32,
    pub beta: f32,
}

impl OpSpec for HardSigmoid {
    fn name(&self) -> &'static str {
        "HardSigmoid"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?
            .mapv(|x| (self.alpha as f64 * x as f64 + self.beta as f64).clamp(0.0, 1.0) as f32))
    }
    fn attrs(&self) -> String {
        format!("alpha={} beta={}", self.alpha, self.beta)
    }
}
