//! The graph IR: a newtype over petgraph's `StableDiGraph`. Every node produces one tensor; an edge
//! carries it to input slot `weight` of its consumer. Sources are `Input` and `Const` nodes.

mod broadcast;
pub mod budget;
pub mod builder;
mod dump;
pub mod inspect;
pub mod op;
pub mod ops;
mod shape;
mod tensor;
mod verify;

pub use broadcast::{broadcast_dims, broadcast_shapes, zip_broadcast};
pub use builder::GraphBuilder;
pub use op::{EvalCtx, Op, OpSpec};
pub use shape::{check_size, normalize_axis, Dim, Shape, MAX_ELEMENTS};
pub use tensor::TensorData;

use crate::error::CompileError;
use ndarray::ArrayD;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A tensor's number type: float before quantization, `ap_fixed` after.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TensorType {
    #[default]
    F32,
    Fixed(binpoint_runtime::FixedType),
}

impl std::fmt::Display for TensorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TensorType::F32 => write!(f, "f32"),
            TensorType::Fixed(t) => write!(f, "{t}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    /// Unique node name (the ONNX node name, or the tensor name for inputs and constants).
    pub name: String,
    /// Name of the tensor the node produces.
    pub tensor: String,
    pub op: Op,
    pub shape: Shape,
    /// F32 everywhere until the typing phase assigns fixed-point types.
    pub ty: TensorType,
}

#[derive(Clone, Debug)]
pub struct Graph {
    g: StableDiGraph<Node, usize>,
    pub name: String,
    /// The model file, named in every error.
    pub source: String,
    inputs: Vec<NodeIndex>,
    outputs: Vec<(String, NodeIndex)>,
    /// Types the model's own quantizers give, by tensor name (QONNX `Quant`, ONNX QDQ): written by
    /// the passes quant-weights and fold-quantizers, honoured by typing ahead of `--bits`.
    pub model_types: BTreeMap<String, binpoint_runtime::FixedType>,
}

impl Graph {
    pub fn new(name: impl Into<String>, source: impl Into<String>) -> Graph {
        Graph {
            g: StableDiGraph::default(),
            name: name.into(),
            source: source.into(),
            inputs: vec![],
            outputs: vec![],
            model_types: BTreeMap::new(),
        }
    }

    pub fn petgraph(&self) -> &StableDiGraph<Node, usize> {
        &self.g
    }
    pub fn node(&self, n: NodeIndex) -> &Node {
        &self.g[n]
    }
    /// Sets a node's number type (the only mutable part of a node outside `set_op`).
    pub fn set_type(&mut self, n: NodeIndex, ty: TensorType) {
        if let Some(node) = self.g.node_weight_mut(n) {
            node.ty = ty;
        }
    }
    pub fn get(&self, n: NodeIndex) -> Option<&Node> {
        self.g.node_weight(n)
    }
    pub fn inputs(&self) -> &[NodeIndex] {
        &self.inputs
    }
    pub fn outputs(&self) -> &[(String, NodeIndex)] {
        &self.outputs
    }
    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }
    /// Node indices in creation order.
    pub fn node_indices(&self) -> Vec<NodeIndex> {
        self.g.node_indices().collect()
    }
    pub fn find(&self, name: &str) -> Option<NodeIndex> {
        self.g.node_indices().find(|&n| self.g[n].name == name)
    }

    pub(crate) fn err_shape(
        &self,
        name: &str,
        op: &str,
        reason: impl Into<String>,
    ) -> CompileError {
        CompileError::Shape {
            file: self.source.clone(),
            node: name.into(),
            op: op.into(),
            reason: reason.into(),
        }
    }

    fn checked_shape(
        &self,
        name: &str,
        op: &Op,
        inputs: &[NodeIndex],
    ) -> Result<Shape, CompileError> {
        let (lo, hi) = op.spec().arity();
        if inputs.len() < lo || inputs.len() > hi {
            return Err(self.err_shape(
                name,
                op.name(),
                format!("takes {lo}..={hi} inputs, got {}", inputs.len()),
            ));
        }
        let shapes: Vec<&Shape> = inputs.iter().map(|&i| &self.g[i].shape).collect();
        let shape = op
            .spec()
            .infer(&shapes)
            .map_err(|r| self.err_shape(name, op.name(), r))?;
        check_size(&shape).map_err(|elements| CompileError::TooLarge {
            file: self.source.clone(),
            node: name.into(),
            tensor: name.into(),
            elements,
            limit: MAX_ELEMENTS,
        })?;
        Ok(shape)
    }

    /// Adds a node after inferring (and size-checking) its output shape.
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        tensor: impl Into<String>,
        op: impl Into<Op>,
        inputs: &[NodeIndex],
    ) -> Result<NodeIndex, CompileError> {
        let (name, op) = (name.into(), op.into());
        if inputs.iter().any(|&i| self.g.node_weight(i).is_none()) {
            return Err(self.err_shape(&name, op.name(), "input refers to a removed node"));
        }
        let shape = self.checked_shape(&name, &op, inputs)?;
        let n = self.g.add_node(Node {
            name,
            tensor: tensor.into(),
            op,
            shape,
            ty: TensorType::F32,
        });
        for (slot, &i) in inputs.iter().enumerate() {
            self.g.add_edge(i, n, slot);
        }
        if matches!(self.g[n].op, Op::Input(_)) {
            self.inputs.push(n);
        }
        Ok(n)
    }

    pub fn add_input(
        &mut self,
        name: impl Into<String>,
        shape: Shape,
    ) -> Result<NodeIndex, CompileError> {
        let name = name.into();
        self.add_node(name.clone(), name, ops::Input { shape }, &[])
    }

    pub fn add_const(
        &mut self,
        name: impl Into<String>,
        data: TensorData,
    ) -> Result<NodeIndex, CompileError> {
        let name = name.into();
        self.add_node(name.clone(), name, ops::Const { data }, &[])
    }

    pub fn add_output(&mut self, name: impl Into<String>, n: NodeIndex) {
        self.outputs.push((name.into(), n));
    }

    /// Inputs of `n` ordered by slot.
    pub fn inputs_of(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut e: Vec<(usize, NodeIndex)> = self
            .g
            .edges_directed(n, Direction::Incoming)
            .map(|e| (*e.weight(), e.source()))
            .collect();
        e.sort();
        e.into_iter().map(|(_, s)| s).collect()
    }

    /// (consumer, slot) pairs, ordered.
    pub fn consumers(&self, n: NodeIndex) -> Vec<(NodeIndex, usize)> {
        let mut c: Vec<_> = self
            .g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| (e.target(), *e.weight()))
            .collect();
        c.sort();
        c
    }

    /// Number of uses, graph outputs included.
    pub fn use_count(&self, n: NodeIndex) -> usize {
        self.g.edges_directed(n, Direction::Outgoing).count()
            + self.outputs.iter().filter(|(_, o)| *o == n).count()
    }

    pub fn is_output(&self, n: NodeIndex) -> bool {
        self.outputs.iter().any(|(_, o)| *o == n)
    }

    pub fn const_data(&self, n: NodeIndex) -> Option<&TensorData> {
        match &self.g.node_weight(n)?.op {
            Op::Const(c) => Some(&c.data),
            _ => None,
        }
    }
    pub fn const_f32(&self, n: NodeIndex) -> Option<&ArrayD<f32>> {
        self.const_data(n).and_then(|d| d.as_f32())
    }

    /// Makes every consumer of `old` (and every graph output naming it) use `new` instead.
    pub fn replace_uses(&mut self, old: NodeIndex, new: NodeIndex) {
        let uses: Vec<_> = self.consumers(old);
        let ids: Vec<_> = self
            .g
            .edges_directed(old, Direction::Outgoing)
            .map(|e| e.id())
            .collect();
        for id in ids {
            self.g.remove_edge(id);
        }
        for (c, slot) in uses {
            self.g.add_edge(new, c, slot);
        }
        for o in self.outputs.iter_mut() {
            if o.1 == old {
                o.1 = new;
            }
        }
    }

    pub fn remove_node(&mut self, n: NodeIndex) {
        self.g.remove_node(n);
        self.inputs.retain(|&i| i != n);
    }

    /// Replaces the op and inputs of `n`, re-inferring its shape.
    pub fn set_op(
        &mut self,
        n: NodeIndex,
        op: impl Into<Op>,
        inputs: &[NodeIndex],
    ) -> Result<(), CompileError> {
        let op = op.into();
        let name = self.g[n].name.clone();
        let shape = self.checked_shape(&name, &op, inputs)?;
        let ids: Vec<_> = self
            .g
            .edges_directed(n, Direction::Incoming)
            .map(|e| e.id())
            .collect();
        for id in ids {
            self.g.remove_edge(id);
        }
        for (slot, &i) in inputs.iter().enumerate() {
            self.g.add_edge(i, n, slot);
        }
        let node = &mut self.g[n];
        node.op = op;
        node.shape = shape;
        Ok(())
    }

    /// A node name not used yet, derived from `base`.
    pub fn fresh_name(&self, base: &str) -> String {
        let names: BTreeSet<&str> = self.g.node_weights().map(|n| n.name.as_str()).collect();
        if !names.contains(base) {
            return base.to_string();
        }
        (1..)
            .map(|k| format!("{base}#{k}"))
            .find(|c| !names.contains(c.as_str()))
            .unwrap_or_default()
    }

    /// Deterministic topological order (Kahn, smallest index first); Err(node) names a node on a cycle.
    pub fn topo_order(&self) -> Result<Vec<NodeIndex>, NodeIndex> {
        let mut indeg: HashMap<NodeIndex, usize> = HashMap::new();
        for n in self.g.node_indices() {
            indeg.insert(n, self.g.edges_directed(n, Direction::Incoming).count());
        }
        let mut ready: BTreeSet<NodeIndex> = indeg
            .iter()
            .filter(|(_, &d)| d == 0)
            .map(|(&n, _)| n)
            .collect();
        let mut order = Vec::with_capacity(indeg.len());
        while let Some(n) = ready.pop_first() {
            order.push(n);
            for e in self.g.edges_directed(n, Direction::Outgoing) {
                if let Some(d) = indeg.get_mut(&e.target()) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert(e.target());
                    }
                }
            }
        }
        if order.len() != indeg.len() {
            let stuck = self
                .g
                .node_indices()
                .find(|n| indeg.get(n).copied().unwrap_or(0) > 0);
            return Err(stuck.unwrap_or_default());
        }
        Ok(order)
    }

    /// Removes nodes that no graph output depends on (graph inputs stay). Returns how many.
    pub fn remove_dead(&mut self) -> usize {
        let mut live: BTreeSet<NodeIndex> = BTreeSet::new();
        let mut stack: Vec<NodeIndex> = self.outputs.iter().map(|o| o.1).collect();
        stack.extend(self.inputs.iter().copied());
        while let Some(n) = stack.pop() {
            if live.insert(n) {
                stack.extend(self.g.neighbors_directed(n, Direction::Incoming));
            }
        }
        let dead: Vec<_> = self
            .g
            .node_indices()
            .filter(|n| !live.contains(n))
            .collect();
        for &n in &dead {
            self.g.remove_node(n);
        }
        dead.len()
    }

    /// Elements of all float constants: the model's parameters.
    pub fn param_count(&self) -> u64 {
        self.g
            .node_weights()
            .map(|n| match &n.op {
                Op::Const(c) if matches!(c.data, TensorData::F32(_)) => c.data.len() as u64,
                _ => 0,
            })
            .sum()
    }
}
