//! Multiply-accumulate layers: dense, conv1d, conv2d (`dense.h`, `conv1d.h`, `conv2d.h`) and
//! affine (BatchNorm kept, `affine.h`). Members as in `testbench/src/kernels/render.rs`.

use binpoint_runtime::model::format::{AffineProto, ConvProto, DenseProto, TypeProto, WindowProto};
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::shift_add::{
    cpp_raw_type, ShiftAddWeights, CPP_SHIFT_TYPE, CPP_SIGN_TYPE,
};
use binpoint_runtime::ops::{MacTypes, Window2};
use binpoint_runtime::FixedType;

use super::layer::{header, ConfigStruct, ConstArray, Ctx, Emitted};
use super::HlsError;

/// The bias type and raw values: the layer's, or (no bias) zeros of `ap_ufixed<1, 1 - F_acc>`,
/// the type the runtime uses (it adds nothing to the accumulator's worst case).
fn bias(
    ctx: &Ctx<'_>,
    ty: &Option<TypeProto>,
    values: &[i64],
    n: usize,
    accum: FixedType,
) -> Result<(FixedType, Vec<i64>), HlsError> {
    match ty {
        Some(_) => Ok((ctx.ty("bias type", ty)?, values.to_vec())),
        None => {
            let t = MacTypes::absent_bias(accum).map_err(|e| ctx.err(format!("bias type: {e}")))?;
            Ok((t, vec![0; n]))
        }
    }
}

/// `in_t, weight_t, bias_t, accum_t, out_t`.
fn mac_types(
    ctx: &Ctx<'_>,
    c: &mut ConfigStruct,
    weight: FixedType,
    bias: FixedType,
    accum: FixedType,
) {
    c.named("in_t", ctx.ins[0].ty_name.clone())
        .ty("weight_t", weight)
        .ty("bias_t", bias)
        .ty("accum_t", accum)
        .named("out_t", ctx.out.ty_name.clone());
}

/// `reuse_factor` and `block_factor = ceil(fan_in / reuse_factor)`.
fn folding(ctx: &Ctx<'_>, c: &mut ConfigStruct, fan_in: usize) -> Result<(), HlsError> {
    let reuse = ctx.reuse(fan_in)?;
    c.int("reuse_factor", reuse)
        .int("block_factor", fan_in.div_ceil(reuse).max(1));
    Ok(())
}

/// Weights and biases as typed constant arrays; the call `kernel<config>(x, y, w, b)`.
fn finish(
    ctx: &mut Ctx<'_>,
    kernel: &'static str,
    c: ConfigStruct,
    weights: &[i64],
    bias: &[i64],
) -> Emitted {
    let w = ctx.name("w");
    let b = ctx.name("b");
    let arrays = vec![
        ConstArray::typed(w.clone(), format!("{}::weight_t", c.name), weights),
        ConstArray::typed(b.clone(), format!("{}::bias_t", c.name), bias),
    ];
    let call = Emitted::call(
        kernel,
        &c.name,
        &[
            &ctx.ins[0].name,
            &ctx.out.name,
            &format!("bpm::{w}"),
            &format!("bpm::{b}"),
        ],
    );
    Emitted {
        headers: vec![header(kernel)],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    }
}

pub fn dense(ctx: &mut Ctx<'_>, d: &DenseProto) -> Result<Emitted, HlsError> {
    let (n_in, n_out) = (d.n_in as usize, d.n_out as usize);
    let weight = ctx.ty("weight type", &d.weight_type)?;
    let accum = ctx.ty("accumulator type", &d.accum_type)?;
    let (bias_t, b) = bias(ctx, &d.bias_type, &d.bias, n_out, accum)?;
    if d.khot > 0 {
        let types = MacTypes {
            input: ctx.ins[0].ty,
            weight,
            bias: bias_t,
            accum,
            output: ctx.out.ty,
        };
        let plan = DenseConfig::new(n_in, n_out, types)
            .map_err(|e| ctx.err(e.to_string()))?
            .plan;
        let mut c = ctx.config();
        c.int("n_in", n_in).int("n_out", n_out);
        let sa = SaLayer {
            khot: d.khot,
            types,
            prod_shift: plan.prod_shift,
            bias_shift: plan.bias_shift,
            weights: &d.weights,
        };
        return shift_add(ctx, "dense_shift_add", c, &sa, &b);
    }
    let mut c = ctx.config();
    c.int("n_in", n_in).int("n_out", n_out);
    folding(ctx, &mut c, n_in)?;
    mac_types(ctx, &mut c, weight, bias_t, accum);
    Ok(finish(ctx, "dense", c, &d.weights, &b))
}

/// The runtime's window (output sizes computed as the interpreter does).
pub fn window(ctx: &Ctx<'_>, w: &Option<WindowProto>) -> Result<Window2, HlsError> {
    let w = w.as_ref().ok_or_else(|| ctx.err("window: missing"))?;
    let u = |v: u64| v as usize;
    Window2::new(
        [u(w.in_h), u(w.in_w)],
        [u(w.kernel_h), u(w.kernel_w)],
        [u(w.stride_h), u(w.stride_w)],
        [u(w.dilation_h), u(w.dilation_w)],
        [u(w.pad_top), u(w.pad_left), u(w.pad_bottom), u(w.pad_right)],
        w.ceil_mode,
    )
    .map_err(|r| ctx.err(format!("window: {r}")))
}

/// The 2-D window members of a config.
pub fn window_members(c: &mut ConfigStruct, w: &Window2) {
    c.int("in_h", w.in_h)
        .int("in_w", w.in_w)
        .int("kernel_h", w.kernel_h)
        .int("kernel_w", w.kernel_w)
        .int("stride_h", w.stride_h)
        .int("stride_w", w.stride_w)
        .int("dilation_h", w.dilation_h)
        .int("dilation_w", w.dilation_w)
        .int("pad_top", w.pad_top)
        .int("pad_left", w.pad_left)
        .int("pad_bottom", w.pad_bottom)
        .int("pad_right", w.pad_right)
        .int("out_h", w.out_h)
        .int("out_w", w.out_w);
}

pub fn conv(ctx: &mut Ctx<'_>, k: &ConvProto) -> Result<Emitted, HlsError> {
    let (c_in, c_out, groups) = (
        k.in_channels as usize,
        k.out_channels as usize,
        k.groups as usize,
    );
    let win = window(ctx, &k.window)?;
    let weight = ctx.ty("weight type", &k.weight_type)?;
    let accum = ctx.ty("accumulator type", &k.accum_type)?;
    let (bias_t, b) = bias(ctx, &k.bias_type, &k.bias, c_out, accum)?;
    let fan_in = c_in / groups.max(1) * win.size();
    let mut c = ctx.config();
    c.int("in_channels", c_in)
        .int("out_channels", c_out)
        .int("groups", groups);
    let kernel = match k.rank {
        1 => {
            c.int("in_len", win.in_w)
                .int("kernel", win.kernel_w)
                .int("stride", win.stride_w)
                .int("dilation", win.dilation_w)
                .int("pad_left", win.pad_left)
                .int("out_len", win.out_w);
            "conv1d"
        }
        2 => {
            window_members(&mut c, &win);
            "conv2d"
        }
        r => return Err(ctx.err(format!("{r}-D convolution (1-D and 2-D only)"))),
    };
    if k.khot > 0 {
        let types = MacTypes {
            input: ctx.ins[0].ty,
            weight,
            bias: bias_t,
            accum,
            output: ctx.out.ty,
        };
        let oe = |e: binpoint_runtime::ops::OpError| ctx.err(e.to_string());
        let plan = match k.rank {
            1 => {
                Conv1dConfig::new(c_in, c_out, groups, win, types)
                    .map_err(oe)?
                    .plan
            }
            _ => {
                Conv2dConfig::new(c_in, c_out, groups, win, types)
                    .map_err(oe)?
                    .plan
            }
        };
        let reuse = ctx.reuse(fan_in)?;
        c.int("reuse_factor", reuse);
        let sa = SaLayer {
            khot: k.khot,
            types,
            prod_shift: plan.prod_shift,
            bias_shift: plan.bias_shift,
            weights: &k.weights,
        };
        let kernel = if k.rank == 1 {
            "conv1d_shift_add"
        } else {
            "conv2d_shift_add"
        };
        return shift_add(ctx, kernel, c, &sa, &b);
    }
    folding(ctx, &mut c, fan_in)?;
    mac_types(ctx, &mut c, weight, bias_t, accum);
    Ok(finish(ctx, kernel, c, &k.weights, &b))
}

/// What a K-hot layer's config needs beyond its shape.
struct SaLayer<'a> {
    khot: u32,
    types: MacTypes,
    prod_shift: u32,
    bias_shift: u32,
    weights: &'a [i64],
}

/// A K-hot layer (`*_shift_add.h`): the shift-add members of its config, its digit tables (from
/// the raw weights, as the runtime derives them: `ShiftAddWeights::table`) as `static const`
/// arrays, and the call `kernel<config>(x, y, shift, sign, b)`. No weight array, no multiply.
fn shift_add(
    ctx: &mut Ctx<'_>,
    kernel: &'static str,
    mut c: ConfigStruct,
    sa: &SaLayer<'_>,
    bias: &[i64],
) -> Result<Emitted, HlsError> {
    let terms =
        ShiftAddWeights::new(kernel, sa.khot, sa.weights).map_err(|e| ctx.err(e.to_string()))?;
    let (shifts, signs) = terms.table();
    let t = &sa.types;
    c.int("khot", sa.khot as usize)
        .int("prod_shift", sa.prod_shift as usize)
        .int("bias_shift", sa.bias_shift as usize)
        .named("in_t", ctx.ins[0].ty_name.clone())
        .ty("bias_t", t.bias)
        .ty("accum_t", t.accum)
        .named("out_t", ctx.out.ty_name.clone())
        .named("raw_t", format!("ap_int<{}>", t.accum.width()))
        .named("in_raw_t", cpp_raw_type(t.input))
        .named("bias_raw_t", cpp_raw_type(t.bias))
        .named("shift_t", CPP_SHIFT_TYPE.into())
        .named("sign_t", CPP_SIGN_TYPE.into());
    let shift = ctx.name("shift");
    let sign = ctx.name("sign");
    let b = ctx.name("b");
    let arrays = vec![
        ConstArray::small_ints(shift.clone(), CPP_SHIFT_TYPE, &shifts),
        ConstArray::small_ints(sign.clone(), CPP_SIGN_TYPE, &signs),
        ConstArray::typed(b.clone(), format!("{}::bias_t", c.name), bias),
    ];
    let call = Emitted::call(
        kernel,
        &c.name,
        &[
            &ctx.ins[0].name,
            &ctx.out.name,
            &format!("bpm::{shift}"),
            &format!("bpm::{sign}"),
            &format!("bpm::{b}"),
        ],
    );
    Ok(Emitted {
        headers: vec![header(kernel), "shift_add.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}

pub fn affine(ctx: &mut Ctx<'_>, a: &AffineProto) -> Result<Emitted, HlsError> {
    let scale_t = ctx.ty("scale type", &a.scale_type)?;
    let shift_t = ctx.ty("shift type", &a.shift_type)?;
    let mut c = ctx.config();
    c.int("channels", a.channels as usize)
        .int("size", a.size as usize)
        .named("in_t", ctx.ins[0].ty_name.clone())
        .ty("scale_t", scale_t)
        .ty("shift_t", shift_t)
        .named("out_t", ctx.out.ty_name.clone());
    let scale = ctx.name("scale");
    let shift = ctx.name("shift");
    let arrays = vec![
        ConstArray::typed(scale.clone(), format!("{}::scale_t", c.name), &a.scale),
        ConstArray::typed(shift.clone(), format!("{}::shift_t", c.name), &a.shift),
    ];
    let call = Emitted::call(
        "affine",
        &c.name,
        &[
            &ctx.ins[0].name,
            &ctx.out.name,
            &format!("bpm::{scale}"),
            &format!("bpm::{shift}"),
        ],
    );
    Ok(Emitted {
        headers: vec!["affine.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}
