//! Softmax along `axis`. `coerce_2d` is the opset < 13 meaning: the input is seen as 2-D
//! [prod(dims[..axis]), prod(dims[axis..])] and normalized over the second dimension.
use super::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Softmax {
    pub axis: usize,
    pub coerce_2d: bool,
}

impl OpSpec for Softmax {
    fn name(&self) -> &'static str {
        "Softmax"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        let last = if self.coerce_2d {
            x.rank()
        } else {
            self.axis + 1
        };
        if self.axis >= x.rank() {
            return Err(format!("axis {} out of range for {x}", self.axis));
        }
        if x.0[self.axis..last].contains(&Dim::Batch) {
            return Err("softmax over the batch dimension".into());
        }
        Ok(x.clone())
    }
    fn attrs(&self) -> String {
        format!(
            "axis={}{}",
            self.axis,
            if self.coerce_2d { " coerce_2d" } else { "" }
        )
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let s = x.shape();
        if self.axis >= s.len() {
            return Err("axis out of range".into());
        }
        let outer: usize = s[..self.axis].iter().product();
        let (len, inner) = if self.coerce_2d {
            (s[self.axis..].iter().product::<usize>(), 1)
        } else {
            (s[self.axis], s[self.axis + 1..].iter().product::<usize>())
        };
        let xd = contiguous(x);
        let mut out = vec![0f32; xd.len()];
        for o in 0..outer {
            for inn in 0..inner {
                let at = |t: usize| (o * len + t) * inner + inn;
                let max = (0..len)
                    .map(|t| xd[at(t)])
                    .fold(f32::NEG_INFINITY, f32::max) as f64;
                let e: Vec<f64> = (0..len).map(|t| (xd[at(t)] as f64 - max).exp()).collect();
                let sum: f64 = e.iter().sum();
                for (t, v) in e.iter().enumerate() {
                    out[at(t)] = (v / sum) as f32;
                }
            }
        }
        ArrayD::from_shape_vec(x.raw_dim(), out).map_err(|e| e.to_string())
    }
}
