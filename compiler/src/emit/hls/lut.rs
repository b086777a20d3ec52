//! Look-up-table layers: `lut.h` (Sigmoid, Tanh) and `softmax.h`. Each table is a ROM of
//! `ap_uint<W>` words (raw entries); its index arithmetic (`size`, `shift`, `width`, `origin`)
//! comes from the runtime's `LutTable`, the same numbers the interpreter uses.

use binpoint_runtime::model::format::{LutProto, SoftmaxProto};
use binpoint_runtime::ops::lut::LutTable;
use binpoint_runtime::ops::softmax::{SoftmaxConfig, SoftmaxTypes};

use super::layer::{int_member, ConstArray, Ctx, Emitted, Member, SubStruct};
use super::HlsError;

fn table(ctx: &Ctx<'_>, what: &str, t: &LutProto) -> Result<LutTable, HlsError> {
    LutTable::new(
        ctx.ty(&format!("{what} index type"), &t.index_type)?,
        t.origin_raw,
        t.shift,
        ctx.ty(&format!("{what} entry type"), &t.entry_type)?,
        t.entries.clone(),
    )
    .map_err(|e| ctx.err(format!("{what}: {e}")))
}

/// `struct <name> { size, shift, width, origin }` (a `LUT_INDEX` of `lut.h`).
fn index_struct(name: &str, t: &LutTable) -> SubStruct {
    SubStruct {
        name: name.into(),
        members: vec![
            int_member("size", t.size()),
            int_member("shift", t.cpp_shift() as usize),
            int_member("width", t.index_width as usize),
            Member {
                ty: "long long",
                name: "origin".into(),
                value: super::layer::ll(t.origin_raw),
            },
        ],
    }
}

pub fn lut(ctx: &mut Ctx<'_>, k: &LutProto) -> Result<Emitted, HlsError> {
    let t = table(ctx, "table", k)?;
    let mut c = ctx.config();
    c.int("size", ctx.out.len)
        .sub(index_struct("table_index", &t))
        .named("in_t", ctx.ins[0].ty_name.clone())
        .named("out_t", ctx.out.ty_name.clone());
    let rom = ctx.name("table");
    let arrays = vec![ConstArray::words(rom.clone(), t.entry.width(), &t.entries)];
    let call = Emitted::call(
        "lut",
        &c.name,
        &[&ctx.ins[0].name, &ctx.out.name, &format!("bpm::{rom}")],
    );
    Ok(Emitted {
        headers: vec!["lut.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}

pub fn softmax(ctx: &mut Ctx<'_>, s: &SoftmaxProto) -> Result<Emitted, HlsError> {
    let missing = |w: &str| ctx.err(format!("{w} table: missing"));
    let exp = table(
        ctx,
        "exp table",
        s.exp.as_ref().ok_or_else(|| missing("exp"))?,
    )?;
    let inv = table(
        ctx,
        "inv table",
        s.inv.as_ref().ok_or_else(|| missing("inv"))?,
    )?;
    let types = SoftmaxTypes {
        input: ctx.ins[0].ty,
        sum: ctx.ty("sum type", &s.sum_type)?,
        product: ctx.ty("product type", &s.product_type)?,
        output: ctx.out.ty,
    };
    let cfg = SoftmaxConfig::new(
        s.outer as usize,
        s.len as usize,
        s.inner as usize,
        types,
        exp,
        inv,
    )
    .map_err(|e| ctx.err(e.to_string()))?;
    let mut c = ctx.config();
    c.int("outer", cfg.outer)
        .int("len", cfg.len)
        .int("inner", cfg.inner)
        .sub(index_struct("exp_index", &cfg.exp))
        .sub(index_struct("inv_index", &cfg.inv))
        .named("in_t", ctx.ins[0].ty_name.clone())
        .ty("diff_t", cfg.exp.index)
        .ty("exp_t", cfg.exp.entry)
        .ty("sum_t", cfg.types.sum)
        .ty("inv_t", cfg.inv.entry)
        .named("out_t", ctx.out.ty_name.clone());
    let exp_rom = ctx.name("exp_table");
    let inv_rom = ctx.name("inv_table");
    let arrays = vec![
        ConstArray::words(exp_rom.clone(), cfg.exp.entry.width(), &cfg.exp.entries),
        ConstArray::words(inv_rom.clone(), cfg.inv.entry.width(), &cfg.inv.entries),
    ];
    let call = Emitted::call(
        "softmax",
        &c.name,
        &[
            &ctx.ins[0].name,
            &ctx.out.name,
            &format!("bpm::{exp_rom}"),
            &format!("bpm::{inv_rom}"),
        ],
    );
    Ok(Emitted {
        headers: vec!["softmax.h", "lut.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    })
}
