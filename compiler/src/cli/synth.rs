//! `binpoint synth OUT`: Yosys on OUT/rtl/ (docs/rtl.md): per-layer and total LUT, FF, CARRY8,
//! DSP and BRAM36 into OUT/report.json (`synth`, Yosys-mapped cells of binpoint's RTL).

use std::path::PathBuf;
use std::process::ExitCode;

use binpoint::emit::rtl::synth::{synth, LABEL};
use binpoint::estimate::rtl::{estimate_rtl, LABEL as EST_LABEL};
use clap::Args;

pub const EXAMPLES: &str = "\
Examples:
  binpoint compile model.onnx -o out --bits 8 --calib x.npy --rtl
  binpoint synth out

OUT/rtl/ is emitted when missing. Runs `yosys -p \"read_verilog ...; synth_xilinx -family xcup
-flatten -noiopad -abc9; stat -json\"` once per layer module and once on binpoint_top (minutes
for a whole MLP). These are Yosys's cells, not a Vivado utilization report.";

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The compiled model's folder (holds model.bpm)
    #[arg(value_name = "OUT")]
    out: PathBuf,
}

pub fn run(args: SynthArgs) -> anyhow::Result<ExitCode> {
    let model = binpoint_runtime::model::Model::load(args.out.join("model.bpm"))?;
    if !args.out.join("rtl/rtl.json").is_file() {
        binpoint::emit::rtl::write_rtl(&model, &args.out)?;
        eprintln!("emitted {}", args.out.join("rtl").display());
    }
    let r = synth(&args.out, &model)?;
    let info = binpoint::emit::rtl::read_info(&args.out)?;
    let est = estimate_rtl(&model, &info.options)?;
    // report.json: the estimate beside Yosys's cells (synth wrote `synth`).
    let rp = args.out.join("report.json");
    let mut whole: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rp)?)?;
    if let Some(obj) = whole.as_object_mut() {
        obj.insert("rtl_estimate".into(), serde_json::to_value(&est)?);
    }
    std::fs::write(&rp, serde_json::to_string_pretty(&whole)? + "\n")?;
    println!(
        "{LABEL} ({}, {}), {:.1} s, beside the {}:",
        r.tool, r.part_family, r.seconds, EST_LABEL
    );
    println!(
        "{:>5} {:<28} {:>8} {:>8} {:>8} {:>5} {:>7} | {:>8} {:>8} {:>8}",
        "layer", "name", "LUT", "FF", "CARRY8", "DSP", "BRAM36", "est LUT", "est FF", "est DSP"
    );
    for (l, e) in r.layers.iter().zip(&est.layers) {
        let c = &l.cells;
        println!(
            "{:>5} {:<28} {:>8} {:>8} {:>8} {:>5} {:>7} | {:>8} {:>8} {:>8}",
            l.index,
            l.layer,
            c.lut,
            c.ff,
            c.carry8,
            c.dsp,
            c.bram36,
            e.cost.lut,
            e.cost.ff,
            e.cost.dsp
        );
    }
    let (c, e) = (&r.total, &est.total);
    println!(
        "{:>5} {:<28} {:>8} {:>8} {:>8} {:>5} {:>7} | {:>8} {:>8} {:>8}",
        "", "total (binpoint_top)", c.lut, c.ff, c.carry8, c.dsp, c.bram36, e.lut, e.ff, e.dsp
    );
    println!(
        "latency: {} cycles, a new sample every cycle",
        est.latency_cycles
    );
    Ok(ExitCode::SUCCESS)
}
