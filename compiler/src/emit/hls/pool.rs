//! Pooling layers: max, average, global max, global average (`max_pool.h`, `average_pool.h`,
//! `global_max_pool.h`, `global_average_pool.h`), configs from the loader's ([`super::config`]).

use binpoint_runtime::ops::average_pool::AveragePoolConfig;
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;
use binpoint_runtime::ops::max_pool::MaxPoolConfig;

use super::config::{self, ConfigStruct};
use super::layer::{ConstArray, Ctx, Emitted};

fn simple(ctx: &Ctx<'_>, kernel: &'static str, c: ConfigStruct) -> Emitted {
    let call = Emitted::call(kernel, &c.name, &[&ctx.ins[0].name, &ctx.out.name]);
    Emitted {
        headers: vec![super::layer::header(kernel)],
        configs: vec![c],
        calls: vec![call],
        ..Emitted::default()
    }
}

pub fn max_pool(ctx: &mut Ctx<'_>, cfg: &MaxPoolConfig) -> Emitted {
    let c = config::max_pool(ctx.config_name(), cfg, &ctx.io());
    simple(ctx, "max_pool", c)
}

pub fn global_max_pool(ctx: &mut Ctx<'_>, cfg: &GlobalMaxPoolConfig) -> Emitted {
    let c = config::global_max_pool(ctx.config_name(), cfg, &ctx.io());
    simple(ctx, "global_max_pool", c)
}

pub fn average_pool(ctx: &mut Ctx<'_>, cfg: &AveragePoolConfig) -> Emitted {
    let c = config::average_pool(ctx.config_name(), cfg, &ctx.io());
    let recip = ctx.name("recip");
    let arrays = vec![ConstArray::typed(
        recip.clone(),
        format!("{}::recip_t", c.name),
        &config::average_pool_recip(cfg),
    )];
    let call = Emitted::call(
        "average_pool",
        &c.name,
        &[&ctx.ins[0].name, &ctx.out.name, &format!("bpm::{recip}")],
    );
    Emitted {
        headers: vec!["average_pool.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    }
}

pub fn global_average_pool(ctx: &mut Ctx<'_>, cfg: &GlobalAveragePoolConfig) -> Emitted {
    let c = config::global_average_pool(ctx.config_name(), cfg, &ctx.io());
    simple(ctx, "global_average_pool", c)
}
