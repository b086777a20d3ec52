//! The runtime against Xilinx's ap_fixed headers compiled with g++: raw bits, zero tolerance.
//!
//! `BINPOINT_ORACLE_SEED`, `BINPOINT_ORACLE_CASES`, `BINPOINT_ORACLE_GROUPS`,
//! `BINPOINT_ORACLE_JOBS`, `BINPOINT_ORACLE_OPT`, `BINPOINT_ORACLE_NO_CACHE=1` tune the run
//! (see testbench/README.md).

use std::time::Instant;

use binpoint_runtime::{Fixed, FixedType, Overflow, Rounding};
use binpoint_testbench::ap_types::target_dir;
use binpoint_testbench::oracle::{self, Answer, Config, Group, Options};

#[test]
fn runtime_matches_ap_fixed_headers_on_random_cases() {
    let config = Config::from_env();
    let start = Instant::now();
    let report = oracle::run(&config).unwrap_or_else(|e| panic!("oracle run failed: {e}"));
    println!("{}", report.summary());
    println!("  total {:.1} s", start.elapsed().as_secs_f64());

    let path = target_dir().join("oracle-mismatches.txt");
    if report.mismatch_count > 0 {
        let text = report.mismatch_text(usize::MAX);
        // Best effort: the failure message below carries the first cases anyway.
        let _ = std::fs::write(&path, &text);
        panic!(
            "{}\n(all cases in {})",
            report.mismatch_text(20),
            path.display()
        );
    }
    assert!(
        report.compared() >= config.cases as u64,
        "only {} values compared, {} asked",
        report.compared(),
        config.cases
    );
    // Every destination (signedness, Q, O) combination was exercised.
    assert_eq!(
        report.combos.len(),
        oracle::gen::COMBINATIONS,
        "{:?}",
        report.combos.keys()
    );
}

fn ty(signed: bool, w: u32, i: i32, q: Rounding, o: Overflow) -> FixedType {
    FixedType::new(signed, w, i, q, o, 0).unwrap()
}

/// The worked examples of docs/DESIGN.md, against the header and the runtime.
#[test]
fn worked_examples() {
    let cases = [
        // (input, type, expected raw, expected value)
        (
            f64::from(0.1f32),
            ty(true, 8, 1, Rounding::RndConv, Overflow::Wrap),
            13,
            0.1015625,
        ),
        (
            -0.125,
            ty(true, 4, 2, Rounding::Rnd, Overflow::Wrap),
            0,
            0.0,
        ),
        (19.0, ty(true, 4, 4, Rounding::Trn, Overflow::Wrap), 3, 3.0),
        (19.0, ty(true, 4, 4, Rounding::Trn, Overflow::Sat), 7, 7.0),
        (
            19.0,
            ty(true, 4, 4, Rounding::Trn, Overflow::SatSym),
            7,
            7.0,
        ),
        (
            -19.0,
            ty(true, 4, 4, Rounding::Trn, Overflow::SatSym),
            -7,
            -7.0,
        ),
    ];
    // One program for all: each cast_f64 call would compile its own.
    let groups: Vec<Group> = cases
        .iter()
        .map(|&(x, to, _, _)| Group::FromF64 {
            to,
            inputs: vec![x],
        })
        .collect();
    let (answers, _) = oracle::ask(&groups, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    for ((x, t, raw, value), answer) in cases.iter().zip(answers) {
        let Answer::FromF64(values) = answer else {
            panic!("wrong answer kind {answer:?}")
        };
        let header = values[0].0;
        assert_eq!(
            Fixed::from_bits(header, *t).raw(),
            *raw,
            "header: {x} -> {t}"
        );
        let rust = Fixed::from_f64(*x, *t).unwrap();
        assert_eq!(rust.raw(), *raw, "runtime: {x} -> {t}");
        assert_eq!(rust.to_f64(), *value, "runtime to_f64: {x} -> {t}");
    }
}

/// The small API other tests use: fixed -> fixed casts and a binary operation.
#[test]
fn small_api_agrees_with_runtime() {
    let from = ty(true, 8, 3, Rounding::Trn, Overflow::Wrap);
    let to = ty(false, 4, 2, Rounding::Rnd, Overflow::Sat);
    let bits: Vec<u128> = (0..256).collect();
    let header = oracle::cast(&from, &bits, &to).unwrap();
    for (&b, &h) in bits.iter().zip(&header) {
        assert_eq!(Fixed::from_bits(b, from).cast(to).bits(), h, "{b:#x}");
    }

    let a = ty(true, 64, 10, Rounding::Trn, Overflow::Wrap);
    let b = ty(false, 64, 70, Rounding::Trn, Overflow::Wrap);
    let pairs = [
        (u64::MAX as u128, u64::MAX as u128),
        (1 << 63, 12345),
        (0, 1),
    ];
    let (rtype, values) = oracle::binary(oracle::BinOp::Mul, &a, &b, &pairs, &to).unwrap();
    assert_eq!((rtype.width, rtype.int_bits, rtype.signed), (128, 80, true));
    for (&(x, y), &(r, t)) in pairs.iter().zip(&values) {
        let p = Fixed::from_bits(x, a).mul(&Fixed::from_bits(y, b)).unwrap();
        assert_eq!(p.bits(), r);
        assert_eq!(p.cast(to).bits(), t);
    }

    // The header's constructors exit on ap_ufixed<..., AP_WRAP_SM>; the runtime refuses it.
    assert!(FixedType::new(false, 8, 4, Rounding::Trn, Overflow::WrapSm, 0).is_err());
    assert!(oracle::cast_f64(&from, &[f64::NAN]).is_err());
}
