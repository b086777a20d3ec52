//! The multiply-accumulate engine behind [`super::dense`], [`super::conv1d`] and
//! [`super::conv2d`]: a tile of samples in the lanes layout, every sum exact.
//!
//! ```text
//! y[co][p][s] = requant((Σ_k W[co][k] · x[e(p, k)][s]) << prod_shift + (b[co] << bias_shift))
//! ```
//! **Lanes layout.** A tensor of `len` values for `L` samples is stored `[len][L]`: value `i` of
//! sample `s` at `i · L + s` (`L = 1` is one sample's plain layout). Every inner loop runs over
//! the samples, so it vectorizes whatever the layer's shape, and padding costs nothing: a tap in
//! the padding is skipped, not multiplied by 0.
//!
//! `W` is the weight matrix of a group (`C_out/groups` rows, `k = (ci, ky, kx)` columns), packed
//! once into row panels of up to `MR` output channels ([`PackedWeights`]). The input is converted
//! once per call into the sum type (`L` rounded up to the block width, padded with 0). For each
//! panel, output position `p` and block of samples, the valid taps of `p` (a precomputed list of
//! `(k, input element)`, shared by all positions with the same border: [`MacShape`]) accumulate
//! in registers; then the epilogue aligns the sum, adds the bias and casts into the output type
//! with the layer's [`crate::fixed::Requant`]: one rounding point, as in the header.
//!
//! **Why the order of the sum is free.** The config proves, from the operand types alone, that
//! every partial sum of products (of any subset of them, in any order) lies in a bound `S`
//! ([`SumKind::choose`]). The sums are then computed in one of:
//! - `f32` when `S ≤ 2^24`, `f64` when `S ≤ 2^53`: every product and every partial sum is an
//!   integer the float represents exactly, so each multiply, add or fused multiply-add is exact
//!   (its exact result is representable, and IEEE rounding returns it unchanged);
//! - `i32` when the declared accumulator fits an `i32`, else `i64`: wrapping arithmetic is exact
//!   modulo `2^32` (`2^64`), and the true sum fits, so the result is the true sum.
//!
//! All four give the exact integer sum of the header's `acc += x * w` loop, whose accumulator the
//! config has proven never rounds or overflows ([`super::common::MacPlan`]); only the order
//! differs, and integer addition without overflow is associative. Skipping a padding tap drops a
//! product that is exactly 0. The floats are there because x86 has vector FMA for them and no
//! vector 64-bit multiply.
//!
//! The loops are plain Rust that LLVM vectorizes. They are compiled twice: for the baseline
//! target, and with AVX2 and FMA enabled, picked at run time when the CPU has them
//! ([`with_simd`]); the two compute the same (exact) numbers.

use std::mem::size_of;

use super::accum::UserAccum;
use super::common::{
    check_len, check_storage, with_simd, MacCast, MacPlan, MacTypes, OpError, Raw, Simd, SumKind,
};
use super::window::Window2;
use crate::fixed::{FloatRequant, Requant};

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
    /// The (integral) value back, in `i128` (the epilogue of an accumulator wider than 64 bits).
    fn to_i128(self) -> i128;
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
            fn to_i128(self) -> i128 {
                self as i128
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
            fn to_i128(self) -> i128 {
                self as i128
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
int_lane!(i128);

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
    /// For each output position `oy · out_w + ox`: its tap list (an index into `taps`) and the
    /// input element of its window's origin (row `oy·stride − pad`, column alike; may lie
    /// outside the input, only valid taps are read).
    sites: Vec<(usize, isize)>,
    /// Tap lists of group 0: the valid taps `(k, input element − origin)` of every position
    /// with the same rows and columns inside the input, `k` ascending.
    taps: Vec<Vec<(usize, isize)>>,
}

impl MacShape {
    /// Channel counts are non-zero and divisible by `groups` (checked by the configs).
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        window: Window2,
    ) -> MacShape {
        let w = &window;
        let plane = (w.in_h * w.in_w) as isize;
        let cin_g = in_channels / groups;
        let mut keys: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
        let mut taps = Vec::new();
        let mut sites = Vec::with_capacity(w.out_h * w.out_w);
        for oy in 0..w.out_h {
            for ox in 0..w.out_w {
                let (rows, cols) = (w.rows(oy), w.cols(ox));
                let row0 = (oy * w.stride_h) as isize - w.pad_top as isize;
                let col0 = (ox * w.stride_w) as isize - w.pad_left as isize;
                let origin = row0 * w.in_w as isize + col0;
                let key = (rows.clone(), cols.clone());
                let id = match keys.iter().position(|k| *k == key) {
                    Some(id) => id,
                    None => {
                        let mut list = Vec::new();
                        for cl in 0..cin_g {
                            for ky in rows.clone() {
                                for kx in cols.clone() {
                                    let k = (cl * w.kernel_h + ky) * w.kernel_w + kx;
                                    let d = cl as isize * plane
                                        + (ky * w.dilation_h * w.in_w + kx * w.dilation_w) as isize;
                                    list.push((k, d));
                                }
                            }
                        }
                        keys.push(key);
                        taps.push(list);
                        taps.len() - 1
                    }
                };
                sites.push((id, origin));
            }
        }
        MacShape {
            in_channels,
            out_channels,
            groups,
            window,
            sites,
            taps,
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
    /// The raw weights `[C_out][fan_in]` as given, for a layer with a user accumulator
    /// ([`super::accum`]), which runs them one step at a time.
    raw: Option<Vec<i64>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Packed {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
}

impl PackedWeights {
    /// Packs `w [C_out][fan_in]` (raw values, checked by the caller) for `lanes`.
    pub(crate) fn new<W: Raw>(shape: &MacShape, lanes: SumKind, w: &[W]) -> PackedWeights {
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
            SumKind::F32 => Packed::F32(pack(shape, mr, panels_per_group, w)),
            SumKind::F64 => Packed::F64(pack(shape, mr, panels_per_group, w)),
            SumKind::I32 => Packed::I32(pack(shape, mr, panels_per_group, w)),
            SumKind::I64 => Packed::I64(pack(shape, mr, panels_per_group, w)),
            SumKind::I128 => Packed::I128(pack(shape, mr, panels_per_group, w)),
        };
        PackedWeights {
            data,
            mr,
            panels_per_group,
            fan_in,
            raw: None,
        }
    }

    pub fn lanes(&self) -> SumKind {
        match self.data {
            Packed::F32(_) => SumKind::F32,
            Packed::F64(_) => SumKind::F64,
            Packed::I32(_) => SumKind::I32,
            Packed::I64(_) => SumKind::I64,
            Packed::I128(_) => SumKind::I128,
        }
    }

    /// True when this packing belongs to a layer of this shape.
    pub(crate) fn fits(&self, shape: &MacShape) -> bool {
        let len = match &self.data {
            Packed::F32(v) => v.len(),
            Packed::F64(v) => v.len(),
            Packed::I32(v) => v.len(),
            Packed::I64(v) => v.len(),
            Packed::I128(v) => v.len(),
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
    /// `b[co] << bias_shift`, one per output channel (an accumulator of at most 64 bits).
    pub bias: &'a [i64],
    /// The same in `i128`, for an accumulator wider than 64 bits (else empty).
    pub bias_wide: &'a [i128],
    pub requant: &'a MacCast,
    /// For float lanes, when the cast can stay in floats: `2^prod_shift`, the bias as `f64`s
    /// (exact: the accumulator has at most 53 bits) and the cast.
    pub float: Option<(f64, &'a [f64], FloatRequant)>,
}

/// Runs a tile of `lanes` samples in the lanes layout: `x [C_in·H·W][lanes]` →
/// `y [C_out·out_h·out_w][lanes]`. Slices are checked by the callers (lengths, storage).
pub(crate) fn run<X: Raw, Y: Raw>(
    shape: &MacShape,
    packed: &PackedWeights,
    epi: &Epilogue<'_>,
    x: &[X],
    y: &mut [Y],
    lanes: usize,
) {
    macro_rules! job {
        ($a:expr) => {
            with_simd(Job {
                shape,
                packed,
                a: $a,
                epi,
                x,
                y,
                lanes,
            })
        };
    }
    match &packed.data {
        Packed::F32(a) => job!(a),
        Packed::F64(a) => job!(a),
        Packed::I32(a) => job!(a),
        Packed::I64(a) => job!(a),
        Packed::I128(a) => job!(a),
    }
}

/// One call of the engine, for sum type `T`.
struct Job<'a, 'b, T, X, Y> {
    shape: &'a MacShape,
    packed: &'a PackedWeights,
    a: &'a [T],
    epi: &'a Epilogue<'a>,
    x: &'a [X],
    y: &'b mut [Y],
    lanes: usize,
}

/// Samples per block of accumulators: 32 bytes (one AVX2 register) of sums per panel row, times
/// `4 / rows` so that a panel of one or two rows still keeps eight registers of independent sums.
const fn block(bytes: usize, rows: usize) -> usize {
    let spread = 8 / rows.next_power_of_two();
    32 / bytes * if spread > 2 { spread } else { 2 }
}

impl<T: Lane, X: Raw, Y: Raw> Simd for Job<'_, '_, T, X, Y> {
    #[inline(always)]
    fn go<const FMA: bool>(self) {
        // One arm per panel height, each with its block width (a const generic: registers).
        // A tile of a few samples (one sample: the emitted crate, `trace`) runs blocks of one
        // sample rather than padding it to a full block.
        macro_rules! sweep {
            ($r:literal, $nr:expr) => {
                sweep::<T, X, Y, $r, { $nr }, FMA>(self)
            };
        }
        match (self.packed.mr, size_of::<T>(), self.lanes >= 8) {
            (1, _, false) => sweep!(1, 1),
            (2, _, false) => sweep!(2, 1),
            (3, _, false) => sweep!(3, 1),
            (_, _, false) => sweep!(4, 1),
            (1, 4, true) => sweep!(1, block(4, 1)),
            (2, 4, true) => sweep!(2, block(4, 2)),
            (3, 4, true) => sweep!(3, block(4, 3)),
            (_, 4, true) => sweep!(4, block(4, 4)),
            (1, _, true) => sweep!(1, block(8, 1)),
            (2, _, true) => sweep!(2, block(8, 2)),
            (3, _, true) => sweep!(3, block(8, 3)),
            (_, _, true) => sweep!(4, block(8, 4)),
        }
    }
}

/// The engine for panels of `R` rows and blocks of `NR` samples.
#[inline(always)]
fn sweep<T: Lane, X: Raw, Y: Raw, const R: usize, const NR: usize, const FMA: bool>(
    job: Job<'_, '_, T, X, Y>,
) {
    let Job {
        shape,
        packed,
        a,
        epi,
        x,
        y,
        lanes,
    } = job;
    // The input in the sum type, each row padded to a whole number of blocks.
    let ld = lanes.div_ceil(NR) * NR;
    let xt: Vec<T> = if ld == lanes {
        x.iter().map(|&v| T::of(v.into())).collect()
    } else {
        let mut xt = vec![T::default(); shape.input_len() * ld];
        for (dst, src) in xt.chunks_exact_mut(ld).zip(x.chunks_exact(lanes)) {
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = T::of(v.into());
            }
        }
        xt
    };
    let (cout_g, positions) = (shape.cout_g(), shape.positions());
    let group_in = (shape.cin_g() * shape.window.in_h * shape.window.in_w) as isize;
    let panel_len = shape.fan_in() * R;
    // Sums of a chunk of positions, `[r][position][ld]`, kept within L1 so that the epilogue
    // runs over whole rows (one dispatch on the cast's modes per row, vector loops).
    let chunk = (SUMS_BYTES / (R * ld * size_of::<T>())).clamp(1, positions);
    let mut sums = vec![T::default(); R * chunk * ld];
    let mut scratch = Scratch::new(chunk * lanes, epi.float.is_some() && T::FLOAT);
    // Per tap list, the input offsets of its taps scaled for this call (`d · ld`).
    let offsets: Vec<Vec<isize>> = shape
        .taps
        .iter()
        .map(|list| list.iter().map(|&(_, d)| d * ld as isize).collect())
        .collect();
    // Per tap list, the panel's weights of its taps in tap order (`R` per tap), rebuilt for each
    // panel: the kernel then walks weights and offsets side by side.
    let mut weights: Vec<Vec<T>> = shape
        .taps
        .iter()
        .map(|list| vec![T::default(); list.len() * R])
        .collect();
    for g in 0..shape.groups {
        let panels =
            &a[g * packed.panels_per_group * panel_len..][..packed.panels_per_group * panel_len];
        for (pi, panel) in panels.chunks_exact(panel_len).enumerate() {
            for (list, wl) in shape.taps.iter().zip(&mut weights) {
                for (&(k, _), w) in list.iter().zip(wl.chunks_exact_mut(R)) {
                    w.copy_from_slice(&panel[k * R..][..R]);
                }
            }
            let co0 = g * cout_g + pi * R;
            let rows = R.min(cout_g - pi * R);
            for p0 in (0..positions).step_by(chunk) {
                let np = chunk.min(positions - p0);
                // One block of samples at a time across the chunk's positions: neighbouring
                // positions share most of their input rows, which stay in L1 for the block.
                for j0 in (0..ld).step_by(NR) {
                    for (q, &(list, origin)) in shape.sites[p0..p0 + np].iter().enumerate() {
                        let at = (origin + g as isize * group_in) * ld as isize + j0 as isize;
                        let acc = micro::<T, R, NR, FMA>(&weights[list], &offsets[list], &xt, at);
                        for (r, acc) in acc.iter().enumerate() {
                            sums[(r * chunk + q) * ld + j0..][..NR].copy_from_slice(acc);
                        }
                    }
                }
                for r in 0..rows {
                    let co = co0 + r;
                    let row = &sums[r * chunk * ld..][..np * ld];
                    let dst = &mut y[(co * positions + p0) * lanes..][..np * lanes];
                    finish(row, ld, dst, lanes, co, epi, &mut scratch);
                }
            }
        }
    }
}

/// Bytes of sums a chunk of positions may hold.
const SUMS_BYTES: usize = 16 << 10;

/// One block's sums over a tap list: `acc[r][j] = Σ_t w[t·R + r] · xt[at + offsets[t] + j]`.
#[inline(always)]
fn micro<T: Lane, const R: usize, const NR: usize, const FMA: bool>(
    w: &[T],
    offsets: &[isize],
    xt: &[T],
    at: isize,
) -> [[T; NR]; R] {
    let mut acc = [[T::default(); NR]; R];
    for (w, &d) in w.chunks_exact(R).zip(offsets) {
        let e = (at + d) as usize;
        let Some(xs) = xt.get(e..e + NR) else {
            break;
        };
        for r in 0..R {
            let wr = w[r];
            for j in 0..NR {
                acc[r][j] = acc[r][j].mac::<FMA>(wr, xs[j]);
            }
        }
    }
    acc
}

/// The epilogue's work space: one row of values in `f64` (float sums with a float cast, the
/// same test as in [`finish`]) or in `i64`; only the one used is allocated.
struct Scratch {
    f: Vec<f64>,
    i: Vec<i64>,
}

impl Scratch {
    fn new(len: usize, float: bool) -> Scratch {
        let (f, i) = if float { (len, 0) } else { (0, len) };
        Scratch {
            f: vec![0.0; f],
            i: vec![0; i],
        }
    }
}

/// The epilogue of one output channel `co` over a chunk of positions: `sums [position][ld]`
/// (the first `lanes` of each `ld` are samples) → `dst [position][lanes]`. Aligns each sum, adds
/// the bias, casts, stores.
#[inline(always)]
fn finish<T: Lane, Y: Raw>(
    sums: &[T],
    ld: usize,
    dst: &mut [Y],
    lanes: usize,
    co: usize,
    epi: &Epilogue<'_>,
    scratch: &mut Scratch,
) {
    let n = dst.len();
    // The samples of each position, packed: `sums` itself when there is no padding.
    let values = || {
        sums.chunks_exact(ld)
            .flat_map(move |run| run[..lanes].iter())
    };
    match epi.float {
        Some((scale, bias, fr)) if T::FLOAT => {
            let (bias, v) = (bias[co], &mut scratch.f[..n]);
            if ld == lanes {
                for (v, &sum) in v.iter_mut().zip(sums) {
                    *v = sum.to_f64() * scale + bias;
                }
            } else {
                for (v, &sum) in v.iter_mut().zip(values()) {
                    *v = sum.to_f64() * scale + bias;
                }
            }
            fr.apply_all(v);
            for (d, &v) in dst.iter_mut().zip(v.iter()) {
                *d = Y::from_i64_unchecked(i64::from(FloatRequant::to_i32(v)));
            }
        }
        _ => match epi.requant {
            MacCast::Narrow(requant) => {
                let (bias, v) = (epi.bias[co], &mut scratch.i[..n]);
                let shift = epi.prod_shift;
                for (v, &sum) in v.iter_mut().zip(values()) {
                    *v = sum.to_i64().wrapping_shl(shift).wrapping_add(bias);
                }
                requant.apply_all(v);
                for (d, &v) in dst.iter_mut().zip(v.iter()) {
                    *d = Y::from_i64_unchecked(v);
                }
            }
            // An accumulator wider than 64 bits: align and cast in `i128`, value by value.
            wide @ MacCast::Wide(_) => {
                let (bias, shift) = (epi.bias_wide[co], epi.prod_shift);
                for (d, &sum) in dst.iter_mut().zip(values()) {
                    let acc = sum.to_i128().wrapping_shl(shift).wrapping_add(bias);
                    *d = Y::from_i64_unchecked(wide.apply_wide(acc));
                }
            }
        },
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
    let mut p = PackedWeights::new(shape, plan.sum, w);
    if plan.user.is_some() {
        p.raw = Some(w.iter().map(|&v| v.into()).collect());
    }
    Ok(p)
}

/// A tile through a user accumulator: every output value's steps in the kernels' order (bias,
/// then its taps in increasing order), one sample at a time.
#[allow(clippy::too_many_arguments)]
fn run_user<X: Raw, B: Raw, Y: Raw>(
    shape: &MacShape,
    user: &UserAccum,
    requant: &MacCast,
    w: &[i64],
    x: &[X],
    b: &[B],
    y: &mut [Y],
    lanes: usize,
) {
    for s in 0..lanes {
        user_sample(
            shape,
            w,
            |i| x[i * lanes + s].into(),
            b,
            |o, bias, taps| {
                let mut acc = user.start(bias);
                for (xv, wv) in taps {
                    acc = user.step(acc, xv, wv);
                }
                y[o * lanes + s] = Y::from_i64_unchecked(requant.apply_wide(acc));
            },
        );
    }
}

/// Whether any cast of the user accumulator left its range (a wrap or a saturation) on one
/// sample `x` (raw values, one sample's layout).
pub(crate) fn user_overflows<B: Raw>(
    shape: &MacShape,
    user: &UserAccum,
    w: &[i64],
    x: &[i64],
    b: &[B],
) -> bool {
    let mut over = false;
    user_sample(
        shape,
        w,
        |i| x[i],
        b,
        |_, bias, taps| {
            let (mut acc, o) = user.start_checked(bias);
            over |= o;
            for (xv, wv) in taps {
                let (a, o) = user.step_checked(acc, xv, wv);
                acc = a;
                over |= o;
            }
        },
    );
    over
}

/// Visits every output value of one sample: its index, its bias and its (x, w) taps in the
/// kernels' order (padding taps left out: they add a zero product).
fn user_sample<B: Raw>(
    shape: &MacShape,
    w: &[i64],
    x: impl Fn(usize) -> i64,
    b: &[B],
    mut out: impl FnMut(usize, i64, &mut dyn Iterator<Item = (i64, i64)>),
) {
    let win = &shape.window;
    let (cin_g, cout_g, fan_in) = (shape.cin_g(), shape.cout_g(), shape.fan_in());
    let kernel = win.kernel_h * win.kernel_w;
    for co in 0..shape.out_channels {
        let group = co / cout_g;
        let row = &w[co * fan_in..][..fan_in];
        for oy in 0..win.out_h {
            for ox in 0..win.out_w {
                let mut taps = row.iter().enumerate().filter_map(|(t, &wv)| {
                    let ci = group * cin_g + t / kernel;
                    let (ky, kx) = (t % kernel / win.kernel_w, t % win.kernel_w);
                    let iy =
                        (oy * win.stride_h + ky * win.dilation_h) as isize - win.pad_top as isize;
                    let ix =
                        (ox * win.stride_w + kx * win.dilation_w) as isize - win.pad_left as isize;
                    if iy < 0 || ix < 0 || iy >= win.in_h as isize || ix >= win.in_w as isize {
                        return None; // padding: a zero product
                    }
                    let i = (ci * win.in_h + iy as usize) * win.in_w + ix as usize;
                    Some((x(i), wv))
                });
                let o = (co * win.out_h + oy) * win.out_w + ox;
                out(o, b[co].into(), &mut taps);
            }
        }
    }
}

/// [`user_overflows`] for a layer's config: `None` when its accumulator is exact.
pub(crate) fn accum_overflows(
    shape: &MacShape,
    plan: &MacPlan,
    packed: &PackedWeights,
    x: &[i64],
    b: &[i64],
) -> Option<bool> {
    let user = plan.user.as_ref()?;
    let w = packed.raw.as_deref()?;
    Some(user_overflows(shape, user, w, x, b))
}

/// Checks the slices of a tile of `lanes` samples (lanes layout) and runs it.
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
    lanes: usize,
) -> Result<(), OpError> {
    if lanes == 0 {
        return Err(OpError::config(op, "a tile of 0 samples"));
    }
    let times_lanes = |n: usize| {
        n.checked_mul(lanes)
            .ok_or_else(|| OpError::config(op, format!("a tile of {lanes} samples is too large")))
    };
    check_len(op, "input", x, times_lanes(shape.input_len())?)?;
    check_len(op, "bias", b, shape.out_channels)?;
    check_len(op, "output", y, times_lanes(shape.output_len())?)?;
    check_storage::<X>(op, "input", types.input)?;
    check_storage::<B>(op, "bias", types.bias)?;
    check_storage::<Y>(op, "output", types.output)?;
    if packed.lanes() != plan.sum || !packed.fits(shape) {
        return Err(OpError::config(
            op,
            "the packed weights belong to another layer (pack them with this config)",
        ));
    }
    if let Some(user) = &plan.user {
        let raw = packed.raw.as_deref().ok_or_else(|| {
            OpError::config(
                op,
                "the packed weights were packed without the user accumulator",
            )
        })?;
        run_user(shape, user, &plan.requant, raw, x, b, y, lanes);
        return Ok(());
    }
    let (bias, bias_wide): (Vec<i64>, Vec<i128>) = if plan.requant.is_wide() {
        let wide = b
            .iter()
            .map(|&v| i128::from(Into::<i64>::into(v)).wrapping_shl(plan.bias_shift));
        (Vec::new(), wide.collect())
    } else {
        let narrow = b
            .iter()
            .map(|&v| Into::<i64>::into(v).wrapping_shl(plan.bias_shift));
        (narrow.collect(), Vec::new())
    };
    let float = plan
        .requant
        .narrow()
        .and_then(Requant::float)
        .filter(|_| plan.prod_shift < 53);
    let bias_f: Vec<f64> = match float {
        Some(_) => bias.iter().map(|&v| v as f64).collect(),
        None => Vec::new(),
    };
    let epi = Epilogue {
        prod_shift: plan.prod_shift,
        bias: &bias,
        bias_wide: &bias_wide,
        requant: &plan.requant,
        float: float.map(|fr| ((1u64 << plan.prod_shift) as f64, bias_f.as_slice(), fr)),
    };
    run(shape, packed, &epi, x, y, lanes);
    Ok(())
}
