//! QONNX's channels-last wrappers (domain `qonnx.custom_op.channels_last`: `Conv`, `MaxPool`,
//! `BatchNormalization`): the standard op on NHWC data. As the qonnx executor runs them, input 0
//! (and, for Conv, the weight: `[C_out, k_h, k_w, C_in/group]`) is transposed to channels-first,
//! the standard op runs, and its output is transposed back. binpoint loads exactly that: IR
//! Transposes (index mapping in hardware; a Transpose of a constant weight is folded by
//! constant-folding) around the channels-first op, so the kernels run in one layout (NCHW).
use super::R;
use crate::ir::ops::Transpose;
use crate::onnx::context::{NodeCtx, Value};
use onnx_protobuf::NodeProto;
use petgraph::stable_graph::NodeIndex;

/// The channels-first op types this wrapper accepts (qonnx's list).
pub const WRAPPED: &[&str] = &["Conv", "MaxPool", "BatchNormalization"];

/// `[0, r-1, 1, .., r-2]`: NHWC → NCHW.
fn to_first(rank: usize) -> Vec<usize> {
    let mut p = vec![0, rank - 1];
    p.extend(1..rank - 1);
    p
}

/// `[0, 2, .., r-1, 1]`: NCHW → NHWC.
fn to_last(rank: usize) -> Vec<usize> {
    let mut p = vec![0];
    p.extend(2..rank);
    p.push(1);
    p
}

fn transpose(
    c: &mut NodeCtx,
    x: NodeIndex,
    perm: Vec<usize>,
    tensor: &str,
) -> Result<NodeIndex, crate::error::CompileError> {
    let name = c.l.graph.fresh_name(&format!("{}_{tensor}", c.name));
    c.l.graph
        .add_node(name.clone(), name, Transpose { perm }, &[x])
}

pub fn convert(c: &mut NodeCtx) -> R {
    let op = c.op().to_string();
    if !WRAPPED.contains(&op.as_str()) {
        return Err(c.unsupported(format!(
            "the channels-last wrapper holds only {}",
            WRAPPED.join(", ")
        )));
    }
    let rank = c.shape(0)?.rank();
    if !(3..=4).contains(&rank) {
        return Err(c.shape_err(format!(
            "a channels-last {op} needs a 3-D or 4-D input, not rank {rank}"
        )));
    }
    // The channels-first node: inputs 0 (and 1 for Conv) renamed to transposed tensors.
    let mut inner: NodeProto = c.node.clone();
    inner.domain = String::new();
    let transposed = if op == "Conv" { 2 } else { 1 };
    for i in 0..transposed.min(c.n_inputs()) {
        let x = c.data(i)?;
        let r = c.l.graph.node(x).shape.rank();
        if r != rank {
            return Err(c.shape_err(format!("input {i} has rank {r}, the data rank {rank}")));
        }
        let t = transpose(c, x, to_first(rank), "to_nchw")?;
        let tensor = c.l.graph.node(t).tensor.clone();
        c.l.values.insert(tensor.clone(), Value::Node(t));
        inner.input[i] = tensor;
    }
    let out = c.node.output[0].clone();
    let first = c.l.graph.fresh_name(&format!("{out}_nchw"));
    inner.output[0] = first.clone();
    let convert = crate::onnx::registry::lookup(&op)
        .ok_or_else(|| c.unsupported(format!("no converter for {op}")))?;
    let mut ctx = NodeCtx {
        l: c.l,
        node: &inner,
        name: c.name.clone(),
        used: c.used,
    };
    convert(&mut ctx)?;
    let y = match c.l.values.get(&first) {
        Some(Value::Node(n)) => *n,
        _ => return Err(c.unsupported("the channels-first op computed no tensor")),
    };
    let back = transpose(c, y, to_last(rank), "to_nhwc")?;
    c.define(Value::Node(back));
    Ok(())
}
