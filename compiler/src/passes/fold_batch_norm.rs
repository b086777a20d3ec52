//! fold-batch-norm: a BatchNorm right after a Conv or Dense (its only user, constant parameters) is
//! folded into that layer's weight and bias, in f32 step by step as onnxruntime's own Conv+BN fusion
//! does (so the folded graph computes what onnxruntime computes). Every other BatchNorm,
//! and all of them with `keep_batch_norm`, becomes an Affine layer (x * scale + shift per channel).
use super::{CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::ops::Affine;
use crate::ir::{Graph, Op, TensorData};
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;

pub struct FoldBatchNorm;

fn vec_f32(g: &Graph, n: NodeIndex) -> Option<Vec<f32>> {
    g.const_f32(n).map(|a| a.iter().copied().collect())
}

fn add_const(
    g: &mut Graph,
    base: &str,
    dims: &[usize],
    v: Vec<f32>,
) -> Result<NodeIndex, CompileError> {
    let a = ArrayD::from_shape_vec(IxDyn(dims), v)
        .map_err(|e| super::pass_err(g, "fold-batch-norm", e.to_string()))?;
    let name = g.fresh_name(base);
    g.add_const(name, TensorData::F32(a))
}

impl FoldBatchNorm {
    fn fold(&self, g: &mut Graph, bn: NodeIndex, keep: bool) -> Result<bool, CompileError> {
        let Op::BatchNorm(op) = g.node(bn).op.clone() else {
            return Ok(false);
        };
        let ins = g.inputs_of(bn);
        if ins.len() != 5 {
            return Ok(false);
        }
        let params: Option<Vec<Vec<f32>>> = ins[1..].iter().map(|&i| vec_f32(g, i)).collect();
        let Some(p) = params else { return Ok(false) };
        let (s, t) = op.affine(&p[0], &p[1], &p[2], &p[3]);
        let c = s.len();
        let x = ins[0];
        let layer = &g.node(x).op;
        let foldable = !keep
            && g.use_count(x) == 1
            && match layer {
                Op::Conv(_) => true,
                Op::Dense(_) => g.node(x).shape.rank() == 2,
                _ => false,
            };
        let layer_ins = g.inputs_of(x);
        let w = layer_ins.get(1).and_then(|&w| g.const_f32(w)).cloned();
        let b = match layer_ins.get(2) {
            Some(&b) => vec_f32(g, b),
            None => Some(vec![0.0; c]),
        };
        if let (true, Some(w), Some(b)) = (foldable, w, b) {
            let per = w.len() / c.max(1);
            if w.shape().first() != Some(&c) || b.len() != c {
                return Ok(false);
            }
            let wv: Vec<f32> = w
                .iter()
                .enumerate()
                .map(|(i, &v)| v * s[i / per.max(1)])
                .collect();
            let bv: Vec<f32> = match layer_ins.get(2) {
                Some(_) => (0..c).map(|m| (b[m] - p[2][m]) * s[m] + p[1][m]).collect(),
                None => t.clone(),
            };
            let name = g.node(x).name.clone();
            let layer_op = g.node(x).op.clone();
            let wn = add_const(g, &format!("{name}.weight"), w.shape(), wv)?;
            let bn_ = add_const(g, &format!("{name}.bias"), &[c], bv)?;
            g.set_op(x, layer_op, &[layer_ins[0], wn, bn_])?;
            g.replace_uses(bn, x);
            g.remove_node(bn);
            return Ok(true);
        }
        let name = g.node(bn).name.clone();
        let sn = add_const(g, &format!("{name}.scale"), &[c], s.clone())?;
        let tn = add_const(g, &format!("{name}.shift"), &[c], t.clone())?;
        g.set_op(bn, Affine, &[x, sn, tn])?;
        Ok(true)
    }
}

impl Pass for FoldBatchNorm {
    fn name(&self) -> &'static str {
        "fold-batch-norm"
    }
    fn run(&self, g: &mut Graph, opts: &CleanupOptions) -> Result<bool, CompileError> {
        let mut changed = false;
        for n in g.node_indices() {
            if g.get(n).is_some() {
                changed |= self.fold(g, n, opts.keep_batch_norm)?;
            }
        }
        if changed {
            g.remove_dead();
        }
        Ok(changed)
    }
}
