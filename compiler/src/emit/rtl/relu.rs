//! ReLU as one Verilog module: `max(x, 0)` on each raw value (a signed input's sign bit selects
//! 0; an unsigned input passes), then the cast into the output type, then one register.

use std::fmt::Write as _;

use binpoint_runtime::ops::relu::ReluConfig;

use super::cast::cast;
use super::{Module, RtlError};

pub fn module(name: &str, layer: &str, cfg: &ReluConfig) -> Result<Module, RtlError> {
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
    let _ = writeln!(v, "  output reg [{}:0] y", n * wy - 1);
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
    let _ = writeln!(v, "  always @(posedge clk) y <= {{{}}};", outs.join(", "));
    let _ = writeln!(v, "endmodule");
    Ok(Module {
        name: name.to_string(),
        text: v,
        cycles: 1,
    })
}
