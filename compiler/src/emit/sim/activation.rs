//! Piecewise-linear activations: Relu, Clip, LeakyRelu, HardSigmoid, HardSwish. Their constants
//! (bounds, alpha, beta) are raw integers in the constructor call.

use binpoint_runtime::model::format::{ClipProto, HardProto, LeakyReluProto};
use binpoint_runtime::ops::clip::ClipConfig;
use binpoint_runtime::ops::hard_sigmoid::{HardParams, HardSigmoidConfig};
use binpoint_runtime::ops::hard_swish::HardSwishConfig;
use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;
use binpoint_runtime::ops::relu::ReluConfig;
use binpoint_runtime::FixedType;

use super::mac::raw;
use super::pool::unary_call;
use super::{fmt_struct, ty_expr, EmitError, Lx};

/// Element count, input and output types of a one-input layer of equal sizes.
fn unary(lx: &Lx<'_>) -> Result<(usize, FixedType, FixedType), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?, lx.y()?);
    if x.len != y.len {
        return Err(lx.err(format!("{} values in, {} out", x.len, y.len)));
    }
    Ok((x.len, x.ty, y.ty))
}

pub(super) fn relu(lx: &mut Lx<'_>) -> Result<(), EmitError> {
    let (n, x, y) = unary(lx)?;
    ReluConfig::new(n, x, y).map_err(lx.op_err())?;
    let c = lx.config_new("ReluConfig", args![n, ty_expr(x), ty_expr(y)]);
    unary_call(lx, "relu", &c)
}

pub(super) fn clip(lx: &mut Lx<'_>, p: &ClipProto) -> Result<(), EmitError> {
    let (n, x, y) = unary(lx)?;
    let bound = lx.ty("bound type", &p.bound_type)?;
    ClipConfig::new(n, x, bound, p.lo, p.hi, y).map_err(lx.op_err())?;
    let c = lx.config_new(
        "ClipConfig",
        args![
            n,
            ty_expr(x),
            ty_expr(bound),
            raw(p.lo),
            raw(p.hi),
            ty_expr(y)
        ],
    );
    unary_call(lx, "clip", &c)
}

pub(super) fn leaky_relu(lx: &mut Lx<'_>, p: &LeakyReluProto) -> Result<(), EmitError> {
    let (n, x, y) = unary(lx)?;
    let alpha = lx.ty("alpha type", &p.alpha_type)?;
    LeakyReluConfig::new(n, x, alpha, p.alpha, y).map_err(lx.op_err())?;
    let c = lx.config_new(
        "LeakyReluConfig",
        args![n, ty_expr(x), ty_expr(alpha), raw(p.alpha), ty_expr(y)],
    );
    unary_call(lx, "leaky_relu", &c)
}

/// HardSigmoid (`swish = false`) or HardSwish.
pub(super) fn hard(lx: &mut Lx<'_>, p: &HardProto, swish: bool) -> Result<(), EmitError> {
    let (n, x, y) = unary(lx)?;
    let params = HardParams {
        alpha_type: lx.ty("alpha type", &p.alpha_type)?,
        alpha: p.alpha,
        beta_type: lx.ty("beta type", &p.beta_type)?,
        beta: p.beta,
    };
    let (ty, module) = if swish {
        HardSwishConfig::new(n, x, params, y).map_err(lx.op_err())?;
        ("HardSwishConfig", "hard_swish")
    } else {
        HardSigmoidConfig::new(n, x, params, y).map_err(lx.op_err())?;
        ("HardSigmoidConfig", "hard_sigmoid")
    };
    let params_expr = fmt_struct(
        "HardParams",
        &[
            ("alpha_type", ty_expr(params.alpha_type)),
            ("alpha", raw(params.alpha)),
            ("beta_type", ty_expr(params.beta_type)),
            ("beta", raw(params.beta)),
        ],
    );
    let c = lx.config_new(ty, args![n, ty_expr(x), params_expr, ty_expr(y)]);
    unary_call(lx, module, &c)
}
