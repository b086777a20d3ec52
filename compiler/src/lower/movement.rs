//! Data movement: the raw values pass unchanged. Flatten, Reshape, Squeeze, Unsqueeze, Identity
//! and Dropout are views (one sample's values in the same order); Transpose and Pad gather;
//! Concat joins its inputs, each cast into the output type (a plain copy when all share it).

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, ConcatProto, PadProto, TransposeProto, ViewProto,
};
use binpoint_runtime::Fixed;
use petgraph::stable_graph::NodeIndex;

use super::{At, LowerError};
use crate::ir::Op;
use crate::quant::Kernel;

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let ins = at.ins();
    for &k in &ins {
        if at.is_const(k) {
            return Err(at.err(format!(
                "moves the constant '{}': constant folding should have removed this node",
                at.g().node(k).name
            )));
        }
    }
    let x = at.input(0)?;
    if !matches!(at.types.kernel, Kernel::Move | Kernel::Cast) {
        return Err(at.err("the typed kernel does not fit a data movement"));
    }
    let kernel = match &at.node().op {
        Op::Concat(c) => {
            let axis = c
                .axis
                .checked_sub(1)
                .ok_or_else(|| at.err("concatenation along the batch axis"))?;
            return Ok((KernelProto::Concat(ConcatProto { axis: axis as u64 }), ins));
        }
        Op::Transpose(t) => {
            if t.perm.first() != Some(&0) {
                return Err(at.err(format!("perm {:?} moves the batch axis", t.perm)));
            }
            KernelProto::Transpose(TransposeProto {
                perm: t.perm[1..].iter().map(|&p| p as u64 - 1).collect(),
            })
        }
        Op::Pad(p) => {
            let r = p.pads.len() / 2;
            if r == 0 || p.pads[0] != 0 || p.pads[r] != 0 {
                return Err(at.err(format!("pads {:?} pad the batch axis", p.pads)));
            }
            let ty = at.ty(x)?;
            let value = Fixed::from_f64(f64::from(p.value), ty)
                .map_err(|e| at.err(format!("pad value: {e}")))?;
            let mut pads: Vec<u64> = p.pads[1..r].iter().map(|&v| v as u64).collect();
            pads.extend(p.pads[r + 1..].iter().map(|&v| v as u64));
            KernelProto::Pad(PadProto {
                pads,
                value: value.raw() as i64,
            })
        }
        Op::Flatten(_)
        | Op::Reshape(_)
        | Op::Squeeze(_)
        | Op::Unsqueeze(_)
        | Op::Identity(_)
        | Op::Dropout(_) => KernelProto::View(ViewProto {}),
        _ => return Err(at.err("not a data movement")),
    };
    Ok((kernel, vec![x]))
}
