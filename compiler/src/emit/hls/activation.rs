//! Activations: `relu.h`, `clip.h`, `leaky_relu.h`, `hard_sigmoid.h`, `hard_swish.h`. Their
//! constants (bounds, alpha, beta) are raw integers in the config.

use binpoint_runtime::model::format::{ClipProto, HardProto, LeakyReluProto};

use super::layer::{ConfigStruct, Ctx, Emitted};
use super::HlsError;

/// `size`, `in_t`, `out_t` and the call `kernel<config>(x, y)`.
fn unary(ctx: &Ctx<'_>, kernel: &'static str, mut c: ConfigStruct) -> Emitted {
    c.int("size", ctx.out.len)
        .named("in_t", ctx.ins[0].ty_name.clone())
        .named("out_t", ctx.out.ty_name.clone());
    let call = Emitted::call(kernel, &c.name, &[&ctx.ins[0].name, &ctx.out.name]);
    Emitted {
        headers: vec![super::layer::header(kernel)],
        configs: vec![c],
        calls: vec![call],
        ..Emitted::default()
    }
}

pub fn relu(ctx: &mut Ctx<'_>) -> Result<Emitted, HlsError> {
    let c = ctx.config();
    Ok(unary(ctx, "relu", c))
}

pub fn clip(ctx: &mut Ctx<'_>, k: &ClipProto) -> Result<Emitted, HlsError> {
    let bound = ctx.ty("bound type", &k.bound_type)?;
    let mut c = ctx.config();
    c.long("lo_bits", k.lo)
        .long("hi_bits", k.hi)
        .ty("bound_t", bound);
    Ok(unary(ctx, "clip", c))
}

pub fn leaky_relu(ctx: &mut Ctx<'_>, k: &LeakyReluProto) -> Result<Emitted, HlsError> {
    let alpha = ctx.ty("alpha type", &k.alpha_type)?;
    let mut c = ctx.config();
    c.long("alpha_bits", k.alpha).ty("alpha_t", alpha);
    Ok(unary(ctx, "leaky_relu", c))
}

/// HardSigmoid and HardSwish: `alpha·x + beta`.
pub fn hard(ctx: &mut Ctx<'_>, k: &HardProto, kernel: &'static str) -> Result<Emitted, HlsError> {
    let alpha = ctx.ty("alpha type", &k.alpha_type)?;
    let beta = ctx.ty("beta type", &k.beta_type)?;
    let mut c = ctx.config();
    c.long("alpha_bits", k.alpha)
        .long("beta_bits", k.beta)
        .ty("alpha_t", alpha)
        .ty("beta_t", beta);
    Ok(unary(ctx, kernel, c))
}
