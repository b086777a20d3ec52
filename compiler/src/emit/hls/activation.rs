//! Piecewise-linear activations: relu, clip, leaky_relu, hard_sigmoid, hard_swish (one header
//! each), configs from the loader's ([`super::config`]).

use super::config::ConfigStruct;
use super::layer::{Ctx, Emitted};

/// The call `kernel<config>(x, y)`.
pub fn unary(ctx: &Ctx<'_>, kernel: &'static str, c: ConfigStruct) -> Emitted {
    let call = Emitted::call(kernel, &c.name, &[&ctx.ins[0].name, &ctx.out.name]);
    Emitted {
        headers: vec![super::layer::header(kernel)],
        configs: vec![c],
        calls: vec![call],
        ..Emitted::default()
    }
}
