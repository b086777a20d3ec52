//! report.txt: a layer table, then every layer's tensors and kernel types, totals, accuracy and
//! warnings.

use std::fmt::Write;

use serde_json::Value;

use super::{LayerReport, Report};

pub(super) fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model: {} (compiled-model format {})",
        r.model, r.format_version
    );
    let _ = writeln!(s, "precision: {}", r.precision);
    let _ = writeln!(s, "ranges: {}", r.ranges);
    for t in &r.inputs {
        let _ = writeln!(s, "input:  {} {} {}", t.tensor, t.shape, t.ty);
    }
    for t in &r.outputs {
        let _ = writeln!(s, "output: {} {} {}", t.tensor, t.shape, t.ty);
    }
    s.push('\n');
    table(&mut s, &r.layers);
    s.push('\n');
    for l in &r.layers {
        details(&mut s, l);
    }
    let t = &r.totals;
    let _ = writeln!(
        s,
        "total: {} layers, {} params ({} bits), {} MACs per sample, {} tensor(s) saturated (weights \
         and biases, and activations on the calibration data)",
        t.layers, t.params, t.param_bits, t.macs, t.saturated_tensors
    );
    if let Some(h) = &r.hardware {
        let _ = writeln!(s, "\nfolding: {}", h.folding);
        s.push_str(&h.text);
    }
    r.low_rank.render(&mut s);
    if let Some(c) = &r.compression {
        let _ = write!(s, "\n{}", c.lines());
    }
    match &r.accuracy {
        Some(a) => {
            let _ = writeln!(s, "\naccuracy on {} with labels {}:", a.data, a.labels);
            for line in a.lines().lines() {
                let _ = writeln!(s, "  {line}");
            }
            if r.precision.contains("from the model's quantizers") {
                // pipeline::compile measured the float side on load_reference_graph.
                s.push_str(
                    "  (float: the model with its own quantizers applied, as the qonnx executor \
                     and onnxruntime compute it)\n",
                );
            }
        }
        None => {
            s.push_str("\naccuracy: not measured (compile with --calib X.npy --labels L.npy)\n")
        }
    }
    if r.warnings.is_empty() {
        s.push_str("\nwarnings: none\n");
    } else {
        s.push_str("\nwarnings:\n");
        for w in &r.warnings {
            let _ = writeln!(s, "  - {w}");
        }
    }
    s
}

/// One row per layer, columns as wide as their widest cell.
fn table(s: &mut String, layers: &[LayerReport]) {
    let mut rows = vec![[
        "layer",
        "op",
        "kernel",
        "output",
        "type",
        "params",
        "MACs",
        "saturated",
    ]
    .map(String::from)];
    for l in layers {
        rows.push([
            l.name.clone(),
            l.op.clone(),
            l.kernel.clone(),
            l.output.tensor.shape.to_string(),
            l.output.tensor.ty.clone(),
            l.params.to_string(),
            l.macs.to_string(),
            l.saturation
                .as_ref()
                .map_or("-".into(), |v| format!("{}/{}", v.saturated, v.values)),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i >= 5 {
                let _ = write!(line, "{cell:>w$}  ");
            } else {
                let _ = write!(line, "{cell:<w$}  ");
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
}

fn details(s: &mut String, l: &LayerReport) {
    let _ = writeln!(s, "{} ({} → {})", l.name, l.op, l.kernel);
    for t in &l.inputs {
        let _ = writeln!(s, "    in     {} {} {}", t.tensor, t.shape, t.ty);
    }
    for c in &l.constants {
        let sat = if c.saturated > 0 {
            format!(" ({} values saturated)", c.saturated)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "    const  {} {} {}{sat}",
            c.tensor.tensor, c.tensor.shape, c.tensor.ty
        );
    }
    let o = &l.output;
    let _ = writeln!(
        s,
        "    out    {} {} {} (range [{}, {}], {})",
        o.tensor.tensor,
        o.tensor.shape,
        o.tensor.ty,
        o.range.lo,
        o.range.hi,
        serde_json::to_value(o.origin)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    );
    if let Value::Object(map) = &l.types {
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("?");
        let mut parts = Vec::new();
        for (k, v) in map {
            if k == "kind" {
                continue;
            }
            parts.push(format!("{k} {}", describe(v)));
        }
        if parts.is_empty() {
            let _ = writeln!(s, "    kernel {kind}");
        } else {
            let _ = writeln!(s, "    kernel {kind}: {}", parts.join("; "));
        }
    }
}

/// A kernel field for people: types as written, tables and reciprocals summarized.
fn describe(v: &Value) -> String {
    match v {
        Value::String(t) => t.clone(),
        Value::Null => "none".into(),
        Value::Object(m) if m.contains_key("function") => {
            let get = |k: &str| m.get(k).map(describe).unwrap_or_default();
            format!(
                "[{} table: {} entries of {}, index {} (origin raw {}, >> {})]",
                get("function"),
                get("size"),
                get("entry"),
                get("index_type"),
                get("origin_raw"),
                get("shift")
            )
        }
        Value::Object(m) if m.contains_key("divisors") => {
            let get = |k: &str| m.get(k).map(describe).unwrap_or_default();
            let ty = m
                .get("factors")
                .and_then(|f| f.get(0))
                .and_then(|f| f.get("ty"))
                .map(describe)
                .unwrap_or_default();
            match m.get("shift") {
                Some(Value::Number(k)) => format!("[divide by 2^{k}: a shift]"),
                _ => format!("[1/n for n in {} as {ty}]", get("divisors")),
            }
        }
        Value::Object(m) if m.contains_key("raw") => {
            let get = |k: &str| m.get(k).map(describe).unwrap_or_default();
            format!("{} = raw {} of {}", get("value"), get("raw"), get("ty"))
        }
        other => other.to_string(),
    }
}
