//! Look-up-table layers: `lut.h` (Sigmoid, Tanh) and `softmax.h`. Each table is a ROM of
//! `ap_uint<W>` words (raw entries); its index arithmetic (`size`, `shift`, `width`, `origin`)
//! comes from the runtime's `LutTable`, the same numbers the interpreter uses
//! ([`super::config`]).

use binpoint_runtime::ops::lut::LutConfig;
use binpoint_runtime::ops::softmax::SoftmaxConfig;

use super::config;
use super::layer::{ConstArray, Ctx, Emitted};

pub fn lut(ctx: &mut Ctx<'_>, cfg: &LutConfig) -> Emitted {
    let c = config::lut(ctx.config_name(), cfg, &ctx.io());
    let t = &cfg.table;
    let rom = ctx.name("table");
    let arrays = vec![ConstArray::words(rom.clone(), t.entry.width(), &t.entries)];
    let call = Emitted::call(
        "lut",
        &c.name,
        &[&ctx.ins[0].name, &ctx.out.name, &format!("bpm::{rom}")],
    );
    Emitted {
        headers: vec!["lut.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    }
}

pub fn softmax(ctx: &mut Ctx<'_>, cfg: &SoftmaxConfig) -> Emitted {
    let c = config::softmax(ctx.config_name(), cfg, &ctx.io());
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
    Emitted {
        headers: vec!["softmax.h", "lut.h"],
        configs: vec![c],
        arrays,
        calls: vec![call],
        alias: false,
    }
}
