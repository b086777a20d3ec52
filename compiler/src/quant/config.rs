//! The precision config: `--bits W`, or a TOML file with a model default, overrides per op type and per
//! layer/tensor name, and the calibration settings (docs/precision.md has the full reference).
//!
//! ```toml
//! [default]
//! bits = 16
//! rounding = "AP_RND_CONV"
//! overflow = "AP_SAT"
//!
//! [op.Dense]
//! weight_bits = 8
//!
//! [layer."/fc/Gemm"]
//! type = "ap_fixed<12,4,AP_RND_CONV,AP_SAT>"
//! ```
//!
//! Precedence, key by key: `[layer."name"]` > `[op.Type]` > `[default]` > built-in defaults. Within one
//! table, `weight_bits`/`bias_bits`/`table_bits` refine `bits` for weights, biases and LUT entries.
//! Every table and key is checked; errors name the file, the table and the key.

use super::serde_fixed::{self, AccumSpec};
use crate::hardware::{Io, Strategy};
use crate::ir::{Graph, Node};
use binpoint_runtime::{FixedType, Overflow, Rounding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Word length when nothing says otherwise.
const DEFAULT_BITS: u32 = 16;
const DEFAULT_ROUNDING: Rounding = Rounding::RndConv;
const DEFAULT_OVERFLOW: Overflow = Overflow::Sat;
/// LUT entries when nothing says otherwise (hls4ml's default too).
const DEFAULT_TABLE_SIZE: u32 = 1024;
const MAX_TABLE_SIZE: u32 = 1 << 16;
/// Largest `khot` accepted: a 64-bit weight never needs more than 32 CSD digits.
const MAX_KHOT: u32 = 32;
/// The op types `khot` applies to (layers whose weights are multiplied): the IR's and their ONNX
/// aliases.
const KHOT_OPS: &[&str] = &["Conv", "Dense", "Gemm", "MatMul"];
/// `|int_bits|` accepted in a config.
pub const MAX_ABS_INT_BITS: i32 = 1024;

/// The op types an `[op.NAME]` table may name: the IR's op names (`binpoint inspect` prints them).
const OP_NAMES: &[&str] = &[
    "Input",
    "Const",
    "Conv",
    "Dense",
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "BatchNormalization",
    "Affine",
    "Relu",
    "Clip",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "Selu",
    "HardSigmoid",
    "HardSwish",
    "Softmax",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "ReduceMean",
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "Concat",
    "Pad",
    "Identity",
    "Dropout",
    "Quant",
];

/// ONNX spellings of ops that cleanup turns into another IR op: `(alias, IR op)`. A node of the IR op
/// also reads `[op.<alias>]`, after `[op.<IR op>]`.
pub const OP_ALIASES: &[(&str, &str)] = &[
    ("Gemm", "Dense"),
    ("MatMul", "Dense"),
    ("BatchNormalization", "Affine"),
];

/// The keys of one table (`[default]`, `[op.X]`, `[layer."x"]`). All optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// `W` of layer outputs and inputs, and of weights/biases/LUT entries unless refined below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `I`, fixed: overrides calibration and range propagation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int_bits: Option<i32>,
    /// The whole output type, e.g. `"ap_fixed<8,3,AP_RND_CONV,AP_SAT>"`. Only in `[layer."x"]`, alone.
    #[serde(
        default,
        rename = "type",
        with = "serde_fixed::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ty: Option<FixedType>,
    /// Q mode of every cast into this table's tensors (layer outputs, weights, biases, LUT entries).
    #[serde(
        default,
        with = "serde_fixed::rounding_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rounding: Option<Rounding>,
    /// O mode of the same casts.
    #[serde(
        default,
        with = "serde_fixed::overflow_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub overflow: Option<Overflow>,
    /// `N`, saturation bits of `AP_WRAP`/`AP_WRAP_SM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sat_bits: Option<u32>,
    /// Use `ap_ufixed` for outputs whose range is non-negative (ReLU, Clip(0,6), Sigmoid, Softmax...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsigned: Option<bool>,
    /// `W` of weights (Conv/Dense weights, Affine scales, activation constants, pooling reciprocals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_bits: Option<u32>,
    /// `W` of biases (Conv/Dense biases, Affine shifts, HardSigmoid/HardSwish offsets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_bits: Option<u32>,
    /// Entries of each LUT (Sigmoid, Tanh, Softmax's exp and reciprocal): a power of two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_size: Option<u32>,
    /// `W` of LUT entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_bits: Option<u32>,
    /// Low-rank rule of Dense/Conv layers: `"energy=E"`, `"rank=R"` or `"off"` (docs/low-rank.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_rank: Option<crate::rules::LayerRule>,
    /// K-hot weights: every weight of a Conv/Dense layer gets at most `khot` non-zero signed
    /// power-of-two digits (CSD), and its multiplies become shifts and adds (`quant::khot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub khot: Option<u32>,
    /// The accumulator of Conv/Dense layers: `"exact"` (the default: it holds every partial sum)
    /// or a type such as `"ap_fixed<16,6>"`, honoured step by step as `ap_fixed` does
    /// (docs/precision.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accum: Option<AccumSpec>,
    /// How multiply-accumulate layers are built: `"latency"` or `"resource"` (hls4ml's words,
    /// docs/hls-backend.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Reuse factor (hls4ml's meaning: products per multiplier) of multiply-accumulate layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse: Option<u64>,
    /// `"parallel"` or `"stream"`: one choice for the whole design (a table below `[default]`
    /// may only repeat it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<Io>,
}

impl Level {
    /// Every key, in the order of the docs.
    const KEYS: &'static [&'static str] = &[
        "bits",
        "int_bits",
        "type",
        "rounding",
        "overflow",
        "sat_bits",
        "unsigned",
        "weight_bits",
        "bias_bits",
        "table_size",
        "table_bits",
        "low_rank",
        "khot",
        "accum",
        "strategy",
        "reuse",
        "io",
    ];

    /// `self`'s keys, then `other`'s for those `self` leaves unset.
    fn or(self, other: Level) -> Level {
        Level {
            bits: self.bits.or(other.bits),
            int_bits: self.int_bits.or(other.int_bits),
            ty: self.ty.or(other.ty),
            rounding: self.rounding.or(other.rounding),
            overflow: self.overflow.or(other.overflow),
            sat_bits: self.sat_bits.or(other.sat_bits),
            unsigned: self.unsigned.or(other.unsigned),
            weight_bits: self.weight_bits.or(other.weight_bits),
            bias_bits: self.bias_bits.or(other.bias_bits),
            table_size: self.table_size.or(other.table_size),
            table_bits: self.table_bits.or(other.table_bits),
            low_rank: self.low_rank.or(other.low_rank),
            khot: self.khot.or(other.khot),
            accum: self.accum.or(other.accum),
            strategy: self.strategy.or(other.strategy),
            reuse: self.reuse.or(other.reuse),
            io: self.io.or(other.io),
        }
    }

    /// Range checks of one table; `in_layer` is true for `[layer."x"]` tables.
    fn validate(&self, file: &str, table: &str, in_layer: bool) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: String| ConfigError::BadValue {
            file: file.into(),
            table: table.into(),
            key: key.into(),
            reason,
        };
        for (key, v) in [
            ("bits", self.bits),
            ("weight_bits", self.weight_bits),
            ("bias_bits", self.bias_bits),
            ("table_bits", self.table_bits),
        ] {
            if let Some(w) = v {
                if w == 0 || w > 64 {
                    return Err(bad(key, format!("word length must be in 1..=64, got {w}")));
                }
            }
        }
        if self.reuse == Some(0) {
            return Err(bad(
                "reuse",
                "a reuse factor is a whole number >= 1 (products per multiplier)".into(),
            ));
        }
        if let Some(k) = self.khot {
            if k == 0 || k > MAX_KHOT {
                return Err(bad(
                    "khot",
                    format!(
                        "K must be in 1..={MAX_KHOT} (non-zero signed power-of-two digits per \
                         weight; 1 = power-of-two weights), got {k}"
                    ),
                ));
            }
        }
        if let Some(i) = self.int_bits {
            if i.abs() > MAX_ABS_INT_BITS {
                return Err(bad(
                    "int_bits",
                    format!("must be in -{MAX_ABS_INT_BITS}..={MAX_ABS_INT_BITS}, got {i}"),
                ));
            }
        }
        if let Some(n) = self.sat_bits {
            if n > 64 {
                return Err(bad(
                    "sat_bits",
                    format!("must be in 0..=64 (and at most the word length), got {n}"),
                ));
            }
            if let Some(w) = self.bits.filter(|&w| n > w) {
                return Err(bad(
                    "sat_bits",
                    format!("{n} saturation bits exceed the word length bits = {w}"),
                ));
            }
        }
        if let Some(n) = self.table_size {
            if !n.is_power_of_two() || n > MAX_TABLE_SIZE {
                return Err(bad(
                    "table_size",
                    format!("must be a power of two in 1..={MAX_TABLE_SIZE}, got {n}"),
                ));
            }
        }
        if let Some(t) = self.ty {
            if !in_layer {
                return Err(bad(
                    "type",
                    format!(
                        "a whole type ('{t}') pins one tensor and is only allowed in [layer.\"<name>\"] \
                         tables; use bits/int_bits/rounding/overflow here"
                    ),
                ));
            }
            let clash = [
                ("bits", self.bits.is_some()),
                ("int_bits", self.int_bits.is_some()),
                ("rounding", self.rounding.is_some()),
                ("overflow", self.overflow.is_some()),
                ("sat_bits", self.sat_bits.is_some()),
                ("unsigned", self.unsigned.is_some()),
            ];
            if let Some((key, _)) = clash.iter().find(|c| c.1) {
                return Err(bad(
                    "type",
                    format!("'{t}' already fixes {key}; give either type or {key}, not both"),
                ));
            }
        }
        Ok(())
    }
}

/// How calibration reduces the observed values of a tensor to a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodName {
    /// The largest magnitude seen (default): no calibration value saturates.
    MaxAbs,
    /// The `percentile` of the magnitudes: outliers saturate, the rest gets more fraction bits.
    Percentile,
}

/// The largest `headroom` (integer bits added to calibrated ranges).
pub const MAX_HEADROOM: u32 = 16;

/// `[calibration]`: how ranges are found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<MethodName>,
    /// In (0, 100]; implies `method = "percentile"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// Extra integer bits on every calibrated range (`--headroom BITS`): the range is doubled
    /// `headroom` times before integer bits are chosen, for data wider than the calibration set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headroom: Option<u32>,
    /// Input range for range propagation without calibration data (`--input-range LO,HI`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_range: Option<[f64; 2]>,
}

impl CalibrationConfig {
    const KEYS: &'static [&'static str] = &["method", "percentile", "headroom", "input_range"];

    fn validate(&self, file: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, reason: String| ConfigError::BadValue {
            file: file.into(),
            table: "[calibration]".into(),
            key: key.into(),
            reason,
        };
        if let Some(h) = self.headroom {
            if h > MAX_HEADROOM {
                return Err(bad(
                    "headroom",
                    format!("must be 0..={MAX_HEADROOM} bits, got {h}"),
                ));
            }
        }
        if let Some(p) = self.percentile {
            if !(p > 0.0 && p <= 100.0) {
                return Err(bad("percentile", format!("must be in (0, 100], got {p}")));
            }
            if self.method == Some(MethodName::MaxAbs) {
                return Err(bad(
                    "percentile",
                    "given with method = \"max-abs\"; use method = \"percentile\" or drop it"
                        .into(),
                ));
            }
        }
        if let Some([lo, hi]) = self.input_range {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(bad(
                    "input_range",
                    format!("must be [LO, HI] with finite LO <= HI, got [{lo}, {hi}]"),
                ));
            }
        }
        Ok(())
    }

    /// The calibration method these keys ask for.
    pub fn method(&self) -> super::Method {
        match (self.method, self.percentile) {
            (Some(MethodName::Percentile), p) => super::Method::Percentile(p.unwrap_or(99.99)),
            (None, Some(p)) => super::Method::Percentile(p),
            _ => super::Method::MaxAbs,
        }
    }
}

/// A precision config: where it came from, and its tables.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrecisionConfig {
    /// The file (or `--bits W`) named in errors.
    #[serde(skip)]
    pub source: String,
    #[serde(default)]
    pub default: Level,
    /// `[op.<OpType>]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub op: BTreeMap<String, Level>,
    /// `[layer."<node or tensor name>"]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub layer: BTreeMap<String, Level>,
    #[serde(default)]
    pub calibration: CalibrationConfig,
    /// `[hardware]`: the model-wide `strategy`, `reuse` and `io` (as `[default]`'s keys).
    #[serde(default)]
    pub hardware: HardwareKeys,
}

/// `[hardware]`: the design's strategy, reuse factor and io, model-wide.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<Io>,
}

impl HardwareKeys {
    const KEYS: &'static [&'static str] = &["strategy", "reuse", "io"];
}

/// What the config asks of one layer's hardware.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerHardware {
    pub strategy: Option<HardwareKey<Strategy>>,
    pub reuse: Option<HardwareKey<u64>>,
    pub io: Option<HardwareKey<Io>>,
}

/// One hardware key's value and the table that gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct HardwareKey<T> {
    pub value: T,
    /// `<file> [layer."x"]`, `<file> [op.Conv]`, `<file> [default]`, `<file> [hardware]`.
    pub from: String,
    /// From `[default]` or `[hardware]` (not a layer's or an op's own table).
    pub model_wide: bool,
}

/// Errors in a precision config: each names the file, the table and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: invalid TOML: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: unknown table [{table}] (expected [default], [op.<OpType>], [layer.\"<name>\"], [calibration] or [hardware])")]
    UnknownTable { file: String, table: String },
    #[error("{file}: {table}: unknown key '{key}' (expected one of: {expected})")]
    UnknownKey {
        file: String,
        table: String,
        key: String,
        expected: String,
    },
    #[error("{file}: {table}: {key}: {reason}")]
    BadValue {
        file: String,
        table: String,
        key: String,
        reason: String,
    },
    #[error("{file}: {table}: unknown op type '{op}' (known: {known})")]
    UnknownOp {
        file: String,
        table: String,
        op: String,
        known: String,
    },
    #[error(
        "{file}: {table}: no layer or tensor named '{name}' in model {model}{hint} \
             (names are those of the cleaned-up graph: see `binpoint inspect`)"
    )]
    UnknownLayer {
        file: String,
        table: String,
        name: String,
        model: String,
        hint: String,
    },
}

/// Ops whose output is `ap_ufixed` unless a table says `unsigned = false`: functions whose range
/// is non-negative by definition, where a sign bit would only halve the output's resolution (a
/// signed 4-bit sigmoid `ap_fixed<4,1>` clips everything above 0.875). ReLU is not here: by default
/// it moves its input's raw bits (no rounding point, no hardware), see docs/precision.md.
pub fn unsigned_by_default(op: &crate::ir::Op) -> bool {
    matches!(op, crate::ir::Op::Sigmoid(_) | crate::ir::Op::Softmax(_))
}

/// What a tensor's config resolves to, every key filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolved {
    pub bits: u32,
    pub int_bits: Option<i32>,
    pub ty: Option<FixedType>,
    pub rounding: Rounding,
    pub overflow: Overflow,
    pub sat_bits: u32,
    pub unsigned: bool,
    pub weight_bits: u32,
    pub bias_bits: u32,
    pub table_size: u32,
    pub table_bits: u32,
    /// `khot` of the node's tables (only Conv/Dense use it).
    pub khot: Option<u32>,
    /// `accum` of the node's tables (only Conv/Dense use it).
    pub accum: Option<AccumSpec>,
}

/// Which width key a constant operand reads from its consumer's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRole {
    Weight,
    Bias,
}

fn table_label(kind: &str, name: &str) -> String {
    match kind {
        "op" => format!("[op.{name}]"),
        _ => format!("[layer.{}]", toml_key(name)),
    }
}

/// `name` as a TOML key: bare when it can be, quoted otherwise.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        format!("{:?}", name)
    }
}

impl PrecisionConfig {
    /// `--bits W`: every tensor `W` bits, everything else by default.
    pub fn uniform(bits: u32) -> Result<PrecisionConfig, ConfigError> {
        let cfg = PrecisionConfig {
            source: format!("--bits {bits}"),
            default: Level {
                bits: Some(bits),
                ..Level::default()
            },
            ..PrecisionConfig::default()
        };
        if bits == 0 || bits > 64 {
            return Err(ConfigError::BadValue {
                file: "command line".into(),
                table: "--bits".into(),
                key: "W".into(),
                reason: format!("word length must be in 1..=64, got {bits}"),
            });
        }
        Ok(cfg)
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<PrecisionConfig, ConfigError> {
        let file = path.as_ref().display().to_string();
        let text =
            crate::input::read_regular_text(path.as_ref()).map_err(|source| ConfigError::Io {
                file: file.clone(),
                source,
            })?;
        PrecisionConfig::parse(&text, &file)
    }

    /// Parses TOML `text`; `file` is named in every error.
    pub fn parse(text: &str, file: &str) -> Result<PrecisionConfig, ConfigError> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                file: file.into(),
                message: e.to_string().trim_end().to_string(),
            })?;
        let mut cfg = PrecisionConfig {
            source: file.into(),
            ..PrecisionConfig::default()
        };
        for (key, value) in doc {
            match key.as_str() {
                "default" => {
                    let t = as_table(file, "[default]", "default", &value)?;
                    cfg.default = parse_level(file, "[default]", t, false)?;
                }
                "op" | "layer" => {
                    let t = as_table(file, &format!("[{key}]"), &key, &value)?;
                    for (name, v) in t {
                        let label = table_label(&key, name);
                        let sub = as_table(file, &label, name, v)?;
                        if key == "op" && !OP_NAMES.contains(&name.as_str()) {
                            return Err(ConfigError::UnknownOp {
                                file: file.into(),
                                table: label,
                                op: name.clone(),
                                known: OP_NAMES.join(", "),
                            });
                        }
                        let level = parse_level(file, &label, sub, key == "layer")?;
                        if key == "op"
                            && level.accum.is_some()
                            && !KHOT_OPS.contains(&name.as_str())
                        {
                            return Err(ConfigError::BadValue {
                                file: file.into(),
                                table: label,
                                key: "accum".into(),
                                reason: format!(
                                    "{name} has no multiply-accumulate; accum applies to {}",
                                    KHOT_OPS.join(", ")
                                ),
                            });
                        }
                        if key == "op" && level.khot.is_some() && !KHOT_OPS.contains(&name.as_str())
                        {
                            return Err(ConfigError::BadValue {
                                file: file.into(),
                                table: label,
                                key: "khot".into(),
                                reason: format!(
                                    "{name} has no weights to make K-hot; khot applies to {}",
                                    KHOT_OPS.join(", ")
                                ),
                            });
                        }
                        if key == "op" {
                            cfg.op.insert(name.clone(), level);
                        } else {
                            cfg.layer.insert(name.clone(), level);
                        }
                    }
                }
                "calibration" => {
                    let t = as_table(file, "[calibration]", "calibration", &value)?;
                    cfg.calibration = parse_calibration(file, t)?;
                }
                "hardware" => {
                    let t = as_table(file, "[hardware]", "hardware", &value)?;
                    cfg.hardware = parse_hardware(file, t)?;
                }
                _ if !value.is_table() && Level::KEYS.contains(&key.as_str()) => {
                    return Err(ConfigError::BadValue {
                        file: file.into(),
                        table: "top level".into(),
                        key,
                        reason: "keys belong in a table: put it under [default]".into(),
                    });
                }
                _ => {
                    return Err(ConfigError::UnknownTable {
                        file: file.into(),
                        table: key,
                    })
                }
            }
        }
        Ok(cfg)
    }

    /// Checks every `[layer."x"]` against the graph's node and tensor names.
    pub fn check_names(&self, g: &Graph) -> Result<(), ConfigError> {
        let mut names: Vec<&str> = Vec::new();
        for n in g.node_indices() {
            let node = g.node(n);
            names.push(&node.name);
            names.push(&node.tensor);
        }
        for (name, level) in &self.layer {
            if names.contains(&name.as_str()) {
                if level.khot.is_some() {
                    self.check_khot_layer(g, name, "khot")?;
                }
                if level.accum.is_some() {
                    self.check_khot_layer(g, name, "accum")?;
                }
                continue;
            }
            let hint = closest(name, &names)
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            return Err(ConfigError::UnknownLayer {
                file: self.source.clone(),
                table: table_label("layer", name),
                name: name.clone(),
                model: g.source.clone(),
                hint,
            });
        }
        Ok(())
    }

    /// `[layer."name"] khot = K` needs a Conv or Dense node of that name (or output tensor).
    fn check_khot_layer(&self, g: &Graph, name: &str, key: &str) -> Result<(), ConfigError> {
        let found = g
            .node_indices()
            .into_iter()
            .map(|n| g.node(n))
            .find(|n| n.name == name || n.tensor == name);
        match found {
            Some(n) if KHOT_OPS.contains(&n.op.name()) => Ok(()),
            Some(n) => Err(ConfigError::BadValue {
                file: self.source.clone(),
                table: table_label("layer", name),
                key: key.into(),
                reason: format!(
                    "'{name}' is a {} node, which has no weights to {}; {key} applies to \
                     Conv and Dense layers (name the layer, not its weight tensor)",
                    n.op.name(),
                    if key == "khot" {
                        "make K-hot"
                    } else {
                        "accumulate"
                    }
                ),
            }),
            None => Ok(()),
        }
    }

    /// `--khot K`: `[default] khot = K` (layer and op tables still take precedence).
    pub fn set_default_khot(&mut self, k: u32) -> Result<(), ConfigError> {
        let level = Level {
            khot: Some(k),
            ..Level::default()
        };
        level.validate("command line", "--khot", false)?;
        self.default.khot = Some(k);
        self.source = format!("{} --khot {k}", self.source);
        Ok(())
    }

    /// The tables that apply to `node`, most specific first: its layer (by node name, then tensor
    /// name), its op type (then the ONNX aliases of that op), the default.
    fn levels(&self, node: &Node) -> Vec<&Level> {
        let mut v = Vec::new();
        v.extend(self.layer.get(&node.name));
        if node.tensor != node.name {
            v.extend(self.layer.get(&node.tensor));
        }
        let op = node.op.name();
        v.extend(self.op.get(op));
        for (alias, target) in OP_ALIASES {
            if *target == op {
                v.extend(self.op.get(*alias));
            }
        }
        v.push(&self.default);
        v
    }

    /// The hardware keys that apply to the compiled layer `name` lowered from an `op` node: its
    /// `[layer."name"]` table, then `[op.<op>]` (and the op's ONNX aliases), `[default]`,
    /// `[hardware]`.
    pub fn layer_hardware(&self, name: &str, op: &str) -> LayerHardware {
        let mut tables: Vec<(String, Level)> = Vec::new();
        if let Some(l) = self.layer.get(name) {
            tables.push((table_label("layer", name), l.clone()));
        }
        if let Some(l) = self.op.get(op) {
            tables.push((table_label("op", op), l.clone()));
        }
        for (alias, target) in OP_ALIASES {
            if *target == op {
                if let Some(l) = self.op.get(*alias) {
                    tables.push((table_label("op", alias), l.clone()));
                }
            }
        }
        tables.push(("[default]".into(), self.default.clone()));
        let hw = &self.hardware;
        tables.push((
            "[hardware]".into(),
            Level {
                strategy: hw.strategy,
                reuse: hw.reuse,
                io: hw.io,
                ..Level::default()
            },
        ));
        let mut out = LayerHardware::default();
        for (label, l) in tables {
            let model_wide = label == "[default]" || label == "[hardware]";
            let key = |value| HardwareKey {
                value,
                from: format!("{} {label}", self.source),
                model_wide,
            };
            out.strategy = out.strategy.or(l.strategy.map(key));
            out.reuse = out.reuse.or(l.reuse.map(|v| HardwareKey {
                value: v,
                from: format!("{} {label}", self.source),
                model_wide,
            }));
            out.io = out.io.or(l.io.map(|v| HardwareKey {
                value: v,
                from: format!("{} {label}", self.source),
                model_wide,
            }));
        }
        out
    }

    /// The config of `node`'s output (and of its kernel: weight/bias widths, tables).
    pub fn resolve(&self, node: &Node) -> Resolved {
        let levels = self.levels(node);
        let first = |f: &dyn Fn(&Level) -> Option<u32>| levels.iter().find_map(|l| f(l));
        let bits = first(&|l| l.bits).unwrap_or(DEFAULT_BITS);
        let merged = levels
            .iter()
            .fold(Level::default(), |acc, l| acc.or((*l).clone()));
        Resolved {
            bits,
            int_bits: merged.int_bits,
            ty: self.layer_pin(node),
            rounding: merged.rounding.unwrap_or(DEFAULT_ROUNDING),
            overflow: merged.overflow.unwrap_or(DEFAULT_OVERFLOW),
            sat_bits: merged.sat_bits.unwrap_or(0),
            unsigned: merged
                .unsigned
                .unwrap_or_else(|| unsigned_by_default(&node.op)),
            weight_bits: first(&|l| l.weight_bits.or(l.bits)).unwrap_or(DEFAULT_BITS),
            bias_bits: first(&|l| l.bias_bits.or(l.bits)).unwrap_or(DEFAULT_BITS),
            table_size: merged.table_size.unwrap_or(DEFAULT_TABLE_SIZE),
            table_bits: first(&|l| l.table_bits.or(l.bits)).unwrap_or(DEFAULT_BITS),
            khot: merged.khot,
            accum: merged.accum,
        }
    }

    /// A `type` pinned by the node's own layer table.
    fn layer_pin(&self, node: &Node) -> Option<FixedType> {
        self.layer
            .get(&node.name)
            .and_then(|l| l.ty)
            .or_else(|| self.layer.get(&node.tensor).and_then(|l| l.ty))
    }

    /// The config of a constant operand `param` (a weight or bias) of `consumer`: its own
    /// `[layer."tensor"]` table first, then the consumer's tables through `weight_bits`/`bias_bits`.
    /// `int_bits`, `type` and `unsigned` come only from the constant's own table: otherwise a
    /// constant's integer bits come from its values.
    pub fn resolve_param(&self, param: &Node, consumer: &Node, role: ParamRole) -> Resolved {
        let own: Level = [self.layer.get(&param.name), self.layer.get(&param.tensor)]
            .into_iter()
            .flatten()
            .fold(Level::default(), |acc, l| acc.or(l.clone()));
        let levels = self.levels(consumer);
        let width = |l: &Level| match role {
            ParamRole::Weight => l.weight_bits.or(l.bits),
            ParamRole::Bias => l.bias_bits.or(l.bits),
        };
        let bits = own
            .bits
            .or_else(|| levels.iter().find_map(|l| width(l)))
            .unwrap_or(DEFAULT_BITS);
        let merged = levels
            .iter()
            .fold(own.clone(), |acc, l| acc.or((*l).clone()));
        Resolved {
            bits,
            int_bits: own.int_bits,
            ty: self.layer_pin(param),
            rounding: merged.rounding.unwrap_or(DEFAULT_ROUNDING),
            overflow: merged.overflow.unwrap_or(DEFAULT_OVERFLOW),
            sat_bits: merged.sat_bits.unwrap_or(0),
            unsigned: own.unsigned.unwrap_or(false),
            weight_bits: bits,
            bias_bits: bits,
            table_size: DEFAULT_TABLE_SIZE,
            table_bits: bits,
            khot: None,
            accum: None,
        }
    }

    /// The names whose `[layer."x"]` table pins a `type`.
    pub fn pinned_names(&self) -> std::collections::BTreeSet<String> {
        self.layer
            .iter()
            .filter(|(_, l)| l.ty.is_some())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// This config with the model's quantizer types (`Graph::model_types`) pinned for the tensors
    /// the user's config does not pin: the model's types win over `--bits` and `[default]`/`[op.X]`,
    /// the user's `[layer."x"] type` wins over the model's.
    pub fn with_model_types(&self, types: &BTreeMap<String, FixedType>) -> PrecisionConfig {
        let mut out = self.clone();
        out.source = format!(
            "{} + {} tensor types from the model's quantizers",
            self.source,
            types.len()
        );
        for (tensor, ty) in types {
            let level = out.layer.entry(tensor.clone()).or_default();
            if level.ty.is_none() {
                level.ty = Some(*ty);
            }
        }
        out
    }

    /// The input range for range propagation, when the config gives one.
    pub fn input_range(&self) -> Option<(f64, f64)> {
        self.calibration.input_range.map(|[lo, hi]| (lo, hi))
    }
}

fn as_table<'a>(
    file: &str,
    table: &str,
    key: &str,
    v: &'a toml::Value,
) -> Result<&'a toml::Table, ConfigError> {
    v.as_table().ok_or_else(|| ConfigError::BadValue {
        file: file.into(),
        table: table.into(),
        key: key.into(),
        reason: format!("must be a table, got a {}", v.type_str()),
    })
}

/// One table, key by key, so that every error names its key; then the range checks.
fn parse_level(
    file: &str,
    table: &str,
    t: &toml::Table,
    in_layer: bool,
) -> Result<Level, ConfigError> {
    let mut level = Level::default();
    for (key, value) in t {
        if !Level::KEYS.contains(&key.as_str()) {
            return Err(ConfigError::UnknownKey {
                file: file.into(),
                table: table.into(),
                key: key.clone(),
                expected: Level::KEYS.join(", "),
            });
        }
        let one = toml::Table::from_iter([(key.clone(), value.clone())]);
        let part: Level = toml::Value::Table(one)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::BadValue {
                file: file.into(),
                table: table.into(),
                key: key.clone(),
                reason: e.message().trim_end().to_string(),
            })?;
        level = level.or(part);
    }
    level.validate(file, table, in_layer)?;
    Ok(level)
}

fn parse_hardware(file: &str, t: &toml::Table) -> Result<HardwareKeys, ConfigError> {
    let mut level = toml::Table::new();
    for (key, value) in t {
        if !HardwareKeys::KEYS.contains(&key.as_str()) {
            return Err(ConfigError::UnknownKey {
                file: file.into(),
                table: "[hardware]".into(),
                key: key.clone(),
                expected: HardwareKeys::KEYS.join(", "),
            });
        }
        level.insert(key.clone(), value.clone());
    }
    let l = parse_level(file, "[hardware]", &level, false)?;
    Ok(HardwareKeys {
        strategy: l.strategy,
        reuse: l.reuse,
        io: l.io,
    })
}

fn parse_calibration(file: &str, t: &toml::Table) -> Result<CalibrationConfig, ConfigError> {
    for (key, value) in t {
        if !CalibrationConfig::KEYS.contains(&key.as_str()) {
            return Err(ConfigError::UnknownKey {
                file: file.into(),
                table: "[calibration]".into(),
                key: key.clone(),
                expected: CalibrationConfig::KEYS.join(", "),
            });
        }
        let one = toml::Table::from_iter([(key.clone(), value.clone())]);
        toml::Value::Table(one)
            .try_into::<CalibrationConfig>()
            .map_err(|e| ConfigError::BadValue {
                file: file.into(),
                table: "[calibration]".into(),
                key: key.clone(),
                reason: e.message().trim_end().to_string(),
            })?;
    }
    let cfg: CalibrationConfig =
        toml::Value::Table(t.clone())
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::BadValue {
                file: file.into(),
                table: "[calibration]".into(),
                key: "?".into(),
                reason: e.message().trim_end().to_string(),
            })?;
    cfg.validate(file)?;
    Ok(cfg)
}

/// The candidate nearest to `name` by edit distance, when it is close enough to be a typo.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
