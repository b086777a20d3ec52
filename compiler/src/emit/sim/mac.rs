//! Multiply-accumulate layers: Dense, Conv (1-D, 2-D), Affine (BatchNorm kept). Weights and biases
//! become constants; a layer without a bias adds raw zeros of `ap_ufixed<1, 1 - F_acc>`, as the
//! interpreter does (a type that adds nothing to the accumulator's worst case).

use binpoint_runtime::model::format::{AffineProto, ConvProto, DenseProto, TypeProto, WindowProto};
use binpoint_runtime::ops::affine::{AffineConfig, AffineTypes};
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv1d_shift_add::Conv1dShiftAddConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::conv2d_shift_add::Conv2dShiftAddConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::dense_shift_add::DenseShiftAddConfig;
use binpoint_runtime::ops::{MacTypes, Storage, Window2};
use binpoint_runtime::FixedType;

use super::{fmt_call, fmt_struct, int, ty_expr, EmitError, Lx};

pub(super) fn dense(lx: &mut Lx<'_>, d: &DenseProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (n_in, n_out) = (d.n_in as usize, d.n_out as usize);
    let weight = lx.ty("weight type", &d.weight_type)?;
    let accum = lx.accum_ty(&d.accum_type)?;
    let (bias, b) = bias(lx, &d.bias_type, &d.bias, n_out, accum)?;
    let types = MacTypes {
        input: lx.x(0)?.ty,
        weight,
        bias,
        accum,
        output: lx.y()?.ty,
    };
    let dense = DenseConfig::new(n_in, n_out, types).map_err(lx.op_err())?;
    if d.khot > 0 {
        // K-hot: the config derives the shift-add terms from the raw weights (i64), once.
        DenseShiftAddConfig::new(dense, d.khot, &d.weights).map_err(lx.op_err())?;
        let w = lx.konst_in("weights", weight, &d.weights, &[n_out, n_in], Storage::I64)?;
        let b = lx.konst("bias", bias, &b, &[n_out])?;
        let inner = fmt_call("DenseConfig::new", args![n_in, n_out, mac_types(&types)]) + "?";
        let expr = fmt_call(
            "DenseShiftAddConfig::new",
            args![inner, d.khot, format!("&{w}")],
        ) + "?";
        let c = lx.config("DenseShiftAddConfig", expr);
        let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
        lx.call(
            "dense_shift_add::run",
            args![format!("&{c}"), x, format!("&{b}"), y],
        );
        return Ok(());
    }
    let w = lx.konst("weights", weight, &d.weights, &[n_out, n_in])?;
    let b = lx.konst("bias", bias, &b, &[n_out])?;
    let c = lx.config_new("DenseConfig", args![n_in, n_out, mac_types(&types)]);
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call(
        "dense::run",
        args![format!("&{c}"), x, format!("&{w}"), format!("&{b}"), y],
    );
    Ok(())
}

pub(super) fn conv(lx: &mut Lx<'_>, p: &ConvProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (c_in, c_out, groups) = (
        p.in_channels as usize,
        p.out_channels as usize,
        p.groups as usize,
    );
    let (win, win_expr) = window(lx, &p.window)?;
    let weight = lx.ty("weight type", &p.weight_type)?;
    let accum = lx.accum_ty(&p.accum_type)?;
    let (bias, b) = bias(lx, &p.bias_type, &p.bias, c_out, accum)?;
    let types = MacTypes {
        input: lx.x(0)?.ty,
        weight,
        bias,
        accum,
        output: lx.y()?.ty,
    };
    let (ty, module) = match p.rank {
        1 => {
            let conv = Conv1dConfig::new(c_in, c_out, groups, win, types).map_err(lx.op_err())?;
            if p.khot > 0 {
                Conv1dShiftAddConfig::new(conv, p.khot, &p.weights).map_err(lx.op_err())?;
            }
            ("Conv1dConfig", "conv1d")
        }
        2 => {
            let conv = Conv2dConfig::new(c_in, c_out, groups, win, types).map_err(lx.op_err())?;
            if p.khot > 0 {
                Conv2dShiftAddConfig::new(conv, p.khot, &p.weights).map_err(lx.op_err())?;
            }
            ("Conv2dConfig", "conv2d")
        }
        r => return Err(lx.err(format!("{r}-D convolution (1-D and 2-D only)"))),
    };
    if groups == 0 || c_in % groups != 0 {
        return Err(lx.err(format!("groups {groups} do not divide {c_in} channels")));
    }
    let dims = [c_out, c_in / groups, win.kernel_h, win.kernel_w];
    if p.khot > 0 {
        // K-hot: the config derives the shift-add terms from the raw weights (i64), once.
        let w = lx.konst_in("weights", weight, &p.weights, &dims, Storage::I64)?;
        let b = lx.konst("bias", bias, &b, &[c_out])?;
        let inner = fmt_call(
            &format!("{ty}::new"),
            args![c_in, c_out, groups, win_expr, mac_types(&types)],
        ) + "?";
        let sa_ty = format!("{}ShiftAddConfig", ty.trim_end_matches("Config"));
        let expr = fmt_call(
            &format!("{sa_ty}::new"),
            args![inner, p.khot, format!("&{w}")],
        ) + "?";
        let c = lx.config(&sa_ty, expr);
        let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
        lx.call(
            &format!("{module}_shift_add::run"),
            args![format!("&{c}"), x, format!("&{b}"), y],
        );
        return Ok(());
    }
    let w = lx.konst("weights", weight, &p.weights, &dims)?;
    let b = lx.konst("bias", bias, &b, &[c_out])?;
    let c = lx.config_new(ty, args![c_in, c_out, groups, win_expr, mac_types(&types)]);
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call(
        &format!("{module}::run"),
        args![format!("&{c}"), x, format!("&{w}"), format!("&{b}"), y],
    );
    Ok(())
}

pub(super) fn affine(lx: &mut Lx<'_>, a: &AffineProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (channels, size) = (a.channels as usize, a.size as usize);
    let scale = lx.ty("scale type", &a.scale_type)?;
    let shift = lx.ty("shift type", &a.shift_type)?;
    let types = AffineTypes {
        input: lx.x(0)?.ty,
        scale,
        shift,
        output: lx.y()?.ty,
    };
    AffineConfig::new(channels, size, types).map_err(lx.op_err())?;
    let s = lx.konst("scale", scale, &a.scale, &[channels])?;
    let t = lx.konst("shift", shift, &a.shift, &[channels])?;
    let types_expr = fmt_struct(
        "AffineTypes",
        &[
            ("input", ty_expr(types.input)),
            ("scale", ty_expr(scale)),
            ("shift", ty_expr(shift)),
            ("output", ty_expr(types.output)),
        ],
    );
    let c = lx.config_new("AffineConfig", args![channels, size, types_expr]);
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call(
        "affine::run",
        args![format!("&{c}"), x, format!("&{s}"), format!("&{t}"), y],
    );
    Ok(())
}

/// The bias type and raw values, or raw zeros of `ap_ufixed<1, 1 - F_acc>` without a bias.
fn bias(
    lx: &Lx<'_>,
    ty: &Option<TypeProto>,
    values: &[i64],
    n: usize,
    accum: FixedType,
) -> Result<(FixedType, Vec<i64>), EmitError> {
    match ty {
        Some(_) => Ok((lx.ty("bias type", ty)?, values.to_vec())),
        None if values.is_empty() => Ok((
            MacTypes::absent_bias(accum).map_err(|e| lx.err(e))?,
            vec![0; n],
        )),
        None => Err(lx.err("bias values without a bias type")),
    }
}

fn mac_types(t: &MacTypes) -> String {
    fmt_struct(
        "MacTypes",
        &[
            ("input", ty_expr(t.input)),
            ("weight", ty_expr(t.weight)),
            ("bias", ty_expr(t.bias)),
            ("accum", ty_expr(t.accum)),
            ("output", ty_expr(t.output)),
        ],
    )
}

/// The window (checked by the runtime) and the expression that builds it.
pub(super) fn window(lx: &Lx<'_>, w: &Option<WindowProto>) -> Result<(Window2, String), EmitError> {
    let w = w.as_ref().ok_or_else(|| lx.err("window: missing"))?;
    let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let input = [u(w.in_h), u(w.in_w)];
    let kernel = [u(w.kernel_h), u(w.kernel_w)];
    let stride = [u(w.stride_h), u(w.stride_w)];
    let dilation = [u(w.dilation_h), u(w.dilation_w)];
    let pads = [u(w.pad_top), u(w.pad_left), u(w.pad_bottom), u(w.pad_right)];
    let win = Window2::new(input, kernel, stride, dilation, pads, w.ceil_mode)
        .map_err(|r| lx.err(format!("window: {r}")))?;
    let expr = fmt_call(
        "Window2::new",
        args![
            format!("{input:?}"),
            format!("{kernel:?}"),
            format!("{stride:?}"),
            format!("{dilation:?}"),
            format!("{pads:?}"),
            w.ceil_mode
        ],
    ) + "?";
    Ok((win, expr))
}

/// An `i64` argument.
pub(super) fn raw(v: i64) -> String {
    int(v)
}
