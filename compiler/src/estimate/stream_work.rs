//! What the dataflow estimate (`stream.rs`) reads of a compiled model beyond the layers' work:
//! words, windows and FIFOs, from the one rule the emitter also reads (`crate::dataflow`).

use binpoint_runtime::model::format::layer::Kernel;
use binpoint_runtime::model::format::{ModelProto, WindowProto};

use crate::dataflow::{fifo_depths, geometry, stage_kind, walk, StageKind};

/// What the stream estimate reads beyond the layers' work: words, windows, FIFOs.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StreamWork {
    /// Per tensor: channels per word, words per sample, bits per value.
    pub(super) channels: Vec<u64>,
    pub(super) pixels: Vec<u64>,
    pub(super) bits: Vec<u64>,
    /// Per tensor: FIFO depth and how many streams carry it (one per reader).
    pub(super) depths: Vec<u64>,
    pub(super) reads: Vec<u64>,
    pub(super) stages: Vec<StageWork>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct StageWork {
    pub(super) kind: StageKind,
    /// Window stages: padded positions walked per sample, and the line buffer (rows, cols)
    /// and window (rows, cols).
    pub(super) walk: u64,
    pub(super) lines: (u64, u64),
    pub(super) window: (u64, u64),
    pub(super) pool: bool,
}

impl StreamWork {
    pub fn read(model: &ModelProto) -> StreamWork {
        let n = model.tensors.len();
        let mut w = StreamWork::default();
        for t in &model.tensors {
            let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
            let (c, p) = geometry(&shape);
            w.channels.push(c as u64);
            w.pixels.push(p as u64);
            w.bits
                .push(t.ty.as_ref().map_or(0, |ty| u64::from(ty.width)));
        }
        let mut reads = vec![0usize; n];
        let mut edges = Vec::new();
        for l in &model.layers {
            let ins: Vec<usize> = l
                .inputs
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| i < n)
                .collect();
            for &i in &ins {
                reads[i] += 1;
            }
            edges.push((ins, (l.output as usize).min(n.saturating_sub(1))));
        }
        let outputs: Vec<usize> = model
            .outputs
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| i < n)
            .collect();
        let inputs: Vec<usize> = model
            .inputs
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| i < n)
            .collect();
        for &t in &outputs {
            reads[t] += 1;
        }
        let pixels: Vec<usize> = w.pixels.iter().map(|&p| p as usize).collect();
        w.depths = fifo_depths(&pixels, &edges, &inputs, &outputs, &reads)
            .into_iter()
            .map(|d| d as u64)
            .collect();
        w.reads = reads.iter().map(|&r| r as u64).collect();
        for l in &model.layers {
            let out = l.output as usize;
            let (c_out, p_out) = (
                w.channels.get(out).copied().unwrap_or(1),
                w.pixels.get(out).copied().unwrap_or(1),
            );
            let (stem, window, per_channel) = match &l.kernel {
                Some(Kernel::Conv(k)) if k.khot == 0 => (
                    if k.rank == 1 { "conv1d" } else { "conv2d" },
                    k.window,
                    true,
                ),
                Some(Kernel::MaxPool(k)) => ("max_pool", k.window, true),
                Some(Kernel::AveragePool(k)) => ("average_pool", k.window, true),
                Some(Kernel::Affine(a)) => ("affine", None, a.channels == c_out && a.size == p_out),
                Some(k) => (
                    binpoint_runtime::model::format::layer::Kernel::stem(k),
                    None,
                    true,
                ),
                None => ("", None, true),
            };
            let kind = stage_kind(stem, l.inputs.len(), per_channel);
            let mut s = StageWork {
                kind,
                walk: 0,
                lines: (0, 0),
                window: (0, 0),
                pool: stem.ends_with("pool"),
            };
            if let (StageKind::Window, Some(win)) = (kind, window) {
                let (rows, cols) = walk_of(&win);
                let span_h = (win.kernel_h.max(1) - 1) * win.dilation_h.max(1) + 1;
                let span_w = (win.kernel_w.max(1) - 1) * win.dilation_w.max(1) + 1;
                s.walk = rows * cols;
                s.lines = (span_h - 1, cols);
                s.window = (span_h, span_w);
            }
            w.stages.push(s);
        }
        w
    }
}

pub(super) fn walk_of(w: &WindowProto) -> (u64, u64) {
    let u = |v: u64| v as usize;
    let out_h = (u(w.in_h) + u(w.pad_top) + u(w.pad_bottom))
        .saturating_sub((u(w.kernel_h).max(1) - 1) * u(w.dilation_h).max(1) + 1)
        / u(w.stride_h).max(1)
        + 1;
    let out_w = (u(w.in_w) + u(w.pad_left) + u(w.pad_right))
        .saturating_sub((u(w.kernel_w).max(1) - 1) * u(w.dilation_w).max(1) + 1)
        / u(w.stride_w).max(1)
        + 1;
    let (r, c) = walk(
        (u(w.in_h), u(w.in_w)),
        (out_h, out_w),
        (u(w.kernel_h), u(w.kernel_w)),
        (u(w.stride_h), u(w.stride_w)),
        (u(w.dilation_h), u(w.dilation_w)),
        (u(w.pad_top), u(w.pad_left)),
    );
    (r as u64, c as u64)
}
