//! Clip: y = min(max(x, min), max); ReLU6 is Clip(0, 6). Absent bounds are infinite.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    pub min: f32,
    pub max: f32,
}

impl OpSpec for Clip {
    fn name(&self) -> &'static str {
        "Clip"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| x.max(self.min).min(self.max)))
    }
    fn attrs(&self) -> String {
        format!("min={} max={}", self.min, self.max)
    }
}
