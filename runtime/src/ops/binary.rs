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
//!
//! Rust: [`run_lanes`] on a tile of `L` samples in the lanes layout (`y [C][N][L]`). Each operand
//! is an [`Input`]: a tensor per sample in the lanes layout, element `(c, i)` of sample `s` at
//! `(c·stride_c + i·stride_i)·L + s`, or one copy shared by every sample (a constant), at
//! `c·stride_c + i·stride_i`. Loops: `c`, then the channel's `N · L` contiguous outputs as one loop
//! when each operand is contiguous there or one value (a full tensor per sample, a per-channel or
//! scalar constant), else `i`, then the `L` lanes. Values are independent, so each has the
//! header's bits.

use std::marker::PhantomData;

use super::common::{
    cast_store, check_len, check_storage, lanes_len, requant, with_simd, OpError, Raw, Simd, Word,
    BLOCK,
};
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

/// The values of one operand of [`run_lanes`] over a tile of samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input<'a, R> {
    /// One tensor per sample, in the lanes layout: `len · lanes` values, value `j` of sample `s`
    /// at `j · lanes + s`.
    Lanes(&'a [R]),
    /// One copy of the `len` values, shared by every sample (a constant).
    Shared(&'a [R]),
}

/// Runs the op on the raw values of one sample ([`run_lanes`] with one lane).
pub fn run<A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: &[A],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    run_lanes(cfg, Input::Lanes(a), Input::Lanes(b), y, 1)
}

/// Runs the op on a tile of `lanes` samples: `y` in the lanes layout (`channels · size · lanes`
/// values), each operand per sample or shared ([`Input`]).
pub fn run_lanes<A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: Input<'_, A>,
    b: Input<'_, B>,
    y: &mut [Y],
    lanes: usize,
) -> Result<(), OpError> {
    let name = cfg.op.name();
    let n = lanes_len(name, &[cfg.channels, cfg.size], lanes)?;
    let a = Layout::new(name, "a", &cfg.a, a, cfg, lanes)?;
    let b = Layout::new(name, "b", &cfg.b, b, cfg, lanes)?;
    check_len(name, "output", y, n)?;
    check_storage::<A>(name, "a", cfg.a.ty)?;
    check_storage::<B>(name, "b", cfg.b.ty)?;
    check_storage::<Y>(name, "output", cfg.output)?;
    if cfg.requant.fits_i32() {
        by_op::<i32, A, B, Y>(cfg, a, b, y, lanes);
    } else {
        by_op::<i64, A, B, Y>(cfg, a, b, y, lanes);
    }
    Ok(())
}

/// The loops for the config's op, in words `W`, compiled for the CPU's instruction set
/// ([`with_simd`]).
#[inline(always)]
fn by_op<W: Word, A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: Layout<'_, A>,
    b: Layout<'_, B>,
    y: &mut [Y],
    lanes: usize,
) {
    let (sa, sb) = (cfg.a_shift, cfg.b_shift);
    macro_rules! job {
        ($f:expr) => {
            with_simd(Job {
                cfg,
                a,
                b,
                y,
                lanes,
                f: $f,
                word: PhantomData,
            })
        };
    }
    match cfg.op {
        BinaryOp::Add => job!(move |a: W, b: W| a.shl(sa).add(b.shl(sb))),
        BinaryOp::Sub => job!(move |a: W, b: W| a.shl(sa).sub(b.shl(sb))),
        BinaryOp::Mul => job!(|a: W, b: W| a.mul(b)),
    }
}

/// One call of [`kernel`], compiled for the CPU's instruction set ([`with_simd`]).
struct Job<'a, 'y, W, A, B, Y, F> {
    cfg: &'a BinaryConfig,
    a: Layout<'a, A>,
    b: Layout<'a, B>,
    y: &'y mut [Y],
    lanes: usize,
    f: F,
    word: PhantomData<W>,
}

impl<W: Word, A: Raw, B: Raw, Y: Raw, F: Fn(W, W) -> W + Copy> Simd for Job<'_, '_, W, A, B, Y, F> {
    #[inline(always)]
    fn go<const AVX2: bool>(self) {
        kernel(self.cfg, self.a, self.b, self.y, self.lanes, self.f);
    }
}

/// An operand's values, checked, and where element `(c, i)` of sample `s` is:
/// `(c·stride_c + i·stride_i)·step + s·lane`.
#[derive(Clone, Copy)]
struct Layout<'a, R> {
    data: &'a [R],
    op: Operand,
    /// `lanes` and 1 for a tensor per sample, 1 and 0 for a shared one (and for one lane, where
    /// both are the same).
    step: usize,
    lane: usize,
}

impl<'a, R> Layout<'a, R> {
    fn new(
        name: &'static str,
        which: &'static str,
        op: &Operand,
        input: Input<'a, R>,
        cfg: &BinaryConfig,
        lanes: usize,
    ) -> Result<Layout<'a, R>, OpError> {
        // The config checks the strides; its fields are public, so check them again (no panic).
        let last = (cfg.channels.checked_sub(1))
            .zip(cfg.size.checked_sub(1))
            .and_then(|(c, i)| {
                c.checked_mul(op.stride_c)?
                    .checked_add(i.checked_mul(op.stride_i)?)
            });
        if last.is_none_or(|last| last >= op.len) {
            return Err(OpError::config(
                name,
                format!(
                    "operand {which} has {} values but strides ({}, {}) over {} channels of {} \
                     values reach beyond them",
                    op.len, op.stride_c, op.stride_i, cfg.channels, cfg.size
                ),
            ));
        }
        let (data, step, lane) = match input {
            Input::Lanes(d) => {
                check_len(name, which, d, lanes_len(name, &[op.len], lanes)?)?;
                (d, lanes, 1)
            }
            Input::Shared(d) => {
                check_len(name, which, d, op.len)?;
                (d, 1, 0)
            }
        };
        let (step, lane) = if lanes == 1 { (1, 0) } else { (step, lane) };
        Ok(Layout {
            data,
            op: *op,
            step,
            lane,
        })
    }
}

impl<'a, R: Raw> Layout<'a, R> {
    /// Channel `c` as a whole, when its `N · L` values are contiguous or one value.
    fn channel<W: Word>(&self, c: usize, size: usize, lanes: usize) -> Option<Seg<'a, R, W>> {
        let at = c * self.op.stride_c * self.step;
        match (self.op.stride_i, self.lane) {
            (0, 0) => Some(Seg::Splat(W::of(self.data[at]))),
            (1, _) if self.step == lanes => Some(Seg::Run(&self.data[at..][..size * lanes])),
            _ => None,
        }
    }

    /// Row `(c, i)`: its `L` lanes.
    fn row<W: Word>(&self, c: usize, i: usize, lanes: usize) -> Seg<'a, R, W> {
        let at = (c * self.op.stride_c + i * self.op.stride_i) * self.step;
        if self.lane == 0 {
            Seg::Splat(W::of(self.data[at]))
        } else {
            Seg::Run(&self.data[at..][..lanes])
        }
    }
}

/// A run of an operand's values, aligned with a run of outputs: the values, or one value for all.
#[derive(Clone, Copy)]
enum Seg<'a, R, W> {
    Run(&'a [R]),
    Splat(W),
}

#[inline(always)]
fn kernel<W: Word, A: Raw, B: Raw, Y: Raw>(
    cfg: &BinaryConfig,
    a: Layout<'_, A>,
    b: Layout<'_, B>,
    y: &mut [Y],
    lanes: usize,
    f: impl Fn(W, W) -> W + Copy,
) {
    let size = cfg.size;
    for (c, y_c) in y.chunks_exact_mut(size * lanes).enumerate() {
        match (a.channel(c, size, lanes), b.channel(c, size, lanes)) {
            (Some(sa), Some(sb)) => segment(&cfg.requant, f, sa, sb, y_c),
            _ => {
                for (i, y_i) in y_c.chunks_exact_mut(lanes).enumerate() {
                    let (sa, sb) = (a.row(c, i, lanes), b.row(c, i, lanes));
                    segment(&cfg.requant, f, sa, sb, y_i);
                }
            }
        }
    }
}

/// `y = requant(f(a, b))` over a run of outputs, in blocks.
#[inline(always)]
fn segment<W: Word, A: Raw, B: Raw, Y: Raw>(
    rq: &Requant,
    f: impl Fn(W, W) -> W,
    a: Seg<'_, A, W>,
    b: Seg<'_, B, W>,
    y: &mut [Y],
) {
    let mut buf = [W::default(); BLOCK];
    for (j, yb) in y.chunks_mut(BLOCK).enumerate() {
        let (j0, len) = (j * BLOCK, yb.len());
        let v = &mut buf[..len];
        match (a, b) {
            (Seg::Run(a), Seg::Run(b)) => {
                let (a, b) = (&a[j0..][..len], &b[j0..][..len]);
                for ((v, &a), &b) in v.iter_mut().zip(a).zip(b) {
                    *v = f(W::of(a), W::of(b));
                }
            }
            (Seg::Run(a), Seg::Splat(b)) => {
                for (v, &a) in v.iter_mut().zip(&a[j0..][..len]) {
                    *v = f(W::of(a), b);
                }
            }
            (Seg::Splat(a), Seg::Run(b)) => {
                for (v, &b) in v.iter_mut().zip(&b[j0..][..len]) {
                    *v = f(a, W::of(b));
                }
            }
            (Seg::Splat(a), Seg::Splat(b)) => v.fill(f(a, b)),
        }
        cast_store(rq, v, yb);
    }
}
