//! `Requant::apply` against the reference `Fixed::cast`: exhaustively over every raw value of
//! small types (all pairs of a grid of types, all Q and O modes), and on random wide types. The
//! slice forms (`Requant::apply_all`, `Requant::apply_all_i32` on `i32` raw values wherever the
//! values fit, and `FloatRequant::apply_all` on `f64` raw values where `Requant::float` offers
//! it) and `Requant::is_identity` are checked on the same values, with extra random types at the
//! edges of the `i32` form (`W` up to 32, shifts up to 31).

use binpoint_runtime::fixed::{FloatRequant, Requant};
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn reference(raw: i64, src: FixedType, dst: FixedType) -> i64 {
    Fixed::from_bits(raw as u128, src).cast(dst).raw() as i64
}

/// Every declared type with `W <= max_w` and `I` in `ints`, default modes.
fn grid(max_w: u32, ints: std::ops::RangeInclusive<i32>) -> Vec<FixedType> {
    let mut out = Vec::new();
    for signed in [true, false] {
        for w in 1..=max_w {
            for i in ints.clone() {
                out.push(FixedType::new(signed, w, i, Rounding::Trn, Overflow::Wrap, 0).unwrap());
            }
        }
    }
    out
}

/// Type pairs each slice form was checked on.
#[derive(Default)]
struct Forms {
    float: u64,
    i32: u64,
    i32_fallback: u64,
}

/// `apply_all`, the `i32` form (whenever the raw values of both types fit an `i32`), the float
/// form (when offered) and `is_identity` against the expected values.
fn check_slice_forms(rq: &Requant, raws: &[i64], want: &[i64], forms: &mut Forms) {
    let (src, dst) = (rq.src(), rq.dst());
    let mut all = raws.to_vec();
    rq.apply_all(&mut all);
    assert_eq!(all, want, "apply_all {src} -> {dst}");
    let fits = |t: FixedType| t.width() + u32::from(!t.is_signed()) <= 32;
    if fits(src) && fits(dst) {
        let mut v: Vec<i32> = raws.iter().map(|&r| i32::try_from(r).unwrap()).collect();
        rq.apply_all_i32(&mut v);
        let v: Vec<i64> = v.into_iter().map(i64::from).collect();
        assert_eq!(
            v,
            want,
            "apply_all_i32 {src} -> {dst} (fits_i32: {})",
            rq.fits_i32()
        );
        if rq.fits_i32() {
            forms.i32 += 1;
        } else {
            forms.i32_fallback += 1;
        }
    } else {
        assert!(!rq.fits_i32(), "{src} -> {dst}");
    }
    if let Some(fr) = rq.float() {
        forms.float += 1;
        assert!(src.width() <= 53 && dst.width() <= 32, "{src} -> {dst}");
        let mut v: Vec<f64> = raws.iter().map(|&r| r as f64).collect();
        fr.apply_all(&mut v);
        for ((&got, &want), &raw) in v.iter().zip(want).zip(raws) {
            assert_eq!(got, want as f64, "float {src} -> {dst}, raw {raw}");
            assert_eq!(
                i64::from(FloatRequant::to_i32(got)),
                want,
                "to_i32 of {got}"
            );
        }
    }
    if rq.is_identity() {
        assert_eq!(raws, want, "identity {src} -> {dst}");
    }
}

/// The modes a destination type takes in the tests: every Q with every fast O, plus the
/// fallback ones.
fn modes(ty: FixedType) -> Vec<FixedType> {
    let mut out = Vec::new();
    for q in Rounding::ALL {
        for o in [
            Overflow::Wrap,
            Overflow::Sat,
            Overflow::SatZero,
            Overflow::SatSym,
        ] {
            out.push(ty.with_modes(q, o, 0).unwrap());
        }
    }
    for n in 1..=ty.width() {
        out.push(ty.with_modes(Rounding::Rnd, Overflow::Wrap, n).unwrap());
        if ty.is_signed() {
            out.push(
                ty.with_modes(Rounding::RndConv, Overflow::WrapSm, n - 1)
                    .unwrap(),
            );
        }
    }
    out
}

fn all_raw(ty: FixedType) -> std::ops::RangeInclusive<i64> {
    ty.min_raw() as i64..=ty.max_raw() as i64
}

#[test]
fn exhaustive_small_types() {
    let types = grid(5, -2..=6);
    let mut cases = 0u64;
    let mut fast_pairs = 0u64;
    let (mut forms, mut identities) = (Forms::default(), 0u64);
    for &src in &types {
        for &dst_base in &types {
            for dst in modes(dst_base) {
                let rq = Requant::new(src, dst).unwrap();
                fast_pairs += u64::from(rq.is_fast());
                let raws: Vec<i64> = all_raw(src).collect();
                let want: Vec<i64> = raws.iter().map(|&r| reference(r, src, dst)).collect();
                for (&raw, &want) in raws.iter().zip(&want) {
                    assert_eq!(rq.apply(raw), want, "{src} -> {dst}, raw {raw}");
                    cases += 1;
                }
                check_slice_forms(&rq, &raws, &want, &mut forms);
                identities += u64::from(rq.is_identity());
            }
        }
    }
    eprintln!(
        "requant exhaustive: {cases} casts, {fast_pairs} fast type pairs, {} with a float form, \
         {} with an i32 form ({} falling back), {identities} identities",
        forms.float, forms.i32, forms.i32_fallback
    );
    assert!(cases > 1_000_000);
    assert!(forms.float > 10_000 && forms.i32 > 10_000 && identities > 100);
}

fn random_type(rng: &mut impl Rng) -> FixedType {
    let signed = rng.random_bool(0.7);
    let max_w = if signed { 64 } else { 63 };
    let w = if rng.random_bool(0.5) {
        rng.random_range(1..=20)
    } else {
        rng.random_range(1..=max_w)
    };
    let i = rng.random_range(-40..=80);
    let q = Rounding::ALL[rng.random_range(0..7)];
    let o = match rng.random_range(0..10) {
        0..=2 => Overflow::Wrap,
        3..=5 => Overflow::Sat,
        6 => Overflow::SatZero,
        7 | 8 => Overflow::SatSym,
        _ if signed => Overflow::WrapSm,
        _ => Overflow::Wrap,
    };
    let n = if rng.random_bool(0.85) {
        0
    } else {
        rng.random_range(0..=w)
    };
    FixedType::new(signed, w, i, q, o, n).unwrap()
}

/// A raw value of `ty`, biased towards the edges and the rounding boundaries.
fn random_raw(rng: &mut impl Rng, ty: FixedType) -> i64 {
    let (lo, hi) = (ty.min_raw() as i64, ty.max_raw() as i64);
    match rng.random_range(0..8) {
        0 => lo,
        1 => hi,
        2 => rng.random_range(lo.max(-4)..=hi.min(4)),
        3 => {
            // A multiple of a power of two, plus or minus a little: ties and near-ties.
            let k = rng.random_range(0..ty.width());
            let base = rng.random_range(lo..=hi) >> k << k;
            (base + rng.random_range(-1..=1)).clamp(lo, hi)
        }
        4 => {
            let k = rng.random_range(1..=ty.width().min(62));
            let half = 1i64 << (k - 1);
            let base = rng.random_range(lo..=hi) >> k << k;
            base.saturating_add(half).clamp(lo, hi)
        }
        _ => rng.random_range(lo..=hi),
    }
}

#[test]
fn random_wide_types() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EC0_4A17);
    let (mut cases, mut forms) = (0u64, Forms::default());
    while cases < 150_000 {
        let src = random_type(&mut rng);
        let dst = if rng.random_bool(0.3) {
            // A binary point near the source's: the interesting shifts.
            let base = random_type(&mut rng);
            let w = base.width();
            let f = src.frac_bits() + rng.random_range(-4..=4);
            FixedType::new(
                base.is_signed(),
                w,
                w as i32 - f,
                base.rounding(),
                base.overflow(),
                base.sat_bits(),
            )
            .unwrap()
        } else {
            random_type(&mut rng)
        };
        let rq = Requant::new(src, dst).unwrap();
        let raws: Vec<i64> = (0..16).map(|_| random_raw(&mut rng, src)).collect();
        let want: Vec<i64> = raws.iter().map(|&r| reference(r, src, dst)).collect();
        for (&raw, &want) in raws.iter().zip(&want) {
            assert_eq!(rq.apply(raw), want, "{src} -> {dst}, raw {raw}");
            cases += 1;
        }
        check_slice_forms(&rq, &raws, &want, &mut forms);
    }
    eprintln!(
        "requant random: {cases} casts, {} type pairs with a float form, {} with an i32 form ({} \
         falling back)",
        forms.float, forms.i32, forms.i32_fallback
    );
    assert!(forms.float > 1000 && forms.i32 > 1000);
}

/// Types at the edges of the `i32` form: up to 32 bits (31 unsigned), shifts down up to 31 and
/// up to the width, every mode.
#[test]
fn i32_form_at_its_edges() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x1320);
    let mut forms = Forms::default();
    let ty = |rng: &mut ChaCha8Rng, f: i32| {
        let signed = rng.random_bool(0.7);
        let w = rng.random_range(1..=32 - u32::from(!signed));
        let base = random_type(rng);
        let o = match base.overflow() {
            Overflow::WrapSm if !signed => Overflow::Wrap,
            o => o,
        };
        let n = if rng.random_bool(0.1) {
            rng.random_range(0..=w)
        } else {
            0
        };
        FixedType::new(signed, w, w as i32 - f, base.rounding(), o, n).unwrap()
    };
    for _ in 0..60_000 {
        let f_src = rng.random_range(-8..=40);
        let src = ty(&mut rng, f_src);
        let f_dst = f_src - rng.random_range(-16..=33);
        let dst = ty(&mut rng, f_dst);
        let rq = Requant::new(src, dst).unwrap();
        let raws: Vec<i64> = (0..16).map(|_| random_raw(&mut rng, src)).collect();
        let want: Vec<i64> = raws.iter().map(|&r| reference(r, src, dst)).collect();
        check_slice_forms(&rq, &raws, &want, &mut forms);
    }
    eprintln!(
        "requant i32 edges: {} type pairs with an i32 form, {} falling back",
        forms.i32, forms.i32_fallback
    );
    assert!(forms.i32 > 20_000 && forms.i32_fallback > 1000);
}

#[test]
fn rejects_types_wider_than_i64() {
    let u64t = FixedType::unsigned(64, 10).unwrap();
    let s64 = FixedType::signed(64, 10).unwrap();
    assert!(Requant::new(u64t, s64).is_err());
    assert!(Requant::new(s64, u64t).is_err());
    assert!(Requant::new(s64, s64).is_ok());
}

/// The float form where the MAC kernels use it: wide accumulators (up to 53 bits) cast into
/// narrow outputs (up to 32 bits), every mode, shifts from 0 to 53, values biased to ties.
#[test]
fn float_form_on_accumulator_casts() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xF10A7);
    let (mut cases, mut pairs) = (0u64, 0u64);
    while cases < 200_000 {
        let src = FixedType::new(
            rng.random_bool(0.9),
            rng.random_range(20..=53),
            rng.random_range(-10..=30),
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .unwrap();
        let signed = rng.random_bool(0.8);
        let w = rng.random_range(1..=if signed { 32 } else { 31 });
        let f = src.frac_bits() - rng.random_range(0..=53.min(src.width() as i32 + 2));
        let q = Rounding::ALL[rng.random_range(0..7)];
        let o = [
            Overflow::Wrap,
            Overflow::Sat,
            Overflow::SatZero,
            Overflow::SatSym,
        ][rng.random_range(0..4)];
        let dst = FixedType::new(signed, w, w as i32 - f, q, o, 0).unwrap();
        let rq = Requant::new(src, dst).unwrap();
        let Some(fr) = rq.float() else {
            continue;
        };
        pairs += 1;
        let raws: Vec<i64> = (0..64).map(|_| random_raw(&mut rng, src)).collect();
        let mut v: Vec<f64> = raws.iter().map(|&r| r as f64).collect();
        fr.apply_all(&mut v);
        for (&got, &raw) in v.iter().zip(&raws) {
            assert_eq!(
                got,
                reference(raw, src, dst) as f64,
                "{src} -> {dst}, raw {raw}"
            );
            cases += 1;
        }
    }
    eprintln!("float requant: {cases} casts over {pairs} type pairs");
}

/// `FloatRequant::to_i32` at the ends of the `i32` range and around 0.
#[test]
fn float_to_i32_at_the_extremes() {
    for v in [
        i32::MIN,
        i32::MIN + 1,
        -65_536,
        -2,
        -1,
        0,
        1,
        2,
        65_535,
        i32::MAX - 1,
        i32::MAX,
    ] {
        assert_eq!(FloatRequant::to_i32(f64::from(v)), v);
    }
}
