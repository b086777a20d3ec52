//! Random kernel cases: shapes, types (W 2..18 for data; every Q and O mode, with AP_RND_CONV,
//! AP_SAT and the defaults most often), raw data, the Rust kernel's outputs, and the C++ rendering.

use binpoint_runtime::fixed::csd_weight;
use binpoint_runtime::fixed::{difference_type, product_type};
use binpoint_runtime::ops::affine::{self, AffineConfig, AffineTypes};
use binpoint_runtime::ops::average_pool::{AveragePoolConfig, AvgTypes};
use binpoint_runtime::ops::binary::{BinaryConfig, BinaryOp, Operand};
use binpoint_runtime::ops::clip::ClipConfig;
use binpoint_runtime::ops::conv1d::Conv1dConfig;
use binpoint_runtime::ops::conv1d_shift_add::{self, Conv1dShiftAddConfig};
use binpoint_runtime::ops::conv2d::Conv2dConfig;
use binpoint_runtime::ops::conv2d_shift_add::{self, Conv2dShiftAddConfig};
use binpoint_runtime::ops::dense::DenseConfig;
use binpoint_runtime::ops::dense_shift_add::{self, DenseShiftAddConfig};
use binpoint_runtime::ops::global_average_pool::GlobalAveragePoolConfig;
use binpoint_runtime::ops::global_max_pool::GlobalMaxPoolConfig;
use binpoint_runtime::ops::hard_sigmoid::{HardParams, HardSigmoidConfig};
use binpoint_runtime::ops::hard_swish::HardSwishConfig;
use binpoint_runtime::ops::leaky_relu::LeakyReluConfig;
use binpoint_runtime::ops::lut::{LutConfig, LutTable};
use binpoint_runtime::ops::max_pool::MaxPoolConfig;
use binpoint_runtime::ops::relu::ReluConfig;
use binpoint_runtime::ops::softmax::{SoftmaxConfig, SoftmaxTypes};
use binpoint_runtime::ops::{self, MacTypes, OpError, Span, Window2};
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::render::{self, Rendered};
use super::CppCase;
use binpoint_runtime::ops::{valid_reuse_factors, MacStrategy};

/// The kernels the twin test checks, in the order cases are generated: every kernel of the one
/// table with its own Rust op and C++ header (`binpoint_runtime::ops::kernels::twins`).
pub fn ops() -> Vec<&'static str> {
    binpoint_runtime::ops::kernels::twins()
        .map(|k| k.stem)
        .collect()
}

/// `per_op` random cases of every kernel in [`ops`].
pub fn cases(seed: u64, per_op: usize) -> Result<Vec<CppCase>, OpError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ops = ops();
    let mut out = Vec::with_capacity(per_op * ops.len());
    for op in ops {
        for j in 0..per_op {
            // Every third case of a multiply-accumulate kernel is wide (see `WIDE_MACS`).
            let wide = j % 3 == 2 && WIDE_MACS.contains(&op);
            out.push(case_sized(&mut rng, op, wide)?);
        }
    }
    Ok(out)
}

/// The kernels that compute in `i128` when the accumulator or a product is wider than 64 bits
/// (`runtime::ops::gemm`, `runtime::ops::accum`).
pub const WIDE_MACS: [&str; 3] = ["dense", "conv1d", "conv2d"];

/// One random case of `op` (a name from [`ops`]).
pub fn case(rng: &mut impl Rng, op: &str) -> Result<CppCase, OpError> {
    case_sized(rng, op, false)
}

/// One random case of `op`; with `wide`, a multiply-accumulate kernel gets 20- to 40-bit inputs
/// and weights, so that its exact accumulator (or, one time in two, its user accumulator of 65
/// to 110 bits) is wider than 64 bits.
pub fn case_sized(rng: &mut impl Rng, op: &str, wide: bool) -> Result<CppCase, OpError> {
    match op {
        "dense" => dense(rng, wide),
        "conv1d" => conv1d(rng, wide),
        "conv2d" => conv2d(rng, wide),
        "dense_shift_add" => dense_shift_add(rng),
        "conv1d_shift_add" => conv_shift_add(rng, false),
        "conv2d_shift_add" => conv_shift_add(rng, true),
        "max_pool" => max_pool(rng),
        "average_pool" => average_pool(rng),
        "global_max_pool" => global_max_pool(rng),
        "global_average_pool" => global_average_pool(rng),
        "affine" => affine(rng),
        "add" => binary(rng, BinaryOp::Add),
        "sub" => binary(rng, BinaryOp::Sub),
        "mul" => binary(rng, BinaryOp::Mul),
        "relu" => relu(rng),
        "clip" => clip(rng),
        "leaky_relu" => leaky_relu(rng),
        "hard_sigmoid" => hard_sigmoid(rng),
        "hard_swish" => hard_swish(rng),
        "lut" => lut(rng),
        "softmax" => softmax(rng),
        _ => Err(OpError::Config {
            op: "kernel twins",
            reason: format!("no generator for {op}"),
        }),
    }
}

// ---------------------------------------------------------------- types and data

fn rounding(rng: &mut impl Rng) -> Rounding {
    match rng.random_range(0..10) {
        0..=2 => Rounding::Trn,
        3..=5 => Rounding::RndConv,
        _ => Rounding::ALL[rng.random_range(0..7)],
    }
}

/// `(O, N)`: mostly AP_WRAP and AP_SAT, every mode sometimes.
fn overflow(rng: &mut impl Rng, signed: bool, width: u32) -> (Overflow, u32) {
    match rng.random_range(0..20) {
        0..=6 => (Overflow::Wrap, 0),
        7..=12 => (Overflow::Sat, 0),
        13 | 14 => (Overflow::SatZero, 0),
        15 | 16 => (Overflow::SatSym, 0),
        17 if signed => (Overflow::WrapSm, rng.random_range(0..=width)),
        _ => (Overflow::Wrap, rng.random_range(1..=width)),
    }
}

/// A random declared type with `W` in `widths`; one in four with the default modes.
pub fn random_type(rng: &mut impl Rng, widths: std::ops::RangeInclusive<u32>) -> FixedType {
    let signed = rng.random_bool(0.8);
    let w = rng.random_range(widths);
    let i = rng.random_range(-3..=w as i32 + 3);
    if rng.random_bool(0.25) {
        return FixedType::new(signed, w, i, Rounding::Trn, Overflow::Wrap, 0).expect("valid");
    }
    let (o, n) = overflow(rng, signed, w);
    FixedType::new(signed, w, i, rounding(rng), o, n).expect("valid")
}

fn data_type(rng: &mut impl Rng) -> FixedType {
    random_type(rng, 2..=18)
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

/// The narrowest exact accumulator of `need`, sometimes with spare bits, random modes.
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
    let (o, _) = overflow(rng, true, 1);
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

/// Types of a multiply-accumulate layer with an exact accumulator; with `wide`, 20- to 40-bit
/// inputs and weights and an accumulator wider than 64 bits.
fn mac_types(rng: &mut impl Rng, fan_in: usize, wide: bool) -> MacTypes {
    loop {
        let data = |rng: &mut _| {
            if wide {
                random_type(rng, 20..=40)
            } else {
                data_type(rng)
            }
        };
        let input = data(rng);
        let mut t = MacTypes {
            input,
            weight: data(rng),
            bias: random_type(rng, 2..=24),
            accum: input,
            output: data_type(rng),
        };
        if let Some(acc) = t.accum_span(fan_in).and_then(|s| accum_for(rng, s)) {
            if wide && acc.width() <= 64 {
                continue;
            }
            t.accum = acc;
            return t;
        }
    }
}

/// One time in three (with `wide`, one in two), a user accumulator (the `accum` key): a random
/// type of 4 to 40 bits (with `wide`, 65 to 110) with random modes, usually too narrow to be
/// exact, so that every product is cast to it and every sum wraps or saturates in it
/// (`runtime::ops::accum`), in both strategies.
fn user_accum(rng: &mut impl Rng, mut t: MacTypes, wide: bool) -> MacTypes {
    if wide {
        if rng.random_bool(0.5) {
            t.accum = random_wide_type(rng, 65..=110);
        }
    } else if rng.random_bool(1.0 / 3.0) {
        t.accum = random_type(rng, 4..=40);
    }
    t
}

/// [`random_type`] beyond 64 bits (an accumulator: [`FixedType::wide`]).
fn random_wide_type(rng: &mut impl Rng, widths: std::ops::RangeInclusive<u32>) -> FixedType {
    let signed = rng.random_bool(0.8);
    let w = rng.random_range(widths);
    let i = rng.random_range(-3..=w as i32 + 3);
    let (o, n) = overflow(rng, signed, w);
    FixedType::wide(signed, w, i, rounding(rng), o, n).expect("valid")
}

/// Runs of every instantiation, each on fresh random data (free: g++ time is per instantiation).
pub const RUNS: usize = 6;

/// Inputs and outputs of [`RUNS`] runs of `one`, concatenated.
fn runs<R: Rng>(
    rng: &mut R,
    mut one: impl FnMut(&mut R) -> Result<(Vec<i64>, Vec<i64>), OpError>,
) -> Result<(Vec<i64>, Vec<i64>), OpError> {
    let (mut input, mut expected) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (i, e) = one(rng)?;
        input.extend(i);
        expected.extend(e);
    }
    Ok((input, expected))
}

fn case_of(
    op: &'static str,
    label: String,
    r: Rendered,
    (input, expected): (Vec<i64>, Vec<i64>),
    output: FixedType,
) -> CppCase {
    CppCase {
        op,
        label,
        config: r.config,
        body: r.body,
        runs: RUNS,
        input,
        expected,
        output,
    }
}

fn concat(parts: &[&[i64]]) -> Vec<i64> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

// ---------------------------------------------------------------- multiply-accumulate

/// A random strategy and a random valid reuse factor (hls4ml's rule) of `n_in × n_out` products.
fn fold(rng: &mut impl Rng, n_in: usize, n_out: usize) -> (MacStrategy, usize) {
    let valid = valid_reuse_factors(n_in, n_out);
    let r = valid[rng.random_range(0..valid.len())];
    let s = if rng.random_bool(0.5) {
        MacStrategy::Latency
    } else {
        MacStrategy::Resource
    };
    (s, r)
}

fn dense(rng: &mut impl Rng, wide: bool) -> Result<CppCase, OpError> {
    let n_in = rng.random_range(1..=48);
    let n_out = rng.random_range(1..=10);
    let t = mac_types(rng, n_in, wide);
    let t = user_accum(rng, t, wide);
    let (strategy, reuse) = fold(rng, n_in, n_out);
    let cfg = DenseConfig::new(n_in, n_out, t)?.with_fold(strategy, reuse)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, t.input, n_in);
        let w = raws(rng, t.weight, n_in * n_out);
        let b = raws(rng, t.bias, n_out);
        let mut y = vec![0i64; n_out];
        ops::dense::run(&cfg, &x, &w, &b, &mut y)?;
        Ok((concat(&[&x, &w, &b]), y))
    })?;
    let label = format!("dense {n_in}->{n_out} {t:?}");
    Ok(case_of("dense", label, render::dense(&cfg), data, t.output))
}

/// Random raw values of `t` with at most `k` CSD digits (sums of up to `k` signed powers of two,
/// the type's extremes when they qualify).
fn khot_raws(rng: &mut impl Rng, t: FixedType, k: u32, n: usize) -> Vec<i64> {
    let (lo, hi) = (t.min_raw() as i64, t.max_raw() as i64);
    let top = t.width() - u32::from(t.is_signed());
    (0..n)
        .map(|_| loop {
            let v: i64 = match rng.random_range(0..10) {
                0 => lo,
                1 => hi,
                2 => 0,
                _ => (0..rng.random_range(1..=k))
                    .map(|_| {
                        (1i64 << rng.random_range(0..=top))
                            * if rng.random_bool(0.5) { -1 } else { 1 }
                    })
                    .sum(),
            };
            if (lo..=hi).contains(&v) && csd_weight(v) <= k {
                return v;
            }
        })
        .collect()
}

fn dense_shift_add(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let n_in = rng.random_range(1..=32);
    let n_out = rng.random_range(1..=8);
    let k = rng.random_range(1..=4);
    let t = mac_types(rng, n_in, false);
    let dense = DenseConfig::new(n_in, n_out, t)?;
    let mut first = None;
    let data = runs(rng, |rng| {
        let x = raws(rng, t.input, n_in);
        let w = khot_raws(rng, t.weight, k, n_in * n_out);
        let b = raws(rng, t.bias, n_out);
        let cfg = DenseShiftAddConfig::new(dense.clone(), k, &w)?;
        let mut y = vec![0i64; n_out];
        dense_shift_add::run(&cfg, &x, &b, &mut y)?;
        let (shift, sign) = cfg.terms.table();
        first.get_or_insert(cfg);
        Ok((concat(&[&x, &shift, &sign, &b]), y))
    })?;
    let cfg = first.ok_or_else(|| OpError::Config {
        op: "kernel twins",
        reason: "no runs".into(),
    })?;
    let label = format!("dense_shift_add {n_in}->{n_out} k{k} {t:?}");
    Ok(case_of(
        "dense_shift_add",
        label,
        render::dense_shift_add(&cfg),
        data,
        t.output,
    ))
}

fn conv_shift_add(rng: &mut impl Rng, two_d: bool) -> Result<CppCase, OpError> {
    let (cin, cout, groups) = channels_and_groups(rng);
    let win = window(rng, two_d, false);
    let k = rng.random_range(1..=4);
    let t = mac_types(rng, cin / groups * win.size(), false);
    let op = if two_d {
        "conv2d_shift_add"
    } else {
        "conv1d_shift_add"
    };
    let label = format!("{op} {cin}->{cout} g{groups} k{k} {win:?} {t:?}");
    if two_d {
        let conv = Conv2dConfig::new(cin, cout, groups, win, t)?;
        let (strategy, reuse) = fold(rng, conv.fan_in(), cout);
        let conv = conv.clone().with_fold(strategy, reuse)?;
        let mut first = None;
        let data = runs(rng, |rng| {
            let x = raws(rng, t.input, conv.input_len());
            let w = khot_raws(rng, t.weight, k, conv.weight_len());
            let b = raws(rng, t.bias, cout);
            let cfg = Conv2dShiftAddConfig::new(conv.clone(), k, &w)?;
            let mut y = vec![0i64; conv.output_len()];
            conv2d_shift_add::run(&cfg, &x, &b, &mut y)?;
            let (shift, sign) = cfg.terms.table();
            first.get_or_insert(cfg);
            Ok((concat(&[&x, &shift, &sign, &b]), y))
        })?;
        let cfg = first.ok_or_else(|| OpError::Config {
            op: "kernel twins",
            reason: "no runs".into(),
        })?;
        Ok(case_of(
            op,
            label,
            render::conv2d_shift_add(&cfg),
            data,
            t.output,
        ))
    } else {
        let conv = Conv1dConfig::new(cin, cout, groups, win, t)?;
        let (strategy, reuse) = fold(rng, conv.fan_in(), cout);
        let conv = conv.clone().with_fold(strategy, reuse)?;
        let mut first = None;
        let data = runs(rng, |rng| {
            let x = raws(rng, t.input, conv.input_len());
            let w = khot_raws(rng, t.weight, k, conv.weight_len());
            let b = raws(rng, t.bias, cout);
            let cfg = Conv1dShiftAddConfig::new(conv.clone(), k, &w)?;
            let mut y = vec![0i64; conv.output_len()];
            conv1d_shift_add::run(&cfg, &x, &b, &mut y)?;
            let (shift, sign) = cfg.terms.table();
            first.get_or_insert(cfg);
            Ok((concat(&[&x, &shift, &sign, &b]), y))
        })?;
        let cfg = first.ok_or_else(|| OpError::Config {
            op: "kernel twins",
            reason: "no runs".into(),
        })?;
        Ok(case_of(
            op,
            label,
            render::conv1d_shift_add(&cfg),
            data,
            t.output,
        ))
    }
}

/// A random window; pooling windows read at least one input each.
fn window(rng: &mut impl Rng, two_d: bool, pool: bool) -> Window2 {
    loop {
        let k = [rng.random_range(1..=3), rng.random_range(1..=4)];
        let s = [rng.random_range(1..=3), rng.random_range(1..=3)];
        let d = if pool || rng.random_bool(0.6) {
            [1, 1]
        } else {
            [rng.random_range(1..=3), rng.random_range(1..=3)]
        };
        let p = [
            rng.random_range(0..=2),
            rng.random_range(0..=2),
            rng.random_range(0..=2),
            rng.random_range(0..=2),
        ];
        let ceil = pool && rng.random_bool(0.3);
        let w = if two_d {
            let input = [rng.random_range(1..=8), rng.random_range(1..=8)];
            Window2::new(input, k, s, d, p, ceil)
        } else {
            Window2::new_1d(
                rng.random_range(1..=16),
                k[1],
                s[1],
                d[1],
                [p[1], p[3]],
                ceil,
            )
        };
        if let Ok(w) = w {
            if !pool || w.every_window_reads_input() {
                return w;
            }
        }
    }
}

fn channels_and_groups(rng: &mut impl Rng) -> (usize, usize, usize) {
    match rng.random_range(0..3) {
        0 => (rng.random_range(1..=4), rng.random_range(1..=4), 1),
        1 => {
            let c = rng.random_range(1..=4);
            (c, c * rng.random_range(1..=2), c) // depthwise, with a multiplier
        }
        _ => {
            let g = rng.random_range(1..=3);
            (g * rng.random_range(1..=2), g * rng.random_range(1..=2), g)
        }
    }
}

fn conv2d(rng: &mut impl Rng, wide: bool) -> Result<CppCase, OpError> {
    let (cin, cout, groups) = channels_and_groups(rng);
    let win = window(rng, true, false);
    let t = mac_types(rng, cin / groups * win.size(), wide);
    let t = user_accum(rng, t, wide);
    let cfg = Conv2dConfig::new(cin, cout, groups, win, t)?;
    let (strategy, reuse) = fold(rng, cfg.fan_in(), cout);
    let cfg = cfg.with_fold(strategy, reuse)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, t.input, cfg.input_len());
        let w = raws(rng, t.weight, cfg.weight_len());
        let b = raws(rng, t.bias, cout);
        let mut y = vec![0i64; cfg.output_len()];
        ops::conv2d::run(&cfg, &x, &w, &b, &mut y)?;
        Ok((concat(&[&x, &w, &b]), y))
    })?;
    let label = format!("conv2d {cin}->{cout} g{groups} {win:?} {t:?}");
    Ok(case_of(
        "conv2d",
        label,
        render::conv2d(&cfg),
        data,
        t.output,
    ))
}

fn conv1d(rng: &mut impl Rng, wide: bool) -> Result<CppCase, OpError> {
    let (cin, cout, groups) = channels_and_groups(rng);
    let win = window(rng, false, false);
    let t = mac_types(rng, cin / groups * win.kernel_w, wide);
    let t = user_accum(rng, t, wide);
    let cfg = Conv1dConfig::new(cin, cout, groups, win, t)?;
    let (strategy, reuse) = fold(rng, cfg.fan_in(), cout);
    let cfg = cfg.with_fold(strategy, reuse)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, t.input, cfg.input_len());
        let w = raws(rng, t.weight, cfg.weight_len());
        let b = raws(rng, t.bias, cout);
        let mut y = vec![0i64; cfg.output_len()];
        ops::conv1d::run(&cfg, &x, &w, &b, &mut y)?;
        Ok((concat(&[&x, &w, &b]), y))
    })?;
    let label = format!("conv1d {cin}->{cout} g{groups} {win:?} {t:?}");
    Ok(case_of(
        "conv1d",
        label,
        render::conv1d(&cfg),
        data,
        t.output,
    ))
}

// ---------------------------------------------------------------- pooling

fn max_pool(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let c = rng.random_range(1..=3);
    let two_d = rng.random_bool(0.7);
    let win = window(rng, two_d, true);
    let (tx, ty) = (data_type(rng), data_type(rng));
    let cfg = MaxPoolConfig::new(c, win, tx, ty)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, tx, cfg.input_len());
        let mut y = vec![0i64; cfg.output_len()];
        ops::max_pool::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    let label = format!("max_pool c{c} {win:?} {tx} -> {ty}");
    Ok(case_of("max_pool", label, render::max_pool(&cfg), data, ty))
}

/// Average types for sums of up to `n` inputs and divisors from `min_count`; `None` when the
/// product with the reciprocal would not fit 64 bits.
fn avg_types(rng: &mut impl Rng, n: usize, min_count: usize) -> Option<AvgTypes> {
    let input = data_type(rng);
    let accum = accum_for(rng, Span::of(input).repeated(n as u64)?)?;
    let recip = if rng.random_bool(0.6) {
        AvgTypes::recip_type(min_count, rng.random_range(8..=20)).ok()?
    } else {
        let w = rng.random_range(4..=20);
        let (o, _) = overflow(rng, false, 1);
        FixedType::new(
            rng.random_bool(0.3),
            w,
            rng.random_range(-3..=2),
            rounding(rng),
            o,
            0,
        )
        .ok()?
    };
    Some(AvgTypes {
        input,
        accum,
        recip,
        output: data_type(rng),
    })
}

fn average_pool(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let c = rng.random_range(1..=3);
        let two_d = rng.random_bool(0.7);
        let win = window(rng, two_d, true);
        let include = rng.random_bool(0.5);
        let Some(t) = avg_types(rng, win.size(), 1) else {
            continue;
        };
        let cfg = match AveragePoolConfig::new(c, win, include, t) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let recip = render::average_pool_recip(&cfg);
        let data = runs(rng, |rng| {
            let x = raws(rng, t.input, cfg.input_len());
            let mut y = vec![0i64; cfg.output_len()];
            ops::average_pool::run(&cfg, &x, &mut y)?;
            Ok((concat(&[&x, &recip]), y))
        })?;
        let label = format!(
            "average_pool c{c} {win:?} include_pad={include} {:?} {t:?}",
            cfg.divide
        );
        return Ok(case_of(
            "average_pool",
            label,
            render::average_pool(&cfg),
            data,
            t.output,
        ));
    }
}

fn pool_size(rng: &mut impl Rng) -> usize {
    if rng.random_bool(0.4) {
        1 << rng.random_range(0..=6)
    } else {
        rng.random_range(1..=100)
    }
}

fn global_max_pool(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let (c, n) = (rng.random_range(1..=4), pool_size(rng));
    let (tx, ty) = (data_type(rng), data_type(rng));
    let cfg = GlobalMaxPoolConfig::new(c, n, tx, ty)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, tx, c * n);
        let mut y = vec![0i64; c];
        ops::global_max_pool::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    let label = format!("global_max_pool c{c} n{n} {tx} -> {ty}");
    Ok(case_of(
        "global_max_pool",
        label,
        render::global_max_pool(&cfg),
        data,
        ty,
    ))
}

fn global_average_pool(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let (c, n) = (rng.random_range(1..=4), pool_size(rng));
        let Some(t) = avg_types(rng, n, n) else {
            continue;
        };
        let cfg = match GlobalAveragePoolConfig::new(c, n, t) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let data = runs(rng, |rng| {
            let x = raws(rng, t.input, c * n);
            let mut y = vec![0i64; c];
            ops::global_average_pool::run(&cfg, &x, &mut y)?;
            Ok((x, y))
        })?;
        let label = format!("global_average_pool c{c} n{n} {:?} {t:?}", cfg.divide);
        return Ok(case_of(
            "global_average_pool",
            label,
            render::global_average_pool(&cfg),
            data,
            t.output,
        ));
    }
}

// ---------------------------------------------------------------- element-wise

fn affine(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let (c, n) = (rng.random_range(1..=5), rng.random_range(1..=12));
        let t = AffineTypes {
            input: data_type(rng),
            scale: data_type(rng),
            shift: data_type(rng),
            output: data_type(rng),
        };
        let cfg = match AffineConfig::new(c, n, t) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let data = runs(rng, |rng| {
            let x = raws(rng, t.input, c * n);
            let s = raws(rng, t.scale, c);
            let sh = raws(rng, t.shift, c);
            let mut y = vec![0i64; c * n];
            affine::run(&cfg, &x, &s, &sh, &mut y)?;
            Ok((concat(&[&x, &s, &sh]), y))
        })?;
        let label = format!("affine c{c} n{n} {t:?}");
        return Ok(case_of(
            "affine",
            label,
            render::affine(&cfg),
            data,
            t.output,
        ));
    }
}

fn operand(rng: &mut impl Rng, t: FixedType, c: usize, n: usize) -> Operand {
    match rng.random_range(0..4) {
        0 => Operand::per_channel(t, c),
        1 => Operand::scalar(t),
        _ => Operand::full(t, c, n),
    }
}

fn binary(rng: &mut impl Rng, op: BinaryOp) -> Result<CppCase, OpError> {
    loop {
        let (c, n) = (rng.random_range(1..=4), rng.random_range(1..=16));
        let (ta, tb, to) = (data_type(rng), data_type(rng), data_type(rng));
        let (a, b) = (operand(rng, ta, c, n), operand(rng, tb, c, n));
        let cfg = match BinaryConfig::new(op, c, n, a, b, to) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let data = runs(rng, |rng| {
            let av = raws(rng, ta, a.len);
            let bv = raws(rng, tb, b.len);
            let mut y = vec![0i64; c * n];
            match op {
                BinaryOp::Add => ops::add::run(&cfg, &av, &bv, &mut y),
                BinaryOp::Sub => ops::sub::run(&cfg, &av, &bv, &mut y),
                BinaryOp::Mul => ops::mul::run(&cfg, &av, &bv, &mut y),
            }?;
            Ok((concat(&[&av, &bv]), y))
        })?;
        let label = format!(
            "{} c{c} n{n} a{:?} b{:?} -> {to}",
            op.name(),
            (ta.to_string(), a.stride_c, a.stride_i),
            (tb.to_string(), b.stride_c, b.stride_i)
        );
        return Ok(case_of(op.name(), label, render::binary(&cfg), data, to));
    }
}

// ---------------------------------------------------------------- activations

fn relu(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let n = rng.random_range(1..=64);
    let (tx, ty) = (data_type(rng), data_type(rng));
    let cfg = ReluConfig::new(n, tx, ty)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, tx, n);
        let mut y = vec![0i64; n];
        ops::relu::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    Ok(case_of(
        "relu",
        format!("relu {tx} -> {ty}"),
        render::relu(&cfg),
        data,
        ty,
    ))
}

fn clip(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let n = rng.random_range(1..=64);
    let (tx, ty) = (data_type(rng), data_type(rng));
    let cfg = if rng.random_bool(0.3) {
        ClipConfig::relu6(n, tx, ty)?
    } else {
        let tb = data_type(rng);
        let (a, b) = (raw(rng, tb), raw(rng, tb));
        ClipConfig::new(n, tx, tb, a.min(b), a.max(b), ty)?
    };
    let data = runs(rng, |rng| {
        let x = raws(rng, tx, n);
        let mut y = vec![0i64; n];
        ops::clip::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    let label = format!(
        "clip {tx} in [{}, {}] of {} -> {ty}",
        cfg.lo, cfg.hi, cfg.bound
    );
    Ok(case_of("clip", label, render::clip(&cfg), data, ty))
}

fn leaky_relu(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let n = rng.random_range(1..=64);
    let (tx, ty, ta) = (data_type(rng), data_type(rng), data_type(rng));
    let alpha = if rng.random_bool(0.5) {
        Fixed::from_f64(0.01, ta).map_or(0, |f| f.raw() as i64)
    } else {
        raw(rng, ta)
    };
    let cfg = LeakyReluConfig::new(n, tx, ta, alpha, ty)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, tx, n);
        let mut y = vec![0i64; n];
        ops::leaky_relu::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    let label = format!("leaky_relu {tx} alpha {alpha} of {ta} -> {ty}");
    Ok(case_of(
        "leaky_relu",
        label,
        render::leaky_relu(&cfg),
        data,
        ty,
    ))
}

/// Usually ONNX's constants (alpha 1/6 or 0.2, beta 0.5) in random types, sometimes anything.
fn hard_params(rng: &mut impl Rng) -> HardParams {
    let alpha_type = data_type(rng);
    let beta_type = data_type(rng);
    let (alpha, beta) = if rng.random_bool(0.7) {
        let a = [1.0 / 6.0, 0.2][rng.random_range(0..2)];
        (
            Fixed::from_f64(a, alpha_type).map_or(0, |f| f.raw() as i64),
            Fixed::from_f64(0.5, beta_type).map_or(0, |f| f.raw() as i64),
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

fn hard_sigmoid(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let n = rng.random_range(1..=64);
        let (tx, ty, p) = (data_type(rng), data_type(rng), hard_params(rng));
        let cfg = match HardSigmoidConfig::new(n, tx, p, ty) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let data = runs(rng, |rng| {
            let x = raws(rng, tx, n);
            let mut y = vec![0i64; n];
            ops::hard_sigmoid::run(&cfg, &x, &mut y)?;
            Ok((x, y))
        })?;
        let label = format!("hard_sigmoid {tx} {p:?} -> {ty}");
        return Ok(case_of(
            "hard_sigmoid",
            label,
            render::hard_sigmoid(&cfg),
            data,
            ty,
        ));
    }
}

fn hard_swish(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let n = rng.random_range(1..=64);
        let (tx, ty, p) = (data_type(rng), data_type(rng), hard_params(rng));
        let cfg = match HardSwishConfig::new(n, tx, p, ty) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let data = runs(rng, |rng| {
            let x = raws(rng, tx, n);
            let mut y = vec![0i64; n];
            ops::hard_swish::run(&cfg, &x, &mut y)?;
            Ok((x, y))
        })?;
        let label = format!("hard_swish {tx} {p:?} -> {ty}");
        return Ok(case_of(
            "hard_swish",
            label,
            render::hard_swish(&cfg),
            data,
            ty,
        ));
    }
}

// ---------------------------------------------------------------- tables

/// `f` at the middle of each entry's bucket (docs/precision.md), cast into `entry`, as
/// `LutSpec::entries` computes them.
fn table_entries(
    f: impl Fn(f64) -> f64,
    index: FixedType,
    origin_raw: i64,
    shift: u32,
    size: usize,
    entry: FixedType,
) -> Vec<i64> {
    let lsb = (-f64::from(index.frac_bits())).exp2();
    let step = lsb * f64::from(shift).exp2();
    let origin = origin_raw as f64 * lsb;
    (0..size)
        .map(|i| {
            let v = f(origin + i as f64 * step + (step - lsb) / 2.0);
            Fixed::from_f64(v, entry).map_or(0, |e| e.raw() as i64)
        })
        .collect()
}

/// A type of 19 to 64 bits whose raw values fit `i64` (the index arithmetic then needs up to 66).
fn wide_type(rng: &mut impl Rng) -> FixedType {
    loop {
        let t = random_type(rng, 19..=64);
        if t.is_signed() || t.width() < 64 {
            return t;
        }
    }
}

/// Random index arithmetic over `index`: the origin usually inside the type's range (a table
/// covering part of it), sometimes outside; any shift up to beyond the width (inputs clamp).
fn table_shape(rng: &mut impl Rng, index: FixedType, max_log_size: u32) -> (i64, u32, usize) {
    let size = 1usize << rng.random_range(0..=max_log_size);
    let shift = rng.random_range(0..=index.width() + 2);
    let (lo, hi) = (index.min_raw() as i64, index.max_raw() as i64);
    let span = (size as i64) << shift.min(40);
    let origin = match rng.random_range(0..4) {
        0 => lo,
        1 => rng.random_range(lo.saturating_sub(span)..=hi.saturating_add(span / 2)),
        _ => {
            let o = rng.random_range(lo..=hi);
            (o >> shift) << shift // aligned to the step, as the compiler designs them
        }
    };
    (origin, shift, size)
}

fn lut(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    let n = rng.random_range(1..=64);
    let index = if rng.random_bool(0.2) {
        wide_type(rng)
    } else {
        data_type(rng)
    };
    let entry = data_type(rng);
    let (origin, shift, size) = table_shape(rng, index, 8);
    let (name, entries) = match rng.random_range(0..3) {
        0 => (
            "sigmoid",
            table_entries(
                |v| 1.0 / (1.0 + (-v).exp()),
                index,
                origin,
                shift,
                size,
                entry,
            ),
        ),
        1 => (
            "tanh",
            table_entries(f64::tanh, index, origin, shift, size, entry),
        ),
        _ => ("random", raws(rng, entry, size)),
    };
    let cfg = LutConfig::new(n, LutTable::new(index, origin, shift, entry, entries)?)?;
    let data = runs(rng, |rng| {
        let x = raws(rng, index, n);
        let mut y = vec![0i64; n];
        ops::lut::run(&cfg, &x, &mut y)?;
        Ok((x, y))
    })?;
    let label = format!(
        "lut {name} {index} origin {origin} shift {shift} size {size} (width {}) -> {entry}",
        cfg.table.index_width
    );
    Ok(case_of("lut", label, render::lut(&cfg), data, entry))
}

/// `t` with up to 2 more integer and fractional bits, random modes (exact: they never act).
fn widened(rng: &mut impl Rng, t: FixedType) -> Option<FixedType> {
    let (ei, ef) = if rng.random_bool(0.6) {
        (0, 0)
    } else {
        (rng.random_range(0..=2), rng.random_range(0..=2))
    };
    let (o, _) = overflow(rng, true, 1);
    let w = t.width() + ei + ef;
    (w <= 64)
        .then(|| {
            FixedType::new(
                t.is_signed(),
                w,
                t.int_bits() + ei as i32,
                rounding(rng),
                o,
                0,
            )
            .ok()
        })
        .flatten()
}

/// An unsigned (sometimes signed) entry type of `4..=16` bits with `int_bits` in `ints`.
fn entry_type(rng: &mut impl Rng, ints: std::ops::RangeInclusive<i32>) -> FixedType {
    let (o, _) = overflow(rng, false, 1);
    FixedType::new(
        !rng.random_bool(0.85),
        rng.random_range(4..=16),
        rng.random_range(ints),
        rounding(rng),
        o,
        0,
    )
    .expect("valid")
}

fn softmax(rng: &mut impl Rng) -> Result<CppCase, OpError> {
    loop {
        let (outer, len, inner): (usize, usize, usize) = (
            rng.random_range(1..=3),
            rng.random_range(1..=12),
            rng.random_range(1..=3),
        );
        let input = if rng.random_bool(0.15) {
            wide_type(rng)
        } else {
            data_type(rng)
        };
        let Some(diff) = difference_type(input, input)
            .ok()
            .and_then(|d| widened(rng, d))
        else {
            continue;
        };
        let exp_entry = entry_type(rng, 0..=2);
        let (exp_origin, exp_shift, exp_size) = if rng.random_bool(0.7) {
            let size = 1usize << rng.random_range(0..=7);
            (0, rng.random_range(0..=diff.width()), size)
        } else {
            table_shape(rng, diff, 7)
        };
        let exp_entries = if rng.random_bool(0.8) {
            table_entries(
                |d| (-d).exp(),
                diff,
                exp_origin,
                exp_shift,
                exp_size,
                exp_entry,
            )
        } else {
            raws(rng, exp_entry, exp_size)
        };
        let exp = LutTable::new(diff, exp_origin, exp_shift, exp_entry, exp_entries)?;
        let grow = usize::BITS - (len - 1).leading_zeros();
        let Some(sum) = FixedType::new(
            exp_entry.is_signed(),
            exp_entry.width() + grow,
            exp_entry.int_bits() + grow as i32,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .ok()
        .and_then(|s| widened(rng, s)) else {
            continue;
        };
        let inv_entry = entry_type(rng, -2..=3);
        let (inv_origin, inv_shift, inv_size) = if rng.random_bool(0.6) {
            // From exp[0], in the sum's units, as the compiler designs it.
            let e0 = exp.entries[0] << (sum.frac_bits() - exp_entry.frac_bits()) as u32;
            let size = 1usize << rng.random_range(0..=8);
            let shift = rng.random_range(0..=sum.width());
            ((e0 >> shift) << shift, shift, size)
        } else {
            table_shape(rng, sum, 8)
        };
        let inv_entries = if rng.random_bool(0.8) {
            table_entries(|s| 1.0 / s, sum, inv_origin, inv_shift, inv_size, inv_entry)
        } else {
            raws(rng, inv_entry, inv_size)
        };
        let inv = LutTable::new(sum, inv_origin, inv_shift, inv_entry, inv_entries)?;
        let Ok(product) = product_type(exp_entry, inv_entry) else {
            continue;
        };
        let output = data_type(rng);
        let types = SoftmaxTypes {
            input,
            sum,
            product,
            output,
        };
        let cfg = match SoftmaxConfig::new(outer, len, inner, types, exp, inv) {
            Ok(cfg) => cfg,
            Err(OpError::Config { .. }) => continue,
            Err(e) => return Err(e),
        };
        let n = cfg.size();
        let data = runs(rng, |rng| {
            let x = raws(rng, input, n);
            let mut y = vec![0i64; n];
            ops::softmax::run(&cfg, &x, &mut y)?;
            Ok((x, y))
        })?;
        let label = format!(
            "softmax {outer}x{len}x{inner} {input} diff {diff} exp[{exp_size}] origin {exp_origin} \
             shift {exp_shift} of {exp_entry}, sum {sum}, inv[{inv_size}] origin {inv_origin} shift \
             {inv_shift} of {inv_entry} -> {output}"
        );
        return Ok(case_of(
            "softmax",
            label,
            render::softmax(&cfg),
            data,
            output,
        ));
    }
}
