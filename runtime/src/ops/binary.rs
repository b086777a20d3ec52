//! What [`add`](super::add), [`sub`](super::sub) and [`mul`](super::mul) share: two operands
//! with broadcast, the header's exact result type, one output cast.
//!
//! The output is `[C][N]`; element `(c, i)` of an operand reads `data[c·stride_c + i·stride_i]`,
//! so a full tensor has strides `(N, 1)`, a per-channel constant `(1, 0)`, a scalar `(0, 0)`.
//! Contract shared with the headers (`add.h`, `sub.h`, `mul.h`):
//! - loops: `c`, then `i`;
//! - `r = a OP b` in the header's result type (`a + b`: `max(I)+1` integer bits and `max(F)`
//!   fractional bits; `a - b` the same, always signed; `a * b`: `W1+W2`, `I1+I2`): exact;
//! - one rounding point: the cast `result → output`.

use super::common::{check_len, check_storage, requant, OpError, Raw};
use crate::fixed::{difference_type, product_type, sum_type, Requant};
use crate::FixedType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
}

impl BinaryOp {
    /// The kernel's name (file stem), e.g. `add`.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
        }
    }
}

/// One operand: its type, its length and how the loops index it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operand {
    pub ty: FixedType,
    pub len: usize,
    pub stride_c: usize,
    pub stride_i: usize,
}

impl Operand {
    /// A `[C][N]` tensor.
    pub fn full(ty: FixedType, channels: usize, size: usize) -> Operand {
        Operand {
            ty,
            len: channels * size,
            stride_c: size,
            stride_i: 1,
        }
    }

    /// One value per channel, broadcast over `N`.
    pub fn per_channel(ty: FixedType, channels: usize) -> Operand {
        Operand {
            ty,
            len: channels,
            stride_c: 1,
            stride_i: 0,
        }
    }

    /// One value for everything.
    pub fn scalar(ty: FixedType) -> Operand {
        Operand {
            ty,
            len: 1,
            stride_c: 0,
            stride_i: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BinaryConfig {
    pub op: BinaryOp,
    pub channels: usize,
    pub size: usize,
    pub a: Operand,
    pub b: Operand,
    pub output: FixedType,
    /// The header's exact type of `a OP b`.
    pub result: FixedType,
    /// Left shifts aligning `a` and `b` to the result's binary point (add, sub; 0 for mul).
    pub a_shift: u32,
    pub b_shift: u32,
    pub requant: Requant,
}

impl BinaryConfig {
    pub fn new(
        op: BinaryOp,
        channels: usize,
        size: usize,
        a: Operand,
        b: Operand,
        output: FixedType,
    ) -> Result<BinaryConfig, OpError> {
        let name = op.name();
        if channels == 0 || size == 0 {
            return Err(OpError::config(
                name,
                format!("empty output: {channels} channels of {size} values"),
            ));
        }
        for (which, o) in [("a", a), ("b", b)] {
            let last = (channels - 1) * o.stride_c + (size - 1) * o.stride_i;
            if last >= o.len {
                return Err(OpError::config(
                    name,
                    format!(
                        "operand {which} has {} values but strides ({}, {}) reach index {last}",
                        o.len, o.stride_c, o.stride_i
                    ),
                ));
            }
        }
        let result = match op {
            BinaryOp::Add => sum_type(a.ty, b.ty),
            BinaryOp::Sub => difference_type(a.ty, b.ty),
            BinaryOp::Mul => product_type(a.ty, b.ty),
        }
        .map_err(OpError::fixed(name))?;
        let (a_shift, b_shift) = match op {
            BinaryOp::Mul => (0, 0),
            _ => (
                (result.frac_bits() - a.ty.frac_bits()) as u32,
                (result.frac_bits() - b.ty.frac_bits()) as u32,
            ),
        };
        Ok(BinaryConfig {
            op,
            channels,
            size,
            a,
            b,
            output,
            result,
            a_shift,
            b_shift,
            requant: requant(name, result, output)?,
        })
    }

    pub fn output_len(&self) -> usize {
        self.channels * self.size
    }
}

/// Runs the op on raw values.
pub fn run<A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: &[A],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    let name = cfg.op.name();
    check_len(name, "a", a, cfg.a.len)?;
    check_len(name, "b", b, cfg.b.len)?;
    check_len(name, "output", y, cfg.output_len())?;
    check_storage::<A>(name, "a", cfg.a.ty)?;
    check_storage::<B>(name, "b", cfg.b.ty)?;
    check_storage::<Y>(name, "output", cfg.output)?;
    let (sa, sb) = (cfg.a_shift, cfg.b_shift);
    match cfg.op {
        BinaryOp::Add => kernel(cfg, a, b, y, |a, b| (a << sa).wrapping_add(b << sb)),
        BinaryOp::Sub => kernel(cfg, a, b, y, |a, b| (a << sa).wrapping_sub(b << sb)),
        BinaryOp::Mul => kernel(cfg, a, b, y, |a, b| a.wrapping_mul(b)),
    }
    Ok(())
}

#[inline(always)]
fn kernel<A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: &[A],
    b: &[B],
    y: &mut [Y],
    f: impl Fn(i64, i64) -> i64,
) {
    let (pa, pb) = (&cfg.a, &cfg.b);
    for (c, y_c) in y.chunks_exact_mut(cfg.size).enumerate() {
        let (a0, b0) = (c * pa.stride_c, c * pb.stride_c);
        for (i, yv) in y_c.iter_mut().enumerate() {
            let av: i64 = a[a0 + i * pa.stride_i].into();
            let bv: i64 = b[b0 + i * pb.stride_i].into();
            *yv = Y::from_i64_unchecked(cfg.requant.apply(f(av, bv)));
        }
    }
}
