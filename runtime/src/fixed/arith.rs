//! `+`, `-` and `*` between two fixed-point values, with the header's result types.
//!
//! The header widens both operands into the result type before operating, and the
//! result type is always wide enough, so every result here is exact. Q and O modes of
//! the operands play no part: they apply only when the result is assigned (see
//! [`Fixed::cast`]).

use super::{Fixed, FixedError, FixedType, MAX_WIDTH};

impl Fixed {
    /// `a + b`: `I = max(I1 + (S2∧¬S1), I2 + (S1∧¬S2)) + 1`, `F = max(F1, F2)`, signed if either is.
    pub fn add(&self, rhs: &Fixed) -> Result<Fixed, FixedError> {
        let ty = sum_type("+", self.ty, rhs.ty, self.ty.signed || rhs.ty.signed)?;
        Ok(Fixed::from_bits(
            aligned(self, ty).wrapping_add(aligned(rhs, ty)) as u128,
            ty,
        ))
    }

    /// `a - b`: the widths of `a + b`, always signed.
    pub fn sub(&self, rhs: &Fixed) -> Result<Fixed, FixedError> {
        let ty = sum_type("-", self.ty, rhs.ty, true)?;
        Ok(Fixed::from_bits(
            aligned(self, ty).wrapping_sub(aligned(rhs, ty)) as u128,
            ty,
        ))
    }

    /// `a * b`: `W = W1 + W2`, `I = I1 + I2`, signed if either is.
    pub fn mul(&self, rhs: &Fixed) -> Result<Fixed, FixedError> {
        let width = i64::from(self.ty.width) + i64::from(rhs.ty.width);
        let ty = result_type(
            "*",
            self.ty,
            rhs.ty,
            self.ty.signed || rhs.ty.signed,
            width,
            self.ty.int_bits + rhs.ty.int_bits,
        )?;
        Ok(Fixed::from_bits(self.raw.wrapping_mul(rhs.raw) as u128, ty))
    }
}

/// The result type of `a + b` / `a - b` (`RType::plus` / `RType::minus`).
pub fn sum_type(
    op: &'static str,
    a: FixedType,
    b: FixedType,
    signed: bool,
) -> Result<FixedType, FixedError> {
    let ia = a.int_bits + i32::from(b.signed && !a.signed);
    let ib = b.int_bits + i32::from(a.signed && !b.signed);
    let int_bits = ia.max(ib) + 1;
    let width = i64::from(int_bits) + i64::from(a.frac_bits().max(b.frac_bits()));
    result_type(op, a, b, signed, width, int_bits)
}

fn result_type(
    op: &'static str,
    lhs: FixedType,
    rhs: FixedType,
    signed: bool,
    width: i64,
    int_bits: i32,
) -> Result<FixedType, FixedError> {
    if width > i64::from(MAX_WIDTH) {
        return Err(FixedError::ResultTooWide {
            op,
            lhs,
            rhs,
            width,
            max: MAX_WIDTH,
        });
    }
    FixedType::intermediate(signed, width as u32, int_bits)
}

/// `x`'s raw value re-expressed with `ty`'s fractional bits (exact: `ty` has at least as many).
fn aligned(x: &Fixed, ty: FixedType) -> i128 {
    let shift = (ty.frac_bits() - x.ty.frac_bits()) as u32;
    x.raw << shift
}
