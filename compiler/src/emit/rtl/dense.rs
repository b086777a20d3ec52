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
    let Some(requant) = cfg.plan.requant.narrow() else {
        return Err(RtlError::layer(
            layer,
            "Dense",
            format!(
                "its accumulator {} is wider than 64 bits: the RTL's output cast takes at most                  64 (not in the RTL yet)",
                t.accum
            ),
        ));
    };
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
    // Every product's terms: (input, shift into the accumulator, negative). A term shifted by
    // W_acc or more is a multiple of 2^W_acc: 0 modulo 2^W_acc.
    let terms_of: Vec<Vec<(usize, u32, bool)>> = (0..n_out)
        .map(|o| {
            (0..n_in)
                .flat_map(|i| {
                    csd_digits(w[o * n_in + i])
                        .into_iter()
                        .map(move |d| (i, d.shift + cfg.plan.prod_shift, d.negative))
                })
                .filter(|&(_, s, _)| s < wa)
                .collect()
        })
        .collect();
    // Each input, extended to the accumulator's width less its smallest shift (the bits above
    // are shifted out of every term).
    let mut min_shift: Vec<Option<u32>> = vec![None; n_in];
    for &(i, s, _) in terms_of.iter().flatten() {
        min_shift[i] = Some(min_shift[i].map_or(s, |m| m.min(s)));
    }
    let used: Vec<bool> = min_shift.iter().map(Option::is_some).collect();
    let mut high_unused = Vec::new();
    for (i, m) in min_shift.iter().enumerate() {
        let Some(m) = *m else { continue };
        let we = wa - m; // bits of the extended input
        let lo = i as u32 * wx;
        let ext = if we > wx {
            let fill = if t.input.is_signed() {
                format!("x[{}]", lo + wx - 1)
            } else {
                "1'b0".into()
            };
            format!("{{{{{}{{{fill}}}}}, x[{}:{lo}]}}", we - wx, lo + wx - 1)
        } else {
            if we < wx {
                high_unused.push(format!("x[{}:{}]", lo + wx - 1, lo + we));
            }
            format!("x[{}:{lo}]", lo + we - 1)
        };
        let _ = writeln!(v, "  wire [{}:0] xe{i} = {ext};", we - 1);
    }
    let unused: Vec<String> = used
        .iter()
        .enumerate()
        .filter(|(_, &u)| !u)
        .map(|(i, _)| format!("x[{}:{}]", (i as u32 + 1) * wx - 1, i as u32 * wx))
        .collect();
    if !unused.is_empty() || !high_unused.is_empty() {
        // Inputs every weight of the layer ignores, and bits every term shifts out.
        let mut parts = unused;
        parts.extend(high_unused);
        let _ = writeln!(
            v,
            "  wire unused_x = &{{1'b0, {}, 1'b0}};",
            parts.join(", ")
        );
    }
    let mut outs = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let mut terms: Vec<Term> = terms_of[o]
            .iter()
            .map(|&(i, s, negative)| {
                let m = min_shift[i].unwrap_or(0);
                let expr = if s == 0 {
                    format!("xe{i}")
                } else if s == m {
                    format!("{{xe{i}, {s}'b0}}")
                } else {
                    format!("{{xe{i}[{}:0], {s}'b0}}", wa - 1 - s)
                };
                Term { negative, expr }
            })
            .collect();
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
        let y = cast(&mut v, &format!("c{o}"), &format!("acc{o}"), requant)
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
