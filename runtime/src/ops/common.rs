//! What every kernel shares: storage integers ([`Raw`]), accumulators ([`Accum`], [`AccKind`]),
//! exact value intervals ([`Span`]) that prove an accumulator cannot overflow, and errors.

use std::fmt::{self, Debug};

use crate::fixed::{product_type, sum_type, Requant, WideRequant};
use crate::{Fixed, FixedError, FixedType, Overflow, Rounding};

/// Errors of kernel configs and runs. They name the op; the caller adds the node.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpError {
    #[error("{op}: {reason}")]
    Config { op: &'static str, reason: String },
    #[error(
        "{op}: accumulator {accum} cannot hold every partial sum exactly: they need {need}; \
         widen it (see Span::smallest_type)"
    )]
    Accumulator {
        op: &'static str,
        accum: FixedType,
        need: String,
    },
    #[error("{op}: {tensor} has {got} values, the config needs {expected}")]
    Length {
        op: &'static str,
        tensor: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{op}: {tensor} of type {ty} does not fit {bits}-bit storage integers")]
    Storage {
        op: &'static str,
        tensor: &'static str,
        ty: FixedType,
        bits: u32,
    },
    #[error("{op}: {source}")]
    Fixed {
        op: &'static str,
        #[source]
        source: FixedError,
    },
}

impl OpError {
    pub(crate) fn config(op: &'static str, reason: impl Into<String>) -> OpError {
        OpError::Config {
            op,
            reason: reason.into(),
        }
    }

    pub(crate) fn fixed(op: &'static str) -> impl Fn(FixedError) -> OpError {
        move |source| OpError::Fixed { op, source }
    }
}

/// A storage integer for raw fixed-point values: `i8`, `i16`, `i32` or `i64`.
pub trait Raw: Copy + Default + Debug + PartialOrd + Send + Sync + Into<i64> + 'static {
    const BITS: u32;

    /// `v` if it fits, else `None`.
    fn from_i64(v: i64) -> Option<Self>;

    /// `v as Self`: for values already known to fit (kernel outputs, after a config check).
    fn from_i64_unchecked(v: i64) -> Self;

    /// True when every raw value of `ty` fits (unsigned types need one spare bit).
    fn holds(ty: FixedType) -> bool {
        ty.width() + u32::from(!ty.is_signed()) <= Self::BITS
    }
}

macro_rules! impl_raw {
    ($($t:ty),*) => {$(
        impl Raw for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline]
            fn from_i64(v: i64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            #[inline]
            fn from_i64_unchecked(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}
impl_raw!(i8, i16, i32, i64);

/// The storage integer a tensor of a given type needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Storage {
    I8,
    I16,
    I32,
    I64,
}

impl Storage {
    /// The narrowest of `i8`/`i16`/`i32`/`i64` holding every raw value of `ty`; `None` for
    /// `ap_ufixed<64,..>`.
    pub fn for_type(ty: FixedType) -> Option<Storage> {
        if i8::holds(ty) {
            Some(Storage::I8)
        } else if i16::holds(ty) {
            Some(Storage::I16)
        } else if i32::holds(ty) {
            Some(Storage::I32)
        } else if i64::holds(ty) {
            Some(Storage::I64)
        } else {
            None
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            Storage::I8 => 8,
            Storage::I16 => 16,
            Storage::I32 => 32,
            Storage::I64 => 64,
        }
    }
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "i{}", self.bits())
    }
}

/// An accumulator integer (`i32` or `i64`). The arithmetic wraps: on valid inputs the config has
/// proven that nothing overflows, and on invalid ones a kernel must not panic.
pub trait Accum: Copy + Default + Debug + Ord + Send + Sync + 'static {
    /// The raw value `r`, converted (it fits: the accumulator holds every product).
    fn of<R: Raw>(r: R) -> Self;
    fn from_i64(v: i64) -> Self;
    fn to_i64(self) -> i64;
    /// `self + a * b`.
    fn mac(self, a: Self, b: Self) -> Self;
    fn add(self, a: Self) -> Self;
    fn shl(self, k: u32) -> Self;
}

macro_rules! impl_accum {
    ($($t:ty),*) => {$(
        impl Accum for $t {
            #[inline(always)]
            fn of<R: Raw>(r: R) -> Self {
                let v: i64 = r.into();
                v as $t
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn mac(self, a: Self, b: Self) -> Self {
                self.wrapping_add(a.wrapping_mul(b))
            }
            #[inline(always)]
            fn add(self, a: Self) -> Self {
                self.wrapping_add(a)
            }
            #[inline(always)]
            fn shl(self, k: u32) -> Self {
                self.wrapping_shl(k)
            }
        }
    )*};
}
impl_accum!(i32, i64);

/// Which integer a kernel accumulates in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccKind {
    I32,
    I64,
}

impl AccKind {
    /// `i32` when every raw value of `accum` fits in one, else `i64`; `None` beyond 64 bits.
    pub fn for_type(accum: FixedType) -> Option<AccKind> {
        if i32::holds(accum) {
            Some(AccKind::I32)
        } else if i64::holds(accum) {
            Some(AccKind::I64)
        } else {
            None
        }
    }
}

/// An interval of exact values `[lo, hi] · 2^-frac`: what a sum of products can reach.
///
/// Configs build the worst case of their accumulator from the operand types and check that the
/// declared accumulator holds all of it with at least `frac` fractional bits: then every `+=` of
/// the C++ twin is exact and so is the integer sum here. Arithmetic that leaves `i128` gives `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub lo: i128,
    pub hi: i128,
    pub frac: i32,
}

impl Span {
    /// Every value of `ty`.
    pub fn of(ty: FixedType) -> Span {
        Span {
            lo: ty.min_raw(),
            hi: ty.max_raw(),
            frac: ty.frac_bits(),
        }
    }

    /// The single value `raw · 2^-frac`.
    pub fn point(raw: i128, frac: i32) -> Span {
        Span {
            lo: raw,
            hi: raw,
            frac,
        }
    }

    /// `{a * b}` for `a` in `self`, `b` in `other`.
    pub fn times(self, other: Span) -> Option<Span> {
        let c = [
            self.lo.checked_mul(other.lo)?,
            self.lo.checked_mul(other.hi)?,
            self.hi.checked_mul(other.lo)?,
            self.hi.checked_mul(other.hi)?,
        ];
        Some(Span {
            lo: *c.iter().min()?,
            hi: *c.iter().max()?,
            frac: self.frac.checked_add(other.frac)?,
        })
    }

    /// Every sum of `n` values of `self` (and of fewer, when the span contains 0).
    pub fn repeated(self, n: u64) -> Option<Span> {
        let n = i128::from(n);
        Some(Span {
            lo: self.lo.min(0).checked_mul(n)?,
            hi: self.hi.max(0).checked_mul(n)?,
            frac: self.frac,
        })
    }

    /// `{a + b}`.
    pub fn plus(self, other: Span) -> Option<Span> {
        let frac = self.frac.max(other.frac);
        let (a, b) = (self.aligned(frac)?, other.aligned(frac)?);
        Some(Span {
            lo: a.lo.checked_add(b.lo)?,
            hi: a.hi.checked_add(b.hi)?,
            frac,
        })
    }

    /// The union of both spans.
    pub fn union(self, other: Span) -> Option<Span> {
        let frac = self.frac.max(other.frac);
        let (a, b) = (self.aligned(frac)?, other.aligned(frac)?);
        Some(Span {
            lo: a.lo.min(b.lo),
            hi: a.hi.max(b.hi),
            frac,
        })
    }

    /// The same values with `frac >= self.frac` fractional bits.
    pub fn aligned(self, frac: i32) -> Option<Span> {
        let k = u32::try_from(frac.checked_sub(self.frac)?).ok()?;
        Some(Span {
            lo: shl_exact(self.lo, k)?,
            hi: shl_exact(self.hi, k)?,
            frac,
        })
    }

    /// True when `ty` holds every value of the span exactly.
    pub fn fits(self, ty: FixedType) -> bool {
        self.aligned(ty.frac_bits())
            .is_some_and(|s| s.lo >= ty.min_raw() && s.hi <= ty.max_raw())
    }

    /// The narrowest signed `ap_fixed<W, W - frac>` holding the span (`None` beyond 128 bits).
    pub fn smallest_type(self) -> Option<FixedType> {
        let bits = |v: i128| {
            let magnitude = if v < 0 { !v } else { v };
            129 - magnitude.leading_zeros()
        };
        let width = bits(self.lo).max(bits(self.hi));
        let int_bits = i32::try_from(width).ok()?.checked_sub(self.frac)?;
        FixedType::wide(true, width, int_bits, Rounding::Trn, Overflow::Wrap, 0).ok()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]·2^-{}", self.lo, self.hi, self.frac)?;
        if let Some(ty) = self.smallest_type() {
            write!(f, " (at least {ty})")?;
        }
        Ok(())
    }
}

fn shl_exact(v: i128, k: u32) -> Option<i128> {
    if v == 0 {
        return Some(0);
    }
    if k >= 127 {
        return None;
    }
    let s = v << k;
    (s >> k == v).then_some(s)
}

/// The types of a multiply-accumulate layer (dense, conv): `acc = bias; acc += x * w; y = acc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacTypes {
    pub input: FixedType,
    pub weight: FixedType,
    pub bias: FixedType,
    pub accum: FixedType,
    pub output: FixedType,
}

impl MacTypes {
    /// The bias type of a layer without a bias: `ap_ufixed<1, 1 - F_acc>`, whose raw zeros add
    /// nothing to the accumulator's worst case. The one rule the loader and both emitters use.
    pub fn absent_bias(accum: FixedType) -> Result<FixedType, crate::FixedError> {
        FixedType::unsigned(1, 1 - accum.frac_bits())
    }

    /// The worst-case span of `bias + Σ_{fan_in} x·w`.
    pub fn accum_span(&self, fan_in: usize) -> Option<Span> {
        Span::of(self.input)
            .times(Span::of(self.weight))?
            .repeated(fan_in as u64)?
            .plus(Span::of(self.bias))
    }
}

/// What a multiply-accumulate kernel precomputes: the number type of the sums, the alignment
/// shifts of the products and of the bias into the accumulator's binary point, and the output
/// cast.
#[derive(Clone, Debug, PartialEq)]
pub struct MacPlan {
    /// A user accumulator that does not hold every partial sum exactly: the kernels run its
    /// casts step by step ([`super::accum`]); `None`: the exact fast paths.
    pub user: Option<super::accum::UserAccum>,
    /// The number type the products are summed in ([`SumKind::choose`]: exact in every order).
    pub sum: SumKind,
    /// `F_acc - (F_x + F_w)`: the products' sum is shifted left by this.
    pub prod_shift: u32,
    /// `F_acc - F_b`.
    pub bias_shift: u32,
    /// `accum → output`.
    pub requant: MacCast,
}

/// The output cast of a multiply-accumulate layer: on `i64` raw values when the accumulator has
/// at most 64 bits (the fast path), else on `i128` ([`WideRequant`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MacCast {
    Narrow(Requant),
    Wide(WideRequant),
}

impl MacCast {
    /// `accum → output`: `Narrow` when the accumulator's raw values fit an `i64`.
    pub fn new(accum: FixedType, output: FixedType) -> Result<MacCast, FixedError> {
        if AccKind::for_type(accum).is_some() {
            Requant::new(accum, output).map(MacCast::Narrow)
        } else {
            WideRequant::new(accum, output).map(MacCast::Wide)
        }
    }

    /// The `i64` cast, `None` for a wide accumulator.
    pub fn narrow(&self) -> Option<&Requant> {
        match self {
            MacCast::Narrow(rq) => Some(rq),
            MacCast::Wide(_) => None,
        }
    }

    pub fn is_wide(&self) -> bool {
        matches!(self, MacCast::Wide(_))
    }

    pub fn src(&self) -> FixedType {
        match self {
            MacCast::Narrow(rq) => rq.src(),
            MacCast::Wide(rq) => rq.src(),
        }
    }

    pub fn dst(&self) -> FixedType {
        match self {
            MacCast::Narrow(rq) => rq.dst(),
            MacCast::Wide(rq) => rq.dst(),
        }
    }

    /// The cast of one raw accumulator value (an `i128` that holds a raw value of `accum`); the
    /// result is a raw value of the output type, which has at most 64 bits.
    #[inline]
    pub fn apply_wide(&self, raw: i128) -> i64 {
        match self {
            MacCast::Narrow(rq) => rq.apply(raw as i64),
            MacCast::Wide(rq) => rq.apply(raw) as i64,
        }
    }
}

impl MacPlan {
    pub(crate) fn new(op: &'static str, t: &MacTypes, fan_in: usize) -> Result<MacPlan, OpError> {
        let requant = MacCast::new(t.accum, t.output).map_err(OpError::fixed(op))?;
        if Storage::for_type(t.output).is_none() {
            return Err(OpError::Storage {
                op,
                tensor: "output",
                ty: t.output,
                bits: 64,
            });
        }
        let f_acc = t.accum.frac_bits();
        let prod_shift = f_acc - t.input.frac_bits() - t.weight.frac_bits();
        let bias_shift = f_acc - t.bias.frac_bits();
        // Exact: every partial sum fits and no product or bias loses a bit; then each cast of
        // the contract is the identity and the fast paths compute the same bits.
        let exact = prod_shift >= 0
            && bias_shift >= 0
            && t.accum_span(fan_in).is_some_and(|need| need.fits(t.accum));
        if !exact {
            return Ok(MacPlan {
                user: Some(
                    super::accum::UserAccum::new(t.input, t.weight, t.bias, t.accum)
                        .map_err(|why| OpError::config(op, why))?,
                ),
                sum: SumKind::I64,
                prod_shift: 0,
                bias_shift: 0,
                requant,
            });
        }
        // The aligned bias and products of an exact accumulator are values of it (at most 128
        // bits), so the shifts stay below 128.
        Ok(MacPlan {
            user: None,
            sum: SumKind::choose(t, fan_in, AccKind::for_type(t.accum)),
            prod_shift: prod_shift as u32,
            bias_shift: bias_shift as u32,
            requant,
        })
    }

    /// The `i64` output cast of a layer whose accumulator has at most 64 bits; a config error
    /// naming the kernel for a wide one (the kernels that compute in `i64` only: shift-add).
    pub(crate) fn narrow_requant(&self, op: &'static str) -> Result<&Requant, OpError> {
        self.requant.narrow().ok_or_else(|| {
            OpError::config(
                op,
                format!(
                    "accumulator {} is wider than the 64 bits this kernel computes in",
                    self.requant.src()
                ),
            )
        })
    }
}

/// Checks a slice length.
pub(crate) fn check_len<T>(
    op: &'static str,
    tensor: &'static str,
    data: &[T],
    expected: usize,
) -> Result<(), OpError> {
    if data.len() == expected {
        Ok(())
    } else {
        Err(OpError::Length {
            op,
            tensor,
            expected,
            got: data.len(),
        })
    }
}

/// The length of a tensor of `dims[0] · dims[1] · …` values per sample over a tile of `lanes`
/// samples (the lanes layout, see [`crate::ops`]). Zero lanes and a product beyond `usize` are
/// config errors.
pub(crate) fn lanes_len(op: &'static str, dims: &[usize], lanes: usize) -> Result<usize, OpError> {
    if lanes == 0 {
        return Err(OpError::config(op, "a tile of 0 lanes"));
    }
    dims.iter()
        .try_fold(lanes, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            OpError::config(
                op,
                format!("{dims:?} values × {lanes} lanes do not fit in memory (usize overflow)"),
            )
        })
}

/// Values the element-wise loops compute before one output cast: a scratch of at most 2 KiB,
/// resident in L1.
pub(crate) const BLOCK: usize = 256;

/// The integer a kernel computes values in up to its output cast: `i32` when the cast takes
/// `i32`s ([`Requant::fits_i32`]), else `i64`. Every value before the cast is a value of the
/// cast's source type (the exact type of `x * scale + shift`, `a + b`, …), and so are the inputs
/// and constants it is computed from, so they all fit; arithmetic wraps, which is exact when the
/// true result fits. A vector holds twice as many `i32`s, which have vector compares and shifts
/// in every x86 instruction set.
pub(crate) trait Word: Copy + Default + Ord + Send + Sync + 'static {
    const MIN: i64;
    const MAX: i64;
    /// A raw value (it fits, see above).
    fn of<R: Raw>(r: R) -> Self;
    /// An `i64` that fits (a constant, an exact sum).
    fn from_i64(v: i64) -> Self;
    fn to_i64(self) -> i64;
    fn add(self, b: Self) -> Self;
    fn sub(self, b: Self) -> Self;
    fn mul(self, b: Self) -> Self;
    fn shl(self, k: u32) -> Self;
    /// `rq` on every value: [`Requant::apply_all`] or [`Requant::apply_all_i32`].
    fn cast_all(rq: &Requant, v: &mut [Self]);

    /// The comparison `v < t` (`below`) or `v > t` (`!below`) of a `Word` with an `i128`
    /// threshold, as `(v < w) | all` or `(v > w) | all`: `t` clamped into the word, and whether
    /// every word is on the far side of it.
    fn threshold(t: i128, below: bool) -> (Self, bool) {
        let w = Self::from_i64(t.clamp(Self::MIN.into(), Self::MAX.into()) as i64);
        let all = if below {
            t > i128::from(Self::MAX)
        } else {
            t < i128::from(Self::MIN)
        };
        (w, all)
    }
}

macro_rules! impl_word {
    ($t:ty, $cast_all:ident) => {
        impl Word for $t {
            const MIN: i64 = <$t>::MIN as i64;
            const MAX: i64 = <$t>::MAX as i64;
            #[inline(always)]
            fn of<R: Raw>(r: R) -> Self {
                Into::<i64>::into(r) as $t
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                self.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                self.wrapping_sub(b)
            }
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                self.wrapping_mul(b)
            }
            #[inline(always)]
            fn shl(self, k: u32) -> Self {
                self.wrapping_shl(k)
            }
            #[inline(always)]
            fn cast_all(rq: &Requant, v: &mut [Self]) {
                rq.$cast_all(v)
            }
        }
    };
}
impl_word!(i32, cast_all_i32);
impl_word!(i64, apply_all);

/// [`Requant::apply_all_i32`] compiled twice, baseline and with AVX2 (8 lanes, and the `i32`
/// min/max that SSE2 lacks), the second chosen at run time when the CPU has it. The same bits
/// either way: integer instructions only.
trait CastI32 {
    fn cast_all_i32(&self, v: &mut [i32]);
}

impl CastI32 for Requant {
    #[inline]
    fn cast_all_i32(&self, v: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: `cast_all_i32_avx2` only requires AVX2, detected on this CPU above.
                unsafe { cast_all_i32_avx2(self, v) };
                return;
            }
        }
        self.apply_all_i32(v);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn cast_all_i32_avx2(rq: &Requant, v: &mut [i32]) {
    rq.apply_all_i32(v);
}

/// `y = rq(v)` for every value: the cast once over the slice (modes chosen once), then the
/// narrowing store. `v` is overwritten.
#[inline(always)]
pub(crate) fn cast_store<W: Word, Y: Raw>(rq: &Requant, v: &mut [W], y: &mut [Y]) {
    W::cast_all(rq, v);
    store(v, y);
}

/// `y = v` for values already of the output type.
#[inline(always)]
pub(crate) fn store<W: Word, Y: Raw>(v: &[W], y: &mut [Y]) {
    for (yv, &v) in y.iter_mut().zip(v) {
        *yv = Y::from_i64_unchecked(v.to_i64());
    }
}

/// `y = rq(f(x))` for every value, in blocks of [`BLOCK`].
#[inline(always)]
pub(crate) fn map_cast<W: Word, X: Raw, Y: Raw>(
    rq: &Requant,
    x: &[X],
    y: &mut [Y],
    f: impl Fn(X) -> W,
) {
    let mut buf = [W::default(); BLOCK];
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks_mut(BLOCK)) {
        let v = &mut buf[..xb.len()];
        for (v, &xv) in v.iter_mut().zip(xb) {
            *v = f(xv);
        }
        cast_store(rq, v, yb);
    }
}

/// The length of the partial results of [`fold_lanes`] for `lanes` lanes: the multiple of `lanes`
/// at or above 32 (a few vectors wide even for one lane).
pub(crate) fn fold_width(lanes: usize) -> usize {
    lanes * 32usize.div_ceil(lanes)
}

/// Folds `x`, a whole number of rows of `L = out.len()` lanes (the lanes layout), into one result
/// per lane, for an `f` whose result does not depend on the order of the terms (a maximum, an
/// exact sum): first into `part` (`fold_width(L)` partial results, so that value `j` of every
/// chunk of `part.len()` values belongs to lane `j mod L`, and the loop is one run over contiguous
/// values whatever `L`), then each lane's partial results into `out[s]`.
#[inline(always)]
pub(crate) fn fold_lanes<T: Copy, X: Copy>(
    x: &[X],
    part: &mut [T],
    out: &mut [T],
    init: T,
    f: impl Fn(T, X) -> T,
    merge: impl Fn(T, T) -> T,
) {
    part.fill(init);
    let mut chunks = x.chunks_exact(part.len());
    for chunk in &mut chunks {
        for (p, &t) in part.iter_mut().zip(chunk) {
            *p = f(*p, t);
        }
    }
    // The rest is a whole number of rows (`x.len()` and `part.len()` are multiples of `L`).
    for (p, &t) in part.iter_mut().zip(chunks.remainder()) {
        *p = f(*p, t);
    }
    let lanes = out.len();
    for (s, o) in out.iter_mut().enumerate() {
        *o = part[s..]
            .iter()
            .step_by(lanes)
            .fold(init, |o, &p| merge(o, p));
    }
}

/// Checks that storage `R` holds every raw value of `ty`.
pub(crate) fn check_storage<R: Raw>(
    op: &'static str,
    tensor: &'static str,
    ty: FixedType,
) -> Result<(), OpError> {
    if R::holds(ty) {
        Ok(())
    } else {
        Err(OpError::Storage {
            op,
            tensor,
            ty,
            bits: R::BITS,
        })
    }
}

/// Checks that a constant's raw value is a value of its type.
pub(crate) fn constant(op: &'static str, raw: i64, ty: FixedType) -> Result<Fixed, OpError> {
    Fixed::from_raw(i128::from(raw), ty).map_err(OpError::fixed(op))
}

/// The exact type of `a * b + c` (how the header types `alpha * x + beta`), and the shifts that
/// align the product and `c` to it.
pub(crate) fn mul_add_type(
    op: &'static str,
    a: FixedType,
    b: FixedType,
    c: FixedType,
) -> Result<(FixedType, u32, u32), OpError> {
    let prod = product_type(a, b).map_err(OpError::fixed(op))?;
    let sum = sum_type(prod, c).map_err(OpError::fixed(op))?;
    let f = sum.frac_bits();
    Ok((
        sum,
        (f - prod.frac_bits()) as u32,
        (f - c.frac_bits()) as u32,
    ))
}

/// Requant from an intermediate type, failing cleanly when it is wider than 64 bits (only the
/// multiply-accumulate kernels compute in `i128`, [`MacCast`]).
pub(crate) fn requant(
    op: &'static str,
    src: FixedType,
    dst: FixedType,
) -> Result<Requant, OpError> {
    Requant::new(src, dst).map_err(|_| {
        OpError::config(
            op,
            format!(
                "the exact intermediate {src} is wider than the 64 bits the kernels compute in; \
                 narrow the operand types"
            ),
        )
    })
}

/// `floor(raw · 2^d)`, saturated far beyond the `i64` range (enough to compare with raw `i64`s).
pub(crate) fn scaled_floor(raw: i64, d: i32) -> i128 {
    let raw = i128::from(raw);
    if d >= 0 {
        raw << d.min(63)
    } else {
        raw >> (-d).min(100)
    }
}

/// `ceil(raw · 2^d)`, saturated like [`scaled_floor`].
pub(crate) fn scaled_ceil(raw: i64, d: i32) -> i128 {
    if d >= 0 {
        scaled_floor(raw, d)
    } else {
        -((-i128::from(raw)) >> (-d).min(100))
    }
}

/// The raw value C++ gives `T y = 1;` (an `int` is an `ap_fixed<32,32>` to the header).
pub(crate) fn int_one(ty: FixedType) -> i64 {
    let one = Fixed::from_bits(
        1,
        FixedType::signed(32, 32).expect("ap_fixed<32,32> is valid"),
    );
    one.cast(ty).raw() as i64
}

/// Work compiled once per instruction set: `go::<true>` with AVX2 and FMA enabled, `go::<false>`
/// for the baseline target ([`with_simd`] picks one at run time). `go` must be `#[inline(always)]`
/// and call only inlined code, so that its loops get the instruction set of its caller.
pub(crate) trait Simd {
    fn go<const FMA: bool>(self);
}

/// Runs `job` with AVX2 and FMA code when the CPU has them, else with baseline code.
pub(crate) fn with_simd<J: Simd>(job: J) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: `go_avx2` only requires AVX2 and FMA, detected on this CPU just above.
            unsafe { go_avx2(job) };
            return;
        }
    }
    job.go::<false>();
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn go_avx2<J: Simd>(job: J) {
    job.go::<true>();
}

/// The number type a layer's sums are computed in (see the module doc for why each is exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SumKind {
    F32,
    F64,
    I32,
    I64,
    /// Accumulators wider than 64 bits whose sums of products leave the `i64` range.
    I128,
}

impl SumKind {
    /// The fastest exact choice for `fan_in` products of `types.input × types.weight`, with an
    /// accumulator of integer kind `acc` (already checked against the declared type).
    ///
    /// The bound `S` covers every partial sum: each is a sum of at most `fan_in` products, each
    /// in `[p_lo, p_hi]`, so it lies in `[fan_in · min(p_lo, 0), fan_in · max(p_hi, 0)]`
    /// ([`Span::repeated`]). The operands themselves must be exact too (`|x|, |w| ≤ S_max`).
    /// `acc` is the integer kind of an accumulator of at most 64 bits, `None` for a wider one:
    /// then the sums run in `i128` unless their bound fits an `i64` (or a float).
    pub fn choose(types: &MacTypes, fan_in: usize, acc: Option<AccKind>) -> SumKind {
        let (x, w) = (Span::of(types.input), Span::of(types.weight));
        let bound = x
            .times(w)
            .and_then(|p| p.repeated(fan_in as u64))
            .map(|s| s.lo.unsigned_abs().max(s.hi.unsigned_abs()));
        let operands = [x.lo, x.hi, w.lo, w.hi]
            .iter()
            .map(|v| v.unsigned_abs())
            .max()
            .unwrap_or(0);
        let exact_in = |bits: u32| bound.is_some_and(|b| b <= 1 << bits) && operands <= 1 << bits;
        if exact_in(f32::MANTISSA_DIGITS) {
            SumKind::F32
        } else if acc == Some(AccKind::I32) {
            SumKind::I32
        } else if exact_in(f64::MANTISSA_DIGITS) {
            SumKind::F64
        } else if acc.is_some() || (bound.is_some_and(|b| b < 1 << 63) && operands < 1 << 63) {
            SumKind::I64
        } else {
            SumKind::I128
        }
    }
}

/// How the HLS twin of a multiply-accumulate kernel is built, in hls4ml's words. It never changes
/// a bit: the kernels compute the same sum in the same order under every strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MacStrategy {
    /// Every product of a position written out (weights as compile-time constants, so HLS builds
    /// each product from its constant), pipelined at II = reuse factor with at most
    /// `n_in·n_out / R` multipliers (`ALLOCATION`).
    Latency,
    /// A loop of `R` steps per position, each step `n_in·n_out / R` products with the weights in
    /// a ROM partitioned by that many.
    #[default]
    Resource,
}

/// The folding of one position of a multiply-accumulate kernel (a dense layer, or one output
/// pixel of a convolution: `n_in` products into each of `n_out` outputs).
///
/// The reuse factor has hls4ml's meaning: each multiplier serves `R` of the `n_in·n_out`
/// products, so a position takes `R` cycles and `n_in·n_out / R` multipliers. `R` must satisfy
/// hls4ml's rule ([`reuse_is_valid`]); the products are then done in `R` steps of
/// [`MacFold::outputs_per_step`] outputs × [`MacFold::inputs_per_step`] inputs, every output's
/// products in increasing input order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MacFold {
    pub strategy: MacStrategy,
    pub reuse_factor: usize,
    /// `resource` convolution: partition the input and output arrays when a step reads more
    /// taps, or writes more outputs, than an array has ports ([`MacFold::conv_in_banks`],
    /// [`MacFold::conv_out_banks`]). Without it a step waits for the two ports.
    pub partition: bool,
}

/// Read/write ports of an unpartitioned on-chip array (true dual-port block RAM or LUTRAM).
pub const ARRAY_PORTS: usize = 2;

impl Default for MacFold {
    fn default() -> MacFold {
        MacFold {
            strategy: MacStrategy::Resource,
            reuse_factor: 1,
            partition: true,
        }
    }
}

impl MacFold {
    /// The folding `strategy`/`reuse_factor` of `n_in × n_out` products, checked by hls4ml's rule.
    pub fn new(
        op: &'static str,
        strategy: MacStrategy,
        reuse_factor: usize,
        n_in: usize,
        n_out: usize,
    ) -> Result<MacFold, OpError> {
        if !reuse_is_valid(n_in, n_out, reuse_factor) {
            return Err(OpError::config(
                op,
                format!(
                    "reuse factor {reuse_factor} is not valid for {n_in} inputs × {n_out} outputs \
                     (valid: {})",
                    list_valid(n_in, n_out)
                ),
            ));
        }
        Ok(MacFold {
            strategy,
            reuse_factor,
            partition: true,
        })
    }

    /// Input taps one step of the `resource` convolution reads: the inputs of each output
    /// ([`MacFold::inputs_per_step`]) times the groups its outputs span (`groups` groups of
    /// `n_out / groups` outputs, each reading its own input channels).
    pub fn conv_reads_per_step(&self, n_in: usize, n_out: usize, groups: usize) -> usize {
        let outs = self.outputs_per_step(n_in, n_out).max(1);
        let per_group = (n_out / groups.max(1)).max(1);
        self.inputs_per_step(n_in).max(1) * outs.div_ceil(per_group)
    }

    /// Banks of the `resource` convolution's input array of `input_len` words (the CONFIG
    /// member `in_banks`, a cyclic partition factor): all of them, one register per word, when
    /// the fold partitions and a step reads more taps than [`ARRAY_PORTS`]; else 1. A cyclic
    /// partition by the taps of a step would not do: a window spans rows and channels, so
    /// the banks its taps fall in change with the position. The latency kernel partitions its
    /// input completely on its own.
    pub fn conv_in_banks(
        &self,
        n_in: usize,
        n_out: usize,
        groups: usize,
        input_len: usize,
    ) -> usize {
        if self.strategy == MacStrategy::Resource
            && self.partition
            && self.conv_reads_per_step(n_in, n_out, groups) > ARRAY_PORTS
        {
            input_len.max(1)
        } else {
            1
        }
    }

    /// Banks of the `resource` convolution's output array (the CONFIG member `out_banks`, a
    /// block partition factor): one per output channel, its plane, when the fold partitions
    /// and a step writes more outputs than [`ARRAY_PORTS`]; else 1.
    pub fn conv_out_banks(&self, n_in: usize, n_out: usize) -> usize {
        if self.strategy == MacStrategy::Resource
            && self.partition
            && self.outputs_per_step(n_in, n_out) > ARRAY_PORTS
        {
            n_out.max(1)
        } else {
            1
        }
    }

    /// Groups of outputs done one after another: `R / n_in` when `R > n_in`, else 1.
    pub fn output_groups(&self, n_in: usize) -> usize {
        if self.reuse_factor > n_in {
            self.reuse_factor / n_in
        } else {
            1
        }
    }

    /// Outputs computed in one step.
    pub fn outputs_per_step(&self, n_in: usize, n_out: usize) -> usize {
        n_out / self.output_groups(n_in)
    }

    /// Inputs of each of those outputs consumed in one step.
    pub fn inputs_per_step(&self, n_in: usize) -> usize {
        n_in * self.output_groups(n_in) / self.reuse_factor
    }

    /// Parallel multipliers: `n_in·n_out / R` (hls4ml's block factor).
    pub fn block_factor(&self, n_in: usize, n_out: usize) -> usize {
        (n_in * n_out).div_ceil(self.reuse_factor.max(1))
    }
}

/// hls4ml's rule for a reuse factor of `n_in × n_out` products: `R` divides `n_in·n_out`, and
/// either `R ≤ n_in` and `R` divides `n_in`, or `R` is a multiple of `n_in`. Equivalently the
/// products split into `R` equal steps of whole output groups.
pub fn reuse_is_valid(n_in: usize, n_out: usize, r: usize) -> bool {
    if r == 0 || n_in == 0 || n_out == 0 || r > n_in * n_out {
        return false;
    }
    if r <= n_in {
        n_in.is_multiple_of(r)
    } else {
        r.is_multiple_of(n_in) && n_out.is_multiple_of(r / n_in)
    }
}

/// Every valid reuse factor of `n_in × n_out` products, ascending.
pub fn valid_reuse_factors(n_in: usize, n_out: usize) -> Vec<usize> {
    let divisors = |n: usize| (1..=n).filter(move |d| n.is_multiple_of(*d));
    let mut v: Vec<usize> = divisors(n_in)
        .chain(divisors(n_out).skip(1).map(|m| m * n_in))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The valid reuse factor nearest to `r` (ties: the smaller, as hls4ml picks).
pub fn closest_reuse_factor(n_in: usize, n_out: usize, r: usize) -> usize {
    valid_reuse_factors(n_in, n_out)
        .into_iter()
        .min_by_key(|&v| (v.abs_diff(r), v))
        .unwrap_or(1)
}

fn list_valid(n_in: usize, n_out: usize) -> String {
    let v = valid_reuse_factors(n_in, n_out);
    let shown: Vec<String> = v.iter().take(24).map(usize::to_string).collect();
    if v.len() > shown.len() {
        format!("{}, ... ({} in all)", shown.join(", "), v.len())
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    #[test]
    fn a_conv_partitions_only_past_the_two_ports() {
        // 4×4 taps of 3 channels into 32 outputs at R = 1: 48 reads and 32 writes a step.
        let f = MacFold::new("t", MacStrategy::Resource, 1, 48, 32).unwrap();
        assert_eq!(f.conv_in_banks(48, 32, 1, 2352), 2352);
        assert_eq!(f.conv_out_banks(48, 32), 32);
        // R = 24: two taps a step, through the two ports; still 32 writes.
        let f = MacFold::new("t", MacStrategy::Resource, 24, 48, 32).unwrap();
        assert_eq!(f.conv_in_banks(48, 32, 1, 2352), 1);
        assert_eq!(f.conv_out_banks(48, 32), 32);
        // Depthwise (3 groups of one output): at R = 3 a step reads one tap of each of its
        // three outputs' channels: 3 reads.
        let f = MacFold::new("t", MacStrategy::Resource, 3, 3, 3).unwrap();
        assert_eq!(f.conv_reads_per_step(3, 3, 3), 3);
        assert_eq!(f.conv_in_banks(3, 3, 3, 96), 96);
        // Not partitioned by the plan, or the latency kernel: one bank.
        let mut f = f;
        f.partition = false;
        assert_eq!(
            (f.conv_in_banks(3, 3, 3, 96), f.conv_out_banks(3, 3)),
            (1, 1)
        );
        let f = MacFold::new("t", MacStrategy::Latency, 1, 48, 32).unwrap();
        assert_eq!(
            (f.conv_in_banks(48, 32, 1, 2352), f.conv_out_banks(48, 32)),
            (1, 1)
        );
    }

    /// hls4ml's own formulation, written out as it states it.
    fn hls4ml_rule(n_in: usize, n_out: usize, rf: usize) -> bool {
        let mult = n_in.min(rf);
        let limit = (n_in * n_out).div_ceil(mult);
        (limit.is_multiple_of(n_out) || rf >= n_in)
            && (rf.is_multiple_of(n_in) || rf < n_in)
            && (n_in * n_out).is_multiple_of(rf)
    }

    #[test]
    fn the_rule_is_hls4mls_and_the_steps_tile_the_products() {
        for n_in in 1..=40 {
            for n_out in 1..=24 {
                let valid = valid_reuse_factors(n_in, n_out);
                for r in 1..=n_in * n_out {
                    assert_eq!(reuse_is_valid(n_in, n_out, r), hls4ml_rule(n_in, n_out, r));
                    assert_eq!(
                        valid.contains(&r),
                        hls4ml_rule(n_in, n_out, r),
                        "{n_in} {n_out} {r}"
                    );
                    if reuse_is_valid(n_in, n_out, r) {
                        let f = MacFold::new("t", MacStrategy::Resource, r, n_in, n_out).unwrap();
                        let per_step = f.outputs_per_step(n_in, n_out) * f.inputs_per_step(n_in);
                        assert_eq!(per_step * r, n_in * n_out);
                        assert_eq!(per_step, f.block_factor(n_in, n_out));
                    }
                }
            }
        }
        assert_eq!(closest_reuse_factor(16, 64, 3), 2);
        assert_eq!(closest_reuse_factor(16, 64, 6), 4);
        assert_eq!(closest_reuse_factor(16, 64, 10_000), 1024);
        assert_eq!(valid_reuse_factors(3, 4), vec![1, 3, 6, 12]);
    }
}
