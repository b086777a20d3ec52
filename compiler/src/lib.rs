//! binpoint: compile a trained ONNX model into a fixed-point FPGA accelerator.
//!
//! Frontend pipeline: [`onnx::load_file`] → [`ir::Graph`] → [`passes::cleanup`] → [`eval::run_f32`]
//! (float reference) and [`inspect::report`].

pub mod emit;
pub mod error;
pub mod eval;
pub mod ir;
pub mod learn;
pub mod onnx;
pub mod passes;
pub mod quant;

/// `binpoint inspect`: per-layer shapes, parameters and MACs.
pub mod inspect {
    pub use crate::ir::inspect::{report, InspectReport, LayerReport, Totals};
}

pub use error::CompileError;
pub use ir::Graph;

/// Loads an ONNX file and runs the cleanup pipeline: the float IR every later phase starts from.
pub fn load_float_graph(
    path: impl AsRef<std::path::Path>,
    opts: &passes::CleanupOptions,
) -> Result<Graph, CompileError> {
    let mut g = onnx::load_file(path)?;
    passes::cleanup(&mut g, opts)?;
    Ok(g)
}
pub mod board;
pub mod estimate;
pub mod lower;
pub mod report;
