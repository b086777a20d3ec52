//! binpoint's runtime: the Rust twin of the fixed-point arithmetic that Vitis HLS
//! synthesizes. [`fixed`] reproduces Xilinx's `ap_fixed` / `ap_ufixed` bit for bit
//! (checked against the real `ap_types` headers by the `binpoint-testbench` crate).

pub mod fixed;

pub use fixed::{Fixed, FixedError, FixedType, Overflow, Rounding};
pub mod model;
pub mod ops;
