//! canonicalize-shapes: chains of Flatten/Reshape/Squeeze/Unsqueeze collapse into one op; a reshape
//! to [N, rest] becomes Flatten(axis=1); a reshape that changes nothing disappears; ReduceMean over
//! all spatial axes becomes GlobalAveragePool (+ Flatten when keepdims = 0), as the classic exporter writes.
use super::{CleanupOptions, Pass, MAX_REWRITES};
use crate::error::CompileError;
use crate::ir::ops::{Flatten, GlobalAveragePool, Reshape};
use crate::ir::{Graph, Op, OpSpec};
use petgraph::stable_graph::NodeIndex;

pub struct CanonicalizeShapes;

fn is_shape_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Flatten(_) | Op::Reshape(_) | Op::Squeeze(_) | Op::Unsqueeze(_)
    )
}

impl CanonicalizeShapes {
    fn rewrite(&self, g: &mut Graph, n: NodeIndex) -> Result<bool, CompileError> {
        let node = g.node(n).clone();
        let ins = g.inputs_of(n);
        if let Op::ReduceMean(r) = &node.op {
            let x = match ins.as_slice() {
                [x] => *x,
                _ => return Ok(false),
            };
            let rank = g.node(x).shape.rank();
            if rank < 3 || r.axes != (2..rank).collect::<Vec<_>>() {
                return Ok(false);
            }
            if r.keepdims {
                g.set_op(n, GlobalAveragePool { eigen_order: true }, &[x])?;
            } else {
                let name = g.fresh_name(&format!("{}.pool", node.name));
                let pool = g.add_node(
                    name.clone(),
                    name,
                    GlobalAveragePool { eigen_order: true },
                    &[x],
                )?;
                g.set_op(n, Flatten { axis: 1 }, &[pool])?;
            }
            return Ok(true);
        }
        if !is_shape_op(&node.op) {
            return Ok(false);
        }
        let Some(&x) = ins.first() else {
            return Ok(false);
        };
        // Collapse a chain: only the final shape matters for row-major data.
        if is_shape_op(&g.node(x).op) {
            if let Some(&inner) = g.inputs_of(x).first() {
                g.set_op(
                    n,
                    Reshape {
                        target: node.shape.0.clone(),
                    },
                    &[inner],
                )?;
                return Ok(true);
            }
        }
        let in_shape = g.node(x).shape.clone();
        if in_shape == node.shape {
            g.replace_uses(n, x);
            g.remove_node(n);
            return Ok(true);
        }
        let flat = Flatten { axis: 1 };
        if !matches!(node.op, Op::Flatten(ref f) if f.axis == 1)
            && in_shape.rank() >= 2
            && flat.infer(&[&in_shape]).ok().as_ref() == Some(&node.shape)
        {
            g.set_op(n, flat, &[x])?;
            return Ok(true);
        }
        Ok(false)
    }
}

impl Pass for CanonicalizeShapes {
    fn name(&self) -> &'static str {
        "canonicalize-shapes"
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let mut changed = false;
        for _ in 0..MAX_REWRITES {
            let mut any = false;
            for n in g.node_indices() {
                if g.get(n).is_some() && self.rewrite(g, n)? {
                    any = true;
                }
            }
            if !any {
                break;
            }
            changed = true;
            g.remove_dead();
        }
        Ok(changed)
    }
}
