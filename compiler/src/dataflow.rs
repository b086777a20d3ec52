//! The shape of a dataflow (`io = stream`) design, shared by the HLS emitter and the estimator
//! so that both read one rule: how a tensor becomes words, how a layer streams, how deep each
//! FIFO is (docs/hls-backend.md, "Stream designs").

/// Depth of a FIFO that no fork-join path crosses (two words: a producer and a consumer at one
/// word per cycle never wait on each other).
pub const SHALLOW_DEPTH: usize = 2;

/// Channels per word and words (pixels) per sample of a one-sample shape `[C, d1, d2, ...]`:
/// `C` and `d1·d2·…`; `[N]` is one word of `N` channels.
pub fn geometry(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [c] => (*c, 1),
        [c, rest @ ..] => (*c, rest.iter().product()),
    }
}

/// How a layer streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageKind {
    /// A line-buffer kernel (`*_stream.h`): one padded input position per `reuse_factor` cycles.
    Window,
    /// The array kernel on one word at a time: one word per cycle.
    Pixel,
    /// Inputs collected into arrays, the array kernel, the output streamed out.
    Tensor,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Window => "window",
            StageKind::Pixel => "pixel",
            StageKind::Tensor => "tensor",
        }
    }
}

/// How the layer of runtime kernel `kernel` streams; `per_channel` says that its per-channel
/// parameters (affine) follow the word's channels.
pub fn stage_kind(kernel: &str, inputs: usize, per_channel: bool) -> StageKind {
    match kernel {
        "conv2d" | "conv1d" | "max_pool" | "average_pool" if inputs == 1 => StageKind::Window,
        "relu" | "clip" | "leaky_relu" | "hard_sigmoid" | "hard_swish" | "lut" | "cast"
            if inputs == 1 =>
        {
            StageKind::Pixel
        }
        "affine" if inputs == 1 && per_channel => StageKind::Pixel,
        _ => StageKind::Tensor,
    }
}

/// The words of one padded raster walk of a window kernel (`line_buffer.h`):
/// `rows · cols`, `rows = max(pad_top + in_h, (out_h - 1)·stride_h + span_h)` (cols alike).
#[allow(clippy::too_many_arguments)]
pub fn walk(
    in_hw: (usize, usize),
    out_hw: (usize, usize),
    kernel: (usize, usize),
    stride: (usize, usize),
    dilation: (usize, usize),
    pad_top_left: (usize, usize),
) -> (usize, usize) {
    let span = |k: usize, d: usize| (k.max(1) - 1) * d + 1;
    let rows = (pad_top_left.0 + in_hw.0)
        .max((out_hw.0.max(1) - 1) * stride.0 + span(kernel.0, dilation.0));
    let cols = (pad_top_left.1 + in_hw.1)
        .max((out_hw.1.max(1) - 1) * stride.1 + span(kernel.1, dilation.1));
    (rows, cols)
}

/// Every tensor's FIFO depth in words: [`SHALLOW_DEPTH`], or its words per sample when it lies
/// on a path from a fork (a tensor read more than once, or one of several graph inputs) to a
/// join (a layer with several inputs, or one of several graph outputs). A tensor stage reads
/// its inputs one after the other, each to its end; the FIFOs of the branch it reads last must
/// then hold a whole tensor, or the fork stalls and the design deadlocks.
///
/// `layers`: each layer's input tensors and output tensor; `reads[t]`: how many times tensor
/// `t` is read (layer inputs and graph outputs).
pub fn fifo_depths(
    pixels: &[usize],
    layers: &[(Vec<usize>, usize)],
    inputs: &[usize],
    outputs: &[usize],
    reads: &[usize],
) -> Vec<usize> {
    let n = pixels.len();
    let mut fork: Vec<bool> = (0..n)
        .map(|t| reads.get(t).copied().unwrap_or(0) > 1)
        .collect();
    if inputs.len() > 1 {
        for &t in inputs {
            fork[t] = true;
        }
    }
    for (ins, out) in layers {
        if ins.iter().any(|&t| fork[t]) {
            fork[*out] = true;
        }
    }
    let mut join = vec![false; n];
    for (ins, _) in layers {
        if ins.len() > 1 {
            for &t in ins {
                join[t] = true;
            }
        }
    }
    if outputs.len() > 1 {
        for &t in outputs {
            join[t] = true;
        }
    }
    for (ins, out) in layers.iter().rev() {
        if join[*out] {
            for &t in ins {
                join[t] = true;
            }
        }
    }
    (0..n)
        .map(|t| {
            if fork[t] && join[t] {
                pixels[t].max(SHALLOW_DEPTH)
            } else {
                SHALLOW_DEPTH
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_residual_branch_holds_a_whole_tensor() {
        // t0 -> a -> t1 ; t1 -> b -> t2 ; (t1, t2) -> add -> t3
        let layers = vec![(vec![0], 1), (vec![1], 2), (vec![1, 2], 3)];
        let d = fifo_depths(&[64, 64, 64, 64], &layers, &[0], &[3], &[1, 2, 1, 1]);
        assert_eq!(d, vec![2, 64, 64, 2]);
    }

    #[test]
    fn geometry_and_walk() {
        assert_eq!(geometry(&[8, 4, 4]), (8, 16));
        assert_eq!(geometry(&[10]), (10, 1));
        // 3x3, pad 1, stride 1 on 8x8: 10 x 10 positions.
        assert_eq!(
            walk((8, 8), (8, 8), (3, 3), (1, 1), (1, 1), (1, 1)),
            (10, 10)
        );
        // 2x2 stride 2, no pad, on 5x5 -> 2x2: every input row is still read.
        assert_eq!(walk((5, 5), (2, 2), (2, 2), (2, 2), (1, 1), (0, 0)), (5, 5));
    }
}
