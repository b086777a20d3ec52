//! Errors of the testbench: each says what failed and how to fix it.

use std::path::PathBuf;
use std::process::ExitStatus;

use binpoint_runtime::{FixedError, FixedType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "AP_TYPES_INCLUDE={dir} has no ap_fixed.h: point it at a folder holding Xilinx's ap_types \
         headers (e.g. $XILINX_HLS/include), or unset it to download them from the hls4ml wheel"
    )]
    ApTypesEnv { dir: PathBuf },

    #[error("could not run `{cmd}`: {source}. {hint}")]
    Spawn {
        cmd: String,
        source: std::io::Error,
        hint: &'static str,
    },

    #[error("`{cmd}` failed ({status}). {hint}\n{stderr}")]
    CommandFailed {
        cmd: String,
        status: ExitStatus,
        stderr: String,
        hint: &'static str,
    },

    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "reading the hls4ml wheel {}: {source}. Delete it and retry, or set AP_TYPES_INCLUDE",
        path.display()
    )]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },

    #[error(
        "the hls4ml wheel {} has no ap_fixed.h under {prefix}; set AP_TYPES_INCLUDE to a folder \
         with the ap_types headers",
        path.display()
    )]
    WheelLayout { path: PathBuf, prefix: &'static str },

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
