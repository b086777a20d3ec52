//! Unsqueeze: insert size-1 axes at the listed positions of the output.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Unsqueeze {
    /// Positions in the output, sorted, distinct, non-negative.
    pub axes: Vec<usize>,
}

impl Unsqueeze {
    fn out_dims<T: Copy>(&self, input: &[T], one: T) -> Result<Vec<T>, String> {
        let rank = input.len() + self.axes.len();
        let mut src = input.iter();
        let mut out = Vec::with_capacity(rank);
        for a in 0..rank {
            if self.axes.contains(&a) {
                out.push(one);
            } else {
                out.push(*src.next().ok_or("axes out of range")?);
            }
        }
        if self.axes.iter().any(|&a| a >= rank) {
            return Err(format!(
                "axes {:?} out of range for output rank {rank}",
                self.axes
            ));
        }
        Ok(out)
    }
}

impl OpSpec for Unsqueeze {
    fn name(&self) -> &'static str {
        "Unsqueeze"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        Ok(Shape(self.out_dims(&arg(i, 0)?.0, Dim::Fixed(1))?))
    }
    fn attrs(&self) -> String {
        format!("axes=[{}]", super::join(&self.axes))
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let dims = self.out_dims(x.shape(), 1)?;
        ArrayD::from_shape_vec(IxDyn(&dims), contiguous(x).into_owned()).map_err(|e| e.to_string())
    }
}
