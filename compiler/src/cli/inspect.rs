//! `binpoint inspect MODEL [--json] [--dump-ir] [--keep-batch-norm]`: what the model file holds.
//!
//! The layer table is the graph as loaded, before cleanup, so its parameters are the ones the ONNX
//! file stores (weights, biases, BatchNorm tensors; not shape constants). Cleanup still runs, so a
//! model that inspects without error is one the frontend accepts; `--dump-ir` prints its result.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use binpoint::inspect::InspectReport;
use binpoint::passes::{cleanup, CleanupOptions};
use binpoint::{inspect, onnx};
use clap::Args;
use serde::Serialize;

pub const EXAMPLES: &str = "\
Examples:
  binpoint inspect model.onnx
  binpoint inspect model.onnx --json | jq .totals
  binpoint inspect model.onnx --dump-ir --keep-batch-norm

Columns: layer (ONNX node name), op, input shapes (data inputs only), output shape, params (elements
of the layer's float constant inputs) and MACs per sample (per run of the batch when the input
declares a fixed batch above 1), on the graph as the file declares it (before cleanup: `compile`
reports the cleaned-up graph). N is the batch dimension.";

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The ONNX model file
    #[arg(value_name = "MODEL")]
    model: PathBuf,

    /// Print the report as JSON: {"model", "layers": [{"name", "op", "inputs", "output", "params",
    /// "macs"}], "totals": {"params", "stored_params", "macs", "layers"}}; with --dump-ir it also
    /// has "ir", the dump as one string
    #[arg(long)]
    json: bool,

    /// Also print the IR after the cleanup passes (constant folding, Dense fusion, BatchNorm
    /// folding, ...), in the stable text form used by the golden tests
    #[arg(long)]
    dump_ir: bool,

    /// Cleanup keeps BatchNorm as its own element-wise affine layer instead of folding it into the
    /// Conv/Dense before it (visible with --dump-ir)
    #[arg(long)]
    keep_batch_norm: bool,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let loaded = onnx::load_file(&args.model)?;
    let report = inspect::report(&loaded);
    let mut cleaned = loaded;
    cleanup(
        &mut cleaned,
        &CleanupOptions {
            keep_batch_norm: args.keep_batch_norm,
        },
    )?;
    let ir = args.dump_ir.then(|| cleaned.dump());

    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let json = JsonReport {
            report: &report,
            ir: ir.as_deref(),
        };
        serde_json::to_writer_pretty(&mut out, &json).context("writing the JSON report")?;
        writeln!(out)?;
    } else {
        write!(out, "{}", table(&report))?;
        if report.totals.stored_params != report.totals.params {
            writeln!(
                out,
                "({} distinct parameter elements: some layers share a tensor)",
                report.totals.stored_params
            )?;
        }
        if let Some(ir) = ir {
            writeln!(out, "\nIR after cleanup:")?;
            write!(out, "{ir}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--json`: the library's report, plus the IR dump when asked for.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a InspectReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    ir: Option<&'a str>,
}

/// The report as aligned columns, each as wide as its widest cell, and a totals line.
fn table(report: &InspectReport) -> String {
    let mut rows = vec![["layer", "op", "input", "output", "params", "MACs"].map(String::from)];
    for l in &report.layers {
        let inputs: Vec<String> = l.inputs.iter().map(|s| s.to_string()).collect();
        rows.push([
            l.name.clone(),
            l.op.clone(),
            inputs.join(" "),
            l.output.to_string(),
            l.params.to_string(),
            l.macs.to_string(),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let [w0, w1, w2, w3, w4, w5] = widths;
    let mut text = format!("model: {}\n", report.model);
    for [name, op, input, output, params, macs] in &rows {
        text += &format!(
            "{name:<w0$}  {op:<w1$}  {input:<w2$}  {output:<w3$}  {params:>w4$}  {macs:>w5$}\n"
        );
    }
    let t = &report.totals;
    text += &t.line();
    text.push('\n');
    text
}
