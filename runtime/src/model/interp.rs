//! Running a loaded [`Model`]: tiles of samples through every layer, tiles in parallel.
//!
//! Each worker owns a workspace, one buffer per tensor in the storage of its type (`i16` or `i64`)
//! for a tile of up to [`Model::tile`] samples, allocated once, in the **lanes layout**: a tensor
//! of `len` values is stored `[len][lanes]`, value `i` of sample `s` at `i · lanes + s`, so every
//! kernel's inner loop runs over the samples of the tile (see [`crate::ops::gemm`]). Inputs are
//! transposed into it when a tile starts and outputs out of it when it ends. A layer takes its
//! output buffer out of the workspace, runs its kernel's `run_lanes` on the input buffers, and
//! puts it back; kernels without one run sample by sample on transposed copies. Either way every
//! sample's bits are those of the one-sample kernels (`run` is `run_lanes` with one lane). When a
//! tile holds fewer samples than lanes, the spare lanes keep earlier raw values of their types
//! (valid inputs to every kernel) and are never read out.

use rayon::prelude::*;

use super::error::ModelError;
use super::{narrow, Buf, Exec, Layer, Model, TensorInfo, PAD};
use crate::ops::{
    affine, average_pool, binary, clip, conv1d, conv1d_shift_add, conv2d, conv2d_shift_add, dense,
    dense_shift_add, global_average_pool, global_max_pool, hard_sigmoid, hard_swish, leaky_relu,
    lut, max_pool, relu, softmax, OpError,
};
use crate::ops::{with_simd, Simd};

/// How many threads run a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Threads {
    /// rayon's global pool (one thread per core, or `RAYON_NUM_THREADS`).
    #[default]
    All,
    /// The calling thread only: for benchmarks and reproducible timing.
    Single,
    /// A pool of exactly this many threads.
    Exactly(usize),
}

impl Threads {
    /// `0` = all, `1` = single, `n` = exactly `n`.
    pub fn from_count(n: usize) -> Threads {
        match n {
            0 => Threads::All,
            1 => Threads::Single,
            n => Threads::Exactly(n),
        }
    }
}

/// One graph output of a batch: raw integers and their values, samples one after another.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub raw: Vec<i64>,
    pub values: Vec<f64>,
}

/// One layer's output in a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerOutput {
    /// The layer's name.
    pub layer: String,
    /// The name of the tensor it writes.
    pub tensor: String,
    /// Its raw values (one sample).
    pub raw: Vec<i64>,
}

/// Per-worker buffers, one per tensor, each for `tile` samples.
struct Workspace {
    bufs: Vec<Buf>,
    tile: usize,
}

/// The most samples a tile holds.
const MAX_TILE: usize = 64;
/// What one worker's tile of tensors may take (the tile shrinks to 1 sample for large models).
const TILE_BYTES: usize = 4 << 20;

impl Model {
    /// Samples per tile: as many as fit [`TILE_BYTES`] of tensors, between 1 and [`MAX_TILE`].
    pub fn tile(&self) -> usize {
        let per_sample: usize = self
            .tensors
            .iter()
            .map(|t| t.len.saturating_mul(if narrow(t.ty) { 2 } else { 8 }))
            .fold(0usize, usize::saturating_add);
        (TILE_BYTES / per_sample.max(1)).clamp(1, MAX_TILE)
    }

    fn workspace(&self, tile: usize) -> Workspace {
        Workspace {
            bufs: self
                .tensors
                .iter()
                .map(|t| Buf::zeros(t.ty, t.len * tile))
                .collect(),
            tile,
        }
    }

    /// Checks one input per graph input, each `batch ×` its length, of raw values of its type.
    fn check_inputs(&self, inputs: &[&[i64]], batch: usize) -> Result<(), ModelError> {
        if inputs.len() != self.inputs.len() {
            return Err(ModelError::Input(format!(
                "the model has {} input(s), got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        for (x, &id) in inputs.iter().zip(&self.inputs) {
            let t = &self.tensors[id];
            if Some(x.len()) != t.len.checked_mul(batch) {
                return Err(ModelError::Input(format!(
                    "'{}' takes {} values per sample {:?}: {} values are not {batch} sample(s)",
                    t.name,
                    t.len,
                    t.shape,
                    x.len()
                )));
            }
            let (lo, hi) = (t.ty.min_raw(), t.ty.max_raw());
            let clamp = |v: i128| v.clamp(i64::MIN.into(), i64::MAX.into()) as i64;
            if all_within(x, clamp(lo), clamp(hi)) {
                continue;
            }
            if let Some(i) = x
                .iter()
                .position(|&v| i128::from(v) < lo || i128::from(v) > hi)
            {
                return Err(ModelError::Input(format!(
                    "value {i} of '{}' (sample {}) is {}, not a raw value of {}",
                    t.name,
                    i / t.len,
                    x[i],
                    t.ty
                )));
            }
        }
        Ok(())
    }

    /// Runs `batch` samples on raw inputs (one slice per graph input, samples one after another)
    /// and returns the raw values of every graph output, samples one after another.
    pub fn run_raw(
        &self,
        inputs: &[&[i64]],
        batch: usize,
        threads: Threads,
    ) -> Result<Vec<Vec<i64>>, ModelError> {
        self.check_inputs(inputs, batch)?;
        let chunks = match threads {
            Threads::Single => 1,
            Threads::All => rayon::current_num_threads() * 4,
            Threads::Exactly(n) => n * 4,
        }
        .max(1);
        let tile = self.tile();
        let per = batch.div_ceil(chunks).max(1);
        let run_chunk = |c: usize| -> Result<Vec<Vec<i64>>, ModelError> {
            let start = c * per;
            let end = (start + per).min(batch);
            let mut ws = self.workspace(tile.min(end - start));
            let mut outs: Vec<Vec<i64>> = self
                .outputs
                .iter()
                .map(|&o| Vec::with_capacity(self.tensors[o].len * (end - start)))
                .collect();
            let mut s = start;
            while s < end {
                let n = ws.tile.min(end - s);
                self.run_tile(&mut ws, inputs, s, n, None)?;
                for (out, &o) in outs.iter_mut().zip(&self.outputs) {
                    ws.bufs[o].extend_lanes(out, self.tensors[o].len, n, ws.tile);
                }
                s += n;
            }
            Ok(outs)
        };
        let n_chunks = batch.div_ceil(per);
        let parts: Vec<Vec<Vec<i64>>> = match threads {
            Threads::Single => (0..n_chunks).map(run_chunk).collect::<Result<_, _>>()?,
            Threads::All => (0..n_chunks)
                .into_par_iter()
                .map(run_chunk)
                .collect::<Result<_, _>>()?,
            Threads::Exactly(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| ModelError::Input(format!("cannot start {n} threads: {e}")))?
                .install(|| {
                    (0..n_chunks)
                        .into_par_iter()
                        .map(run_chunk)
                        .collect::<Result<_, _>>()
                })?,
        };
        let mut outs: Vec<Vec<i64>> = self
            .outputs
            .iter()
            .map(|&o| Vec::with_capacity(self.tensors[o].len * batch))
            .collect();
        for part in parts {
            for (out, p) in outs.iter_mut().zip(part) {
                out.extend(p);
            }
        }
        Ok(outs)
    }

    /// [`Model::run_raw`] on real values: each input quantized into its type
    /// ([`Model::quantize`]), each output returned as raw integers and as values.
    pub fn run_f32(
        &self,
        inputs: &[&[f32]],
        batch: usize,
        threads: Threads,
    ) -> Result<Vec<Output>, ModelError> {
        if inputs.len() != self.inputs.len() {
            return Err(ModelError::Input(format!(
                "the model has {} input(s), got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let raw: Vec<Vec<i64>> = inputs
            .iter()
            .zip(&self.inputs)
            .map(|(x, &id)| self.quantize(id, x))
            .collect::<Result<_, _>>()?;
        let views: Vec<&[i64]> = raw.iter().map(Vec::as_slice).collect();
        let outs = self.run_raw(&views, batch, threads)?;
        Ok(outs
            .into_iter()
            .zip(&self.outputs)
            .map(|(raw, &o)| Output {
                values: self.dequantize(o, &raw),
                raw,
            })
            .collect())
    }

    /// Runs one sample (raw inputs, one slice per graph input) and returns every layer's raw
    /// output, in execution order: for finding the first layer where two implementations differ.
    pub fn trace(&self, inputs: &[&[i64]]) -> Result<Vec<LayerOutput>, ModelError> {
        self.check_inputs(inputs, 1)?;
        let mut ws = self.workspace(1);
        let mut trace = Vec::with_capacity(self.layers.len());
        self.run_tile(&mut ws, inputs, 0, 1, Some(&mut trace))?;
        Ok(trace)
    }

    /// Runs samples `first..first + n` (`n <= ws.tile`) of the raw inputs through every layer.
    fn run_tile(
        &self,
        ws: &mut Workspace,
        inputs: &[&[i64]],
        first: usize,
        n: usize,
        mut trace: Option<&mut Vec<LayerOutput>>,
    ) -> Result<(), ModelError> {
        for (x, &id) in inputs.iter().zip(&self.inputs) {
            let len = self.tensors[id].len;
            ws.bufs[id].fill_lanes(&x[first * len..][..n * len], len, n, ws.tile);
        }
        for (index, layer) in self.layers.iter().enumerate() {
            let mut out = std::mem::take(&mut ws.bufs[layer.output]);
            let done = step(layer, &self.tensors, &ws.bufs, &mut out, n, ws.tile);
            ws.bufs[layer.output] = out;
            done.map_err(|e| ModelError::Layer {
                index,
                layer: layer.name.clone(),
                op: layer.op.clone(),
                reason: e.to_string(),
            })?;
            if let Some(t) = trace.as_deref_mut() {
                let mut raw = Vec::new();
                ws.bufs[layer.output].extend_lanes(
                    &mut raw,
                    self.tensors[layer.output].len,
                    1,
                    ws.tile,
                );
                t.push(LayerOutput {
                    layer: layer.name.clone(),
                    tensor: self.tensors[layer.output].name.clone(),
                    raw,
                });
            }
        }
        Ok(())
    }
}

/// True when every value of `x` lies in `[lo, hi]`: one pass without early exit, so that it
/// vectorizes (AVX2 code when the CPU has it).
fn all_within(x: &[i64], lo: i64, hi: i64) -> bool {
    struct Within<'a> {
        x: &'a [i64],
        lo: i64,
        hi: i64,
        ok: &'a mut bool,
    }
    impl Simd for Within<'_> {
        #[inline(always)]
        fn go<const AVX2: bool>(self) {
            let (lo, hi) = (self.lo, self.hi);
            *self.ok = self
                .x
                .iter()
                .fold(true, |ok, &v| ok & (v >= lo) & (v <= hi));
        }
    }
    let mut ok = false;
    with_simd(Within {
        x,
        lo,
        hi,
        ok: &mut ok,
    });
    ok
}

/// Binds the first `$len` values of a [`Buf`] as a slice of its storage integer.
macro_rules! slice {
    ($buf:expr, $len:expr, $v:ident => $body:expr) => {
        match $buf {
            Buf::I16(data) => {
                let $v = &data[..$len];
                $body
            }
            Buf::I64(data) => {
                let $v = &data[..$len];
                $body
            }
        }
    };
}

/// Binds the first `$len` values of a [`Buf`] as a mutable slice of its storage integer.
macro_rules! slice_mut {
    ($buf:expr, $len:expr, $v:ident => $body:expr) => {
        match $buf {
            Buf::I16(data) => {
                let $v = &mut data[..$len];
                $body
            }
            Buf::I64(data) => {
                let $v = &mut data[..$len];
                $body
            }
        }
    };
}

/// Runs a one-sample kernel `f(x, y)` on each of the first `n` samples of `x` (`xl` values) and
/// `y` (`yl` values), both in the lanes layout: each sample is copied out and back.
fn per_sample<X: Copy + Default, Y: Copy + Default>(
    n: usize,
    lanes: usize,
    x: &[X],
    xl: usize,
    y: &mut [Y],
    yl: usize,
    mut f: impl FnMut(&[X], &mut [Y]) -> Result<(), OpError>,
) -> Result<(), OpError> {
    if lanes == 1 {
        return f(&x[..xl], &mut y[..yl]);
    }
    let (mut xs, mut ys) = (vec![X::default(); xl], vec![Y::default(); yl]);
    for s in 0..n {
        for (i, v) in xs.iter_mut().enumerate() {
            *v = x[i * lanes + s];
        }
        f(&xs, &mut ys)?;
        for (i, &v) in ys.iter().enumerate() {
            y[i * lanes + s] = v;
        }
    }
    Ok(())
}

/// Runs one layer on the first `n` samples of a tile of `lanes`: `bufs` holds its inputs,
/// `out` receives its output.
fn step(
    layer: &Layer,
    tensors: &[TensorInfo],
    bufs: &[Buf],
    out: &mut Buf,
    n: usize,
    lanes: usize,
) -> Result<(), OpError> {
    let input = |k: usize| &bufs[layer.inputs[k]];
    let xl = tensors[layer.inputs.first().copied().unwrap_or(layer.output)].len;
    let yl = tensors[layer.output].len;
    let (xn, yn) = (xl * lanes, yl * lanes);
    // A lanes kernel `$f` on `x` and `y`, the whole tile.
    macro_rules! lanes {
        (|$x:ident, $y:ident| $f:expr) => {
            slice!(input(0), xn, $x => slice_mut!(out, yn, $y => $f))
        };
    }
    // A one-sample kernel `$f(x, y)` on each sample.
    macro_rules! each {
        (|$x:ident, $y:ident| $f:expr) => {
            slice!(input(0), xn, x => slice_mut!(out, yn, y =>
                per_sample(n, lanes, x, xl, y, yl, |$x, $y| $f)))
        };
    }
    match &layer.exec {
        Exec::Dense { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            dense::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::Conv1d { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            conv1d::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::Conv2d { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            conv2d::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::DenseShiftAdd { cfg, b } => each!(|x, y| dense_shift_add::run(cfg, x, b, y)),
        Exec::Conv1dShiftAdd { cfg, b } => each!(|x, y| conv1d_shift_add::run(cfg, x, b, y)),
        Exec::Conv2dShiftAdd { cfg, b } => each!(|x, y| conv2d_shift_add::run(cfg, x, b, y)),
        Exec::MaxPool(cfg) => lanes!(|x, y| max_pool::run_lanes(cfg, x, y, lanes)),
        Exec::AveragePool(cfg) => lanes!(|x, y| average_pool::run_lanes(cfg, x, y, lanes)),
        Exec::GlobalMaxPool(cfg) => lanes!(|x, y| global_max_pool::run_lanes(cfg, x, y, lanes)),
        Exec::GlobalAveragePool(cfg) => {
            lanes!(|x, y| global_average_pool::run_lanes(cfg, x, y, lanes))
        }
        Exec::Affine { cfg, scale, shift } => {
            lanes!(|x, y| affine::run_lanes(cfg, x, scale, shift, y, lanes))
        }
        Exec::Binary { cfg, a, b } => {
            // Constants are one copy shared by every sample; the other operands are the
            // layer's inputs, in order.
            let a = match a {
                Some(v) => Src::Shared(v),
                None => Src::Buf(input(0)),
            };
            let b = match b {
                Some(v) => Src::Shared(v),
                None => Src::Buf(input(usize::from(matches!(a, Src::Buf(_))))),
            };
            macro_rules! operand {
                ($src:expr, $len:expr, $v:ident => $body:expr) => {
                    match $src {
                        Src::Shared(v) => {
                            let $v = binary::Input::Shared(v.as_slice());
                            $body
                        }
                        Src::Buf(buf) => slice!(buf, $len * lanes, d => {
                            let $v = binary::Input::Lanes(d);
                            $body
                        }),
                    }
                };
            }
            operand!(a, cfg.a.len, av => operand!(b, cfg.b.len, bv =>
                slice_mut!(out, yn, y => binary::run_lanes(cfg, av, bv, y, lanes))))
        }
        Exec::Relu(cfg) => lanes!(|x, y| relu::run_lanes(cfg, x, y, lanes)),
        Exec::Clip(cfg) => lanes!(|x, y| clip::run_lanes(cfg, x, y, lanes)),
        Exec::LeakyRelu(cfg) => lanes!(|x, y| leaky_relu::run_lanes(cfg, x, y, lanes)),
        Exec::HardSigmoid(cfg) => lanes!(|x, y| hard_sigmoid::run_lanes(cfg, x, y, lanes)),
        Exec::HardSwish(cfg) => lanes!(|x, y| hard_swish::run_lanes(cfg, x, y, lanes)),
        Exec::Lut(cfg) => lanes!(|x, y| lut::run_lanes(cfg, x, y, lanes)),
        Exec::Softmax(cfg) => lanes!(|x, y| softmax::run_lanes(cfg, x, y, lanes)),
        Exec::View => {
            // Same values in the same order: the lanes layout moves along unchanged.
            match (input(0), out) {
                (Buf::I16(x), Buf::I16(y)) => y[..yn].copy_from_slice(&x[..yn]),
                (Buf::I64(x), Buf::I64(y)) => y[..yn].copy_from_slice(&x[..yn]),
                (x, y) => (0..yn).for_each(|i| y.set(i, x.get(i))),
            }
            Ok(())
        }
        Exec::Cast(rq) => {
            let x = input(0);
            (0..yn).for_each(|i| out.set(i, rq.apply(x.get(i))));
            Ok(())
        }
        Exec::Gather(g) => {
            let x = input(0);
            for (i, &m) in g.map.iter().enumerate() {
                for s in 0..lanes {
                    let v = if m == PAD {
                        g.fill
                    } else {
                        x.get(m * lanes + s)
                    };
                    out.set(i * lanes + s, v);
                }
            }
            Ok(())
        }
        Exec::Concat { outer, parts } => {
            let mut at = 0;
            for o in 0..*outer {
                for (k, part) in parts.iter().enumerate() {
                    let x = input(k);
                    let base = o * part.chunk;
                    for j in 0..part.chunk {
                        for s in 0..lanes {
                            let v = part.requant.apply(x.get((base + j) * lanes + s));
                            out.set(at * lanes + s, v);
                        }
                        at += 1;
                    }
                }
            }
            Ok(())
        }
    }
}

/// An operand of a binary layer: a constant (one copy for every sample) or an input buffer.
enum Src<'a> {
    Shared(&'a Vec<i64>),
    Buf(&'a Buf),
}
