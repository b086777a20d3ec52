//! Exporter idioms adapted on load (after [`super::opset::adapt`], before conversion): pairs of
//! data-movement nodes that exporters wrap around a BatchNormalization, folded so that the BatchNorm
//! can be folded into the layer before it.
//!
//! pytorch 0.3 exported `BatchNorm1d` on `[batch, features]` as `Unsqueeze(axes=[2]) →
//! BatchNormalization → Squeeze(axes=[2])`: an axis inserted at `k ≥ 2` and removed again leaves
//! axis 1, the normalized one, in place, so the pair is dropped (exact).
//!
//! The Keras converters (keras2onnx, onnxmltools) wrap per-channel layers in a pair of Transposes.
//! `Transpose(p) → BatchNormalization → Transpose(p⁻¹)`, with each intermediate tensor used only by
//! the next node, becomes the BatchNormalization alone on the first Transpose's input:
//! - `p` explicit with `p[1] = 1`: the normalized axis is the same before and after, so this is exact;
//! - neither Transpose has a `perm` (both reverse the axes), which onnxmltools writes for a
//!   BatchNormalization after a Dense layer: on a rank-2 `[batch, features]` tensor the BatchNorm then
//!   sees `[features, batch]` and one channel, with one scale per feature, an invalid graph that
//!   onnxruntime refuses ("Invalid input scale: 0th dimension != 1"). Keras meant a per-feature
//!   BatchNorm, which is what the fold gives. The BatchNorm converter checks the rank (2, or 3 where a
//!   reversal keeps axis 1 and the fold is exact) through the [`FOLDED_REVERSAL`] marker.
//!
//! Other Transposes (the channels-last input and output of Keras convolution blocks) are honoured:
//! they become IR Transposes, data movement that the design executes as index mapping.

use onnx_protobuf::{AttributeProto, GraphProto, NodeProto};
use std::collections::HashMap;

/// Internal attribute set on a BatchNormalization folded out of two axis reversals.
pub const FOLDED_REVERSAL: &str = "binpoint.folded_reversal";

/// Folds the pairs around BatchNormalization described in the module docs.
pub fn fold_around_batch_norm(graph: &mut GraphProto) {
    loop {
        let Some((t1, bn, t2)) = find_pair(graph) else {
            return;
        };
        let reversal = graph.node[t1].op_type == "Transpose" && perm(&graph.node[t1]).is_none();
        let (Some(x), Some(y)) = (
            graph.node[t1].input.first().cloned(),
            graph.node[t2].output.first().cloned(),
        ) else {
            return;
        };
        let node = &mut graph.node[bn];
        node.input[0] = x;
        node.output[0] = y;
        if reversal {
            let mut a = AttributeProto::new();
            a.name = FOLDED_REVERSAL.into();
            a.type_ = onnx_protobuf::attribute_proto::AttributeType::INT.into();
            a.i = 1;
            node.attribute.push(a);
        }
        let (hi, lo) = (t1.max(t2), t1.min(t2));
        graph.node.remove(hi);
        graph.node.remove(lo);
    }
}

fn perm(n: &NodeProto) -> Option<Vec<i64>> {
    n.attribute
        .iter()
        .find(|a| a.name == "perm")
        .map(|a| a.ints.clone())
}

fn is_default_domain(n: &NodeProto) -> bool {
    n.domain.is_empty() || n.domain == "ai.onnx"
}

/// The `axes` of an Unsqueeze/Squeeze: its attribute, or its constant second input.
fn axes(graph: &GraphProto, n: &NodeProto) -> Option<Vec<i64>> {
    if let Some(a) = n.attribute.iter().find(|a| a.name == "axes") {
        return Some(a.ints.clone());
    }
    let name = n.input.get(1)?;
    let t = graph.initializer.iter().find(|t| &t.name == name)?;
    // int64 axes in the typed field or as little-endian raw bytes.
    if !t.int64_data.is_empty() {
        return Some(t.int64_data.clone());
    }
    Some(
        t.raw_data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect(),
    )
}

/// Whether `(first, second)` around a BatchNormalization leave its axis 1 in place and undo
/// each other (module docs).
fn foldable(graph: &GraphProto, first: &NodeProto, second: &NodeProto) -> bool {
    match (first.op_type.as_str(), second.op_type.as_str()) {
        ("Unsqueeze", "Squeeze") => match (axes(graph, first), axes(graph, second)) {
            (Some(a), Some(b)) => a.len() == 1 && a == b && a[0] >= 2,
            _ => false,
        },
        ("Transpose", "Transpose") => match (perm(first), perm(second)) {
            (None, None) => true,
            (Some(p), Some(q)) => {
                p.get(1) == Some(&1)
                    && p.len() == q.len()
                    && (0..p.len()).all(|i| {
                        usize::try_from(p[i])
                            .ok()
                            .and_then(|pi| q.get(pi))
                            .is_some_and(|&v| v == i as i64)
                    })
            }
            _ => false,
        },
        _ => false,
    }
}

/// (first node, BatchNormalization, second node) indices of one foldable pair.
fn find_pair(graph: &GraphProto) -> Option<(usize, usize, usize)> {
    let mut users: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        for inp in &n.input {
            users.entry(inp.as_str()).or_default().push(i);
        }
    }
    let graph_outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    // The single user of `tensor`, when `tensor` is not also a graph output.
    let only_user = |tensor: &str| -> Option<usize> {
        match users.get(tensor).map(Vec::as_slice) {
            Some([u]) if !graph_outputs.contains(&tensor) => Some(*u),
            _ => None,
        }
    };
    for (t1, n) in graph.node.iter().enumerate() {
        if !matches!(n.op_type.as_str(), "Transpose" | "Unsqueeze")
            || !is_default_domain(n)
            || n.output.len() != 1
        {
            continue;
        }
        let Some(bn) = only_user(&n.output[0]) else {
            continue;
        };
        let b = &graph.node[bn];
        if b.op_type != "BatchNormalization"
            || !is_default_domain(b)
            || b.input.first() != Some(&n.output[0])
            || b.output.iter().skip(1).any(|o| !o.is_empty())
        {
            continue;
        }
        let Some(t2) = b.output.first().and_then(|o| only_user(o)) else {
            continue;
        };
        let m = &graph.node[t2];
        // Both ends must carry a tensor in and out (a malformed node is left to the converters).
        let wired = n.input.first().is_some_and(|x| !x.is_empty())
            && m.input.first() == b.output.first()
            && m.output.len() == 1
            && !m.output[0].is_empty();
        let foldable = wired && is_default_domain(m) && foldable(graph, n, m);
        if foldable {
            return Some((t1, bn, t2));
        }
    }
    None
}
