//! constant-folding: a node whose inputs are all float constants becomes a constant
//! (evaluated with the float reference), in one topological sweep, unless it would exceed
//! [`MAX_FOLDED`] elements.
use super::{pass_err, CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::ops::Const;
use crate::ir::{EvalCtx, Graph};

pub struct ConstantFolding;

/// Larger results stay computed at run time rather than stored as constants.
const MAX_FOLDED: u64 = 1 << 24;

impl Pass for ConstantFolding {
    fn name(&self) -> &'static str {
        "constant-folding"
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let order = g
            .topo_order()
            .map_err(|_| pass_err(g, self.name(), "graph has a cycle"))?;
        let mut changed = false;
        for n in order {
            // A quantizer of a constant stays for quant-weights, which keeps its integers.
            if g.node(n).op.is_source() || matches!(g.node(n).op, crate::ir::Op::Quant(_)) {
                continue;
            }
            let ins = g.inputs_of(n);
            let args: Option<Vec<_>> = ins.iter().map(|&i| g.const_f32(i)).collect();
            let Some(args) = args else { continue };
            let node = g.node(n);
            if args.is_empty() || node.shape.fixed_numel().is_none_or(|e| e > MAX_FOLDED) {
                continue;
            }
            let value = node
                .op
                .spec()
                .eval(&args, &EvalCtx { batch: 1 })
                .map_err(|r| CompileError::Eval {
                    file: g.source.clone(),
                    node: node.name.clone(),
                    op: node.op.name().into(),
                    reason: r,
                })?;
            g.set_op(n, Const::f32(value), &[])?;
            changed = true;
        }
        if changed {
            g.remove_dead();
        }
        Ok(changed)
    }
}
