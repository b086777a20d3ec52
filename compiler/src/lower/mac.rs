//! Multiply-accumulate layers: Conv (1-D and 2-D, groups), Dense, Affine (BatchNorm kept). The
//! weights and biases are the constants' raw values in the types the typed graph gave them; the
//! accumulator is the typed kernel's (exact: it can never overflow).

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, AffineProto, ConvProto, DenseProto,
};
use petgraph::stable_graph::NodeIndex;

use super::{ty_proto, window_proto, At, LowerError};
use crate::ir::Op;
use crate::quant::Kernel;

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let Kernel::Mac {
        weight,
        bias,
        accum,
        khot,
        ..
    } = at.types.kernel
    else {
        return Err(at.err("a multiply-accumulate layer needs a `mac` kernel"));
    };
    let x = at.input(0)?;
    let w = at.input(1)?;
    let b = at.ins().get(2).copied();
    for k in std::iter::once(w).chain(b) {
        if !at.is_const(k) {
            return Err(at.err(format!(
                "weight/bias '{}' is not a constant",
                at.g().node(k).name
            )));
        }
    }
    let weights = at.raw_const(w)?;
    let biases = b.map(|b| at.raw_const(b)).transpose()?.unwrap_or_default();
    let in_shape = at.shape(x)?;
    let kernel = match &at.node().op {
        Op::Dense(_) => {
            let ws = at.const_shape(w)?;
            let [n_out, n_in] = ws[..] else {
                return Err(at.err(format!("weight shape {ws:?} is not [out, in]")));
            };
            if in_shape != [n_in] {
                return Err(at.err(format!(
                    "the dense kernel takes one vector of {n_in} per sample, the input is \
                     {in_shape:?}"
                )));
            }
            KernelProto::Dense(DenseProto {
                n_in: n_in as u64,
                n_out: n_out as u64,
                weight_type: ty_proto(weight),
                bias_type: bias.map(Into::into),
                accum_type: ty_proto(accum),
                weights,
                bias: biases,
                khot: khot.unwrap_or(0),
            })
        }
        Op::Conv(c) => {
            let ws = at.const_shape(w)?;
            let rank = c.window.kernel.len();
            if in_shape.len() != rank + 1 || ws.len() != rank + 2 {
                return Err(at.err(format!(
                    "{rank}-D convolution of {in_shape:?} with weights {ws:?}"
                )));
            }
            let window = window_proto(&c.window, &in_shape[1..]).map_err(|r| at.err(r))?;
            KernelProto::Conv(ConvProto {
                rank: rank as u32,
                in_channels: in_shape[0] as u64,
                out_channels: ws[0] as u64,
                groups: c.group as u64,
                window: Some(window),
                weight_type: ty_proto(weight),
                bias_type: bias.map(Into::into),
                accum_type: ty_proto(accum),
                weights,
                bias: biases,
                khot: khot.unwrap_or(0),
            })
        }
        Op::Affine(_) => {
            let Some(shift) = bias else {
                return Err(at.err("Affine needs a shift"));
            };
            let channels = in_shape.first().copied().unwrap_or(1);
            let size: usize = in_shape.iter().skip(1).product();
            if weights.len() != channels || biases.len() != channels {
                return Err(at.err(format!(
                    "{} scales and {} shifts for {channels} channels",
                    weights.len(),
                    biases.len()
                )));
            }
            KernelProto::Affine(AffineProto {
                channels: channels as u64,
                size: size as u64,
                scale_type: ty_proto(weight),
                shift_type: ty_proto(shift),
                scale: weights,
                shift: biases,
            })
        }
        _ => return Err(at.err("not a multiply-accumulate op")),
    };
    Ok((kernel, vec![x]))
}
