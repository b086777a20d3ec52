//! 2-D convolution on one sample, NCHW: `x [C_in][H][W]`, `w [C_out][C_in/groups][kh][kw]`,
//! `b [C_out]` → `y [C_out][out_h][out_w]`. Groups (depthwise when `groups = C_in`), stride,
//! zero padding (raw 0), dilation. Twin of `hls-templates/kernels/conv2d.h`.
//!
//! Contract shared with the header:
//! - loops: `co`, `oy`, `ox`, then the taps: `ci` (within the group of `co`), `ky`, `kx`;
//!   a tap outside the input is padding and adds nothing (the header tests it, the kernel here
//!   reads a 0 from its gathered patch: the same exact sum);
//! - accumulator `accum` (i32 storage when it fits, else i64), initialised with the bias, exact
//!   for `bias + (C_in/groups)·kh·kw` products;
//! - one rounding point: the cast `accum → output`.

use super::common::{
    check_len, check_storage, dot, AccKind, Accum, MacPlan, MacTypes, OpError, Raw,
};
use super::window::{TapRanges, Window2};

const OP: &str = "conv2d";

#[derive(Clone, Debug, PartialEq)]
pub struct Conv2dConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub window: Window2,
    pub types: MacTypes,
    /// HLS folding of the taps: each multiplier serves `reuse_factor` of them (the II of the
    /// pixel loop). Only the C++ twin uses it.
    pub reuse_factor: usize,
    pub plan: MacPlan,
    /// Valid `ky` range per output row, valid `kx` range per output column.
    rows: TapRanges,
    cols: TapRanges,
}

impl Conv2dConfig {
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        groups: usize,
        window: Window2,
        types: MacTypes,
    ) -> Result<Conv2dConfig, OpError> {
        check_groups(OP, in_channels, out_channels, groups)?;
        let fan_in = in_channels / groups * window.size();
        let rows = window.row_taps();
        let cols = window.col_taps();
        Ok(Conv2dConfig {
            in_channels,
            out_channels,
            groups,
            window,
            types,
            reuse_factor: 1,
            plan: MacPlan::new(OP, &types, fan_in)?,
            rows,
            cols,
        })
    }

    /// Sets the HLS reuse factor (`1..=fan_in`).
    pub fn with_reuse_factor(mut self, reuse_factor: usize) -> Result<Conv2dConfig, OpError> {
        if reuse_factor == 0 || reuse_factor > self.fan_in() {
            return Err(OpError::config(
                OP,
                format!("reuse factor {reuse_factor} outside 1..={}", self.fan_in()),
            ));
        }
        self.reuse_factor = reuse_factor;
        Ok(self)
    }

    /// Products per output value: `C_in/groups · kh · kw`.
    pub fn fan_in(&self) -> usize {
        self.in_channels / self.groups * self.window.size()
    }

    pub fn input_len(&self) -> usize {
        self.in_channels * self.window.in_h * self.window.in_w
    }

    pub fn weight_len(&self) -> usize {
        self.out_channels * self.fan_in()
    }

    pub fn output_len(&self) -> usize {
        self.out_channels * self.window.out_h * self.window.out_w
    }

    /// Multiply-accumulates per run, padding taps included (what the hardware spends).
    pub fn macs(&self) -> usize {
        self.output_len() * self.fan_in()
    }
}

pub(crate) fn check_groups(
    op: &'static str,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
) -> Result<(), OpError> {
    if groups == 0
        || in_channels == 0
        || out_channels == 0
        || !in_channels.is_multiple_of(groups)
        || !out_channels.is_multiple_of(groups)
    {
        return Err(OpError::config(
            op,
            format!(
                "groups {groups} must divide the input channels {in_channels} and the output \
                 channels {out_channels} (all non-zero)"
            ),
        ));
    }
    Ok(())
}

/// Runs the convolution on raw values.
pub fn run<X: Raw, W: Raw, B: Raw, Y: Raw>(
    cfg: &Conv2dConfig,
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
/// The input is first gathered into one patch per output position (`[ci][ky][kx]`, padding
/// taps 0, as the header reads them); each output is then the dot product of its patch with the
/// weights of `co`, in the header's order. The gather moves raw values and computes nothing.
pub fn kernel<X: Raw, W: Raw, B: Raw, Y: Raw, A: Accum>(
    cfg: &Conv2dConfig,
    x: &[X],
    w: &[W],
    b: &[B],
    y: &mut [Y],
) {
    let plan = &cfg.plan;
    let fan_in = cfg.fan_in();
    let cout_g = cfg.out_channels / cfg.groups;
    let patches = patches(cfg, x);
    let patch_len = cfg.in_channels * cfg.window.size();
    let out_plane = cfg.window.out_h * cfg.window.out_w;
    for (co, (y_co, w_co)) in y
        .chunks_exact_mut(out_plane)
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

/// `[out_h·out_w][C_in][kh][kw]`: the taps every output position reads, 0 in the padding.
fn patches<X: Raw>(cfg: &Conv2dConfig, x: &[X]) -> Vec<X> {
    let win = &cfg.window;
    let (kh, kw) = (win.kernel_h, win.kernel_w);
    let patch_len = cfg.in_channels * kh * kw;
    let plane = win.in_h * win.in_w;
    let mut out = vec![X::default(); win.out_h * win.out_w * patch_len];
    let mut patches = out.chunks_exact_mut(patch_len);
    for (oy, &(ky0, ky1)) in cfg.rows.iter().enumerate() {
        for (ox, &(kx0, kx1)) in cfg.cols.iter().enumerate() {
            let Some(patch) = patches.next() else {
                return out;
            };
            for (x_c, p_c) in x.chunks_exact(plane).zip(patch.chunks_exact_mut(kh * kw)) {
                for ky in ky0..ky1 {
                    let row = &x_c[win.in_row(oy, ky) * win.in_w..][..win.in_w];
                    for kx in kx0..kx1 {
                        p_c[ky * kw + kx] = row[win.in_col(ox, kx)];
                    }
                }
            }
        }
    }
    out
}
