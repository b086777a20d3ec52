//! `binpoint verify OUT [--vectors N] [--seed S] [--trace] [--data X.npy] [--stream]
//! [--regenerate]`: builds the emitted HLS C++ (OUT/firmware) and its testbench (OUT/tb) with g++
//! against Xilinx's ap_types headers, runs them on random inputs (plus the samples of X.npy) and compares the raw
//! outputs with the interpreter's, bit for bit. Exit status 0 when every sample matches, 1 otherwise.
//! With `--rtl`: the same for OUT/rtl/ (Verilog) with Verilator, latency included
//! ([`binpoint::emit::rtl::verify`]).

use std::path::PathBuf;
use std::process::ExitCode;

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use clap::Args;

pub const EXAMPLES: &str = "\
Examples:
  binpoint verify out
  binpoint verify out --vectors 5000 --seed 7 --trace
  binpoint verify out --data test_x.npy
  binpoint verify out --rtl --data test_x.npy   (OUT/rtl/ with Verilator; docs/rtl.md)

OUT is a folder written by `binpoint compile` (OUT/model.bpm). OUT/firmware and OUT/tb/tb.cpp are
emitted when missing (--regenerate: always) from the hardware plan compile stored in
OUT/hardware.json (board, clock, interface, every layer's reuse factor). The vectors and the testbench's run go to OUT/verify/;
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

    /// Real inputs to verify on (.npy, the model's input shape or one sample per row), added to
    /// the random vectors: e.g. your test set. (`--calib` is an old name of this flag)
    #[arg(long, value_name = "X.npy", alias = "calib")]
    data: Option<PathBuf>,

    /// Emit OUT/firmware and OUT/tb/tb.cpp again even when they exist
    #[arg(long)]
    regenerate: bool,

    /// Verify OUT/rtl/ (Verilog) with Verilator instead of the C++ with g++: lint, the same
    /// vectors plus edge samples, raw bits and the latency in cycles (docs/rtl.md)
    #[arg(long)]
    rtl: bool,

    /// When emitting: the AXI-Stream top interface instead of m_axi (default: as compile recorded)
    #[arg(long)]
    stream: bool,
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let opts = VerifyOptions {
        vectors: args.vectors,
        seed: args.seed,
        trace: args.trace,
        calib: args.data.clone(),
        cache: None,
        regenerate: args.regenerate,
        stream: args.stream,
    };
    if args.rtl {
        return run_rtl(&args, &opts);
    }
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

fn run_rtl(args: &VerifyArgs, opts: &VerifyOptions) -> anyhow::Result<ExitCode> {
    let r = binpoint::emit::rtl::verify::verify_rtl(&args.out, opts)?;
    if r.emitted {
        eprintln!("emitted {}", args.out.join("rtl").display());
    }
    let build = if r.build.cached {
        "cached build".to_string()
    } else {
        format!("verilator {:.1} s", r.build.seconds)
    };
    eprintln!(
        "{} vectors (5 edge, {} random, seed {}); lint clean; {build}; simulation {:.2} s",
        r.samples, args.vectors, args.seed, r.sim_seconds
    );
    print!("{}", r.output);
    let latency_ok = r.latency_measured == Some(r.latency_stated);
    if !latency_ok {
        println!(
            "latency: OUT/rtl/rtl.json states {} cycles, the simulation measured {:?}",
            r.latency_stated, r.latency_measured
        );
    }
    Ok(if r.failed == 0 && latency_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
