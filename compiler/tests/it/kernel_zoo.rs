//! Every kernel of the one table (`binpoint_runtime::ops::KERNELS`) has all its pieces: small
//! builder graphs that together run every kernel go through the whole pipeline (typing,
//! lowering, the interpreter's loader, the hardware plan, the estimator, both emitters), and the
//! C-simulation of the emitted firmware matches the interpreter bit for bit. A kernel added to
//! the table without being reachable here, or missing its lowering, Rust op, header, estimator
//! rule or an emitter, fails this test. (The twin test in the testbench checks its side.)

use crate::compile_util;

use std::collections::BTreeSet;

use binpoint::emit::hls::verify::{verify, VerifyOptions};
use binpoint::emit::hls::{render_firmware, static_header};
use binpoint::emit::sim::{render_sim_crate, SimOptions};
use binpoint::estimate::estimate_hardware;
use binpoint::ir::ops::{
    Add, Affine, AveragePool, Clip, Concat, Conv, Dense, Flatten, GlobalAveragePool, GlobalMaxPool,
    HardSigmoid, HardSwish, LeakyRelu, MaxPool, Mul, Pad, Relu, Sigmoid, Softmax, Sub, Tanh,
    Transpose, Window,
};
use binpoint::ir::{Graph, GraphBuilder};
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate_and_type, PrecisionConfig, Ranges};
use binpoint_runtime::model::format::{
    layer::Kernel as LayerKernel, CastProto, ModelProto, OverflowProto, RoundingProto,
};
use binpoint_runtime::model::Model;
use binpoint_runtime::ops::{Family, KERNELS};
use compile_util::*;

fn window(k: usize, stride: usize, pad: usize) -> Window {
    let mut w = Window::new(vec![k, k]);
    w.strides = vec![stride, stride];
    w.pads = vec![pad; 4];
    w
}

fn values(n: usize, seed: usize) -> impl Fn(usize) -> f32 {
    move |i| (((i * 37 + seed * 11) % 23) as f32 - 11.0) / (16.0 + n as f32)
}

/// A 2-D graph with every element-wise, pooling, table and data-movement kernel.
pub(crate) fn zoo_2d() -> Graph {
    zoo_2d_sized(4, 6)
}

/// [`zoo_2d`] with `channels` conv outputs on a `side × side` plane (even): the RTL test builds
/// a smaller one.
pub(crate) fn zoo_2d_sized(channels: usize, side: usize) -> Graph {
    let mut b = GraphBuilder::new("zoo2d");
    let x = b.input("x", &[0, 2, side, side]);
    let w = b.constant_fn("conv_w", &[channels, 2, 3, 3], values(18, 1));
    let cb = b.constant_fn("conv_b", &[channels], values(channels, 2));
    let conv = b
        .op(
            "conv",
            Conv {
                window: window(3, 1, 1),
                group: 1,
            },
            &[x, w, cb],
        )
        .unwrap();
    let s = b.constant_fn("bn_scale", &[channels], |i| 0.5 + i as f32 / 8.0);
    let t = b.constant_fn("bn_shift", &[channels], |i| i as f32 / 16.0 - 0.1);
    let bn = b.op("bn", Affine, &[conv, s, t]).unwrap();
    let relu = b.op("relu", Relu, &[bn]).unwrap();
    let clip = b
        .op(
            "clip",
            Clip {
                min: -0.5,
                max: 0.75,
            },
            &[bn],
        )
        .unwrap();
    let leaky = b.op("leaky", LeakyRelu { alpha: 0.125 }, &[bn]).unwrap();
    let hsig = b
        .op(
            "hsig",
            HardSigmoid {
                alpha: 0.2,
                beta: 0.5,
            },
            &[bn],
        )
        .unwrap();
    let hswish = b.op("hswish", HardSwish, &[bn]).unwrap();
    let sig = b.op("sig", Sigmoid, &[bn]).unwrap();
    let tanh = b.op("tanh", Tanh, &[bn]).unwrap();
    let add = b.op("add", Add, &[relu, clip]).unwrap();
    let sub = b.op("sub", Sub, &[leaky, hsig]).unwrap();
    let mul = b.op("mul", Mul, &[hswish, sig]).unwrap();
    let sum = b.op("sum", Add, &[add, sub]).unwrap();
    let sum = b.op("sum2", Add, &[sum, mul]).unwrap();
    let sum = b.op("sum3", Add, &[sum, tanh]).unwrap();
    let mp = b
        .op(
            "maxpool",
            MaxPool {
                window: window(2, 2, 0),
            },
            &[sum],
        )
        .unwrap();
    let ap = b
        .op(
            "avgpool",
            AveragePool {
                window: window(2, 2, 0),
                count_include_pad: false,
            },
            &[sum],
        )
        .unwrap();
    let tr = b
        .op(
            "transpose",
            Transpose {
                perm: vec![0, 1, 3, 2],
            },
            &[ap],
        )
        .unwrap();
    let cat = b.op("concat", Concat { axis: 1 }, &[mp, tr]).unwrap();
    let pad = b
        .op(
            "pad",
            Pad {
                pads: vec![0, 0, 1, 1, 0, 0, 1, 1],
                value: 0.0,
            },
            &[cat],
        )
        .unwrap();
    let gmp = b.op("gmaxpool", GlobalMaxPool, &[pad]).unwrap();
    let gap = b
        .op("gavgpool", GlobalAveragePool { eigen_order: false }, &[pad])
        .unwrap();
    let both = b.op("both", Add, &[gmp, gap]).unwrap();
    let flat = b.op("flatten", Flatten { axis: 1 }, &[both]).unwrap();
    let dw = b.constant_fn("fc_w", &[5, 2 * channels], values(2 * channels, 3));
    let db = b.constant_fn("fc_b", &[5], values(5, 4));
    let fc = b.op("fc", Dense, &[flat, dw, db]).unwrap();
    let y = b
        .op(
            "softmax",
            Softmax {
                axis: 1,
                coerce_2d: false,
            },
            &[fc],
        )
        .unwrap();
    b.output(y);
    b.finish().unwrap()
}

/// A 1-D convolution.
pub(crate) fn zoo_1d() -> Graph {
    let mut b = GraphBuilder::new("zoo1d");
    let x = b.input("x", &[0, 2, 9]);
    let w = b.constant_fn("conv_w", &[3, 2, 3], values(6, 5));
    let cb = b.constant_fn("conv_b", &[3], values(3, 6));
    let mut win = Window::new(vec![3]);
    win.pads = vec![1, 1];
    let conv = b
        .op(
            "conv1d",
            Conv {
                window: win,
                group: 1,
            },
            &[x, w, cb],
        )
        .unwrap();
    let relu = b.op("relu", Relu, &[conv]).unwrap();
    let flat = b.op("flatten", Flatten { axis: 1 }, &[relu]).unwrap();
    let dw = b.constant_fn("fc_w", &[4, 27], values(27, 7));
    let fc = b.op("fc", Dense, &[flat, dw]).unwrap();
    b.output(fc);
    b.finish().unwrap()
}

/// The configs each graph is compiled with: 8 bits, and K-hot (the shift-add kernels).
pub(crate) fn configs() -> Vec<(&'static str, PrecisionConfig)> {
    let plain = PrecisionConfig::uniform(8).unwrap();
    let mut khot = PrecisionConfig::uniform(8).unwrap();
    khot.set_default_khot(2).unwrap();
    vec![("8bit", plain), ("khot2", khot)]
}

/// The `cast` kernel: the format, the loader, both emitters and the estimator handle it, but no
/// lowering writes it today (typing's casts become the kernels' own output casts). So it is made
/// by hand: the 1-D zoo with its flatten (a view) turned into a cast to a narrower, rounding and
/// saturating type.
pub(crate) fn with_cast(mut proto: ModelProto) -> ModelProto {
    let layer = proto
        .layers
        .iter_mut()
        .find(|l| matches!(l.kernel, Some(LayerKernel::View(_))))
        .expect("the 1-D zoo has a view");
    layer.kernel = Some(LayerKernel::Cast(CastProto {}));
    let out = &mut proto.tensors[layer.output as usize];
    let ty = out.ty.as_mut().unwrap();
    ty.width -= 2;
    ty.int_bits -= 1;
    ty.rounding = RoundingProto::RndConv as i32;
    ty.overflow = OverflowProto::Sat as i32;
    proto
}

#[test]
fn every_kernel_runs_through_every_backend_and_verifies() {
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    for (gname, g) in [("zoo2d", zoo_2d()), ("zoo1d", zoo_1d())] {
        for (cname, cfg) in configs() {
            let name = format!("{gname}_{cname}");
            let typed = calibrate_and_type(&g, &cfg, Ranges::Propagated(Some((-1.0, 1.0))))
                .unwrap_or_else(|e| panic!("{name}: typing: {e}"));
            let proto = lower(&typed, &LowerOptions::default())
                .unwrap_or_else(|e| panic!("{name}: lowering: {e}"))
                .proto;
            if name == "zoo1d_8bit" {
                cases.push(("zoo1d_cast".to_string(), with_cast(proto.clone())));
            }
            cases.push((name, proto));
        }
    }
    for (name, proto) in cases {
        {
            let model =
                Model::from_proto(&proto).unwrap_or_else(|e| panic!("{name}: loading: {e}"));
            seen.extend(model.layers().iter().map(|l| l.kernel()));
            let hw = hardware(&model);
            estimate_hardware(&model, &hw, None)
                .unwrap_or_else(|e| panic!("{name}: estimate: {e}"));
            render_sim_crate(
                &model,
                &SimOptions::new(binpoint::emit::sim::default_runtime_path()),
                "../runtime",
            )
            .unwrap_or_else(|e| panic!("{name}: simulator crate: {e}"));
            let fw = render_firmware(&model, &binpoint::emit::hls::HlsOptions::new(hw.clone()))
                .unwrap_or_else(|e| panic!("{name}: firmware: {e}"));
            // A view aliases its input's buffer: no code, no header.
            for l in model.layers().iter().filter(|l| l.kernel() != "view") {
                let header = binpoint_runtime::ops::kernel(l.kernel()).unwrap().header;
                assert!(fw.get(header).is_some(), "{name}: {header} not shipped");
            }
            // Bit-exact: C-simulation of the firmware against the interpreter.
            let out = verify_dir("kernel-zoo", &name, &proto);
            let r = verify(
                &out,
                &VerifyOptions {
                    vectors: 300,
                    ..VerifyOptions::default()
                },
            )
            .unwrap_or_else(|e| panic!("{name}: verify: {e}"));
            if r.failed != 0 || r.passed == 0 {
                failures.push(format!("{name}: {}", r.tb_output));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let all: BTreeSet<&str> = KERNELS.iter().map(|k| k.stem).collect();
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "kernels no zoo graph reaches (add them to kernel_zoo.rs): {missing:?}"
    );
}

#[test]
fn every_kernel_has_its_files() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let ops_mod = std::fs::read_to_string(root.join("runtime/src/ops/mod.rs")).unwrap();
    for k in KERNELS {
        assert!(
            static_header(k.header).is_some(),
            "{}: the HLS emitter does not ship {}",
            k.stem,
            k.header
        );
        let family = k.family.file();
        for dir in [
            "compiler/src/lower",
            "compiler/src/emit/hls",
            "compiler/src/emit/sim",
        ] {
            assert!(
                root.join(dir).join(format!("{family}.rs")).is_file(),
                "{}: {dir}/{family}.rs",
                k.stem
            );
        }
        if k.family != Family::Movement {
            assert!(
                root.join(format!("runtime/src/ops/{}.rs", k.stem))
                    .is_file(),
                "{}: runtime/src/ops/{}.rs",
                k.stem,
                k.stem
            );
            assert!(
                ops_mod.contains(&format!("pub mod {};", k.stem)),
                "{}: not declared in runtime/src/ops/mod.rs",
                k.stem
            );
            assert!(
                root.join("hls-templates/kernels").join(k.header).is_file(),
                "{}: hls-templates/kernels/{}",
                k.stem,
                k.header
            );
        }
    }
}
