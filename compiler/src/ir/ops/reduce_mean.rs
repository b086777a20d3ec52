//! ReduceMean over a set of axes (sum in f64). Over all spatial axes it is a GlobalAveragePool,
//! which the canonicalize-shapes pass substitutes.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct ReduceMean {
    /// Sorted, distinct, non-negative.
    pub axes: Vec<usize>,
    pub keepdims: bool,
}

impl OpSpec for ReduceMean {
    fn name(&self) -> &'static str {
        "ReduceMean"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        let mut out = Vec::new();
        for (a, d) in x.0.iter().enumerate() {
            if self.axes.contains(&a) {
                if *d == Dim::Batch {
                    return Err("reducing over the batch dimension".into());
                }
                if self.keepdims {
                    out.push(Dim::Fixed(1));
                }
            } else {
                out.push(*d);
            }
        }
        if self.axes.iter().any(|&a| a >= x.rank()) {
            return Err(format!("axes {:?} out of range for {x}", self.axes));
        }
        Ok(Shape(out))
    }
    fn attrs(&self) -> String {
        format!(
            "axes=[{}] keepdims={}",
            super::join(&self.axes),
            self.keepdims as u8
        )
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let r = x.ndim();
        if self.axes.iter().any(|&a| a >= r) {
            return Err("axis out of range".into());
        }
        let trailing = !self.axes.is_empty()
            && self
                .axes
                .iter()
                .enumerate()
                .all(|(k, &a)| a == r - self.axes.len() + k);
        if trailing {
            // onnxruntime's fast path: Eigen's sum over each contiguous block, then one division.
            let inner: usize = x.shape()[r - self.axes.len()..].iter().product();
            let xd = contiguous(x);
            let out: Vec<f32> = xd
                .chunks(inner.max(1))
                .map(|v| super::eigen_sum(v) / inner.max(1) as f32)
                .collect();
            let dims: Vec<usize> = x
                .shape()
                .iter()
                .enumerate()
                .filter_map(|(a, &d)| {
                    if self.axes.contains(&a) {
                        self.keepdims.then_some(1)
                    } else {
                        Some(d)
                    }
                })
                .collect();
            return ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string());
        }
        let mut acc = x.mapv(|v| v as f64);
        let mut count = 1usize;
        for &a in self.axes.iter().rev() {
            count *= acc.shape()[a];
            acc = acc.sum_axis(ndarray::Axis(a));
            if self.keepdims {
                acc = acc.insert_axis(ndarray::Axis(a));
            }
        }
        Ok(acc.mapv(|v| (v / count.max(1) as f64) as f32))
    }
}
