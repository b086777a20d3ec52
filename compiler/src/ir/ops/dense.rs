//! Dense: y[..., n] = sum_k x[..., k] * weight[n, k] + bias[n]. Weight is [out, in] (PyTorch Linear layout).
//! Made from Gemm or MatMul(+Add) by the fuse-dense pass.
use super::fma_dot;
use super::prelude::*;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dense;

impl OpSpec for Dense {
    fn name(&self) -> &'static str {
        "Dense"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 3)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let (x, w) = (arg(i, 0)?, arg(i, 1)?);
        if x.rank() < 1 || w.rank() != 2 {
            return Err(format!(
                "Dense needs x [..., K] and weight [N, K], got {x} and {w}"
            ));
        }
        let (n, k) = (w.fixed_dim(0)?, w.fixed_dim(1)?);
        if x.fixed_dim(x.rank() - 1)? != k {
            return Err(format!("x {x} does not end in {k} (weight {w})"));
        }
        if let Some(b) = i.get(2) {
            if b.0 != [Dim::Fixed(n)] {
                return Err(format!("bias {b} must be [{n}]"));
            }
        }
        let mut out = x.clone();
        out.0[x.rank() - 1] = Dim::Fixed(n);
        Ok(out)
    }
    fn macs(&self, i: &[&Shape], out: &Shape) -> u64 {
        let k = i.get(1).and_then(|w| w.fixed_dim(1).ok()).unwrap_or(0) as u64;
        out.fixed_numel().unwrap_or(0).saturating_mul(k)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (x, w) = (arg(i, 0)?, arg(i, 1)?);
        let ws = w.shape();
        if ws.len() != 2 || x.ndim() < 1 || x.shape()[x.ndim() - 1] != ws[1] {
            return Err(format!("Dense shapes {:?} x {:?}", x.shape(), ws));
        }
        let (n, k) = (ws[0], ws[1]);
        let bias = i.get(2).map(|b| contiguous(b));
        let (xd, wd) = (contiguous(x), contiguous(w));
        let rows = xd.len().checked_div(k).unwrap_or(0);
        let mut out = Vec::with_capacity(rows * n);
        for r in 0..rows {
            let xr = &xd[r * k..][..k];
            for j in 0..n {
                let wr = &wd[j * k..][..k];
                let acc = fma_dot(xr.iter().copied(), wr.iter().copied());
                let b = bias
                    .as_ref()
                    .and_then(|bv| bv.get(j))
                    .copied()
                    .unwrap_or(0.0);
                out.push(acc + b);
            }
        }
        let mut dims = x.shape().to_vec();
        let last = dims.len() - 1;
        dims[last] = n;
        ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
    }
}
