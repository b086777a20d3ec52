//! binpoint: compile a trained ONNX model into a fixed-point FPGA accelerator.
//!
//! [`compile`] runs the pipeline ([`pipeline`], docs/architecture.md); its modules, by layer
//! (each imports only the ones above it in this list, never one below):
//! - leaves: [`error`], [`input`] (regular files only), [`rules`] (rule types shared by the config and the phases), [`board`],
//!   [`npy`] (the one `.npy` reader);
//! - the IR and its front end: [`ir`], [`onnx`] (the only module that sees protobuf), [`eval`]
//!   (float reference, argmax and accuracy);
//! - phases, in the order they run: [`passes`] (cleanup), [`compress`] (low-rank), [`quant`]
//!   (precision config, K-hot projection, calibration, typing), [`learn`] (learned binary
//!   points), [`lower`] (typed graph → compiled model);
//! - the hub: the validated compiled model (`binpoint_runtime::model::Model`) and the hardware
//!   plan ([`hardware`]);
//! - backends, which read the hub: [`estimate`], [`emit`] (`hls`, `sim`, `scripts`), [`report`];
//! - [`pipeline`]: the stages in order, and `Compiled`.

pub mod board;
pub mod error;
pub mod input;
pub mod npy;
pub mod rules;

pub mod eval;
pub mod ir;
pub mod onnx;

pub mod compress;
pub mod learn;
pub mod lower;
pub mod passes;
pub mod quant;

pub mod dataflow;
pub mod hardware;

pub mod emit;
pub mod estimate;
pub mod report;

pub mod pipeline;

/// `binpoint inspect`: per-layer shapes, parameters and MACs.
pub mod inspect {
    pub use crate::ir::inspect::{report, InspectReport, LayerReport, Totals};
}

pub use error::CompileError;
pub use ir::Graph;
pub use pipeline::{compile, CompileOptions, Compiled};

/// The float reference of an ONNX file: the cleanup pipeline without fold-quantizers
/// ([`passes::registry::FLOAT_REFERENCE`]), so the model's own quantizers (QONNX `Quant`,
/// `BipolarQuant`, QDQ pairs) still round and clamp, as the qonnx executor and onnxruntime compute
/// them. For a model without quantizers it is the graph [`load_float_graph`] gives.
pub fn load_reference_graph(
    path: impl AsRef<std::path::Path>,
    opts: &passes::CleanupOptions,
) -> Result<Graph, CompileError> {
    let mut g = onnx::load_file(path)?;
    passes::run_pipeline(&mut g, passes::registry::FLOAT_REFERENCE, opts)?;
    Ok(g)
}

/// Loads an ONNX file and runs the cleanup pipeline: the float IR every later phase starts from.
/// With quantizers in the model, fold-quantizers has turned them into types: its float evaluation
/// is then the model without its activation quantizers; [`load_reference_graph`] keeps them.
pub fn load_float_graph(
    path: impl AsRef<std::path::Path>,
    opts: &passes::CleanupOptions,
) -> Result<Graph, CompileError> {
    let mut g = onnx::load_file(path)?;
    passes::cleanup(&mut g, opts)?;
    Ok(g)
}
