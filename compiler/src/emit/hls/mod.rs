//! The HLS backend: a compiled model (`model.bpm`) becomes Vitis HLS C++ (`OUT/firmware/`) and a
//! C-simulation testbench (`OUT/tb/`), bit-exact with the interpreter.
//!
//! ```text
//! Model (validated once) + Hardware ──▶ plan: one HlsLayer per layer (config struct,
//!            constants, kernel calls; one file per kernel family below), buffers, interface
//!            ──askama (hls-templates/firmware, hls-templates/tb)──▶ files ──▶ OUT/firmware, OUT/tb
//! ```
//!
//! Kernel families, as in `lower/`: [`mac`] (dense, conv1d, conv2d, affine), [`pool`],
//! [`elementwise`] (add, sub, mul), [`activation`], [`lut`] (lut, softmax), [`movement`] (view,
//! cast, gather, concat). Every number of a config struct is computed here, from the compiled
//! model and the runtime's kernel configs; the templates only interpolate. Names from the model
//! reach C++ only through [`crate::emit::ident`].
//!
//! [`verify`] builds the firmware and the testbench with g++ against the `ap_types` headers
//! ([`ap_types`]) and compares raw outputs with the interpreter (`binpoint verify`).

mod activation;
pub mod ap_types;
pub mod build;
pub mod config;
mod elementwise;
pub mod gxx;
mod layer;
mod lut;
mod mac;
mod movement;
mod plan;
mod pool;
mod render;
mod stream;
mod stream_top;
pub use config::{ConfigStruct, Member, SubStruct, Typedef};
pub use render::static_header;
pub mod verify;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use binpoint_runtime::model::ModelError;

pub use crate::hardware::Interface;
use crate::hardware::{Hardware, HardwareError};
use binpoint_runtime::model::Model;

/// What the backend emits besides the model itself.
#[derive(Clone, Debug)]
pub struct HlsOptions {
    /// The hardware plan: interface, and every layer's reuse factor (multipliers =
    /// ceil(fan_in / reuse)). The emitter reads it and never chooses.
    pub hardware: Hardware,
    /// Samples per call the interface depths are sized for (co-simulation).
    pub max_batch: usize,
}

/// Samples per call the interface depths are sized for by default.
const MAX_BATCH: usize = 16;

impl HlsOptions {
    pub fn new(hardware: Hardware) -> HlsOptions {
        HlsOptions {
            hardware,
            max_batch: MAX_BATCH,
        }
    }
}

/// Why a model cannot be emitted.
#[derive(Debug, thiserror::Error)]
pub enum HlsError {
    #[error("the compiled model is invalid: {0}")]
    Model(#[from] ModelError),
    #[error(transparent)]
    Hardware(#[from] HardwareError),
    #[error("layer {index} '{name}' ({op}): {reason}")]
    Layer {
        index: usize,
        name: String,
        op: String,
        reason: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("rendering {file}: {source}")]
    Template {
        file: &'static str,
        source: askama::Error,
    },
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl HlsError {
    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> HlsError {
        HlsError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Rendered files: name (relative to their folder) → contents, in name order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    pub files: BTreeMap<String, String>,
}

impl Files {
    /// Writes every file into `dir` (created if missing), replacing files of the same name.
    pub fn write(&self, dir: &Path) -> Result<(), HlsError> {
        fs::create_dir_all(dir).map_err(|e| HlsError::io("creating", dir, e))?;
        for (name, text) in &self.files {
            let path = dir.join(name);
            fs::write(&path, text).map_err(|e| HlsError::io("writing", &path, e))?;
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }
}

/// The firmware of a compiled model: `binpoint_top.cpp`, `binpoint_top.h`, `defines.h`,
/// `parameters.h` and the kernel headers it includes.
pub fn render_firmware(model: &Model, opts: &HlsOptions) -> Result<Files, HlsError> {
    let mut plan = plan::Plan::new(model, opts)?;
    if opts.hardware.io == crate::hardware::Io::Stream {
        plan.stream_top = Some(stream_top::top(&plan, model)?);
    }
    render::firmware(&plan)
}

/// The testbench of a compiled model: `tb.cpp` (see `hls-templates/tb/tb.cpp`).
pub fn render_tb(model: &Model, opts: &HlsOptions) -> Result<Files, HlsError> {
    let plan = plan::Plan::new(model, opts)?;
    render::tb(&plan)
}

/// Writes `OUT/firmware/` for the compiled model.
pub fn write_firmware(model: &Model, out_dir: &Path, opts: &HlsOptions) -> Result<(), HlsError> {
    render_firmware(model, opts)?.write(&out_dir.join("firmware"))
}

/// Writes `OUT/tb/tb.cpp` and, when `vectors` are given, `OUT/tb/input_raw.txt` and
/// `OUT/tb/expected_raw.txt` (raw inputs and the interpreter's raw outputs, see
/// [`verify::Vectors`]).
pub fn write_tb(
    model: &Model,
    out_dir: &Path,
    opts: &HlsOptions,
    vectors: Option<&verify::Vectors>,
) -> Result<(), HlsError> {
    let dir = out_dir.join("tb");
    render_tb(model, opts)?.write(&dir)?;
    if let Some(v) = vectors {
        v.write(&dir)?;
    }
    Ok(())
}

/// Everything the HLS flow needs in OUT, as `binpoint compile` should write it: `OUT/firmware/`,
/// and `OUT/tb/` with [`verify::TB_VECTORS`] vectors (seed 0, outputs from the interpreter) for
/// C simulation and co-simulation. Deterministic: the same model gives the same bytes.
pub fn write_hls(model: &Model, out_dir: &Path, opts: &HlsOptions) -> Result<(), HlsError> {
    let vectors = verify::Vectors::generate(model, verify::TB_VECTORS, 0, None)?;
    write_firmware(model, out_dir, opts)?;
    write_tb(model, out_dir, opts, Some(&vectors))
}
