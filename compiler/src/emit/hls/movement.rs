//! Data movement (`movement.h`, twins of the interpreter's steps): views share their input's
//! buffer; casts convert each value; Transpose and Pad gather through an index map (-1: the pad
//! value); Concat casts each input's chunks into place.

use binpoint_runtime::model::format::{ConcatProto, PadProto, TransposeProto};
use binpoint_runtime::model::index::{for_each_index, strides};

use super::layer::{ConstArray, Ctx, Emitted};
use super::HlsError;

pub fn view() -> Emitted {
    Emitted {
        alias: true,
        ..Emitted::default()
    }
}

pub fn cast(ctx: &mut Ctx<'_>) -> Result<Emitted, HlsError> {
    let mut c = ctx.config();
    c.int("size", ctx.out.len)
        .named("in_t", ctx.ins[0].ty_name.clone())
        .named("out_t", ctx.out.ty_name.clone());
    let call = Emitted::call("cast", &c.name, &[&ctx.ins[0].name, &ctx.out.name]);
    Ok(Emitted {
        headers: vec!["movement.h"],
        configs: vec![c],
        calls: vec![call],
        ..Emitted::default()
    })
}

fn gather(ctx: &mut Ctx<'_>, map: Vec<i64>, fill: i64) -> Result<Emitted, HlsError> {
    let mut c = ctx.config();
    c.int("in_size", ctx.ins[0].len)
        .int("size", ctx.out.len)
        .long("fill_bits", fill)
        .named("in_t", ctx.ins[0].ty_name.clone())
        .named("out_t", ctx.out.ty_name.clone());
    let rom = ctx.name("map");
    let call = Emitted::call(
        "gather",
        &c.name,
        &[&ctx.ins[0].name, &ctx.out.name, &format!("bpm::{rom}")],
    );
    Ok(Emitted {
        headers: vec!["movement.h"],
        configs: vec![c],
        arrays: vec![ConstArray::ints(rom, &map)],
        calls: vec![call],
        alias: false,
    })
}

pub fn transpose(ctx: &mut Ctx<'_>, t: &TransposeProto) -> Result<Emitted, HlsError> {
    let dims = ctx.ins[0].shape.clone();
    let perm: Vec<usize> = t.perm.iter().map(|&p| p as usize).collect();
    if perm.len() != dims.len() || perm.iter().any(|&p| p >= dims.len()) {
        return Err(ctx.err(format!("perm {perm:?} does not permute {dims:?}")));
    }
    let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
    let in_strides = strides(&dims);
    let mut map = Vec::with_capacity(ctx.out.len);
    for_each_index(&out_dims, |idx| {
        let at: usize = idx
            .iter()
            .zip(&perm)
            .map(|(&i, &p)| i * in_strides[p])
            .sum();
        map.push(at as i64);
    });
    gather(ctx, map, 0)
}

pub fn pad(ctx: &mut Ctx<'_>, p: &PadProto) -> Result<Emitted, HlsError> {
    let x = ctx.ins[0].shape.clone();
    let r = x.len();
    let pads: Vec<usize> = p.pads.iter().map(|&v| v as usize).collect();
    if pads.len() != 2 * r {
        return Err(ctx.err(format!("{} pads for {r} axes", pads.len())));
    }
    let in_strides = strides(&x);
    let out_dims = ctx.out.shape.clone();
    let mut map = Vec::with_capacity(ctx.out.len);
    for_each_index(&out_dims, |idx| {
        let mut at = 0;
        for (a, &i) in idx.iter().enumerate() {
            if i < pads[a] || i >= pads[a] + x[a] {
                map.push(-1);
                return;
            }
            at += (i - pads[a]) * in_strides[a];
        }
        map.push(at as i64);
    });
    gather(ctx, map, p.value)
}

pub fn concat(ctx: &mut Ctx<'_>, k: &ConcatProto) -> Result<Emitted, HlsError> {
    let y = ctx.out.shape.clone();
    let axis = k.axis as usize;
    if axis >= y.len() {
        return Err(ctx.err(format!("axis {axis} of a rank-{} output", y.len())));
    }
    let inner: usize = y[axis + 1..].iter().product();
    let outer: usize = y[..axis].iter().product();
    let stride = y[axis] * inner;
    let mut offset = 0;
    let mut out = Emitted {
        headers: vec!["movement.h"],
        ..Emitted::default()
    };
    let mut configs = Vec::new();
    for k in 0..ctx.ins.len() {
        let x = ctx.ins[k].clone();
        let chunk = x.shape.get(axis).copied().unwrap_or(0) * inner;
        let mut c = ctx.config();
        c.int("outer", outer)
            .int("chunk", chunk)
            .int("stride", stride)
            .int("offset", offset)
            .named("in_t", x.ty_name.clone())
            .named("out_t", ctx.out.ty_name.clone());
        out.calls.push(Emitted::call(
            "concat_part",
            &c.name,
            &[&x.name, &ctx.out.name],
        ));
        configs.push(c);
        offset += chunk;
    }
    if offset != stride {
        return Err(ctx.err(format!(
            "inputs add up to {offset} values per outer index, the output has {stride}"
        )));
    }
    out.configs = configs;
    Ok(out)
}
