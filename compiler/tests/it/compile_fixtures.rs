//! Every fixture (both exporters) compiled at 16 and at 8 bits with calibration on the digits
//! training inputs, run by the interpreter on the 360 test digits: 16-bit argmax agrees with float
//! on at least 99.5% of them, and 8-bit accuracy is within 2 points of float.
//!
//! `cargo test --release -p binpoint --test it compile_fixtures:: -- --nocapture` prints the table.

use crate::compile_util;

use binpoint::eval;
use binpoint::eval::compare;
use binpoint_runtime::model::Threads;
use compile_util::*;

#[test]
fn fixtures_keep_their_accuracy_at_16_and_8_bits() {
    let test_y = labels("test_y");
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for model in MODELS {
        for opset in [13, 18] {
            let g = graph(model, opset, false);
            let train = inputs(&g, "train_x", usize::MAX);
            let test = inputs(&g, "test_x", usize::MAX);
            let n = test.shape()[0];
            let float = flat(&eval::run_f32(&g, &test).unwrap());
            let mut row = format!("{model:<12} opset{opset}");
            for bits in [16, 8] {
                let t = typed(&g, &train, bits);
                let m = compiled(&t)
                    .unwrap_or_else(|e| panic!("{model} opset{opset} {bits} bits: {e}"));
                let out = m.run_f32(&[&flat(&test)], n, Threads::All).unwrap();
                let a = compare(&float, &out[0].values, &test_y, "test_x", "test_y").unwrap();
                if bits == 16 {
                    row = format!("{row}  float {:.2}%", 100.0 * a.float_accuracy);
                }
                row += &format!(
                    "  {bits:>2} bits {:.2}% (agree {:.2}%, max err {:.4})",
                    100.0 * a.fixed_accuracy,
                    100.0 * a.argmax_agreement,
                    a.max_abs_error
                );
                let ok = if bits == 16 {
                    a.argmax_agreement >= 0.995
                } else {
                    a.fixed_accuracy >= a.float_accuracy - 0.02
                };
                if !ok {
                    failures.push(format!("{model} opset{opset} {bits} bits: {a:?}"));
                }
            }
            rows.push(row);
        }
    }
    println!("{}", rows.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
