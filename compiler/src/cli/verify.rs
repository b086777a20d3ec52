//! `binpoint verify OUT [--vectors N] [--seed S] [--trace] [--calib X.npy] [--stream]
//! [--regenerate]`: builds the emitted HLS C++ (OUT/firmware) and its testbench (OUT/tb) with g++
//! against Xilinx's ap_types headers, runs them on random inputs (plus X.npy) and compares the raw
//! outputs with the interpreter's, bit for bit. Exit status 0 when every sample matches, 1 otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::emit::hls::{HlsOptions, Interface};
use clap::Args;

pub const EXAMPLES: &str = "\
Examples:
  binpoint verify out
  binpoint verify out --vectors 5000 --seed 7 --trace
  binpoint verify out --calib train_x.npy

OUT is a folder written by `binpoint compile` (OUT/model.bpm). OUT/firmware and OUT/tb/tb.cpp are
emitted when missing (--regenerate: always), with the board, folding and interface compile recorded
in OUT/report.json. The vectors and the testbench's run go to OUT/verify/;
builds are cached by content (in $BINPOINT_CACHE_DIR, else the workspace's target/ folder, else
~/.cache/binpoint). The ap_types headers come from $AP_TYPES_INCLUDE, $XILINX_HLS/include, or the
hls4ml wheel on PyPI (downloaded once); the compiler is $CXX, else g++.";

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The compiled model's folder (holds model.bpm)
    #[arg(value_name = "OUT")]
    out: PathBuf,

    /// Random input samples (uniform over the input type, a quarter of it, and its extremes)
    #[arg(long, value_name = "N", default_value_t = 1000)]
    vectors: usize,

    /// Seed of the random samples
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,

    /// On a mismatch, rebuild with -DBINPOINT_TRACE and name the first layer that differs
    #[arg(long)]
    trace: bool,

    /// Real-valued inputs (.npy, one sample per row) added to the vectors, e.g. the calibration set
    #[arg(long, value_name = "X.npy")]
    calib: Option<PathBuf>,

    /// Emit OUT/firmware and OUT/tb/tb.cpp again even when they exist
    #[arg(long)]
    regenerate: bool,

    /// When emitting: the AXI-Stream top interface instead of m_axi (default: as compile recorded)
    #[arg(long)]
    stream: bool,
}

/// The board, folding and interface `binpoint compile` recorded in OUT/report.json
/// (`hardware`), so that `--regenerate` emits the firmware compile emitted. Defaults without it.
fn recorded_hls(out: &Path, stream: bool) -> HlsOptions {
    let mut opts = HlsOptions::default();
    let report = std::fs::read_to_string(out.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let hw = report.as_ref().map(|r| &r["hardware"]);
    if let Some(board) = hw.and_then(|h| h["board"].as_str()) {
        opts.board = board.to_string();
    }
    if let Some(reuse) = hw.and_then(|h| h["reuse"].as_object()) {
        opts.reuse.per_layer = reuse
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), usize::try_from(v.as_u64()?).ok()?)))
            .collect();
    }
    let recorded_stream = hw.and_then(|h| h["data_ports"].as_str()) == Some("axi-stream");
    opts.interface = if stream || recorded_stream {
        Interface::Stream
    } else {
        Interface::Mmap
    };
    opts
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let opts = VerifyOptions {
        vectors: args.vectors,
        seed: args.seed,
        trace: args.trace,
        calib: args.calib,
        cache: None,
        regenerate: args.regenerate,
        hls: recorded_hls(&args.out, args.stream),
    };
    let r = verify(&args.out, &opts)?;
    for e in &r.emitted {
        eprintln!("emitted {}", args.out.join(e).display());
    }
    let build = if r.build.cached {
        "cached build".to_string()
    } else {
        format!("g++ {:.1} s", r.build.seconds)
    };
    eprintln!(
        "{} vectors ({} random, seed {}); {build}; testbench {:.2} s",
        r.samples, args.vectors, args.seed, r.tb_seconds
    );
    print!("{}", r.tb_output);
    if let Some(m) = &r.first_mismatch {
        println!(
            "first mismatching layer: {} '{}' ({}, {}) on sample {}: element {} is {}, the \
             interpreter says {}",
            m.index, m.layer, m.op, m.kernel, m.sample, m.element, m.got, m.expected
        );
    } else if let Some(note) = &r.trace_note {
        println!("trace: {note}");
    } else if r.failed > 0 {
        println!("run again with --trace to name the first mismatching layer");
    }
    Ok(if r.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
