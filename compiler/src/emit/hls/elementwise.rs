//! Element-wise layers with two operands: `add.h`, `sub.h`, `mul.h`. A constant operand (a
//! broadcast bias, the reciprocal of a divisor) is a typed constant array; the others are the
//! layer's inputs, in order.

use binpoint_runtime::model::format::{BinaryOpProto, BinaryProto, OperandProto};

use super::layer::{ConstArray, Ctx, Emitted};
use super::HlsError;

pub fn binary(ctx: &mut Ctx<'_>, b: &BinaryProto) -> Result<Emitted, HlsError> {
    let kernel = match BinaryOpProto::try_from(b.op) {
        Ok(BinaryOpProto::Add) => "add",
        Ok(BinaryOpProto::Sub) => "sub",
        Ok(BinaryOpProto::Mul) => "mul",
        Err(_) => return Err(ctx.err(format!("unknown element-wise op {}", b.op))),
    };
    let mut c = ctx.config();
    c.int("channels", b.channels as usize)
        .int("size", b.size as usize);
    let mut arrays = Vec::new();
    let mut args = Vec::new();
    let mut next = 0;
    for (which, o) in [("a", &b.a), ("b", &b.b)] {
        let o: &OperandProto = o
            .as_ref()
            .ok_or_else(|| ctx.err(format!("operand {which}: missing")))?;
        c.int(&format!("{which}_len"), o.len as usize)
            .int(&format!("{which}_stride_c"), o.stride_c as usize)
            .int(&format!("{which}_stride_i"), o.stride_i as usize);
        match &o.constant {
            Some(k) => {
                let ty = ctx.ty(&format!("operand {which} type"), &k.ty)?;
                c.ty(&format!("{which}_t"), ty);
                let name = ctx.name(which);
                arrays.push(ConstArray::typed(
                    name.clone(),
                    format!("{}::{which}_t", c.name),
                    &k.values,
                ));
                args.push(format!("bpm::{name}"));
            }
            None => {
                let x = ctx.input(next)?.clone();
                next += 1;
                c.named(&format!("{which}_t"), x.ty_name.clone());
                args.push(x.name);
            }
        }
    }
    c.named("out_t", ctx.out.ty_name.clone());
    args.push(ctx.out.name.clone());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let call = Emitted::call(kernel, &c.name, &refs);
    Ok(Emitted {
        headers: vec![super::layer::header(kernel)],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}
