//! Pooling: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool (and ReduceMean, lowered to
//! the global average).

use binpoint_runtime::model::format::{
    AveragePoolProto, GlobalAveragePoolProto, GlobalMaxPoolProto, MaxPoolProto,
};
use binpoint_runtime::ops::average_pool::{AveragePoolConfig, AvgTypes};
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;
use binpoint_runtime::ops::max_pool::MaxPoolConfig;

use super::mac::window;
use super::{fmt_struct, ty_expr, EmitError, Lx};

pub(super) fn max_pool(lx: &mut Lx<'_>, p: &MaxPoolProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let channels = p.channels as usize;
    let (win, win_expr) = window(lx, &p.window)?;
    let (x, y) = (lx.x(0)?.ty, lx.y()?.ty);
    MaxPoolConfig::new(channels, win, x, y).map_err(lx.op_err())?;
    let c = lx.config_new(
        "MaxPoolConfig",
        args![channels, win_expr, ty_expr(x), ty_expr(y)],
    );
    unary_call(lx, "max_pool", &c)
}

pub(super) fn average_pool(lx: &mut Lx<'_>, p: &AveragePoolProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let channels = p.channels as usize;
    let (win, win_expr) = window(lx, &p.window)?;
    let types = AvgTypes {
        input: lx.x(0)?.ty,
        accum: lx.ty("accumulator type", &p.accum_type)?,
        recip: lx.ty("reciprocal type", &p.recip_type)?,
        output: lx.y()?.ty,
    };
    AveragePoolConfig::new(channels, win, p.count_include_pad, types).map_err(lx.op_err())?;
    let c = lx.config_new(
        "AveragePoolConfig",
        args![channels, win_expr, p.count_include_pad, avg_types(&types)],
    );
    unary_call(lx, "average_pool", &c)
}

pub(super) fn global_max_pool(lx: &mut Lx<'_>, p: &GlobalMaxPoolProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (channels, size) = (p.channels as usize, p.size as usize);
    let (x, y) = (lx.x(0)?.ty, lx.y()?.ty);
    GlobalMaxPoolConfig::new(channels, size, x, y).map_err(lx.op_err())?;
    let c = lx.config_new(
        "GlobalMaxPoolConfig",
        args![channels, size, ty_expr(x), ty_expr(y)],
    );
    unary_call(lx, "global_max_pool", &c)
}

pub(super) fn global_average_pool(
    lx: &mut Lx<'_>,
    p: &GlobalAveragePoolProto,
) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (channels, size) = (p.channels as usize, p.size as usize);
    let types = AvgTypes {
        input: lx.x(0)?.ty,
        accum: lx.ty("accumulator type", &p.accum_type)?,
        recip: lx.ty("reciprocal type", &p.recip_type)?,
        output: lx.y()?.ty,
    };
    GlobalAveragePoolConfig::new(channels, size, types).map_err(lx.op_err())?;
    let c = lx.config_new(
        "GlobalAveragePoolConfig",
        args![channels, size, avg_types(&types)],
    );
    unary_call(lx, "global_average_pool", &c)
}

fn avg_types(t: &AvgTypes) -> String {
    fmt_struct(
        "AvgTypes",
        &[
            ("input", ty_expr(t.input)),
            ("accum", ty_expr(t.accum)),
            ("recip", ty_expr(t.recip)),
            ("output", ty_expr(t.output)),
        ],
    )
}

/// `<module>::run(&c.<layer>, &t.<x>, &mut t.<y>)`.
pub(super) fn unary_call(lx: &mut Lx<'_>, module: &str, config: &str) -> Result<(), EmitError> {
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call(&format!("{module}::run"), args![format!("&{config}"), x, y]);
    Ok(())
}
