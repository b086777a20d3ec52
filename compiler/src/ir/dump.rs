//! A stable text form of the graph for golden tests (`--dump-ir`): topological order,
//! one line per node, constants by dtype and shape only.

use super::{Graph, Op};
use std::fmt::Write;

impl Graph {
    pub fn dump(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "graph {:?}", self.name);
        let order = self.topo_order().unwrap_or_else(|_| self.node_indices());
        for n in order {
            let node = self.node(n);
            match &node.op {
                Op::Input(_) => {
                    let _ = writeln!(s, "  input %{} {}", node.name, node.shape);
                }
                Op::Const(c) => {
                    let _ = writeln!(
                        s,
                        "  const %{} {}[{}]",
                        node.name,
                        c.data.dtype(),
                        super::ops::join(c.data.shape())
                    );
                }
                op => {
                    let args: Vec<String> = self
                        .inputs_of(n)
                        .iter()
                        .map(|&i| format!("%{}", self.node(i).name))
                        .collect();
                    let attrs = op.spec().attrs();
                    let _ = writeln!(
                        s,
                        "  %{} = {}({}){}{} -> {}",
                        node.name,
                        op.name(),
                        args.join(", "),
                        if attrs.is_empty() { "" } else { " " },
                        attrs,
                        node.shape
                    );
                }
            }
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
