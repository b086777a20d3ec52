//! Errors of the testbench: each says what failed and how to fix it.

use std::path::PathBuf;

use binpoint_runtime::{FixedError, FixedType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ap_types headers or g++ cannot be found (`binpoint::emit::hls::ap_types`).
    #[error(transparent)]
    Tool(#[from] binpoint::emit::hls::ap_types::ToolError),

    /// g++ or a compiled program failed (`binpoint::emit::hls::gxx`, the one harness).
    #[error(transparent)]
    Gxx(#[from] binpoint::emit::hls::gxx::GxxError),

    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the oracle program's output is malformed: {0}")]
    Output(String),

    #[error("{ty} cannot be checked against the header: {reason}")]
    Unsupported { ty: FixedType, reason: &'static str },

    #[error(transparent)]
    Fixed(#[from] FixedError),
}

impl Error {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
