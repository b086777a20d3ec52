//! Every integer kernel against a straightforward reference written with `Fixed` arithmetic, the
//! way the C++ twin reads: exact `+ - *` with the header's result types and a `cast` wherever the
//! C++ assigns into a declared type (`acc = b; acc = acc + x * w; y = acc;`). Random shapes, random
//! types (W 2..18 for data, all Q/O modes), random raw values; narrow and `i64` storage.

use binpoint_runtime::ops::average_pool::{AveragePoolConfig, AvgTypes, Divide};
use binpoint_runtime::ops::binary::{BinaryConfig, BinaryOp, Operand};
use binpoint_runtime::ops::clip::ClipConfig;
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;
use binpoint_runtime::ops::hard_sigmoid::{HardParams, HardSigmoidConfig};
use binpoint_runtime::ops::hard_swish::HardSwishConfig;
use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;
use binpoint_runtime::ops::max_pool::MaxPoolConfig;
use binpoint_runtime::ops::relu::ReluConfig;
use binpoint_runtime::ops::SumKind;
use binpoint_runtime::ops::{self, MacTypes, OpError, Raw, Span, Storage, Window2};
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------- random types and data

fn rounding(rng: &mut impl Rng) -> Rounding {
    match rng.random_range(0..10) {
        0..=2 => Rounding::Trn,
        3..=5 => Rounding::RndConv,
        _ => Rounding::ALL[rng.random_range(0..7)],
    }
}

fn overflow(rng: &mut impl Rng, signed: bool) -> (Overflow, bool) {
    match rng.random_range(0..20) {
        0..=6 => (Overflow::Wrap, false),
        7..=12 => (Overflow::Sat, false),
        13 | 14 => (Overflow::SatZero, false),
        15 | 16 => (Overflow::SatSym, false),
        17 if signed => (Overflow::WrapSm, rng.random_bool(0.5)),
        _ => (Overflow::Wrap, true),
    }
}

/// A random declared type with `W` in `widths`.
fn ty(rng: &mut impl Rng, widths: std::ops::RangeInclusive<u32>) -> FixedType {
    let signed = rng.random_bool(0.8);
    let w = rng.random_range(widths);
    let i = rng.random_range(-3..=w as i32 + 3);
    let (o, sat) = overflow(rng, signed);
    let n = if sat { rng.random_range(0..=w) } else { 0 };
    FixedType::new(signed, w, i, rounding(rng), o, n).unwrap()
}

fn data_ty(rng: &mut impl Rng) -> FixedType {
    ty(rng, 2..=18)
}

fn raw(rng: &mut impl Rng, t: FixedType) -> i64 {
    let (lo, hi) = (t.min_raw() as i64, t.max_raw() as i64);
    match rng.random_range(0..10) {
        0 => lo,
        1 => hi,
        2 => 0,
        _ => rng.random_range(lo..=hi),
    }
}

fn raws(rng: &mut impl Rng, t: FixedType, n: usize) -> Vec<i64> {
    (0..n).map(|_| raw(rng, t)).collect()
}

fn fx(raw: i64, t: FixedType) -> Fixed {
    Fixed::from_raw(i128::from(raw), t).unwrap()
}

/// The accumulator a span needs, sometimes with spare integer and fractional bits, random modes
/// (they never act: every assignment into it is exact).
fn accum_for(rng: &mut impl Rng, need: Span) -> Option<FixedType> {
    let tight = need.smallest_type()?;
    let (extra_i, extra_f) = if rng.random_bool(0.5) {
        (0, 0)
    } else {
        (rng.random_range(0..=3), rng.random_range(0..=3))
    };
    let w = tight.width() + extra_i + extra_f;
    if w > 128 {
        return None;
    }
    let (o, _) = overflow(rng, true);
    FixedType::wide(
        true,
        w,
        tight.int_bits() + extra_i as i32,
        rounding(rng),
        o,
        0,
    )
    .ok()
}

// ---------------------------------------------------------------- storage dispatch

/// Converts raw values into storage `R` (they fit: the caller picked `R` wide enough).
fn store<R: Raw>(v: &[i64]) -> Vec<R> {
    v.iter().map(|&x| R::from_i64(x).expect("fits")).collect()
}

fn load<R: Raw>(v: &[R]) -> Vec<i64> {
    v.iter().map(|&x| x.into()).collect()
}

/// The narrowest storage holding every one of `types`.
fn common_storage(types: &[FixedType]) -> Storage {
    types
        .iter()
        .map(|&t| Storage::for_type(t).unwrap())
        .max()
        .unwrap()
}

/// Runs `$body` with `$R` bound to the storage integer of `$s`.
macro_rules! with_storage {
    ($s:expr, $R:ident, $body:block) => {
        match $s {
            Storage::I8 => {
                type $R = i8;
                $body
            }
            Storage::I16 => {
                type $R = i16;
                $body
            }
            Storage::I32 => {
                type $R = i32;
                $body
            }
            Storage::I64 => {
                type $R = i64;
                $body
            }
        }
    };
}

/// Half the cases in the narrowest common storage, half in `i64`.
fn pick_storage(rng: &mut impl Rng, types: &[FixedType]) -> Storage {
    if rng.random_bool(0.5) {
        common_storage(types)
    } else {
        Storage::I64
    }
}

// ---------------------------------------------------------------- multiply-accumulate

fn mac_types(rng: &mut impl Rng, fan_in: usize) -> MacTypes {
    loop {
        let input = data_ty(rng);
        let weight = data_ty(rng);
        let bias = ty(rng, 2..=24);
        let output = data_ty(rng);
        let mut t = MacTypes {
            input,
            weight,
            bias,
            accum: input,
            output,
        };
        if let Some(acc) = t.accum_span(fan_in).and_then(|s| accum_for(rng, s)) {
            t.accum = acc;
            return t;
        }
    }
}

/// `acc = acc + x * w` into the accumulator type, as the C++ `+=`.
fn mac(acc: Fixed, x: Fixed, w: Fixed) -> Fixed {
    acc.add(&x.mul(&w).unwrap()).unwrap().cast(acc.ty())
}

#[test]
fn dense_matches_fixed_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut values = 0;
    for case in 0..300 {
        let n_in = rng.random_range(1..=40);
        let n_out = rng.random_range(1..=12);
        let t = mac_types(&mut rng, n_in);
        let cfg = DenseConfig::new(n_in, n_out, t).unwrap();
        let x = raws(&mut rng, t.input, n_in);
        let w = raws(&mut rng, t.weight, n_in * n_out);
        let b = raws(&mut rng, t.bias, n_out);
        let want: Vec<i64> = (0..n_out)
            .map(|o| {
                let mut acc = fx(b[o], t.bias).cast(t.accum);
                for i in 0..n_in {
                    acc = mac(acc, fx(x[i], t.input), fx(w[o * n_in + i], t.weight));
                }
                acc.cast(t.output).raw() as i64
            })
            .collect();
        let storage = pick_storage(&mut rng, &[t.input, t.weight, t.bias, t.output]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); n_out];
            ops::dense::run(
                &cfg,
                &store::<R>(&x),
                &store::<R>(&w),
                &store::<R>(&b),
                &mut y,
            )
            .unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {t:?}");
        values += want.len();
    }
    eprintln!("dense: 300 layers, {values} outputs");
}

fn random_window(rng: &mut impl Rng, two_d: bool, pool: bool) -> Window2 {
    loop {
        let dim = |rng: &mut ChaCha8Rng| rng.random_range(1..=9usize);
        let mut r = ChaCha8Rng::seed_from_u64(rng.random());
        let k = [dim(&mut r).min(4), dim(&mut r).min(4)];
        let s = [r.random_range(1..=3), r.random_range(1..=3)];
        let d = if pool || r.random_bool(0.6) {
            [1, 1]
        } else {
            [r.random_range(1..=3), r.random_range(1..=3)]
        };
        let p = [
            r.random_range(0..=2),
            r.random_range(0..=2),
            r.random_range(0..=2),
            r.random_range(0..=2),
        ];
        let ceil = pool && r.random_bool(0.3);
        let w = if two_d {
            Window2::new([dim(&mut r), dim(&mut r)], k, s, d, p, ceil)
        } else {
            Window2::new_1d(r.random_range(1..=16), k[1], s[1], d[1], [p[1], p[3]], ceil)
        };
        if let Ok(w) = w {
            if !pool || w.every_window_reads_input() {
                return w;
            }
        }
    }
}

/// The reference convolution: taps tested one by one as the header does.
fn conv_reference(
    t: &MacTypes,
    (cin, cout, groups): (usize, usize, usize),
    win: &Window2,
    x: &[i64],
    w: &[i64],
    b: &[i64],
) -> Vec<i64> {
    let (cin_g, cout_g) = (cin / groups, cout / groups);
    let mut y = Vec::new();
    for co in 0..cout {
        for oy in 0..win.out_h {
            for ox in 0..win.out_w {
                let mut acc = fx(b[co], t.bias).cast(t.accum);
                for cl in 0..cin_g {
                    let ci = co / cout_g * cin_g + cl;
                    for ky in 0..win.kernel_h {
                        for kx in 0..win.kernel_w {
                            let iy = (oy * win.stride_h + ky * win.dilation_h) as i64
                                - win.pad_top as i64;
                            let ix = (ox * win.stride_w + kx * win.dilation_w) as i64
                                - win.pad_left as i64;
                            if iy < 0 || ix < 0 || iy >= win.in_h as i64 || ix >= win.in_w as i64 {
                                continue;
                            }
                            let xv = x[(ci * win.in_h + iy as usize) * win.in_w + ix as usize];
                            let wv = w[((co * cin_g + cl) * win.kernel_h + ky) * win.kernel_w + kx];
                            acc = mac(acc, fx(xv, t.input), fx(wv, t.weight));
                        }
                    }
                }
                y.push(acc.cast(t.output).raw() as i64);
            }
        }
    }
    y
}

fn channels_and_groups(rng: &mut impl Rng) -> (usize, usize, usize) {
    match rng.random_range(0..3) {
        0 => (rng.random_range(1..=4), rng.random_range(1..=4), 1),
        1 => {
            let c = rng.random_range(1..=5);
            (c, c * rng.random_range(1..=2), c) // depthwise (with a multiplier)
        }
        _ => {
            let g = rng.random_range(1..=3);
            (g * rng.random_range(1..=2), g * rng.random_range(1..=3), g)
        }
    }
}

#[test]
fn conv2d_matches_fixed_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut values = 0;
    for case in 0..250 {
        let (cin, cout, groups) = channels_and_groups(&mut rng);
        let win = random_window(&mut rng, true, false);
        let t = mac_types(&mut rng, cin / groups * win.size());
        let cfg = Conv2dConfig::new(cin, cout, groups, win, t).unwrap();
        let x = raws(&mut rng, t.input, cfg.input_len());
        let w = raws(&mut rng, t.weight, cfg.weight_len());
        let b = raws(&mut rng, t.bias, cout);
        let want = conv_reference(&t, (cin, cout, groups), &win, &x, &w, &b);
        let storage = pick_storage(&mut rng, &[t.input, t.weight, t.bias, t.output]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); cfg.output_len()];
            ops::conv2d::run(
                &cfg,
                &store::<R>(&x),
                &store::<R>(&w),
                &store::<R>(&b),
                &mut y,
            )
            .unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {win:?} {t:?}");
        values += want.len();
    }
    eprintln!("conv2d: 250 layers, {values} outputs");
}

#[test]
fn conv1d_matches_fixed_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut values = 0;
    for case in 0..250 {
        let (cin, cout, groups) = channels_and_groups(&mut rng);
        let win = random_window(&mut rng, false, false);
        let t = mac_types(&mut rng, cin / groups * win.kernel_w);
        let cfg = Conv1dConfig::new(cin, cout, groups, win, t).unwrap();
        let x = raws(&mut rng, t.input, cfg.input_len());
        let w = raws(&mut rng, t.weight, cfg.weight_len());
        let b = raws(&mut rng, t.bias, cout);
        let want = conv_reference(&t, (cin, cout, groups), &win, &x, &w, &b);
        let storage = pick_storage(&mut rng, &[t.input, t.weight, t.bias, t.output]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); cfg.output_len()];
            ops::conv1d::run(
                &cfg,
                &store::<R>(&x),
                &store::<R>(&w),
                &store::<R>(&b),
                &mut y,
            )
            .unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {win:?} {t:?}");
        values += want.len();
    }
    eprintln!("conv1d: 250 layers, {values} outputs");
}

// ---------------------------------------------------------------- the MAC engine (ops::gemm)

/// MAC types whose operand widths force each engine: `f32` (sums below 2^24), `i32` (the
/// declared accumulator fits an `i32`, products beyond 2^24), `f64` (sums below 2^53), `i64`,
/// `i128` (products of 72 to 80 bits: an accumulator wider than 64 bits).
fn types_for_lanes(rng: &mut impl Rng, lanes: SumKind, fan_in: usize) -> Option<MacTypes> {
    let widths = match lanes {
        SumKind::F32 => 2..=8,
        SumKind::I32 => 13..=14,
        SumKind::F64 => 15..=18,
        SumKind::I64 => 28..=31,
        SumKind::I128 => 36..=40,
    };
    let operand = |rng: &mut ChaCha8Rng| {
        FixedType::new(
            true,
            rng.random_range(widths.clone()),
            rng.random_range(-3..=6),
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .unwrap()
    };
    let mut r = ChaCha8Rng::seed_from_u64(rng.random());
    let (input, weight) = (operand(&mut r), operand(&mut r));
    let mut t = MacTypes {
        input,
        weight,
        bias: ty(&mut r, 2..=24),
        accum: input,
        output: data_ty(&mut r),
    };
    // The tight accumulator (i32 needs it), or one with spare bits.
    let need = t.accum_span(fan_in)?;
    t.accum = if lanes == SumKind::I32 {
        need.smallest_type()?
    } else {
        accum_for(&mut r, need)?
    };
    Some(t)
}

/// Each engine against the `Fixed` reference, the engine checked too (so that a change of
/// `SumKind::choose` cannot leave one untested).
#[test]
fn mac_engines_match_fixed_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    for lanes in [
        SumKind::F32,
        SumKind::I32,
        SumKind::F64,
        SumKind::I64,
        SumKind::I128,
    ] {
        let (mut cases, mut tries) = (0, 0);
        while cases < 60 {
            tries += 1;
            assert!(tries < 20_000, "no config chooses {lanes:?}");
            let (cin, cout, groups) = channels_and_groups(&mut rng);
            let win = random_window(&mut rng, true, false);
            let Some(t) = types_for_lanes(&mut rng, lanes, cin / groups * win.size()) else {
                continue;
            };
            let Ok(cfg) = Conv2dConfig::new(cin, cout, groups, win, t) else {
                continue;
            };
            if cfg.plan.sum != lanes {
                continue;
            }
            let x = raws(&mut rng, t.input, cfg.input_len());
            let w = raws(&mut rng, t.weight, cfg.weight_len());
            let b = raws(&mut rng, t.bias, cout);
            let want = conv_reference(&t, (cin, cout, groups), &win, &x, &w, &b);
            let storage = pick_storage(&mut rng, &[t.input, t.weight, t.bias, t.output]);
            let got = with_storage!(storage, R, {
                let mut y = vec![R::default(); cfg.output_len()];
                ops::conv2d::run(
                    &cfg,
                    &store::<R>(&x),
                    &store::<R>(&w),
                    &store::<R>(&b),
                    &mut y,
                )
                .unwrap();
                load(&y)
            });
            assert_eq!(got, want, "{lanes:?} case {cases}: {win:?} {t:?}");
            assert_eq!(cfg.plan.requant.is_wide(), t.accum.width() > 64);
            // A tile of samples (the lanes layout, every block width) gives the same bits.
            let lanes = [1, 2, 9][cases % 3];
            let more: Vec<Vec<i64>> = (1..lanes)
                .map(|_| raws(&mut rng, t.input, cfg.input_len()))
                .collect();
            let mut all_x = x.clone();
            let mut all_want = want.clone();
            for xs in &more {
                all_x.extend_from_slice(xs);
                all_want.extend(conv_reference(&t, (cin, cout, groups), &win, xs, &w, &b));
            }
            let mut y = vec![0i64; cfg.output_len() * lanes];
            let packed = cfg.pack(&w).unwrap();
            ops::conv2d::run_lanes(&cfg, &packed, &to_lanes(&all_x, lanes), &b, &mut y, lanes)
                .unwrap();
            assert_eq!(from_lanes(&y, lanes), all_want, "{lanes:?} tile of {lanes}");
            cases += 1;
        }
    }
}

/// Samples one after another → the lanes layout `[len][lanes]` (value `i` of sample `s` at
/// `i · lanes + s`).
fn to_lanes<T: Copy>(v: &[T], lanes: usize) -> Vec<T> {
    let len = v.len() / lanes;
    (0..len * lanes)
        .map(|k| v[(k % lanes) * len + k / lanes])
        .collect()
}

/// The lanes layout → samples one after another.
fn from_lanes<T: Copy>(v: &[T], lanes: usize) -> Vec<T> {
    let len = v.len() / lanes;
    (0..len * lanes)
        .map(|k| v[(k % len) * lanes + k / len])
        .collect()
}

/// `run_lanes` with packed weights against one `run` per sample, over tiles of sizes that do and
/// do not fill the engine's blocks of samples, on every panel height.
#[test]
fn lanes_match_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    for case in 0..90 {
        let batch = [1, 2, 3, 5, 8, 17, 33, 64][rng.random_range(0..8)];
        let (cin, cout, groups) = match rng.random_range(0..3) {
            0 => (16, rng.random_range(1..=9), 1),
            1 => (8, 8, 8),
            _ => channels_and_groups(&mut rng),
        };
        let kind = case % 3;
        let (win, fan_in) = match kind {
            0 => {
                let k = [rng.random_range(1..=4), rng.random_range(1..=4)];
                let s = [rng.random_range(1..=2), rng.random_range(1..=2)];
                let p = [0, 1, 1, 0].map(|m: usize| m * rng.random_range(0..=1));
                let input = [rng.random_range(4..=14), rng.random_range(4..=14)];
                let win = Window2::new(input, k, s, [1, 1], p, false).unwrap();
                (win, cin / groups * win.size())
            }
            1 => {
                let len = if rng.random_bool(0.3) { 300 } else { 40 };
                let k = rng.random_range(1..=4);
                let win =
                    Window2::new_1d(len, k, 1, rng.random_range(1..=2), [1, 1], false).unwrap();
                (win, cin / groups * k)
            }
            _ => (
                Window2::new([1, 1], [1, 1], [1, 1], [1, 1], [0; 4], false).unwrap(),
                cin,
            ),
        };
        let t = mac_types(&mut rng, fan_in);
        let x = raws(&mut rng, t.input, batch * cin * win.in_h * win.in_w);
        let storage = pick_storage(&mut rng, &[t.input, t.weight, t.bias, t.output]);
        let (got, want) = with_storage!(storage, R, {
            let xs = store::<R>(&x);
            match kind {
                0 => {
                    let cfg = Conv2dConfig::new(cin, cout, groups, win, t).unwrap();
                    let w = store::<R>(&raws(&mut rng, t.weight, cfg.weight_len()));
                    let b = store::<R>(&raws(&mut rng, t.bias, cout));
                    let mut y = vec![R::default(); batch * cfg.output_len()];
                    let packed = cfg.pack(&w).unwrap();
                    ops::conv2d::run_lanes(&cfg, &packed, &to_lanes(&xs, batch), &b, &mut y, batch)
                        .unwrap();
                    let y = from_lanes(&y, batch);
                    let mut one = vec![R::default(); batch * cfg.output_len()];
                    for (x1, y1) in xs
                        .chunks(cfg.input_len())
                        .zip(one.chunks_mut(cfg.output_len()))
                    {
                        ops::conv2d::run(&cfg, x1, &w, &b, y1).unwrap();
                    }
                    (load(&y), load(&one))
                }
                1 => {
                    let cfg = Conv1dConfig::new(cin, cout, groups, win, t).unwrap();
                    let w = store::<R>(&raws(&mut rng, t.weight, cfg.weight_len()));
                    let b = store::<R>(&raws(&mut rng, t.bias, cout));
                    let mut y = vec![R::default(); batch * cfg.output_len()];
                    let packed = cfg.pack(&w).unwrap();
                    ops::conv1d::run_lanes(&cfg, &packed, &to_lanes(&xs, batch), &b, &mut y, batch)
                        .unwrap();
                    let y = from_lanes(&y, batch);
                    let mut one = vec![R::default(); batch * cfg.output_len()];
                    for (x1, y1) in xs
                        .chunks(cfg.input_len())
                        .zip(one.chunks_mut(cfg.output_len()))
                    {
                        ops::conv1d::run(&cfg, x1, &w, &b, y1).unwrap();
                    }
                    (load(&y), load(&one))
                }
                _ => {
                    let cfg = DenseConfig::new(cin, cout, t).unwrap();
                    let w = store::<R>(&raws(&mut rng, t.weight, cin * cout));
                    let b = store::<R>(&raws(&mut rng, t.bias, cout));
                    let mut y = vec![R::default(); batch * cout];
                    let packed = cfg.pack(&w).unwrap();
                    ops::dense::run_lanes(&cfg, &packed, &to_lanes(&xs, batch), &b, &mut y, batch)
                        .unwrap();
                    let y = from_lanes(&y, batch);
                    let mut one = vec![R::default(); batch * cout];
                    for (x1, y1) in xs.chunks(cin).zip(one.chunks_mut(cout)) {
                        ops::dense::run(&cfg, x1, &w, &b, y1).unwrap();
                    }
                    (load(&y), load(&one))
                }
            }
        });
        assert_eq!(got, want, "case {case}: batch {batch}, {win:?} {t:?}");
    }
}

/// Packed weights of one layer are refused by another; tile lengths are checked.
#[test]
fn packed_weights_and_tiles_are_checked() {
    let t8 = FixedType::signed(8, 3).unwrap();
    let types = MacTypes {
        input: t8,
        weight: t8,
        bias: t8,
        accum: FixedType::signed(24, 9).unwrap(),
        output: t8,
    };
    let a = DenseConfig::new(4, 3, types).unwrap();
    let b = DenseConfig::new(3, 4, types).unwrap();
    let packed_b = b.pack(&[0i8; 12]).unwrap();
    let mut y = [0i8; 6];
    let err = ops::dense::run_lanes(&a, &packed_b, &[0i8; 8], &[0i8; 3], &mut y, 2).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let packed_a = a.pack(&[0i8; 12]).unwrap();
    let err = ops::dense::run_lanes(&a, &packed_a, &[0i8; 7], &[0i8; 3], &mut y, 2).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    let err = a.pack(&[0i8; 11]).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    let err =
        ops::dense::run_lanes(&a, &packed_a, &[0i8; 0], &[0i8; 3], &mut [0i8; 0], 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    ops::dense::run_lanes(&a, &packed_a, &[0i8; 8], &[0i8; 3], &mut y, 2).unwrap();
}

// ---------------------------------------------------------------- pooling

/// The values a window reads and its `count_include_pad` divisor, tap by tap.
fn window_values(win: &Window2, plane: &[i64], oy: usize, ox: usize) -> (Vec<i64>, usize) {
    let mut vals = Vec::new();
    let mut padded = 0;
    for ky in 0..win.kernel_h {
        let iy = (oy * win.stride_h + ky * win.dilation_h) as i64 - win.pad_top as i64;
        for kx in 0..win.kernel_w {
            let ix = (ox * win.stride_w + kx * win.dilation_w) as i64 - win.pad_left as i64;
            if iy < (win.in_h + win.pad_bottom) as i64 && ix < (win.in_w + win.pad_right) as i64 {
                padded += 1;
            }
            if iy >= 0 && ix >= 0 && iy < win.in_h as i64 && ix < win.in_w as i64 {
                vals.push(plane[iy as usize * win.in_w + ix as usize]);
            }
        }
    }
    (vals, padded)
}

#[test]
fn max_pool_matches_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for case in 0..300 {
        let c = rng.random_range(1..=3);
        let two_d = rng.random_bool(0.7);
        let win = random_window(&mut rng, two_d, true);
        let (tx, ty_) = (data_ty(&mut rng), data_ty(&mut rng));
        let cfg = MaxPoolConfig::new(c, win, tx, ty_).unwrap();
        let x = raws(&mut rng, tx, cfg.input_len());
        let mut want = Vec::new();
        for plane in x.chunks(win.in_h * win.in_w) {
            for oy in 0..win.out_h {
                for ox in 0..win.out_w {
                    let (vals, _) = window_values(&win, plane, oy, ox);
                    let m = vals.iter().max().unwrap();
                    want.push(fx(*m, tx).cast(ty_).raw() as i64);
                }
            }
        }
        let storage = pick_storage(&mut rng, &[tx, ty_]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); cfg.output_len()];
            ops::max_pool::run(&cfg, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {win:?} {tx} -> {ty_}");
    }
}

fn avg_types(rng: &mut impl Rng, n: usize, min_count: usize) -> AvgTypes {
    let input = data_ty(rng);
    let need = Span::of(input).repeated(n as u64).unwrap();
    let accum = accum_for(rng, need).unwrap();
    let recip = if rng.random_bool(0.5) {
        AvgTypes::recip_type(min_count, rng.random_range(8..=20)).unwrap()
    } else {
        let w = rng.random_range(4..=20);
        FixedType::new(
            rng.random_bool(0.5),
            w,
            rng.random_range(-2..=2),
            rounding(rng),
            overflow(rng, false).0,
            0,
        )
        .unwrap()
    };
    AvgTypes {
        input,
        accum,
        recip,
        output: data_ty(rng),
    }
}

/// `sum / n` as the reference computes it: times `2^-k` exactly, or times `1/n` from the double
/// (exact enough: for `n < 2^7` and at most 30 fractional bits no double rounding can occur).
fn average(sum: Fixed, n: usize, divide: &Divide, t: &AvgTypes) -> i64 {
    let factor = match divide {
        Divide::Shift { bits, .. } => {
            let ty = FixedType::unsigned(1, 1 - *bits as i32).unwrap();
            fx(1, ty)
        }
        Divide::Reciprocal { .. } => Fixed::from_f64(1.0 / n as f64, t.recip).unwrap(),
    };
    sum.mul(&factor).unwrap().cast(t.output).raw() as i64
}

#[test]
fn average_pool_matches_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut shifts, mut recips) = (0, 0);
    for case in 0..400 {
        let c = rng.random_range(1..=3);
        let two_d = rng.random_bool(0.7);
        let win = random_window(&mut rng, two_d, true);
        let include = rng.random_bool(0.5);
        let t = avg_types(&mut rng, win.size(), 1);
        if t.recip.frac_bits() > 30 || t.recip.frac_bits() < 0 {
            continue;
        }
        let cfg = match AveragePoolConfig::new(c, win, include, t) {
            Ok(cfg) => cfg,
            // The product of the sum and the reciprocal may exceed 64 bits: a clean error.
            Err(OpError::Config { .. }) => continue,
            Err(e) => panic!("{e}"),
        };
        match cfg.divide {
            Divide::Shift { .. } => shifts += 1,
            Divide::Reciprocal { .. } => recips += 1,
        }
        let x = raws(&mut rng, t.input, cfg.input_len());
        let mut want = Vec::new();
        for plane in x.chunks(win.in_h * win.in_w) {
            for oy in 0..win.out_h {
                for ox in 0..win.out_w {
                    let (vals, padded) = window_values(&win, plane, oy, ox);
                    let mut acc = fx(0, t.accum);
                    for v in &vals {
                        acc = acc.add(&fx(*v, t.input)).unwrap().cast(t.accum);
                    }
                    let n = if include { padded } else { vals.len() };
                    assert_eq!(n, cfg.count(oy, ox));
                    want.push(average(acc, n, &cfg.divide, &t));
                }
            }
        }
        let storage = pick_storage(&mut rng, &[t.input, t.output]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); cfg.output_len()];
            ops::average_pool::run(&cfg, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(
            got, want,
            "case {case}: {win:?} include_pad={include} {t:?}"
        );
    }
    eprintln!("average_pool: {shifts} shift, {recips} reciprocal configs");
    assert!(shifts > 20 && recips > 100);
}

#[test]
fn global_pools_match_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for case in 0..300 {
        let c = rng.random_range(1..=4);
        let n = if rng.random_bool(0.3) {
            1 << rng.random_range(0..=6)
        } else {
            rng.random_range(1..=100)
        };
        let t = avg_types(&mut rng, n, n);
        let x = raws(&mut rng, t.input, c * n);
        let storage = pick_storage(&mut rng, &[t.input, t.output]);

        let maxc = GlobalMaxPoolConfig::new(c, n, t.input, t.output).unwrap();
        let want: Vec<i64> = x
            .chunks(n)
            .map(|p| fx(*p.iter().max().unwrap(), t.input).cast(t.output).raw() as i64)
            .collect();
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); c];
            ops::global_max_pool::run(&maxc, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(got, want, "max case {case}");

        if t.recip.frac_bits() > 30 || t.recip.frac_bits() < 0 {
            continue;
        }
        let avgc = match GlobalAveragePoolConfig::new(c, n, t) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => panic!("{e}"),
        };
        let want: Vec<i64> = x
            .chunks(n)
            .map(|p| {
                let sum = p.iter().fold(fx(0, t.accum), |acc, v| {
                    acc.add(&fx(*v, t.input)).unwrap().cast(t.accum)
                });
                average(sum, n, &avgc.divide, &t)
            })
            .collect();
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); c];
            ops::global_average_pool::run(&avgc, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(got, want, "avg case {case}: {t:?}");
    }
}

#[test]
fn reciprocals_round_the_exact_rational() {
    // 1/3 in ap_ufixed<8,0>: 85.333 → 85 (any rounding); 1/6 in ap_ufixed<4,0,AP_RND>: 2.667 → 3.
    let u8_0 = FixedType::new(false, 8, 0, Rounding::RndConv, Overflow::Sat, 0).unwrap();
    assert_eq!(ops::average_pool::reciprocal("t", 3, u8_0).unwrap(), 85);
    let u4 = FixedType::new(false, 4, 0, Rounding::Rnd, Overflow::Sat, 0).unwrap();
    assert_eq!(ops::average_pool::reciprocal("t", 6, u4).unwrap(), 3);
    // 1/1 into ap_ufixed<8,0,.., AP_SAT>: saturates to 255/256.
    assert_eq!(ops::average_pool::reciprocal("t", 1, u8_0).unwrap(), 255);
    // Ties: 1/2 at 0 fractional bits is 0.5 exactly: RND_CONV → 0, RND → 1.
    let u2_2 = |q| FixedType::new(false, 2, 2, q, Overflow::Sat, 0).unwrap();
    assert_eq!(
        ops::average_pool::reciprocal("t", 2, u2_2(Rounding::RndConv)).unwrap(),
        0
    );
    assert_eq!(
        ops::average_pool::reciprocal("t", 2, u2_2(Rounding::Rnd)).unwrap(),
        1
    );
    // Against the double for many n and types.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..5000 {
        let n = rng.random_range(1..=120);
        let w = rng.random_range(2..=30);
        let t = FixedType::new(
            rng.random_bool(0.5),
            w,
            rng.random_range(w as i32 - 30..=w as i32),
            Rounding::ALL[rng.random_range(0..7)],
            [Overflow::Sat, Overflow::Wrap, Overflow::SatZero][rng.random_range(0..3)],
            0,
        )
        .unwrap();
        let want = Fixed::from_f64(1.0 / n as f64, t).unwrap().raw() as i64;
        assert_eq!(
            ops::average_pool::reciprocal("t", n, t).unwrap(),
            want,
            "1/{n} in {t}"
        );
    }
}

// ---------------------------------------------------------------- element-wise

#[test]
fn affine_matches_reference() {
    use binpoint_runtime::ops::affine::{AffineConfig, AffineTypes};
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for case in 0..300 {
        let (c, n) = (rng.random_range(1..=5), rng.random_range(1..=20));
        let t = AffineTypes {
            input: data_ty(&mut rng),
            scale: data_ty(&mut rng),
            shift: data_ty(&mut rng),
            output: data_ty(&mut rng),
        };
        let cfg = match AffineConfig::new(c, n, t) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue, // wider than 64 bits
            Err(e) => panic!("{e}"),
        };
        let x = raws(&mut rng, t.input, c * n);
        let s = raws(&mut rng, t.scale, c);
        let sh = raws(&mut rng, t.shift, c);
        let want: Vec<i64> = (0..c * n)
            .map(|i| {
                let p = fx(x[i], t.input).mul(&fx(s[i / n], t.scale)).unwrap();
                let r = p.add(&fx(sh[i / n], t.shift)).unwrap();
                assert_eq!(r.ty(), cfg.result);
                r.cast(t.output).raw() as i64
            })
            .collect();
        let storage = pick_storage(&mut rng, &[t.input, t.scale, t.shift, t.output]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); c * n];
            ops::affine::run(
                &cfg,
                &store::<R>(&x),
                &store::<R>(&s),
                &store::<R>(&sh),
                &mut y,
            )
            .unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {t:?}");
    }
}

fn operand(rng: &mut impl Rng, t: FixedType, c: usize, n: usize) -> Operand {
    match rng.random_range(0..4) {
        0 => Operand::per_channel(t, c),
        1 => Operand::scalar(t),
        _ => Operand::full(t, c, n),
    }
}

#[test]
fn binary_ops_match_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for case in 0..600 {
        let op = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul][case % 3];
        let (c, n) = (rng.random_range(1..=4), rng.random_range(1..=16));
        let (ta, tb, to) = (data_ty(&mut rng), data_ty(&mut rng), data_ty(&mut rng));
        let (a, b) = (operand(&mut rng, ta, c, n), operand(&mut rng, tb, c, n));
        let cfg = match BinaryConfig::new(op, c, n, a, b, to) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => panic!("{e}"),
        };
        let av = raws(&mut rng, ta, a.len);
        let bv = raws(&mut rng, tb, b.len);
        let mut want = Vec::new();
        for ci in 0..c {
            for i in 0..n {
                let x = fx(av[ci * a.stride_c + i * a.stride_i], ta);
                let y = fx(bv[ci * b.stride_c + i * b.stride_i], tb);
                let r = match op {
                    BinaryOp::Add => x.add(&y),
                    BinaryOp::Sub => x.sub(&y),
                    BinaryOp::Mul => x.mul(&y),
                }
                .unwrap();
                assert_eq!(r.ty(), cfg.result);
                want.push(r.cast(to).raw() as i64);
            }
        }
        let storage = pick_storage(&mut rng, &[ta, tb, to]);
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); c * n];
            let (sa, sb) = (store::<R>(&av), store::<R>(&bv));
            match op {
                BinaryOp::Add => ops::add::run(&cfg, &sa, &sb, &mut y),
                BinaryOp::Sub => ops::sub::run(&cfg, &sa, &sb, &mut y),
                BinaryOp::Mul => ops::mul::run(&cfg, &sa, &sb, &mut y),
            }
            .unwrap();
            load(&y)
        });
        assert_eq!(got, want, "case {case}: {ta} {op:?} {tb} -> {to}");
    }
}

// ---------------------------------------------------------------- activations

fn one_int() -> Fixed {
    fx(1, FixedType::signed(32, 32).unwrap())
}

#[test]
fn activations_match_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for case in 0..400 {
        let n = rng.random_range(1..=64);
        let (tx, to) = (data_ty(&mut rng), data_ty(&mut rng));
        let x = raws(&mut rng, tx, n);
        let storage = pick_storage(&mut rng, &[tx, to]);
        let run = |f: &dyn Fn(&[i64]) -> Vec<i64>| f(&x);
        let zero = fx(0, tx);

        // ReLU
        let cfg = ReluConfig::new(n, tx, to).unwrap();
        let want: Vec<i64> = x
            .iter()
            .map(|&v| {
                if v > 0 {
                    fx(v, tx).cast(to).raw() as i64
                } else {
                    0
                }
            })
            .collect();
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); n];
            ops::relu::run(&cfg, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(got, want, "relu case {case}");

        // Clip with random bounds of their own type
        let tb = data_ty(&mut rng);
        let (mut lo, mut hi) = (raw(&mut rng, tb), raw(&mut rng, tb));
        if lo > hi {
            std::mem::swap(&mut lo, &mut hi);
        }
        let cfg = ClipConfig::new(n, tx, tb, lo, hi, to).unwrap();
        let (flo, fhi) = (fx(lo, tb), fx(hi, tb));
        let want = run(&|x| {
            x.iter()
                .map(|&v| {
                    let xv = fx(v, tx);
                    let chosen = if xv.sub(&flo).unwrap().raw() < 0 {
                        flo
                    } else if xv.sub(&fhi).unwrap().raw() > 0 {
                        fhi
                    } else {
                        xv
                    };
                    chosen.cast(to).raw() as i64
                })
                .collect()
        });
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); n];
            ops::clip::run(&cfg, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(
            got, want,
            "clip case {case}: {tx} in [{lo}, {hi}] of {tb} -> {to}"
        );

        // Leaky ReLU
        let ta = data_ty(&mut rng);
        let alpha = raw(&mut rng, ta);
        let cfg = LeakyReluConfig::new(n, tx, ta, alpha, to).unwrap();
        let want = run(&|x| {
            x.iter()
                .map(|&v| {
                    let xv = fx(v, tx);
                    let r = if v < 0 {
                        fx(alpha, ta).mul(&xv).unwrap().cast(to)
                    } else {
                        xv.cast(to)
                    };
                    r.raw() as i64
                })
                .collect()
        });
        let got = with_storage!(storage, R, {
            let mut y = vec![R::default(); n];
            ops::leaky_relu::run(&cfg, &store::<R>(&x), &mut y).unwrap();
            load(&y)
        });
        assert_eq!(got, want, "leaky_relu case {case}");

        // HardSigmoid and HardSwish
        let p = hard_params(&mut rng);
        let line = |v: i64| {
            fx(p.alpha, p.alpha_type)
                .mul(&fx(v, tx))
                .unwrap()
                .add(&fx(p.beta, p.beta_type))
                .unwrap()
        };
        if let Ok(cfg) = HardSigmoidConfig::new(n, tx, p, to) {
            let want = run(&|x| {
                x.iter()
                    .map(|&v| {
                        let t = line(v);
                        if t.raw() <= 0 {
                            0
                        } else if t.sub(&one_int()).unwrap().raw() >= 0 {
                            one_int().cast(to).raw() as i64
                        } else {
                            t.cast(to).raw() as i64
                        }
                    })
                    .collect()
            });
            let got = with_storage!(storage, R, {
                let mut y = vec![R::default(); n];
                ops::hard_sigmoid::run(&cfg, &store::<R>(&x), &mut y).unwrap();
                load(&y)
            });
            assert_eq!(got, want, "hard_sigmoid case {case}: {tx} {p:?} -> {to}");
        }
        if let Ok(cfg) = HardSwishConfig::new(n, tx, p, to) {
            let want = run(&|x| {
                x.iter()
                    .map(|&v| {
                        let t = line(v);
                        let xv = fx(v, tx);
                        let r = if t.raw() <= 0 {
                            zero.cast(to)
                        } else if t.sub(&one_int()).unwrap().raw() >= 0 {
                            xv.cast(to)
                        } else {
                            xv.mul(&t).unwrap().cast(to)
                        };
                        r.raw() as i64
                    })
                    .collect()
            });
            let got = with_storage!(storage, R, {
                let mut y = vec![R::default(); n];
                ops::hard_swish::run(&cfg, &store::<R>(&x), &mut y).unwrap();
                load(&y)
            });
            assert_eq!(got, want, "hard_swish case {case}: {tx} {p:?} -> {to}");
        }
    }
}

/// Constants far from the input's range, so that the kernels' thresholds leave the word they
/// compute in: clip bounds whose binary point is up to 40 bits away from the input's (every
/// input below `lo`, or above `hi`, or none; inputs up to 32 bits, so at the ends of an `i32`
/// word too), and HardSigmoid lines whose `1` has 20 to 40
/// fractional bits. (A line whose `1` is beyond `i32` while `alpha · x + beta` fits one has at
/// most one integer bit, so it never reaches 1: there the threshold cannot change a result.)
#[test]
fn thresholds_beyond_the_input_range() {
    let mut rng = ChaCha8Rng::seed_from_u64(35);
    let (mut all_below, mut all_above, mut one_far) = (0, 0, 0);
    for case in 0..3000 {
        let n = rng.random_range(1..=20);
        // Up to 32 bits: inputs at the ends of the `i32` words the kernels compute in, and
        // outputs as wide, where casts of different values seldom agree.
        let (tx, to) = if case % 3 == 0 {
            (ty(&mut rng, 28..=32), ty(&mut rng, 28..=32))
        } else {
            (ty(&mut rng, 2..=12), data_ty(&mut rng))
        };
        let x = raws(&mut rng, tx, n);
        let fx_in = |v: i64| fx(v, tx);
        // Clip.
        let wb = rng.random_range(2..=16);
        let f_b = tx.frac_bits() + rng.random_range(-40..=40);
        let Ok(tb) = FixedType::new(
            rng.random_bool(0.7),
            wb,
            wb as i32 - f_b,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        ) else {
            continue;
        };
        let (mut lo, mut hi) = (raw(&mut rng, tb), raw(&mut rng, tb));
        if lo > hi {
            std::mem::swap(&mut lo, &mut hi);
        }
        let cfg = ClipConfig::new(n, tx, tb, lo, hi, to).unwrap();
        let (flo, fhi) = (fx(lo, tb), fx(hi, tb));
        let want: Vec<i64> = x
            .iter()
            .map(|&v| {
                let xv = fx_in(v);
                let chosen = if xv.sub(&flo).unwrap().raw() < 0 {
                    flo
                } else if xv.sub(&fhi).unwrap().raw() > 0 {
                    fhi
                } else {
                    xv
                };
                chosen.cast(to).raw() as i64
            })
            .collect();
        let min = fx_in(tx.min_raw() as i64);
        let max = fx_in(tx.max_raw() as i64);
        all_below += usize::from(max.sub(&flo).unwrap().raw() < 0);
        all_above += usize::from(min.sub(&fhi).unwrap().raw() > 0);
        let mut y = vec![0i64; n];
        ops::clip::run(&cfg, &x, &mut y).unwrap();
        assert_eq!(
            y, want,
            "clip case {case}: {tx} in [{lo}, {hi}] of {tb} -> {to}"
        );

        // HardSigmoid with a fine alpha: `1` has 32 or more fractional bits.
        let f_a = rng.random_range(20..=40);
        let wa = rng.random_range(2..=8);
        let alpha_type =
            FixedType::new(true, wa, wa as i32 - f_a, Rounding::Trn, Overflow::Wrap, 0).unwrap();
        let beta_type = FixedType::new(true, 4, 2, Rounding::Trn, Overflow::Wrap, 0).unwrap();
        let p = HardParams {
            alpha_type,
            alpha: raw(&mut rng, alpha_type),
            beta_type,
            beta: raw(&mut rng, beta_type),
        };
        let Ok(cfg) = HardSigmoidConfig::new(n, tx, p, to) else {
            continue;
        };
        one_far += usize::from(cfg.line.one > i128::from(i32::MAX));
        let want: Vec<i64> = x
            .iter()
            .map(|&v| {
                let t = fx(p.alpha, p.alpha_type)
                    .mul(&fx_in(v))
                    .unwrap()
                    .add(&fx(p.beta, p.beta_type))
                    .unwrap();
                if t.raw() <= 0 {
                    0
                } else if t.sub(&one_int()).unwrap().raw() >= 0 {
                    one_int().cast(to).raw() as i64
                } else {
                    t.cast(to).raw() as i64
                }
            })
            .collect();
        let mut y = vec![0i64; n];
        ops::hard_sigmoid::run(&cfg, &x, &mut y).unwrap();
        assert_eq!(y, want, "hard_sigmoid case {case}: {tx} {p:?} -> {to}");
    }
    eprintln!("clip: {all_below} all below lo, {all_above} all above hi; {one_far} far ones");
    assert!(all_below > 100 && all_above > 100 && one_far > 100);
}

/// Usually ONNX's constants (1/6 or 0.2, and 0.5) rounded into random types, sometimes anything.
fn hard_params(rng: &mut impl Rng) -> HardParams {
    let alpha_type = data_ty(rng);
    let beta_type = data_ty(rng);
    let (alpha, beta) = if rng.random_bool(0.7) {
        let a = [1.0 / 6.0, 0.2][rng.random_range(0..2)];
        (
            Fixed::from_f64(a, alpha_type).unwrap().raw() as i64,
            Fixed::from_f64(0.5, beta_type).unwrap().raw() as i64,
        )
    } else {
        (raw(rng, alpha_type), raw(rng, beta_type))
    };
    HardParams {
        alpha_type,
        alpha,
        beta_type,
        beta,
    }
}

// ---------------------------------------------------------------- configs and errors

#[test]
fn windows_match_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..2000 {
        let pool = rng.random_bool(0.5);
        let win = random_window(&mut rng, true, pool);
        for oy in 0..win.out_h {
            let valid: Vec<usize> = (0..win.kernel_h)
                .filter(|&ky| {
                    let iy = (oy * win.stride_h + ky * win.dilation_h) as i64 - win.pad_top as i64;
                    iy >= 0 && iy < win.in_h as i64
                })
                .collect();
            let r = win.rows(oy);
            assert_eq!(r.clone().collect::<Vec<_>>(), valid, "{win:?} oy={oy}");
        }
        // The output columns each kernel column reaches: an interval.
        for (kx, &(o0, o1)) in win.col_spans().iter().enumerate() {
            let reached: Vec<usize> = (0..win.out_w)
                .filter(|&ox| {
                    let ix = (ox * win.stride_w + kx * win.dilation_w) as i64 - win.pad_left as i64;
                    ix >= 0 && ix < win.in_w as i64
                })
                .collect();
            assert_eq!((o0..o1).collect::<Vec<_>>(), reached, "{win:?} kx={kx}");
        }
    }
}

/// A user accumulator, step by step with `Fixed` (the differential-tested casts): the kernels'
/// contract (`ops::accum`) written out independently.
fn user_reference(t: &MacTypes, x: &[i64], w: &[i64], b: &[i64]) -> Vec<i64> {
    let n_in = x.len();
    let prod = FixedType::signed(
        t.input.width() + t.weight.width(),
        t.input.int_bits() + t.weight.int_bits(),
    )
    .unwrap();
    let sum = FixedType::new(
        t.accum.is_signed(),
        t.accum.width() + 1,
        t.accum.int_bits() + 1,
        Rounding::Trn,
        Overflow::Wrap,
        0,
    )
    .unwrap();
    b.iter()
        .enumerate()
        .map(|(o, &bo)| {
            let mut acc = Fixed::from_raw(i128::from(bo), t.bias)
                .unwrap()
                .cast(t.accum);
            for i in 0..n_in {
                let p = Fixed::from_raw(i128::from(x[i] * w[o * n_in + i]), prod)
                    .unwrap()
                    .cast(t.accum);
                acc = Fixed::from_raw(acc.raw() + p.raw(), sum)
                    .unwrap()
                    .cast(t.accum);
            }
            acc.cast(t.output).raw() as i64
        })
        .collect()
}

#[test]
fn narrow_accumulators_run_step_by_step_and_storage_is_checked() {
    let t8 = FixedType::signed(8, 3).unwrap();
    let types = MacTypes {
        input: t8,
        weight: t8,
        bias: t8,
        accum: FixedType::signed(16, 6).unwrap(),
        output: t8,
    };
    // 100 products of 8-bit values do not fit ap_fixed<16,6>: a user accumulator, whose
    // products lose bits and whose sums wrap, or saturate, exactly as ap_fixed does.
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for modes in [
        (Rounding::Trn, Overflow::Wrap),
        (Rounding::Rnd, Overflow::Sat),
        (Rounding::RndConv, Overflow::SatSym),
    ] {
        let t = MacTypes {
            accum: FixedType::signed(12, 4)
                .unwrap()
                .with_modes(modes.0, modes.1, 0)
                .unwrap(),
            ..types
        };
        let cfg = DenseConfig::new(100, 2, t).unwrap();
        assert!(cfg.plan.user.is_some());
        for _ in 0..50 {
            let x = raws(&mut rng, t8, 100);
            let w = raws(&mut rng, t8, 200);
            let b = raws(&mut rng, t8, 2);
            let mut y = vec![0i64; 2];
            ops::dense::run(&cfg, &x, &w, &b, &mut y).unwrap();
            assert_eq!(y, user_reference(&t, &x, &w, &b), "{modes:?}");
        }
    }
    // Too few fractional bits for the bias is not exact either: the step-by-step path.
    let fine_bias = MacTypes {
        bias: FixedType::signed(16, 0).unwrap(),
        accum: FixedType::signed(30, 16).unwrap(),
        ..types
    };
    assert!(DenseConfig::new(4, 2, fine_bias)
        .unwrap()
        .plan
        .user
        .is_some());
    let ok = MacTypes {
        accum: types.accum_span(100).unwrap().smallest_type().unwrap(),
        ..types
    };
    assert_eq!(ok.accum, FixedType::signed(22, 12).unwrap());
    let cfg = DenseConfig::new(100, 2, ok).unwrap();
    let x = vec![0i16; 100];
    let w = vec![0i8; 200];
    let mut y = vec![0i8; 2];
    ops::dense::run(&cfg, &x, &w, &[0i8, 0], &mut y).unwrap();
    // i8 cannot hold a 12-bit input.
    let wide = DenseConfig::new(
        100,
        2,
        MacTypes {
            input: FixedType::signed(12, 3).unwrap(),
            accum: FixedType::signed(40, 20).unwrap(),
            ..ok
        },
    )
    .unwrap();
    let x8 = vec![0i8; 100];
    let err = ops::dense::run(&wide, &x8, &w, &[0i8, 0], &mut y).unwrap_err();
    assert!(matches!(err, OpError::Storage { .. }), "{err}");
    let err = ops::dense::run(&cfg, &x[..99], &w, &[0i8, 0], &mut y).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
}

/// Throughput smoke check (not a benchmark): `cargo test --release -p binpoint-runtime --test
/// kernels_ops -- --ignored --nocapture conv2d_throughput`.
#[test]
#[ignore]
fn conv2d_throughput() {
    let t8 = FixedType::signed(8, 3).unwrap();
    let types = MacTypes {
        input: t8,
        weight: t8,
        bias: FixedType::signed(16, 8).unwrap(),
        accum: FixedType::signed(32, 17).unwrap(),
        output: t8.with_modes(Rounding::RndConv, Overflow::Sat, 0).unwrap(),
    };
    let win = Window2::new([32, 32], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], false).unwrap();
    let cfg = Conv2dConfig::new(16, 32, 1, win, types).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let x: Vec<i8> = store(&raws(&mut rng, t8, cfg.input_len()));
    let w: Vec<i8> = store(&raws(&mut rng, t8, cfg.weight_len()));
    let b: Vec<i16> = store(&raws(&mut rng, types.bias, 32));
    let mut y = vec![0i8; cfg.output_len()];
    let start = std::time::Instant::now();
    let reps = 20;
    for _ in 0..reps {
        ops::conv2d::run(&cfg, &x, &w, &b, &mut y).unwrap();
    }
    let secs = start.elapsed().as_secs_f64() / reps as f64;
    eprintln!(
        "conv2d 16->32 32x32 3x3: {:.2} ms, {:.2} GMAC/s",
        secs * 1e3,
        cfg.macs() as f64 / secs / 1e9
    );
}

// ---------------------------------------------------------------- lanes layout

/// Tile sizes: one lane (the one-sample layout), small odd ones, a block-sized one, one past 16.
const LANES: [usize; 6] = [1, 2, 3, 8, 17, 64];

/// `L` samples of `n` values each into the lanes layout: value `i` of sample `s` at `i·L + s`.
fn interleave(samples: &[Vec<i64>]) -> Vec<i64> {
    let lanes = samples.len();
    let n = samples[0].len();
    let mut v = vec![0; n * lanes];
    for (s, sample) in samples.iter().enumerate() {
        assert_eq!(sample.len(), n);
        for (i, &x) in sample.iter().enumerate() {
            v[i * lanes + s] = x;
        }
    }
    v
}

/// The inverse of [`interleave`].
fn deinterleave(v: &[i64], lanes: usize) -> Vec<Vec<i64>> {
    (0..lanes)
        .map(|s| v.iter().skip(s).step_by(lanes).copied().collect())
        .collect()
}

/// `lanes` random samples of `n` values of `t`.
fn samples(rng: &mut impl Rng, t: FixedType, n: usize, lanes: usize) -> Vec<Vec<i64>> {
    (0..lanes).map(|_| raws(rng, t, n)).collect()
}

/// Runs a one-input kernel on each sample (`one`) and on the tile (`tile`, lanes layout) and
/// returns both, per sample, as raw integers.
fn one_vs_tile<R: Raw>(
    xs: &[Vec<i64>],
    n_out: usize,
    one: impl Fn(&[R], &mut [R]) -> Result<(), OpError>,
    tile: impl Fn(&[R], &mut [R], usize) -> Result<(), OpError>,
) -> (Vec<Vec<i64>>, Vec<Vec<i64>>) {
    let lanes = xs.len();
    let want = xs
        .iter()
        .map(|x| {
            let mut y = vec![R::default(); n_out];
            one(&store::<R>(x), &mut y).unwrap();
            load(&y)
        })
        .collect();
    let mut y = vec![R::default(); n_out * lanes];
    tile(&store::<R>(&interleave(xs)), &mut y, lanes).unwrap();
    (deinterleave(&load(&y), lanes), want)
}

#[test]
fn activations_in_lanes_match_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(30);
    let mut checked = 0;
    for case in 0..240 {
        let lanes = LANES[case % LANES.len()];
        // Sizes around the kernels' block of 256 values.
        let n = if rng.random_bool(0.2) {
            rng.random_range(250..=600)
        } else {
            rng.random_range(1..=40)
        };
        let (tx, to) = (data_ty(&mut rng), data_ty(&mut rng));
        let xs = samples(&mut rng, tx, n, lanes);
        let storage = pick_storage(&mut rng, &[tx, to]);
        let relu = ReluConfig::new(n, tx, to).unwrap();
        let tb = data_ty(&mut rng);
        let (lo, hi) = (raw(&mut rng, tb), raw(&mut rng, tb));
        let clip = ClipConfig::new(n, tx, tb, lo.min(hi), lo.max(hi), to).unwrap();
        let ta = data_ty(&mut rng);
        let leaky = LeakyReluConfig::new(n, tx, ta, raw(&mut rng, ta), to).unwrap();
        let p = hard_params(&mut rng);
        let sigmoid = HardSigmoidConfig::new(n, tx, p, to).ok();
        let swish = HardSwishConfig::new(n, tx, p, to).ok();
        with_storage!(storage, R, {
            let (got, want) = one_vs_tile::<R>(
                &xs,
                n,
                |x, y| ops::relu::run(&relu, x, y),
                |x, y, l| ops::relu::run_lanes(&relu, x, y, l),
            );
            assert_eq!(got, want, "relu case {case}, {lanes} lanes");
            let (got, want) = one_vs_tile::<R>(
                &xs,
                n,
                |x, y| ops::clip::run(&clip, x, y),
                |x, y, l| ops::clip::run_lanes(&clip, x, y, l),
            );
            assert_eq!(got, want, "clip case {case}, {lanes} lanes");
            let (got, want) = one_vs_tile::<R>(
                &xs,
                n,
                |x, y| ops::leaky_relu::run(&leaky, x, y),
                |x, y, l| ops::leaky_relu::run_lanes(&leaky, x, y, l),
            );
            assert_eq!(got, want, "leaky_relu case {case}, {lanes} lanes");
            if let Some(cfg) = &sigmoid {
                let (got, want) = one_vs_tile::<R>(
                    &xs,
                    n,
                    |x, y| ops::hard_sigmoid::run(cfg, x, y),
                    |x, y, l| ops::hard_sigmoid::run_lanes(cfg, x, y, l),
                );
                assert_eq!(got, want, "hard_sigmoid case {case}, {lanes} lanes");
                checked += 1;
            }
            if let Some(cfg) = &swish {
                let (got, want) = one_vs_tile::<R>(
                    &xs,
                    n,
                    |x, y| ops::hard_swish::run(cfg, x, y),
                    |x, y, l| ops::hard_swish::run_lanes(cfg, x, y, l),
                );
                assert_eq!(got, want, "hard_swish case {case}, {lanes} lanes");
                checked += 1;
            }
        });
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn affine_in_lanes_matches_one_sample_runs() {
    use binpoint_runtime::ops::affine::{AffineConfig, AffineTypes};
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let mut cases = 0;
    let mut words = [0usize; 2];
    while cases < 180 {
        let lanes = LANES[cases % LANES.len()];
        let (c, n) = (rng.random_range(1..=5), rng.random_range(1..=70));
        let t = AffineTypes {
            input: data_ty(&mut rng),
            scale: data_ty(&mut rng),
            shift: data_ty(&mut rng),
            output: data_ty(&mut rng),
        };
        let Ok(cfg) = AffineConfig::new(c, n, t) else {
            continue; // wider than 64 bits
        };
        words[usize::from(cfg.requant.fits_i32())] += 1;
        let xs = samples(&mut rng, t.input, c * n, lanes);
        let (s, sh) = (raws(&mut rng, t.scale, c), raws(&mut rng, t.shift, c));
        let storage = pick_storage(&mut rng, &[t.input, t.scale, t.shift, t.output]);
        let (got, want) = with_storage!(storage, R, {
            let (s, sh) = (store::<R>(&s), store::<R>(&sh));
            one_vs_tile::<R>(
                &xs,
                c * n,
                |x, y| ops::affine::run(&cfg, x, &s, &sh, y),
                |x, y, l| ops::affine::run_lanes(&cfg, x, &s, &sh, y, l),
            )
        });
        assert_eq!(got, want, "case {cases}, {lanes} lanes: {t:?}");
        cases += 1;
    }
    assert!(words.iter().all(|&k| k > 40), "{words:?}");
}

/// Each operand a tensor per sample or a constant shared by every sample, with every broadcast
/// of `Operand` (full, per channel, scalar): the four pairings of per-sample and shared.
#[test]
fn binary_ops_in_lanes_match_one_sample_runs() {
    use binpoint_runtime::ops::binary::{self, Input};
    let mut rng = ChaCha8Rng::seed_from_u64(32);
    let mut cases = 0;
    let mut pairings = [0usize; 4];
    // Casts the kernel computes in `i32` and in `i64` words.
    let mut words = [0usize; 2];
    while cases < 480 {
        let lanes = LANES[cases % LANES.len()];
        let op = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul][cases % 3];
        let (c, n) = (rng.random_range(1..=4), rng.random_range(1..=80));
        let (ta, tb, to) = (data_ty(&mut rng), data_ty(&mut rng), data_ty(&mut rng));
        let (a, b) = (operand(&mut rng, ta, c, n), operand(&mut rng, tb, c, n));
        let Ok(cfg) = BinaryConfig::new(op, c, n, a, b, to) else {
            continue;
        };
        words[usize::from(cfg.requant.fits_i32())] += 1;
        let (a_shared, b_shared) = ((cases / 3) % 2 == 1, (cases / 6) % 2 == 1);
        pairings[usize::from(a_shared) * 2 + usize::from(b_shared)] += 1;
        // A shared operand is one sample's values repeated for every sample.
        let operand_samples = |rng: &mut ChaCha8Rng, t, len, shared| {
            if shared {
                vec![raws(rng, t, len); lanes]
            } else {
                samples(rng, t, len, lanes)
            }
        };
        let avs = operand_samples(&mut rng, ta, a.len, a_shared);
        let bvs = operand_samples(&mut rng, tb, b.len, b_shared);
        let storage = pick_storage(&mut rng, &[ta, tb, to]);
        let (got, want) = with_storage!(storage, R, {
            let want: Vec<Vec<i64>> = avs
                .iter()
                .zip(&bvs)
                .map(|(av, bv)| {
                    let mut y = vec![R::default(); c * n];
                    binary::run(&cfg, &store::<R>(av), &store::<R>(bv), &mut y).unwrap();
                    load(&y)
                })
                .collect();
            let tile = |vs: &Vec<Vec<i64>>, shared| {
                if shared {
                    store::<R>(&vs[0])
                } else {
                    store::<R>(&interleave(vs))
                }
            };
            let (at, bt) = (tile(&avs, a_shared), tile(&bvs, b_shared));
            let input = |v, shared| {
                if shared {
                    Input::Shared(v)
                } else {
                    Input::Lanes(v)
                }
            };
            let mut y = vec![R::default(); c * n * lanes];
            binary::run_lanes(
                &cfg,
                input(&at, a_shared),
                input(&bt, b_shared),
                &mut y,
                lanes,
            )
            .unwrap();
            (deinterleave(&load(&y), lanes), want)
        });
        assert_eq!(
            got, want,
            "case {cases}, {lanes} lanes: {op:?} a {a:?} shared={a_shared}, b {b:?} \
             shared={b_shared}"
        );
        cases += 1;
    }
    assert!(pairings.iter().all(|&k| k > 100), "{pairings:?}");
    assert!(words.iter().all(|&k| k > 50), "{words:?}");
}

#[test]
fn pools_in_lanes_match_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    let (mut max_cases, mut avg_cases) = (0, 0);
    for case in 0..360 {
        let lanes = LANES[case % LANES.len()];
        let c = rng.random_range(1..=3);
        let two_d = rng.random_bool(0.7);
        let win = random_window(&mut rng, two_d, true);
        let (tx, to) = (data_ty(&mut rng), data_ty(&mut rng));
        let cfg = MaxPoolConfig::new(c, win, tx, to).unwrap();
        let xs = samples(&mut rng, tx, cfg.input_len(), lanes);
        let storage = pick_storage(&mut rng, &[tx, to]);
        let (got, want) = with_storage!(storage, R, {
            one_vs_tile::<R>(
                &xs,
                cfg.output_len(),
                |x, y| ops::max_pool::run(&cfg, x, y),
                |x, y, l| ops::max_pool::run_lanes(&cfg, x, y, l),
            )
        });
        assert_eq!(got, want, "max case {case}, {lanes} lanes: {win:?}");
        max_cases += 1;

        let t = avg_types(&mut rng, win.size(), 1);
        let Ok(cfg) = AveragePoolConfig::new(c, win, rng.random_bool(0.5), t) else {
            continue;
        };
        let xs = samples(&mut rng, t.input, cfg.input_len(), lanes);
        let storage = pick_storage(&mut rng, &[t.input, t.output]);
        let (got, want) = with_storage!(storage, R, {
            one_vs_tile::<R>(
                &xs,
                cfg.output_len(),
                |x, y| ops::average_pool::run(&cfg, x, y),
                |x, y, l| ops::average_pool::run_lanes(&cfg, x, y, l),
            )
        });
        assert_eq!(got, want, "avg case {case}, {lanes} lanes: {win:?} {t:?}");
        avg_cases += 1;
    }
    assert!(max_cases == 360 && avg_cases > 200, "{avg_cases}");
}

#[test]
fn global_pools_in_lanes_match_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(34);
    let mut avg_cases = 0;
    for case in 0..300 {
        let lanes = LANES[case % LANES.len()];
        let c = rng.random_range(1..=4);
        let n = if rng.random_bool(0.3) {
            1 << rng.random_range(0..=6)
        } else {
            rng.random_range(1..=100)
        };
        let t = avg_types(&mut rng, n, n);
        let xs = samples(&mut rng, t.input, c * n, lanes);
        let storage = pick_storage(&mut rng, &[t.input, t.output]);
        let maxc = GlobalMaxPoolConfig::new(c, n, t.input, t.output).unwrap();
        let (got, want) = with_storage!(storage, R, {
            one_vs_tile::<R>(
                &xs,
                c,
                |x, y| ops::global_max_pool::run(&maxc, x, y),
                |x, y, l| ops::global_max_pool::run_lanes(&maxc, x, y, l),
            )
        });
        assert_eq!(got, want, "max case {case}, {lanes} lanes");
        let Ok(avgc) = GlobalAveragePoolConfig::new(c, n, t) else {
            continue;
        };
        let (got, want) = with_storage!(storage, R, {
            one_vs_tile::<R>(
                &xs,
                c,
                |x, y| ops::global_average_pool::run(&avgc, x, y),
                |x, y, l| ops::global_average_pool::run_lanes(&avgc, x, y, l),
            )
        });
        assert_eq!(got, want, "avg case {case}, {lanes} lanes: {t:?}");
        avg_cases += 1;
    }
    assert!(avg_cases > 150, "{avg_cases}");
}

/// Zero lanes and a product of lengths beyond `usize` are config errors, a slice of the wrong
/// length for the tile a length error; none panics.
#[test]
fn lanes_lengths_are_checked() {
    use binpoint_runtime::ops::affine::{AffineConfig, AffineTypes};
    use binpoint_runtime::ops::binary::{self, Input};
    let t8 = FixedType::signed(8, 3).unwrap();
    let is_config = |r: Result<(), OpError>| matches!(r, Err(OpError::Config { .. }));
    let is_length = |r: Result<(), OpError>| matches!(r, Err(OpError::Length { .. }));

    let relu = ReluConfig::new(5, t8, t8).unwrap();
    let (x, mut y) = (vec![0i8; 15], vec![0i8; 15]);
    ops::relu::run_lanes(&relu, &x, &mut y, 3).unwrap();
    assert!(is_config(ops::relu::run_lanes(&relu, &x, &mut y, 0)));
    assert!(is_config(ops::relu::run_lanes(
        &relu,
        &x,
        &mut y,
        usize::MAX
    )));
    assert!(is_length(ops::relu::run_lanes(&relu, &x[..14], &mut y, 3)));
    assert!(is_length(ops::relu::run_lanes(&relu, &x, &mut y[..10], 3)));
    assert!(is_length(ops::relu::run_lanes(&relu, &x, &mut y, 2)));
    let relu0 = ReluConfig::new(0, t8, t8).unwrap();
    ops::relu::run_lanes(&relu0, &[0i8; 0], &mut [0i8; 0], 4).unwrap();

    let win = Window2::new([4, 4], [2, 2], [2, 2], [1, 1], [0; 4], false).unwrap();
    let max = MaxPoolConfig::new(2, win, t8, t8).unwrap();
    let (x, mut y) = (vec![0i8; 32 * 3], vec![0i8; 8 * 3]);
    ops::max_pool::run_lanes(&max, &x, &mut y, 3).unwrap();
    assert!(is_config(ops::max_pool::run_lanes(&max, &x, &mut y, 0)));
    assert!(is_config(ops::max_pool::run_lanes(
        &max,
        &x,
        &mut y,
        usize::MAX / 4
    )));
    assert!(is_length(ops::max_pool::run_lanes(
        &max,
        &x[1..],
        &mut y,
        3
    )));
    assert!(is_length(ops::max_pool::run_lanes(&max, &x, &mut y, 1)));

    let gmax = GlobalMaxPoolConfig::new(2, 16, t8, t8).unwrap();
    assert!(is_config(ops::global_max_pool::run_lanes(
        &gmax, &x, &mut y, 0
    )));
    assert!(is_length(ops::global_max_pool::run_lanes(
        &gmax,
        &x,
        &mut y[1..],
        3
    )));

    let at = AffineTypes {
        input: t8,
        scale: t8,
        shift: t8,
        output: t8,
    };
    let aff = AffineConfig::new(2, 16, at).unwrap();
    let (s, sh) = ([1i8, 2], [0i8, 1]);
    ops::affine::run_lanes(&aff, &x, &s, &sh, &mut [0i8; 96], 3).unwrap();
    assert!(is_config(ops::affine::run_lanes(
        &aff, &x, &s, &sh, &mut y, 0
    )));
    assert!(is_length(ops::affine::run_lanes(
        &aff, &x, &s, &sh, &mut y, 3
    )));
    // scale and shift are one per channel, not per sample.
    let (s3, mut y3) = ([1i8; 6], vec![0i8; 96]);
    assert!(is_length(ops::affine::run_lanes(
        &aff, &x, &s3, &sh, &mut y3, 3
    )));

    // a: [2][3] per sample; b: per channel, per sample or shared.
    let cfg = BinaryConfig::new(
        BinaryOp::Add,
        2,
        3,
        Operand::full(t8, 2, 3),
        Operand::per_channel(t8, 2),
        t8,
    )
    .unwrap();
    let (a, mut y) = (vec![0i8; 6 * 4], vec![0i8; 6 * 4]);
    binary::run_lanes(&cfg, Input::Lanes(&a), Input::Lanes(&[0i8; 8]), &mut y, 4).unwrap();
    binary::run_lanes(&cfg, Input::Lanes(&a), Input::Shared(&[0i8; 2]), &mut y, 4).unwrap();
    let run =
        |a: Input<i8>, b: Input<i8>, y: &mut [i8], lanes| binary::run_lanes(&cfg, a, b, y, lanes);
    assert!(is_config(run(
        Input::Lanes(&a),
        Input::Shared(&[0; 2]),
        &mut y,
        0
    )));
    assert!(is_config(run(
        Input::Shared(&[0; 6]),
        Input::Shared(&[0; 2]),
        &mut y,
        0
    )));
    assert!(is_config(run(
        Input::Lanes(&a),
        Input::Lanes(&[0; 8]),
        &mut y,
        usize::MAX
    )));
    // A shared operand has one copy; a per-sample one a copy per lane.
    assert!(is_length(run(
        Input::Lanes(&a),
        Input::Shared(&[0; 8]),
        &mut y,
        4
    )));
    assert!(is_length(run(
        Input::Lanes(&a),
        Input::Lanes(&[0; 2]),
        &mut y,
        4
    )));
    assert!(is_length(run(
        Input::Shared(&a),
        Input::Shared(&[0; 2]),
        &mut y,
        4
    )));
    assert!(is_length(run(
        Input::Lanes(&a),
        Input::Shared(&[0; 2]),
        &mut y[1..],
        4
    )));
    // Strides reaching beyond an operand (public fields edited after `new`) are refused.
    let mut bad = cfg.clone();
    bad.b.stride_c = 5;
    let r = binary::run_lanes(&bad, Input::Lanes(&a), Input::Shared(&[0i8; 2]), &mut y, 4);
    assert!(matches!(r, Err(OpError::Config { .. })), "{r:?}");
}
