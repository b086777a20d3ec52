//! GlobalAveragePool: the mean (sequential f32 sum, then one division, like onnxruntime) over all spatial positions, [N, C, d...] -> [N, C, 1...].
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GlobalAveragePool {
    /// Only the float reference's rounding: onnxruntime sums a GlobalAveragePool sequentially but a
    /// ReduceMean in Eigen's vector order, so a pool that was a ReduceMean keeps that order.
    pub eigen_order: bool,
}

impl OpSpec for GlobalAveragePool {
    fn name(&self) -> &'static str {
        "GlobalAveragePool"
    }
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    fn attrs(&self) -> String {
        if self.eigen_order {
            "sum_order=eigen".into()
        } else {
            String::new()
        }
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let x = arg(i, 0)?;
        if x.rank() < 3 {
            return Err(format!("needs [N, C, spatial...], got {x}"));
        }
        let mut out = vec![x.dim(0)?, Dim::Fixed(x.fixed_dim(1)?)];
        for a in 2..x.rank() {
            x.fixed_dim(a)?;
            out.push(Dim::Fixed(1));
        }
        Ok(Shape(out))
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let x = arg(i, 0)?;
        let s = x.shape();
        if s.len() < 3 {
            return Err("needs [N, C, spatial...]".into());
        }
        let plane: usize = s[2..].iter().product();
        let xd = contiguous(x);
        let out: Vec<f32> = xd
            .chunks(plane.max(1))
            .take(s[0] * s[1])
            .map(|v| {
                let sum: f32 = if self.eigen_order {
                    super::eigen_sum(v)
                } else {
                    v.iter().sum()
                };
                sum / v.len().max(1) as f32
            })
            .collect();
        let mut dims = vec![s[0], s[1]];
        dims.extend(std::iter::repeat_n(1, s.len() - 2));
        ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
    }
}
