//! quant-weights: a `Quant` of a constant (a quantized weight) becomes the constant of its integers,
//! typed by the model (`Graph::model_types`: `ap_fixed<bits,bits>`), and its scale moves behind the
//! layer that uses it:
//! - `MatMul(x, Quant(W, s))` with `s` one value per output column (or one for all) becomes
//!   `Mul(MatMul(x, Wq), s)`; a `Transpose` of the constant between them is applied to `Wq` and `s`;
//! - a scale of 1 everywhere leaves just the integers, whatever uses them;
//! - any other quantized constant becomes its dequantized values `Wq·s` (f32, as the qonnx executor
//!   computes them), typed from its values like any weight.
//!
//! Runs first in cleanup, before constant-folding (which leaves `Quant` alone).
use super::{pass_err, CleanupOptions, Pass};
use crate::error::CompileError;
use crate::ir::ops::{Mul, Quant};
use crate::ir::{Graph, Op, TensorData};
use binpoint_runtime::{FixedType, Overflow, Rounding};
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;

pub struct QuantWeights;

const NAME: &str = "quant-weights";

impl Pass for QuantWeights {
    fn name(&self) -> &'static str {
        NAME
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        let quants: Vec<NodeIndex> = g
            .node_indices()
            .into_iter()
            .filter(|&n| matches!(g.node(n).op, Op::Quant(_)))
            .filter(|&n| {
                g.inputs_of(n)
                    .first()
                    .is_some_and(|&x| g.const_f32(x).is_some())
            })
            .collect();
        let mut changed = false;
        for q in quants {
            changed |= rewrite(g, q)?;
        }
        Ok(changed)
    }
}

/// The integers of `Quant(w, s)` and the scale broadcast to `w`'s shape.
fn integers(
    g: &Graph,
    op: &Quant,
    w: &ArrayD<f32>,
    s: &ArrayD<f32>,
) -> Result<(ArrayD<f32>, ArrayD<f32>), CompileError> {
    let sb = s
        .broadcast(IxDyn(w.shape()))
        .ok_or_else(|| pass_err(g, NAME, "scale does not broadcast to the weight"))?
        .to_owned();
    let mut qi = w.clone();
    ndarray::Zip::from(&mut qi)
        .and(w)
        .and(&sb)
        .for_each(|q, &x, &s| *q = op.integer(x, s));
    Ok((qi, sb))
}

/// The model type of a constant of integers in `[lo, hi]`.
pub(crate) fn integer_type(lo: f64, hi: f64) -> Option<FixedType> {
    let signed = lo < 0.0;
    let mag = hi.max(-lo - 1.0).max(0.0);
    let mut bits = 1u32;
    while 2f64.powi(bits as i32) <= mag {
        bits += 1;
    }
    let w = bits + u32::from(signed);
    FixedType::new(signed, w, w as i32, Rounding::Trn, Overflow::Wrap, 0).ok()
}

/// The one value of `sb` ([in, out]) per column, when every row is the same.
fn per_column(sb: &ArrayD<f32>) -> Option<Vec<f32>> {
    let [rows, cols] = sb.shape() else {
        return None;
    };
    let (rows, cols) = (*rows, *cols);
    let v: Vec<f32> = sb.iter().copied().collect();
    let first = v.get(..cols)?.to_vec();
    (0..rows)
        .all(|r| v[r * cols..(r + 1) * cols] == first[..])
        .then_some(first)
}

fn rewrite(g: &mut Graph, q: NodeIndex) -> Result<bool, CompileError> {
    let Op::Quant(op) = g.node(q).op.clone() else {
        return Ok(false);
    };
    let ins = g.inputs_of(q);
    let (Some(w), Some(s)) = (
        ins.first().and_then(|&i| g.const_f32(i)).cloned(),
        ins.get(1).and_then(|&i| g.const_f32(i)).cloned(),
    ) else {
        return Ok(false);
    };
    let (mut qi, mut sb) = integers(g, &op, &w, &s)?;
    let base = g.node(q).tensor.clone();
    // The node whose consumers see the weight: the Quant, or a Transpose right after it.
    let mut at = q;
    if let [(t, 0)] = g.consumers(q)[..] {
        if let (Op::Transpose(tr), false) = (&g.node(t).op, g.is_output(q)) {
            let perm = tr.perm.clone();
            qi = qi
                .permuted_axes(IxDyn(&perm))
                .as_standard_layout()
                .to_owned();
            sb = sb
                .permuted_axes(IxDyn(&perm))
                .as_standard_layout()
                .to_owned();
            at = t;
        }
    }
    let single = match (g.consumers(at)[..].to_vec(), g.is_output(at)) {
        (c, false) if c.len() == 1 => Some(c[0]),
        _ => None,
    };
    let unit = sb.iter().all(|&v| v == 1.0);
    let matmul = single.filter(|&(m, slot)| slot == 1 && matches!(g.node(m).op, Op::MatMul(_)));
    let lo = qi.iter().copied().fold(0f32, f32::min) as f64;
    let hi = qi.iter().copied().fold(0f32, f32::max) as f64;
    if unit || matmul.is_some() {
        let name = g.fresh_name(&format!("{base}_int"));
        let c = g.add_const(name.clone(), TensorData::F32(qi))?;
        if let Some(ty) = integer_type(lo, hi) {
            g.model_types.insert(name, ty);
        }
        if let (false, Some((m, _))) = (unit, matmul) {
            let col = per_column(&sb).ok_or_else(|| {
                quant_err(
                    g,
                    q,
                    "the weight scale varies along the MatMul's inner axis: it cannot move behind \
                     the MatMul (only one scale per output column can)",
                )
            })?;
            let m_ins = g.inputs_of(m);
            g.set_op(m, Op::MatMul(crate::ir::ops::MatMul), &[m_ins[0], c])?;
            let n = col.len();
            let sname = g.fresh_name(&format!("{base}_scale"));
            let sc = g.add_const(
                sname,
                TensorData::F32(
                    ArrayD::from_shape_vec(IxDyn(&[n]), col)
                        .map_err(|e| pass_err(g, NAME, e.to_string()))?,
                ),
            )?;
            let mul_name = g.fresh_name(&format!("{}_scale", g.node(m).name));
            let tensor = format!("{}_scaled", g.node(m).tensor);
            let placeholder = g.add_node(mul_name, tensor, Mul, &[m, sc])?;
            g.replace_uses(m, placeholder);
            // replace_uses also moved the Mul's own input: put it back.
            g.set_op(placeholder, Mul, &[m, sc])?;
        } else {
            g.replace_uses(at, c);
        }
    } else {
        let mut deq = qi;
        ndarray::Zip::from(&mut deq)
            .and(&sb)
            .for_each(|d, &s| *d *= s);
        let name = g.fresh_name(&format!("{base}_dequant"));
        let c = g.add_const(name, TensorData::F32(deq))?;
        g.replace_uses(at, c);
    }
    if at != q {
        g.remove_node(at);
    }
    g.remove_node(q);
    Ok(true)
}

pub(crate) fn quant_err(g: &Graph, n: NodeIndex, reason: impl Into<String>) -> CompileError {
    let node = g.node(n);
    CompileError::Unsupported {
        file: g.source.clone(),
        node: node.name.clone(),
        op: node.op.name().into(),
        reason: reason.into(),
    }
}
