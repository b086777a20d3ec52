//! The float model run with a tap on every intermediate tensor, over a batch in chunks.
//!
//! Built on the public IR API (`OpSpec::eval`), like `eval::run_f32` but without its onnxruntime
//! rounding-order emulation (irrelevant for ranges) and calling `visit` for every non-constant node.

use super::QuantError;
use crate::ir::{Dim, EvalCtx, Graph, Op};
use ndarray::{ArrayD, Axis, Slice};
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

/// Samples per chunk when the graph has a symbolic batch dimension.
pub const CHUNK: usize = 256;

/// Runs `g` on `inputs` (one array per graph input, samples along axis 0) and calls
/// `visit(node, value)` for every Input and computed node, chunk by chunk, in topological order.
pub fn trace(
    g: &Graph,
    inputs: &[ArrayD<f32>],
    mut visit: impl FnMut(NodeIndex, &ArrayD<f32>) -> Result<(), QuantError>,
) -> Result<(), QuantError> {
    let graph_err = |reason: String| QuantError::node(g, &g.name, "Graph", reason);
    if inputs.len() != g.inputs().len() {
        return Err(graph_err(format!(
            "expects {} inputs, got {}",
            g.inputs().len(),
            inputs.len()
        )));
    }
    let samples = inputs
        .first()
        .map_or(0, |x| x.shape().first().copied().unwrap_or(0));
    let mut chunk = CHUNK;
    for (&i, x) in g.inputs().iter().zip(inputs) {
        let node = g.node(i);
        let dims = node.shape.dims();
        let bad = || {
            QuantError::node(
                g,
                &node.name,
                "Input",
                format!("given shape {:?}, declared {}", x.shape(), node.shape),
            )
        };
        if x.ndim() != dims.len() || x.shape().first() != Some(&samples) {
            return Err(bad());
        }
        for (a, d) in dims.iter().enumerate().skip(1) {
            if *d != Dim::Batch && Some(x.shape()[a]) != d.fixed() {
                return Err(bad());
            }
        }
        // A graph exported with a fixed leading batch runs that many samples at a time.
        if let Some(&Dim::Fixed(b)) = dims.first() {
            if b == 0 || !samples.is_multiple_of(b) {
                return Err(bad());
            }
            chunk = b;
        }
    }
    let order = g
        .topo_order()
        .map_err(|_| graph_err("graph has a cycle".into()))?;
    let consts: HashMap<NodeIndex, ArrayD<f32>> = order
        .iter()
        .filter_map(|&n| g.const_data(n).map(|d| (n, d.to_f32())))
        .collect();
    let uses: HashMap<NodeIndex, usize> = order.iter().map(|&n| (n, g.use_count(n))).collect();
    let mut start = 0;
    while start < samples {
        let len = chunk.min(samples - start);
        let mut values: HashMap<NodeIndex, ArrayD<f32>> = HashMap::new();
        let mut remaining = uses.clone();
        for &n in &order {
            let node = g.node(n);
            let op = node.op.name();
            let value = match &node.op {
                Op::Const(_) => continue,
                Op::Input(_) => {
                    let pos = g.inputs().iter().position(|&i| i == n).unwrap_or(0);
                    inputs[pos]
                        .slice_axis(Axis(0), Slice::from(start..start + len))
                        .to_owned()
                }
                _ => {
                    let ins = g.inputs_of(n);
                    let args: Vec<&ArrayD<f32>> = ins
                        .iter()
                        .map(|i| {
                            values.get(i).or_else(|| consts.get(i)).ok_or_else(|| {
                                QuantError::node(g, &node.name, op, "input not computed")
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    let v = node
                        .op
                        .spec()
                        .eval(&args, &EvalCtx { batch: len })
                        .map_err(|r| QuantError::node(g, &node.name, op, r))?;
                    for i in ins {
                        if let Some(r) = remaining.get_mut(&i) {
                            *r = r.saturating_sub(1);
                            if *r == 0 && !g.is_output(i) {
                                values.remove(&i);
                            }
                        }
                    }
                    v
                }
            };
            visit(n, &value)?;
            values.insert(n, value);
        }
        start += len;
    }
    Ok(())
}
