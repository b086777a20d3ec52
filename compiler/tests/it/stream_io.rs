//! `io = stream` (the dataflow design, docs/hls-backend.md "Stream designs"): every fixture, every
//! kernel of the zoo graphs and a graph of odd convolution and pooling shapes are compiled as
//! dataflow designs and C-simulated with g++ against the interpreter, bit for bit. Nothing is
//! skipped: a missing g++ or ap_types header fails the test.

use crate::compile_util::*;
use crate::kernel_zoo;

use binpoint::emit::hls::render_firmware;
use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::estimate::estimate_hardware;
use binpoint::hardware::{Io, FILE_NAME};
use binpoint::ir::ops::{AveragePool, Conv, MaxPool, Window};
use binpoint::ir::{Graph, GraphBuilder};
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate_and_type, PrecisionConfig, Ranges};
use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::Model;
use petgraph::stable_graph::NodeIndex;

/// Writes `proto` with its default plan turned into a stream design, checks the firmware is a
/// dataflow, and verifies it on `vectors` random vectors; the failures, if any.
fn verify_stream(name: &str, proto: &ModelProto, vectors: usize) -> Option<String> {
    let out = verify_dir("stream-io", name, proto);
    let model = Model::from_proto(proto).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut hw = hardware(&model);
    hw.io = Io::Stream;
    std::fs::write(out.join(FILE_NAME), hw.to_json()).unwrap();
    let est = estimate_hardware(&model, &hw, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        est.totals.ii >= 1 && est.totals.ii <= est.totals.latency_cycles,
        "{name}"
    );
    let fw = render_firmware(&model, &binpoint::emit::hls::HlsOptions::new(hw))
        .unwrap_or_else(|e| panic!("{name}: firmware: {e}"));
    let top = fw.get("binpoint_top.cpp").unwrap();
    assert!(
        top.contains("BP_PRAGMA(HLS DATAFLOW)"),
        "{name}: no DATAFLOW"
    );
    assert!(
        top.contains("hls::stream<binpoint::word<"),
        "{name}: no streams"
    );
    let r = verify(
        &out,
        &VerifyOptions {
            vectors,
            ..VerifyOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{name}: verify: {e}"));
    (r.failed != 0 || r.passed != vectors as u64).then(|| format!("{name}: {}", r.tb_output))
}

#[test]
fn every_fixture_streams_bit_exact() {
    let mut failures = Vec::new();
    for model in MODELS {
        let g = graph(model, 13, false);
        let calib = inputs(&g, "train_x", 64);
        let proto = lowered(&typed(&g, &calib, 8)).proto;
        failures.extend(verify_stream(model, &proto, 200));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_zoo_kernel_streams_bit_exact() {
    let mut failures = Vec::new();
    for (gname, g) in [
        ("zoo2d", kernel_zoo::zoo_2d()),
        ("zoo1d", kernel_zoo::zoo_1d()),
    ] {
        for (cname, cfg) in kernel_zoo::configs() {
            let proto = typed_proto(&g, &cfg);
            if gname == "zoo1d" && cname == "8bit" {
                failures.extend(verify_stream(
                    "zoo1d_cast",
                    &kernel_zoo::with_cast(proto.clone()),
                    100,
                ));
            }
            failures.extend(verify_stream(&format!("{gname}_{cname}"), &proto, 100));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn typed_proto(g: &Graph, cfg: &PrecisionConfig) -> ModelProto {
    let typed = calibrate_and_type(g, cfg, Ranges::Propagated(Some((-1.0, 1.0))))
        .unwrap_or_else(|e| panic!("typing: {e}"));
    lower(&typed, &LowerOptions::default())
        .unwrap_or_else(|e| panic!("lowering: {e}"))
        .proto
}

fn window(k: [usize; 2], stride: usize, pads: [usize; 4], dilation: usize) -> Window {
    let mut w = Window::new(k.to_vec());
    w.strides = vec![stride, stride];
    w.pads = pads.to_vec();
    w.dilations = vec![dilation, dilation];
    w
}

fn values(seed: usize) -> impl Fn(usize) -> f32 {
    move |i| (((i * 29 + seed * 13) % 19) as f32 - 9.0) / 24.0
}

/// A convolution of `src` ([C_in, ...]) into `cout` channels.
fn conv(
    b: &mut GraphBuilder,
    name: &str,
    src: NodeIndex,
    (cin, cout, group): (usize, usize, usize),
    w: Window,
) -> NodeIndex {
    let k: usize = w.kernel.iter().product();
    let wt = b.constant_fn(
        &format!("{name}_w"),
        &[cout, cin / group, w.kernel[0], w.kernel[1]],
        values(k + cout),
    );
    let bias = b.constant_fn(&format!("{name}_b"), &[cout], values(cout));
    b.op(name, Conv { window: w, group }, &[src, wt, bias])
        .unwrap()
}

/// The line-buffer kernels on odd shapes, as one graph (two inputs, five outputs: the FIFO
/// depths of forks and joins are exercised too): stride 2 with asymmetric padding on an odd
/// plane, groups (depthwise and 2 groups), kernel 1, dilation 2, an input narrower than the
/// kernel (padding covers it), a non-square kernel, max pooling with ceil_mode and average
/// pooling counting the padding.
fn odd_shapes() -> Graph {
    let mut b = GraphBuilder::new("odd_shapes");
    let x = b.input("x", &[0, 4, 7, 5]);
    let narrow = b.input("narrow", &[0, 2, 3, 2]);
    let mut outs = Vec::new();
    let s2 = conv(
        &mut b,
        "stride2",
        x,
        (4, 6, 1),
        window([3, 3], 2, [1, 0, 0, 2], 1),
    );
    outs.push(s2);
    let dw = conv(
        &mut b,
        "depthwise",
        x,
        (4, 4, 4),
        window([3, 3], 1, [1, 1, 1, 1], 1),
    );
    let g2 = conv(
        &mut b,
        "groups2_k1",
        dw,
        (4, 6, 2),
        window([1, 1], 1, [0, 0, 0, 0], 1),
    );
    outs.push(g2);
    let dil = conv(
        &mut b,
        "dilated",
        x,
        (4, 3, 1),
        window([3, 2], 1, [2, 1, 2, 1], 2),
    );
    outs.push(dil);
    let nar = conv(
        &mut b,
        "narrow_conv",
        narrow,
        (2, 3, 1),
        window([3, 3], 1, [1, 1, 1, 1], 1),
    );
    outs.push(nar);
    let mut mp = window([2, 2], 2, [0, 0, 0, 0], 1);
    mp.ceil_mode = true;
    let pool = b
        .op("maxpool_ceil", MaxPool { window: mp }, &[dil])
        .unwrap();
    let ap = b
        .op(
            "avgpool_pad",
            AveragePool {
                window: window([3, 3], 2, [1, 1, 1, 1], 1),
                count_include_pad: true,
            },
            &[pool],
        )
        .unwrap();
    outs.push(ap);
    for o in outs {
        b.output(o);
    }
    b.finish().unwrap()
}

#[test]
fn line_buffer_kernels_on_odd_shapes_are_bit_exact() {
    let proto = typed_proto(&odd_shapes(), &PrecisionConfig::uniform(8).unwrap());
    let failures: Vec<String> = verify_stream("odd_shapes", &proto, 200)
        .into_iter()
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
