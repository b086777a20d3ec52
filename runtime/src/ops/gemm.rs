//! The multiply-accumulate engine behind [`super::dense`], [`super::conv1d`] and
//! [`super::conv2d`]: a batch of samples as one matrix product per group, on numbers in which
//! every sum is exact.
//!
//! ```text
//! y[s][co][p] = requant((Σ_k W[co][k] · X[k][(s, p)]) << prod_shift + (b[co] << bias_shift))
//! ```
//! `W` is the weight matrix of a group (`C_out/groups` rows, `k = (ci, ky, kx)` columns), packed
//! once into row panels ([`PackedWeights`]); `X` is the im2col matrix of a block of output
//! positions `(s, p)` of the batch (the taps each position reads, 0 in the padding), gathered per
//! block so that its size stays bounded whatever the batch. Each tile of `MR` rows × `NR`
//! positions accumulates in registers over `k`, then its epilogue aligns the sum, adds the bias
//! and casts into the output type with the layer's [`crate::fixed::Requant`]: one rounding point,
//! as in the header.
//!
//! **Why the order of the sum is free.** The config proves, from the operand types alone, that
//! every partial sum of products (of any subset of them, in any order) lies in a bound `S`
//! ([`Lanes::choose`]). The sums are then computed in one of:
//! - `f32` when `S ≤ 2^24`, `f64` when `S ≤ 2^53`: every product and every partial sum is an
//!   integer the float represents exactly, so each multiply, add or fused multiply-add is exact
//!   (its exact result is representable, and IEEE rounding returns it unchanged);
//! - `i32` when the declared accumulator fits an `i32`, else `i64`: wrapping arithmetic is exact
//!   modulo `2^32` (`2^64`), and the true sum fits, so the result is the true sum.
//!
//! All four give the exact integer sum of the header's `acc += x * w` loop, whose accumulator the
//! config has proven never rounds or overflows ([`super::common::MacPlan`]); only the order
//! differs, and integer addition without overflow is associative. The floats are there because
//! x86 has vector FMA for them and no vector 64-bit multiply: on AVX2 a tile is 8 (`f64`) or 16
//! (`f32`) vector FMAs per tap.
//!
//! The loops are plain Rust that LLVM vectorizes. They are compiled twice: for the baseline
//! target, and with AVX2 and FMA enabled, picked at run time when the CPU has them
//! ([`with_simd`]); the two compute the same (exact) numbers.

use std::mem::size_of;

use super::common::{check_len, check_storage, AccKind, MacPlan, MacTypes, OpError, Raw, Span};
use super::window::Window2;
use crate::fixed::{FloatRequant, Requant};

/// The number type a layer's sums are computed in (see the module doc for why each is exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lanes {
    F32,
    F64,
    I32,
    I64,
}

impl Lanes {
    /// The fastest exact choice for `fan_in` products of `types.input × types.weight`, with an
    /// accumulator of integer kind `acc` (already checked against the declared type).
    ///
    /// The bound `S` covers every partial sum: each is a sum of at most `fan_in` products, each
    /// in `[p_lo, p_hi]`, so it lies in `[fan_in · min(p_lo, 0), fan_in · max(p_hi, 0)]`
    /// ([`Span::repeated`]). The operands themselves must be exact too (`|x|, |w| ≤ S_max`).
    pub fn choose(types: &MacTypes, fan_in: usize, acc: AccKind) -> Lanes {
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
            Lanes::F32
        } else if acc == AccKind::I32 {
            Lanes::I32
        } else if exact_in(f64::MANTISSA_DIGITS) {
            Lanes::F64
        } else {
            Lanes::I64
        }
    }
}

/// A number type of the engine.
pub(crate) trait Lane: Copy + Default + Send + Sync + 'static {
    /// True for `f32` and `f64`: the epilogue may stay in floats ([`FloatRequant`]).
    const FLOAT: bool;
    /// `v` in this type (exact for the values the engine was chosen for).
    fn of(v: i64) -> Self;
    /// The (integral) value as an `f64` (exact for float lanes).
    fn to_f64(self) -> f64;
    /// The (integral) value back.
    fn to_i64(self) -> i64;
    /// `self + a · b`, exact for the values the engine was chosen for; `FMA` fuses floats.
    fn mac<const FMA: bool>(self, a: Self, b: Self) -> Self;
}

macro_rules! float_lane {
    ($t:ty) => {
        impl Lane for $t {
            const FLOAT: bool = true;
            #[inline(always)]
            fn of(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn mac<const FMA: bool>(self, a: Self, b: Self) -> Self {
                // Exact either way; `mul_add` only where the CPU has FMA (else it is a libm call).
                if FMA {
                    a.mul_add(b, self)
                } else {
                    self + a * b
                }
            }
        }
    };
}
float_lane!(f32);
float_lane!(f64);

macro_rules! int_lane {
    ($t:ty) => {
        impl Lane for $t {
            const FLOAT: bool = false;
            #[inline(always)]
            fn of(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn mac<const FMA: bool>(self, a: Self, b: Self) -> Self {
                self.wrapping_add(a.wrapping_mul(b))
            }
        }
    };
}
int_lane!(i32);
int_lane!(i64);

/// Rows per weight panel (fewer when a group has fewer output channels).
const MR: usize = 4;

/// The shape of a multiply-accumulate layer: a (possibly grouped) convolution over one sample's
/// `[C_in][H][W]`; a dense layer is a 1×1 convolution over a 1×1 plane.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MacShape {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub window: Window2,
    /// Output rows `[lo, hi)` whose tap `ky` lies inside the input, for each `ky`.
    oy_valid: Vec<(usize, usize)>,
    /// Output columns `[lo, hi)` whose tap `kx` lies inside the input, for each `kx`.
    ox_valid: Vec<(usize, usize)>,
}

impl MacShape {
    /// Channel counts are non-zero and divisible by `groups` (checked by the configs).
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        window: Window2,
    ) -> MacShape {
        let valid = |outs: usize, taps: usize, range: &dyn Fn(usize) -> std::ops::Range<usize>| {
            (0..taps)
                .map(|k| {
                    let inside: Vec<usize> = (0..outs).filter(|&o| range(o).contains(&k)).collect();
                    // Monotonic in the output index, so the valid outputs form one interval.
                    match (inside.first(), inside.last()) {
                        (Some(&lo), Some(&hi)) => (lo, hi + 1),
                        _ => (0, 0),
                    }
                })
                .collect()
        };
        let oy_valid = valid(window.out_h, window.kernel_h, &|o| window.rows(o));
        let ox_valid = valid(window.out_w, window.kernel_w, &|o| window.cols(o));
        MacShape {
            in_channels,
            out_channels,
            groups,
            window,
            oy_valid,
            ox_valid,
        }
    }

    /// The shape of a dense layer.
    pub fn dense(n_in: usize, n_out: usize) -> MacShape {
        let one = Window2::new([1, 1], [1, 1], [1, 1], [1, 1], [0; 4], false)
            .expect("a 1x1 window over a 1x1 plane is valid");
        MacShape::new(n_in, n_out, 1, one)
    }

    fn cin_g(&self) -> usize {
        self.in_channels / self.groups
    }

    fn cout_g(&self) -> usize {
        self.out_channels / self.groups
    }

    /// Columns of a group's weight matrix: `C_in/groups · kh · kw`.
    pub fn fan_in(&self) -> usize {
        self.cin_g() * self.window.size()
    }

    fn positions(&self) -> usize {
        self.window.out_h * self.window.out_w
    }

    fn input_len(&self) -> usize {
        self.in_channels * self.window.in_h * self.window.in_w
    }

    fn output_len(&self) -> usize {
        self.out_channels * self.positions()
    }

    /// True for a 1×1 window, stride 1, no padding: im2col is the input itself.
    fn is_pointwise(&self) -> bool {
        let w = &self.window;
        w.size() == 1
            && w.stride_h == 1
            && w.stride_w == 1
            && w.pad_top == 0
            && w.pad_left == 0
            && w.out_h == w.in_h
            && w.out_w == w.in_w
    }
}

/// Weights converted into the engine's number type and packed into row panels: for each group,
/// panels of `mr` output channels (the last one padded with zero rows), each `k`-major
/// (`panel[k · mr + r]`), so the kernel reads one contiguous run of `mr` weights per tap.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedWeights {
    data: Packed,
    mr: usize,
    panels_per_group: usize,
    fan_in: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Packed {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl PackedWeights {
    /// Packs `w [C_out][fan_in]` (raw values, checked by the caller) for `lanes`.
    pub(crate) fn new<W: Raw>(shape: &MacShape, lanes: Lanes, w: &[W]) -> PackedWeights {
        let (cout_g, fan_in) = (shape.cout_g(), shape.fan_in());
        let mr = cout_g.min(MR);
        let panels_per_group = cout_g.div_ceil(mr);
        fn pack<W: Raw, T: Lane>(shape: &MacShape, mr: usize, panels: usize, w: &[W]) -> Vec<T> {
            let (cout_g, fan_in) = (shape.cout_g(), shape.fan_in());
            let mut out = vec![T::default(); shape.groups * panels * fan_in * mr];
            for (co, row) in w.chunks_exact(fan_in).enumerate() {
                let (g, local) = (co / cout_g, co % cout_g);
                let panel = &mut out[(g * panels + local / mr) * fan_in * mr..][..fan_in * mr];
                for (k, &v) in row.iter().enumerate() {
                    panel[k * mr + local % mr] = T::of(v.into());
                }
            }
            out
        }
        let data = match lanes {
            Lanes::F32 => Packed::F32(pack(shape, mr, panels_per_group, w)),
            Lanes::F64 => Packed::F64(pack(shape, mr, panels_per_group, w)),
            Lanes::I32 => Packed::I32(pack(shape, mr, panels_per_group, w)),
            Lanes::I64 => Packed::I64(pack(shape, mr, panels_per_group, w)),
        };
        PackedWeights {
            data,
            mr,
            panels_per_group,
            fan_in,
        }
    }

    pub fn lanes(&self) -> Lanes {
        match self.data {
            Packed::F32(_) => Lanes::F32,
            Packed::F64(_) => Lanes::F64,
            Packed::I32(_) => Lanes::I32,
            Packed::I64(_) => Lanes::I64,
        }
    }

    /// True when this packing belongs to a layer of this shape.
    pub(crate) fn fits(&self, shape: &MacShape) -> bool {
        let len = match &self.data {
            Packed::F32(v) => v.len(),
            Packed::F64(v) => v.len(),
            Packed::I32(v) => v.len(),
            Packed::I64(v) => v.len(),
        };
        self.fan_in == shape.fan_in()
            && self.mr == shape.cout_g().min(MR)
            && self.panels_per_group == shape.cout_g().div_ceil(self.mr)
            && len == shape.groups * self.panels_per_group * self.fan_in * self.mr
    }
}

/// What the epilogue needs: shifts, the cast, and the bias already aligned to the accumulator.
pub(crate) struct Epilogue<'a> {
    pub prod_shift: u32,
    /// `b[co] << bias_shift`, one per output channel.
    pub bias: &'a [i64],
    pub requant: &'a Requant,
    /// For float lanes, when the cast can stay in floats: `2^prod_shift`, the bias as `f64`s
    /// (exact: the accumulator has at most 53 bits) and the cast.
    pub float: Option<(f64, &'a [f64], FloatRequant)>,
}

/// Runs `batch` samples: `x [batch][C_in][H][W]` → `y [batch][C_out][out_h][out_w]`. Slices are
/// checked by the callers (lengths, storage).
pub(crate) fn run<X: Raw, Y: Raw>(
    shape: &MacShape,
    packed: &PackedWeights,
    epi: &Epilogue<'_>,
    x: &[X],
    y: &mut [Y],
    batch: usize,
) {
    match &packed.data {
        Packed::F32(a) => with_simd(Job::<f32, X, Y, 16> {
            shape,
            packed,
            a,
            epi,
            x,
            y,
            batch,
        }),
        Packed::F64(a) => with_simd(Job::<f64, X, Y, 8> {
            shape,
            packed,
            a,
            epi,
            x,
            y,
            batch,
        }),
        Packed::I32(a) => with_simd(Job::<i32, X, Y, 16> {
            shape,
            packed,
            a,
            epi,
            x,
            y,
            batch,
        }),
        Packed::I64(a) => with_simd(Job::<i64, X, Y, 8> {
            shape,
            packed,
            a,
            epi,
            x,
            y,
            batch,
        }),
    }
}

/// One call of the engine, for number type `T` and `NR` positions per tile.
struct Job<'a, 'b, T, X, Y, const NR: usize> {
    shape: &'a MacShape,
    packed: &'a PackedWeights,
    a: &'a [T],
    epi: &'a Epilogue<'a>,
    x: &'a [X],
    y: &'b mut [Y],
    batch: usize,
}

/// Work compiled once per instruction set.
trait Simd {
    fn go<const FMA: bool>(self);
}

/// Runs `job` with AVX2 and FMA code when the CPU has them, else with baseline code.
fn with_simd<J: Simd>(job: J) {
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

/// A run of consecutive output positions of one output row of one sample.
#[derive(Clone, Copy)]
struct Piece {
    /// Sample.
    s: usize,
    oy: usize,
    ox0: usize,
    len: usize,
}

impl<T: Lane, X: Raw, Y: Raw, const NR: usize> Simd for Job<'_, '_, T, X, Y, NR> {
    #[inline(always)]
    fn go<const FMA: bool>(self) {
        let Job {
            shape,
            packed,
            a,
            epi,
            x,
            y,
            batch,
        } = self;
        let fan_in = shape.fan_in();
        let positions = shape.positions();
        let total = batch * positions;
        // Block of positions: the im2col block (`fan_in × cols` numbers) stays within ~128 KiB.
        let budget = (128 << 10) / size_of::<T>() / fan_in.max(1);
        let cols = (budget / NR * NR).clamp(NR, 2048);
        let mut b = vec![T::default(); fan_in * cols];
        let mut pieces = Vec::new();
        let mut offsets = vec![0usize; cols];
        let panel_len = fan_in * packed.mr;
        let mut start = 0;
        while start < total {
            let end = (start + cols).min(total);
            let n = end - start;
            let ld = n.div_ceil(NR) * NR;
            block_pieces(shape, start, end, &mut pieces);
            let mut at = 0;
            for pc in &pieces {
                let base = pc.s * shape.output_len() + pc.oy * shape.window.out_w + pc.ox0;
                for (i, o) in offsets[at..at + pc.len].iter_mut().enumerate() {
                    *o = base + i;
                }
                at += pc.len;
            }
            let b = &mut b[..fan_in * ld];
            for g in 0..shape.groups {
                im2col(shape, g, x, &pieces, b, ld, n);
                let panels = &a[g * packed.panels_per_group * panel_len..]
                    [..packed.panels_per_group * panel_len];
                for j0 in (0..ld).step_by(NR) {
                    let ncols = NR.min(n - j0);
                    for (pi, panel) in panels.chunks_exact(panel_len).enumerate() {
                        let mut acc = [[T::default(); NR]; MR];
                        match packed.mr {
                            1 => micro::<T, 1, NR, FMA>(panel, b, ld, j0, &mut acc),
                            2 => micro::<T, 2, NR, FMA>(panel, b, ld, j0, &mut acc),
                            3 => micro::<T, 3, NR, FMA>(panel, b, ld, j0, &mut acc),
                            _ => micro::<T, MR, NR, FMA>(panel, b, ld, j0, &mut acc),
                        }
                        let co0 = g * shape.cout_g() + pi * packed.mr;
                        let rows = packed.mr.min(shape.cout_g() - pi * packed.mr);
                        let tile = Tile {
                            y: &mut *y,
                            offsets: &offsets[j0..j0 + ncols],
                            positions,
                            co0,
                            epi,
                        };
                        finish(&acc[..rows], tile);
                    }
                }
            }
            start = end;
        }
    }
}

/// Splits the positions `[start, end)` of the batch (flattened `(s, oy, ox)`) into row pieces.
fn block_pieces(shape: &MacShape, start: usize, end: usize, pieces: &mut Vec<Piece>) {
    pieces.clear();
    let (out_w, positions) = (shape.window.out_w, shape.positions());
    let (mut s, rem) = (start / positions, start % positions);
    let (mut oy, mut ox0) = (rem / out_w, rem % out_w);
    let mut n = start;
    while n < end {
        let len = (out_w - ox0).min(end - n);
        pieces.push(Piece { s, oy, ox0, len });
        n += len;
        ox0 = 0;
        oy += 1;
        if oy == shape.window.out_h {
            oy = 0;
            s += 1;
        }
    }
}

/// Gathers group `g`'s taps of the block into `b [fan_in][ld]` (row `k = (cl, ky, kx)`, column
/// `j` = the `j`-th position of the block; padding taps and columns `n..ld` are 0).
#[inline(always)]
fn im2col<T: Lane, X: Raw>(
    shape: &MacShape,
    g: usize,
    x: &[X],
    pieces: &[Piece],
    b: &mut [T],
    ld: usize,
    n: usize,
) {
    let win = &shape.window;
    let (in_len, plane) = (shape.input_len(), win.in_h * win.in_w);
    let mut rows = b.chunks_exact_mut(ld);
    if shape.is_pointwise() {
        for cl in 0..shape.cin_g() {
            let Some(row) = rows.next() else { return };
            let ci = g * shape.cin_g() + cl;
            let mut at = 0;
            for pc in pieces {
                let p0 = pc.oy * win.in_w + pc.ox0;
                let src = &x[pc.s * in_len + ci * plane + p0..][..pc.len];
                for (d, &v) in row[at..at + pc.len].iter_mut().zip(src) {
                    *d = T::of(v.into());
                }
                at += pc.len;
            }
            row[n..].fill(T::default());
        }
        return;
    }
    for cl in 0..shape.cin_g() {
        let ci = g * shape.cin_g() + cl;
        for ky in 0..win.kernel_h {
            let (oy_lo, oy_hi) = shape.oy_valid[ky];
            for kx in 0..win.kernel_w {
                let Some(row) = rows.next() else { return };
                let (ox_lo, ox_hi) = shape.ox_valid[kx];
                let mut at = 0;
                for pc in pieces {
                    let dst = &mut row[at..at + pc.len];
                    at += pc.len;
                    if pc.oy < oy_lo || pc.oy >= oy_hi {
                        dst.fill(T::default());
                        continue;
                    }
                    let iy = win.in_row(pc.oy, ky);
                    let src = &x[pc.s * in_len + ci * plane + iy * win.in_w..][..win.in_w];
                    // Columns before, inside and after the valid range of tap `kx`.
                    let end = pc.ox0 + pc.len;
                    let lo = ox_lo.clamp(pc.ox0, end);
                    let hi = ox_hi.clamp(lo, end);
                    let (before, rest) = dst.split_at_mut(lo - pc.ox0);
                    let (inside, after) = rest.split_at_mut(hi - lo);
                    before.fill(T::default());
                    after.fill(T::default());
                    if inside.is_empty() {
                        continue;
                    }
                    let first = win.in_col(lo, kx);
                    if win.stride_w == 1 {
                        for (d, &v) in inside.iter_mut().zip(&src[first..]) {
                            *d = T::of(v.into());
                        }
                    } else {
                        for (d, &v) in inside
                            .iter_mut()
                            .zip(src[first..].iter().step_by(win.stride_w))
                        {
                            *d = T::of(v.into());
                        }
                    }
                }
                row[n..].fill(T::default());
            }
        }
    }
}

/// Where a tile's results go.
struct Tile<'a, 'e, Y> {
    y: &'a mut [Y],
    /// Offset in `y` of each column's position in channel 0 of its sample.
    offsets: &'a [usize],
    positions: usize,
    /// The output channel of the tile's first row.
    co0: usize,
    epi: &'a Epilogue<'e>,
}

/// One tile's sums over every tap: `acc[r][j] = Σ_k panel[k][r] · b[k][j0 + j]` for the first
/// `R` rows.
#[inline(always)]
fn micro<T: Lane, const R: usize, const NR: usize, const FMA: bool>(
    panel: &[T],
    b: &[T],
    ld: usize,
    j0: usize,
    out: &mut [[T; NR]; MR],
) {
    let mut acc = [[T::default(); NR]; R];
    for (w, row) in panel.chunks_exact(R).zip(b.chunks_exact(ld)) {
        let Some(xs) = row[j0..].first_chunk::<NR>() else {
            return;
        };
        for r in 0..R {
            let wr = w[r];
            for j in 0..NR {
                acc[r][j] = acc[r][j].mac::<FMA>(wr, xs[j]);
            }
        }
    }
    out[..R].copy_from_slice(&acc);
}

/// The epilogue of a tile: align each sum, add the bias, cast, store the valid columns.
#[inline(always)]
fn finish<T: Lane, Y: Raw, const NR: usize>(acc: &[[T; NR]], tile: Tile<'_, '_, Y>) {
    let epi = tile.epi;
    for (r, sums) in acc.iter().enumerate() {
        let co = tile.co0 + r;
        let base = co * tile.positions;
        match epi.float {
            Some((scale, bias, fr)) if T::FLOAT => {
                let bias = bias[co];
                let mut v = [0f64; NR];
                for (v, &sum) in v.iter_mut().zip(sums) {
                    *v = sum.to_f64() * scale + bias;
                }
                fr.apply_all(&mut v);
                for (&v, &off) in v.iter().zip(tile.offsets) {
                    tile.y[base + off] = Y::from_i64_unchecked(i64::from(v as i32));
                }
            }
            _ => {
                let bias = epi.bias[co];
                let mut v = [0i64; NR];
                for (v, &sum) in v.iter_mut().zip(sums) {
                    *v = sum.to_i64().wrapping_shl(epi.prod_shift).wrapping_add(bias);
                }
                epi.requant.apply_all(&mut v);
                for (&v, &off) in v.iter().zip(tile.offsets) {
                    tile.y[base + off] = Y::from_i64_unchecked(v);
                }
            }
        }
    }
}

/// Checks `w [C_out][fan_in]` and packs it for the layer's engine.
pub(crate) fn pack<W: Raw>(
    op: &'static str,
    shape: &MacShape,
    types: &MacTypes,
    plan: &MacPlan,
    w: &[W],
) -> Result<PackedWeights, OpError> {
    check_len(op, "weight", w, shape.out_channels * shape.fan_in())?;
    check_storage::<W>(op, "weight", types.weight)?;
    Ok(PackedWeights::new(shape, plan.lanes, w))
}

/// Checks the slices of a batch and runs it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_layer<X: Raw, B: Raw, Y: Raw>(
    op: &'static str,
    shape: &MacShape,
    types: &MacTypes,
    plan: &MacPlan,
    packed: &PackedWeights,
    x: &[X],
    b: &[B],
    y: &mut [Y],
    batch: usize,
) -> Result<(), OpError> {
    let times_batch = |n: usize| {
        n.checked_mul(batch)
            .ok_or_else(|| OpError::config(op, format!("a batch of {batch} is too large")))
    };
    check_len(op, "input", x, times_batch(shape.input_len())?)?;
    check_len(op, "bias", b, shape.out_channels)?;
    check_len(op, "output", y, times_batch(shape.output_len())?)?;
    check_storage::<X>(op, "input", types.input)?;
    check_storage::<B>(op, "bias", types.bias)?;
    check_storage::<Y>(op, "output", types.output)?;
    if packed.lanes() != plan.lanes || !packed.fits(shape) {
        return Err(OpError::config(
            op,
            "the packed weights belong to another layer (pack them with this config)",
        ));
    }
    let bias: Vec<i64> = b
        .iter()
        .map(|&v| Into::<i64>::into(v).wrapping_shl(plan.bias_shift))
        .collect();
    let float = plan.requant.float().filter(|_| plan.prod_shift < 53);
    let bias_f: Vec<f64> = match float {
        Some(_) => bias.iter().map(|&v| v as f64).collect(),
        None => Vec::new(),
    };
    let epi = Epilogue {
        prod_shift: plan.prod_shift,
        bias: &bias,
        requant: &plan.requant,
        float: float.map(|fr| ((1u64 << plan.prod_shift) as f64, bias_f.as_slice(), fr)),
    };
    run(shape, packed, &epi, x, y, batch);
    Ok(())
}
