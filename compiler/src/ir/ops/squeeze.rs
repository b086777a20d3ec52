//! Squeeze: remove the listed size-1 axes.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Squeeze {
    /// Sorted, distinct, non-negative.
    pub axes: Vec<usize>,
}

impl OpSpec for Squeeze {
    fn name(&self) -> &'static str {
        "Squeeze"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        for &a in &self.axes {
            if x.dim(a)? != Dim::Fixed(1) {
                return Err(format!("axis {a} of {x} is not 1"));
            }
        }
        Ok(Shape(
            x.0.iter()
                .enumerate()
                .filter(|(a, _)| !self.axes.contains(a))
                .map(|(_, d)| *d)
                .collect(),
        ))
    }
    fn attrs(&self) -> String {
        format!("axes=[{}]", super::join(&self.axes))
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let dims: Vec<usize> = x
            .shape()
            .iter()
            .enumerate()
            .filter(|(a, _)| !self.axes.contains(a))
            .map(|(_, d)| *d)
            .collect();
        ArrayD::from_shape_vec(IxDyn(&dims), contiguous(x).into_owned()).map_err(|e| e.to_string())
    }
}
