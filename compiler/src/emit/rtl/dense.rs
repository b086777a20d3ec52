//! A dense layer as one Verilog module: every product of the layer at once (the latency
//! strategy), each constant weight as its canonical-signed-digit terms `±(x << s)` (no `*`, so
//! Yosys infers no DSP), summed with the bias in a balanced adder tree in the layer's exact
//! accumulator type, then the requant cast into the output type, then one register.
//!
//! Why the sum is exact in `W_acc` bits: the accumulator type holds every partial sum of the
//! layer (`MacPlan::new` proved it), so the final sum is a value of it; every term and every
//! partial sum is computed modulo `2^W_acc` (two's complement wraps), which gives that value
//! whatever the order, as the runtime's integer sum does. The terms are aligned to the
//! accumulator's binary point: a product `x·w` has `F_x + F_w` fractional bits and moves up by
//! `prod_shift`, the bias by `bias_shift`.

use std::fmt::Write as _;

use binpoint_runtime::fixed::csd_digits;
use binpoint_runtime::ops::dense::DenseConfig;

use super::cast::{bits_literal, cast};
use super::tree::{sum_tree, Term};
use super::{Module, RtlError};

/// The module `name` for a dense layer with raw weights `w [n_out][n_in]` and raw biases `b`.
pub fn module(
    name: &str,
    layer: &str,
    cfg: &DenseConfig,
    w: &[i64],
    b: &[i64],
) -> Result<Module, RtlError> {
    let t = &cfg.types;
    if cfg.plan.user.is_some() {
        return Err(RtlError::layer(
            layer,
            "Dense",
            format!(
                "its accumulator {} is narrower than the exact one (a user accumulator): not in \
                 the RTL yet",
                t.accum
            ),
        ));
    }
    let (n_in, n_out) = (cfg.n_in, cfg.n_out);
    if w.len() != n_in * n_out || b.len() != n_out {
        return Err(RtlError::layer(
            layer,
            "Dense",
            format!(
                "{} weights and {} biases for {n_in} -> {n_out}",
                w.len(),
                b.len()
            ),
        ));
    }
    let (wx, wa) = (t.input.width(), t.accum.width());
    let wy = t.output.width();
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// {layer}: dense {n_in} -> {n_out}, x {} w {} b {} acc {} y {}",
        t.input, t.weight, t.bias, t.accum, t.output
    );
    let _ = writeln!(v, "module {name} (");
    let _ = writeln!(v, "  input wire clk,");
    let _ = writeln!(v, "  input wire [{}:0] x,", n_in as u32 * wx - 1);
    let _ = writeln!(v, "  output reg [{}:0] y", n_out as u32 * wy - 1);
    let _ = writeln!(v, ");");
    // Each input, extended to the accumulator's width (modulo 2^W_acc).
    let mut used = vec![false; n_in];
    for o in 0..n_out {
        for i in 0..n_in {
            used[i] |= w[o * n_in + i] != 0;
        }
    }
    for (i, _) in used.iter().enumerate().filter(|(_, &u)| u) {
        let xi = format!("x[{}:{}]", (i as u32 + 1) * wx - 1, i as u32 * wx);
        let ext = if wa > wx {
            let fill = if t.input.is_signed() {
                format!("x[{}]", (i as u32 + 1) * wx - 1)
            } else {
                "1'b0".into()
            };
            format!("{{{{{}{{{fill}}}}}, {xi}}}", wa - wx)
        } else {
            format!("x[{}:{}]", i as u32 * wx + wa - 1, i as u32 * wx)
        };
        let _ = writeln!(v, "  wire [{}:0] xe{i} = {ext};", wa - 1);
    }
    let unused: Vec<String> = used
        .iter()
        .enumerate()
        .filter(|(_, &u)| !u)
        .map(|(i, _)| format!("x[{}:{}]", (i as u32 + 1) * wx - 1, i as u32 * wx))
        .collect();
    if !unused.is_empty() || wa < wx {
        // Inputs every weight of the layer ignores (and bits above the accumulator).
        let mut parts = unused;
        if wa < wx {
            for i in (0..n_in).filter(|&i| used[i]) {
                parts.push(format!(
                    "x[{}:{}]",
                    (i as u32 + 1) * wx - 1,
                    i as u32 * wx + wa
                ));
            }
        }
        let _ = writeln!(
            v,
            "  wire unused_x = &{{1'b0, {}, 1'b0}};",
            parts.join(", ")
        );
    }
    let mut outs = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let mut terms = Vec::new();
        for i in 0..n_in {
            for d in csd_digits(w[o * n_in + i]) {
                let s = d.shift + cfg.plan.prod_shift;
                if s >= wa {
                    continue; // a multiple of 2^W_acc: 0 modulo 2^W_acc
                }
                let e = if s == 0 {
                    format!("xe{i}")
                } else {
                    format!("{{xe{i}[{}:0], {s}'b0}}", wa - 1 - s)
                };
                terms.push(Term {
                    negative: d.negative,
                    expr: e,
                });
            }
        }
        let shift = cfg.plan.bias_shift;
        let bias = if shift >= wa {
            0 // a multiple of 2^W_acc
        } else {
            i128::from(b[o]).wrapping_shl(shift)
        };
        if bias != 0 && (bias as u128) & mask(wa) != 0 {
            terms.push(Term {
                negative: false,
                expr: bits_literal(wa, bias),
            });
        }
        let _ = writeln!(v, "  wire [{}:0] acc{o} = {};", wa - 1, sum_tree(terms, wa));
        let y = cast(
            &mut v,
            &format!("c{o}"),
            &format!("acc{o}"),
            &cfg.plan.requant,
        )
        .map_err(|m| RtlError::layer(layer, "Dense", m))?;
        outs.push(y);
    }
    outs.reverse();
    let _ = writeln!(v, "  always @(posedge clk) y <= {{{}}};", outs.join(", "));
    let _ = writeln!(v, "endmodule");
    Ok(Module {
        name: name.to_string(),
        text: v,
    })
}

fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}
