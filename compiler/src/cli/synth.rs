//! `binpoint synth OUT`: Yosys on OUT/rtl/ (docs/rtl.md): per-layer and total LUT, FF, CARRY8,
//! DSP and BRAM36 into OUT/report.json (`synth`, Yosys-mapped cells of binpoint's RTL).

use std::path::PathBuf;
use std::process::ExitCode;

use binpoint::emit::rtl::synth::{synth, LABEL};
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
    println!(
        "{LABEL} ({}, {}), {:.1} s:",
        r.tool, r.part_family, r.seconds
    );
    println!(
        "{:>5} {:<32} {:>8} {:>8} {:>8} {:>5} {:>7}",
        "layer", "name", "LUT", "FF", "CARRY8", "DSP", "BRAM36"
    );
    for l in &r.layers {
        let c = &l.cells;
        println!(
            "{:>5} {:<32} {:>8} {:>8} {:>8} {:>5} {:>7}",
            l.index, l.layer, c.lut, c.ff, c.carry8, c.dsp, c.bram36
        );
    }
    let c = &r.total;
    println!(
        "{:>5} {:<32} {:>8} {:>8} {:>8} {:>5} {:>7}",
        "", "total (binpoint_top)", c.lut, c.ff, c.carry8, c.dsp, c.bram36
    );
    Ok(ExitCode::SUCCESS)
}
