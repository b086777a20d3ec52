//! The IR, its builder, verify(), the dump, the passes and the evaluator on small hand-built graphs.

use crate::frontend_util;

use binpoint::ir::ops::*;
use binpoint::ir::{Dim, GraphBuilder, Op, Shape};
use binpoint::passes::{cleanup, run_pipeline, CleanupOptions};
use binpoint::{eval, inspect, CompileError};
use frontend_util::{close, ramp};
use ndarray::{arr1, ArrayD, IxDyn};

fn window(k: usize, pad: usize) -> Window {
    Window {
        pads: vec![pad; 4],
        ..Window::new(vec![k, k])
    }
}

fn pattern(dims: &[usize], seed: usize) -> ArrayD<f32> {
    let n: usize = dims.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(dims),
        (0..n)
            .map(|i| (((i + seed) * 7919 % 61) as f32 - 30.0) / 40.0)
            .collect(),
    )
    .expect("shape")
}

/// conv -> bn -> relu -> gap -> flatten -> gemm, batch symbolic.
fn small_cnn() -> binpoint::Graph {
    let mut b = GraphBuilder::new("cnn");
    let x = b.input("x", &[0, 2, 6, 6]);
    let w = b.constant("w", pattern(&[4, 2, 3, 3], 1));
    let cb = b.constant("cb", pattern(&[4], 2));
    let conv = b
        .op(
            "conv",
            Conv {
                window: window(3, 1),
                group: 1,
            },
            &[x, w, cb],
        )
        .unwrap();
    let p: Vec<_> = ["g", "beta", "mean"]
        .iter()
        .enumerate()
        .map(|(k, n)| b.constant(n, pattern(&[4], 3 + k)))
        .collect();
    let var = b.constant("var", arr1(&[0.5f32, 1.0, 2.0, 0.25]).into_dyn());
    let bn = b
        .op(
            "bn",
            BatchNorm { epsilon: 1e-5 },
            &[conv, p[0], p[1], p[2], var],
        )
        .unwrap();
    let relu = b.op("relu", Relu, &[bn]).unwrap();
    let gap = b
        .op(
            "gap",
            ReduceMean {
                axes: vec![2, 3],
                keepdims: true,
            },
            &[relu],
        )
        .unwrap();
    let flat = b
        .op(
            "flat",
            Reshape {
                target: vec![Dim::Batch, Dim::Fixed(4)],
            },
            &[gap],
        )
        .unwrap();
    let fw = b.constant("fw", pattern(&[3, 4], 9));
    let fb = b.constant("fb", pattern(&[3], 10));
    let y = b
        .op(
            "fc",
            Gemm {
                trans_b: true,
                ..Gemm::default()
            },
            &[flat, fw, fb],
        )
        .unwrap();
    b.output(y);
    b.finish().unwrap()
}

#[test]
fn builder_shapes_and_dump() {
    let g = small_cnn();
    g.verify().unwrap();
    let fc = g.find("fc").unwrap();
    assert_eq!(g.node(fc).shape, Shape(vec![Dim::Batch, Dim::Fixed(3)]));
    let dump = g.dump();
    assert!(
        dump.starts_with("graph \"cnn\"\n  input %x [N,2,6,6]\n  const %w f32[4,2,3,3]\n"),
        "{dump}"
    );
    assert!(dump.contains("  %conv = Conv(%x, %w, %cb) kernel=[3,3] strides=[1,1] pads=[1,1,1,1] dilations=[1,1] group=1 -> [N,4,6,6]\n"));
    assert!(dump.ends_with("  output \"fc\" = %fc\n"), "{dump}");
    assert_eq!(dump, g.clone().dump(), "dump is stable");
}

#[test]
fn builder_reports_shape_errors_with_node_and_op() {
    let mut b = GraphBuilder::new("bad");
    let x = b.input("x", &[0, 3]);
    let w = b.constant("w", pattern(&[2, 4], 0));
    let e = b.op("fc", Dense, &[x, w]).unwrap_err();
    assert!(
        matches!(&e, CompileError::Shape { node, op, .. } if node == "fc" && op == "Dense"),
        "{e}"
    );
    let mut b = GraphBuilder::new("bad");
    let x = b.input("x", &[0, 3, 4]);
    let e = b
        .op(
            "t",
            Transpose {
                perm: vec![0, 1, 1],
            },
            &[x],
        )
        .unwrap_err();
    assert!(e.to_string().contains("node 't' (Transpose)"), "{e}");
    let mut b = GraphBuilder::new("bad");
    let x = b.input("x", &[0, 3]);
    let e = b
        .op(
            "sm",
            Softmax {
                axis: 0,
                coerce_2d: false,
            },
            &[x],
        )
        .unwrap_err();
    assert!(e.to_string().contains("batch"), "{e}");
}

#[test]
fn cleanup_folds_and_fuses_and_keeps_numbers() {
    let g = small_cnn();
    let x = ramp(&[5, 2, 6, 6]);
    let want = eval::run_f32(&g, &x).unwrap();
    let mut c = g.clone();
    cleanup(&mut c, &CleanupOptions::default()).unwrap();
    let ops: Vec<&str> = c
        .topo_order()
        .unwrap()
        .into_iter()
        .map(|n| c.node(n).op.name())
        .filter(|o| *o != "Const")
        .collect();
    assert_eq!(
        ops,
        [
            "Input",
            "Conv",
            "Relu",
            "GlobalAveragePool",
            "Flatten",
            "Dense"
        ]
    );
    close(&eval::run_f32(&c, &x).unwrap(), &want).unwrap();

    let mut k = g.clone();
    cleanup(
        &mut k,
        &CleanupOptions {
            keep_batch_norm: true,
        },
    )
    .unwrap();
    assert!(k
        .node_indices()
        .iter()
        .any(|&n| matches!(k.node(n).op, Op::Affine(_))));
    close(&eval::run_f32(&k, &x).unwrap(), &want).unwrap();
}

#[test]
fn params_and_macs() {
    let r = inspect::report(&small_cnn());
    assert_eq!(r.totals.params, 72 + 4 + 16 + 12 + 3);
    let conv = r.layers.iter().find(|l| l.name == "conv").unwrap();
    assert_eq!((conv.params, conv.macs), (76, 4 * 36 * 18));
    let fc = r.layers.iter().find(|l| l.name == "fc").unwrap();
    assert_eq!(fc.macs, 12);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["layers"][0]["inputs"][0],
        serde_json::json!(["N", 2, 6, 6])
    );
    assert_eq!(json["totals"]["params"], 107);
}

#[test]
fn shape_chains_collapse_to_one_flatten() {
    let mut b = GraphBuilder::new("chain");
    let x = b.input("x", &[0, 4, 1, 1]);
    let s = b.op("sq", Squeeze { axes: vec![3] }, &[x]).unwrap();
    let u = b.op("unsq", Unsqueeze { axes: vec![1] }, &[s]).unwrap();
    let r = b
        .op(
            "rs",
            Reshape {
                target: vec![Dim::Batch, Dim::Fixed(4)],
            },
            &[u],
        )
        .unwrap();
    let noop = b
        .op(
            "noop",
            Reshape {
                target: vec![Dim::Batch, Dim::Fixed(4)],
            },
            &[r],
        )
        .unwrap();
    let y = b.op("relu", Relu, &[noop]).unwrap();
    b.output(y);
    let mut g = b.finish().unwrap();
    let x = ramp(&[3, 4, 1, 1]);
    let want = eval::run_f32(&g, &x).unwrap();
    run_pipeline(
        &mut g,
        &["canonicalize-shapes", "dead-code"],
        &Default::default(),
    )
    .unwrap();
    let ops: Vec<&str> = g
        .topo_order()
        .unwrap()
        .into_iter()
        .map(|n| g.node(n).op.name())
        .collect();
    assert_eq!(ops, ["Input", "Flatten", "Relu"]);
    assert_eq!(eval::run_f32(&g, &x).unwrap(), want);
}

#[test]
fn matmul_add_becomes_dense_and_constants_fold() {
    let mut b = GraphBuilder::new("mm");
    let x = b.input("x", &[0, 3]);
    let w = b.constant("w", pattern(&[4, 3], 1));
    let wt = b.op("wt", Transpose { perm: vec![1, 0] }, &[w]).unwrap();
    let two = b.constant("two", arr1(&[2.0f32]).into_dyn());
    let w2 = b.op("w2", Mul, &[wt, two]).unwrap();
    let m = b.op("mm", MatMul, &[x, w2]).unwrap();
    let bias = b.constant("bias", pattern(&[4], 2));
    let id = b.op("id", Identity, &[m]).unwrap();
    let y = b.op("add", Add, &[id, bias]).unwrap();
    b.output(y);
    let g = b.finish().unwrap();
    let x = ramp(&[2, 3]);
    let want = eval::run_f32(&g, &x).unwrap();
    let mut c = g.clone();
    cleanup(&mut c, &CleanupOptions::default()).unwrap();
    let ops: Vec<&str> = c
        .topo_order()
        .unwrap()
        .into_iter()
        .map(|n| c.node(n).op.name())
        .collect();
    assert_eq!(ops, ["Input", "Const", "Const", "Dense"]);
    close(&eval::run_f32(&c, &x).unwrap(), &want).unwrap();
}

#[test]
fn batch_of_one_graph_runs_sample_by_sample() {
    let mut b = GraphBuilder::new("b1");
    let x = b.input("x", &[1, 2, 3]);
    let r = b
        .op(
            "r",
            Reshape {
                target: vec![Dim::Fixed(1), Dim::Fixed(6)],
            },
            &[x],
        )
        .unwrap();
    b.output(r);
    let g = b.finish().unwrap();
    let x = ramp(&[4, 2, 3]);
    let y = eval::run_f32(&g, &x).unwrap();
    assert_eq!(y.shape(), &[4, 6]);
    assert_eq!(
        y.iter().copied().collect::<Vec<_>>(),
        x.iter().copied().collect::<Vec<_>>()
    );
}

#[test]
fn softmax_axis_semantics() {
    let x = ramp(&[2, 3, 4]);
    let run = |op: Softmax| {
        let mut b = GraphBuilder::new("sm");
        let i = b.input("x", &[0, 3, 4]);
        let y = b.op("sm", op, &[i]).unwrap();
        b.output(y);
        eval::run_f32(&b.finish().unwrap(), &x).unwrap()
    };
    let per_axis = run(Softmax {
        axis: 1,
        coerce_2d: false,
    });
    let coerced = run(Softmax {
        axis: 1,
        coerce_2d: true,
    });
    let sum = |a: &ArrayD<f32>, idx: &dyn Fn(usize) -> [usize; 3], n: usize| {
        (0..n).map(|t| a[idx(t)]).sum::<f32>()
    };
    assert!((sum(&per_axis, &|t| [0, t, 2], 3) - 1.0).abs() < 1e-6);
    assert!((sum(&coerced, &|t| [1, t / 4, t % 4], 12) - 1.0).abs() < 1e-6);
}
