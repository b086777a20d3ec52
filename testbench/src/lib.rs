//! Differential testing of binpoint against Xilinx's `ap_types` headers.
//!
//! - [`ap_types`]: finds the headers (`$AP_TYPES_INCLUDE`, `$XILINX_HLS/include`, or the
//!   hls4ml wheel from PyPI cached under `target/`) and g++.
//! - [`oracle`]: compiles the runtime's conversions and operations as C++ against those
//!   headers and compares raw bits (`tests/differential.rs` runs it on 200k+ cases).

pub mod ap_types;
mod error;
pub mod oracle;

pub use error::Error;
pub mod kernels;
