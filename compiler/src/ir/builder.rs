//! `GraphBuilder`: test graphs in a few lines.
//!
//! ```
//! use binpoint::ir::{GraphBuilder, ops::Relu};
//! let mut b = GraphBuilder::new("t");
//! let x = b.input("x", &[0, 4]); // 0 = the batch dimension
//! let y = b.op("relu", Relu, &[x]).unwrap();
//! b.output(y);
//! let g = b.finish().unwrap();
//! assert_eq!(g.node_count(), 2);
//! ```

use super::{Dim, Graph, Op, Shape, TensorData};
use crate::error::CompileError;
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;

pub struct GraphBuilder {
    g: Graph,
    first_error: Option<CompileError>,
}

impl GraphBuilder {
    pub fn new(name: &str) -> GraphBuilder {
        GraphBuilder {
            g: Graph::new(name, format!("<builder {name}>")),
            first_error: None,
        }
    }

    fn keep(&mut self, r: Result<NodeIndex, CompileError>) -> NodeIndex {
        match r {
            Ok(n) => n,
            Err(e) => {
                self.first_error.get_or_insert(e);
                NodeIndex::end()
            }
        }
    }

    /// A graph input; a 0 in `dims` is the symbolic batch dimension.
    pub fn input(&mut self, name: &str, dims: &[usize]) -> NodeIndex {
        let shape = Shape(
            dims.iter()
                .map(|&d| if d == 0 { Dim::Batch } else { Dim::Fixed(d) })
                .collect(),
        );
        let r = self.g.add_input(name, shape);
        self.keep(r)
    }

    pub fn constant(&mut self, name: &str, data: ArrayD<f32>) -> NodeIndex {
        let r = self.g.add_const(name, TensorData::F32(data));
        self.keep(r)
    }

    /// A constant of the given shape filled with `f(flat index)`.
    pub fn constant_fn(
        &mut self,
        name: &str,
        dims: &[usize],
        f: impl Fn(usize) -> f32,
    ) -> NodeIndex {
        let n: usize = dims.iter().product();
        let a = ArrayD::from_shape_vec(IxDyn(dims), (0..n).map(f).collect())
            .expect("shape matches length");
        self.constant(name, a)
    }

    pub fn op(
        &mut self,
        name: &str,
        op: impl Into<Op>,
        inputs: &[NodeIndex],
    ) -> Result<NodeIndex, CompileError> {
        if let Some(e) = self.first_error.take() {
            return Err(e);
        }
        self.g.add_node(name, name, op, inputs)
    }

    pub fn output(&mut self, n: NodeIndex) {
        let name = self.g.get(n).map(|x| x.tensor.clone()).unwrap_or_default();
        self.g.add_output(name, n);
    }

    pub fn finish(self) -> Result<Graph, CompileError> {
        if let Some(e) = self.first_error {
            return Err(e);
        }
        self.g.verify_after("builder")?;
        Ok(self.g)
    }
}
