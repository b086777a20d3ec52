//! Transpose by a permutation of the axes.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Transpose {
    pub perm: Vec<usize>,
}

impl Transpose {
    fn check(&self, rank: usize) -> Result<(), String> {
        let mut seen = vec![false; rank];
        if self.perm.len() != rank {
            return Err(format!("perm {:?} does not match rank {rank}", self.perm));
        }
        for &p in &self.perm {
            match seen.get_mut(p) {
                Some(s) if !*s => *s = true,
                _ => return Err(format!("perm {:?} is not a permutation", self.perm)),
            }
        }
        Ok(())
    }
}

impl OpSpec for Transpose {
    fn name(&self) -> &'static str {
        "Transpose"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        self.check(x.rank())?;
        Ok(Shape(self.perm.iter().map(|&p| x.0[p]).collect()))
    }
    fn attrs(&self) -> String {
        format!("perm=[{}]", super::join(&self.perm))
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        self.check(x.ndim())?;
        Ok(x.view()
            .permuted_axes(IxDyn(&self.perm))
            .as_standard_layout()
            .into_owned())
    }
}
