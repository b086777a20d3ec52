//! Errors of the typing stage. Each names the model file, the node and its op (or the config file,
//! table and key: see [`super::ConfigError`]).

use super::config::ConfigError;
use crate::error::CompileError;

#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A node that cannot be typed as asked (unsupported op, invalid type from the config, ...).
    #[error("{file}: node '{node}' ({op}): {reason}")]
    Node {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
    /// An accumulator (or exact intermediate) wider than the kernel may use: 64 bits, 128 for
    /// the accumulators and products of Dense and Conv layers.
    #[error(
        "{file}: node '{node}' ({op}): the {what} needs {width} bits ({detail}), more than {max}; \
             use fewer bits for this layer or its inputs (e.g. [layer.\"{node}\"] bits = ...)"
    )]
    TooWide {
        file: String,
        node: String,
        op: String,
        what: &'static str,
        width: i64,
        max: u32,
        detail: String,
    },
    /// A tensor without a fixed-point type after typing.
    #[error("{file}: node '{node}' ({op}): {reason}")]
    Untyped {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
    /// Calibration data that cannot be used.
    #[error("{file}: {reason}")]
    Data { file: String, reason: String },
    /// A data file that cannot be read (it names itself).
    #[error(transparent)]
    Npy(#[from] crate::npy::NpyError),
}

impl QuantError {
    pub(crate) fn node(
        g: &crate::ir::Graph,
        node: &str,
        op: &str,
        reason: impl Into<String>,
    ) -> QuantError {
        QuantError::Node {
            file: g.source.clone(),
            node: node.into(),
            op: op.into(),
            reason: reason.into(),
        }
    }
}
