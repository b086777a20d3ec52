//! MatMul: numpy matmul (1-D operands promoted, batch dimensions broadcast).
use super::fma_dot;
use super::prelude::*;
use crate::ir::broadcast::broadcast_dims;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatMul;

impl OpSpec for MatMul {
    fn name(&self) -> &'static str {
        "MatMul"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    fn infer(&self, i: &[&Shape]) -> Result<Shape, String> {
        let (a, b) = (arg(i, 0)?, arg(i, 1)?);
        if a.rank() == 0 || b.rank() == 0 {
            return Err("MatMul of a scalar".into());
        }
        let a2 = if a.rank() == 1 {
            Shape(vec![Dim::Fixed(1), a.0[0]])
        } else {
            a.clone()
        };
        let b2 = if b.rank() == 1 {
            Shape(vec![b.0[0], Dim::Fixed(1)])
        } else {
            b.clone()
        };
        let (ra, rb) = (a2.rank(), b2.rank());
        if a2.0[ra - 1] != b2.0[rb - 2] || a2.0[ra - 1] == Dim::Batch {
            return Err(format!("inner dimensions of {a} and {b} differ"));
        }
        let batch = broadcast_shapes(
            &Shape(a2.0[..ra - 2].to_vec()),
            &Shape(b2.0[..rb - 2].to_vec()),
        )?;
        let mut out = batch.0;
        if a.rank() > 1 {
            out.push(a2.0[ra - 2]);
        }
        if b.rank() > 1 {
            out.push(b2.0[rb - 1]);
        }
        Ok(Shape(out))
    }
    fn macs(&self, i: &[&Shape], out: &Shape) -> u64 {
        let k = i
            .first()
            .and_then(|a| a.fixed_dim(a.rank().saturating_sub(1)).ok())
            .unwrap_or(0) as u64;
        out.fixed_numel().unwrap_or(0).saturating_mul(k)
    }
    fn eval(&self, i: &[&ArrayD<f32>], _: &EvalCtx) -> Result<ArrayD<f32>, String> {
        let (a, b) = (arg(i, 0)?, arg(i, 1)?);
        if a.ndim() == 0 || b.ndim() == 0 {
            return Err("MatMul of a scalar".into());
        }
        let a2 = if a.ndim() == 1 {
            a.view().insert_axis(ndarray::Axis(0))
        } else {
            a.view()
        };
        let b2 = if b.ndim() == 1 {
            b.view().insert_axis(ndarray::Axis(1))
        } else {
            b.view()
        };
        let (sa, sb) = (a2.shape().to_vec(), b2.shape().to_vec());
        let (ra, rb) = (sa.len(), sb.len());
        let (m, k, n) = (sa[ra - 2], sa[ra - 1], sb[rb - 1]);
        if sb[rb - 2] != k {
            return Err(format!("inner dimensions of {sa:?} and {sb:?} differ"));
        }
        let batch = broadcast_dims(&sa[..ra - 2], &sb[..rb - 2])?;
        let mut da = batch.clone();
        da.extend([m, k]);
        let mut db = batch.clone();
        db.extend([k, n]);
        let av = a2
            .broadcast(IxDyn(&da))
            .ok_or("batch dims do not broadcast")?;
        let bv = b2
            .broadcast(IxDyn(&db))
            .ok_or("batch dims do not broadcast")?;
        let av = av.as_standard_layout();
        let bv = bv.as_standard_layout();
        let (ad, bd) = (
            av.as_slice().ok_or("layout")?,
            bv.as_slice().ok_or("layout")?,
        );
        let nb: usize = batch.iter().product();
        let mut out = Vec::with_capacity(nb * m * n);
        for p in 0..nb {
            let am = &ad[p * m * k..][..m * k];
            let bm = &bd[p * k * n..][..k * n];
            for r in 0..m {
                for j in 0..n {
                    out.push(fma_dot(
                        (0..k).map(|t| am[r * k + t]),
                        (0..k).map(|t| bm[t * n + j]),
                    ));
                }
            }
        }
        let mut dims = batch;
        if a.ndim() > 1 {
            dims.push(m);
        }
        if b.ndim() > 1 {
            dims.push(n);
        }
        ArrayD::from_shape_vec(IxDyn(&dims), out).map_err(|e| e.to_string())
    }
}
