//! Element-wise Add, Sub, Mul (with broadcast; Div by a constant arrives as a Mul). A constant
//! operand becomes a constant array; the others are the layer's data inputs, in order.

use binpoint_runtime::model::format::{BinaryOpProto, BinaryProto, OperandProto};
use binpoint_runtime::ops::binary::{BinaryConfig, BinaryOp, Operand};

use super::{fmt_struct, ty_expr, EmitError, Lx};

pub(super) fn binary(lx: &mut Lx<'_>, b: &BinaryProto) -> Result<(), EmitError> {
    let (op, variant) = match BinaryOpProto::try_from(b.op) {
        Ok(BinaryOpProto::Add) => (BinaryOp::Add, "Add"),
        Ok(BinaryOpProto::Sub) => (BinaryOp::Sub, "Sub"),
        Ok(BinaryOpProto::Mul) => (BinaryOp::Mul, "Mul"),
        Err(_) => return Err(lx.err(format!("unknown element-wise op {}", b.op))),
    };
    let (channels, size) = (b.channels as usize, b.size as usize);
    let mut next = 0;
    let (oa, arg_a) = operand(lx, "a", &b.a, &mut next)?;
    let (ob, arg_b) = operand(lx, "b", &b.b, &mut next)?;
    lx.arity_is(next)?;
    let output = lx.y()?.ty;
    BinaryConfig::new(op, channels, size, oa, ob, output).map_err(lx.op_err())?;
    let c = lx.config_new(
        "BinaryConfig",
        args![
            format!("BinaryOp::{variant}"),
            channels,
            size,
            operand_expr(&oa),
            operand_expr(&ob),
            ty_expr(output)
        ],
    );
    let y = lx.y_mut()?;
    lx.call("binary::run", args![format!("&{c}"), arg_a, arg_b, y]);
    Ok(())
}

/// The operand and the argument that passes its values.
fn operand(
    lx: &mut Lx<'_>,
    which: &str,
    o: &Option<OperandProto>,
    next: &mut usize,
) -> Result<(Operand, String), EmitError> {
    let o = o
        .as_ref()
        .ok_or_else(|| lx.err(format!("operand {which}: missing")))?;
    let len = o.len as usize;
    let (ty, arg) = match &o.constant {
        Some(k) => {
            let ty = lx.ty(&format!("operand {which} type"), &k.ty)?;
            let name = lx.konst(&format!("operand {which}"), ty, &k.values, &[len])?;
            (ty, format!("&{name}"))
        }
        None => {
            let t = lx.x(*next)?;
            if t.len != len {
                return Err(lx.err(format!(
                    "operand {which} has {} values, the config says {len}",
                    t.len
                )));
            }
            let r = (t.ty, format!("&t.{}", t.field));
            *next += 1;
            r
        }
    };
    Ok((
        Operand {
            ty,
            len,
            stride_c: o.stride_c as usize,
            stride_i: o.stride_i as usize,
        },
        arg,
    ))
}

fn operand_expr(o: &Operand) -> String {
    fmt_struct(
        "Operand",
        &[
            ("ty", ty_expr(o.ty)),
            ("len", o.len.to_string()),
            ("stride_c", o.stride_c.to_string()),
            ("stride_i", o.stride_i.to_string()),
        ],
    )
}
