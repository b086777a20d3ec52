//! Table activations (Sigmoid, Tanh: the `lut` kernel) as one Verilog module with the table as a
//! ROM, bit-exact with `runtime/src/ops/lut.rs`: per value, the index
//! `clamp((raw - origin_raw) >>> shift, 0, size - 1)` (an arithmetic shift, computed in a signed
//! width that holds every raw value, the origin, their difference and `size`), then the entry
//! (the output type is the entry type: no cast), then the register. [`rom`] and [`lookup`] are
//! shared with softmax, as the runtime shares `LutTable`.
//!
//! The ROM is a memory with initial contents, read without a clock (Yosys maps it to LUTs or
//! distributed RAM; a function with one `case` arm per entry made Verilator inline the table at
//! every read, minutes of build time for a few hundred reads).

use std::fmt::Write as _;

use binpoint_runtime::ops::lut::{LutConfig, LutTable};

use super::arith::{extend, Shell};
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

/// Address bits of a table (`size` is a power of two).
fn address_bits(t: &LutTable) -> u32 {
    t.size().trailing_zeros()
}

/// Declares the ROM `f` holding `t`'s entries (none for a one-entry table): a memory with its
/// initial contents, read asynchronously (one array per module, however many values read it).
pub fn rom(v: &mut String, f: &str, t: &LutTable) {
    let w = t.entry.width();
    if address_bits(t) == 0 {
        return;
    }
    let _ = writeln!(v, "  reg [{}:0] {f} [0:{}];", w - 1, t.size() - 1);
    let _ = writeln!(v, "  initial begin");
    for (k, &e) in t.entries.iter().enumerate() {
        let _ = writeln!(v, "    {f}[{k}] = {};", bits_literal(w, e.into()));
    }
    let _ = writeln!(v, "  end");
}

/// The entry of `t` for wire `x` (raw bits of `t.index`): declares `{p}_*`, returns an
/// expression of the entry's width.
pub fn lookup(s: &mut Shell, p: &str, f: &str, x: &str, t: &LutTable) -> String {
    let (a, wi) = (address_bits(t), t.index.width());
    let v = &mut s.v;
    if a == 0 {
        let _ = writeln!(v, "  wire unused_{p} = &{{1'b0, {x}, 1'b0}};");
        return bits_literal(t.entry.width(), t.entries[0].into());
    }
    let k = t.index_width.max(wi).max(a + 1) + 2;
    // The index: a subtraction, two compares with constants and the clamp's select; then the
    // read.
    s.parts.adders.push(k);
    s.parts.const_compare_bits += 2 * u64::from(k);
    s.parts.mux_bits += u64::from(a);
    s.parts.rom_reads.push((t.size() as u32, t.entry.width()));
    let _ = writeln!(
        v,
        "  wire [{}:0] {p}_d = {} - {};",
        k - 1,
        extend(x, wi, t.index.is_signed(), k),
        bits_literal(k, t.origin_raw.into())
    );
    let _ = writeln!(
        v,
        "  wire signed [{}:0] {p}_s = $signed({p}_d) >>> {};",
        k - 1,
        t.shift.min(k - 1)
    );
    let top = bits_literal(a, (t.size() - 1) as i128);
    let _ = writeln!(
        v,
        "  wire [{}:0] {p}_i = ({p}_s < {k}'sd0) ? {a}'d0 : ({p}_s > {k}'sd{}) ? {top} : {p}_s[{}:0];",
        a - 1,
        t.size() - 1,
        a - 1
    );
    format!("{f}[{p}_i]")
}

pub fn module(ctx: &Ctx, cfg: &LutConfig) -> Result<Module, RtlError> {
    let t = &cfg.table;
    let (wx, wy) = (t.index.width(), t.entry.width());
    let mut s = Shell::new(
        ctx.name,
        &format!(
            "{}: table of {} entries, x {} y {}, origin raw {}, shift {}",
            ctx.layer,
            t.size(),
            t.index,
            t.entry,
            t.origin_raw,
            t.shift
        ),
        &[(wx, cfg.size)],
        cfg.size as u32 * wy,
    );
    rom(&mut s.v, "rom", t);
    for i in 0..cfg.size {
        let x = s.input(i);
        let y = lookup(&mut s, &format!("i{i}"), "rom", &x, t);
        s.out(y);
    }
    Ok(s.finish())
}
