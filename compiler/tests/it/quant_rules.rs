//! The integer-bit and width rules, checked against the runtime's `Fixed` (the port of the header):
//! powers of two, the no-overflow cast check, the accumulator width rule, LUT index arithmetic,
//! and `verify_typed` catching what it must.

use binpoint::ir::ops::{Dense, Relu, Sigmoid};
use binpoint::ir::GraphBuilder;
use binpoint::quant::bits::{
    const_int_bits, fit_int_bits, int_bits_for_range, mac_accumulator, overflows, pow2,
};
use binpoint::quant::lut::{design, LutFunction, TableRequest};
use binpoint::quant::{
    type_graph, verify_typed, Interval, Kernel, PrecisionConfig, QuantError, RangeSource,
};
use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};

fn fits(x: f64, ty: FixedType) -> bool {
    !overflows(x, ty)
}

fn sat(w: u32, i: i32) -> FixedType {
    FixedType::new(true, w, i, Rounding::RndConv, Overflow::Sat, 0).unwrap()
}

#[test]
fn powers_of_two_need_one_more_integer_bit_when_positive() {
    for k in -6..8 {
        let v = pow2(k);
        // 2^k needs k+2 signed integer bits: the largest value of ap_fixed<W,I> is 2^(I-1) - 2^-F.
        assert_eq!(int_bits_for_range(v, v, true), Some(k + 2), "2^{k}");
        assert!(fits(v, sat(16, k + 2)) && !fits(v, sat(16, k + 1)), "2^{k}");
        // -2^k fits in k+1: the most negative value is -2^(I-1).
        assert_eq!(int_bits_for_range(-v, -v, true), Some(k + 1), "-2^{k}");
        assert!(fits(-v, sat(16, k + 1)) && !fits(-v, sat(16, k)), "-2^{k}");
        // Unsigned: 2^k needs k+1.
        assert_eq!(int_bits_for_range(0.0, v, false), Some(k + 1));
        // Just below a power of two: floor(log2) + 2.
        let below = v * (1.0 - 1e-9);
        assert_eq!(int_bits_for_range(below, below, true), Some(k + 1));
    }
    assert_eq!(int_bits_for_range(0.0, 0.0, true), None);
    // Ranges mixing signs take the larger need.
    assert_eq!(int_bits_for_range(-4.0, 3.9, true), Some(3));
    assert_eq!(int_bits_for_range(-4.1, 1.0, true), Some(4));
}

#[test]
fn fit_adds_a_bit_only_when_rounding_up_would_overflow() {
    // 0.999 in 8 bits with I=1: 0.999·128 = 127.87 rounds to 128 = overflow, so I=2.
    assert_eq!(
        fit_int_bits(0.0, 0.999, 8, true, Rounding::RndConv).unwrap(),
        2
    );
    // Truncation never rounds up: I=1 holds it.
    assert_eq!(fit_int_bits(0.0, 0.999, 8, true, Rounding::Trn).unwrap(), 1);
    // A constant with a saturating mode keeps I=1 and clips by less than a step.
    assert_eq!(
        const_int_bits(0.999, 0.999, 8, true, Rounding::RndConv, Overflow::Sat).unwrap(),
        1
    );
    assert_eq!(
        const_int_bits(0.999, 0.999, 8, true, Rounding::RndConv, Overflow::Wrap).unwrap(),
        2
    );
    // Whatever fit chooses, the end points cast without overflow (checked with Fixed itself).
    for (lo, hi) in [
        (-3.0, 2.999),
        (-0.0049, 0.0031),
        (0.0, 1.0),
        (-17.5, 0.0),
        (-1.0, 1.0),
    ] {
        for w in [4, 8, 12, 16] {
            let i = fit_int_bits(lo, hi, w, true, Rounding::RndConv).unwrap();
            let ty = FixedType::new(true, w, i, Rounding::RndConv, Overflow::Wrap, 0).unwrap();
            for x in [lo, hi] {
                let q = Fixed::from_f64(x, ty).unwrap().to_f64();
                assert!((q - x).abs() <= pow2(-ty.frac_bits()), "{x} in {ty} -> {q}");
            }
            // And one bit fewer would not do.
            if let Ok(less) = FixedType::new(true, w, i - 1, Rounding::RndConv, Overflow::Sat, 0) {
                assert!(
                    overflows(lo, less) || overflows(hi, less),
                    "[{lo},{hi}] W={w}"
                );
            }
        }
    }
}

#[test]
fn overflow_check_matches_the_cast() {
    let types = [
        sat(8, 3),
        FixedType::new(false, 8, 3, Rounding::Rnd, Overflow::Sat, 0).unwrap(),
        FixedType::new(true, 6, -2, Rounding::Trn, Overflow::Wrap, 0).unwrap(),
        FixedType::new(true, 50, 20, Rounding::RndConv, Overflow::Sat, 0).unwrap(),
    ];
    for ty in types {
        let (lo, hi) = binpoint::quant::bits::type_range(ty);
        let step = pow2(-ty.frac_bits());
        assert!(fits(lo, ty) && fits(hi, ty), "{ty}");
        assert!(overflows(hi + step, ty) && overflows(lo - step, ty), "{ty}");
        assert!(overflows(f64::NAN, ty) && overflows(f64::INFINITY, ty));
    }
    // 64-bit types have no wider twin: compared with their range (doubles cannot hold every value).
    let t64 = FixedType::new(true, 64, 20, Rounding::RndConv, Overflow::Sat, 0).unwrap();
    assert!(!overflows(1000.5, t64) && !overflows(-pow2(19), t64));
    assert!(overflows(pow2(19), t64) && overflows(-pow2(19) - 1.0, t64));
    // 7.75 into ap_fixed<5,4,AP_RND>: rounds up to 8, one past the largest value 7.5.
    let t = FixedType::new(true, 5, 4, Rounding::Rnd, Overflow::Sat, 0).unwrap();
    assert!(overflows(7.75, t) && !overflows(7.7, t));
}

/// The accumulator rule W_acc = W_x + W_w + ceil(log2 fan_in) + 1, and that it really cannot
/// overflow: the worst-case sum, computed exactly with Fixed, fits.
#[test]
fn accumulator_width_rule_and_worst_case() {
    let x = sat(8, 2);
    let w = sat(8, 1);
    let b = sat(8, 0);
    for fan_in in [1u64, 2, 3, 9, 64, 100, 1024] {
        let c = (fan_in as f64).log2().ceil() as i32;
        let acc = mac_accumulator(x, w, Some(b), fan_in).unwrap();
        assert_eq!(acc.width() as i32, 8 + 8 + c + 1, "fan_in {fan_in}");
        assert_eq!(acc.int_bits(), 2 + 1 + c + 1, "fan_in {fan_in}");
        let no_bias = mac_accumulator(x, w, None, fan_in).unwrap();
        assert_eq!(no_bias.width() as i32, 8 + 8 + c);
        // Worst cases: every product at its largest magnitude, the bias at its extreme.
        let xs = [x.min_raw(), x.max_raw()];
        let ws = [w.min_raw(), w.max_raw()];
        for &xr in &xs {
            for &wr in &ws {
                for br in [b.min_raw(), b.max_raw()] {
                    let p = Fixed::from_raw(xr, x)
                        .unwrap()
                        .mul(&Fixed::from_raw(wr, w).unwrap())
                        .unwrap();
                    let mut sum = Fixed::from_raw(br, b).unwrap().cast(acc);
                    for _ in 0..fan_in {
                        let s = sum.add(&p).unwrap();
                        let back = s.cast(acc);
                        assert_eq!(back.to_f64(), s.to_f64(), "acc {acc} overflowed");
                        sum = back;
                    }
                }
            }
        }
    }
    // Too wide: an error with the width, never a panic.
    let big = sat(32, 8);
    assert_eq!(mac_accumulator(big, big, None, 4), Err(66));
}

#[test]
fn too_wide_accumulators_name_the_layer() {
    let mut b = GraphBuilder::new("wide");
    let x = b.input("x", &[0, 300]);
    let w = b.constant_fn("w", &[2, 300], |i| (i % 7) as f32 / 7.0 - 0.5);
    let y = b.op("big_dense", Dense, &[x, w]).unwrap();
    b.output(y);
    let g = b.finish().unwrap();
    // 64 + 64 + 9 = 137 bits: beyond the 128 the multiply-accumulate kernels compute in.
    let err = type_graph(
        &g,
        &PrecisionConfig::uniform(64).unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap_err();
    assert!(matches!(err, QuantError::TooWide { .. }));
    let msg = err.to_string();
    for w in [
        "'big_dense'",
        "Dense",
        "accumulator",
        "137 bits",
        "fewer bits",
        "300 products",
    ] {
        assert!(msg.contains(w), "{msg} lacks {w}");
    }
    // At 32 bits, 32 + 32 + 9 = 73: the i128 path (issue 14).
    let t = type_graph(
        &g,
        &PrecisionConfig::uniform(32).unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    let Kernel::Mac { accum, .. } = &t.by_name("big_dense").unwrap().kernel else {
        panic!("not a mac")
    };
    assert_eq!(accum.width(), 73);
    // At 16 bits it fits: 16 + 16 + 9 = 41.
    let t = type_graph(
        &g,
        &PrecisionConfig::uniform(16).unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    let Kernel::Mac { accum, .. } = &t.by_name("big_dense").unwrap().kernel else {
        panic!("not a mac")
    };
    assert_eq!(accum.width(), 41);
}

/// Every representable input of a sigmoid table's index type lands on an entry within the error
/// the design promises: half a bucket of slope plus one entry step, or the saturation tail.
#[test]
fn lut_index_arithmetic_covers_every_input() {
    for (f, bits, size) in [
        (LutFunction::Sigmoid, 8, 1024),
        (LutFunction::Sigmoid, 12, 64),
        (LutFunction::Tanh, 10, 256),
        (LutFunction::Tanh, 16, 1024),
    ] {
        let x = sat(bits, 4);
        let req = TableRequest {
            function: f,
            index_type: x,
            cover: Interval::new(-5.0, 5.0),
            size,
            entry_bits: bits,
            rounding: Rounding::RndConv,
            overflow: Overflow::Sat,
            unsigned: false,
        };
        let t = design(req).unwrap();
        assert!(t.size.is_power_of_two() && t.size <= size);
        assert!(
            t.covered.lo <= -5.0 && t.covered.hi >= 5.0,
            "{:?}",
            t.covered
        );
        let entries = t.entries();
        let entry_step = pow2(-t.entry.frac_bits());
        for raw in x.min_raw()..=x.max_raw() {
            let v = Fixed::from_raw(raw, x).unwrap().to_f64();
            let got = entries[t.index(raw)].to_f64();
            let want = f.eval(v);
            let slope = if f == LutFunction::Tanh { 1.0 } else { 0.25 };
            let inside = v >= t.covered.lo && v < t.covered.hi;
            let edge = v.clamp(t.covered.lo, t.covered.hi - t.step);
            let tail = if inside {
                0.0
            } else {
                (want - f.eval(edge)).abs()
            };
            let bound = tail + slope * t.step + entry_step;
            assert!(
                (got - want).abs() <= bound,
                "{f:?} {x} raw {raw} = {v}: entry {got}, f = {want}, bound {bound}"
            );
        }
    }
}

#[test]
fn verify_typed_catches_missing_and_wrong_types() {
    let mut b = GraphBuilder::new("v");
    let x = b.input("x", &[0, 4]);
    let w = b.constant_fn("w", &[3, 4], |i| i as f32 / 10.0 - 0.5);
    let bias = b.constant_fn("b", &[3], |i| i as f32 / 10.0);
    let h = b.op("fc", Dense, &[x, w, bias]).unwrap();
    let r = b.op("relu", Relu, &[h]).unwrap();
    let s = b.op("sig", Sigmoid, &[r]).unwrap();
    b.output(s);
    let g = b.finish().unwrap();
    let cfg = PrecisionConfig::uniform(10).unwrap();
    let typed = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(0.0, 1.0)]),
    )
    .unwrap();
    verify_typed(&typed).unwrap();

    let fc = g.find("fc").unwrap();
    let mut missing = typed.clone();
    missing.layers.remove(&fc);
    let err = verify_typed(&missing).unwrap_err().to_string();
    assert!(
        err.contains("'fc'") && err.contains("Dense") && err.contains("float"),
        "{err}"
    );

    let mut narrow = typed.clone();
    if let Some(Kernel::Mac { accum, .. }) = narrow.layers.get_mut(&fc).map(|l| &mut l.kernel) {
        *accum = FixedType::new(
            true,
            accum.width() - 2,
            accum.int_bits() - 2,
            Rounding::Trn,
            Overflow::Wrap,
            0,
        )
        .unwrap();
    }
    let err = verify_typed(&narrow).unwrap_err().to_string();
    assert!(
        err.contains("'fc'") && err.contains("can overflow"),
        "{err}"
    );

    let relu = g.find("relu").unwrap();
    let mut moved = typed.clone();
    if let Some(l) = moved.layers.get_mut(&relu) {
        l.output.ty = sat(10, 7);
        moved
            .graph
            .set_type(relu, binpoint::ir::TensorType::Fixed(sat(10, 7)));
    }
    let err = verify_typed(&moved).unwrap_err().to_string();
    assert!(
        err.contains("'relu'") && err.contains("moves raw bits"),
        "{err}"
    );

    let mut float_left = typed.clone();
    float_left
        .graph
        .set_type(relu, binpoint::ir::TensorType::F32);
    let err = verify_typed(&float_left).unwrap_err().to_string();
    assert!(err.contains("'relu'") && err.contains("f32"), "{err}");
}
