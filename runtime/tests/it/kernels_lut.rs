//! The table kernels (`ops::lut`, `ops::softmax`) against straightforward references:
//! - the index arithmetic against the real-valued definition (`floor((x - origin) / step)`,
//!   clamped) and against `i128` floor division, including 64-bit index types and far origins;
//! - `lut`: every output is `f` at the documented point of its entry, cast with `Fixed::from_f64`,
//!   and within `max|f'|·step/2 + 1 entry step` of `f(x)` for every input (clamped ones included);
//! - `softmax`: bit-exact against a `Fixed` reference that reads like the header (exact `-`, `+`,
//!   `*`, one cast), random types and modes; tables designed like the compiler's: the argmax agrees
//!   with the float softmax up to ties, and the worst absolute error is bounded;
//! - config checks: inexact difference or sum types, a wrong inv index or product type, malformed
//!   tables, storage and lengths.

use binpoint_runtime::fixed::{difference_type, product_type};
use binpoint_runtime::ops::lut::{self, LutConfig, LutTable};
use binpoint_runtime::ops::softmax::{self, SoftmaxConfig, SoftmaxTypes};
use binpoint_runtime::ops::OpError;
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// ---------------------------------------------------------------- helpers

fn rounding(rng: &mut impl Rng) -> Rounding {
    match rng.random_range(0..10) {
        0..=2 => Rounding::Trn,
        3..=5 => Rounding::RndConv,
        _ => Rounding::ALL[rng.random_range(0..7)],
    }
}

fn overflow(rng: &mut impl Rng) -> Overflow {
    match rng.random_range(0..10) {
        0..=3 => Overflow::Wrap,
        4..=7 => Overflow::Sat,
        8 => Overflow::SatZero,
        _ => Overflow::SatSym,
    }
}

fn ty(rng: &mut impl Rng, signed: bool, widths: std::ops::RangeInclusive<u32>) -> FixedType {
    let w = rng.random_range(widths);
    let i = rng.random_range(-3..=w as i32 + 3);
    FixedType::new(signed, w, i, rounding(rng), overflow(rng), 0).unwrap()
}

fn raw(rng: &mut impl Rng, t: FixedType) -> i64 {
    let (lo, hi) = (t.min_raw() as i64, t.max_raw() as i64);
    match rng.random_range(0..10) {
        0 => lo,
        1 => hi,
        _ => rng.random_range(lo..=hi),
    }
}

fn fx(raw: i64, t: FixedType) -> Fixed {
    Fixed::from_raw(i128::from(raw), t).unwrap()
}

fn pow2(k: i32) -> f64 {
    f64::from(k).exp2()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A table of `f` as the compiler designs it (`quant::lut::design`): a power-of-two step of at
/// least one input step, the origin aligned to it, `f` at the middle of the representable values
/// of each bucket, cast into `entry`.
#[derive(Clone, Debug)]
struct Design {
    origin: f64,
    step: f64,
    table: LutTable,
}

fn design(
    f: &dyn Fn(f64) -> f64,
    index: FixedType,
    (lo, hi): (f64, f64),
    size: usize,
    entry: FixedType,
) -> Design {
    let f_in = index.frac_bits();
    let lsb = pow2(-f_in);
    let span = (hi - lo).max(lsb);
    let mut size = size;
    let mut k = span.log2().ceil() as i32 - size.trailing_zeros() as i32;
    if k < -f_in {
        k = -f_in;
        size = size.min(1 << ((span / lsb).log2().ceil().max(0.0) as u32));
    }
    let mut origin = 0.0;
    for _ in 0..4 {
        origin = (lo / pow2(k)).floor() * pow2(k);
        if origin + size as f64 * pow2(k) >= hi {
            break;
        }
        k += 1;
    }
    let step = pow2(k);
    let entries = (0..size)
        .map(|i| {
            let v = f(origin + i as f64 * step + (step - lsb) / 2.0);
            Fixed::from_f64(v, entry).unwrap().raw() as i64
        })
        .collect();
    let origin_raw = (origin / lsb).round() as i64;
    let shift = (k + f_in) as u32;
    Design {
        origin,
        step,
        table: LutTable::new(index, origin_raw, shift, entry, entries).unwrap(),
    }
}

/// The entry of real value `x` by the definition: `floor((x - origin) / step)`, clamped.
fn real_index(d: &Design, x: f64) -> usize {
    let i = ((x - d.origin) / d.step).floor();
    i.clamp(0.0, d.table.size() as f64 - 1.0) as usize
}

// ---------------------------------------------------------------- index arithmetic

#[test]
fn index_is_floor_division_clamped() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x1d3);
    let mut checked = 0;
    for case in 0..3000 {
        let signed = rng.random_bool(0.7);
        let index = if case % 3 == 0 {
            ty(&mut rng, signed, 40..=64 - u32::from(!signed))
        } else {
            ty(&mut rng, signed, 2..=20)
        };
        let (lo, hi) = (index.min_raw() as i64, index.max_raw() as i64);
        let size = 1usize << rng.random_range(0..=10);
        let shift = rng.random_range(0..=70);
        let origin = match rng.random_range(0..4) {
            0 => i64::MIN,
            1 => i64::MAX,
            2 => rng.random(),
            _ => rng.random_range(lo..=hi),
        };
        let entries: Vec<i64> = (0..size as i64).collect();
        let entry = FixedType::signed(16, 16).unwrap();
        let t = LutTable::new(index, origin, shift, entry, entries).unwrap();
        assert!(t.index_width <= 66);
        for _ in 0..40 {
            let r = raw(&mut rng, index);
            let expected = (i128::from(r) - i128::from(origin))
                .div_euclid(1i128 << shift.min(100))
                .clamp(0, size as i128 - 1) as usize;
            assert_eq!(
                t.index_of(i128::from(r)),
                expected,
                "{index} {origin} {shift}"
            );
            // The header's view: the difference in index_width bits, the capped shift.
            let d = i128::from(r) - i128::from(origin);
            let half = 1i128 << (t.index_width - 1);
            assert!(
                (-half..half).contains(&d),
                "difference fits ap_int<{}>",
                t.index_width
            );
            let capped = (d >> t.cpp_shift()).clamp(0, size as i128 - 1) as usize;
            assert_eq!(capped, expected);
            checked += 1;
        }
    }
    assert_eq!(checked, 120_000);
}

// ---------------------------------------------------------------- sigmoid, tanh

/// Runs the lut kernel on `x` (i64 storage) and returns the raw outputs.
fn run_lut(cfg: &LutConfig, x: &[i64]) -> Vec<i64> {
    let mut y = vec![0i64; x.len()];
    lut::run(cfg, x, &mut y).unwrap();
    y
}

#[test]
fn lut_outputs_are_the_function_at_the_entry_points() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x51c);
    let mut values = 0;
    let mut worst = [0.0f64; 2];
    let mut uncovered = 0;
    for case in 0..400 {
        let tanh = case % 2 == 1;
        let f: &dyn Fn(f64) -> f64 = if tanh { &f64::tanh } else { &sigmoid };
        let slope = if tanh { 1.0 } else { 0.25 };
        let index = ty(&mut rng, true, 4..=14);
        let bits = rng.random_range(6..=16);
        let entry = if tanh {
            FixedType::new(true, bits, 1, Rounding::RndConv, Overflow::Sat, 0)
        } else {
            FixedType::new(false, bits, 0, Rounding::RndConv, Overflow::Sat, 0)
        }
        .unwrap();
        // The compiler's cover: the input range cut where f is within half an entry step of
        // its limit, and to the index type.
        let f_e = entry.frac_bits() as f64;
        let cap = if tanh {
            (f_e + 2.0) * std::f64::consts::LN_2 / 2.0
        } else {
            (f_e + 1.0) * std::f64::consts::LN_2
        };
        let (tlo, thi) = (
            fx(index.min_raw() as i64, index).to_f64(),
            fx(index.max_raw() as i64, index).to_f64(),
        );
        let (a, b) = (
            rng.random_range(-12.0..=12.0f64),
            rng.random_range(-12.0..=12.0f64),
        );
        let lo = a.min(b).max(-cap).max(tlo).min(thi);
        let hi = a.max(b).min(cap).min(thi).max(tlo);
        let size = 1usize << rng.random_range(0..=10);
        let d = design(f, index, (lo, hi), size, entry);
        let n = (index.max_raw() - index.min_raw() + 1) as usize;
        let x: Vec<i64> = (index.min_raw() as i64..=index.max_raw() as i64).collect();
        let cfg = LutConfig::new(n, d.table.clone()).unwrap();
        let y = run_lut(&cfg, &x);
        let lsb = pow2(-index.frac_bits());
        let entry_step = pow2(-entry.frac_bits());
        for (&xr, &yr) in x.iter().zip(&y) {
            let xv = xr as f64 * lsb;
            let i = real_index(&d, xv);
            let point = d.origin + i as f64 * d.step + (d.step - lsb) / 2.0;
            let expected = Fixed::from_f64(f(point), entry).unwrap().raw() as i64;
            assert_eq!(yr, expected, "{index} x={xv} entry {i} of {:?}", d.table);
            // Accuracy. Inside the cover: the bucket's half width times the slope, plus the entry
            // rounding. Beyond a cut at the saturation point: f is within half an entry step of
            // its limit, and the last entry's point lies at most (step + lsb)/2 before the cut.
            // (The compiler's design tests `origin + size·step >= hi` on a half-open cover, so an
            // `hi` exactly at its end is one bucket past it; such values are counted, not bounded.)
            let covered = xv < d.origin + d.table.size() as f64 * d.step;
            uncovered += usize::from(xv >= lo && xv <= hi && !covered);
            let inside = xv >= lo && xv <= hi && covered;
            let saturated = (xv > hi && hi == cap) || (xv < lo && lo == -cap);
            let bound = if inside {
                slope * (d.step - lsb) / 2.0 + entry_step
            } else {
                slope * (d.step + lsb) / 2.0 + entry_step
            };
            if inside || saturated {
                let err = (fx(yr, entry).to_f64() - f(xv)).abs();
                assert!(
                    err <= bound,
                    "{index} x={xv}: error {err} > {bound} ({:?})",
                    d.table
                );
                let k = usize::from(tanh);
                worst[k] = worst[k].max(err / bound);
            }
            values += 1;
        }
    }
    println!(
        "{values} values ({uncovered} in the range but past the cover); worst error / bound: \
         sigmoid {:.3}, tanh {:.3}",
        worst[0], worst[1]
    );
}

#[test]
fn lut_storage_and_lengths() {
    let index = FixedType::signed(12, 4).unwrap();
    let entry = FixedType::unsigned(8, 0).unwrap();
    let d = design(&sigmoid, index, (-4.0, 4.0), 64, entry);
    let cfg = LutConfig::new(3, d.table.clone()).unwrap();
    assert_eq!((cfg.input(), cfg.output()), (index, entry));
    // Narrow and wide storage give the same outputs.
    let x16 = [-2048i16, 0, 2047];
    let mut y16 = [0i16; 3];
    lut::run(&cfg, &x16, &mut y16).unwrap();
    let y64 = run_lut(&cfg, &[-2048, 0, 2047]);
    assert_eq!(y16.map(i64::from).to_vec(), y64);
    assert_eq!(y64[0], d.table.entries[0]);
    assert_eq!(y64[2], *d.table.entries.last().unwrap());
    // i8 holds neither the input nor the unsigned 8-bit entries.
    let err = lut::run(&cfg, &[0i8; 3], &mut [0i16; 3]).unwrap_err();
    assert!(matches!(err, OpError::Storage { .. }), "{err}");
    let err = lut::run(&cfg, &x16, &mut [0i8; 3]).unwrap_err();
    assert!(matches!(err, OpError::Storage { .. }), "{err}");
    let err = lut::run(&cfg, &x16[..2], &mut y16).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    // Tables: a power of two of valid entries.
    let err = LutTable::new(index, 0, 0, entry, vec![0; 3]).unwrap_err();
    assert!(err.to_string().contains("power of two"), "{err}");
    let err = LutTable::new(index, 0, 0, entry, vec![]).unwrap_err();
    assert!(err.to_string().contains("power of two"), "{err}");
    let err = LutTable::new(index, 0, 0, entry, vec![0, 256]).unwrap_err();
    assert!(matches!(err, OpError::Fixed { .. }), "{err}");
}

// ---------------------------------------------------------------- softmax

/// The header, read with `Fixed`: exact `-`, `+`, `*`, assignments as casts, the index by its
/// definition on the raw integers.
fn softmax_reference(cfg: &SoftmaxConfig, x: &[i64]) -> Vec<i64> {
    let t = cfg.types;
    let (len, inner) = (cfg.len, cfg.inner);
    let index = |table: &LutTable, v: &Fixed| {
        let i = (v.raw() - i128::from(table.origin_raw)).div_euclid(1i128 << table.shift.min(100));
        table.entries[i.clamp(0, table.size() as i128 - 1) as usize]
    };
    let mut y = vec![0i64; x.len()];
    for o in 0..cfg.outer {
        for i in 0..inner {
            let at = |k: usize| (o * len + k) * inner + i;
            let mut m = fx(x[at(0)], t.input);
            for k in 1..len {
                let v = fx(x[at(k)], t.input);
                if v.sub(&m).unwrap().raw() > 0 {
                    m = v;
                }
            }
            let mut sum = Fixed::from_bits(0, t.sum);
            let mut e = Vec::with_capacity(len);
            for k in 0..len {
                let d = m.sub(&fx(x[at(k)], t.input)).unwrap().cast(cfg.exp.index);
                let ek = fx(index(&cfg.exp, &d), cfg.exp.entry);
                sum = sum.add(&ek).unwrap().cast(t.sum);
                e.push(ek);
            }
            let r = fx(index(&cfg.inv, &sum), cfg.inv.entry);
            for (k, ek) in e.iter().enumerate() {
                y[at(k)] = ek.mul(&r).unwrap().cast(t.output).raw() as i64;
            }
        }
    }
    y
}

/// `t` with up to 2 more integer and fractional bits and random modes (they never act).
fn widened(rng: &mut impl Rng, t: FixedType) -> FixedType {
    let (ei, ef) = (rng.random_range(0..=2), rng.random_range(0..=2));
    FixedType::new(
        t.is_signed(),
        t.width() + ei + ef,
        t.int_bits() + ei as i32,
        rounding(rng),
        overflow(rng),
        0,
    )
    .unwrap()
}

/// Random tables (any origin, shift, entries) and types: bit-exactness only.
fn random_softmax(rng: &mut impl Rng) -> SoftmaxConfig {
    let (outer, len, inner) = (
        rng.random_range(1..=3),
        rng.random_range(1..=16usize),
        rng.random_range(1..=3),
    );
    let signed = rng.random_bool(0.8);
    let input = ty(rng, signed, 2..=20);
    let diff = widened(rng, difference_type(input, input).unwrap());
    let signed = rng.random_bool(0.2);
    let exp_entry = ty(rng, signed, 3..=16);
    let table = |rng: &mut ChaCha8Rng, index: FixedType, entry: FixedType| {
        let size = 1usize << rng.random_range(0..=7);
        let shift = rng.random_range(0..=index.width());
        let (lo, hi) = (index.min_raw() as i64, index.max_raw() as i64);
        let origin = rng.random_range(lo..=hi);
        let entries = (0..size).map(|_| raw(rng, entry)).collect();
        LutTable::new(index, origin, shift, entry, entries).unwrap()
    };
    let mut rng2 = ChaCha8Rng::seed_from_u64(rng.random());
    let exp = table(&mut rng2, diff, exp_entry);
    let grow = usize::BITS - (len - 1).leading_zeros();
    let sum = widened(
        rng,
        FixedType::new(
            exp_entry.is_signed(),
            exp_entry.width() + grow,
            exp_entry.int_bits() + grow as i32,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .unwrap(),
    );
    let signed = rng.random_bool(0.2);
    let inv = table(&mut rng2, sum, ty(rng, signed, 3..=16));
    let types = SoftmaxTypes {
        input,
        sum,
        product: product_type(exp.entry, inv.entry).unwrap(),
        output: ty(rng, true, 2..=18),
    };
    SoftmaxConfig::new(outer, len, inner, types, exp, inv).unwrap()
}

#[test]
fn softmax_matches_fixed_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x50f7);
    let mut values = 0;
    for _ in 0..1500 {
        let cfg = random_softmax(&mut rng);
        for _ in 0..4 {
            let x: Vec<i64> = (0..cfg.size())
                .map(|_| raw(&mut rng, cfg.types.input))
                .collect();
            let mut y = vec![0i64; x.len()];
            softmax::run(&cfg, &x, &mut y).unwrap();
            assert_eq!(y, softmax_reference(&cfg, &x), "{cfg:?} x={x:?}");
            values += y.len();
        }
    }
    assert!(values > 50_000, "{values}");
}

/// A softmax whose tables are designed like the compiler's (`typing.rs`): `exp(-d)` over
/// `[0, min(range, (F_e + 1)·ln 2))`, `1/s` over `[e0, len·e0]`, unsigned saturating entries of
/// `bits` bits, `size` entries each.
fn designed_softmax(input: FixedType, len: usize, bits: u32, size: usize) -> SoftmaxConfig {
    let diff = difference_type(input, input).unwrap();
    let exp_entry = FixedType::new(false, bits, 0, Rounding::RndConv, Overflow::Sat, 0).unwrap();
    let range =
        fx(input.max_raw() as i64, input).to_f64() - fx(input.min_raw() as i64, input).to_f64();
    let cap = (f64::from(bits) + 1.0) * std::f64::consts::LN_2;
    let exp = design(
        &|d| (-d).exp(),
        diff,
        (0.0, range.min(cap)),
        size,
        exp_entry,
    )
    .table;
    let grow = usize::BITS - (len - 1).leading_zeros();
    let sum = FixedType::new(
        false,
        bits + grow,
        grow as i32,
        Rounding::Trn,
        Overflow::Wrap,
        0,
    )
    .unwrap();
    let e0 = fx(exp.entries[0], exp_entry).to_f64();
    let top = 1.0 / e0;
    let inv_int = top.log2().floor() as i32 + 1;
    let inv_entry =
        FixedType::new(false, bits, inv_int, Rounding::RndConv, Overflow::Sat, 0).unwrap();
    let inv = design(&|s| 1.0 / s, sum, (e0, len as f64 * e0), size, inv_entry).table;
    let types = SoftmaxTypes {
        input,
        sum,
        product: product_type(exp_entry, inv_entry).unwrap(),
        output: FixedType::new(false, bits, 1, Rounding::RndConv, Overflow::Sat, 0).unwrap(),
    };
    SoftmaxConfig::new(1, len, 1, types, exp, inv).unwrap()
}

#[test]
fn designed_softmax_keeps_the_argmax_and_is_accurate() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xa7a);
    for (bits, size, bound) in [(8, 256, 0.03), (12, 1024, 0.012), (16, 1024, 0.01)] {
        let mut worst = 0.0f64;
        let mut ties = 0;
        let mut rows = 0;
        for _ in 0..300 {
            let input = FixedType::new(true, bits, 5, Rounding::RndConv, Overflow::Sat, 0).unwrap();
            let len = rng.random_range(2..=16);
            let cfg = designed_softmax(input, len, bits, size);
            // Self-check of the reference on designed tables too.
            for _ in 0..10 {
                let scale = rng.random_range(0.5..=6.0);
                let xf: Vec<f64> = (0..len).map(|_| rng.random_range(-scale..=scale)).collect();
                let x: Vec<i64> = xf
                    .iter()
                    .map(|&v| Fixed::from_f64(v, input).unwrap().raw() as i64)
                    .collect();
                let mut y = vec![0i64; len];
                softmax::run(&cfg, &x, &mut y).unwrap();
                assert_eq!(y, softmax_reference(&cfg, &x));
                // Float softmax of the quantized inputs.
                let xq: Vec<f64> = x.iter().map(|&r| fx(r, input).to_f64()).collect();
                let m = xq.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = xq.iter().map(|v| (v - m).exp()).sum();
                let p: Vec<f64> = xq.iter().map(|v| (v - m).exp() / s).collect();
                let yv: Vec<f64> = y
                    .iter()
                    .map(|&r| fx(r, cfg.types.output).to_f64())
                    .collect();
                for (a, b) in p.iter().zip(&yv) {
                    worst = worst.max((a - b).abs());
                }
                // The float argmax has the largest fixed output (ties allowed, never a loss).
                let top = (0..len).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
                let ymax = y.iter().copied().max().unwrap();
                assert_eq!(y[top], ymax, "argmax lost: x={xq:?} y={yv:?}");
                ties += usize::from(y.iter().filter(|&&v| v == ymax).count() > 1);
                rows += 1;
            }
        }
        println!("{bits} bits, {size} entries: worst |error| {worst:.5} over {rows} rows, {ties} tied maxima");
        assert!(worst <= bound, "{bits} bits: worst error {worst} > {bound}");
    }
}

#[test]
fn softmax_config_checks() {
    let input = FixedType::signed(8, 3).unwrap();
    let cfg = designed_softmax(input, 10, 8, 64);
    let (exp, inv, t) = (cfg.exp.clone(), cfg.inv.clone(), cfg.types);
    assert!(SoftmaxConfig::new(2, 10, 3, t, exp.clone(), inv.clone()).is_ok());
    let err = SoftmaxConfig::new(1, 0, 1, t, exp.clone(), inv.clone()).unwrap_err();
    assert!(err.to_string().contains("0 elements"), "{err}");
    // The difference type must hold max(x) - x exactly.
    let narrow = LutTable::new(input, 0, exp.shift, exp.entry, exp.entries.clone()).unwrap();
    let err = SoftmaxConfig::new(1, 10, 1, t, narrow, inv.clone()).unwrap_err();
    assert!(matches!(err, OpError::Accumulator { .. }), "{err}");
    // The sum must hold len entries exactly.
    let err = SoftmaxConfig::new(1, 40, 1, t, exp.clone(), inv.clone()).unwrap_err();
    assert!(matches!(err, OpError::Accumulator { .. }), "{err}");
    // The inv table is indexed by the sum.
    let other = FixedType::unsigned(14, 4).unwrap();
    let wrong = LutTable::new(other, 0, 0, inv.entry, inv.entries.clone()).unwrap();
    let err = SoftmaxConfig::new(1, 10, 1, t, exp.clone(), wrong).unwrap_err();
    assert!(err.to_string().contains("indexed by"), "{err}");
    // The product is the exact one.
    let bad = SoftmaxTypes {
        product: FixedType::unsigned(8, 1).unwrap(),
        ..t
    };
    let err = SoftmaxConfig::new(1, 10, 1, bad, exp.clone(), inv.clone()).unwrap_err();
    assert!(err.to_string().contains("exact"), "{err}");
    // Storage and lengths.
    let err = softmax::run(&cfg, &[0i8; 9], &mut [0i16; 9]).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
    let err = softmax::run(&cfg, &[0i8; 10], &mut [0i8; 10]).unwrap_err();
    assert!(matches!(err, OpError::Storage { .. }), "{err}");
    let mut y = [0i16; 10];
    softmax::run(&cfg, &[0i8; 10], &mut y).unwrap();
    // Equal inputs: equal outputs, about 1/len each.
    assert!(y.iter().all(|&v| v == y[0]));
    let each = fx(i64::from(y[0]), t.output).to_f64();
    assert!((each - 0.1).abs() < 0.02, "{each}");
}

/// Strided layout: softmax over the middle axis of `[outer][len][inner]` equals the softmax of
/// each gathered row.
#[test]
fn softmax_over_a_middle_axis() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x3a15);
    let input = FixedType::signed(10, 4).unwrap();
    let row = designed_softmax(input, 5, 10, 128);
    let cfg = SoftmaxConfig::new(3, 5, 4, row.types, row.exp.clone(), row.inv.clone()).unwrap();
    let x: Vec<i64> = (0..60).map(|_| raw(&mut rng, input)).collect();
    let mut y = vec![0i64; 60];
    softmax::run(&cfg, &x, &mut y).unwrap();
    for o in 0..3 {
        for i in 0..4 {
            let at = |k: usize| (o * 5 + k) * 4 + i;
            let xr: Vec<i64> = (0..5).map(|k| x[at(k)]).collect();
            let mut yr = vec![0i64; 5];
            softmax::run(&row, &xr, &mut yr).unwrap();
            assert_eq!(yr, (0..5).map(|k| y[at(k)]).collect::<Vec<_>>());
        }
    }
}

// ---------------------------------------------------------------- lanes layout

/// Tile sizes: one lane (the one-sample layout), small odd ones, a block-sized one, one past 16.
const LANES: [usize; 6] = [1, 2, 3, 8, 17, 64];

/// `L` samples of `n` values each into the lanes layout: value `i` of sample `s` at `i·L + s`.
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

/// The inverse of [`interleave`].
fn deinterleave(v: &[i64], lanes: usize) -> Vec<Vec<i64>> {
    (0..lanes)
        .map(|s| v.iter().skip(s).step_by(lanes).copied().collect())
        .collect()
}

#[test]
fn lut_in_lanes_matches_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x1a5e);
    for case in 0..120 {
        let lanes = LANES[case % LANES.len()];
        let (signed_index, signed_entry) = (rng.random_bool(0.8), rng.random_bool(0.5));
        let index = ty(&mut rng, signed_index, 2..=20);
        let entry = ty(&mut rng, signed_entry, 2..=16);
        let size = 1usize << rng.random_range(0..=8);
        let (lo, hi) = (index.min_raw() as i64, index.max_raw() as i64);
        let origin = rng.random_range(lo..=hi);
        let shift = rng.random_range(0..=index.width() + 2);
        let entries = (0..size).map(|_| raw(&mut rng, entry)).collect();
        let table = LutTable::new(index, origin, shift, entry, entries).unwrap();
        let n = rng.random_range(1..=300);
        let cfg = LutConfig::new(n, table).unwrap();
        let xs: Vec<Vec<i64>> = (0..lanes)
            .map(|_| (0..n).map(|_| raw(&mut rng, index)).collect())
            .collect();
        let want: Vec<Vec<i64>> = xs.iter().map(|x| run_lut(&cfg, x)).collect();
        let mut y = vec![0i64; n * lanes];
        lut::run_lanes(&cfg, &interleave(&xs), &mut y, lanes).unwrap();
        assert_eq!(deinterleave(&y, lanes), want, "case {case}, {lanes} lanes");
    }
    let cfg = LutConfig::new(
        3,
        LutTable::new(
            FixedType::signed(8, 3).unwrap(),
            0,
            0,
            FixedType::signed(8, 3).unwrap(),
            vec![0; 4],
        )
        .unwrap(),
    )
    .unwrap();
    let err = lut::run_lanes(&cfg, &[0i8; 6], &mut [0i8; 6], 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err = lut::run_lanes(&cfg, &[0i8; 6], &mut [0i8; 6], 3).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
}

/// Random softmaxes, and long rows (`len` up to 700) whose columns the kernel splits into blocks.
#[test]
fn softmax_in_lanes_matches_one_sample_runs() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5a1e);
    for case in 0..300 {
        let lanes = LANES[case % LANES.len()];
        let cfg = if case % 5 == 4 {
            let input = ty(&mut rng, true, 6..=14);
            let row = designed_softmax(input, rng.random_range(100..=700), 10, 128);
            let inner = rng.random_range(1..=3);
            SoftmaxConfig::new(1, row.len, inner, row.types, row.exp, row.inv).unwrap()
        } else {
            random_softmax(&mut rng)
        };
        let xs: Vec<Vec<i64>> = (0..lanes)
            .map(|_| {
                (0..cfg.size())
                    .map(|_| raw(&mut rng, cfg.types.input))
                    .collect()
            })
            .collect();
        let want: Vec<Vec<i64>> = xs
            .iter()
            .map(|x| {
                let mut y = vec![0i64; x.len()];
                softmax::run(&cfg, x, &mut y).unwrap();
                y
            })
            .collect();
        let mut y = vec![0i64; cfg.size() * lanes];
        softmax::run_lanes(&cfg, &interleave(&xs), &mut y, lanes).unwrap();
        assert_eq!(
            deinterleave(&y, lanes),
            want,
            "case {case}, {lanes} lanes: outer {} len {} inner {}",
            cfg.outer,
            cfg.len,
            cfg.inner
        );
    }
    let cfg = random_softmax(&mut rng);
    let n = cfg.size();
    let err = softmax::run_lanes(&cfg, &vec![0i64; 2 * n], &mut vec![0i64; 2 * n], 0).unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err = softmax::run_lanes(&cfg, &vec![0i64; 2 * n], &mut vec![0i64; 2 * n], usize::MAX)
        .unwrap_err();
    assert!(matches!(err, OpError::Config { .. }), "{err}");
    let err =
        softmax::run_lanes(&cfg, &vec![0i64; 2 * n - 1], &mut vec![0i64; 2 * n], 2).unwrap_err();
    assert!(matches!(err, OpError::Length { .. }), "{err}");
}
