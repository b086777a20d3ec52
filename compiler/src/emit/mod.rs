//! Emitters: the validated compiled model (`binpoint_runtime::model::Model`) and the hardware plan
//! ([`crate::hardware::Hardware`]) as source code; they read both and decide nothing. [`ident`]
//! makes names from the model file safe for any of them.
//! - [`hls`]: `OUT/firmware/` and `OUT/tb/`, Vitis HLS C++ and its C-simulation testbench;
//! - [`scripts`]: `OUT/scripts/`, what takes the firmware to a running board;
//! - [`sim`]: `OUT/sim/`, a standalone Cargo crate of straight-line Rust (docs/emit-sim.md).

pub mod hls;
pub mod ident;
pub mod rtl;
pub mod scripts;
pub mod sim;
