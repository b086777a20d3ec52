//! Every op of the fully-parallel RTL (docs/rtl.md) bit-exact in Verilator: the kernel zoo's
//! graphs (`kernel_zoo.rs`: one model reaches every kernel) at 8 bits and with K-hot 2, and a
//! depthwise conv with a residual add at one adder level per stage (the conv's groups take
//! different numbers of cycles, the add's skip input waits in the top's delay registers),
//! emitted as Verilog, linted with `verilator --lint-only -Wall` and verified raw bit for raw bit
//! against the interpreter, latency included. Needs verilator on PATH (`.ci/run` installs it): a
//! missing tool fails the test, it never skips.

use std::collections::BTreeSet;

use binpoint::emit::hls::verify::VerifyOptions;
use binpoint::emit::rtl::verify::verify_rtl;
use binpoint::emit::rtl::{write_rtl_with, Pipeline, RtlOptions};
use binpoint::ir::ops::{Add, Conv, Dense, Flatten, Relu, Window};
use binpoint::ir::{Graph, GraphBuilder};
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate_and_type, PrecisionConfig, Ranges};
use binpoint_runtime::model::Model;

use crate::compile_util::verify_dir;
use crate::kernel_zoo::{configs, with_cast, zoo_1d, zoo_2d_sized};

/// A depthwise conv1d (3 groups, kernel 3, pad 1) added to its own input, ReLU, dense 24 -> 4.
fn depthwise_residual() -> Graph {
    let mut b = GraphBuilder::new("dwres");
    let x = b.input("x", &[0, 3, 8]);
    let w = b.constant_fn("dw_w", &[3, 1, 3], |i| {
        [0.75, -0.3, 0.5, 0.125, 0.9, -0.6, 0.45, -0.2, 0.35][i]
    });
    let cb = b.constant_fn("dw_b", &[3], |i| i as f32 / 8.0 - 0.1);
    let mut win = Window::new(vec![3]);
    win.pads = vec![1, 1];
    let conv = b
        .op(
            "dw",
            Conv {
                window: win,
                group: 3,
            },
            &[x, w, cb],
        )
        .unwrap();
    let sum = b.op("residual", Add, &[x, conv]).unwrap();
    let relu = b.op("relu", Relu, &[sum]).unwrap();
    let flat = b.op("flatten", Flatten { axis: 1 }, &[relu]).unwrap();
    let fw = b.constant_fn("fc_w", &[4, 24], |i| ((i * 37 % 23) as f32 - 11.0) / 40.0);
    let fc = b.op("fc", Dense, &[flat, fw]).unwrap();
    b.output(fc);
    b.finish().unwrap()
}

#[test]
fn every_kernel_of_the_zoo_is_bit_exact_in_verilator() {
    let mut cases = Vec::new();
    let default = RtlOptions::default();
    // The 2-D zoo with 2 conv channels on a 4x4 plane (the kernel zoo has 4 on 6x6: 4.5 times the
    // values, about 5 minutes of Verilator builds; its result is in docs/benchmarks.md).
    for (gname, g) in [("zoo2d", zoo_2d_sized(2, 4)), ("zoo1d", zoo_1d())] {
        for (cname, cfg) in configs() {
            let name = format!("{gname}_{cname}");
            let typed =
                calibrate_and_type(&g, &cfg, Ranges::Propagated(Some((-1.0, 1.0)))).unwrap();
            let proto = lower(&typed, &LowerOptions::default()).unwrap().proto;
            if name == "zoo1d_8bit" {
                cases.push((
                    "zoo1d_cast".to_string(),
                    with_cast(proto.clone()),
                    default.clone(),
                ));
            }
            cases.push((name, proto, default.clone()));
        }
    }
    let cfg = PrecisionConfig::uniform(8).unwrap();
    let typed = calibrate_and_type(
        &depthwise_residual(),
        &cfg,
        Ranges::Propagated(Some((-1.0, 1.0))),
    )
    .unwrap();
    let proto = lower(&typed, &LowerOptions::default()).unwrap().proto;
    let one_level = RtlOptions {
        pipeline: Pipeline {
            levels_per_stage: 1,
        },
        ..RtlOptions::default()
    };
    cases.push(("dwres_1level".to_string(), proto, one_level));
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for (name, proto, opts) in cases {
        let out = verify_dir("rtl-ops", &name, &proto);
        let model = Model::from_proto(&proto).unwrap();
        seen.extend(model.layers().iter().map(|l| l.kernel()));
        let t = std::time::Instant::now();
        let rtl = write_rtl_with(&model, &out, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = verify_rtl(
            &out,
            &VerifyOptions {
                vectors: 300,
                ..VerifyOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let cycles: Vec<u32> = rtl.stages.iter().map(|s| s.cycles).collect();
        if name == "dwres_1level" {
            // The conv is pipelined, and the residual's skip input waits for it in the top.
            let top = &rtl.files[0].1;
            assert!(
                cycles[0] > 1 && top.contains("reg [") && top.contains("d_t_in_"),
                "{top}"
            );
        }
        eprintln!(
            "{name}: stages {cycles:?}, {} passed, {} failed, latency {:?} (stated {}), {:.1} s",
            r.passed,
            r.failed,
            r.latency_measured,
            rtl.latency,
            t.elapsed().as_secs_f64()
        );
        if r.failed != 0 || r.passed == 0 || r.latency_measured != Some(rtl.latency) {
            failures.push(format!("{name}:\n{}", r.output));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("kernels: {seen:?}");
}
