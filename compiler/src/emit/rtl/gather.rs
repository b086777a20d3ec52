//! Transpose and Pad (the interpreter's `Gather`: output value `i` is input value `map[i]`, or
//! the raw `fill` where `map[i]` is the padding mark) as wires in the top: no logic, no cycle.

use std::fmt::Write as _;

use binpoint_runtime::model::Gather;
use binpoint_runtime::FixedType;

use super::cast::bits_literal;

/// Declares `wire` (the output's values) from the input wire `x`.
pub fn wires(
    wire: &str,
    x: &str,
    g: &Gather,
    n_in: usize,
    input: &FixedType,
    output: &FixedType,
) -> Result<String, String> {
    let w = input.width();
    if output.width() != w {
        return Err(format!(
            "a data move from {input} to {output}: the RTL moves values of one width"
        ));
    }
    let mut read = vec![false; n_in];
    let mut parts = Vec::with_capacity(g.map.len());
    for &m in g.map.iter().rev() {
        if m == usize::MAX {
            parts.push(bits_literal(w, g.fill.into()));
        } else if m >= n_in {
            return Err(format!("value {m} of an input of {n_in}"));
        } else {
            read[m] = true;
            let lo = m as u32 * w;
            parts.push(format!("{x}[{}:{lo}]", lo + w - 1));
        }
    }
    let mut v = String::new();
    let _ = writeln!(
        v,
        "  wire [{}:0] {wire} = {{{}}};",
        g.map.len() as u32 * w - 1,
        parts.join(", ")
    );
    let unused: Vec<String> = read
        .iter()
        .enumerate()
        .filter(|(_, &r)| !r)
        .map(|(m, _)| {
            let lo = m as u32 * w;
            format!("{x}[{}:{lo}]", lo + w - 1)
        })
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            v,
            "  wire unused_{wire} = &{{1'b0, {}, 1'b0}};",
            unused.join(", ")
        );
    }
    Ok(v)
}
