//! Flatten at `axis`: [d0..d_axis) x [d_axis..) -> 2-D. The batch dimension may only end up alone.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Flatten {
    pub axis: usize,
}

fn merge(dims: &[Dim]) -> Result<Dim, String> {
    let fixed: usize = dims
        .iter()
        .filter_map(|d| d.fixed())
        .try_fold(1usize, |a, d| a.checked_mul(d))
        .ok_or("overflow")?;
    match dims.iter().filter(|d| **d == Dim::Batch).count() {
        0 => Ok(Dim::Fixed(fixed)),
        1 if fixed == 1 => Ok(Dim::Batch),
        _ => Err(format!(
            "flattening {dims:?} would merge the batch dimension with others"
        )),
    }
}

impl OpSpec for Flatten {
    fn name(&self) -> &'static str {
        "Flatten"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        if self.axis > x.rank() {
            return Err(format!("axis {} out of range for {x}", self.axis));
        }
        Ok(Shape(vec![
            merge(&x.0[..self.axis])?,
            merge(&x.0[self.axis..])?,
        ]))
    }
    fn attrs(&self) -> String {
        format!("axis={}", self.axis)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let s = x.shape();
        if self.axis > s.len() {
            return Err("axis out of range".into());
        }
        let dims = [
            s[..self.axis].iter().product::<usize>(),
            s[self.axis..].iter().product(),
        ];
        ArrayD::from_shape_vec(IxDyn(&dims), contiguous(x).into_owned()).map_err(|e| e.to_string())
    }
}
