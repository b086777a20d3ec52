//! The opset check and the adaptation of old opsets, the second stage of loading.
//!
//! binpoint reads the default ONNX domain at opsets [`MIN_OPSET`]..=[`MAX_OPSET`]. Like onnx's version
//! converter, but in place and only for what the converters would misread, [`adapt`] rewrites the node
//! forms that opsets 6-8 wrote and later opsets removed, before any node is converted:
//!
//! | op (form removed in) | old form | adaptation |
//! |---|---|---|
//! | BatchNormalization (7) | `is_test` | 1 dropped; 0 (training mode) refused |
//! | BatchNormalization (9) | `spatial` | 1 dropped; 0 (per-activation statistics) refused |
//! | Dropout (7) | `is_test` | dropped (binpoint compiles inference, where Dropout is the identity) |
//! | Gemm (7) | `broadcast` | dropped: C broadcasts unidirectionally from opset 7 on, a superset |
//!
//! Add, Sub, Mul and Div before opset 7 (`broadcast`, `axis`: B aligned at `axis` of A) need A's rank,
//! so their converter adapts them (`ops::binary`). The forms that changed from attribute to input (Clip, Pad < 11; Squeeze, Unsqueeze < 13; ReduceMean
//! < 18; Dropout's `ratio` < 12) and old axis meanings (Softmax < 13 coerces to 2-D) are read by each
//! op's converter from the model's opset (`NodeCtx::opset`). docs/supported-ops.md has the full table.

use crate::error::CompileError;
use onnx_protobuf::{AttributeProto, GraphProto, NodeProto};

/// The oldest opset read: pytorch 0.3 writes opset 6 (`three_layer_bn_pytorch.onnx` of hls4ml's
/// example models). Below 6 `consumed_inputs` attributes and Reshape's `shape` attribute would need
/// more adaptation than any exporter in use today justifies.
pub const MIN_OPSET: i64 = 6;
pub const MAX_OPSET: i64 = 21;

/// The default domain's opset, checked against the supported range.
pub fn check(model: &onnx_protobuf::ModelProto, file: &str) -> Result<i64, CompileError> {
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| CompileError::InvalidModel {
            file: file.into(),
            reason: "no opset_import for the default ONNX domain".into(),
        })?;
    if !(MIN_OPSET..=MAX_OPSET).contains(&opset) {
        return Err(CompileError::UnsupportedOpset {
            file: file.into(),
            domain: "ai.onnx".into(),
            opset,
            min: MIN_OPSET,
            max: MAX_OPSET,
        });
    }
    Ok(opset)
}

/// Rewrites the old node forms of the table above in place; refuses the ones that have no exact
/// modern form with an error naming the node.
pub fn adapt(graph: &mut GraphProto, opset: i64, file: &str) -> Result<(), CompileError> {
    for (i, node) in graph.node.iter_mut().enumerate() {
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            continue;
        }
        let name = node_label(node, i);
        let refuse = |attr: &'static str, reason: String| CompileError::Attribute {
            file: file.into(),
            node: name.clone(),
            op: node.op_type.clone(),
            attr,
            reason,
        };
        match node.op_type.as_str() {
            "BatchNormalization" => {
                if opset < 7 && int_attr(node, "is_test").unwrap_or(0) == 0 {
                    return Err(refuse(
                        "is_test",
                        format!(
                            "is 0 (training mode, opset {opset} < 7): only inference \
                             (is_test = 1) is supported"
                        ),
                    ));
                }
                if opset < 9 && int_attr(node, "spatial").unwrap_or(1) == 0 {
                    return Err(refuse(
                        "spatial",
                        format!(
                            "is 0 (per-activation mean and variance, opset {opset} < 9): only \
                             per-channel statistics (spatial = 1) are supported"
                        ),
                    ));
                }
                drop_attrs(node, &["is_test", "spatial", "consumed_inputs"]);
            }
            "Dropout" if opset < 7 => drop_attrs(node, &["is_test"]),
            "Gemm" if opset < 7 => drop_attrs(node, &["broadcast"]),
            _ => {}
        }
    }
    Ok(())
}

fn node_label(n: &NodeProto, i: usize) -> String {
    if !n.name.is_empty() {
        n.name.clone()
    } else {
        n.output.first().cloned().unwrap_or(format!("#{i}"))
    }
}

fn int_attr(n: &NodeProto, name: &str) -> Option<i64> {
    n.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

fn drop_attrs(n: &mut NodeProto, names: &[&str]) {
    n.attribute
        .retain(|a: &AttributeProto| !names.contains(&a.name.as_str()));
}
