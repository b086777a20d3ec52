//! `inspect`: per layer the op, shapes, parameter count and MACs (per sample), plus totals.
//! A layer's parameters are the elements of its float constant inputs (weights, biases, BatchNorm
//! tensors; integer shape constants and scalar attributes such as Clip bounds are not parameters).
//! `totals.params` is their sum over layers: on a freshly loaded graph, the parameter elements the ONNX
//! file holds for its layers, counted per layer as PyTorch counts them. Exporters deduplicate equal
//! initializers (two BatchNorms with the same bias share one tensor); `totals.stored_params` counts
//! such a shared tensor once.

use super::{Graph, Op, Shape};
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Debug, Serialize)]
pub struct LayerReport {
    pub name: String,
    pub op: String,
    /// Shapes of the data inputs (constants excluded).
    pub inputs: Vec<Shape>,
    pub output: Shape,
    pub params: u64,
    pub macs: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub params: u64,
    pub stored_params: u64,
    /// MACs of one run of the graph: per sample, unless the input declares a fixed batch.
    pub macs: u64,
    pub layers: usize,
    /// The input's fixed leading dimension when it is above 1 (an export with a fixed batch):
    /// `macs` then counts one run of that many samples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_batch: Option<u64>,
}

impl Totals {
    /// The totals line: what the numbers count, per sample or per run of a fixed batch.
    pub fn line(&self) -> String {
        let macs = match self.fixed_batch {
            Some(b) => format!(
                "{} MACs per run of the input's fixed batch of {b} ({} per sample)",
                self.macs,
                self.macs / b
            ),
            None => format!("{} MACs per sample", self.macs),
        };
        format!(
            "total: {} layers, {} params, {macs}\n(counted on the graph as the file declares it, \
             before cleanup; `compile` counts the cleaned-up graph, with BatchNorm folded and \
             Gemm/MatMul+Add fused)",
            self.layers, self.params
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct InspectReport {
    pub model: String,
    pub layers: Vec<LayerReport>,
    pub totals: Totals,
}

pub fn report(g: &Graph) -> InspectReport {
    let order = g.topo_order().unwrap_or_else(|_| g.node_indices());
    let mut layers = Vec::new();
    for n in order {
        let node = g.node(n);
        if node.op.is_source() {
            continue;
        }
        let ins = g.inputs_of(n);
        let shapes: Vec<&Shape> = ins.iter().map(|&i| &g.node(i).shape).collect();
        let params = ins
            .iter()
            .filter_map(|&i| g.const_f32(i))
            .map(|a| a.len() as u64)
            .sum();
        let inputs = ins
            .iter()
            .filter(|&&i| !matches!(g.node(i).op, Op::Const(_)))
            .map(|&i| g.node(i).shape.clone())
            .collect();
        layers.push(LayerReport {
            name: node.name.clone(),
            op: node.op.name().to_string(),
            inputs,
            output: node.shape.clone(),
            params,
            macs: node.op.spec().macs(&shapes, &node.shape),
        });
    }
    let totals = Totals {
        params: layers.iter().map(|l| l.params).sum(),
        stored_params: g.param_count(),
        macs: layers.iter().map(|l| l.macs).sum(),
        layers: layers.len(),
        fixed_batch: g
            .inputs()
            .first()
            .and_then(|&i| g.node(i).shape.dims().first()?.fixed())
            .filter(|&b| b > 1)
            .map(|b| b as u64),
    };
    InspectReport {
        model: g.source.clone(),
        layers,
        totals,
    }
}

impl InspectReport {
    /// A fixed-width table for humans.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<32} {:<20} {:<24} {:<18} {:>10} {:>12}",
            "layer", "op", "input", "output", "params", "MACs"
        );
        for l in &self.layers {
            let ins: Vec<String> = l.inputs.iter().map(|x| x.to_string()).collect();
            let _ = writeln!(
                s,
                "{:<32} {:<20} {:<24} {:<18} {:>10} {:>12}",
                l.name,
                l.op,
                ins.join(" "),
                l.output.to_string(),
                l.params,
                l.macs
            );
        }
        let _ = writeln!(s, "{}", self.totals.line());
        s
    }
}
