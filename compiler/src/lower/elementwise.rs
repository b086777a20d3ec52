//! Element-wise Add, Sub, Mul with broadcast, and Div by a constant (a Mul by the raw reciprocals
//! of the typed graph's `factor_type`). The output is seen as `[C][N]` (C = the first axis of a
//! sample, N the rest); each operand is a full tensor, one value per channel, one per position of
//! `N`, or a scalar, which are the strides the runtime's binary kernels take.

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, BinaryOpProto, BinaryProto, ConstProto, OperandProto,
};
use binpoint_runtime::Fixed;
use petgraph::stable_graph::NodeIndex;

use super::{ty_proto, At, LowerError};
use crate::ir::Op;
use crate::quant::Kernel;

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let out = at.out_shape()?;
    let channels = out.first().copied().unwrap_or(1);
    let size: usize = out.iter().skip(1).product();
    let (a, b) = (at.input(0)?, at.input(1)?);
    let (op, b_const) = match (&at.node().op, &at.types.kernel) {
        (Op::Add(_), Kernel::Elementwise { .. }) => (BinaryOpProto::Add, None),
        (Op::Sub(_), Kernel::Elementwise { .. }) => (BinaryOpProto::Sub, None),
        (Op::Mul(_), Kernel::Elementwise { .. }) => (BinaryOpProto::Mul, None),
        (Op::Div(_), Kernel::Scale { factor_type, .. }) => {
            let c = at
                .g()
                .const_data(b)
                .ok_or_else(|| at.err("divides by a tensor, not a constant"))?
                .to_f32();
            let raw = c
                .iter()
                .map(|&v| {
                    Fixed::from_f64(1.0 / f64::from(v), *factor_type)
                        .map(|f| f.raw() as i64)
                        .map_err(|e| at.err(format!("1/{v}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (
                BinaryOpProto::Mul,
                Some(ConstProto {
                    ty: ty_proto(*factor_type),
                    values: raw,
                }),
            )
        }
        _ => return Err(at.err("the typed kernel does not fit the element-wise op")),
    };
    let mut data = Vec::new();
    let mut operand = |k: NodeIndex, constant: Option<ConstProto>| -> Result<_, LowerError> {
        let (dims, constant) = if let Some(c) = constant {
            (at.const_shape(k)?, Some(c))
        } else if at.is_const(k) {
            let c = ConstProto {
                ty: ty_proto(at.ty(k)?),
                values: at.raw_const(k)?,
            };
            (at.const_shape(k)?, Some(c))
        } else {
            data.push(k);
            let mut full = vec![1];
            full.extend(at.shape(k)?);
            (full, None)
        };
        let (len, stride_c, stride_i) = strides(&out, &dims).ok_or_else(|| {
            at.err(format!(
                "operand '{}' of shape {dims:?} broadcasts to one sample {out:?} in a way the \
                 kernels do not take (full, per channel, per position, or scalar)",
                at.g().node(k).name
            ))
        })?;
        Ok(OperandProto {
            len: len as u64,
            stride_c: stride_c as u64,
            stride_i: stride_i as u64,
            constant,
        })
    };
    let oa = operand(a, None)?;
    let ob = operand(b, b_const)?;
    let kernel = KernelProto::Binary(BinaryProto {
        op: op as i32,
        channels: channels as u64,
        size: size as u64,
        a: Some(oa),
        b: Some(ob),
    });
    Ok((kernel, data))
}

/// How an operand of full shape `dims` (batch axis included, right-aligned as numpy broadcasts)
/// reads a sample `out = [C, rest...]`: `(len, stride_c, stride_i)`.
fn strides(out: &[usize], dims: &[usize]) -> Option<(usize, usize, usize)> {
    let rank = out.len() + 1;
    if dims.len() > rank {
        return None;
    }
    let mut full = vec![1; rank - dims.len()];
    full.extend_from_slice(dims);
    if full[0] != 1 {
        return None;
    }
    let e = &full[1..];
    let (c, size) = (
        out.first().copied().unwrap_or(1),
        out.iter().skip(1).product::<usize>(),
    );
    let ones = |s: &[usize]| s.iter().all(|&d| d == 1);
    if e == out {
        Some((c * size, size, 1))
    } else if ones(e) {
        Some((1, 0, 0))
    } else if e[0] == c && ones(&e[1..]) {
        Some((c, 1, 0))
    } else if e[0] == 1 && e[1..] == out[1..] {
        Some((size, 0, 1))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::strides;

    #[test]
    fn broadcast_strides() {
        let out = [8, 4, 4];
        assert_eq!(strides(&out, &[1, 8, 4, 4]), Some((128, 16, 1)));
        assert_eq!(strides(&out, &[8, 1, 1]), Some((8, 1, 0)));
        assert_eq!(strides(&out, &[1]), Some((1, 0, 0)));
        assert_eq!(strides(&out, &[]), Some((1, 0, 0)));
        assert_eq!(strides(&out, &[4, 4]), Some((16, 0, 1)));
        assert_eq!(strides(&out, &[8, 4, 1]), None);
        assert_eq!(strides(&out, &[2, 8, 4, 4]), None);
        assert_eq!(strides(&[10], &[10]), Some((10, 1, 1)));
    }
}
