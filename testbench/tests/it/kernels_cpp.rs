//! The twin test: every integer kernel of `runtime/src/ops/` against its C++ header in
//! `hls-templates/kernels/`, compiled with g++ -std=c++14 -Wall -Werror against Xilinx's ap_types.
//! Random shapes, types (W 2..18 for data, every Q/O mode) and raw data; zero mismatches allowed.
//!
//! `BINPOINT_KERNELS_SEED` (decimal or 0x hex), `BINPOINT_KERNELS_PER_OP` (cases per kernel),
//! `BINPOINT_KERNELS_JOBS`, `BINPOINT_KERNELS_OPT`, `BINPOINT_KERNELS_NO_CACHE=1` tune the run.

use std::time::Instant;

use binpoint_testbench::ap_types::target_dir;
use binpoint_testbench::kernels::{self, gen, Options};

const DEFAULT_SEED: u64 = 0x7719_2026;
const DEFAULT_PER_OP: usize = 10;

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[test]
fn kernels_match_their_cpp_twins() {
    let seed = env_u64("BINPOINT_KERNELS_SEED").unwrap_or(DEFAULT_SEED);
    let per_op = env_u64("BINPOINT_KERNELS_PER_OP").map_or(DEFAULT_PER_OP, |v| v.max(1) as usize);
    let start = Instant::now();
    let cases = gen::cases(seed, per_op).unwrap_or_else(|e| panic!("generating cases: {e}"));
    let generated = start.elapsed();
    let report = kernels::run(&cases, &Options::default())
        .unwrap_or_else(|e| panic!("kernel twin run failed: {e}"));
    println!(
        "seed {seed:#x}, {per_op} cases per kernel, generated in {:.2} s",
        generated.as_secs_f64()
    );
    println!("{}", report.summary());
    println!("  total {:.1} s", start.elapsed().as_secs_f64());
    if !report.mismatches.is_empty() {
        let path = target_dir().join("kernel-twin-mismatches.txt");
        // Best effort: the failure message carries the first ones anyway.
        let _ = std::fs::write(&path, report.mismatch_text(usize::MAX));
        panic!(
            "{} mismatches (seed {seed:#x}):\n{}(all in {})",
            report.mismatches.len(),
            report.mismatch_text(20),
            path.display()
        );
    }
    assert_eq!(
        report.per_op.len(),
        gen::ops().len(),
        "{:?}",
        report.per_op.keys()
    );
    assert_eq!(report.cases(), per_op * gen::ops().len());
}
