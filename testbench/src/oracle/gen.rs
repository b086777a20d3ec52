//! Random groups and values from a seed, biased to the edges where fixed-point code breaks.
//!
//! Types: `W` in 1..=64 with extra weight on 1, 2, 63, 64; `I` from about -70 to `W + 70`
//! with weight on 0, 1, `W`, `W ± 1`; `N` weighted to 0, 1, 2 and `W`. The destination's
//! (signedness, Q, O) cycles through all 63 legal combinations, so every combination is
//! covered by every kind of group. Values: exact extremes of the destination and one LSB beyond,
//! ties (both signs) and their neighbouring doubles, round-ups into overflow, powers of
//! two, zeros of both signs, subnormals, huge doubles, then random fill.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use binpoint_runtime::{Fixed, FixedError, FixedType, Overflow, Rounding};

use super::{BinOp, Group};
use crate::Error;

/// Compared raw values per input, by group kind (see `check`).
pub const COMPARED_F64: usize = 2;
pub const COMPARED_CAST: usize = 2;
pub const COMPARED_BINARY: usize = 3;

/// Groups to send to the header, and checks the runtime answers alone.
#[derive(Clone, Debug)]
pub struct Plan {
    pub groups: Vec<Group>,
    /// Operand types whose `+`/`-` result would exceed 128 bits: the runtime must refuse.
    pub too_wide: Vec<(BinOp, FixedType, FixedType)>,
}

/// Shares of the groups: double → T, S → T, and binary operations.
const SHARE_F64: f64 = 0.30;
const SHARE_CAST: f64 = 0.34;

/// `groups` groups holding at least `cases` compared values in total.
pub fn plan(seed: u64, cases: usize, groups: usize) -> Result<Plan, Error> {
    // Types come from one stream and each group's values from its own, so that a rerun
    // with fewer cases (to shrink a failure) keeps the same types.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let value_rng = |group: usize| {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(group as u64 + 1);
        r
    };
    let groups = groups.max(5);
    let n_f64 = ((groups as f64 * SHARE_F64) as usize).max(1);
    let n_cast = ((groups as f64 * SHARE_CAST) as usize).max(1);
    let n_bin = (groups - n_f64 - n_cast).max(3);
    let per_group = n_f64 * COMPARED_F64 + n_cast * COMPARED_CAST + n_bin * COMPARED_BINARY;
    let values = cases.div_ceil(per_group).max(1);

    let mut plan = Plan {
        groups: Vec::with_capacity(groups),
        too_wide: Vec::new(),
    };
    let mut combos = Combos::default();
    for _ in 0..n_f64 {
        let (signed, q, o) = combos.next();
        let to = random_type(&mut rng, Some((signed, q, o)))?;
        let inputs = f64_values(&mut value_rng(plan.groups.len()), &to, values);
        plan.groups.push(Group::FromF64 { to, inputs });
    }
    for k in 0..n_cast {
        let combo = combos.next();
        let (from, to) = match k % 10 {
            // The same type (a plain copy in C++), with the modes where a copy and a
            // conversion could differ first.
            0 => {
                let overflow = [
                    Overflow::SatSym,
                    Overflow::WrapSm,
                    Overflow::Wrap,
                    Overflow::Sat,
                ][(k / 10) % 4];
                let rounding = Rounding::ALL[rng.random_range(0..7)];
                let ty = random_type(&mut rng, Some((true, rounding, overflow)))?;
                (ty, ty)
            }
            // The same W, I and signedness with other modes.
            1 => {
                let from = random_type(&mut rng, None)?;
                let o = if from.is_signed() {
                    combo.2
                } else {
                    Overflow::Sat
                };
                let to = from.with_modes(combo.1, o, sat_bits(&mut rng, from.width(), o))?;
                (from, to)
            }
            _ => {
                let from = random_type(&mut rng, None)?;
                let to = if rng.random_bool(0.5) {
                    near_type(&mut rng, &from, combo)?
                } else {
                    random_type(&mut rng, Some(combo))?
                };
                (from, to)
            }
        };
        let mut vrng = value_rng(plan.groups.len());
        let inputs = (0..values)
            .map(|i| cast_input(&mut vrng, &from, &to, i))
            .collect();
        plan.groups.push(Group::Cast { from, to, inputs });
    }
    for k in 0..n_bin {
        let op = BinOp::ALL[k % 3];
        let combo = combos.next();
        let (lhs, rhs) = operand_types(&mut rng, op, k, &mut plan.too_wide)?;
        let zero = |ty: &FixedType| Fixed::from_bits(0, *ty);
        let result = op.eval(&zero(&lhs), &zero(&rhs))?.ty();
        let to = if rng.random_bool(0.6) {
            near_type(&mut rng, &result, combo)?
        } else {
            random_type(&mut rng, Some(combo))?
        };
        let mut vrng = value_rng(plan.groups.len());
        let inputs = (0..values)
            .map(|_| (operand(&mut vrng, &lhs), operand(&mut vrng, &rhs)))
            .collect();
        plan.groups.push(Group::Binary {
            op,
            lhs,
            rhs,
            to,
            inputs,
        });
    }
    Ok(plan)
}

/// Number of legal (signedness, Q, O) combinations: `ap_ufixed` has no `AP_WRAP_SM`.
pub const COMBINATIONS: usize = 2 * 7 * 5 - 7;

/// Cycles through the 63 legal (signedness, Q, O) combinations.
///
/// `ap_ufixed<..., AP_WRAP_SM>` is skipped: the header's constructors exit on it
/// ("ap_ufxied<...> cannot support AP_WRAP_SM") and the runtime refuses to declare it.
#[derive(Default)]
struct Combos(usize);

impl Combos {
    fn next(&mut self) -> (bool, Rounding, Overflow) {
        loop {
            let k = self.0 % 70;
            self.0 += 1;
            let c = (k < 35, Rounding::ALL[k % 7], Overflow::ALL[(k / 7) % 5]);
            if c.0 || c.2 != Overflow::WrapSm {
                return c;
            }
        }
    }
}

fn width(rng: &mut impl Rng) -> u32 {
    match rng.random_range(0..10) {
        0..=3 => [1, 2, 63, 64][rng.random_range(0..4)],
        4 => rng.random_range(3..=8),
        _ => rng.random_range(1..=64),
    }
}

fn int_bits(rng: &mut impl Rng, width: u32) -> i32 {
    let w = width as i32;
    match rng.random_range(0..14) {
        0 => 0,
        1 => 1,
        2 => w,
        3 => w + 1,
        4 => w - 1,
        5 => -1,
        6 => rng.random_range(-70..=0),
        7 => rng.random_range(w..=w + 70),
        _ => rng.random_range(-8..=w + 8),
    }
}

fn sat_bits(rng: &mut impl Rng, width: u32, overflow: Overflow) -> u32 {
    if matches!(overflow, Overflow::Wrap | Overflow::WrapSm) {
        match rng.random_range(0..8) {
            0..=2 => 0,
            3 => 1,
            4 => 2.min(width),
            5 => width,
            _ => rng.random_range(0..=width),
        }
    } else if rng.random_bool(0.85) {
        0
    } else {
        // Legal, and ignored by the header outside AP_WRAP / AP_WRAP_SM.
        rng.random_range(0..=width)
    }
}

fn modes(rng: &mut impl Rng) -> (bool, Rounding, Overflow) {
    let overflow = Overflow::ALL[rng.random_range(0..5)];
    let signed = overflow == Overflow::WrapSm || rng.random_bool(0.5);
    (signed, Rounding::ALL[rng.random_range(0..7)], overflow)
}

/// A random declared type, with the given (signedness, Q, O) or random ones.
fn random_type(
    rng: &mut impl Rng,
    combo: Option<(bool, Rounding, Overflow)>,
) -> Result<FixedType, FixedError> {
    let (signed, q, o) = combo.unwrap_or_else(|| modes(rng));
    let w = width(rng);
    let i = int_bits(rng, w);
    FixedType::new(signed, w, i, q, o, sat_bits(rng, w, o))
}

/// A declared type whose integer bits are close to `like`'s, so that values of `like`
/// mostly fit, round, or overflow by a little.
fn near_type(
    rng: &mut impl Rng,
    like: &FixedType,
    (signed, q, o): (bool, Rounding, Overflow),
) -> Result<FixedType, FixedError> {
    let w = if rng.random_bool(0.3) {
        like.width()
            .min(64)
            .saturating_sub(rng.random_range(0..4))
            .max(1)
    } else {
        width(rng)
    };
    let i = like.int_bits() + rng.random_range(-3..=2);
    FixedType::new(signed, w, i, q, o, sat_bits(rng, w, o))
}

/// Operand types for `op`; `+`/`-` pairs too wide for 128 bits go to `too_wide` and are
/// replaced. Every 16th pair is built so the sum is exactly 128 bits wide (and its
/// neighbour, 129 bits, is recorded as too wide).
fn operand_types(
    rng: &mut impl Rng,
    op: BinOp,
    k: usize,
    too_wide: &mut Vec<(BinOp, FixedType, FixedType)>,
) -> Result<(FixedType, FixedType), FixedError> {
    let zero = |ty: &FixedType| Fixed::from_bits(0, *ty);
    if op != BinOp::Mul && k % 16 == 1 {
        // W = max(I) + 1 + max(F): lhs = <W1, I1> with F1 = W1 - I1 >= 0, rhs = <W2, 127 - F1>
        // (so I2 >= I1 and F2 <= F1); with one signedness the sum needs exactly 128 bits.
        let (signed, q, o) = modes(rng);
        let w1 = rng.random_range(1..=64u32);
        let i1 = rng.random_range(-70..=w1 as i32);
        let w2 = rng.random_range(1..=64u32);
        let i2 = 127 - (w1 as i32 - i1);
        let lhs = FixedType::new(signed, w1, i1, q, o, 0)?;
        let rhs = FixedType::new(signed, w2, i2, q, o, 0)?;
        let wider = FixedType::new(signed, w2, i2 + 1, q, o, 0)?;
        too_wide.push((op, lhs, wider));
        return Ok((lhs, rhs));
    }
    for _ in 0..64 {
        let (a, b) = if rng.random_bool(0.3) {
            // Wide results: both operands wide.
            let w1 = rng.random_range(40..=64);
            let w2 = rng.random_range(40..=64);
            let (s1, q1, o1) = modes(rng);
            let (s2, q2, o2) = modes(rng);
            let i1 = rng.random_range(-4..=w1 as i32 + 4);
            let i2 = rng.random_range(-4..=w2 as i32 + 4);
            (
                FixedType::new(s1, w1, i1, q1, o1, sat_bits(rng, w1, o1))?,
                FixedType::new(s2, w2, i2, q2, o2, sat_bits(rng, w2, o2))?,
            )
        } else {
            (random_type(rng, None)?, random_type(rng, None)?)
        };
        match op.eval(&zero(&a), &zero(&b)) {
            Ok(_) => return Ok((a, b)),
            Err(FixedError::ResultTooWide { .. }) => too_wide.push((op, a, b)),
            Err(e) => return Err(e),
        }
    }
    // Same binary point: always narrow enough.
    let a = FixedType::new(true, 16, 4, Rounding::Trn, Overflow::Wrap, 0)?;
    Ok((a, a))
}

// ---------------------------------------------------------------- doubles

/// `2^e` exactly (0 below the subnormals, infinity above the range).
pub fn pow2(e: i32) -> f64 {
    if e > 1023 {
        f64::INFINITY
    } else if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else if e >= -1074 {
        f64::from_bits(1u64 << (e + 1074))
    } else {
        0.0
    }
}

/// `m · 2^e`, in two exact steps so that moderate `e` never overflows midway.
fn scaled(m: f64, e: i32) -> f64 {
    let h = e / 2;
    m * pow2(h) * pow2(e - h)
}

fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        x
    } else if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

fn finite(values: impl IntoIterator<Item = f64>) -> impl Iterator<Item = f64> {
    values.into_iter().filter(|x| x.is_finite())
}

/// Edge values of `ty` then random ones, `n` in all.
fn f64_values(rng: &mut impl Rng, ty: &FixedType, n: usize) -> Vec<f64> {
    let f = ty.frac_bits();
    let i = ty.int_bits();
    let (min, max) = (ty.min_raw(), ty.max_raw());
    let mut edges: Vec<f64> = vec![
        0.0,
        -0.0,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(rng.random_range(2..1u64 << 52)),
        -f64::from_bits(rng.random_range(2..1u64 << 52)),
        1e300,
        -1e300,
        1e-300,
        -1e-300,
        f64::MAX,
        f64::MIN,
        0.5,
        -0.5,
        1.0,
        -1.0,
        f64::from(0.1f32),
        -f64::from(0.1f32),
    ];
    // Exact values, ties and near-ties around interesting raw integers.
    let mut ks: Vec<i128> = vec![
        min,
        min + 1,
        max - 1,
        max,
        min - 1,
        max + 1,
        0,
        1,
        -1,
        -max,
        -max - 1,
    ];
    for _ in 0..3 {
        ks.push(rng.random_range(min..=max));
    }
    for k in ks {
        let kf = k as f64;
        let tie_up = scaled((2 * k + 1) as f64, -f - 1);
        let tie_down = scaled((2 * k - 1) as f64, -f - 1);
        edges.extend(finite([
            scaled(kf, -f),
            tie_up,
            tie_down,
            next_up(tie_up),
            next_down(tie_up),
            next_up(tie_down),
            next_down(tie_down),
            scaled((4 * k + 1) as f64, -f - 2),
            scaled((4 * k + 3) as f64, -f - 2),
        ]));
    }
    // The overflow boundaries as doubles: 2^(I-1) (signed), 2^I (unsigned), and neighbours.
    for e in [i - 1, i, i - 2] {
        let p = pow2(e);
        edges.extend(finite([
            p,
            -p,
            next_down(p),
            next_up(p),
            -next_down(p),
            -next_up(p),
        ]));
    }
    // Powers of two across the type's range and a little beyond.
    let (lo, hi) = (-f - 3, i + 3);
    let exps: Vec<i32> = if hi - lo <= 48 {
        (lo..=hi).collect()
    } else {
        let mut e: Vec<i32> = (0..24).map(|_| rng.random_range(lo..=hi)).collect();
        e.extend([lo, lo + 1, hi - 1, hi]);
        e
    };
    for e in exps {
        let p = pow2(e);
        edges.extend(finite([p, -p]));
    }
    edges.shuffle(rng);
    edges.truncate(n * 3 / 4);
    while edges.len() < n {
        edges.push(random_f64(rng, ty));
    }
    edges
}

/// A random finite double, mostly in or near `ty`'s range.
fn random_f64(rng: &mut impl Rng, ty: &FixedType) -> f64 {
    let f = ty.frac_bits();
    let (min, max) = (ty.min_raw() as f64, ty.max_raw() as f64);
    loop {
        let x = match rng.random_range(0..10) {
            0..=3 => {
                let span = max - min + 1.0;
                let u: f64 = rng.random();
                scaled(min - 0.25 * span + 1.5 * span * u, -f)
            }
            4 | 5 => f64::from_bits(rng.random()),
            6 | 7 => {
                // A tie: (2k + 1) · 2^-(F+1), with |2k + 1| < 2^53 so it is exact.
                let k = rng.random_range(-(1i64 << 51)..(1i64 << 51)) >> rng.random_range(0..52);
                scaled((2 * k + 1) as f64, -f - 1)
            }
            _ => {
                let k = rng.random_range(ty.min_raw()..=ty.max_raw()) as f64;
                let x = scaled(k, -f);
                if rng.random_bool(0.5) {
                    next_up(x)
                } else {
                    next_down(x)
                }
            }
        };
        if x.is_finite() {
            return x;
        }
    }
}

// ---------------------------------------------------------------- fixed inputs

fn truncate(v: i128, width: u32) -> u128 {
    (v as u128) & ((1u128 << width) - 1)
}

/// A raw input of `from` for a cast to `to`: extremes, ties at `to`'s LSB, `to`'s bounds
/// expressed in `from`, random patterns.
fn cast_input(rng: &mut impl Rng, from: &FixedType, to: &FixedType, i: usize) -> u128 {
    let w = from.width();
    let fixed_edges = [
        from.min_raw(),
        from.min_raw() + 1,
        from.max_raw() - 1,
        from.max_raw(),
        0,
        1,
        -1,
    ];
    if let Some(&e) = fixed_edges.get(i) {
        return truncate(e, w);
    }
    // Bits of `from` below `to`'s LSB.
    let d = from.frac_bits() - to.frac_bits();
    match rng.random_range(0..10) {
        0..=3 if (1..100).contains(&d) => {
            // k at `to`'s LSB, plus exactly half an LSB (a tie), or ±1 around it.
            let k = target_raw(rng, to);
            let half = 1i128 << (d - 1);
            let raw = (k << d).wrapping_add(half);
            let raw = match rng.random_range(0..4) {
                0 => raw.wrapping_sub(1),
                1 => raw.wrapping_add(1),
                2 => k << d,
                _ => raw,
            };
            truncate(raw, w)
        }
        0..=3 if (-100..=0).contains(&d) => {
            let k = target_raw(rng, to) >> (-d);
            truncate(k + rng.random_range(-1..=1), w)
        }
        4..=6 => truncate(rng.random::<i64>() as i128, w),
        7 => {
            // Few significant bits: a sign-extended short random value.
            let v = rng.random::<i64>() >> rng.random_range(0..64);
            truncate(v as i128, w)
        }
        _ => operand(rng, from),
    }
}

/// A raw integer of `to` worth aiming at: its bounds, one beyond, 0, ±1, random.
fn target_raw(rng: &mut impl Rng, to: &FixedType) -> i128 {
    match rng.random_range(0..8) {
        0 => to.max_raw(),
        1 => to.min_raw(),
        2 => to.max_raw() + 1,
        3 => to.min_raw() - 1,
        4 => 0,
        5 => -1,
        6 => 1,
        _ => rng.random_range(to.min_raw()..=to.max_raw()),
    }
}

/// A raw operand of `ty`: extremes, small values or random bits.
fn operand(rng: &mut impl Rng, ty: &FixedType) -> u128 {
    let w = ty.width();
    let v = match rng.random_range(0..10) {
        0..=2 => {
            let e = [
                ty.min_raw(),
                ty.max_raw(),
                0,
                1,
                -1,
                ty.min_raw() + 1,
                ty.max_raw() - 1,
            ];
            e[rng.random_range(0..e.len())]
        }
        3..=6 => rng.random::<i64>() as i128,
        _ => (rng.random::<i64>() >> rng.random_range(0..64)) as i128,
    };
    truncate(v, w)
}
