//! 1-D convolution on one sample, NCW: `x [C_in][L]`, `w [C_out][C_in/groups][k]`, `b [C_out]`
//! → `y [C_out][out_len]`. Groups, stride, zero padding (raw 0), dilation. Twin of
//! `hls-templates/kernels/conv1d.h`.
//!
//! Contract shared with the header:
//! - loops: `co`, `ox`, then the taps: `ci` (within the group of `co`), `kx`; a tap outside the
//!   input is padding and adds nothing (tested there, a 0 of the gathered patch here);
//! - accumulator `accum` (i32 storage when it fits, else i64), initialised with the bias, exact
//!   for `bias + (C_in/groups)·k` products;
//! - one rounding point: the cast `accum → output`.
//!
//! The geometry is a [`Window2`] of height 1 ([`Window2::new_1d`]).

use super::common::{
    check_len, check_storage, dot, AccKind, Accum, MacPlan, MacTypes, OpError, Raw,
};
use super::conv2d::check_groups;
use super::window::{TapRanges, Window2};

const OP: &str = "conv1d";

#[derive(Clone, Debug, PartialEq)]
pub struct Conv1dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    /// Height 1: only the `_w` fields count.
    pub window: Window2,
    pub types: MacTypes,
    /// HLS folding of the taps (the II of the position loop). Only the C++ twin uses it.
    pub reuse_factor: usize,
    pub plan: MacPlan,
    cols: TapRanges,
}

impl Conv1dConfig {
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        window: Window2,
        types: MacTypes,
    ) -> Result<Conv1dConfig, OpError> {
        check_groups(OP, in_channels, out_channels, groups)?;
        if window.in_h != 1 || window.kernel_h != 1 || window.out_h != 1 {
            return Err(OpError::config(
                OP,
                "a 1-D window has height 1 (Window2::new_1d)",
            ));
        }
        let fan_in = in_channels / groups * window.kernel_w;
        let cols = window.col_taps();
        Ok(Conv1dConfig {
            in_channels,
            out_channels,
            groups,
            window,
            types,
            reuse_factor: 1,
            plan: MacPlan::new(OP, &types, fan_in)?,
            cols,
        })
    }

    /// Sets the HLS reuse factor (`1..=fan_in`).
    pub fn with_reuse_factor(mut self, reuse_factor: usize) -> Result<Conv1dConfig, OpError> {
        if reuse_factor == 0 || reuse_factor > self.fan_in() {
            return Err(OpError::config(
                OP,
                format!("reuse factor {reuse_factor} outside 1..={}", self.fan_in()),
            ));
        }
        self.reuse_factor = reuse_factor;
        Ok(self)
    }

    /// Products per output value: `C_in/groups · k`.
    pub fn fan_in(&self) -> usize {
        self.in_channels / self.groups * self.window.kernel_w
    }

    pub fn input_len(&self) -> usize {
        self.in_channels * self.window.in_w
    }

    pub fn weight_len(&self) -> usize {
        self.out_channels * self.fan_in()
    }

    pub fn output_len(&self) -> usize {
        self.out_channels * self.window.out_w
    }

    pub fn macs(&self) -> usize {
        self.output_len() * self.fan_in()
    }
}

/// Runs the convolution on raw values.
pub fn run<X: Raw, W: Raw, B: Raw, Y: Raw>(
    cfg: &Conv1dConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) -> Result<(), OpError> {
    check_len(OP, "input", x, cfg.input_len())?;
    check_len(OP, "weight", w, cfg.weight_len())?;
    check_len(OP, "bias", b, cfg.out_channels)?;
    check_len(OP, "output", y, cfg.output_len())?;
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

/// The loops, for one accumulator integer (slices checked by [`run`]).
///
/// The input is first gathered into one patch per output position (`[ci][kx]`, padding taps 0,
/// as the header reads them); each output is then the dot product of its patch with the weights
/// of `co`, in the header's order. The gather moves raw values and computes nothing.
pub fn kernel<X: Raw, W: Raw, B: Raw, Y: Raw, A: Accum>(
    cfg: &Conv1dConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) {
    let win = &cfg.window;
    let plan = &cfg.plan;
    let fan_in = cfg.fan_in();
    let cout_g = cfg.out_channels / cfg.groups;
    let k = win.kernel_w;
    let patch_len = cfg.in_channels * k;
    let mut patches = vec![X::default(); win.out_w * patch_len];
    for (patch, (ox, &(kx0, kx1))) in patches
        .chunks_exact_mut(patch_len)
        .zip(cfg.cols.iter().enumerate())
    {
        for (x_c, p_c) in x.chunks_exact(win.in_w).zip(patch.chunks_exact_mut(k)) {
            for kx in kx0..kx1 {
                p_c[kx] = x_c[win.in_col(ox, kx)];
            }
        }
    }
    for (co, (y_co, w_co)) in y
        .chunks_exact_mut(win.out_w)
        .zip(w.chunks_exact(fan_in))
        .enumerate()
    {
        let group = co / cout_g * fan_in;
        let bias = A::of(b[co]).shl(plan.bias_shift);
        for (yv, patch) in y_co.iter_mut().zip(patches.chunks_exact(patch_len)) {
            let sum = dot(A::default(), &patch[group..group + fan_in], w_co);
            let acc = sum.shl(plan.prod_shift).add(bias);
            *yv = Y::from_i64_unchecked(plan.requant.apply(acc.to_i64()));
        }
    }
}
