//! binpoint: compile a trained ONNX model into a fixed-point FPGA accelerator.
//!
//! Frontend pipeline: [`onnx::load_file`] → [`ir::Graph`] → [`passes::cleanup`] → [`eval::run_f32`]
//! (float reference) and [`inspect::report`].

pub mod error;
pub mod eval;
pub mod ir;
pub mod onnx;
pub mod passes;

/// `binpoint inspect`: per-layer shapes, parameters and MACs.
pub mod inspect {
    pub use crate::ir::inspect::{report, InspectReport, LayerReport, Totals};
}

pub use error::CompileError;
pub use ir::Graph;
