//! Input: a graph input with its declared shape (the batch dimension may be symbolic).
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub shape: Shape,
}

impl OpSpec for Input {
    fn name(&self) -> &'static str {
        "Input"
    }
    fn arity(&self) -> (usize, usize) {
        (0, 0)
    }
    fn infer(&self, _: &[&Shape]) -> Result<Shape, String> {
        Ok(self.shape.clone())
    }
    fn eval(&self, _: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        Err("graph inputs are bound by the evaluator".into())
    }
}
