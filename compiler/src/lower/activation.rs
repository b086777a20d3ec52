//! Piecewise-linear activations: Relu, Clip (ReLU6), LeakyRelu, HardSigmoid, HardSwish. Their
//! constants (alpha, beta) are the typed graph's raw scalars; Clip's bounds are cast into the input
//! type with `AP_SAT` (docs/precision.md), so the comparisons happen in the input's own units.

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, ClipProto, HardProto, LeakyReluProto, ReluProto,
};
use binpoint_runtime::{Fixed, FixedType, Overflow};
use petgraph::stable_graph::NodeIndex;

use super::{ty_proto, At, LowerError};
use crate::ir::Op;
use crate::quant::{Kernel, ScalarConst};

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let x = at.input(0)?;
    let hard = |alpha: &ScalarConst, beta: &ScalarConst| HardProto {
        alpha_type: ty_proto(alpha.ty),
        alpha: alpha.raw,
        beta_type: ty_proto(beta.ty),
        beta: beta.raw,
    };
    let kernel = match (&at.node().op, &at.types.kernel) {
        (Op::Relu(_), Kernel::Move | Kernel::Cast) => KernelProto::Relu(ReluProto {}),
        (Op::Clip(c), Kernel::Move | Kernel::Cast) => {
            let input = at.ty(x)?;
            let bound = input
                .with_modes(input.rounding(), Overflow::Sat, 0)
                .map_err(|e| at.err(e.to_string()))?;
            KernelProto::Clip(ClipProto {
                bound_type: ty_proto(bound),
                lo: saturated(f64::from(c.min), bound),
                hi: saturated(f64::from(c.max), bound),
            })
        }
        (Op::LeakyRelu(_), Kernel::LeakyRelu { alpha, .. }) => {
            KernelProto::LeakyRelu(LeakyReluProto {
                alpha_type: ty_proto(alpha.ty),
                alpha: alpha.raw,
            })
        }
        (Op::HardSigmoid(_), Kernel::HardSigmoid { alpha, beta, .. }) => {
            KernelProto::HardSigmoid(hard(alpha, beta))
        }
        (Op::HardSwish(_), Kernel::HardSwish { alpha, beta, .. }) => {
            KernelProto::HardSwish(hard(alpha, beta))
        }
        _ => return Err(at.err("the typed kernel does not fit the activation")),
    };
    Ok((kernel, vec![x]))
}

/// `v` cast into the saturating type `ty` (infinities to its ends).
fn saturated(v: f64, ty: FixedType) -> i64 {
    if v.is_nan() {
        return 0;
    }
    let v = v.clamp(-f64::MAX, f64::MAX);
    Fixed::from_f64(v, ty).map_or(0, |f| f.raw() as i64)
}
