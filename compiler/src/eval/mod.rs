//! Float reference evaluator over the IR: f32 tensors in and out, computed in the order onnxruntime's
//! CPU kernels use (f32 FMA chains, NCHWc blocking, its Conv+Add fusion), so that results agree with
//! onnxruntime bit for bit on the fixtures and within 1e-5 relative in general. Batch-aware: the batch size comes from the inputs;
//! a graph exported with a fixed batch of 1 runs sample by sample on a larger batch.

pub mod accuracy;

pub use accuracy::{argmax, compare, Accuracy};

use crate::error::CompileError;
use crate::ir::{Dim, EvalCtx, Graph, Op, MAX_ELEMENTS};
use ndarray::{ArrayD, Axis};
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

fn eval_err(g: &Graph, node: &str, op: &str, reason: impl Into<String>) -> CompileError {
    CompileError::Eval {
        file: g.source.clone(),
        node: node.into(),
        op: op.into(),
        reason: reason.into(),
    }
}

/// Runs a graph with one input and returns its first output.
pub fn run_f32(g: &Graph, input: &ArrayD<f32>) -> Result<ArrayD<f32>, CompileError> {
    let mut out = run_f32_multi(g, std::slice::from_ref(input))?;
    if out.is_empty() {
        return Err(eval_err(g, &g.name, "Graph", "graph has no outputs"));
    }
    Ok(out.swap_remove(0))
}

/// Runs a graph: inputs in `g.inputs()` order, outputs in `g.outputs()` order.
fn run_f32_multi(g: &Graph, inputs: &[ArrayD<f32>]) -> Result<Vec<ArrayD<f32>>, CompileError> {
    if inputs.len() != g.inputs().len() {
        return Err(eval_err(
            g,
            &g.name,
            "Graph",
            format!("expects {} inputs, got {}", g.inputs().len(), inputs.len()),
        ));
    }
    if let Some(n) = per_sample_batch(g, inputs) {
        let mut per: Vec<Vec<ArrayD<f32>>> = Vec::new();
        for s in 0..n {
            let one: Vec<ArrayD<f32>> = inputs
                .iter()
                .map(|x| x.index_axis(Axis(0), s).insert_axis(Axis(0)).to_owned())
                .collect();
            per.push(run_batch(g, &one)?);
        }
        let outs = g.outputs().len();
        return (0..outs)
            .map(|o| {
                let views: Vec<_> = per
                    .iter()
                    .filter_map(|p| p.get(o))
                    .map(|a| a.view())
                    .collect();
                ndarray::concatenate(Axis(0), &views)
                    .map_err(|e| eval_err(g, &g.outputs()[o].0, "Output", e.to_string()))
            })
            .collect();
    }
    run_batch(g, inputs)
}

/// Some(n) when every input is declared with a fixed leading 1 but given n > 1 samples.
fn per_sample_batch(g: &Graph, inputs: &[ArrayD<f32>]) -> Option<usize> {
    let mut n = None;
    for (&i, x) in g.inputs().iter().zip(inputs) {
        let d = g.node(i).shape.dims();
        if d.first() != Some(&Dim::Fixed(1)) || x.ndim() != d.len() || x.shape()[0] <= 1 {
            return None;
        }
        if n.is_some_and(|n| n != x.shape()[0]) {
            return None;
        }
        n = Some(x.shape()[0]);
    }
    n
}

/// Drops input values that no later node needs.
fn release(
    g: &Graph,
    ins: &[NodeIndex],
    remaining: &mut HashMap<NodeIndex, usize>,
    values: &mut HashMap<NodeIndex, ArrayD<f32>>,
) {
    for &i in ins {
        if let Some(r) = remaining.get_mut(&i) {
            *r = r.saturating_sub(1);
            if *r == 0 && !g.is_output(i) {
                values.remove(&i);
            }
        }
    }
}

/// `Add(Conv(..), other)` pairs that onnxruntime fuses into an NCHWc conv, which changes the rounding
/// order: add -> (conv, other). The conv at input 0 is preferred; its only use must be the Add.
fn sum_fusions(g: &Graph) -> HashMap<NodeIndex, (NodeIndex, NodeIndex)> {
    let eligible = |conv: NodeIndex, add: NodeIndex| -> bool {
        let Op::Conv(op) = &g.node(conv).op else {
            return false;
        };
        let Some(&x) = g.inputs_of(conv).first() else {
            return false;
        };
        let (xs, ys) = (&g.node(x).shape, &g.node(conv).shape);
        let (Ok(c), Ok(m)) = (xs.fixed_dim(1), ys.fixed_dim(1)) else {
            return false;
        };
        g.use_count(conv) == 1 && g.node(add).shape == *ys && op.onnxruntime_nchwc(c, m)
    };
    let mut plan = HashMap::new();
    for add in g.node_indices() {
        if !matches!(g.node(add).op, Op::Add(_)) {
            continue;
        }
        if let [a, b] = g.inputs_of(add).as_slice() {
            if a == b {
                continue;
            }
            if eligible(*a, add) && g.node(*b).shape == g.node(add).shape {
                plan.insert(add, (*a, *b));
            } else if eligible(*b, add) && g.node(*a).shape == g.node(add).shape {
                plan.insert(add, (*b, *a));
            }
        }
    }
    plan
}

fn run_batch(g: &Graph, inputs: &[ArrayD<f32>]) -> Result<Vec<ArrayD<f32>>, CompileError> {
    // Bind the batch size and check every input against its declared shape.
    let mut batch = None;
    for (&i, x) in g.inputs().iter().zip(inputs) {
        let node = g.node(i);
        let d = node.shape.dims();
        let bad = || {
            eval_err(
                g,
                &node.name,
                "Input",
                format!("given shape {:?}, declared {}", x.shape(), node.shape),
            )
        };
        if x.ndim() != d.len() {
            return Err(bad());
        }
        for (a, dim) in d.iter().enumerate() {
            match dim {
                Dim::Fixed(n) if x.shape()[a] != *n => return Err(bad()),
                Dim::Batch if batch.is_some_and(|b| b != x.shape()[a]) => return Err(bad()),
                Dim::Batch => batch = Some(x.shape()[a]),
                _ => {}
            }
        }
    }
    let ctx = EvalCtx {
        batch: batch.unwrap_or(1),
    };
    let order = g
        .topo_order()
        .map_err(|_| eval_err(g, &g.name, "Graph", "graph has a cycle"))?;
    let mut remaining: HashMap<_, usize> = order.iter().map(|&n| (n, g.use_count(n))).collect();
    let mut values: HashMap<_, ArrayD<f32>> = HashMap::new();
    let plan = sum_fusions(g);
    let deferred: std::collections::HashSet<NodeIndex> = plan.values().map(|p| p.0).collect();
    for &n in &order {
        let node = g.node(n);
        let op = node.op.name();
        let value = match &node.op {
            Op::Input(_) => {
                let pos = g.inputs().iter().position(|&i| i == n).unwrap_or(0);
                inputs
                    .get(pos)
                    .cloned()
                    .ok_or_else(|| eval_err(g, &node.name, op, "missing input"))?
            }
            _ => {
                let ins = g.inputs_of(n);
                let want = node
                    .shape
                    .fixed_numel()
                    .unwrap_or(u64::MAX)
                    .saturating_mul(ctx.batch as u64);
                if want > MAX_ELEMENTS {
                    return Err(eval_err(
                        g,
                        &node.name,
                        op,
                        format!("{want} elements exceed the limit"),
                    ));
                }
                if deferred.contains(&n) {
                    continue; // computed together with its Add
                }
                let get = |i: &NodeIndex| {
                    values
                        .get(i)
                        .ok_or_else(|| eval_err(g, &node.name, op, "input not computed"))
                };
                let v = match (plan.get(&n), &node.op) {
                    (Some(&(conv, other)), _) => {
                        let Op::Conv(c) = &g.node(conv).op else {
                            return Err(eval_err(g, &node.name, op, "fusion plan lost its conv"));
                        };
                        let conv_ins = g.inputs_of(conv);
                        let args: Vec<&ArrayD<f32>> =
                            conv_ins.iter().map(get).collect::<Result<_, _>>()?;
                        let v = c
                            .eval_with_sum(&args, Some(get(&other)?))
                            .map_err(|r| eval_err(g, &node.name, op, r))?;
                        release(g, &conv_ins, &mut remaining, &mut values);
                        v
                    }
                    _ => {
                        let args: Vec<&ArrayD<f32>> =
                            ins.iter().map(get).collect::<Result<_, _>>()?;
                        node.op
                            .spec()
                            .eval(&args, &ctx)
                            .map_err(|r| eval_err(g, &node.name, op, r))?
                    }
                };
                release(g, &ins, &mut remaining, &mut values);
                v
            }
        };
        let expect = node.shape.concrete(ctx.batch);
        if value.shape() != expect.as_slice() {
            return Err(eval_err(
                g,
                &node.name,
                op,
                format!("produced {:?}, expected {:?}", value.shape(), expect),
            ));
        }
        values.insert(n, value);
    }
    g.outputs()
        .iter()
        .map(|(name, o)| {
            values
                .get(o)
                .cloned()
                .ok_or_else(|| eval_err(g, name, "Output", "not computed"))
        })
        .collect()
}
