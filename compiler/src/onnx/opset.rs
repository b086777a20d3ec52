//! The opset check and the adaptation of old opsets, the second stage of loading.
//!
//! binpoint reads the default ONNX domain at opsets [`MIN_OPSET`]..=[`MAX_OPSET`]. Like onnx's version
//! converter, but in place and only for what the converters would misread, [`adapt`] rewrites the node
//! forms that opsets 5-8 wrote and later opsets removed, before any node is converted:
//!
//! | op (form removed in) | old form | adaptation |
//! |---|---|---|
//! | BatchNormalization (7) | `is_test` | 1 dropped; 0 (training mode) refused |
//! | BatchNormalization (9) | `spatial` | 1 dropped; 0 (per-activation statistics) refused |
//! | Dropout (7) | `is_test` | dropped (binpoint compiles inference, where Dropout is the identity) |
//! | Gemm (7) | `broadcast` | dropped: C broadcasts unidirectionally from opset 7 on, a superset |
//! | every op (6) | `consumed_inputs` | dropped (an in-place hint of opsets 1-5, no meaning) |
//! | Cast (6) | `to` as a string (`"FLOAT"`) | the TensorProto data type number |
//!
//! Add, Sub, Mul and Div before opset 7 (`broadcast`, `axis`: B aligned at `axis` of A) need A's rank,
//! so their converter adapts them (`ops::binary`). The forms that changed from attribute to input (Clip, Pad < 11; Squeeze, Unsqueeze < 13; ReduceMean
//! < 18; Dropout's `ratio` < 12) and old axis meanings (Softmax < 13 coerces to 2-D) are read by each
//! op's converter from the model's opset (`NodeCtx::opset`). docs/supported-ops.md has the full table.

use crate::error::CompileError;
use onnx_protobuf::{AttributeProto, GraphProto, NodeProto};

/// The oldest opset read. Opset 5 is the first whose Reshape takes the target shape as an input;
/// before it Reshape, Concat and others had forms no exporter in use today writes.
pub const MIN_OPSET: i64 = 5;
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
        let op = node.op_type.clone();
        let refuse = |attr: &'static str, reason: String| CompileError::Attribute {
            file: file.into(),
            node: name.clone(),
            op: op.clone(),
            attr,
            reason,
        };
        if opset < 6 {
            drop_attrs(node, &["consumed_inputs"]);
        }
        match op.as_str() {
            "Cast" if opset < 6 => {
                let to = node.attribute.iter_mut().find(|a| a.name == "to");
                if let Some(a) = to.filter(|a| !a.s.is_empty()) {
                    let name = String::from_utf8_lossy(&a.s).to_ascii_uppercase();
                    let Some(code) = data_type(&name) else {
                        return Err(refuse("to", format!("unknown data type '{name}'")));
                    };
                    a.s.clear();
                    a.i = code;
                    a.type_ = onnx_protobuf::attribute_proto::AttributeType::INT.into();
                }
            }
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

/// TensorProto.DataType of a Cast-1 `to` string.
fn data_type(name: &str) -> Option<i64> {
    Some(match name {
        "FLOAT" => 1,
        "UINT8" => 2,
        "INT8" => 3,
        "UINT16" => 4,
        "INT16" => 5,
        "INT32" => 6,
        "INT64" => 7,
        "STRING" => 8,
        "BOOL" => 9,
        "FLOAT16" => 10,
        "DOUBLE" => 11,
        "UINT32" => 12,
        "UINT64" => 13,
        _ => return None,
    })
}
