//! `Graph::verify`: acyclic, every input slot filled exactly once, arity respected,
//! stored shapes equal re-inferred ones, sizes under the limit, all tensors of one sample within
//! the model's memory budget, outputs present.

use super::{Graph, Op};
use crate::error::CompileError;
use petgraph::Direction;

impl Graph {
    pub fn verify(&self) -> Result<(), CompileError> {
        self.verify_after("verify")
    }

    /// Verifies and names `pass` in the error.
    pub fn verify_after(&self, pass: &'static str) -> Result<(), CompileError> {
        let err = |node: &str, op: &str, reason: String| CompileError::Verify {
            file: self.source.clone(),
            pass,
            node: node.to_string(),
            op: op.to_string(),
            reason,
        };
        let order = self.topo_order().map_err(|n| {
            let node = self
                .get(n)
                .map(|x| (x.name.clone(), x.op.name()))
                .unwrap_or_default();
            err(&node.0, node.1, "graph has a cycle".into())
        })?;
        let mut budget = super::budget::Budget::default();
        for n in order {
            let node = self.node(n);
            let op = node.op.name();
            budget.charge(
                super::budget::node_bytes(node),
                &self.source,
                &node.name,
                op,
            )?;
            let mut slots: Vec<usize> = self
                .g
                .edges_directed(n, Direction::Incoming)
                .map(|e| *e.weight())
                .collect();
            slots.sort();
            if slots.iter().enumerate().any(|(i, &s)| i != s) {
                return Err(err(
                    &node.name,
                    op,
                    format!("input slots {slots:?} are not 0..{}", slots.len()),
                ));
            }
            let inputs = self.inputs_of(n);
            let shapes: Vec<_> = inputs.iter().map(|&i| &self.node(i).shape).collect();
            let (lo, hi) = node.op.spec().arity();
            if shapes.len() < lo || shapes.len() > hi {
                return Err(err(
                    &node.name,
                    op,
                    format!("takes {lo}..={hi} inputs, got {}", shapes.len()),
                ));
            }
            let shape = node
                .op
                .spec()
                .infer(&shapes)
                .map_err(|r| err(&node.name, op, r))?;
            if shape != node.shape {
                return Err(err(
                    &node.name,
                    op,
                    format!("stored shape {} but inputs give {}", node.shape, shape),
                ));
            }
            super::check_size(&shape)
                .map_err(|e| err(&node.name, op, format!("{e} elements exceed the limit")))?;
            if matches!(node.op, Op::Input(_)) != self.inputs.contains(&n) {
                return Err(err(
                    &node.name,
                    op,
                    "graph input list and Input nodes disagree".into(),
                ));
            }
        }
        for (name, o) in &self.outputs {
            if self.get(*o).is_none() {
                return Err(err(
                    name,
                    "Output",
                    "graph output refers to a removed node".into(),
                ));
            }
        }
        if self.outputs.is_empty() {
            return Err(err(&self.name, "Graph", "graph has no outputs".into()));
        }
        Ok(())
    }
}
