//! Dense (fully connected): `y[o] = b[o] + Σ_i x[i] · w[o][i]`. Twin of `hls-templates/kernels/dense.h`.
//!
//! Contract shared with the header:
//! - loops: `o` over outputs, then `i` over inputs;
//! - accumulator `accum` (i32 storage when it fits, else i64), initialised with the bias, exact:
//!   the config proves it holds `bias + n_in · x·w` in the worst case with enough fractional bits;
//! - one rounding point: `y[o] = acc`, the cast `accum → output` with the output's Q and O.
//!
//! Weights are `[n_out][n_in]` row-major (ONNX Gemm with `transB = 1`, PyTorch `Linear.weight`).

use super::common::{
    check_len, check_storage, dot, AccKind, Accum, MacPlan, MacTypes, OpError, Raw,
};

const OP: &str = "dense";

/// A dense layer, with everything the kernel needs computed up front.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseConfig {
    pub n_in: usize,
    pub n_out: usize,
    pub types: MacTypes,
    /// HLS folding: each multiplier serves `reuse_factor` products (the pipeline's II). Only the
    /// C++ twin uses it; it never changes a bit.
    pub reuse_factor: usize,
    pub plan: MacPlan,
}

impl DenseConfig {
    pub fn new(n_in: usize, n_out: usize, types: MacTypes) -> Result<DenseConfig, OpError> {
        if n_in == 0 || n_out == 0 {
            return Err(OpError::config(
                OP,
                format!("empty layer {n_in} -> {n_out}"),
            ));
        }
        Ok(DenseConfig {
            n_in,
            n_out,
            types,
            reuse_factor: 1,
            plan: MacPlan::new(OP, &types, n_in)?,
        })
    }

    /// Sets the HLS reuse factor (`1..=n_in`).
    pub fn with_reuse_factor(mut self, reuse_factor: usize) -> Result<DenseConfig, OpError> {
        if reuse_factor == 0 || reuse_factor > self.n_in {
            return Err(OpError::config(
                OP,
                format!("reuse factor {reuse_factor} outside 1..={}", self.n_in),
            ));
        }
        self.reuse_factor = reuse_factor;
        Ok(self)
    }

    /// Multiply-accumulates per run.
    pub fn macs(&self) -> usize {
        self.n_in * self.n_out
    }
}

/// Runs the layer on raw values: `x[n_in]`, `w[n_out · n_in]`, `b[n_out]` → `y[n_out]`.
pub fn run<X: Raw, W: Raw, B: Raw, Y: Raw>(
    cfg: &DenseConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.n_in)?;
    check_len(OP, "weight", w, cfg.n_in * cfg.n_out)?;
    check_len(OP, "bias", b, cfg.n_out)?;
    check_len(OP, "output", y, cfg.n_out)?;
    check_storage::<X>(OP, "input", cfg.types.input)?;
    check_storage::<W>(OP, "weight", cfg.types.weight)?;
    check_storage::<B>(OP, "bias", cfg.types.bias)?;
    check_storage::<Y>(OP, "output", cfg.types.output)?;
    match cfg.plan.acc {
        AccKind::I32 => kernel::<X, W, B, Y, i32>(cfg, x, w, b, y),
        AccKind::I64 => kernel::<X, W, B, Y, i64>(cfg, x, w, b, y),
    }
    Ok(())
}

/// The loops, for one accumulator integer. Products are summed first and aligned once: the same
/// exact value as the header's `acc = b; acc += x * w;` (no term can round or overflow).
pub fn kernel<X: Raw, W: Raw, B: Raw, Y: Raw, A: Accum>(
    cfg: &DenseConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) {
    let plan = &cfg.plan;
    for ((yo, row), bo) in y.iter_mut().zip(w.chunks_exact(cfg.n_in)).zip(b) {
        let acc = dot(A::default(), x, row)
            .shl(plan.prod_shift)
            .add(A::of(*bo).shl(plan.bias_shift));
        *yo = Y::from_i64_unchecked(plan.requant.apply(acc.to_i64()));
    }
}
