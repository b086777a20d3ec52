//! Tensor shapes whose batch dimension may be symbolic.

use serde::{Serialize, Serializer};
use std::fmt;

/// Largest tensor (in elements) the compiler will ever allocate or accept in a shape.
pub const MAX_ELEMENTS: u64 = 1 << 31;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    /// The batch size, known only when the model runs.
    Batch,
    Fixed(usize),
}

impl Dim {
    pub fn fixed(self) -> Option<usize> {
        match self {
            Dim::Fixed(n) => Some(n),
            Dim::Batch => None,
        }
    }
    pub fn concrete(self, batch: usize) -> usize {
        match self {
            Dim::Fixed(n) => n,
            Dim::Batch => batch,
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Batch => write!(f, "N"),
            Dim::Fixed(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Dim {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Dim::Batch => s.serialize_str("N"),
            Dim::Fixed(n) => s.serialize_u64(*n as u64),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Shape(pub Vec<Dim>);

impl Shape {
    pub fn fixed(dims: &[usize]) -> Shape {
        Shape(dims.iter().map(|&d| Dim::Fixed(d)).collect())
    }
    /// `[N, dims...]`
    pub fn batched(dims: &[usize]) -> Shape {
        let mut v = vec![Dim::Batch];
        v.extend(dims.iter().map(|&d| Dim::Fixed(d)));
        Shape(v)
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    pub fn dims(&self) -> &[Dim] {
        &self.0
    }
    pub fn dim(&self, axis: usize) -> Result<Dim, String> {
        self.0
            .get(axis)
            .copied()
            .ok_or_else(|| format!("axis {axis} out of range for shape {self}"))
    }
    /// A dimension that must be known at compile time.
    pub fn fixed_dim(&self, axis: usize) -> Result<usize, String> {
        match self.dim(axis)? {
            Dim::Fixed(n) => Ok(n),
            Dim::Batch => Err(format!(
                "axis {axis} of {self} is the batch dimension, expected a fixed size"
            )),
        }
    }
    pub fn has_batch(&self) -> bool {
        self.0.contains(&Dim::Batch)
    }
    pub fn batch_count(&self) -> usize {
        self.0.iter().filter(|d| **d == Dim::Batch).count()
    }
    /// Product of the fixed dimensions (the batch counts as 1); None on overflow.
    pub fn fixed_numel(&self) -> Option<u64> {
        self.0.iter().try_fold(1u64, |acc, d| {
            acc.checked_mul(d.fixed().unwrap_or(1) as u64)
        })
    }
    pub fn concrete(&self, batch: usize) -> Vec<usize> {
        self.0.iter().map(|d| d.concrete(batch)).collect()
    }
    pub fn all_fixed(&self) -> Option<Vec<usize>> {
        self.0.iter().map(|d| d.fixed()).collect()
    }
    /// Normalize a possibly negative ONNX axis against this rank.
    pub fn axis(&self, axis: i64) -> Result<usize, String> {
        normalize_axis(axis, self.rank())
    }
}

pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(format!("axis {axis} out of range for rank {rank}"));
    }
    Ok(a as usize)
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

/// Checks that a shape stays under [`MAX_ELEMENTS`] per sample.
pub fn check_size(shape: &Shape) -> Result<(), String> {
    match shape.fixed_numel() {
        Some(n) if n <= MAX_ELEMENTS => Ok(()),
        Some(n) => Err(format!("{n}")),
        None => Err("more than 2^64".to_string()),
    }
}
