//! `bench-sim MODEL.bpm INPUT.npy [--threads N] [--min-seconds S]`: inferences per second of the
//! bit-exact interpreter on a batch of inputs (float32 values, quantized once outside the timing).
//! Prints one line `sim_inf_per_s=<x> batch=<n> threads=<t>` for scripts
//! (testbench/bench/sim_vs_ort.sh reads it).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use binpoint_runtime::model::{Model, Threads};
use ndarray::ArrayD;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut threads, mut min_seconds) = (1usize, 2.0f64);
    let mut positional = vec![];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--threads" => threads = parse(it.next(), "--threads")?,
            "--min-seconds" => min_seconds = parse(it.next(), "--min-seconds")?,
            _ => positional.push(a.clone()),
        }
    }
    let [model, input] = positional.as_slice() else {
        return Err("usage: bench-sim MODEL.bpm INPUT.npy [--threads N] [--min-seconds S]".into());
    };
    let model = Model::load(model).map_err(|e| format!("{model}: {e}"))?;
    let x: ArrayD<f32> = ndarray_npy::read_npy(input).map_err(|e| format!("{input}: {e}"))?;
    let batch = x.shape().first().copied().unwrap_or(0);
    if batch == 0 {
        return Err(format!("{input}: empty batch"));
    }
    let values: Vec<f32> = x.iter().copied().collect();
    let id = model.inputs()[0];
    let raw = model.quantize(id, &values).map_err(|e| e.to_string())?;
    let threads = Threads::from_count(threads);

    // One warm-up run, then whole batches until the time is spent.
    model
        .run_raw(&[&raw], batch, threads)
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < Duration::from_secs_f64(min_seconds) {
        let out = model
            .run_raw(&[&raw], batch, threads)
            .map_err(|e| e.to_string())?;
        std::hint::black_box(out);
        runs += 1;
    }
    let per_s = (runs as f64 * batch as f64) / start.elapsed().as_secs_f64();
    println!("sim_inf_per_s={per_s:.1} batch={batch} threads={threads:?}");
    Ok(())
}

fn parse<T: std::str::FromStr>(v: Option<&String>, flag: &str) -> Result<T, String> {
    v.and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{flag} needs a number"))
}
