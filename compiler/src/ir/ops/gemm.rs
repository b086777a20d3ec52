//! Gemm: y = alpha * op(A) @ op(B) + beta * C, op = optional transpose; A and B are 2-D,
//! C (optional) broadcasts to [M, N].
use super::fma_dot;
use super::prelude::*;
use crate::ir::broadcast::broadcast_dims;

#[derive(Clone, Debug, PartialEq)]
pub struct Gemm {
    pub alpha: f32,
    pub beta: f32,
    pub trans_a: bool,
    pub trans_b: bool,
}

impl Default for Gemm {
    fn default() -> Self {
        Gemm {
            alpha: 1.0,
            beta: 1.0,
            trans_a: false,
            trans_b: false,
        }
    }
}

impl OpSpec for Gemm {
    fn name(&self) -> &'static str {
        "Gemm"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 3)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let (a, b) = (arg(i, 0)?, arg(i, 1)?);
        if a.rank() != 2 || b.rank() != 2 {
            return Err(format!("Gemm needs 2-D A and B, got {a} and {b}"));
        }
        let (m, ka) = if self.trans_a {
            (a.dim(1)?, a.dim(0)?)
        } else {
            (a.dim(0)?, a.dim(1)?)
        };
        let (kb, n) = if self.trans_b {
            (b.dim(1)?, b.dim(0)?)
        } else {
            (b.dim(0)?, b.dim(1)?)
        };
        if ka != kb || ka == Dim::Batch {
            return Err(format!("inner dimensions of {a} and {b} differ"));
        }
        let out = Shape(vec![m, n]);
        if let Some(c) = i.get(2) {
            if broadcast_shapes(c, &out)? != out {
                return Err(format!("C {c} does not broadcast to {out}"));
            }
        }
        Ok(out)
    }
    fn macs(&self, i: &[&Shape], out: &Shape) -> u64 {
        let a = match i.first() {
            Some(a) => a,
            None => return 0,
        };
        let k = a.fixed_dim(if self.trans_a { 0 } else { 1 }).unwrap_or(0) as u64;
        out.fixed_numel().unwrap_or(0).saturating_mul(k)
    }
    fn attrs(&self) -> String {
        format!(
            "alpha={} beta={} transA={} transB={}",
            self.alpha, self.beta, self.trans_a as u8, self.trans_b as u8
        )
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (a, b) = (arg(i, 0)?, arg(i, 1)?);
        if a.ndim() != 2 || b.ndim() != 2 {
            return Err("Gemm needs 2-D inputs".into());
        }
        let a = a
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| e.to_string())?;
        let b = b
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| e.to_string())?;
        let a = if self.trans_a { a.reversed_axes() } else { a };
        let b = if self.trans_b { b.reversed_axes() } else { b };
        let (m, k) = a.dim();
        let (k2, n) = b.dim();
        if k != k2 {
            return Err(format!("inner dimensions {k} and {k2} differ"));
        }
        let c = match i.get(2) {
            Some(c) => {
                broadcast_dims(c.shape(), &[m, n])?;
                Some(c.broadcast(IxDyn(&[m, n])).ok_or("C does not broadcast")?)
            }
            None => None,
        };
        let mut out = Vec::with_capacity(m * n);
        for r in 0..m {
            for j in 0..n {
                let acc = fma_dot((0..k).map(|t| a[[r, t]]), (0..k).map(|t| b[[t, j]]));
                let y = match &c {
                    Some(c) => acc.mul_add(self.alpha, self.beta * c[[r, j]]),
                    None => self.alpha * acc,
                };
                out.push(y);
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[m, n]), out).map_err(|e| e.to_string())
    }
}
