//! Table-driven activations: Sigmoid and Tanh (one table indexed by the input), Softmax (an
//! `exp(-d)` table, an exact sum, a `1/s` table). The tables are the typed graph's `LutSpec`s with
//! their entries computed once, here, as raw integers (docs/precision.md, "Look-up tables").

use binpoint_runtime::model::format::{layer::Kernel as KernelProto, LutProto, SoftmaxProto};
use petgraph::stable_graph::NodeIndex;

use super::{ty_proto, At, LowerError};
use crate::ir::Op;
use crate::quant::{Kernel, LutFunction, LutSpec};

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let x = at.input(0)?;
    let kernel = match (&at.node().op, &at.types.kernel) {
        (Op::Sigmoid(_) | Op::Tanh(_) | Op::Selu(_), Kernel::Lut { table }) => {
            KernelProto::Lut(table_proto(at, table)?)
        }
        (
            Op::Softmax(s),
            Kernel::Softmax {
                exp,
                sum,
                inv,
                product,
                len,
            },
        ) => {
            let shape = at.shape(x)?;
            // One sample's axes: the graph's axis minus the batch axis.
            let axis = s
                .axis
                .checked_sub(1)
                .filter(|&a| a < shape.len())
                .ok_or_else(|| at.err("softmax over the batch axis"))?;
            let outer: usize = shape[..axis].iter().product();
            let (n, inner) = if s.coerce_2d {
                (shape[axis..].iter().product::<usize>(), 1)
            } else {
                (shape[axis], shape[axis + 1..].iter().product::<usize>())
            };
            if n as u64 != *len {
                return Err(at.err(format!(
                    "the typed softmax is over {len} elements, the shape {shape:?} gives {n}"
                )));
            }
            KernelProto::Softmax(SoftmaxProto {
                outer: outer as u64,
                len: n as u64,
                inner: inner as u64,
                exp: Some(table_proto(at, exp)?),
                sum_type: ty_proto(*sum),
                inv: Some(table_proto(at, inv)?),
                product_type: ty_proto(*product),
            })
        }
        _ => return Err(at.err("the typed kernel does not fit the op")),
    };
    Ok((kernel, vec![x]))
}

fn table_proto(at: &At<'_>, t: &LutSpec) -> Result<LutProto, LowerError> {
    let origin_raw = i64::try_from(t.origin_raw)
        .map_err(|_| at.err(format!("table origin {} exceeds 64 bits", t.origin_raw)))?;
    let entries = t
        .entries()
        .iter()
        .map(|e| i64::try_from(e.raw()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| at.err("table entries exceed 64 bits"))?;
    Ok(LutProto {
        function: match t.function {
            LutFunction::Sigmoid => "sigmoid",
            LutFunction::Tanh => "tanh",
            LutFunction::Selu { .. } => "selu",
            LutFunction::ExpNeg => "exp_neg",
            LutFunction::Reciprocal => "reciprocal",
        }
        .to_string(),
        index_type: ty_proto(t.index_type),
        origin_raw,
        shift: t.shift,
        entry_type: ty_proto(t.entry),
        entries,
    })
}
