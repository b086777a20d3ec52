//! Convolution (conv1d, conv2d, their K-hot shift-add forms; groups, depthwise, stride, zero
//! padding, dilation) as the dense constant-matrix product applied at every output position.
//!
//! The fully-parallel design computes every output position at once, so a convolution is, per
//! group `g`, the constant matrix `w_g [C_out/groups][C_in/groups · kh · kw]` (the weights'
//! own row-major layout) applied to the window of each position. That matrix is built by the
//! dense builder ([`super::dense::module`], called through that one function with a
//! [`DenseConfig`] of the same types and fan-in, so the same exact accumulator, alignment shifts
//! and cast: the conv kernel's contract is the dense one per position), once per group, and
//! instantiated at every output position with the window's taps wired to its inputs; taps in
//! the padding are the raw 0 the runtime reads there (`padding adds nothing`). Each group's
//! matrix is pipelined by the same cuts as a dense layer (`Pipeline`), so its stages depend on
//! its weights: the conv takes the most stages of its groups, and a group with fewer has its
//! outputs delayed in the wrapper by the difference (the wrapper's only logic). The conv's
//! parts (the estimate's input) are every instance's.

use std::fmt::Write as _;

use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::Window2;

use super::{dense, Ctx, Module, Parts, RtlError};

/// The geometry of a convolution (a 1-D one has height 1) and the dense layer of one group at
/// one position.
pub struct Shape {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub window: Window2,
    pub dense: DenseConfig,
}

/// The dense config of one group at one position: the conv's types and fan-in, so the same
/// accumulator plan (checked).
macro_rules! shape_of {
    ($c:expr) => {{
        let c = $c;
        let fan_in = c.fan_in();
        DenseConfig::new(fan_in, c.out_channels / c.groups, c.types)
            .map_err(|e| e.to_string())
            .and_then(|d| {
                if c.plan.user.is_none() && d.plan != c.plan {
                    Err(
                        "its accumulator plan differs from the dense one of the same types and \
                         fan-in"
                            .to_string(),
                    )
                } else {
                    Ok(Shape {
                        in_channels: c.in_channels,
                        out_channels: c.out_channels,
                        groups: c.groups,
                        window: c.window,
                        dense: d,
                    })
                }
            })
    }};
}

impl Shape {
    pub fn conv1d(c: &Conv1dConfig) -> Result<Shape, String> {
        shape_of!(c)
    }

    pub fn conv2d(c: &Conv2dConfig) -> Result<Shape, String> {
        shape_of!(c)
    }
}

/// The wrapper module (first) and one dense module per group.
pub fn modules(
    ctx: &Ctx,
    s: Result<Shape, String>,
    w: &[i64],
    b: &[i64],
) -> Result<Vec<Module>, RtlError> {
    let s = s.map_err(|e| ctx.refuse(e))?;
    let types = &s.dense.types;
    let win = &s.window;
    let (cin_g, cout_g) = (s.in_channels / s.groups, s.out_channels / s.groups);
    let (taps, plane) = (win.size(), win.in_h * win.in_w);
    let fan_in = cin_g * taps;
    if w.len() != s.out_channels * fan_in || b.len() != s.out_channels {
        return Err(ctx.refuse(format!(
            "{} weights and {} biases for {} -> {} channels",
            w.len(),
            b.len(),
            s.in_channels,
            s.out_channels
        )));
    }
    let dcfg = &s.dense;
    let mut mods = vec![];
    for g in 0..s.groups {
        let rows = g * cout_g * fan_in..(g + 1) * cout_g * fan_in;
        mods.push(
            dense::module(
                &format!("{}_g{g}", ctx.name),
                ctx.layer,
                dcfg,
                &w[rows],
                &b[g * cout_g..(g + 1) * cout_g],
                ctx.pipe,
            )
            .map_err(|e| match e {
                // The dense builder names its own op; the layer is this conv.
                RtlError::Layer { reason, .. } => ctx.refuse(reason),
                e => e,
            })?,
        );
    }
    let (wx, wy) = (types.input.width(), types.output.width());
    let n_out = s.out_channels * win.out_h * win.out_w;
    let positions = (win.out_h * win.out_w) as u64;
    let cycles = mods.iter().map(|m| m.cycles).max().unwrap_or(1);
    let mut parts = Parts::default();
    for m in &mods {
        for _ in 0..positions {
            parts.add(&m.parts);
        }
        let delay = u64::from(cycles - m.cycles);
        parts.register_bits += delay * positions * (cout_g as u64) * u64::from(wy);
    }
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// {}: conv {}x{}x{} -> {}x{}x{}, kernel {}x{}, stride {}x{}, dilation {}x{}, groups {}; \
         one {}_g<g> (dense {fan_in} -> {cout_g}) per group and output position",
        ctx.layer,
        s.in_channels,
        win.in_h,
        win.in_w,
        s.out_channels,
        win.out_h,
        win.out_w,
        win.kernel_h,
        win.kernel_w,
        win.stride_h,
        win.stride_w,
        win.dilation_h,
        win.dilation_w,
        s.groups,
        ctx.name
    );
    let _ = writeln!(v, "module {} (", ctx.name);
    let _ = writeln!(v, "  input wire clk,");
    let _ = writeln!(
        v,
        "  input wire [{}:0] x,",
        (s.in_channels * plane) as u32 * wx - 1
    );
    let _ = writeln!(v, "  output wire [{}:0] y", n_out as u32 * wy - 1);
    let _ = writeln!(v, ");");
    let mut read = vec![false; s.in_channels * plane];
    let mut outs = vec![String::new(); n_out];
    let zero = format!("{wx}'h0");
    for oy in 0..win.out_h {
        for ox in 0..win.out_w {
            let (rows, cols) = (win.rows(oy), win.cols(ox));
            for (g, group) in mods.iter().enumerate() {
                let mut inputs = Vec::with_capacity(fan_in);
                for ci in 0..cin_g {
                    for ky in 0..win.kernel_h {
                        for kx in 0..win.kernel_w {
                            if !rows.contains(&ky) || !cols.contains(&kx) {
                                inputs.push(zero.clone());
                                continue;
                            }
                            let at = (g * cin_g + ci) * plane
                                + win.in_row(oy, ky) * win.in_w
                                + win.in_col(ox, kx);
                            read[at] = true;
                            let lo = at as u32 * wx;
                            inputs.push(format!("x[{}:{lo}]", lo + wx - 1));
                        }
                    }
                }
                inputs.reverse();
                let mut p = format!("p{g}_{oy}_{ox}");
                let bits = cout_g as u32 * wy;
                let _ = writeln!(v, "  wire [{}:0] {p};", bits - 1);
                let _ = writeln!(
                    v,
                    "  {}_g{g} u{g}_{oy}_{ox} (.clk(clk), .x({{{}}}), .y({p}));",
                    ctx.name,
                    inputs.join(", ")
                );
                // A group with fewer stages than the conv waits for the others.
                for d in group.cycles..cycles {
                    let r = format!("p{g}_{oy}_{ox}_d{d}");
                    let _ = writeln!(v, "  reg [{}:0] {r};", bits - 1);
                    let _ = writeln!(v, "  always @(posedge clk) {r} <= {p};");
                    p = r;
                }
                for j in 0..cout_g {
                    let co = g * cout_g + j;
                    let lo = j as u32 * wy;
                    outs[(co * win.out_h + oy) * win.out_w + ox] =
                        format!("{p}[{}:{lo}]", lo + wy - 1);
                }
            }
        }
    }
    let unused: Vec<String> = read
        .iter()
        .enumerate()
        .filter(|(_, &r)| !r)
        .map(|(i, _)| {
            let lo = i as u32 * wx;
            format!("x[{}:{lo}]", lo + wx - 1)
        })
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            v,
            "  wire unused_x = &{{1'b0, {}, 1'b0}};",
            unused.join(", ")
        );
    }
    outs.reverse();
    let _ = writeln!(v, "  assign y = {{{}}};", outs.join(", "));
    let _ = writeln!(v, "endmodule");
    mods.insert(
        0,
        Module {
            name: ctx.name.to_string(),
            text: v,
            cycles,
            parts,
        },
    );
    Ok(mods)
}
