//! ONNX Resize (opsets 10+) and Upsample (7-9), `mode = nearest` with integer scales ≥ 1: every
//! output index `i` of an axis scaled by `s` reads input index `⌊i / s⌋`. That is data movement,
//! loaded as IR ops that every backend already has: per scaled axis `a`, `Unsqueeze(a + 1)`, a
//! `Concat` of `s` copies on that new axis, and a `Reshape` that merges it into axis `a`
//! (`out[.., s·h + k, ..] = x[.., h, ..]`). Exact, so float and fixed point are unchanged.
//!
//! The coordinate transformation and nearest mode are checked, index by index, to give `⌊i / s⌋`
//! (asymmetric + floor as PyTorch writes it, half_pixel + round_prefer_floor at scale 2, ...);
//! anything else is refused naming the node: linear/cubic modes, fractional or shrinking scales,
//! a mapping that is not `⌊i / s⌋`.
use super::R;
use crate::ir::ops::{Concat, Reshape, Unsqueeze};
use crate::ir::{Dim, TensorData};
use crate::onnx::context::{NodeCtx, Value};
use petgraph::stable_graph::NodeIndex;

/// Input index that output index `i` reads on an axis of `d` elements scaled by `s`, by the
/// ONNX formulas; `None` for an unknown mode.
fn source_index(coord: &str, nearest: &str, i: usize, d: usize, s: usize) -> Option<usize> {
    let (i, df, sf) = (i as f64, d as f64, s as f64);
    let out_len = df * sf;
    let x = match coord {
        "asymmetric" => i / sf,
        "half_pixel" => (i + 0.5) / sf - 0.5,
        "pytorch_half_pixel" if out_len > 1.0 => (i + 0.5) / sf - 0.5,
        "pytorch_half_pixel" => 0.0,
        "tf_half_pixel_for_nn" => (i + 0.5) / sf,
        "align_corners" if out_len > 1.0 => i * (df - 1.0) / (out_len - 1.0),
        "align_corners" => 0.0,
        _ => return None,
    };
    let r = match nearest {
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "round_prefer_floor" => {
            if x.fract().abs() == 0.5 {
                x.floor()
            } else {
                x.round()
            }
        }
        "round_prefer_ceil" => (x + 0.5).floor(),
        _ => return None,
    };
    Some(r.clamp(0.0, df - 1.0) as usize)
}

fn f32s(c: &NodeCtx, i: usize) -> Option<Vec<f32>> {
    match c.value(i).ok()? {
        Value::Const(TensorData::F32(a)) => Some(a.iter().copied().collect()),
        _ => None,
    }
}

pub fn convert(c: &mut NodeCtx) -> R {
    let op = c.op().to_string();
    let mode = c.attr_s("mode")?.unwrap_or_else(|| "nearest".into());
    if mode != "nearest" {
        return Err(c.attr_err(
            "mode",
            format!("'{mode}' interpolation is not supported (only nearest, integer scales)"),
        ));
    }
    // Before Resize-11 (and in Upsample) nearest is asymmetric + floor.
    let modern = op == "Resize" && c.opset() >= 11;
    let (coord, nearest) = if modern {
        (
            c.attr_s("coordinate_transformation_mode")?
                .unwrap_or_else(|| "half_pixel".into()),
            c.attr_s("nearest_mode")?
                .unwrap_or_else(|| "round_prefer_floor".into()),
        )
    } else {
        ("asymmetric".to_string(), "floor".to_string())
    };
    if c.attr_ints("axes")?.is_some() {
        return Err(c.attr_err("axes", "a Resize over a subset of axes is not supported"));
    }
    let xs = c.shape(0)?;
    let rank = xs.rank();
    // Scales: Upsample-7's attribute, or the scales input (1 from opset 9/10, 2 from 11), or
    // the sizes input (3) divided by the input's dimensions.
    let scales_input = if modern { 2 } else { 1 };
    let scales: Vec<f64> = if op == "Upsample" && c.opset() < 9 {
        c.attr_floats("scales")?
            .ok_or_else(|| c.attr_err("scales", "missing"))?
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    } else if c.has(scales_input) && f32s(c, scales_input).is_some_and(|v| !v.is_empty()) {
        f32s(c, scales_input)
            .unwrap_or_default()
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    } else if modern && c.has(3) {
        let sizes = c.ints(3)?;
        if sizes.len() != rank {
            return Err(c.shape_err(format!("{} sizes for rank {rank}", sizes.len())));
        }
        let mut v = Vec::with_capacity(rank);
        for (a, &n) in sizes.iter().enumerate() {
            v.push(match xs.dims()[a] {
                Dim::Fixed(d) if d > 0 => n as f64 / d as f64,
                Dim::Batch if a == 0 => n as f64,
                _ => return Err(c.shape_err(format!("axis {a} has no fixed size"))),
            });
        }
        v
    } else {
        return Err(c.unsupported("neither scales nor sizes are given as constants"));
    };
    if scales.len() != rank {
        return Err(c.shape_err(format!("{} scales for rank {rank}", scales.len())));
    }
    let mut x: NodeIndex = c.data(0)?;
    for (a, &s) in scales.iter().enumerate() {
        if s == 1.0 {
            continue;
        }
        if s.fract() != 0.0 || !(2.0..=64.0).contains(&s) || a == 0 {
            return Err(c.unsupported(format!(
                "scale {s} on axis {a}: only integer upscaling (2..=64) of non-batch axes is \
                 supported (each output index reads ⌊i / s⌋)"
            )));
        }
        let s = s as usize;
        let d =
            c.l.graph
                .node(x)
                .shape
                .fixed_dim(a)
                .map_err(|e| c.shape_err(e))?;
        for i in 0..d * s {
            match source_index(&coord, &nearest, i, d, s) {
                Some(k) if k == i / s => {}
                Some(k) => {
                    return Err(c.unsupported(format!(
                        "coordinate_transformation_mode '{coord}' with nearest_mode \
                         '{nearest}' at scale {s} reads index {k} for output {i}, not ⌊i / s⌋ \
                         = {}: not a plain nearest upsampling",
                        i / s
                    )))
                }
                None => {
                    return Err(c.unsupported(format!(
                        "unknown coordinate_transformation_mode '{coord}' or nearest_mode \
                         '{nearest}'"
                    )))
                }
            }
        }
        x = repeat_axis(c, x, a, s)?;
    }
    c.define(Value::Node(x));
    Ok(())
}

/// `x` with every index of axis `a` repeated `s` times in place.
fn repeat_axis(
    c: &mut NodeCtx,
    x: NodeIndex,
    a: usize,
    s: usize,
) -> Result<NodeIndex, crate::error::CompileError> {
    let g = &mut c.l.graph;
    let mut target: Vec<Dim> = g.node(x).shape.dims().to_vec();
    if let Dim::Fixed(d) = target[a] {
        target[a] = Dim::Fixed(d * s);
    }
    let base = format!("{}_axis{a}", c.name);
    let name = g.fresh_name(&format!("{base}_unsqueeze"));
    let u = g.add_node(name.clone(), name, Unsqueeze { axes: vec![a + 1] }, &[x])?;
    let name = g.fresh_name(&format!("{base}_repeat"));
    let copies = vec![u; s];
    let r = g.add_node(name.clone(), name, Concat { axis: a + 1 }, &copies)?;
    let name = g.fresh_name(&format!("{base}_merge"));
    g.add_node(name.clone(), name, Reshape { target }, &[r])
}
