//! Table activations (Sigmoid, Tanh: the `lut` kernel) as one Verilog module with the table as a
//! ROM, bit-exact with `runtime/src/ops/lut.rs`: per value, the index
//! `clamp((raw - origin_raw) >>> shift, 0, size - 1)` (an arithmetic shift, computed in a signed
//! width that holds every raw value, the origin, their difference and `size`), then the entry
//! (the output type is the entry type: no cast), then the register. [`rom`] and [`lookup`] are
//! shared with softmax, as the runtime shares `LutTable`.
//!
//! The ROM is one constant vector (`localparam`, entry `k` in bits `k·P ..`, `P` the entry width
//! rounded up to a power of two), read by an indexed part-select `ROM[{i, log2(P) zeros} +: W]`
//! without a clock (no multiplier for the offset): Yosys maps each read to LUTs and MUXF7/MUXF8, and
//! Verilator to a shift. Two other forms failed: a memory with initial contents read inside the
//! output register's `always` made Yosys 0.23 infer a 16-read-port RAM and run out of memory
//! (18.6 GB, killed) on the activations fixture's 16-value sigmoid; a function with one `case` arm
//! per entry made Verilator inline the table at every read (minutes of build time).

use std::fmt::Write as _;

use binpoint_runtime::ops::lut::{LutConfig, LutTable};

use super::arith::{extend, Shell};
use super::cast::bits_literal;
use super::{Ctx, Module, RtlError};

/// Address bits of a table (`size` is a power of two).
fn address_bits(t: &LutTable) -> u32 {
    t.size().trailing_zeros()
}

/// Bits per entry in the ROM's vector: the entry width rounded up to a power of two, so an
/// entry's offset is its index followed by zeros.
fn slot_bits(t: &LutTable) -> u32 {
    t.entry.width().next_power_of_two()
}

/// Declares the ROM `f` holding `t`'s entries (none for a one-entry table): one constant vector,
/// entry `k`'s `W` bits at bit `k·P` (zero-extended to `P = slot_bits`; one vector per module,
/// however many values read it).
pub fn rom(v: &mut String, f: &str, t: &LutTable) {
    let (w, p) = (t.entry.width(), slot_bits(t));
    if address_bits(t) == 0 {
        return;
    }
    let mask = (1i128 << w) - 1;
    let entries: Vec<String> = t
        .entries
        .iter()
        .rev()
        .map(|&e| bits_literal(p, i128::from(e) & mask))
        .collect();
    let _ = writeln!(
        v,
        "  localparam [{}:0] {f} = {{{}}};",
        p as usize * t.size() - 1,
        entries.join(", ")
    );
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
    let z = slot_bits(t).trailing_zeros();
    let offset = if z == 0 {
        format!("{p}_i")
    } else {
        format!("{{{p}_i, {z}'b0}}")
    };
    format!("{f}[{offset} +: {}]", t.entry.width())
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
