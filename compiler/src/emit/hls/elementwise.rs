//! Element-wise layers with two operands: `add.h`, `sub.h`, `mul.h`. A constant operand (a
//! broadcast bias, the reciprocal of a divisor) is a typed constant array; the others are the
//! layer's inputs, in order. The config comes from the loader's ([`super::config::binary`]).

use binpoint_runtime::ops::binary::BinaryConfig;

use super::config::{self, TypeName};
use super::layer::{ConstArray, Ctx, Emitted};
use super::HlsError;

pub fn binary(
    ctx: &mut Ctx<'_>,
    cfg: &BinaryConfig,
    a: &Option<Vec<i64>>,
    b: &Option<Vec<i64>>,
) -> Result<Emitted, HlsError> {
    let kernel = cfg.op.name();
    let name = ctx.config_name();
    let mut arrays = Vec::new();
    let mut args = Vec::new();
    let mut types = Vec::new();
    let mut next = 0;
    for (which, operand, constant) in [("a", &cfg.a, a), ("b", &cfg.b, b)] {
        match constant {
            Some(values) => {
                types.push(TypeName::Literal(operand.ty));
                let array = ctx.name(which);
                arrays.push(ConstArray::typed(
                    array.clone(),
                    format!("{name}::{which}_t"),
                    values,
                ));
                args.push(format!("bpm::{array}"));
            }
            None => {
                let x = ctx.input(next)?.clone();
                next += 1;
                types.push(TypeName::Named(x.ty_name.clone()));
                args.push(x.name);
            }
        }
    }
    let out = TypeName::Named(ctx.out.ty_name.clone());
    let c = config::binary(name, cfg, &types[0], &types[1], &out);
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
