//! Table-driven activations: Sigmoid and Tanh (`lut`: one table), Softmax (an `exp(-d)` table, an
//! exact sum, a `1/s` table). Table entries become constant arrays; the index arithmetic is the
//! runtime's `LutTable`, built from the same numbers the interpreter reads.

use binpoint_runtime::model::format::{LutProto, SoftmaxProto};
use binpoint_runtime::ops::lut::{LutConfig, LutTable};
use binpoint_runtime::ops::softmax::{SoftmaxConfig, SoftmaxTypes};
use binpoint_runtime::ops::Storage;

use super::mac::raw;
use super::pool::unary_call;
use super::{fmt_call, fmt_struct, ty_expr, EmitError, Lx};

pub(super) fn lut(lx: &mut Lx<'_>, t: &LutProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?.clone(), lx.y()?.clone());
    if x.len != y.len {
        return Err(lx.err(format!("{} values in, {} out", x.len, y.len)));
    }
    let (table, expr) = table(lx, "table", t)?;
    if table.index != x.ty || table.entry != y.ty {
        return Err(lx.err(format!(
            "the table maps {} to {}, the layer {} to {}",
            table.index, table.entry, x.ty, y.ty
        )));
    }
    LutConfig::new(x.len, table).map_err(lx.op_err())?;
    let c = lx.config_new("LutConfig", args![x.len, expr]);
    unary_call(lx, "lut", &c)
}

pub(super) fn softmax(lx: &mut Lx<'_>, s: &SoftmaxProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?.clone(), lx.y()?.clone());
    let (outer, len, inner) = (s.outer as usize, s.len as usize, s.inner as usize);
    if outer.checked_mul(len).and_then(|v| v.checked_mul(inner)) != Some(x.len) || x.len != y.len {
        return Err(lx.err(format!(
            "{outer}×{len}×{inner} is not the {} input and {} output values",
            x.len, y.len
        )));
    }
    let types = SoftmaxTypes {
        input: x.ty,
        sum: lx.ty("sum type", &s.sum_type)?,
        product: lx.ty("product type", &s.product_type)?,
        output: y.ty,
    };
    let exp = s.exp.as_ref().ok_or_else(|| lx.err("exp table: missing"))?;
    let inv = s.inv.as_ref().ok_or_else(|| lx.err("inv table: missing"))?;
    let (exp_table, exp_expr) = table(lx, "exp table", exp)?;
    let (inv_table, inv_expr) = table(lx, "inv table", inv)?;
    SoftmaxConfig::new(outer, len, inner, types, exp_table, inv_table).map_err(lx.op_err())?;
    let types_expr = fmt_struct(
        "SoftmaxTypes",
        &[
            ("input", ty_expr(types.input)),
            ("sum", ty_expr(types.sum)),
            ("product", ty_expr(types.product)),
            ("output", ty_expr(types.output)),
        ],
    );
    let c = lx.config_new(
        "SoftmaxConfig",
        args![outer, len, inner, types_expr, exp_expr, inv_expr],
    );
    unary_call(lx, "softmax", &c)
}

/// A table (checked by the runtime), its entries as a constant, and the expression that builds it.
fn table(lx: &mut Lx<'_>, what: &str, t: &LutProto) -> Result<(LutTable, String), EmitError> {
    let index = lx.ty(&format!("{what} index type"), &t.index_type)?;
    let entry = lx.ty(&format!("{what} entry type"), &t.entry_type)?;
    let table = LutTable::new(index, t.origin_raw, t.shift, entry, t.entries.clone())
        .map_err(lx.op_err())?;
    // `LutTable::new` takes the entries as a `Vec<i64>`.
    let entries = lx.konst_in(
        &format!("{what} {}", t.function),
        entry,
        &t.entries,
        &[t.entries.len()],
        Storage::I64,
    )?;
    let expr = fmt_call(
        "LutTable::new",
        args![
            ty_expr(index),
            raw(t.origin_raw),
            t.shift,
            ty_expr(entry),
            format!("{entries}.to_vec()")
        ],
    ) + "?";
    Ok((table, expr))
}
