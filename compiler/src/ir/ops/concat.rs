//! Concat along a non-batch axis.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Concat {
    pub axis: usize,
}

impl OpSpec for Concat {
    fn name(&self) -> &'static str {
        "Concat"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let first = arg(i, 0)?;
        let mut total = 0usize;
        for s in i {
            if s.rank() != first.rank() {
                return Err(format!("ranks of {first} and {s} differ"));
            }
            for a in 0..s.rank() {
                if a != self.axis && s.0[a] != first.0[a] {
                    return Err(format!("{first} and {s} differ outside axis {}", self.axis));
                }
            }
            total = total
                .checked_add(s.fixed_dim(self.axis)?)
                .ok_or("overflow")?;
        }
        let mut out = first.clone();
        out.0[self.axis] = Dim::Fixed(total);
        Ok(out)
    }
    fn attrs(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let views: Vec<_> = i.iter().map(|a| a.view()).collect();
        ndarray::concatenate(ndarray::Axis(self.axis), &views).map_err(|e| e.to_string())
    }
}
