//! Softmax as one Verilog module, bit-exact with `runtime/src/ops/softmax.rs`, every step of its
//! contract at once for every position: `m = max_k x[k]` (a balanced tree of exact comparisons),
//! `d = (m - x[k]) << diff_shift` in the `exp` table's index type, `e[k] = exp[index(d)]` (a ROM),
//! `sum = Σ e[k] << sum_shift` (exact, an adder tree), `r = inv[index(sum)]` (a second ROM),
//! `y[k] = e[k] · r` (a multiplier: both are data) cast into the output, then the register.
//! The table index arithmetic is the `lut` kernel's ([`super::lut::lookup`]).

use std::fmt::Write as _;

use binpoint_runtime::ops::softmax::SoftmaxConfig;

use super::arith::{align, extend, Shell};
use super::lut::{lookup, rom};
use super::{Ctx, Module, RtlError};

pub fn module(ctx: &Ctx, cfg: &SoftmaxConfig) -> Result<Module, RtlError> {
    let t = &cfg.types;
    let (wx, wy) = (t.input.width(), t.output.width());
    let (wd, ws, wp) = (cfg.exp.index.width(), t.sum.width(), t.product.width());
    let (ent, inv) = (cfg.exp.entry, cfg.inv.entry);
    let n = cfg.size();
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: softmax over {} of [{}][{}][{}], x {} diff {} exp {} sum {} inv {} y {}",
            ctx.layer,
            cfg.len,
            cfg.outer,
            cfg.len,
            cfg.inner,
            t.input,
            cfg.exp.index,
            ent,
            t.sum,
            inv,
            t.output
        ),
        &[(wx, n)],
        n as u32 * wy,
    );
    rom(&mut s.v, "rom_exp", &cfg.exp);
    rom(&mut s.v, "rom_inv", &cfg.inv);
    let mut outs = vec![String::new(); n];
    for o in 0..cfg.outer {
        for i in 0..cfg.inner {
            let pos = o * cfg.inner + i;
            let at = |k: usize| (o * cfg.len + k) * cfg.inner + i;
            let xs: Vec<String> = (0..cfg.len).map(|k| s.input(at(k))).collect();
            let p = format!("p{pos}");
            let m = s.max_tree(&p, xs.clone(), t.input);
            let mut es = vec![];
            for (k, x) in xs.iter().enumerate() {
                let q = format!("{p}_{k}");
                align(
                    &mut s.v,
                    &format!("{q}_ma"),
                    &m,
                    wx,
                    t.input.is_signed(),
                    cfg.diff_shift,
                    wd,
                );
                align(
                    &mut s.v,
                    &format!("{q}_xa"),
                    x,
                    wx,
                    t.input.is_signed(),
                    cfg.diff_shift,
                    wd,
                );
                s.adder(wd);
                let _ = writeln!(s.v, "  wire [{}:0] {q}_d = {q}_ma - {q}_xa;", wd - 1);
                let e = lookup(
                    &mut s,
                    &format!("{q}_x"),
                    "rom_exp",
                    &format!("{q}_d"),
                    &cfg.exp,
                );
                let _ = writeln!(s.v, "  wire [{}:0] {q}_e = {e};", ent.width() - 1);
                es.push(format!("{q}_e"));
            }
            let mut terms = vec![];
            for (k, e) in es.iter().enumerate() {
                let a = format!("{p}_{k}_ea");
                align(
                    &mut s.v,
                    &a,
                    e,
                    ent.width(),
                    ent.is_signed(),
                    cfg.sum_shift,
                    ws,
                );
                terms.push(a);
            }
            s.sum(&format!("{p}_s"), terms, 0, ws);
            let r = lookup(
                &mut s,
                &format!("{p}_v"),
                "rom_inv",
                &format!("{p}_s"),
                &cfg.inv,
            );
            let _ = writeln!(s.v, "  wire [{}:0] {p}_r = {r};", inv.width() - 1);
            for (k, e) in es.iter().enumerate() {
                let q = format!("{p}_{k}");
                s.parts.multipliers.push((ent.width(), inv.width()));
                let _ = writeln!(
                    s.v,
                    "  wire [{}:0] {q}_p = {} * {};",
                    wp - 1,
                    extend(e, ent.width(), ent.is_signed(), wp),
                    extend(&format!("{p}_r"), inv.width(), inv.is_signed(), wp)
                );
                let y = s
                    .cast(&format!("{q}_c"), &format!("{q}_p"), &cfg.requant)
                    .map_err(|e| ctx.refuse(e))?;
                outs[at(k)] = y;
            }
        }
    }
    for y in outs {
        s.out(y);
    }
    Ok(s.finish())
}
