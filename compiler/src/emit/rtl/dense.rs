//! A dense layer as one Verilog module: every product of the layer at once (the latency
//! strategy), the constant weight matrix as one shared adder graph of canonical-signed-digit
//! terms (no `*`, so Yosys infers no DSP; [`super::adders::constant_matrix`]), pipelined every
//! `levels_per_stage` adder levels, then the bias, the requant cast into the output type and
//! the layer's last register.
//!
//! Why the sum is exact: every adder of the graph is as wide as its exact value range, so the
//! product `Σ x·w` is exact; it moves up by `prod_shift` to the accumulator's binary point and
//! the bias (moved by `bias_shift`) is added in the accumulator's `W_acc` bits, modulo
//! `2^W_acc`. The accumulator type holds the layer's exact sum (`MacPlan::new` proved it), so
//! the wrapped sum is that value, as the runtime's integer sum is.

use std::fmt::Write as _;

use binpoint_runtime::ops::dense::DenseConfig;

use super::adders::{constant_matrix, Operand, Pipeline};
use super::cast::{self, bits_literal};
use super::{Module, Parts, RtlError};

/// The module `name` for a dense layer with raw weights `w [n_out][n_in]` and raw biases `b`.
pub fn module(
    name: &str,
    layer: &str,
    cfg: &DenseConfig,
    w: &[i64],
    b: &[i64],
    pipe: Pipeline,
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
    let x: Vec<Operand> = (0..n_in as u32)
        .map(|i| Operand {
            wire: format!("x[{}:{}]", (i + 1) * wx - 1, i * wx),
            width: wx,
            signed: t.input.is_signed(),
        })
        .collect();
    // The tail in the last stage: the bias (or a negation), then the cast.
    let tail = 1 + cast::levels(requant);
    let product = constant_matrix(
        &mut v,
        "",
        &x,
        w,
        n_out,
        wa,
        cfg.plan.prod_shift,
        tail,
        pipe,
    );
    let mut parts = Parts {
        adders: product.adder_bits.clone(),
        register_bits: product.register_bits + u64::from(n_out as u32 * wy),
        casts: vec![cast::parts(requant); n_out],
        ..Parts::default()
    };
    let mut outs = Vec::with_capacity(n_out);
    for (o, term) in product.outputs.iter().enumerate() {
        let shift = cfg.plan.bias_shift;
        let bias = if shift >= wa {
            0 // a multiple of 2^W_acc
        } else {
            i128::from(b[o]).wrapping_shl(shift)
        };
        let bias = (bias as u128 & mask(wa) != 0).then(|| bits_literal(wa, bias));
        if let Some(t) = term.as_ref().filter(|t| t.negative || bias.is_some()) {
            // The bias add (or negation): carries above the product's lowest bit.
            parts.adders.push(wa.saturating_sub(t.low_zeros).max(1));
        }
        let sum = match (term, bias) {
            (None, None) => format!("{wa}'h0"),
            (None, Some(b)) => b,
            (Some(t), None) if t.negative => format!("{wa}'h0 - {}", t.expr),
            (Some(t), None) => t.expr.clone(),
            (Some(t), Some(b)) if t.negative => format!("{b} - {}", t.expr),
            (Some(t), Some(b)) => format!("{} + {b}", t.expr),
        };
        let _ = writeln!(v, "  wire [{}:0] acc{o} = {sum};", wa - 1);
        let y = cast::cast(&mut v, &format!("c{o}"), &format!("acc{o}"), requant)
            .map_err(|m| RtlError::layer(layer, "Dense", m))?;
        outs.push(y);
    }
    outs.reverse();
    let _ = writeln!(v, "  always @(posedge clk) y <= {{{}}};", outs.join(", "));
    let _ = writeln!(v, "endmodule");
    Ok(Module {
        name: name.to_string(),
        text: v,
        cycles: product.stages,
        parts,
    })
}

fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}
