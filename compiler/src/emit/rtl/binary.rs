//! Element-wise add, sub and mul (`runtime/src/ops/binary.rs`, `add.rs`, `sub.rs`, `mul.rs`) as
//! one Verilog module, bit-exact: operand element `(c, i)` read at `c·stride_c + i·stride_i`
//! (a data input or a constant of the layer); `a + b` / `a - b` with both moved up to the result's
//! binary point (`a_shift`, `b_shift`), `a * b` unshifted (a constant operand as CSD shift-add, two
//! data operands through a multiplier), all in the exact result type's width; then the one cast
//! into the output, then the register.

use std::fmt::Write as _;

use binpoint_runtime::ops::binary::{BinaryConfig, BinaryOp, Operand};

use super::arith::{align, extend, Shell};
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

/// An operand's element: a wire of the input or a raw constant.
enum Val {
    Wire(String),
    Const(i64),
}

pub fn module(
    ctx: &Ctx,
    cfg: &BinaryConfig,
    a: Option<&[i64]>,
    b: Option<&[i64]>,
) -> Result<Module, RtlError> {
    let (wy, wr) = (cfg.output.width(), cfg.result.width());
    let n = cfg.channels * cfg.size;
    let mut inputs = vec![];
    for (o, k) in [(&cfg.a, a), (&cfg.b, b)] {
        match k {
            Some(v) if v.len() != o.len => {
                return Err(ctx.refuse(format!(
                    "a constant operand of {} values, {} expected",
                    v.len(),
                    o.len
                )))
            }
            Some(_) => {}
            None => inputs.push((o.ty.width(), o.len)),
        }
    }
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: {} over {} channels of {}, a {}{} b {}{} r {} y {}",
            ctx.layer,
            cfg.op.name(),
            cfg.channels,
            cfg.size,
            cfg.a.ty,
            if a.is_some() { " (constant)" } else { "" },
            cfg.b.ty,
            if b.is_some() { " (constant)" } else { "" },
            cfg.result,
            cfg.output
        ),
        &inputs,
        n as u32 * wy,
    );
    let b_base = if a.is_none() { cfg.a.len } else { 0 };
    let at = |o: &Operand, c: usize, i: usize| c * o.stride_c + i * o.stride_i;
    for c in 0..cfg.channels {
        for i in 0..cfg.size {
            let j = c * cfg.size + i;
            let va = match a {
                Some(k) => Val::Const(k[at(&cfg.a, c, i)]),
                None => Val::Wire(s.input(at(&cfg.a, c, i))),
            };
            let vb = match b {
                Some(k) => Val::Const(k[at(&cfg.b, c, i)]),
                None => Val::Wire(s.input(b_base + at(&cfg.b, c, i))),
            };
            let r = format!("r{j}");
            match cfg.op {
                BinaryOp::Add | BinaryOp::Sub => {
                    let term = |v: &mut String, name: &str, x: &Val, o: &Operand, sh: u32| match x {
                        Val::Wire(w) => {
                            align(v, name, w, o.ty.width(), o.ty.is_signed(), sh, wr);
                            name.to_string()
                        }
                        Val::Const(k) => bits_literal(wr, i128::from(*k) << sh),
                    };
                    let ta = term(&mut s.v, &format!("a{j}"), &va, &cfg.a, cfg.a_shift);
                    let tb = term(&mut s.v, &format!("b{j}"), &vb, &cfg.b, cfg.b_shift);
                    let op = if cfg.op == BinaryOp::Add { "+" } else { "-" };
                    s.adder(wr);
                    let _ = writeln!(s.v, "  wire [{}:0] {r} = {ta} {op} {tb};", wr - 1);
                }
                BinaryOp::Mul => match (&va, &vb) {
                    (Val::Wire(x), Val::Const(k)) => {
                        s.const_mul(&r, x, cfg.a.ty.width(), cfg.a.ty.is_signed(), *k, wr)
                    }
                    (Val::Const(k), Val::Wire(x)) => {
                        s.const_mul(&r, x, cfg.b.ty.width(), cfg.b.ty.is_signed(), *k, wr)
                    }
                    (Val::Wire(x), Val::Wire(y)) => {
                        s.parts
                            .multipliers
                            .push((cfg.a.ty.width(), cfg.b.ty.width()));
                        let _ = writeln!(
                            s.v,
                            "  wire [{}:0] {r} = {} * {};",
                            wr - 1,
                            extend(x, cfg.a.ty.width(), cfg.a.ty.is_signed(), wr),
                            extend(y, cfg.b.ty.width(), cfg.b.ty.is_signed(), wr)
                        );
                    }
                    (Val::Const(p), Val::Const(q)) => {
                        let _ = writeln!(
                            s.v,
                            "  wire [{}:0] {r} = {};",
                            wr - 1,
                            bits_literal(wr, i128::from(*p) * i128::from(*q))
                        );
                    }
                },
            }
            let y = s
                .cast(&format!("c{j}"), &r, &cfg.requant)
                .map_err(|e| ctx.refuse(e))?;
            s.out(y);
        }
    }
    Ok(s.finish())
}
