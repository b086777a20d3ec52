//! serde for the runtime's fixed-point vocabulary (the runtime itself stays free of serde):
//! a [`FixedType`] is its C++ spelling (`"ap_fixed<8,3,AP_RND_CONV,AP_SAT>"`), a mode its enumerator
//! name (`"AP_RND_CONV"`). Use with `#[serde(with = "...")]`.

use binpoint_runtime::{FixedType, Overflow, Rounding};
use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(t: &FixedType, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FixedType, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(D::Error::custom)
}

/// A type that may be wider than 64 bits (an accumulator or product of a multiply-accumulate
/// layer, up to 128 bits).
pub mod wide {
    use super::*;

    pub fn serialize<S: Serializer>(t: &FixedType, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FixedType, D::Error> {
        let text = String::deserialize(d)?;
        FixedType::parse_wide(&text).map_err(D::Error::custom)
    }
}

/// `Option<FixedType>`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<FixedType>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.collect_str(t),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FixedType>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| t.parse().map_err(D::Error::custom))
            .transpose()
    }
}

/// The rounding mode named `text` (`AP_RND_CONV`), exactly as in C++.
pub fn parse_rounding(text: &str) -> Result<Rounding, String> {
    Rounding::ALL
        .into_iter()
        .find(|r| r.as_str() == text)
        .ok_or_else(|| {
            format!(
                "unknown rounding mode '{text}' (expected one of {})",
                names(Rounding::ALL.iter().map(|r| r.as_str()))
            )
        })
}

/// The overflow mode named `text` (`AP_SAT`), exactly as in C++.
pub fn parse_overflow(text: &str) -> Result<Overflow, String> {
    Overflow::ALL
        .into_iter()
        .find(|o| o.as_str() == text)
        .ok_or_else(|| {
            format!(
                "unknown overflow mode '{text}' (expected one of {})",
                names(Overflow::ALL.iter().map(|o| o.as_str()))
            )
        })
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// `Option<Rounding>` as its enumerator name.
pub mod rounding_option {
    use super::*;

    pub fn serialize<S: Serializer>(r: &Option<Rounding>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Some(r) => s.serialize_str(r.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rounding>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| parse_rounding(&t).map_err(D::Error::custom))
            .transpose()
    }
}

/// `Option<Overflow>` as its enumerator name.
pub mod overflow_option {
    use super::*;

    pub fn serialize<S: Serializer>(o: &Option<Overflow>, s: S) -> Result<S::Ok, S::Error> {
        match o {
            Some(o) => s.serialize_str(o.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Overflow>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| parse_overflow(&t).map_err(D::Error::custom))
            .transpose()
    }
}

/// An accumulator key: `"exact"` (binpoint's own, which never overflows) or a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccumSpec {
    Exact,
    Type(FixedType),
}

impl std::fmt::Display for AccumSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccumSpec::Exact => f.write_str("exact"),
            AccumSpec::Type(t) => write!(f, "{t}"),
        }
    }
}

impl std::str::FromStr for AccumSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<AccumSpec, String> {
        if text.trim().eq_ignore_ascii_case("exact") {
            return Ok(AccumSpec::Exact);
        }
        // Accumulators may be wider than the 64 bits of a stored tensor (up to 128).
        FixedType::parse_wide(text)
            .map(AccumSpec::Type)
            .map_err(|e| {
                format!("'{text}': expected \"exact\" or a type such as \"ap_fixed<16,6>\" ({e})")
            })
    }
}

impl serde::Serialize for AccumSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AccumSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AccumSpec, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(D::Error::custom)
    }
}
