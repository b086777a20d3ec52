//! Selu: y = gamma * x for x > 0, gamma * alpha * (exp(x) - 1) otherwise; computed in f64. In fixed
//! point it is a table (`quant::lut`, `LutFunction::Selu`) like Sigmoid and Tanh.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Selu {
    pub alpha: f32,
    pub gamma: f32,
}

impl Selu {
    pub fn apply(alpha: f64, gamma: f64, x: f64) -> f64 {
        if x > 0.0 {
            gamma * x
        } else {
            gamma * alpha * x.exp_m1()
        }
    }
}

impl OpSpec for Selu {
    fn name(&self) -> &'static str {
        "Selu"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        same_shape(i)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (a, g) = (f64::from(self.alpha), f64::from(self.gamma));
        Ok(arg(i, 0)?.mapv(|x| Selu::apply(a, g, f64::from(x)) as f32))
    }
    fn attrs(&self) -> String {
        format!("alpha={} gamma={}", self.alpha, self.gamma)
    }
}
