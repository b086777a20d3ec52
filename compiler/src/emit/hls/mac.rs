//! Multiply-accumulate layers: dense, conv1d, conv2d (`dense.h`, `conv1d.h`, `conv2d.h`), their
//! K-hot shift-add variants (`*_shift_add.h`), and affine (BatchNorm kept, `affine.h`). The
//! configs come from the loader's validated kernel configs ([`super::config`]); the reuse factor
//! from the hardware plan.

use binpoint_runtime::model::format::layer::Kernel;
use binpoint_runtime::ops::affine::AffineConfig;
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv1d_shift_add::Conv1dShiftAddConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::conv2d_shift_add::Conv2dShiftAddConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::dense_shift_add::DenseShiftAddConfig;
use binpoint_runtime::ops::shift_add::{ShiftAddWeights, CPP_SHIFT_TYPE, CPP_SIGN_TYPE};

use super::config::{self, ConfigStruct};
use super::layer::{header, ConstArray, Ctx, Emitted};
use super::HlsError;

/// The layer's raw weights, as the compiled model stores them (the loader packs its own copy).
fn weights<'a>(ctx: &Ctx<'a>) -> Result<&'a [i64], HlsError> {
    match &ctx.layer.kernel {
        Some(Kernel::Dense(d)) => Ok(&d.weights),
        Some(Kernel::Conv(k)) => Ok(&k.weights),
        _ => Err(ctx.err("a multiply-accumulate layer without weights")),
    }
}

/// Weights and biases as typed constant arrays; the call `kernel<config>(x, y, w, b)`.
fn finish(
    ctx: &mut Ctx<'_>,
    kernel: &'static str,
    c: ConfigStruct,
    bias: &[i64],
    n_out: usize,
) -> Result<Emitted, HlsError> {
    let weights = weights(ctx)?;
    let w = ctx.name("w");
    let b = ctx.name("b");
    let arrays = vec![
        ConstArray::matrix(w.clone(), format!("{}::weight_t", c.name), weights, n_out),
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
    Ok(Emitted {
        headers: vec![header(kernel)],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}

pub fn dense(ctx: &mut Ctx<'_>, cfg: &DenseConfig, bias: &[i64]) -> Result<Emitted, HlsError> {
    let cfg = cfg
        .clone()
        .with_fold(ctx.strategy(), ctx.reuse())
        .map_err(|e| ctx.err(e.to_string()))?;
    let c = config::dense(ctx.config_name(), &cfg, &ctx.io());
    finish(ctx, "dense", c, bias, cfg.n_out)
}

pub fn conv1d(ctx: &mut Ctx<'_>, cfg: &Conv1dConfig, bias: &[i64]) -> Result<Emitted, HlsError> {
    let mut cfg = cfg
        .clone()
        .with_fold(ctx.strategy(), ctx.reuse())
        .map_err(|e| ctx.err(e.to_string()))?;
    cfg.fold.partition = ctx.plan.partition;
    let c = config::conv1d(ctx.config_name(), &cfg, &ctx.io());
    let mut e = finish(ctx, "conv1d", c, bias, cfg.out_channels)?;
    // conv1d.h is conv2d.h on a plane of height 1: it includes it.
    e.headers.push(header("conv2d"));
    Ok(e)
}

pub fn conv2d(ctx: &mut Ctx<'_>, cfg: &Conv2dConfig, bias: &[i64]) -> Result<Emitted, HlsError> {
    let mut cfg = cfg
        .clone()
        .with_fold(ctx.strategy(), ctx.reuse())
        .map_err(|e| ctx.err(e.to_string()))?;
    cfg.fold.partition = ctx.plan.partition;
    let c = config::conv2d(ctx.config_name(), &cfg, &ctx.io());
    finish(ctx, "conv2d", c, bias, cfg.out_channels)
}

pub fn dense_shift_add(
    ctx: &mut Ctx<'_>,
    cfg: &DenseShiftAddConfig,
    bias: &[i64],
) -> Result<Emitted, HlsError> {
    let c = config::dense_shift_add(ctx.config_name(), cfg, &ctx.io());
    shift_add(ctx, "dense_shift_add", c, &cfg.terms, bias)
}

pub fn conv1d_shift_add(
    ctx: &mut Ctx<'_>,
    cfg: &Conv1dShiftAddConfig,
    bias: &[i64],
) -> Result<Emitted, HlsError> {
    let mut cfg = cfg.clone();
    cfg.conv = cfg
        .conv
        .with_fold(ctx.strategy(), ctx.reuse())
        .map_err(|e| ctx.err(e.to_string()))?;
    let c = config::conv1d_shift_add(ctx.config_name(), &cfg, &ctx.io());
    shift_add(ctx, "conv1d_shift_add", c, &cfg.terms, bias)
}

pub fn conv2d_shift_add(
    ctx: &mut Ctx<'_>,
    cfg: &Conv2dShiftAddConfig,
    bias: &[i64],
) -> Result<Emitted, HlsError> {
    let mut cfg = cfg.clone();
    cfg.conv = cfg
        .conv
        .with_fold(ctx.strategy(), ctx.reuse())
        .map_err(|e| ctx.err(e.to_string()))?;
    let c = config::conv2d_shift_add(ctx.config_name(), &cfg, &ctx.io());
    shift_add(ctx, "conv2d_shift_add", c, &cfg.terms, bias)
}

/// A K-hot layer (`*_shift_add.h`): its digit tables (`ShiftAddWeights::table`, as the runtime
/// runs them) as `static const` arrays, and the call `kernel<config>(x, y, shift, sign, b)`. No
/// weight array, no multiply.
fn shift_add(
    ctx: &mut Ctx<'_>,
    kernel: &'static str,
    c: ConfigStruct,
    terms: &ShiftAddWeights,
    bias: &[i64],
) -> Result<Emitted, HlsError> {
    let (shifts, signs) = terms.table();
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

pub fn affine(
    ctx: &mut Ctx<'_>,
    cfg: &AffineConfig,
    scale: &[i64],
    shift: &[i64],
) -> Result<Emitted, HlsError> {
    let c = config::affine(ctx.config_name(), cfg, &ctx.io());
    let scale_name = ctx.name("scale");
    let shift_name = ctx.name("shift");
    let arrays = vec![
        ConstArray::typed(scale_name.clone(), format!("{}::scale_t", c.name), scale),
        ConstArray::typed(shift_name.clone(), format!("{}::shift_t", c.name), shift),
    ];
    let call = Emitted::call(
        "affine",
        &c.name,
        &[
            &ctx.ins[0].name,
            &ctx.out.name,
            &format!("bpm::{scale_name}"),
            &format!("bpm::{shift_name}"),
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
