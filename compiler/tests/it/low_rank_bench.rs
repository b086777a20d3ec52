//! The low-rank measurement of docs/benchmarks.md (ignored: run it by hand):
//!
//! ```sh
//! cargo test -p binpoint --release --test it low_rank_bench:: -- --ignored --nocapture
//! ```
//!
//! MLP and CNN digits fixtures, calibrated on train_x, measured on test_x with the bit-exact
//! interpreter: MACs of the factorized layers and of the model, fixed-point test accuracy, at 8
//! and 16 bits, for no factorization, energy 0.95 / 0.99, macs=0.5 and tolerance=1 (whose search
//! runs on the labelled training data, as `compile --calib train_x --labels train_y` does).

use std::path::PathBuf;

use binpoint::compress::low_rank::rank::model_macs;
use binpoint::compress::low_rank::tolerance::Score;
use binpoint::compress::low_rank::{for_compile, LowRankSpec};
use binpoint::passes::CleanupOptions;
use binpoint::pipeline::Labelled;
use binpoint::quant::{fit_input, load_npy, PrecisionConfig};
use binpoint_runtime::model::Threads;
use ndarray::ArrayD;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

fn labels(name: &str) -> Vec<i64> {
    let p = fixtures().join("data").join(name);
    ndarray_npy::read_npy::<_, ArrayD<i64>>(&p)
        .map(|a| a.iter().copied().collect())
        .or_else(|_| {
            ndarray_npy::read_npy::<_, ArrayD<i32>>(&p)
                .map(|a| a.iter().map(|&v| v.into()).collect())
        })
        .unwrap()
}

#[test]
#[ignore = "measurement for docs/benchmarks.md; about a minute in release"]
fn low_rank_table() {
    let (train_y, test_y) = (labels("train_y.npy"), labels("test_y.npy"));
    println!(
        "| model | bits | rule | layers | MACs in those layers | model MACs | fixed test acc | delta |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for model in ["mlp/mlp_opset13.onnx", "cnn_bn/cnn_bn_opset13.onnx"] {
        let g =
            binpoint::load_float_graph(fixtures().join(model), &CleanupOptions::default()).unwrap();
        let input = g.inputs()[0];
        let fit = |f: &str| {
            fit_input(
                &g,
                input,
                load_npy(fixtures().join("data").join(f)).unwrap(),
            )
            .unwrap()
        };
        let (train_x, test_x) = (fit("train_x.npy"), fit("test_x.npy"));
        let total = model_macs(&g);
        for bits in [8, 16] {
            let cfg = PrecisionConfig::uniform(bits).unwrap();
            let train = Labelled {
                cfg: &cfg,
                calib: &train_x,
                x: &train_x,
                labels: &train_y,
                threads: Threads::All,
            };
            let test = Labelled {
                cfg: &cfg,
                calib: &train_x,
                x: &test_x,
                labels: &test_y,
                threads: Threads::All,
            };
            let base = test.accuracy(&g).unwrap();
            println!(
                "| {model} | {bits} | none | 0 | - | {total} | {:.2} % | - |",
                100.0 * base
            );
            for spec in ["energy=0.95", "energy=0.99", "macs=0.5", "tolerance=1"] {
                let rule: LowRankSpec = spec.parse().unwrap();
                let mut d = g.clone();
                let (done, search) = for_compile(&mut d, Some(rule), &cfg, Some(&train)).unwrap();
                let acc = test.accuracy(&d).unwrap();
                let (before, after) = done
                    .iter()
                    .fold((0, 0), |(b, a), x| (b + x.macs_before, a + x.macs_after));
                let ranks: Vec<String> = done
                    .iter()
                    .map(|x| format!("{}:{}", x.rank, x.matrix[0].min(x.matrix[1])))
                    .collect();
                let chosen = search
                    .and_then(|s| s.chosen)
                    .map(|c| format!(" (chose {c})"))
                    .unwrap_or_default();
                println!(
                    "| {model} | {bits} | {spec}{chosen} | {} (rank:full {}) | {before} -> {after} ({:.2}x) | {} | {:.2} % | {:+.2} |",
                    done.len(),
                    ranks.join(" "),
                    if after > 0 { before as f64 / after as f64 } else { 1.0 },
                    model_macs(&d),
                    100.0 * acc,
                    100.0 * (acc - base)
                );
            }
        }
    }
}
