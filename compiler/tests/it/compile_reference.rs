//! The interpreter against a slow reference: the typed graph evaluated one value at a time with
//! `Fixed` (the port of the `ap_fixed` header), written from docs/precision.md's kernel semantics
//! and independent of the lowering and of the integer kernels: `acc = bias; acc = acc + x·w` cast
//! into the accumulator type, one output cast; exact `+ - *` with the header's result types; tables
//! indexed as `LutSpec` says. Every layer's raw output of the interpreter's trace must be equal,
//! for every fixture at 16 and 8 bits, calibrated and propagated, BatchNorm folded and kept.

use crate::compile_util;

use binpoint::ir::ops::Window;
use binpoint::ir::{Graph, Op};
use binpoint::quant::{
    propagation_range, type_graph, Kernel, PrecisionConfig, RangeSource, TypedGraph,
};
use binpoint_runtime::{Fixed, FixedType, Overflow};
use compile_util::*;
use petgraph::stable_graph::NodeIndex;
use std::collections::BTreeMap;

/// One tensor of the reference: its full shape (batch 1 for data tensors) and values.
#[derive(Clone, Debug)]
struct T {
    dims: Vec<usize>,
    v: Vec<Fixed>,
}

fn fx(r: Result<Fixed, binpoint_runtime::FixedError>) -> Fixed {
    r.expect("exact arithmetic stays within 128 bits")
}

fn zero(ty: FixedType) -> Fixed {
    Fixed::from_raw(0, ty).unwrap()
}

/// Index of `out_idx` (full output index) in an operand of `dims`, numpy broadcasting.
fn broadcast_index(out_dims: &[usize], out_idx: usize, dims: &[usize]) -> usize {
    let mut rest = out_idx;
    let mut coords = vec![0; out_dims.len()];
    for a in (0..out_dims.len()).rev() {
        coords[a] = rest % out_dims[a];
        rest /= out_dims[a];
    }
    let off = out_dims.len() - dims.len();
    let mut i = 0;
    for (a, &d) in dims.iter().enumerate() {
        let c = if d == 1 { 0 } else { coords[a + off] };
        i = i * d + c;
    }
    i
}

/// The reference evaluation of one sample: every node's values.
fn reference(t: &TypedGraph, x: &[f32]) -> BTreeMap<NodeIndex, T> {
    let g: &Graph = &t.graph;
    let mut vals: BTreeMap<NodeIndex, T> = BTreeMap::new();
    for (n, layer) in t.ordered() {
        let node = g.node(n);
        let out_ty = layer.output.ty;
        let ins = g.inputs_of(n);
        let arg = |k: usize| &vals[&ins[k]];
        let mut dims: Vec<usize> = node.shape.dims().iter().map(|d| d.concrete(1)).collect();
        let v: Vec<Fixed> = match (&node.op, &layer.kernel) {
            (Op::Input(_), _) => x
                .iter()
                .map(|&v| Fixed::from_f64(f64::from(v), out_ty).unwrap())
                .collect(),
            (Op::Const(_), _) => {
                let raw = t.raw_const(n).unwrap();
                dims = raw.shape().to_vec();
                raw.iter()
                    .map(|&r| Fixed::from_raw(r, out_ty).unwrap())
                    .collect()
            }
            (Op::Dense(_), Kernel::Mac { accum, .. }) => {
                let (x, w) = (arg(0), arg(1));
                let (n_out, n_in) = (w.dims[0], w.dims[1]);
                (0..n_out)
                    .map(|o| {
                        let mut acc = ins
                            .get(2)
                            .map_or(zero(*accum), |_| arg(2).v[o].cast(*accum));
                        for i in 0..n_in {
                            acc = fx(acc.add(&fx(x.v[i].mul(&w.v[o * n_in + i])))).cast(*accum);
                        }
                        acc.cast(out_ty)
                    })
                    .collect()
            }
            (Op::Conv(c), Kernel::Mac { accum, .. }) => conv(
                arg(0),
                arg(1),
                ins.get(2).map(|_| arg(2)),
                &c.window,
                c.group,
                *accum,
                out_ty,
                &dims,
            ),
            (Op::Affine(_), _) => {
                let (x, s, b) = (arg(0), arg(1), arg(2));
                let c = x.dims[1];
                let size = x.v.len() / c;
                (0..x.v.len())
                    .map(|i| {
                        let ch = i / size;
                        fx(fx(x.v[i].mul(&s.v[ch])).add(&b.v[ch])).cast(out_ty)
                    })
                    .collect()
            }
            (Op::Add(_) | Op::Sub(_) | Op::Mul(_), _) => {
                let (a, b) = (arg(0), arg(1));
                (0..dims.iter().product())
                    .map(|i| {
                        let p = &a.v[broadcast_index(&dims, i, &a.dims)];
                        let q = &b.v[broadcast_index(&dims, i, &b.dims)];
                        fx(match node.op {
                            Op::Add(_) => p.add(q),
                            Op::Sub(_) => p.sub(q),
                            _ => p.mul(q),
                        })
                        .cast(out_ty)
                    })
                    .collect()
            }
            (Op::Div(_), Kernel::Scale { factor_type, .. }) => {
                let a = arg(0);
                let c = g.const_data(ins[1]).unwrap().to_f32();
                let cdims = c.shape().to_vec();
                let cv: Vec<f32> = c.iter().copied().collect();
                (0..dims.iter().product())
                    .map(|i| {
                        let f = Fixed::from_f64(
                            1.0 / f64::from(cv[broadcast_index(&dims, i, &cdims)]),
                            *factor_type,
                        )
                        .unwrap();
                        fx(a.v[broadcast_index(&dims, i, &a.dims)].mul(&f)).cast(out_ty)
                    })
                    .collect()
            }
            (Op::Relu(_), _) => arg(0)
                .v
                .iter()
                .map(|x| {
                    if x.raw() > 0 {
                        x.cast(out_ty)
                    } else {
                        zero(out_ty)
                    }
                })
                .collect(),
            (Op::Clip(c), _) => {
                let x = arg(0);
                let in_ty = x.v[0].ty();
                let bound = in_ty
                    .with_modes(in_ty.rounding(), Overflow::Sat, 0)
                    .unwrap();
                let b = |v: f32| Fixed::from_f64(f64::from(v).clamp(-1e300, 1e300), bound).unwrap();
                let (lo, hi) = (b(c.min), b(c.max));
                x.v.iter()
                    .map(|v| {
                        if v.raw() < lo.raw() {
                            lo.cast(out_ty)
                        } else if v.raw() > hi.raw() {
                            hi.cast(out_ty)
                        } else {
                            v.cast(out_ty)
                        }
                    })
                    .collect()
            }
            (Op::LeakyRelu(_), Kernel::LeakyRelu { alpha, .. }) => {
                let a = Fixed::from_raw(alpha.raw.into(), alpha.ty).unwrap();
                arg(0)
                    .v
                    .iter()
                    .map(|x| {
                        if x.raw() < 0 {
                            fx(x.mul(&a)).cast(out_ty)
                        } else {
                            x.cast(out_ty)
                        }
                    })
                    .collect()
            }
            (Op::HardSigmoid(_), Kernel::HardSigmoid { alpha, beta, .. })
            | (Op::HardSwish(_), Kernel::HardSwish { alpha, beta, .. }) => {
                let a = Fixed::from_raw(alpha.raw.into(), alpha.ty).unwrap();
                let b = Fixed::from_raw(beta.raw.into(), beta.ty).unwrap();
                let swish = matches!(node.op, Op::HardSwish(_));
                let one = Fixed::from_raw(1, FixedType::unsigned(1, 1).unwrap()).unwrap();
                arg(0)
                    .v
                    .iter()
                    .map(|x| {
                        let t = fx(fx(x.mul(&a)).add(&b));
                        let gate = if t.raw() <= 0 {
                            0.0
                        } else if fx(t.sub(&one)).raw() >= 0 {
                            1.0
                        } else {
                            f64::NAN
                        };
                        if gate.is_nan() {
                            if swish {
                                fx(x.mul(&t)).cast(out_ty)
                            } else {
                                t.cast(out_ty)
                            }
                        } else if swish {
                            if gate == 0.0 {
                                zero(out_ty)
                            } else {
                                x.cast(out_ty)
                            }
                        } else {
                            Fixed::from_f64(gate, out_ty).unwrap()
                        }
                    })
                    .collect()
            }
            (Op::MaxPool(p), _) => pool(arg(0), &p.window, &dims, |xs, _| {
                xs.iter().max_by_key(|f| f.raw()).unwrap().cast(out_ty)
            }),
            (
                Op::AveragePool(p),
                Kernel::Pool {
                    sum, reciprocal, ..
                },
            ) => pool_avg(
                arg(0),
                &p.window,
                p.count_include_pad,
                &dims,
                *sum,
                reciprocal,
                out_ty,
            ),
            (
                Op::GlobalAveragePool(_) | Op::ReduceMean(_),
                Kernel::Pool {
                    sum, reciprocal, ..
                },
            ) => {
                let x = arg(0);
                let c = x.dims[1];
                let size = x.v.len() / c;
                let f = &reciprocal.factors[0];
                let f = Fixed::from_raw(f.raw.into(), f.ty).unwrap();
                (0..c)
                    .map(|ch| {
                        let s = x.v[ch * size..(ch + 1) * size]
                            .iter()
                            .fold(zero(*sum), |acc, v| fx(acc.add(v)).cast(*sum));
                        fx(s.mul(&f)).cast(out_ty)
                    })
                    .collect()
            }
            (Op::GlobalMaxPool(_), _) => {
                let x = arg(0);
                let c = x.dims[1];
                let size = x.v.len() / c;
                (0..c)
                    .map(|ch| {
                        x.v[ch * size..(ch + 1) * size]
                            .iter()
                            .max_by_key(|f| f.raw())
                            .unwrap()
                            .cast(out_ty)
                    })
                    .collect()
            }
            (
                Op::Flatten(_)
                | Op::Reshape(_)
                | Op::Squeeze(_)
                | Op::Unsqueeze(_)
                | Op::Identity(_)
                | Op::Dropout(_),
                _,
            ) => arg(0).v.clone(),
            (Op::Transpose(tr), _) => {
                let x = arg(0);
                let in_strides = strides(&x.dims);
                (0..dims.iter().product())
                    .map(|i| {
                        let idx = unravel(i, &dims);
                        let at: usize = idx
                            .iter()
                            .zip(&tr.perm)
                            .map(|(&c, &p)| c * in_strides[p])
                            .sum();
                        x.v[at]
                    })
                    .collect()
            }
            (Op::Pad(p), _) => {
                let x = arg(0);
                let r = x.dims.len();
                let fill = Fixed::from_f64(f64::from(p.value), out_ty).unwrap();
                let in_strides = strides(&x.dims);
                (0..dims.iter().product())
                    .map(|i| {
                        let idx = unravel(i, &dims);
                        let mut at = 0;
                        for a in 0..r {
                            let c = idx[a] as isize - p.pads[a] as isize;
                            if c < 0 || c as usize >= x.dims[a] {
                                return fill;
                            }
                            at += c as usize * in_strides[a];
                        }
                        x.v[at]
                    })
                    .collect()
            }
            (Op::Concat(c), _) => {
                let outer: usize = dims[..c.axis].iter().product();
                let mut y = Vec::new();
                for o in 0..outer {
                    for k in 0..ins.len() {
                        let x = arg(k);
                        let chunk: usize = x.dims[c.axis..].iter().product();
                        y.extend(
                            x.v[o * chunk..(o + 1) * chunk]
                                .iter()
                                .map(|v| v.cast(out_ty)),
                        );
                    }
                }
                y
            }
            (Op::Sigmoid(_) | Op::Tanh(_), Kernel::Lut { table }) => {
                let e = table.entries();
                arg(0).v.iter().map(|x| e[table.index(x.raw())]).collect()
            }
            (Op::Softmax(s), Kernel::Softmax { exp, sum, inv, .. }) => {
                let x = arg(0);
                let axis = s.axis;
                let outer: usize = dims[..axis].iter().product();
                let len: usize = dims[axis];
                let inner: usize = dims[axis + 1..].iter().product();
                let (ee, ie) = (exp.entries(), inv.entries());
                let mut y = vec![zero(out_ty); x.v.len()];
                for o in 0..outer {
                    for i in 0..inner {
                        let at = |k: usize| (o * len + k) * inner + i;
                        let m = (0..len)
                            .map(|k| x.v[at(k)])
                            .max_by_key(|f| f.raw())
                            .unwrap();
                        let es: Vec<Fixed> = (0..len)
                            .map(|k| {
                                let d = fx(m.sub(&x.v[at(k)])).cast(exp.index_type);
                                ee[exp.index(d.raw())]
                            })
                            .collect();
                        let total = es.iter().fold(zero(*sum), |a, e| fx(a.add(e)).cast(*sum));
                        let r = ie[inv.index(total.raw())];
                        for k in 0..len {
                            y[at(k)] = fx(es[k].mul(&r)).cast(out_ty);
                        }
                    }
                }
                y
            }
            (op, k) => panic!("no reference for {} with {k:?}", op.name()),
        };
        vals.insert(n, T { dims, v });
    }
    vals
}

/// Row-major strides of `dims`.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for a in (0..dims.len().saturating_sub(1)).rev() {
        s[a] = s[a + 1] * dims[a + 1];
    }
    s
}

/// The multi-index of flat index `i` in `dims`.
fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for a in (0..dims.len()).rev() {
        idx[a] = i % dims[a];
        i /= dims[a];
    }
    idx
}

#[allow(clippy::too_many_arguments)]
fn conv(
    x: &T,
    w: &T,
    b: Option<&T>,
    win: &Window,
    group: usize,
    accum: FixedType,
    out_ty: FixedType,
    out_dims: &[usize],
) -> Vec<Fixed> {
    let spatial: Vec<usize> = x.dims[2..].to_vec();
    let geo = win.geom2(&spatial).unwrap();
    let (c_in, c_out) = (x.dims[1], out_dims[1]);
    let (cin_g, cout_g) = (c_in / group, c_out / group);
    let mut y = Vec::new();
    for co in 0..c_out {
        for oy in 0..geo.oh {
            for ox in 0..geo.ow {
                let mut acc = b.map_or(zero(accum), |b| b.v[co].cast(accum));
                for cl in 0..cin_g {
                    let ci = co / cout_g * cin_g + cl;
                    for ky in 0..geo.kh {
                        let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                        for kx in 0..geo.kw {
                            let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                            if iy < 0 || ix < 0 || iy as usize >= geo.ih || ix as usize >= geo.iw {
                                continue;
                            }
                            let xv = &x.v[(ci * geo.ih + iy as usize) * geo.iw + ix as usize];
                            let wv = &w.v[((co * cin_g + cl) * geo.kh + ky) * geo.kw + kx];
                            acc = fx(acc.add(&fx(xv.mul(wv)))).cast(accum);
                        }
                    }
                }
                y.push(acc.cast(out_ty));
            }
        }
    }
    y
}

/// Runs `f` on the input values of every window (padding skipped) and the window's divisor with
/// padding counted.
fn pool(
    x: &T,
    win: &Window,
    out_dims: &[usize],
    f: impl Fn(&[Fixed], usize) -> Fixed,
) -> Vec<Fixed> {
    let geo = win.geom2(&x.dims[2..]).unwrap();
    let c = out_dims[1];
    let mut y = Vec::new();
    for ch in 0..c {
        for oy in 0..geo.oh {
            for ox in 0..geo.ow {
                let mut xs = Vec::new();
                let mut padded = 0;
                for ky in 0..geo.kh {
                    let iy = (oy * geo.sh + ky * geo.dh) as isize - geo.pt as isize;
                    for kx in 0..geo.kw {
                        let ix = (ox * geo.sw + kx * geo.dw) as isize - geo.pl as isize;
                        if iy < (geo.ih + geo.pb) as isize && ix < (geo.iw + geo.pr) as isize {
                            padded += 1;
                        }
                        if iy < 0 || ix < 0 || iy as usize >= geo.ih || ix as usize >= geo.iw {
                            continue;
                        }
                        xs.push(x.v[(ch * geo.ih + iy as usize) * geo.iw + ix as usize]);
                    }
                }
                y.push(f(&xs, padded));
            }
        }
    }
    y
}

fn pool_avg(
    x: &T,
    win: &Window,
    include_pad: bool,
    out_dims: &[usize],
    sum: FixedType,
    r: &binpoint::quant::Reciprocal,
    out_ty: FixedType,
) -> Vec<Fixed> {
    pool(x, win, out_dims, |xs, padded| {
        let n = if include_pad { padded } else { xs.len() } as u64;
        let s = xs.iter().fold(zero(sum), |a, v| fx(a.add(v)).cast(sum));
        let k = r.divisors.iter().position(|&d| d == n).unwrap();
        let f = &r.factors[k];
        fx(s.mul(&Fixed::from_raw(f.raw.into(), f.ty).unwrap())).cast(out_ty)
    })
}

/// Compares the interpreter's trace with the reference on the first `samples` test digits.
fn check(t: &TypedGraph, what: &str, samples: usize) -> usize {
    let m = compiled(t).unwrap_or_else(|e| panic!("{what}: {e}"));
    let g = &t.graph;
    let x = inputs(g, "test_x", samples);
    let per: usize = x.len() / x.shape()[0];
    let xs = flat(&x);
    let mut compared = 0;
    for s in 0..x.shape()[0] {
        let sample = &xs[s * per..(s + 1) * per];
        let reference = reference(t, sample);
        let raw = m.quantize(m.inputs()[0], sample).unwrap();
        let trace = m.trace(&[&raw]).unwrap();
        for out in &trace {
            let n = g
                .find(&out.layer)
                .unwrap_or_else(|| panic!("{what}: no node {}", out.layer));
            let want: Vec<i64> = reference[&n].v.iter().map(|f| f.raw() as i64).collect();
            assert_eq!(
                out.raw, want,
                "{what}: sample {s}: layer '{}' differs from the Fixed reference",
                out.layer
            );
            compared += want.len();
        }
        // The batch run gives the traced outputs.
        let batch = m
            .run_raw(&[&raw], 1, binpoint_runtime::model::Threads::Single)
            .unwrap();
        for (k, &id) in m.outputs().iter().enumerate() {
            let traced = trace.iter().find(|o| o.tensor == m.tensors()[id].name);
            assert_eq!(
                Some(&batch[k]),
                traced.map(|o| &o.raw),
                "{what}: run_raw differs from the trace"
            );
        }
    }
    compared
}

#[test]
fn interpreter_equals_the_fixed_reference_on_every_fixture() {
    let mut total = 0;
    for model in MODELS {
        for opset in [13, 18] {
            for keep in [false, true] {
                if keep && !["cnn_bn", "dwsep", "resnet"].contains(model) {
                    continue;
                }
                let g = graph(model, opset, keep);
                let train = inputs(&g, "train_x", 256);
                for bits in [16, 8] {
                    let t = typed(&g, &train, bits);
                    total += check(
                        &t,
                        &format!("{model} opset{opset} keep_bn={keep} {bits} bits"),
                        4,
                    );
                }
                // Range propagation from [0, 1] (wider integer bits, other shifts).
                let cfg = PrecisionConfig::uniform(12).unwrap();
                let range = propagation_range(Some((0.0, 1.0)), &cfg, &[]);
                let t = type_graph(&g, &cfg, RangeSource::Propagated(vec![range])).unwrap();
                total += check(
                    &t,
                    &format!("{model} opset{opset} keep_bn={keep} propagated"),
                    2,
                );
            }
        }
    }
    println!("{total} raw values equal");
    assert!(total > 100_000, "only {total} values compared");
}

#[test]
fn modes_other_than_the_defaults_agree_too() {
    // Truncation and wrap-around (hls4ml's defaults), unsigned ReLUs, 8-bit weights on 12-bit
    // activations, on the models with the most kernel kinds.
    let cfg = PrecisionConfig::parse(
        "[default]\nbits = 12\nweight_bits = 8\nrounding = \"AP_TRN\"\noverflow = \"AP_WRAP\"\n\
         [op.Relu]\nunsigned = true\n",
        "modes.toml",
    )
    .unwrap();
    for (model, opset) in [
        ("resnet", 13),
        ("dwsep", 18),
        ("conv1d", 13),
        ("activations", 13),
    ] {
        let g = graph(model, opset, false);
        let train = inputs(&g, "train_x", 256);
        let cal = binpoint::quant::calibrate(
            &g,
            std::slice::from_ref(&train),
            binpoint::quant::Method::MaxAbs,
        )
        .unwrap();
        let t = type_graph(&g, &cfg, RangeSource::Calibrated(&cal)).unwrap();
        check(&t, &format!("{model} opset{opset} trn/wrap"), 3);
    }
}

/// A graph with the kernels the fixtures do not use: Conv and Dense without bias, Pad, MaxPool
/// with ceil_mode, Transpose, Sub and Div by constants (per channel, scalar), Concat of two types,
/// GlobalMaxPool, ReduceMean, AveragePool with padding not counted (several divisors), a
/// GlobalAveragePool by a non-power-of-two, Mul by a constant vector, two outputs.
fn odd_graph() -> binpoint::Graph {
    use binpoint::ir::ops::*;
    use binpoint::ir::GraphBuilder;
    let mut b = GraphBuilder::new("odd");
    let x = b.input("x", &[0, 1, 8, 8]);
    let w = b.constant_fn("w", &[4, 1, 3, 3], |i| ((i * 7 % 11) as f32 - 5.0) / 8.0);
    let mut win = Window::new(vec![3, 3]);
    win.pads = vec![1, 1, 1, 1];
    let c = b
        .op(
            "conv_nb",
            Conv {
                window: win.clone(),
                group: 1,
            },
            &[x, w],
        )
        .unwrap();
    let p = b
        .op(
            "pad",
            Pad {
                pads: vec![0, 0, 1, 0, 0, 0, 0, 1],
                value: 0.25,
            },
            &[c],
        )
        .unwrap();
    let mut mw = Window::new(vec![3, 3]);
    mw.strides = vec![2, 2];
    mw.ceil_mode = true;
    let mp = b.op("maxpool", MaxPool { window: mw }, &[p]).unwrap();
    let t = b
        .op(
            "transpose",
            Transpose {
                perm: vec![0, 1, 3, 2],
            },
            &[mp],
        )
        .unwrap();
    let k = b.constant_fn("k", &[4, 1, 1], |i| i as f32 * 0.375 - 0.5);
    let sub = b.op("sub", Sub, &[t, k]).unwrap();
    let three = b.constant_fn("three", &[], |_| 3.0);
    let div = b.op("div", Div, &[sub, three]).unwrap();
    let cat = b.op("concat", Concat { axis: 1 }, &[div, t]).unwrap();
    let gmp = b.op("gmp", GlobalMaxPool, &[cat]).unwrap();
    let rm = b
        .op(
            "mean",
            ReduceMean {
                axes: vec![2, 3],
                keepdims: false,
            },
            &[cat],
        )
        .unwrap();
    let fl = b.op("flatten", Flatten { axis: 1 }, &[gmp]).unwrap();
    let add = b.op("add", Add, &[fl, rm]).unwrap();
    let v = b.constant_fn("v", &[8], |i| 0.5 + i as f32 / 16.0);
    let mul = b.op("mul", Mul, &[add, v]).unwrap();
    let lr = b.op("leaky", LeakyRelu { alpha: 0.125 }, &[mul]).unwrap();
    let wd = b.constant_fn("wd", &[5, 8], |i| ((i * 5 % 13) as f32 - 6.0) / 10.0);
    let dense = b.op("dense_nb", Dense, &[lr, wd]).unwrap();
    b.output(dense);
    let mut aw = Window::new(vec![3, 3]);
    aw.strides = vec![2, 2];
    aw.pads = vec![1, 1, 1, 1];
    let ap = b
        .op(
            "avgpool",
            AveragePool {
                window: aw,
                count_include_pad: false,
            },
            &[c],
        )
        .unwrap();
    let mut w3 = Window::new(vec![3, 3]);
    w3.pads = vec![1, 1, 0, 0];
    let ap2 = b
        .op(
            "avg3",
            AveragePool {
                window: w3,
                count_include_pad: true,
            },
            &[ap],
        )
        .unwrap();
    let gap = b.op("gap", GlobalAveragePool::default(), &[ap2]).unwrap();
    b.output(gap);
    b.finish().unwrap()
}

#[test]
fn kernels_the_fixtures_do_not_use_agree_too() {
    let g = odd_graph();
    let train = inputs(&g, "train_x", 256);
    for bits in [16, 10, 6] {
        let t = typed(&g, &train, bits);
        let kinds: Vec<&str> = lowered(&t).layers.iter().map(|l| l.kernel).collect();
        for k in [
            "gather",
            "concat",
            "sub",
            "mul",
            "global_max_pool",
            "global_average_pool",
            "average_pool",
        ] {
            assert!(kinds.contains(&k), "{k} not lowered: {kinds:?}");
        }
        check(&t, &format!("odd graph {bits} bits"), 4);
    }
    let cfg = PrecisionConfig::uniform(12).unwrap();
    let range = propagation_range(Some((0.0, 1.0)), &cfg, &[]);
    let t = type_graph(&g, &cfg, RangeSource::Propagated(vec![range])).unwrap();
    check(&t, "odd graph propagated", 2);
}
