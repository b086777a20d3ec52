//! Data movement, with the generated crate's own helpers (the interpreter's are private to it):
//! views copy, Cast casts each value, Transpose and Pad gather through a constant index map,
//! Concat casts each input into its place in the output rows.

use binpoint_runtime::fixed::Requant;
use binpoint_runtime::model::format::{ConcatProto, PadProto, TransposeProto};
use binpoint_runtime::model::index::{for_each_index, strides};

use super::{fmt_array, fmt_call, ty_expr, EmitError, Lx};

pub(super) fn view(lx: &mut Lx<'_>) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?, lx.y()?);
    if x.ty != y.ty || x.len != y.len {
        return Err(lx.err(format!(
            "a view keeps the raw values, but the input is {} {:?} and the output {} {:?}",
            x.ty, x.shape, y.ty, y.shape
        )));
    }
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call("view", args![x, y]);
    Ok(())
}

pub(super) fn cast(lx: &mut Lx<'_>) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?.ty, lx.y()?.ty);
    if lx.x(0)?.len != lx.y()?.len {
        return Err(lx.err("a cast keeps the shape"));
    }
    Requant::new(x, y).map_err(|e| lx.err(e))?;
    let c = lx.config_new("Requant", args![ty_expr(x), ty_expr(y)]);
    let (xr, yr) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call("cast", args![format!("&{c}"), xr, yr]);
    Ok(())
}

pub(super) fn transpose(lx: &mut Lx<'_>, t: &TransposeProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?.clone(), lx.y()?.clone());
    same_type(lx, &x, &y)?;
    let dims = &x.shape;
    let perm: Vec<usize> = t.perm.iter().map(|&p| p as usize).collect();
    let mut seen = vec![false; dims.len()];
    if perm.len() != dims.len()
        || perm
            .iter()
            .any(|&p| p >= dims.len() || std::mem::replace(&mut seen[p], true))
    {
        return Err(lx.err(format!("perm {perm:?} does not permute {dims:?}")));
    }
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    if out_dims != y.shape {
        return Err(lx.err(format!(
            "transposed shape {out_dims:?} is not the output {:?}",
            y.shape
        )));
    }
    let in_strides = strides(dims);
    let mut map = Vec::with_capacity(y.len);
    for_each_index(&out_dims, |idx| {
        map.push(
            idx.iter()
                .zip(&perm)
                .map(|(&i, &p)| i * in_strides[p])
                .sum::<usize>() as u32,
        )
    });
    gather(lx, &map, 0)
}

pub(super) fn pad(lx: &mut Lx<'_>, p: &PadProto) -> Result<(), EmitError> {
    lx.arity_is(1)?;
    let (x, y) = (lx.x(0)?.clone(), lx.y()?.clone());
    same_type(lx, &x, &y)?;
    let r = x.shape.len();
    let pads: Vec<usize> = p.pads.iter().map(|&v| v as usize).collect();
    let fits = pads.len() == 2 * r
        && (0..r).all(|a| {
            x.shape[a]
                .checked_add(pads[a])
                .and_then(|v| v.checked_add(pads[a + r]))
                == Some(y.shape[a])
        });
    if !fits {
        return Err(lx.err(format!(
            "{:?} padded by {pads:?} is not the output {:?}",
            x.shape, y.shape
        )));
    }
    if i128::from(p.value) < x.ty.min_raw() || i128::from(p.value) > x.ty.max_raw() {
        return Err(lx.err(format!(
            "pad value {} is not a raw value of {}",
            p.value, x.ty
        )));
    }
    let in_strides = strides(&x.shape);
    let mut map = Vec::with_capacity(y.len);
    for_each_index(&y.shape, |idx| {
        let mut at = 0;
        for (a, &i) in idx.iter().enumerate() {
            if i < pads[a] || i >= pads[a] + x.shape[a] {
                map.push(u32::MAX);
                return;
            }
            at += (i - pads[a]) * in_strides[a];
        }
        map.push(at as u32);
    });
    gather(lx, &map, p.value)
}

fn gather(lx: &mut Lx<'_>, map: &[u32], fill: i64) -> Result<(), EmitError> {
    if lx.x(0)?.len >= u32::MAX as usize {
        return Err(lx.err("the input is too large for a u32 gather map"));
    }
    let m = lx.map("map", map);
    let (x, y) = (lx.x_ref(0)?, lx.y_mut()?);
    lx.call("gather", args![format!("&{m}"), super::int(fill), x, y]);
    Ok(())
}

pub(super) fn concat(lx: &mut Lx<'_>, c: &ConcatProto) -> Result<(), EmitError> {
    if lx.arity() == 0 {
        return Err(lx.err("concatenates nothing"));
    }
    let y = lx.y()?.clone();
    let r = y.shape.len();
    let axis = c.axis as usize;
    if axis >= r {
        return Err(lx.err(format!("axis {axis} of a rank-{r} output")));
    }
    let inner: usize = y.shape[axis + 1..].iter().product();
    let outer: usize = y.shape[..axis].iter().product();
    let mut casts = Vec::new();
    let mut parts = Vec::new();
    let mut offset = 0;
    for k in 0..lx.arity() {
        let x = lx.x(k)?.clone();
        let fits = x.shape.len() == r && (0..r).all(|a| a == axis || x.shape[a] == y.shape[a]);
        if !fits {
            return Err(lx.err(format!(
                "input {k} {:?} does not fit the output {:?} along axis {axis}",
                x.shape, y.shape
            )));
        }
        Requant::new(x.ty, y.ty).map_err(|e| lx.err(e))?;
        casts.push(fmt_call("Requant::new", args![ty_expr(x.ty), ty_expr(y.ty)]) + "?");
        parts.push((k, offset));
        offset += x.shape[axis] * inner;
    }
    if offset != y.shape[axis] * inner {
        return Err(lx.err(format!(
            "the inputs add up to {} along axis {axis}, the output has {}",
            offset / inner.max(1),
            y.shape[axis]
        )));
    }
    let n = casts.len();
    let cfg = lx.config(&format!("[Requant; {n}]"), fmt_array(&casts));
    for (k, off) in parts {
        let (x, yr) = (lx.x_ref(k)?, lx.y_mut()?);
        lx.call("concat", args![format!("&{cfg}[{k}]"), x, outer, off, yr]);
    }
    Ok(())
}

fn same_type(lx: &Lx<'_>, x: &super::TensorCode, y: &super::TensorCode) -> Result<(), EmitError> {
    if x.ty == y.ty {
        Ok(())
    } else {
        Err(lx.err(format!(
            "moves raw values, but the input is {} and the output {}",
            x.ty, y.ty
        )))
    }
}
