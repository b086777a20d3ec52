//! Where Xilinx's `ap_types` headers and g++ come from: the compiler's locator
//! ([`binpoint::emit::hls::ap_types`], which `binpoint verify` uses too), with this crate's errors.
//!
//! In order of preference the headers come from `$AP_TYPES_INCLUDE`, `$XILINX_HLS/include`, or the
//! open-source copy inside the `hls4ml` wheel on PyPI, fetched once with `python3 -m pip download`
//! and cached in `<target>/ap_types/hls4ml-1.3.0/`.

use std::path::PathBuf;

use binpoint::emit::hls::ap_types as locator;

pub use locator::{gxx, target_dir, workspace_root, HLS4ML_VERSION};

use crate::Error;

/// A folder containing `ap_fixed.h` (see the module docs for where it comes from).
pub fn ap_types_include() -> Result<PathBuf, Error> {
    Ok(locator::ap_types_include()?)
}

/// The compiler's `--version` banner (first line); checks that it runs.
pub fn gxx_version() -> Result<String, Error> {
    Ok(locator::gxx_version()?)
}
