//! remove-identity: Identity and (inference) Dropout nodes are bypassed and removed.
use super::{CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::{Graph, Op};

pub struct RemoveIdentity;

impl Pass for RemoveIdentity {
    fn name(&self) -> &'static str {
        "remove-identity"
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let mut changed = false;
        for n in g.node_indices() {
            if !matches!(g.node(n).op, Op::Identity(_) | Op::Dropout(_)) {
                continue;
            }
            if let [x] = g.inputs_of(n).as_slice() {
                g.replace_uses(n, *x);
                g.remove_node(n);
                changed = true;
            }
        }
        Ok(changed)
    }
}
