//! The worked examples of docs/fixed-point.md, as exact raw integers. The differential
//! test in `binpoint-testbench` checks the same semantics against the real header on
//! hundreds of thousands of random cases; these pin the documented ones by name.

use binpoint_runtime::{Fixed, FixedError, FixedType, Overflow, Rounding};

fn ty(signed: bool, w: u32, i: i32, q: Rounding, o: Overflow, n: u32) -> FixedType {
    FixedType::new(signed, w, i, q, o, n).expect("valid type")
}

fn cast(x: f64, t: FixedType) -> Fixed {
    Fixed::from_f64(x, t).expect("finite input")
}

#[test]
fn float_point_one_rounds_half_to_even() {
    let t = ty(true, 8, 1, Rounding::RndConv, Overflow::Wrap, 0);
    let x = cast(f64::from(0.1f32), t);
    assert_eq!(x.raw(), 13);
    assert_eq!(x.to_f64(), 0.1015625);
}

#[test]
fn minus_one_eighth_rounds_up_to_zero() {
    let t = ty(true, 4, 2, Rounding::Rnd, Overflow::Wrap, 0);
    assert_eq!(cast(-0.125, t).raw(), 0);
}

#[test]
fn nineteen_in_four_integer_bits() {
    let wrap = ty(true, 4, 4, Rounding::Trn, Overflow::Wrap, 0);
    let sat = ty(true, 4, 4, Rounding::Trn, Overflow::Sat, 0);
    let sym = ty(true, 4, 4, Rounding::Trn, Overflow::SatSym, 0);
    assert_eq!(cast(19.0, wrap).raw(), 3);
    assert_eq!(cast(19.0, sat).raw(), 7);
    assert_eq!(cast(19.0, sym).raw(), 7);
    assert_eq!(cast(-19.0, sym).raw(), -7);
    assert_eq!(cast(-19.0, sat).raw(), -8);
}

#[test]
fn round_up_that_overflows_is_then_saturated() {
    // 7.75 rounds to 8.0, one past the maximum 7.5 of ap_fixed<5,4>.
    let sat = ty(true, 5, 4, Rounding::Rnd, Overflow::Sat, 0);
    let wrap = ty(true, 5, 4, Rounding::Rnd, Overflow::Wrap, 0);
    assert_eq!(cast(7.75, sat).raw(), 15);
    assert_eq!(cast(7.75, wrap).raw(), -16);
}

#[test]
fn not_finite_inputs_are_errors() {
    let t = ty(true, 8, 3, Rounding::Rnd, Overflow::Sat, 0);
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            Fixed::from_f64(x, t),
            Err(FixedError::NotFinite { .. })
        ));
    }
}

#[test]
fn invalid_types_are_errors() {
    assert!(FixedType::signed(0, 0).is_err());
    assert!(FixedType::signed(65, 0).is_err());
    assert!(FixedType::new(true, 4, 2, Rounding::Trn, Overflow::Wrap, 5).is_err());
    assert!(FixedType::new(false, 4, 2, Rounding::Trn, Overflow::WrapSm, 0).is_err());
}

#[test]
fn result_types_follow_the_header() {
    // ap_fixed<8,3> and ap_ufixed<6,1>: both have F = 5; the unsigned side needs one more
    // integer bit to sit beside a signed one, so I = max(3, 1 + 1) + 1 = 4 and W = 9.
    let a = cast(1.5, ty(true, 8, 3, Rounding::Trn, Overflow::Wrap, 0));
    let b = cast(0.25, ty(false, 6, 1, Rounding::Trn, Overflow::Wrap, 0));
    let sum = a.add(&b).unwrap();
    assert_eq!(
        (sum.ty().width(), sum.ty().int_bits(), sum.ty().is_signed()),
        (9, 4, true)
    );
    assert_eq!(sum.to_f64(), 1.75);
    let diff = b.sub(&a).unwrap();
    assert_eq!(
        (
            diff.ty().width(),
            diff.ty().int_bits(),
            diff.ty().is_signed()
        ),
        (9, 4, true)
    );
    assert_eq!(diff.to_f64(), -1.25);
    let prod = a.mul(&b).unwrap();
    assert_eq!(
        (
            prod.ty().width(),
            prod.ty().int_bits(),
            prod.ty().is_signed()
        ),
        (14, 4, true)
    );
    assert_eq!(prod.to_f64(), 0.375);
}

#[test]
fn products_up_to_128_bits_are_exact() {
    let t = ty(true, 64, 64, Rounding::Trn, Overflow::Wrap, 0);
    let min = Fixed::from_raw(i128::from(i64::MIN), t).unwrap();
    let p = min.mul(&min).unwrap();
    assert_eq!(p.ty().width(), 128);
    assert_eq!(p.raw(), 1i128 << 126);
}

#[test]
fn results_wider_than_128_bits_are_errors() {
    let a = Fixed::from_raw(1, ty(true, 64, 100, Rounding::Trn, Overflow::Wrap, 0)).unwrap();
    let b = Fixed::from_raw(1, ty(true, 64, -100, Rounding::Trn, Overflow::Wrap, 0)).unwrap();
    assert!(matches!(a.add(&b), Err(FixedError::ResultTooWide { .. })));
}

#[test]
fn display_uses_the_cpp_spelling() {
    assert_eq!(
        FixedType::signed(8, 3).unwrap().to_string(),
        "ap_fixed<8,3>"
    );
    assert_eq!(
        ty(true, 8, 3, Rounding::Rnd, Overflow::Sat, 0).to_string(),
        "ap_fixed<8,3,AP_RND,AP_SAT>"
    );
    assert_eq!(
        ty(false, 8, -2, Rounding::Trn, Overflow::Wrap, 2).to_string(),
        "ap_ufixed<8,-2,AP_TRN,AP_WRAP,2>"
    );
    assert_eq!(
        ty(true, 8, 3, Rounding::RndConv, Overflow::Wrap, 0).to_string(),
        "ap_fixed<8,3,AP_RND_CONV>"
    );
}

#[test]
fn a_value_cast_into_its_own_type_is_copied() {
    // Only `.range()` can put -max-1 into an AP_SAT_SYM type; C++ then copies it as it is.
    let t = ty(true, 8, 3, Rounding::Trn, Overflow::SatSym, 0);
    let min = Fixed::from_bits(0x80, t);
    assert_eq!(min.cast(t).raw(), -128);
    let other = ty(true, 8, 3, Rounding::Rnd, Overflow::SatSym, 0);
    assert_eq!(min.cast(other).raw(), -127);
}
