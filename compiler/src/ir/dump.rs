//! A stable text form of the graph for golden tests (`--dump-ir`): topological order,
//! one line per node, inputs first and each constant right before its first user (by dtype and
//! shape only).

use super::ops::join;
use super::{Graph, Op, TensorType};
use petgraph::stable_graph::NodeIndex;
use std::fmt::Write;

impl Graph {
    pub fn dump(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "graph {:?}", self.name);
        let order = self.topo_order().unwrap_or_else(|_| self.node_indices());
        let mut printed = std::collections::HashSet::new();
        let mut line = |s: &mut String, n: NodeIndex| {
            if !printed.insert(n) {
                return;
            }
            let node = self.node(n);
            let _ = match &node.op {
                Op::Input(_) => writeln!(s, "  input %{} {}", node.name, node.shape),
                Op::Const(c) => writeln!(
                    s,
                    "  const %{} {}[{}]",
                    node.name,
                    c.data.dtype(),
                    join(c.data.shape())
                ),
                op => {
                    let args: Vec<String> = self
                        .inputs_of(n)
                        .iter()
                        .map(|&i| format!("%{}", self.node(i).name))
                        .collect();
                    let attrs = op.spec().attrs();
                    let sep = if attrs.is_empty() { "" } else { " " };
                    let ty = match node.ty {
                        TensorType::F32 => String::new(),
                        t => format!(" {t}"),
                    };
                    writeln!(
                        s,
                        "  %{} = {}({}){sep}{attrs} -> {}{ty}",
                        node.name,
                        op.name(),
                        args.join(", "),
                        node.shape
                    )
                }
            };
        };
        // Inputs first, each constant right before its first user.
        for &n in &order {
            if matches!(self.node(n).op, Op::Input(_)) {
                line(&mut s, n);
            }
        }
        for &n in &order {
            if self.node(n).op.is_source() {
                continue;
            }
            for i in self.inputs_of(n) {
                line(&mut s, i);
            }
            line(&mut s, n);
        }
        for &n in &order {
            line(&mut s, n);
        }
        for (name, o) in self.outputs() {
            let _ = writeln!(
                s,
                "  output {:?} = %{}",
                name,
                self.get(*o).map(|n| n.name.as_str()).unwrap_or("?")
            );
        }
        s
    }
}
