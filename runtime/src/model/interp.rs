//! Running a loaded [`Model`]: one sample at a time through every layer, samples in parallel.
//!
//! Each worker owns a workspace, one buffer per tensor in the storage of its type (`i16` or `i64`),
//! allocated once. A layer takes its output buffer out of the workspace, runs its kernel from
//! [`crate::ops`] on the input buffers, and puts it back. Views copy; nothing else moves data.

use rayon::prelude::*;

use super::error::ModelError;
use super::{Buf, Exec, Layer, Model, PAD};
use crate::ops::{
    affine, average_pool, binary, clip, conv1d, conv2d, dense, global_average_pool,
    global_max_pool, hard_sigmoid, hard_swish, leaky_relu, lut, max_pool, relu, softmax, OpError,
};

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

/// Per-worker buffers, one per tensor.
struct Workspace {
    bufs: Vec<Buf>,
}

impl Model {
    fn workspace(&self) -> Workspace {
        Workspace {
            bufs: self
                .tensors
                .iter()
                .map(|t| Buf::zeros(t.ty, t.len))
                .collect(),
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
            Threads::All => rayon::current_num_threads(),
            Threads::Exactly(n) => n,
        }
        .max(1)
            * 4;
        let per = batch.div_ceil(chunks).max(1);
        let run_chunk = |c: usize| -> Result<Vec<Vec<i64>>, ModelError> {
            let mut ws = self.workspace();
            let start = c * per;
            let end = (start + per).min(batch);
            let mut outs: Vec<Vec<i64>> = self
                .outputs
                .iter()
                .map(|&o| Vec::with_capacity(self.tensors[o].len * (end - start)))
                .collect();
            for s in start..end {
                self.run_sample(&mut ws, inputs, s, None)?;
                for (out, &o) in outs.iter_mut().zip(&self.outputs) {
                    ws.bufs[o].extend_into(out);
                }
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
        let mut ws = self.workspace();
        let mut trace = Vec::with_capacity(self.layers.len());
        self.run_sample(&mut ws, inputs, 0, Some(&mut trace))?;
        Ok(trace)
    }

    fn run_sample(
        &self,
        ws: &mut Workspace,
        inputs: &[&[i64]],
        sample: usize,
        mut trace: Option<&mut Vec<LayerOutput>>,
    ) -> Result<(), ModelError> {
        for (x, &id) in inputs.iter().zip(&self.inputs) {
            let len = self.tensors[id].len;
            ws.bufs[id].fill(&x[sample * len..][..len]);
        }
        for (index, layer) in self.layers.iter().enumerate() {
            let mut out = std::mem::take(&mut ws.bufs[layer.output]);
            let done = step(layer, &ws.bufs, &mut out);
            ws.bufs[layer.output] = out;
            done.map_err(|e| ModelError::Layer {
                index,
                layer: layer.name.clone(),
                op: layer.op.clone(),
                reason: e.to_string(),
            })?;
            if let Some(t) = trace.as_deref_mut() {
                t.push(LayerOutput {
                    layer: layer.name.clone(),
                    tensor: self.tensors[layer.output].name.clone(),
                    raw: ws.bufs[layer.output].to_vec(),
                });
            }
        }
        Ok(())
    }
}

/// Binds the values of a [`Buf`] as a slice of its storage integer.
macro_rules! slice {
    ($buf:expr, $v:ident => $body:expr) => {
        match $buf {
            Buf::I16(data) => {
                let $v = data.as_slice();
                $body
            }
            Buf::I64(data) => {
                let $v = data.as_slice();
                $body
            }
        }
    };
}

/// Binds the values of a [`Buf`] as a mutable slice of its storage integer.
macro_rules! slice_mut {
    ($buf:expr, $v:ident => $body:expr) => {
        match $buf {
            Buf::I16(data) => {
                let $v = data.as_mut_slice();
                $body
            }
            Buf::I64(data) => {
                let $v = data.as_mut_slice();
                $body
            }
        }
    };
}

/// Runs one layer: `bufs` holds its inputs, `out` receives its output.
fn step(layer: &Layer, bufs: &[Buf], out: &mut Buf) -> Result<(), OpError> {
    let input = |k: usize| &bufs[layer.inputs[k]];
    match &layer.exec {
        Exec::Dense { cfg, w, b } => slice!(input(0), x => slice!(w, w => slice_mut!(out, y =>
            dense::run(cfg, x, w, b, y)))),
        Exec::Conv1d { cfg, w, b } => slice!(input(0), x => slice!(w, w => slice_mut!(out, y =>
            conv1d::run(cfg, x, w, b, y)))),
        Exec::Conv2d { cfg, w, b } => slice!(input(0), x => slice!(w, w => slice_mut!(out, y =>
            conv2d::run(cfg, x, w, b, y)))),
        Exec::MaxPool(cfg) => slice!(input(0), x => slice_mut!(out, y => max_pool::run(cfg, x, y))),
        Exec::AveragePool(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => average_pool::run(cfg, x, y)))
        }
        Exec::GlobalMaxPool(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => global_max_pool::run(cfg, x, y)))
        }
        Exec::GlobalAveragePool(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => global_average_pool::run(cfg, x, y)))
        }
        Exec::Affine { cfg, scale, shift } => {
            slice!(input(0), x => slice_mut!(out, y => affine::run(cfg, x, scale, shift, y)))
        }
        Exec::Binary { cfg, a, b } => {
            let a = match a {
                Some(v) => Operand::Const(v),
                None => Operand::Buf(input(0)),
            };
            let b = match b {
                Some(v) => Operand::Const(v),
                None => Operand::Buf(input(usize::from(matches!(a, Operand::Buf(_))))),
            };
            match (a, b) {
                (Operand::Buf(a), Operand::Buf(b)) => slice!(a, a => slice!(b, b =>
                    slice_mut!(out, y => binary::run(cfg, a, b, y)))),
                (Operand::Buf(a), Operand::Const(b)) => {
                    slice!(a, a => slice_mut!(out, y => binary::run(cfg, a, b, y)))
                }
                (Operand::Const(a), Operand::Buf(b)) => {
                    slice!(b, b => slice_mut!(out, y => binary::run(cfg, a, b, y)))
                }
                (Operand::Const(a), Operand::Const(b)) => {
                    slice_mut!(out, y => binary::run(cfg, a, b, y))
                }
            }
        }
        Exec::Relu(cfg) => slice!(input(0), x => slice_mut!(out, y => relu::run(cfg, x, y))),
        Exec::Clip(cfg) => slice!(input(0), x => slice_mut!(out, y => clip::run(cfg, x, y))),
        Exec::LeakyRelu(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => leaky_relu::run(cfg, x, y)))
        }
        Exec::HardSigmoid(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => hard_sigmoid::run(cfg, x, y)))
        }
        Exec::HardSwish(cfg) => {
            slice!(input(0), x => slice_mut!(out, y => hard_swish::run(cfg, x, y)))
        }
        Exec::Lut(cfg) => slice!(input(0), x => slice_mut!(out, y => lut::run(cfg, x, y))),
        Exec::Softmax(cfg) => slice!(input(0), x => slice_mut!(out, y => softmax::run(cfg, x, y))),
        Exec::View => {
            match (input(0), out) {
                (Buf::I16(x), Buf::I16(y)) => y.copy_from_slice(x),
                (Buf::I64(x), Buf::I64(y)) => y.copy_from_slice(x),
                (x, y) => (0..x.len()).for_each(|i| y.set(i, x.get(i))),
            }
            Ok(())
        }
        Exec::Cast(rq) => {
            let x = input(0);
            (0..x.len()).for_each(|i| out.set(i, rq.apply(x.get(i))));
            Ok(())
        }
        Exec::Gather(g) => {
            let x = input(0);
            for (i, &m) in g.map.iter().enumerate() {
                out.set(i, if m == PAD { g.fill } else { x.get(m) });
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
                        out.set(at, part.requant.apply(x.get(base + j)));
                        at += 1;
                    }
                }
            }
            Ok(())
        }
    }
}

enum Operand<'a> {
    Buf(&'a Buf),
    Const(&'a Vec<i64>),
}
