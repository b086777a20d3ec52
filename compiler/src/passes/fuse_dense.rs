//! fuse-dense: Gemm (transA = 0, constant B, constant row-vector C) and MatMul by a constant 2-D matrix,
//! with a following Add of a constant [N] bias when it is the MatMul's only user, become one Dense
//! (weight [out, in], alpha and beta folded into weight and bias).
use super::{CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::ops::Dense;
use crate::ir::{Graph, Op, TensorData};
use ndarray::{Array1, ArrayD, Ix2};
use petgraph::stable_graph::NodeIndex;

pub struct FuseDense;

/// A constant that broadcasts as a bias of length `n` (shapes [], [1], [n], [1, n]).
fn as_bias(a: &ArrayD<f32>, n: usize) -> Option<Array1<f32>> {
    let s = a.shape();
    let ok = match s {
        [] | [1] | [1, 1] => true,
        [k] | [1, k] => *k == n,
        _ => false,
    };
    if !ok {
        return None;
    }
    let v: Vec<f32> = a.iter().copied().collect();
    Some(if v.len() == 1 {
        Array1::from_elem(n, v[0])
    } else {
        Array1::from(v)
    })
}

fn add_const(g: &mut Graph, base: &str, a: ArrayD<f32>) -> Result<NodeIndex, CompileError> {
    let name = g.fresh_name(base);
    g.add_const(name, TensorData::F32(a))
}

impl FuseDense {
    fn gemm(&self, g: &mut Graph, n: NodeIndex) -> Result<bool, CompileError> {
        let Op::Gemm(op) = g.node(n).op.clone() else {
            return Ok(false);
        };
        let ins = g.inputs_of(n);
        if op.trans_a || ins.len() < 2 {
            return Ok(false);
        }
        let Some(b) = g
            .const_f32(ins[1])
            .and_then(|b| b.view().into_dimensionality::<Ix2>().ok())
        else {
            return Ok(false);
        };
        let w = if op.trans_b {
            b.to_owned()
        } else {
            b.t().to_owned()
        };
        let nout = w.nrows();
        let bias = match ins.get(2) {
            Some(&c) => match g.const_f32(c).and_then(|c| as_bias(c, nout)) {
                Some(v) => Some(v.mapv(|x| (op.beta as f64 * x as f64) as f32)),
                None => return Ok(false),
            },
            None => None,
        };
        let w = if op.alpha == 1.0 {
            w
        } else {
            w.mapv(|x| (op.alpha as f64 * x as f64) as f32)
        };
        let name = g.node(n).name.clone();
        let mut args = vec![
            ins[0],
            add_const(g, &format!("{name}.weight"), w.into_dyn())?,
        ];
        if let Some(b) = bias {
            args.push(add_const(g, &format!("{name}.bias"), b.into_dyn())?);
        }
        g.set_op(n, Dense, &args)?;
        Ok(true)
    }

    fn matmul(&self, g: &mut Graph, n: NodeIndex) -> Result<bool, CompileError> {
        if !matches!(g.node(n).op, Op::MatMul(_)) {
            return Ok(false);
        }
        let ins = g.inputs_of(n);
        let (Some(&x), Some(&b)) = (ins.first(), ins.get(1)) else {
            return Ok(false);
        };
        if g.node(x).shape.rank() < 2 {
            return Ok(false);
        }
        let Some(b) = g
            .const_f32(b)
            .and_then(|b| b.view().into_dimensionality::<Ix2>().ok())
        else {
            return Ok(false);
        };
        let w = b.t().to_owned();
        let nout = w.nrows();
        let name = g.node(n).name.clone();
        // An Add of a constant bias as the only user.
        let mut target = n;
        let mut bias = None;
        if let [(add, _)] = g.consumers(n).as_slice() {
            if matches!(g.node(*add).op, Op::Add(_)) && !g.is_output(n) {
                let add_ins = g.inputs_of(*add);
                let other = add_ins.iter().copied().find(|&i| i != n);
                if let Some(v) = other
                    .and_then(|o| g.const_f32(o))
                    .and_then(|c| as_bias(c, nout))
                {
                    if g.node(*add).shape == g.node(n).shape {
                        bias = Some(v);
                        target = *add;
                    }
                }
            }
        }
        let mut args = vec![x, add_const(g, &format!("{name}.weight"), w.into_dyn())?];
        if let Some(v) = bias {
            args.push(add_const(g, &format!("{name}.bias"), v.into_dyn())?);
        }
        g.set_op(target, Dense, &args)?;
        if target != n {
            g.remove_node(n);
        }
        Ok(true)
    }
}

impl Pass for FuseDense {
    fn name(&self) -> &'static str {
        "fuse-dense"
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let mut changed = false;
        for n in g.node_indices() {
            if g.get(n).is_none() {
                continue;
            }
            changed |= self.gemm(g, n)? || self.matmul(g, n)?;
        }
        if changed {
            g.remove_dead();
        }
        Ok(changed)
    }
}
