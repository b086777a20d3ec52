//! Hard sigmoid as one Verilog module, bit-exact with `runtime/src/ops/hard_sigmoid.rs`: per
//! value, `t = alpha · x + beta` in the exact result type (`HardLine`: the constant product as
//! CSD shift-add, moved up by `prod_shift`, plus the aligned `beta`), then `t <= 0` → 0,
//! `t >= 1` → `1` cast into the output (`one_out`), else the cast of `t`, then the register.
//! [`line`] is shared with hard swish, as the runtime shares `HardLine`.

use std::fmt::Write as _;

use binpoint_runtime::ops::hard_sigmoid::{HardLine, HardParams, HardSigmoidConfig};
use binpoint_runtime::FixedType;

use super::arith::Shell;
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

/// Declares `{p}_t = alpha · x + beta` (the line's result type) for the input wire `x`; returns
/// the 1-bit expressions `t <= 0` and `t >= 1`.
pub fn line(
    s: &mut Shell,
    p: &str,
    x: &str,
    input: FixedType,
    params: &HardParams,
    line: &HardLine,
) -> (String, String) {
    let r = line.result;
    let wr = r.width();
    let sh = line.prod_shift;
    let t = format!("{p}_t");
    let prod = format!("{p}_ax");
    s.const_mul(
        &prod,
        x,
        input.width(),
        input.is_signed(),
        params.alpha,
        wr - sh,
    );
    let shifted = if sh == 0 {
        prod
    } else {
        format!("{{{prod}, {sh}'b0}}")
    };
    let beta = bits_literal(wr, line.beta_aligned.into());
    s.adder(wr);
    let _ = writeln!(s.v, "  wire [{}:0] {t} = {shifted} + {beta};", wr - 1);
    // `t <= 0` and `t >= 1`: two comparisons with constants.
    s.parts.const_compare_bits += 2 * u64::from(wr);
    let le0 = if r.is_signed() {
        format!("({t}[{}] | ({t} == {wr}'h0))", wr - 1)
    } else {
        format!("({t} == {wr}'h0)")
    };
    let ge1 = if line.one > r.max_raw() {
        "1'b0".to_string()
    } else if r.is_signed() {
        format!("($signed({t}) >= $signed({}))", bits_literal(wr, line.one))
    } else {
        format!("({t} >= {})", bits_literal(wr, line.one))
    };
    (le0, ge1)
}

pub fn module(ctx: &Ctx, cfg: &HardSigmoidConfig) -> Result<Module, RtlError> {
    let (wx, wy) = (cfg.input.width(), cfg.output.width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: hard sigmoid, alpha raw {} of {}, beta raw {} of {}, {} values, x {} t {} y {}",
            ctx.layer,
            cfg.params.alpha,
            cfg.params.alpha_type,
            cfg.params.beta,
            cfg.params.beta_type,
            cfg.size,
            cfg.input,
            cfg.line.result,
            cfg.output
        ),
        &[(wx, cfg.size)],
        cfg.size as u32 * wy,
    );
    let one = bits_literal(wy, cfg.one_out.into());
    for i in 0..cfg.size {
        let x = s.input(i);
        let p = format!("h{i}");
        let (le0, ge1) = line(&mut s, &p, &x, cfg.input, &cfg.params, &cfg.line);
        let q = s
            .cast(&format!("c{i}"), &format!("{p}_t"), &cfg.requant)
            .map_err(|e| ctx.refuse(e))?;
        s.const_select(wy);
        s.out(format!("({le0} ? {wy}'h0 : {ge1} ? {one} : {q})"));
    }
    Ok(s.finish())
}
