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

/// The most threads a pool gets: more only costs (a pool of 100,000 threads took minutes to
/// build and never ran faster than one per core).
pub const MAX_THREADS: usize = 256;

impl Threads {
    /// `0` = all, `1` = single, `n` = exactly `n`, at most [`MAX_THREADS`].
    pub fn from_count(n: usize) -> Threads {
        match n {
            0 => Threads::All,
            1 => Threads::Single,
            n => Threads::Exactly(n.min(MAX_THREADS)),
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

/// Per-worker buffers for `tile` samples: one per slot, tensor `t` in `bufs[slots.of[t]]`.
struct Workspace {
    bufs: Vec<Buf>,
    tile: usize,
}

/// Where each tensor lives during a run: tensors whose lifetimes do not overlap share a buffer,
/// so a tile's working set is the few tensors alive at once (it stays in cache), not the whole
/// graph.
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    /// Slot of each tensor.
    of: Vec<usize>,
    /// Per slot: narrow storage (`i16`) or not, and the most values per sample it holds.
    kind: Vec<(bool, usize)>,
}

impl Slots {
    /// Assigns slots in execution order. A tensor is alive from the layer that writes it (graph
    /// inputs: from the start) to the last layer that reads it (graph outputs: to the end); a
    /// layer's output never shares a slot with its inputs, and a slot keeps one storage width.
    /// `layers`: each layer's inputs and output (tensor ids), in execution order.
    pub(crate) fn plan(
        tensors: &[TensorInfo],
        inputs: &[usize],
        outputs: &[usize],
        layers: &[(&[usize], usize)],
    ) -> Slots {
        let forever = layers.len();
        let mut last = vec![None::<usize>; tensors.len()];
        for (i, &(ins, out)) in layers.iter().enumerate() {
            for &t in ins {
                last[t] = Some(i);
            }
            last[out] = last[out].max(Some(i));
        }
        for &t in outputs {
            last[t] = Some(forever);
        }
        let mut slots = Slots {
            of: vec![usize::MAX; tensors.len()],
            kind: Vec::new(),
        };
        let mut free: Vec<usize> = Vec::new();
        let take = |slots: &mut Slots, free: &mut Vec<usize>, t: usize| {
            let (n16, len) = (narrow(tensors[t].ty), tensors[t].len);
            // The free slot of the same width that needs the least growth, else a new one.
            let best = free
                .iter()
                .enumerate()
                .filter(|&(_, &s)| slots.kind[s].0 == n16)
                .min_by_key(|&(_, &s)| (len.saturating_sub(slots.kind[s].1), slots.kind[s].1))
                .map(|(i, _)| i);
            let s = match best {
                Some(i) => free.swap_remove(i),
                None => {
                    slots.kind.push((n16, 0));
                    slots.kind.len() - 1
                }
            };
            slots.kind[s].1 = slots.kind[s].1.max(len);
            slots.of[t] = s;
        };
        for &t in inputs {
            if slots.of[t] == usize::MAX {
                take(&mut slots, &mut free, t);
            }
        }
        for (i, &(ins, out)) in layers.iter().enumerate() {
            if slots.of[out] == usize::MAX {
                take(&mut slots, &mut free, out);
            }
            // Tensors read for the last time here (or never read) free their slots.
            let mut done: Vec<usize> = ins.to_vec();
            done.push(out);
            done.sort_unstable();
            done.dedup();
            for t in done {
                if last[t] == Some(i) {
                    free.push(slots.of[t]);
                }
            }
        }
        slots
    }
}

/// The most samples a tile holds.
const MAX_TILE: usize = 64;
/// What one worker's tile of tensors may take (the tile shrinks to 1 sample for large models).
const TILE_BYTES: usize = 4 << 20;

impl Model {
    /// Samples per tile: as many as fit [`TILE_BYTES`] of buffers, between 1 and [`MAX_TILE`].
    pub fn tile(&self) -> usize {
        let per_sample: usize = self
            .slots
            .kind
            .iter()
            .map(|&(n16, len)| len.saturating_mul(if n16 { 2 } else { 8 }))
            .fold(0usize, usize::saturating_add);
        (TILE_BYTES / per_sample.max(1)).clamp(1, MAX_TILE)
    }

    fn workspace(&self, tile: usize) -> Workspace {
        Workspace {
            bufs: self
                .slots
                .kind
                .iter()
                .map(|&(narrow, len)| Buf::zeros(narrow, len * tile))
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
                    ws.bufs[self.slots.of[o]].extend_lanes(out, self.tensors[o].len, n, ws.tile);
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

    /// For each layer with a user accumulator (`ops::accum`), in order: its index and whether
    /// any of its casts wrapped or saturated on this one sample (raw inputs, as [`Model::trace`]).
    pub fn accum_overflows(&self, inputs: &[&[i64]]) -> Result<Vec<(usize, bool)>, ModelError> {
        let trace = self.trace(inputs)?;
        let mut values: std::collections::HashMap<usize, &[i64]> = self
            .inputs
            .iter()
            .copied()
            .zip(inputs.iter().copied())
            .collect();
        for (l, t) in self.layers.iter().zip(&trace) {
            values.insert(l.output, &t.raw);
        }
        let mut out = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let Some(x) = l.inputs.first().and_then(|x| values.get(x)) else {
                continue;
            };
            let over = match l.exec() {
                Exec::Dense { cfg, w, b } => cfg.accum_overflows(w, x, b),
                Exec::Conv1d { cfg, w, b } => cfg.accum_overflows(w, x, b),
                Exec::Conv2d { cfg, w, b } => cfg.accum_overflows(w, x, b),
                _ => None,
            };
            if let Some(o) = over {
                out.push((i, o));
            }
        }
        Ok(out)
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
            ws.bufs[self.slots.of[id]].fill_lanes(&x[first * len..][..n * len], len, n, ws.tile);
        }
        for (index, layer) in self.layers.iter().enumerate() {
            let slot = self.slots.of[layer.output];
            let mut out = std::mem::take(&mut ws.bufs[slot]);
            let done = step(
                layer,
                &self.tensors,
                &ws.bufs,
                &self.slots.of,
                &mut out,
                ws.tile,
            );
            ws.bufs[slot] = out;
            done.map_err(|e| ModelError::Layer {
                index,
                layer: layer.name.clone(),
                op: layer.op.clone(),
                reason: e.to_string(),
            })?;
            if let Some(t) = trace.as_deref_mut() {
                let mut raw = Vec::new();
                ws.bufs[self.slots.of[layer.output]].extend_lanes(
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

/// Runs one layer on a tile of `lanes` samples (all of them, used or not): `bufs` holds its
/// inputs (tensor `t` in `bufs[slot[t]]`), `out` receives its output.
fn step(
    layer: &Layer,
    tensors: &[TensorInfo],
    bufs: &[Buf],
    slot: &[usize],
    out: &mut Buf,
    lanes: usize,
) -> Result<(), OpError> {
    let input = |k: usize| &bufs[slot[layer.inputs[k]]];
    let xl = tensors[layer.inputs.first().copied().unwrap_or(layer.output)].len;
    let yl = tensors[layer.output].len;
    let (xn, yn) = (xl * lanes, yl * lanes);
    // A lanes kernel `$f` on `x` and `y`, the whole tile.
    macro_rules! lanes {
        (|$x:ident, $y:ident| $f:expr) => {
            slice!(input(0), xn, $x => slice_mut!(out, yn, $y => $f))
        };
    }
    match &layer.exec {
        Exec::Dense { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            dense::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::Conv1d { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            conv1d::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::Conv2d { cfg, w, b } => slice!(input(0), xn, x => slice_mut!(out, yn, y =>
            conv2d::run_lanes(cfg, w, x, b, y, lanes))),
        Exec::DenseShiftAdd { cfg, b } => {
            lanes!(|x, y| dense_shift_add::run_lanes(cfg, x, b, y, lanes))
        }
        Exec::Conv1dShiftAdd { cfg, b } => {
            lanes!(|x, y| conv1d_shift_add::run_lanes(cfg, x, b, y, lanes))
        }
        Exec::Conv2dShiftAdd { cfg, b } => {
            lanes!(|x, y| conv2d_shift_add::run_lanes(cfg, x, b, y, lanes))
        }
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

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::{narrow, Slots, TensorInfo};
    use crate::fixed::{Overflow, Rounding};
    use crate::FixedType;

    /// Random graphs (chains, skips, fan-out, several inputs and outputs, dead tensors): no two
    /// tensors alive at once share a slot, a layer never writes a slot it reads, each slot has
    /// its tensors' storage width and room for the longest of them, and buffers are reused.
    #[test]
    fn slots_never_share_a_live_buffer() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut reused = 0;
        for _ in 0..500 {
            let n_in = rng.random_range(1..3);
            let n_layers = rng.random_range(1..25);
            let tensors: Vec<TensorInfo> = (0..n_in + n_layers)
                .map(|i| {
                    let width = if rng.random_bool(0.7) { 16 } else { 32 };
                    TensorInfo {
                        name: format!("t{i}"),
                        shape: vec![],
                        ty: FixedType::new(true, width, 4, Rounding::Trn, Overflow::Wrap, 0)
                            .unwrap(),
                        len: rng.random_range(1..100),
                    }
                })
                .collect();
            let inputs: Vec<usize> = (0..n_in).collect();
            let ins: Vec<Vec<usize>> = (0..n_layers)
                .map(|i| {
                    let k = rng.random_range(1..3);
                    (0..k).map(|_| rng.random_range(0..n_in + i)).collect()
                })
                .collect();
            let layers: Vec<(&[usize], usize)> = ins
                .iter()
                .enumerate()
                .map(|(i, v)| (v.as_slice(), n_in + i))
                .collect();
            let mut outputs = vec![n_in + n_layers - 1];
            if rng.random_bool(0.3) {
                outputs.push(rng.random_range(0..n_in + n_layers));
            }
            let slots = Slots::plan(&tensors, &inputs, &outputs, &layers);
            // Live interval of each tensor: [birth, death] in layer steps (inputs born at -1).
            let end = n_layers as i64;
            let birth = |t: usize| if t < n_in { -1 } else { (t - n_in) as i64 };
            let death = |t: usize| {
                let mut d = birth(t);
                for (i, (ins, _)) in layers.iter().enumerate() {
                    if ins.contains(&t) {
                        d = d.max(i as i64);
                    }
                }
                if outputs.contains(&t) {
                    d = end;
                }
                d
            };
            for t in 0..tensors.len() {
                let s = slots.of[t];
                assert_eq!(
                    slots.kind[s].0,
                    narrow(tensors[t].ty),
                    "width of tensor {t}"
                );
                assert!(slots.kind[s].1 >= tensors[t].len, "room for tensor {t}");
                for u in t + 1..tensors.len() {
                    if slots.of[u] != s {
                        continue;
                    }
                    reused += 1;
                    let apart = death(t) < birth(u) || death(u) < birth(t);
                    assert!(apart, "tensors {t} and {u} alive at once in slot {s}");
                }
            }
            for &(ins, out) in &layers {
                for &t in ins {
                    assert_ne!(
                        slots.of[t], slots.of[out],
                        "layer writing t{out} reads t{t}"
                    );
                }
            }
        }
        assert!(reused > 1000, "slots reused only {reused} times");
    }
}
