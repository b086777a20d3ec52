//! HardSwish: y = x * max(0, min(1, x / 6 + 1/2)) (ONNX: alpha = 1/6, beta = 0.5).
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HardSwish;

impl OpSpec for HardSwish {
    fn name(&self) -> &'static str {
        "HardSwish"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Ok(arg(i, 0)?.mapv(|x| {
            let h = (x as f64 * (1.0f32 / 6.0) as f64 + 0.5).clamp(0.0, 1.0);
            (x as f64 * h) as f32
        }))
    }
}
