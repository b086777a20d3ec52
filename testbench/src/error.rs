//! Errors of the testbench: each says what failed and how to fix it.

use std::path::PathBuf;
use std::process::ExitStatus;

use binpoint_runtime::{FixedError, FixedType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ap_types headers or g++ cannot be found (`binpoint::emit::hls::ap_types`).
    #[error(transparent)]
    Tool(#[from] binpoint::emit::hls::ap_types::ToolError),

    #[error("could not run `{cmd}`: {source}. {hint}")]
    Spawn {
        cmd: String,
        source: std::io::Error,
        hint: &'static str,
    },

    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("g++ could not compile the oracle program {}:\n{stderr}", source_path.display())]
    Compile {
        source_path: PathBuf,
        stderr: String,
    },

    #[error("the oracle program {} failed ({status}):\n{stderr}", program.display())]
    Run {
        program: PathBuf,
        status: ExitStatus,
        stderr: String,
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
