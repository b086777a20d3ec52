//! Pooling layers: `max_pool.h`, `average_pool.h`, `global_max_pool.h`,
//! `global_average_pool.h`. The divide of an average (shift or reciprocal table) comes from the
//! runtime's configs, so the C++ reads the very constants the interpreter uses.

use binpoint_runtime::model::format::{
    AveragePoolProto, GlobalAveragePoolProto, GlobalMaxPoolProto, MaxPoolProto, TypeProto,
};
use binpoint_runtime::ops::average_pool::{AveragePoolConfig, AvgTypes, Divide};
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::FixedType;

use super::layer::{ConfigStruct, ConstArray, Ctx, Emitted};
use super::mac::{window, window_members};
use super::HlsError;

fn io_types(ctx: &Ctx<'_>, c: &mut ConfigStruct) {
    c.named("in_t", ctx.ins[0].ty_name.clone())
        .named("out_t", ctx.out.ty_name.clone());
}

fn simple(ctx: &Ctx<'_>, kernel: &'static str, c: ConfigStruct) -> Emitted {
    let call = Emitted::call(kernel, &c.name, &[&ctx.ins[0].name, &ctx.out.name]);
    Emitted {
        headers: vec![super::layer::header(kernel)],
        configs: vec![c],
        calls: vec![call],
        ..Emitted::default()
    }
}

pub fn max_pool(ctx: &mut Ctx<'_>, m: &MaxPoolProto) -> Result<Emitted, HlsError> {
    let win = window(ctx, &m.window)?;
    let mut c = ctx.config();
    c.int("channels", m.channels as usize);
    window_members(&mut c, &win);
    io_types(ctx, &mut c);
    Ok(simple(ctx, "max_pool", c))
}

pub fn global_max_pool(ctx: &mut Ctx<'_>, g: &GlobalMaxPoolProto) -> Result<Emitted, HlsError> {
    let mut c = ctx.config();
    c.int("channels", g.channels as usize)
        .int("size", g.size as usize);
    io_types(ctx, &mut c);
    Ok(simple(ctx, "global_max_pool", c))
}

fn avg_types(
    ctx: &Ctx<'_>,
    accum: &Option<TypeProto>,
    recip: &Option<TypeProto>,
) -> Result<AvgTypes, HlsError> {
    Ok(AvgTypes {
        input: ctx.ins[0].ty,
        accum: ctx.ty("accumulator type", accum)?,
        recip: ctx.ty("reciprocal type", recip)?,
        output: ctx.out.ty,
    })
}

/// `shift_t`: the accumulator reread with more fractional bits (or the accumulator).
fn shift_type(divide: &Divide, accum: FixedType) -> FixedType {
    match divide {
        Divide::Shift { shifted, .. } => *shifted,
        Divide::Reciprocal { .. } => accum,
    }
}

fn avg_members(c: &mut ConfigStruct, ctx: &Ctx<'_>, divide: &Divide, t: &AvgTypes) {
    c.boolean("shift_divide", matches!(divide, Divide::Shift { .. }))
        .named("in_t", ctx.ins[0].ty_name.clone())
        .ty("accum_t", t.accum)
        .ty("recip_t", t.recip)
        .ty("shift_t", shift_type(divide, t.accum))
        .named("out_t", ctx.out.ty_name.clone());
}

pub fn average_pool(ctx: &mut Ctx<'_>, a: &AveragePoolProto) -> Result<Emitted, HlsError> {
    let win = window(ctx, &a.window)?;
    let types = avg_types(ctx, &a.accum_type, &a.recip_type)?;
    let cfg = AveragePoolConfig::new(a.channels as usize, win, a.count_include_pad, types)
        .map_err(|e| ctx.err(e.to_string()))?;
    let mut c = ctx.config();
    c.int("channels", cfg.channels);
    window_members(&mut c, &cfg.window);
    c.boolean("count_include_pad", cfg.count_include_pad);
    avg_members(&mut c, ctx, &cfg.divide, &types);
    // The table the kernel reads, indexed by the divisor (zeros when it shifts).
    let table = match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip.clone(),
        Divide::Shift { .. } => vec![0; cfg.window.size() + 1],
    };
    let recip = ctx.name("recip");
    let arrays = vec![ConstArray::typed(
        recip.clone(),
        format!("{}::recip_t", c.name),
        &table,
    )];
    let call = Emitted::call(
        "average_pool",
        &c.name,
        &[&ctx.ins[0].name, &ctx.out.name, &format!("bpm::{recip}")],
    );
    Ok(Emitted {
        headers: vec!["average_pool.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}

pub fn global_average_pool(
    ctx: &mut Ctx<'_>,
    g: &GlobalAveragePoolProto,
) -> Result<Emitted, HlsError> {
    let types = avg_types(ctx, &g.accum_type, &g.recip_type)?;
    let cfg = GlobalAveragePoolConfig::new(g.channels as usize, g.size as usize, types)
        .map_err(|e| ctx.err(e.to_string()))?;
    let recip_bits = match &cfg.divide {
        Divide::Reciprocal { recip, .. } => recip[cfg.size],
        Divide::Shift { .. } => 0,
    };
    let mut c = ctx.config();
    c.int("channels", cfg.channels)
        .int("size", cfg.size)
        .long("recip_bits", recip_bits);
    avg_members(&mut c, ctx, &cfg.divide, &types);
    Ok(simple(ctx, "global_average_pool", c))
}
