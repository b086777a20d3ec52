//! Errors of the learning stage: each names the node and its op, or the option at fault.

use crate::error::CompileError;
use crate::quant::QuantError;

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// An op (or typed kernel) the learning forward does not compute.
    #[error("{file}: node '{node}' ({op}): {reason}")]
    Unsupported {
        file: String,
        node: String,
        op: String,
        reason: String,
    },
    /// Something wrong at one node while learning.
    #[error("node '{node}' ({op}): {reason}")]
    Node {
        node: String,
        op: String,
        reason: String,
    },
    /// An option or input that cannot be learned from (epochs 0, labels that do not fit, ...).
    #[error("--learn: {0}")]
    Options(String),
    #[error(transparent)]
    Quant(Box<QuantError>),
    #[error(transparent)]
    Compile(Box<CompileError>),
}

impl From<QuantError> for LearnError {
    fn from(e: QuantError) -> LearnError {
        LearnError::Quant(Box::new(e))
    }
}

impl From<CompileError> for LearnError {
    fn from(e: CompileError) -> LearnError {
        LearnError::Compile(Box::new(e))
    }
}

impl LearnError {
    pub fn node(node: &str, op: &str, reason: impl Into<String>) -> LearnError {
        LearnError::Node {
            node: node.into(),
            op: op.into(),
            reason: reason.into(),
        }
    }

    /// A failure inside the autodiff library, at `node`.
    pub fn candle(node: &str, op: &str, e: candle_core::Error) -> LearnError {
        LearnError::node(node, op, format!("autodiff (candle): {e}"))
    }
}
