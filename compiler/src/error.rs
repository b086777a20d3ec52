//! Errors of the library. Every variant names what a user needs to find the problem:
//! the model file, the node and its op.

use std::fmt;

/// One unsupported node: its name, op type (with domain when not the default one) and the model's opset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedOp {
    pub node: String,
    pub op: String,
    pub opset: i64,
}

impl fmt::Display for UnsupportedOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node '{}' ({}, opset {})",
            self.node, self.op, self.opset
        )
    }
}

/// The unsupported ops grouped by type, one line each: count, first node, and the opset once.
/// A QONNX model can have a hundred `Quant` nodes; naming each one made a 10 KB line.
fn list(ops: &[UnsupportedOp]) -> String {
    let mut groups: Vec<(&str, usize, &str)> = Vec::new();
    for o in ops {
        match groups.iter_mut().find(|g| g.0 == o.op) {
            Some(g) => g.1 += 1,
            None => groups.push((&o.op, 1, &o.node)),
        }
    }
    let opset = ops.first().map(|o| o.opset).unwrap_or_default();
    let mut s = format!(
        "{} unsupported op(s) of {} type(s) (model opset {opset}):",
        ops.len(),
        groups.len()
    );
    for (op, count, first) in groups {
        let first = if count == 1 {
            format!("node '{first}'")
        } else {
            format!("first node '{first}'")
        };
        s.push_str(&format!("\n  {op} ×{count}, {first}"));
    }
    s
}

/// `bytes` for people: `8.0 GiB`, `512.0 MiB`, `4096 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} bytes")
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a valid ONNX model (truncated or corrupt protobuf): {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: invalid model: {reason}")]
    InvalidModel { file: String, reason: String },
    #[error("{file}: opset {opset} of domain '{domain}' is not supported (supported: {min}..={max}; upgrade older models with onnx.version_converter)")]
    UnsupportedOpset {
        file: String,
        domain: String,
        opset: i64,
        min: i64,
        max: i64,
    },
    #[error("{file}: {}", list(ops))]
    UnsupportedOps {
        file: String,
        ops: Vec<UnsupportedOp>,
    },
    #[error("{file}: node '{node}' ({op}): {reason}")]
    Unsupported {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
    #[error("{file}: node '{node}' ({op}): input '{input}' is neither a graph input, an initializer nor the output of any node")]
    MissingInput {
        file: String,
        node: String,
        op: String,
        input: String,
    },
    #[error("{file}: graph has a cycle through node '{node}' ({op})")]
    Cycle {
        file: String,
        node: String,
        op: String,
    },
    #[error("{file}: node '{node}' ({op}): bad attribute '{attr}': {reason}")]
    Attribute {
        file: String,
        node: String,
        op: String,
        attr: &'static str,
        reason: String,
    },
    #[error("{file}: node '{node}' ({op}): shape error: {reason}")]
    Shape {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
    #[error("{file}: tensor '{tensor}' (used by node '{node}'): {elements} elements exceed the limit of {limit}")]
    TooLarge {
        file: String,
        node: String,
        tensor: String,
        elements: String,
        limit: u64,
    },
    #[error("{file}: node '{node}' ({op}): its tensor needs {}, and the model's tensors already take {}: over binpoint's budget of {} for all tensors of one sample", human_bytes(*bytes), human_bytes(*used), human_bytes(*limit))]
    MemoryBudget {
        file: String,
        node: String,
        op: String,
        bytes: u64,
        used: u64,
        limit: u64,
    },
    #[error("{file}: tensor '{tensor}': {reason}")]
    Tensor {
        file: String,
        tensor: String,
        reason: String,
    },
    #[error("{file}: tensor '{tensor}': external data: {reason}")]
    ExternalData {
        file: String,
        tensor: String,
        reason: String,
    },
    #[error("{file}: after pass '{pass}': node '{node}' ({op}): {reason}")]
    Verify {
        file: String,
        pass: &'static str,
        node: String,
        op: String,
        reason: String,
    },
    #[error("{file}: pass '{pass}': {reason}")]
    Pass {
        file: String,
        pass: String,
        reason: String,
    },
    #[error("{file}: evaluating node '{node}' ({op}): {reason}")]
    Eval {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
}

pub type Result<T, E = CompileError> = std::result::Result<T, E>;

// Kept under clippy's `result_large_err` threshold (128 bytes) so `Result<_, CompileError>` stays cheap.
const _: () = assert!(std::mem::size_of::<CompileError>() < 128);
