//! The hardware plan: the one decision about the hardware of a compile, made once by the pipeline
//! (`pipeline::plan_hardware`) and only read after that: by the HLS emitter (pragmas, interface),
//! the estimator, the scripts (part, clock, interface), the report and `verify --regenerate`.
//!
//! It holds the board, the HLS clock, the data interface of the top function and, for every layer
//! of the compiled model in order, its strategy, reuse factor and how its multiplies are built.
//! `compile` stores it as `OUT/hardware.json` ([`Hardware::to_json`], [`Hardware::load`]); a plan
//! that does not match the model it is used with is an error ([`Hardware::check`]), never a
//! fallback. No emitter chooses a reuse factor.

use std::collections::BTreeMap;
use std::path::Path;

use binpoint_runtime::model::Model;
use binpoint_runtime::ops::{
    closest_reuse_factor, reuse_is_valid, valid_reuse_factors, MacStrategy,
};
use serde::{Deserialize, Serialize};

use crate::board::Board;

/// The file `compile` writes the plan to, inside OUT.
pub const FILE_NAME: &str = "hardware.json";

/// The version of `hardware.json`; a reader refuses any other.
pub const FORMAT_VERSION: u32 = 2;

/// The data interface of the top function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interface {
    /// `m_axi` pointers for the data (bundles gmem0, gmem1), `s_axilite` for the pointers,
    /// `n_samples` and the return (bundle control).
    #[default]
    #[serde(rename = "m_axi")]
    MAxi,
    /// AXI-Stream (`hls::stream` of `ap_axis` words with TLAST) for the data, `s_axilite` for
    /// `n_samples` and the return.
    #[serde(rename = "axi-stream")]
    AxiStream,
}

impl Interface {
    /// As report.json's `hardware.data_ports` says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::MAxi => "m_axi",
            Interface::AxiStream => "axi-stream",
        }
    }
}

/// How a layer is built, in hls4ml's words (docs/hls-backend.md shows both designs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Every product of a position written out with the weights as compile-time constants (so
    /// HLS builds each product from its constant), pipelined at II = reuse factor; with
    /// [`Io::Parallel`] the whole top function is one pipeline.
    Latency,
    /// Layers one after another, each a loop of `R` steps per position over weights in a ROM.
    #[default]
    Resource,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Latency => "latency",
            Strategy::Resource => "resource",
        }
    }

    /// As the kernels' folding says it.
    pub fn mac(self) -> MacStrategy {
        match self {
            Strategy::Latency => MacStrategy::Latency,
            Strategy::Resource => MacStrategy::Resource,
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Strategy, String> {
        match s.to_ascii_lowercase().as_str() {
            "latency" => Ok(Strategy::Latency),
            "resource" => Ok(Strategy::Resource),
            _ => Err(format!("'{s}': a strategy is latency or resource")),
        }
    }
}

/// How layers pass tensors (hls4ml's `io_type`): a whole-design choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Io {
    /// Every tensor a local array of the top function.
    #[default]
    Parallel,
    /// `hls::stream`s between layers in a `DATAFLOW` region: layers overlap.
    Stream,
}

impl Io {
    pub fn as_str(self) -> &'static str {
        match self {
            Io::Parallel => "parallel",
            Io::Stream => "stream",
        }
    }
}

impl std::str::FromStr for Io {
    type Err = String;
    fn from_str(s: &str) -> Result<Io, String> {
        match s.to_ascii_lowercase().as_str() {
            "parallel" | "io_parallel" => Ok(Io::Parallel),
            "stream" | "io_stream" => Ok(Io::Stream),
            _ => Err(format!("'{s}': io is parallel or stream")),
        }
    }
}

/// How a layer's multiplies are built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MulImpl {
    /// As Vitis HLS chooses: LUTs when an operand has at most
    /// [`crate::estimate::FABRIC_MAX_BITS`] bits, else DSPs.
    #[default]
    Auto,
    /// DSP slices (`#pragma HLS bind_op op=mul impl=dsp`).
    Dsp,
    /// LUTs (`#pragma HLS bind_op op=mul impl=fabric`).
    Fabric,
    /// Constant multiplies lowered to shifts and adds (K-hot weights): no DSP.
    ShiftAdd,
}

/// The plan of one layer. The reuse factor has hls4ml's meaning: each multiplier serves `R` of
/// the `fan_in · n_out` products of a position (a dense layer, or one output pixel of a
/// convolution), so a position takes `R` cycles on `block_factor = fan_in · n_out / R`
/// multipliers. `R` satisfies hls4ml's rule ([`binpoint_runtime::ops::reuse_is_valid`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerPlan {
    pub name: String,
    /// The runtime kernel (`dense`, `conv2d`, `relu`, ...).
    pub kernel: String,
    pub strategy: Strategy,
    /// Products per output value of a MAC layer (1 for other layers).
    pub fan_in: u64,
    /// Output values of a position that share its inputs (dense: `n_out`, conv: `C_out`; 1 for
    /// other layers).
    pub n_out: u64,
    /// Products each multiplier serves; cycles per position. 1 for non-MAC layers.
    pub reuse_factor: u64,
    /// `fan_in · n_out / reuse_factor`: parallel multipliers.
    pub block_factor: u64,
    /// Set by the multiplier-free rewrites (K-hot → [`MulImpl::ShiftAdd`]) or by hand.
    pub mul_impl: MulImpl,
    /// A `resource` convolution partitions its input and output arrays when a step reads or
    /// writes more words than an array has ports (registers and multiplexers instead of a
    /// block RAM; [`binpoint_runtime::ops::MacFold::conv_in_banks`]). The chooser may clear it
    /// to save them. Plans written before it existed read as `false` (what they built). Always
    /// `false` in a stream design, whose kernels read line buffers held in registers.
    #[serde(default)]
    pub partition: bool,
}

impl LayerPlan {
    /// Products of one position.
    pub fn products(&self) -> u64 {
        self.fan_in.max(1) * self.n_out.max(1)
    }

    /// Sets the reuse factor to the valid one nearest `r` (hls4ml's rule; ties: the smaller)
    /// and the block factor with it; returns the factor set.
    pub fn set_reuse(&mut self, r: u64) -> u64 {
        let (n_in, n_out) = (self.fan_in.max(1) as usize, self.n_out.max(1) as usize);
        let r = closest_reuse_factor(n_in, n_out, r.clamp(1, self.products()) as usize) as u64;
        self.reuse_factor = r;
        self.block_factor = self.products().div_ceil(r);
        r
    }

    /// Every valid reuse factor of this layer, ascending.
    pub fn valid_reuse(&self) -> Vec<u64> {
        valid_reuse_factors(self.fan_in.max(1) as usize, self.n_out.max(1) as usize)
            .into_iter()
            .map(|r| r as u64)
            .collect()
    }

    /// A multiply-accumulate layer: its reuse factor folds multipliers.
    pub fn is_mac(&self) -> bool {
        self.fan_in > 1 || binpoint_runtime::ops::kernel(&self.kernel).is_some_and(|k| k.mac)
    }
}

/// The hardware of one compile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    pub format_version: u32,
    #[serde(with = "board_name")]
    pub board: &'static Board,
    /// HLS clock period in ns.
    pub clock_ns: f64,
    pub interface: Interface,
    /// How layers pass tensors.
    pub io: Io,
    /// How the reuse factors were chosen, in words (report.json `hardware.folding`).
    pub chosen_by: String,
    /// Every layer of the compiled model, in order.
    pub layers: Vec<LayerPlan>,
}

/// A plan that cannot be read or does not match its model.
#[derive(Debug, thiserror::Error)]
pub enum HardwareError {
    #[error("{file}: cannot read the hardware plan: {reason}")]
    Read { file: String, reason: String },
    #[error("the hardware plan does not match the compiled model: {0}")]
    Mismatch(String),
    #[error("the hardware plan: {0}")]
    Invalid(String),
}

impl Hardware {
    /// The plan of layer `index`, which must be named `name` (the model's layer).
    pub fn layer(&self, index: usize, name: &str) -> Result<&LayerPlan, HardwareError> {
        match self.layers.get(index) {
            Some(l) if l.name == name => Ok(l),
            Some(l) => Err(HardwareError::Mismatch(format!(
                "layer {index} is '{name}' in the model and '{}' in the plan",
                l.name
            ))),
            None => Err(HardwareError::Mismatch(format!(
                "layer {index} '{name}' has no plan ({} layers planned)",
                self.layers.len()
            ))),
        }
    }

    /// Every layer of `model` planned, in order, with its kernel; every reuse factor in
    /// `1..=fan_in` and every block factor `ceil(fan_in / reuse)`.
    pub fn check(&self, model: &Model) -> Result<(), HardwareError> {
        if self.format_version != FORMAT_VERSION {
            return Err(HardwareError::Invalid(format!(
                "format version {} (this binpoint reads {FORMAT_VERSION})",
                self.format_version
            )));
        }
        if !(self.clock_ns.is_finite() && (1.0..=1000.0).contains(&self.clock_ns)) {
            return Err(HardwareError::Invalid(format!(
                "clock period {} ns (expected 1 to 1000 ns)",
                self.clock_ns
            )));
        }
        if self.layers.len() != model.layers().len() {
            return Err(HardwareError::Mismatch(format!(
                "{} layers planned, the model has {}",
                self.layers.len(),
                model.layers().len()
            )));
        }
        for (i, l) in model.layers().iter().enumerate() {
            let p = self.layer(i, &l.name)?;
            if p.kernel != l.kernel() {
                return Err(HardwareError::Mismatch(format!(
                    "layer {i} '{}' runs kernel {} in the model and {} in the plan",
                    l.name,
                    l.kernel(),
                    p.kernel
                )));
            }
            let valid = reuse_is_valid(
                p.fan_in.max(1) as usize,
                p.n_out.max(1) as usize,
                p.reuse_factor as usize,
            );
            if !valid || p.block_factor != p.products().div_ceil(p.reuse_factor.max(1)) {
                return Err(HardwareError::Invalid(format!(
                    "layer {i} '{}': reuse factor {} and block factor {} for {} × {} products \
                     (valid reuse factors: {})",
                    l.name,
                    p.reuse_factor,
                    p.block_factor,
                    p.fan_in,
                    p.n_out,
                    short_list(&p.valid_reuse())
                )));
            }
        }
        Ok(())
    }

    /// The reuse factor of every multiply-accumulate layer, by layer name.
    pub fn reuse_map(&self) -> BTreeMap<String, usize> {
        self.layers
            .iter()
            .filter(|l| l.is_mac())
            .map(|l| (l.name.clone(), l.reuse_factor as usize))
            .collect()
    }

    /// `hardware.json`: pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Hardware, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Reads `OUT/hardware.json` and checks it against `model`.
    pub fn load(out: &Path, model: &Model) -> Result<Hardware, HardwareError> {
        let path = out.join(FILE_NAME);
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| HardwareError::Read {
            file: file.clone(),
            reason: format!("{e} (binpoint compile writes it; compile again)"),
        })?;
        let hw = Hardware::from_json(&text).map_err(|reason| HardwareError::Read {
            file: file.clone(),
            reason,
        })?;
        hw.check(model)?;
        Ok(hw)
    }
}

/// At most 16 values, then how many there are.
pub fn short_list(v: &[u64]) -> String {
    let shown: Vec<String> = v.iter().take(16).map(u64::to_string).collect();
    if v.len() > shown.len() {
        format!("{}, ... ({} in all)", shown.join(", "), v.len())
    } else {
        shown.join(", ")
    }
}

/// A board is stored by its `--board` name and must be one binpoint knows.
mod board_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::board::Board;

    pub fn serialize<S: Serializer>(b: &&'static Board, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(b.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Board, D::Error> {
        let name = String::deserialize(d)?;
        Board::lookup(&name).map_err(serde::de::Error::custom)
    }
}
