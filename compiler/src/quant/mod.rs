//! Fixed-point typing: from a cleaned-up float graph to a graph where every tensor has an
//! `ap_fixed` type (see docs/precision.md).
//!
//! The stages, in the order they run:
//! 1. [`config`]: the precision config (`--bits W` or a TOML file): word lengths, fixed integer bits,
//!    Q/O modes, table sizes, by model default, op type and layer/tensor name.
//! 2. [`calibrate`]: the float model run on real inputs, per-tensor ranges (max-abs or a percentile);
//!    or [`ranges`]: interval propagation from an input range, for safe integer bits without data.
//! 3. [`typing`]: the typing pass. Every tensor gets a type, every layer its kernel types
//!    (weights, biases, accumulators that cannot overflow, LUTs, pooling reciprocals): a [`TypedGraph`].
//! 4. [`typed::verify_typed`]: no tensor left without a type, accumulators wide enough.
//! 5. [`calibrate::count_saturations`]: how many calibration values each chosen type clips.
//!
//! [`stage::calibrate_and_type`] runs 2-3 after the K-hot projection of the weights ([`khot`]): the
//! one way every caller types a graph.

pub mod bits;
pub mod calibrate;
pub mod config;
mod error;
pub mod khot;
pub mod lut;
pub mod ranges;
pub mod serde_fixed;
pub mod stage;
mod trace;
pub mod typed;
pub mod typing;

pub use calibrate::{
    calibrate, count_saturations, fit_input, load_npy, propagation_range, saturations_on_data,
    Calibration, DataSaturation, Method, SaturationCount, TensorStats,
};
pub use config::{ConfigError, Level, PrecisionConfig, Resolved};
pub use error::QuantError;
pub use lut::{LutFunction, LutSpec};
pub use ranges::{propagate, Interval};
pub use stage::{calibrate_and_type, project_weights, Ranges};
pub use typed::{
    verify_typed, Kernel, LayerTypes, Reciprocal, ScalarConst, TypeOrigin, TypedGraph, TypedTensor,
};
pub use typing::{type_graph, RangeSource};
