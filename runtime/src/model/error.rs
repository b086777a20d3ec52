//! Errors of loading and running a compiled model. Each names what it is about: the layer (index,
//! name, op), the tensor, or the input.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not a compiled model (not protobuf, or another magic).
    #[error("not a compiled binpoint model: {0}")]
    Decode(String),
    /// A compiled model of another format version.
    #[error(
        "compiled model format version {found} is not supported (this binpoint reads version \
         {supported}): compile the model again"
    )]
    Version { found: u32, supported: u32 },
    /// A tensor whose shape or type is invalid.
    #[error("tensor {index} '{name}': {reason}")]
    Tensor {
        index: usize,
        name: String,
        reason: String,
    },
    /// A layer whose config, constants or tensors do not fit its kernel (or a kernel this runtime
    /// does not have).
    #[error("layer {index} '{layer}' ({op}): {reason}")]
    Layer {
        index: usize,
        layer: String,
        op: String,
        reason: String,
    },
    /// The model as a whole (its inputs, outputs, size).
    #[error("compiled model: {0}")]
    Model(String),
    /// Inputs that do not fit the model.
    #[error("input: {0}")]
    Input(String),
}

/// What a layer error needs to name the layer.
#[derive(Clone, Copy)]
pub(crate) struct LayerRef<'a> {
    pub index: usize,
    pub name: &'a str,
    pub op: &'a str,
}

impl LayerRef<'_> {
    pub fn err(&self, reason: impl fmt::Display) -> ModelError {
        ModelError::Layer {
            index: self.index,
            layer: self.name.to_string(),
            op: self.op.to_string(),
            reason: reason.to_string(),
        }
    }
}
