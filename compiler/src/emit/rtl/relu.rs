//! ReLU as one Verilog module: `max(x, 0)` on each raw value (a signed input's sign bit selects
//! 0; an unsigned input passes), then the cast into the output type, then one register, unless
//! `registered` is false: then the module is the select alone (0 cycles; one LUT level that the
//! next layer's first stage absorbs, see docs/rtl.md "Pipeline cuts").

use std::fmt::Write as _;

use binpoint_runtime::ops::relu::ReluConfig;

use super::cast::{self, cast};
use super::{Module, Parts, RtlError};

/// Whether the ReLU needs its own register: when its cast has logic of its own (rounds or
/// saturates) or its output is the model's (the top's outputs come from a register).
pub fn registered(cfg: &ReluConfig, is_output: bool) -> bool {
    is_output || cast::levels(&cfg.requant) > 0
}

pub fn module(
    name: &str,
    layer: &str,
    cfg: &ReluConfig,
    registered: bool,
) -> Result<Module, RtlError> {
    let (wx, wy, n) = (cfg.input.width(), cfg.output.width(), cfg.size as u32);
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// {layer}: relu on {n} values, x {} y {}",
        cfg.input, cfg.output
    );
    let _ = writeln!(v, "module {name} (");
    let _ = writeln!(v, "  input wire clk,");
    let _ = writeln!(v, "  input wire [{}:0] x,", n * wx - 1);
    let kind = if registered { "reg" } else { "wire" };
    let _ = writeln!(v, "  output {kind} [{}:0] y", n * wy - 1);
    let _ = writeln!(v, ");");
    let mut outs = Vec::with_capacity(cfg.size);
    for i in 0..n {
        let (hi, lo) = ((i + 1) * wx - 1, i * wx);
        let m = if cfg.input.is_signed() {
            format!("x[{hi}] ? {wx}'h0 : x[{hi}:{lo}]")
        } else {
            format!("x[{hi}:{lo}]")
        };
        let _ = writeln!(v, "  wire [{}:0] m{i} = {m};", wx - 1);
        let y = cast(&mut v, &format!("c{i}"), &format!("m{i}"), &cfg.requant)
            .map_err(|e| RtlError::layer(layer, "Relu", e))?;
        outs.push(y);
    }
    outs.reverse();
    if registered {
        let _ = writeln!(v, "  always @(posedge clk) y <= {{{}}};", outs.join(", "));
    } else {
        let _ = writeln!(v, "  assign y = {{{}}};", outs.join(", "));
        let _ = writeln!(v, "  wire unused_clk = clk;");
    }
    let _ = writeln!(v, "endmodule");
    Ok(Module {
        name: name.to_string(),
        text: v,
        cycles: u32::from(registered),
        parts: Parts {
            register_bits: if registered { u64::from(n * wy) } else { 0 },
            casts: vec![cast::parts(&cfg.requant); cfg.size],
            select_bits: if cfg.input.is_signed() {
                u64::from(n * wx)
            } else {
                0
            },
            ..Parts::default()
        },
    })
}
