//! Rule types that the precision config shares with the phases it configures (a leaf: it imports
//! nothing of the crate). Today: the low-rank rules of `--low-rank SPEC` and of a config table's
//! `low_rank = "..."` (compress/low_rank).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The rank rule of one layer (`--low-rank energy=E | rank=R`, or `low_rank = "..."` in a
/// precision config table, where `off` keeps the layer as it is).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LayerRule {
    /// The smallest rank keeping at least this share of `Σσ²`, in (0, 1].
    Energy(f64),
    /// This rank (capped by the matrix's own rank).
    Rank(usize),
    /// Never decompose.
    Off,
}

/// `--low-rank SPEC`: a rule for every layer, or a model-wide one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LowRankSpec {
    Layer(LayerRule),
    /// MAC budget for the whole model: a fraction in (0, 1] of its original MACs per sample.
    Macs(f64),
    /// Largest MAC reduction whose fixed-point accuracy on the labelled calibration data drops by
    /// at most this many percentage points.
    Tolerance(f64),
}

fn parse_number(key: &str, v: &str) -> Result<f64, String> {
    let x: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("{key}={v}: '{v}' is not a number"))?;
    if !x.is_finite() {
        return Err(format!("{key}={v}: must be finite"));
    }
    Ok(x)
}

fn parse_fraction(key: &str, v: &str) -> Result<f64, String> {
    let x = parse_number(key, v)?;
    if !(x > 0.0 && x <= 1.0) {
        return Err(format!("{key}={v}: must be in (0, 1]"));
    }
    Ok(x)
}

const SPEC_FORMS: &str = "energy=E (0 < E <= 1), rank=R (R >= 1), macs=B (0 < B <= 1), tolerance=T (T >= 0, accuracy points)";

impl FromStr for LowRankSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let Some((key, v)) = s.split_once('=') else {
            return Err(format!("'{s}': expected one of {SPEC_FORMS}"));
        };
        let key = key.trim();
        Ok(match key {
            "energy" => LowRankSpec::Layer(LayerRule::Energy(parse_fraction(key, v)?)),
            "rank" => {
                let r: usize = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("rank={v}: '{v}' is not a whole number"))?;
                if r == 0 {
                    return Err("rank=0: the rank must be at least 1".into());
                }
                LowRankSpec::Layer(LayerRule::Rank(r))
            }
            "macs" => LowRankSpec::Macs(parse_fraction(key, v)?),
            "tolerance" => {
                let t = parse_number(key, v)?;
                if !(0.0..=100.0).contains(&t) {
                    return Err(format!(
                        "tolerance={v}: must be in [0, 100] (accuracy points)"
                    ));
                }
                LowRankSpec::Tolerance(t)
            }
            _ => {
                return Err(format!(
                    "'{s}': unknown rule '{key}' (expected one of {SPEC_FORMS})"
                ))
            }
        })
    }
}

impl FromStr for LayerRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim() == "off" {
            return Ok(LayerRule::Off);
        }
        match s.parse::<LowRankSpec>() {
            Ok(LowRankSpec::Layer(r)) => Ok(r),
            Ok(_) => Err(format!(
                "'{s}': a model-wide rule; per table only energy=E, rank=R or off (use --low-rank for macs= and tolerance=)"
            )),
            Err(e) => Err(format!("{e}; or off")),
        }
    }
}

impl fmt::Display for LayerRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerRule::Energy(e) => write!(f, "energy={e}"),
            LayerRule::Rank(r) => write!(f, "rank={r}"),
            LayerRule::Off => write!(f, "off"),
        }
    }
}

impl fmt::Display for LowRankSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LowRankSpec::Layer(r) => write!(f, "{r}"),
            LowRankSpec::Macs(b) => write!(f, "macs={b}"),
            LowRankSpec::Tolerance(t) => write!(f, "tolerance={t}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for LayerRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for LayerRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
