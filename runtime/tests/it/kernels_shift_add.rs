//! The multiplier-free kernels (`dense_shift_add`, `conv1d_shift_add`, `conv2d_shift_add`) against
//! their multiply twins (`dense`, `conv1d`, `conv2d`) on the same K-hot weights: random shapes,
//! groups, windows, types (W 2..18, every Q/O mode, accumulators from tight to roomy), K 1..4,
//! narrow and `i64` storage. The outputs must be bit-identical.

use binpoint_runtime::fixed::csd_weight;
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv1d_shift_add::{self, Conv1dShiftAddConfig};
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::conv2d_shift_add::{self, Conv2dShiftAddConfig};
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::dense_shift_add::{self, DenseShiftAddConfig};
use binpoint_runtime::ops::{self, MacTypes, Raw, Storage, Window2};
use binpoint_runtime::{FixedType, Overflow, Rounding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn ty(rng: &mut impl Rng, widths: std::ops::RangeInclusive<u32>) -> FixedType {
    let signed = rng.random_bool(0.8);
    let w = rng.random_range(widths);
    let i = rng.random_range(-3..=w as i32 + 3);
    let o = [Overflow::Wrap, Overflow::Sat, Overflow::SatSym][rng.random_range(0..3)];
    let q = Rounding::ALL[rng.random_range(0..7)];
    FixedType::new(signed, w, i, q, o, 0).unwrap()
}

fn raws(rng: &mut impl Rng, t: FixedType, n: usize) -> Vec<i64> {
    let (lo, hi) = (t.min_raw() as i64, t.max_raw() as i64);
    (0..n)
        .map(|_| match rng.random_range(0..8) {
            0 => lo,
            1 => hi,
            _ => rng.random_range(lo..=hi),
        })
        .collect()
}

/// Random raw values of `t` with at most `k` CSD digits: sums of up to `k` signed powers of two
/// (the type's extremes when they qualify).
fn khot_raws(rng: &mut impl Rng, t: FixedType, k: u32, n: usize) -> Vec<i64> {
    let (lo, hi) = (t.min_raw() as i64, t.max_raw() as i64);
    let top = t.width() - 1 + u32::from(!t.is_signed());
    (0..n)
        .map(|_| loop {
            let v = match rng.random_range(0..10) {
                0 => lo,
                1 => hi,
                2 => 0,
                _ => (0..rng.random_range(1..=k))
                    .map(|_| {
                        let p = 1i64 << rng.random_range(0..=top);
                        if rng.random_bool(0.5) {
                            -p
                        } else {
                            p
                        }
                    })
                    .sum(),
            };
            if (lo..=hi).contains(&v) && csd_weight(v) <= k {
                return v;
            }
        })
        .collect()
}

fn mac_types(rng: &mut impl Rng, fan_in: usize) -> MacTypes {
    loop {
        let input = ty(rng, 2..=18);
        let mut t = MacTypes {
            input,
            weight: ty(rng, 2..=16),
            bias: ty(rng, 2..=24),
            accum: input,
            output: ty(rng, 2..=18),
        };
        let Some(tight) = t.accum_span(fan_in).and_then(|s| s.smallest_type()) else {
            continue;
        };
        let extra = if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(0..=3)
        };
        if tight.width() + extra > 64 {
            continue;
        }
        t.accum =
            FixedType::signed(tight.width() + extra, tight.int_bits() + extra as i32).unwrap();
        return t;
    }
}

fn storage(rng: &mut impl Rng, t: &MacTypes) -> Storage {
    if rng.random_bool(0.5) {
        Storage::I64
    } else {
        [t.input, t.weight, t.bias, t.output]
            .iter()
            .map(|&x| Storage::for_type(x).unwrap())
            .max()
            .unwrap()
    }
}

fn store<R: Raw>(v: &[i64]) -> Vec<R> {
    v.iter().map(|&x| R::from_i64(x).expect("fits")).collect()
}

fn load<R: Raw>(v: &[R]) -> Vec<i64> {
    v.iter().map(|&x| x.into()).collect()
}

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

fn window(rng: &mut impl Rng, two_d: bool) -> Window2 {
    loop {
        let k = [rng.random_range(1..=3), rng.random_range(1..=4)];
        let s = [rng.random_range(1..=2), rng.random_range(1..=3)];
        let d = [rng.random_range(1..=2), rng.random_range(1..=2)];
        let p = [0, 0, 0, 0].map(|_: i32| rng.random_range(0..=2));
        let w = if two_d {
            let h = rng.random_range(1..=7);
            Window2::new([h, rng.random_range(1..=7)], k, s, d, p, false)
        } else {
            Window2::new_1d(
                rng.random_range(1..=14),
                k[1],
                s[1],
                d[1],
                [p[1], p[3]],
                false,
            )
        };
        if let Ok(w) = w {
            return w;
        }
    }
}

fn channels(rng: &mut impl Rng) -> (usize, usize, usize) {
    match rng.random_range(0..3) {
        0 => (rng.random_range(1..=4), rng.random_range(1..=4), 1),
        1 => {
            let c = rng.random_range(1..=4);
            (c, c * rng.random_range(1..=2), c)
        }
        _ => {
            let g = rng.random_range(1..=3);
            (g * rng.random_range(1..=2), g * rng.random_range(1..=2), g)
        }
    }
}

#[test]
fn dense_shift_add_equals_dense() {
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    let mut outputs = 0;
    for case in 0..400 {
        let (n_in, n_out) = (rng.random_range(1..=48), rng.random_range(1..=10));
        let k = rng.random_range(1..=4);
        let t = mac_types(&mut rng, n_in);
        let cfg = DenseConfig::new(n_in, n_out, t).unwrap();
        let x = raws(&mut rng, t.input, n_in);
        let w = khot_raws(&mut rng, t.weight, k, n_in * n_out);
        let b = raws(&mut rng, t.bias, n_out);
        let sa = DenseShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
        let (want, got) = with_storage!(storage(&mut rng, &t), R, {
            let (mut y, mut z) = (vec![R::default(); n_out], vec![R::default(); n_out]);
            let (xs, bs) = (store::<R>(&x), store::<R>(&b));
            ops::dense::run(&cfg, &xs, &store::<R>(&w), &bs, &mut y).unwrap();
            dense_shift_add::run(&sa, &xs, &bs, &mut z).unwrap();
            (load(&y), load(&z))
        });
        assert_eq!(got, want, "case {case}: k={k} {t:?}");
        outputs += got.len();
    }
    assert!(outputs > 1500);
}

#[test]
fn conv2d_shift_add_equals_conv2d() {
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    for case in 0..250 {
        let (cin, cout, groups) = channels(&mut rng);
        let win = window(&mut rng, true);
        let k = rng.random_range(1..=4);
        let t = mac_types(&mut rng, cin / groups * win.size());
        let cfg = Conv2dConfig::new(cin, cout, groups, win, t).unwrap();
        let x = raws(&mut rng, t.input, cfg.input_len());
        let w = khot_raws(&mut rng, t.weight, k, cfg.weight_len());
        let b = raws(&mut rng, t.bias, cout);
        let sa = Conv2dShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
        let (want, got) = with_storage!(storage(&mut rng, &t), R, {
            let n = cfg.output_len();
            let (mut y, mut z) = (vec![R::default(); n], vec![R::default(); n]);
            let (xs, bs) = (store::<R>(&x), store::<R>(&b));
            ops::conv2d::run(&cfg, &xs, &store::<R>(&w), &bs, &mut y).unwrap();
            conv2d_shift_add::run(&sa, &xs, &bs, &mut z).unwrap();
            (load(&y), load(&z))
        });
        assert_eq!(got, want, "case {case}: k={k} {win:?} {t:?}");
    }
}

#[test]
fn conv1d_shift_add_equals_conv1d() {
    let mut rng = ChaCha8Rng::seed_from_u64(63);
    for case in 0..250 {
        let (cin, cout, groups) = channels(&mut rng);
        let win = window(&mut rng, false);
        let k = rng.random_range(1..=4);
        let t = mac_types(&mut rng, cin / groups * win.size());
        let cfg = Conv1dConfig::new(cin, cout, groups, win, t).unwrap();
        let x = raws(&mut rng, t.input, cfg.input_len());
        let w = khot_raws(&mut rng, t.weight, k, cfg.weight_len());
        let b = raws(&mut rng, t.bias, cout);
        let sa = Conv1dShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
        let (want, got) = with_storage!(storage(&mut rng, &t), R, {
            let n = cfg.output_len();
            let (mut y, mut z) = (vec![R::default(); n], vec![R::default(); n]);
            let (xs, bs) = (store::<R>(&x), store::<R>(&b));
            ops::conv1d::run(&cfg, &xs, &store::<R>(&w), &bs, &mut y).unwrap();
            conv1d_shift_add::run(&sa, &xs, &bs, &mut z).unwrap();
            (load(&y), load(&z))
        });
        assert_eq!(got, want, "case {case}: k={k} {win:?} {t:?}");
    }
}

#[test]
fn weights_heavier_than_k_are_refused_with_their_index() {
    let t = MacTypes {
        input: FixedType::signed(8, 2).unwrap(),
        weight: FixedType::signed(8, 1).unwrap(),
        bias: FixedType::signed(8, 1).unwrap(),
        accum: FixedType::signed(24, 10).unwrap(),
        output: FixedType::signed(8, 3).unwrap(),
    };
    let cfg = DenseConfig::new(2, 2, t).unwrap();
    let e = DenseShiftAddConfig::new(cfg.clone(), 2, &[1, 2, 4, 0b0101_0101]).unwrap_err();
    assert!(
        e.to_string().contains("dense_shift_add: weight 3 (raw 85)"),
        "{e}"
    );
    assert!(DenseShiftAddConfig::new(cfg.clone(), 2, &[1, 2, 4]).is_err());
    assert!(DenseShiftAddConfig::new(cfg, 0, &[0, 0, 0, 0]).is_err());
}

// ---------------------------------------------------------------- lanes layout

/// Tile sizes: one lane (the one-sample layout), small odd ones, a block-sized one, one past 16.
const LANES: [usize; 6] = [1, 2, 3, 8, 17, 64];

/// `L` samples into the lanes layout: value `i` of sample `s` at `i·L + s`.
fn interleave(samples: &[Vec<i64>]) -> Vec<i64> {
    let lanes = samples.len();
    let mut v = vec![0; samples[0].len() * lanes];
    for (s, sample) in samples.iter().enumerate() {
        for (i, &x) in sample.iter().enumerate() {
            v[i * lanes + s] = x;
        }
    }
    v
}

fn deinterleave(v: &[i64], lanes: usize) -> Vec<Vec<i64>> {
    (0..lanes)
        .map(|s| v.iter().skip(s).step_by(lanes).copied().collect())
        .collect()
}

/// `run_lanes` of each shift-add kernel against one `run` per sample: bit-identical.
#[test]
fn shift_add_in_lanes_matches_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    let mut words = [0usize; 2];
    for case in 0..360 {
        let lanes = LANES[case % LANES.len()];
        let k = rng.random_range(1..=4);
        let kind = case % 3;
        let (cin, cout, groups) = channels(&mut rng);
        let win = window(&mut rng, kind == 1);
        // dense: n_in, n_out; conv: per-sample input and output lengths.
        let (n_in, n_out, fan_in) = match kind {
            0 => {
                let (i, o) = (rng.random_range(1..=48), rng.random_range(1..=40));
                (i, o, i)
            }
            _ => {
                let n_in = cin * win.in_h * win.in_w;
                (
                    n_in,
                    cout * win.out_h * win.out_w,
                    cin / groups * win.size(),
                )
            }
        };
        let t = mac_types(&mut rng, fan_in);
        let xs: Vec<Vec<i64>> = (0..lanes).map(|_| raws(&mut rng, t.input, n_in)).collect();
        let storage = storage(&mut rng, &t);
        let (got, want, fits) = match kind {
            0 => {
                let cfg = DenseConfig::new(n_in, n_out, t).unwrap();
                let w = khot_raws(&mut rng, t.weight, k, n_in * n_out);
                let b = raws(&mut rng, t.bias, n_out);
                let sa = DenseShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
                let (got, want) = with_storage!(storage, R, {
                    let bs = store::<R>(&b);
                    let want: Vec<Vec<i64>> = xs
                        .iter()
                        .map(|x| {
                            let mut y = vec![R::default(); n_out];
                            dense_shift_add::run(&sa, &store::<R>(x), &bs, &mut y).unwrap();
                            load(&y)
                        })
                        .collect();
                    let mut y = vec![R::default(); n_out * lanes];
                    let x = store::<R>(&interleave(&xs));
                    dense_shift_add::run_lanes(&sa, &x, &bs, &mut y, lanes).unwrap();
                    (deinterleave(&load(&y), lanes), want)
                });
                (
                    got,
                    want,
                    cfg.plan.requant.narrow().is_some_and(|r| r.fits_i32()),
                )
            }
            1 => {
                let cfg = Conv2dConfig::new(cin, cout, groups, win, t).unwrap();
                let w = khot_raws(&mut rng, t.weight, k, cfg.weight_len());
                let b = raws(&mut rng, t.bias, cout);
                let sa = Conv2dShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
                let (got, want) = with_storage!(storage, R, {
                    let bs = store::<R>(&b);
                    let want: Vec<Vec<i64>> = xs
                        .iter()
                        .map(|x| {
                            let mut y = vec![R::default(); n_out];
                            conv2d_shift_add::run(&sa, &store::<R>(x), &bs, &mut y).unwrap();
                            load(&y)
                        })
                        .collect();
                    let mut y = vec![R::default(); n_out * lanes];
                    let x = store::<R>(&interleave(&xs));
                    conv2d_shift_add::run_lanes(&sa, &x, &bs, &mut y, lanes).unwrap();
                    (deinterleave(&load(&y), lanes), want)
                });
                (
                    got,
                    want,
                    cfg.plan.requant.narrow().is_some_and(|r| r.fits_i32()),
                )
            }
            _ => {
                let cfg = Conv1dConfig::new(cin, cout, groups, win, t).unwrap();
                let w = khot_raws(&mut rng, t.weight, k, cfg.weight_len());
                let b = raws(&mut rng, t.bias, cout);
                let sa = Conv1dShiftAddConfig::new(cfg.clone(), k, &w).unwrap();
                let (got, want) = with_storage!(storage, R, {
                    let bs = store::<R>(&b);
                    let want: Vec<Vec<i64>> = xs
                        .iter()
                        .map(|x| {
                            let mut y = vec![R::default(); n_out];
                            conv1d_shift_add::run(&sa, &store::<R>(x), &bs, &mut y).unwrap();
                            load(&y)
                        })
                        .collect();
                    let mut y = vec![R::default(); n_out * lanes];
                    let x = store::<R>(&interleave(&xs));
                    conv1d_shift_add::run_lanes(&sa, &x, &bs, &mut y, lanes).unwrap();
                    (deinterleave(&load(&y), lanes), want)
                });
                (
                    got,
                    want,
                    cfg.plan.requant.narrow().is_some_and(|r| r.fits_i32()),
                )
            }
        };
        words[usize::from(fits)] += 1;
        assert_eq!(
            got, want,
            "case {case} (kind {kind}), {lanes} lanes: k={k} {t:?}"
        );
    }
    assert!(words.iter().all(|&n| n > 50), "{words:?}");
}

/// Zero lanes and products beyond `usize` are config errors, a wrong length for the tile a
/// length error.
#[test]
fn shift_add_lanes_are_checked() {
    use binpoint_runtime::ops::OpError;
    let t8 = FixedType::signed(8, 3).unwrap();
    let t = MacTypes {
        input: t8,
        weight: t8,
        bias: t8,
        accum: FixedType::signed(24, 9).unwrap(),
        output: t8,
    };
    let sa = DenseShiftAddConfig::new(DenseConfig::new(4, 3, t).unwrap(), 2, &[1; 12]).unwrap();
    let (x, b, mut y) = ([0i8; 8], [0i8; 3], [0i8; 6]);
    dense_shift_add::run_lanes(&sa, &x, &b, &mut y, 2).unwrap();
    let err = dense_shift_add::run_lanes(&sa, &x, &b, &mut y, 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err = dense_shift_add::run_lanes(&sa, &x, &b, &mut y, usize::MAX).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err = dense_shift_add::run_lanes(&sa, &x[1..], &b, &mut y, 2).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    // The bias is one per output, shared by every sample.
    let err = dense_shift_add::run_lanes(&sa, &x, &[0i8; 6], &mut y, 2).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");

    let win = Window2::new([3, 3], [2, 2], [1, 1], [1, 1], [0; 4], false).unwrap();
    let conv = Conv2dConfig::new(1, 2, 1, win, t).unwrap();
    let sa = Conv2dShiftAddConfig::new(conv, 1, &[1; 8]).unwrap();
    let (x, b, mut y) = ([0i8; 27], [0i8; 2], [0i8; 24]);
    conv2d_shift_add::run_lanes(&sa, &x, &b, &mut y, 3).unwrap();
    let err = conv2d_shift_add::run_lanes(&sa, &x, &b, &mut y, 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err = conv2d_shift_add::run_lanes(&sa, &x, &b, &mut y[1..], 3).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    let win = Window2::new_1d(5, 2, 1, 1, [0, 0], false).unwrap();
    let conv = Conv1dConfig::new(1, 1, 1, win, t).unwrap();
    let sa = Conv1dShiftAddConfig::new(conv, 1, &[1; 2]).unwrap();
    let err = conv1d_shift_add::run_lanes(&sa, &[0i8; 10], &[0i8], &mut [0i8; 8], 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    conv1d_shift_add::run_lanes(&sa, &[0i8; 10], &[0i8], &mut [0i8; 8], 2).unwrap();
}
