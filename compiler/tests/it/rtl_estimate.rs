//! The RTL estimate (`estimate::rtl`, docs/estimator.md "The RTL design") against Yosys's cells of
//! the same Verilog (`synth_xilinx -family xcup -flatten -noiopad -abc9`) on small fixtures of
//! different shapes, widths and modes (three MLPs and a small CNN with a residual add and a max
//! pool): the ratio estimate / Yosys stays in [0.85, 1.35] for LUT and FF (measured 1.05-1.16 and
//! 1.00-1.26, docs/benchmarks.md), and the DSP count is
//! Yosys's. Needs yosys on PATH (`.ci/run` installs it): a missing tool fails, never skips.

use binpoint::emit::rtl::synth::synth_module;
use binpoint::emit::rtl::{write_rtl_with, Pipeline, RtlOptions, TOP};
use binpoint::estimate::rtl::estimate_rtl;
use binpoint::ir::ops::{Add, Conv, Dense, Flatten, MaxPool, Relu, Window};
use binpoint::ir::GraphBuilder;
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{type_graph, Interval, PrecisionConfig, RangeSource};
use binpoint_runtime::model::Model;

use crate::compile_util::verify_dir;

/// Dense `sizes[0] -> sizes[1] -> ...` with ReLU between, seeded weights, typed by `config`.
fn mlp(
    name: &str,
    sizes: &[usize],
    config: &str,
    seed: u64,
) -> binpoint_runtime::model::format::ModelProto {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) % 1000) as f32 / 1000.0 - 0.5
    };
    let mut b = GraphBuilder::new(name);
    let mut x = b.input("x", &[0, sizes[0]]);
    for (k, w) in sizes.windows(2).enumerate() {
        let wv: Vec<f32> = (0..w[0] * w[1]).map(|_| next()).collect();
        let bv: Vec<f32> = (0..w[1]).map(|_| next() / 4.0).collect();
        let wt = b.constant_fn(&format!("w{k}"), &[w[1], w[0]], |i| wv[i]);
        let bt = b.constant_fn(&format!("b{k}"), &[w[1]], |i| bv[i]);
        x = b.op(&format!("fc{k}"), Dense, &[x, wt, bt]).unwrap();
        if k + 2 < sizes.len() {
            x = b.op(&format!("relu{k}"), Relu, &[x]).unwrap();
        }
    }
    b.output(x);
    typed(b, name, config)
}

/// The graph of `b`, typed by `config` by range propagation from [-1, 1], lowered.
fn typed(b: GraphBuilder, name: &str, config: &str) -> binpoint_runtime::model::format::ModelProto {
    let g = b.finish().unwrap();
    let cfg = PrecisionConfig::parse(config, name).unwrap();
    let typed = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    lower(&typed, &LowerOptions::default()).unwrap().proto
}

/// A small 1-D CNN: input 2x6, conv1d 2 -> 2 (kernel 3, pad 1) added to its own input (a
/// residual), ReLU, max pool 2, flatten, dense 6 -> 3: a conv's instances, the add with its
/// skip input's delay registers, the pool's comparisons and selects.
fn cnn(name: &str, config: &str) -> binpoint_runtime::model::format::ModelProto {
    let mut b = GraphBuilder::new(name);
    let x = b.input("x", &[0, 2, 6]);
    let w = b.constant_fn("cw", &[2, 2, 3], |i| {
        [
            0.5, -0.25, 0.75, 0.3, -0.6, 0.125, -0.4, 0.9, 0.2, 0.35, -0.15, 0.6,
        ][i]
    });
    let cb = b.constant_fn("cb", &[2], |i| i as f32 / 8.0 - 0.05);
    let mut win = Window::new(vec![3]);
    win.pads = vec![1, 1];
    let conv = b
        .op(
            "conv",
            Conv {
                window: win,
                group: 1,
            },
            &[x, w, cb],
        )
        .unwrap();
    let sum = b.op("residual", Add, &[x, conv]).unwrap();
    let relu = b.op("relu", Relu, &[sum]).unwrap();
    let mut pw = Window::new(vec![2]);
    pw.strides = vec![2];
    let pool = b.op("pool", MaxPool { window: pw }, &[relu]).unwrap();
    let flat = b.op("flatten", Flatten { axis: 1 }, &[pool]).unwrap();
    let fw = b.constant_fn("fw", &[3, 6], |i| ((i * 37 % 23) as f32 - 11.0) / 24.0);
    let y = b.op("fc", Dense, &[flat, fw]).unwrap();
    b.output(y);
    typed(b, name, config)
}

#[test]
fn the_rtl_estimate_stays_within_the_band_of_yosys() {
    let fixtures = [
        ("est_a", vec![8, 6, 4], "[default]\nbits = 8\n", 1, 3),
        (
            "est_b",
            vec![12, 6],
            "[default]\nbits = 6\nrounding = \"AP_TRN\"\noverflow = \"AP_WRAP\"\n",
            2,
            2,
        ),
        (
            "est_c",
            vec![6, 10],
            "[default]\nbits = 10\nweight_bits = 6\n",
            3,
            4,
        ),
    ];
    let mut rows = Vec::new();
    let designs = fixtures
        .into_iter()
        .map(|(name, sizes, config, seed, levels)| {
            (
                format!("{name} {sizes:?}"),
                mlp(name, &sizes, config, seed),
                levels,
            )
        })
        .chain([(
            "est_cnn conv1d+add+relu+maxpool+dense".to_string(),
            cnn("est_cnn", "[default]\nbits = 8\n"),
            3,
        )]);
    for (name, proto, levels) in designs {
        let name = name.as_str();
        let dir = name.split(' ').next().unwrap_or(name);
        let out = verify_dir("rtl_estimate", dir, &proto);
        let model = Model::from_proto(&proto).unwrap();
        let opts = RtlOptions {
            pipeline: Pipeline {
                levels_per_stage: levels,
            },
            ..RtlOptions::default()
        };
        write_rtl_with(&model, &out, &opts).unwrap();
        let est = estimate_rtl(&model, &opts).unwrap();
        let cells = synth_module(&out, TOP).unwrap();
        assert_eq!(est.total.dsp, cells.dsp, "{name}: DSP");
        rows.push((
            format!("{name} levels/stage {levels}"),
            [(est.total.lut, cells.lut), (est.total.ff, cells.ff)],
        ));
    }
    let text: Vec<String> = rows
        .iter()
        .map(|(n, [l, f])| {
            format!(
                "{n}: LUT est {} / Yosys {} = {:.2}, FF est {} / Yosys {} = {:.2}",
                l.0,
                l.1,
                l.0 as f64 / l.1 as f64,
                f.0,
                f.1,
                f.0 as f64 / f.1 as f64
            )
        })
        .collect();
    let text = text.join("\n");
    eprintln!("{text}");
    for (_, pairs) in &rows {
        for &(e, y) in pairs {
            let r = e as f64 / y as f64;
            assert!(
                (0.85..=1.35).contains(&r),
                "ratio {r:.2} out of [0.85, 1.35]:\n{text}"
            );
        }
    }
}
