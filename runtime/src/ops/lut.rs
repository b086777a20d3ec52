//! Look-up tables: [`LutTable`], the index arithmetic every table shares (docs/precision.md, "Look-up
//! tables"), and the `lut` kernel, `y = table[index(x)]` (Sigmoid, Tanh). Twin of
//! `hls-templates/kernels/lut.h`; [`super::softmax`] reads two tables the same way.
//!
//! Contract shared with the header:
//! - index: on the raw integer `raw` of a value of the table's `index` type (the low `W` bits,
//!   sign- or zero-extended), `idx = clamp((raw - origin_raw) >> shift, 0, size - 1)`, an arithmetic
//!   shift (floor). The header computes it in `ap_int<index_width>`, a width chosen here so that
//!   `raw`, `origin_raw` and their difference all fit, with the shift capped at `index_width - 1`
//!   (the same result: a value of that width shifted further is already 0 or -1); Rust computes it
//!   in `i128`.
//! - entries: `size` (a power of two) raw values of the `entry` type, computed by the compiler
//!   (`LutSpec::entries`); the header receives them as `ap_uint<W_entry>` words (a ROM) and rereads
//!   their bits as the entry type.
//! - `lut`: one loop over the values; the output type *is* the entry type, so there is no rounding
//!   point: every output is a table entry, bit for bit.
//!
//! Rust: [`run_lanes`] runs the same per-value look-up over a tile of samples in the lanes layout,
//! one loop over `size · lanes` values.

use super::common::{check_len, check_storage, constant, lanes_len, OpError, Raw};
use crate::FixedType;

const OP: &str = "lut";

/// A table and its index arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub struct LutTable {
    /// The type of the values the index is computed from.
    pub index: FixedType,
    /// The raw `index` integer where entry 0 starts.
    pub origin_raw: i64,
    /// Raw index steps per entry: `2^shift`.
    pub shift: u32,
    pub entry: FixedType,
    /// Raw values of `entry`; their number is the table size (a power of two).
    pub entries: Vec<i64>,
    /// The signed width that holds every raw `index` value, `origin_raw` and their difference: the
    /// header's `ap_int` for the index arithmetic (at most 66).
    pub index_width: u32,
}

impl LutTable {
    pub fn new(
        index: FixedType,
        origin_raw: i64,
        shift: u32,
        entry: FixedType,
        entries: Vec<i64>,
    ) -> Result<LutTable, OpError> {
        let size = entries.len();
        if !size.is_power_of_two() || size > 1 << 24 {
            return Err(OpError::config(
                OP,
                format!("{size} table entries (a power of two, at most 2^24)"),
            ));
        }
        for &e in &entries {
            constant(OP, e, entry)?;
        }
        let (lo, hi, o) = (index.min_raw(), index.max_raw(), i128::from(origin_raw));
        let index_width = [lo, hi, o, lo - o, hi - o]
            .into_iter()
            .map(signed_width)
            .max()
            .unwrap_or(1);
        Ok(LutTable {
            index,
            origin_raw,
            shift,
            entry,
            entries,
            index_width,
        })
    }

    pub fn size(&self) -> usize {
        self.entries.len()
    }

    /// The shift the header applies: `shift` capped at `index_width - 1` (the same result).
    pub fn cpp_shift(&self) -> u32 {
        self.shift.min(self.index_width - 1)
    }

    /// The entry index of the raw `index` value `raw`.
    #[inline]
    pub fn index_of(&self, raw: i128) -> usize {
        let i = (raw - i128::from(self.origin_raw)) >> self.shift.min(127);
        i.clamp(0, self.entries.len() as i128 - 1) as usize
    }

    /// The raw entry for the raw `index` value `raw`.
    #[inline]
    pub fn lookup(&self, raw: i128) -> i64 {
        self.entries[self.index_of(raw)]
    }
}

/// The narrowest two's complement width holding `v`.
fn signed_width(v: i128) -> u32 {
    let magnitude = if v < 0 { !v } else { v };
    129 - magnitude.leading_zeros()
}

/// `y = table[index(x)]` over `size` values: the input type is the table's index type, the
/// output type its entry type.
#[derive(Clone, Debug, PartialEq)]
pub struct LutConfig {
    pub size: usize,
    pub table: LutTable,
}

impl LutConfig {
    pub fn new(size: usize, table: LutTable) -> Result<LutConfig, OpError> {
        Ok(LutConfig { size, table })
    }

    pub fn input(&self) -> FixedType {
        self.table.index
    }

    pub fn output(&self) -> FixedType {
        self.table.entry
    }
}

/// Runs the table on the raw values of one sample: [`run_lanes`] with one lane.
pub fn run<X: Raw, Y: Raw>(cfg: &LutConfig, x: &[X], y: &mut [Y]) -> Result<(), OpError> {
    run_lanes(cfg, x, y, 1)
}

/// Runs the table on a tile of `lanes` samples in the lanes layout (`size · lanes` values).
pub fn run_lanes<X: Raw, Y: Raw>(
    cfg: &LutConfig,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let n = lanes_len(OP, &[cfg.size], lanes)?;
    check_len(OP, "input", x, n)?;
    check_len(OP, "output", y, n)?;
    check_storage::<X>(OP, "input", cfg.input())?;
    check_storage::<Y>(OP, "output", cfg.output())?;
    for (&xv, yv) in x.iter().zip(y) {
        let raw: i64 = xv.into();
        *yv = Y::from_i64_unchecked(cfg.table.lookup(i128::from(raw)));
    }
    Ok(())
}
