//! The `binpoint` binary, run as users run it: `--help`, `--version` and `binpoint fixed cast`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use binpoint_runtime::{Fixed, FixedType};

fn binpoint(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_binpoint"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binpoint binary starts");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let text = text.to_string();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || pipe.write_all(text.as_bytes()).unwrap());
    }
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// One converted value as `--format tsv` prints it.
#[derive(Debug, PartialEq)]
struct Row {
    input: String,
    raw: i128,
    value: String,
    bits: String,
}

fn tsv_rows(out: &Output) -> Vec<Row> {
    let text = stdout(out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("input\traw\tvalue\tbits"), "{text}");
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), 4, "{line}");
            Row {
                input: cells[0].to_string(),
                raw: cells[1].parse().unwrap(),
                value: cells[2].to_string(),
                bits: cells[3].to_string(),
            }
        })
        .collect()
}

/// `binpoint fixed cast TYPE VALUE --format tsv`, which must succeed with one row.
fn cast_one(ty: &str, value: &str) -> Row {
    let out = binpoint(&["fixed", "cast", ty, value, "--format", "tsv"], None);
    assert!(out.status.success(), "{ty} {value}: {}", stderr(&out));
    let mut rows = tsv_rows(&out);
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn help_says_what_binpoint_is() {
    let out = binpoint(&["--help"], None);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("fixed-point"), "{text}");
    assert!(text.contains("Vitis HLS"), "{text}");
    assert!(text.contains("Usage: binpoint <COMMAND>"), "{text}");
    assert!(text.contains("fixed"), "{text}");

    let out = binpoint(&["fixed", "cast", "--help"], None);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("Usage: binpoint fixed cast [OPTIONS] <TYPE> [VALUES]..."),
        "{text}"
    );
    assert!(
        text.contains("--stdin") && text.contains("--format"),
        "{text}"
    );
}

#[test]
fn version_comes_from_cargo() {
    let out = binpoint(&["--version"], None);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("binpoint {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_command_is_a_usage_error() {
    let out = binpoint(&[], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Usage: binpoint <COMMAND>"));
}

#[test]
fn worked_examples_from_the_design() {
    // The double 0.1 (not exactly 0.1) lands on 13/128, like the float 0.1f.
    let row = cast_one("ap_fixed<8,1,AP_RND_CONV>", "0.1");
    assert_eq!((row.raw, row.value.as_str()), (13, "0.1015625"));

    let row = cast_one("ap_fixed<4,2,AP_RND>", "-0.125");
    assert_eq!(
        (row.raw, row.value.as_str(), row.bits.as_str()),
        (0, "0", "0x0")
    );

    let cases = [
        ("ap_fixed<4,4,AP_TRN,AP_WRAP>", "19", 3, "0x3"),
        ("ap_fixed<4,4,AP_TRN,AP_SAT>", "19", 7, "0x7"),
        ("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>", "19", 7, "0x7"),
        ("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>", "-19", -7, "0x9"),
        ("ap_fixed<4,4,AP_TRN,AP_SAT>", "-19", -8, "0x8"),
    ];
    for (ty, input, raw, bits) in cases {
        let row = cast_one(ty, input);
        assert_eq!(row.input, input);
        assert_eq!(row.raw, raw, "{ty} {input}");
        assert_eq!(row.value, raw.to_string(), "{ty} {input}");
        assert_eq!(row.bits, bits, "{ty} {input}");
    }

    let row = cast_one("ap_fixed<8,3,AP_RND,AP_SAT>", "1.37");
    assert_eq!(
        row,
        Row {
            input: "1.37".into(),
            raw: 44,
            value: "1.375".into(),
            bits: "0x2c".into()
        }
    );
}

#[test]
fn values_are_exact_decimals() {
    // F = 40: 2^-40 written out in full, no float rounding.
    let row = cast_one("ap_ufixed<8,-32>", "1e-12");
    assert_eq!(row.raw, 1);
    assert_eq!(row.value, "0.0000000000009094947017729282379150390625");
    // F < 0: an integer, every digit.
    let row = cast_one("ap_fixed<8,100>", "-1e29");
    assert_eq!(row.raw, -21);
    assert_eq!(row.value, "-103986963299971943091526434816");
    // ap_uint<W> is ap_ufixed<W,W>.
    let row = cast_one("ap_uint<12>", "4095.9");
    assert_eq!((row.raw, row.bits.as_str()), (4095, "0xfff"));
}

#[test]
fn default_table_is_aligned_with_a_header() {
    let out = binpoint(
        &[
            "fixed",
            "cast",
            "ap_fixed<8,3,AP_RND,AP_SAT>",
            "1.37",
            "-0.125",
            "19",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        concat!(
            "input   raw  value    bits\n",
            "1.37     44  1.375    0x2c\n",
            "-0.125   -4  -0.125   0xfc\n",
            "19      127  3.96875  0x7f\n",
        )
    );
}

#[test]
fn json_output() {
    let out = binpoint(
        &[
            "fixed",
            "cast",
            "ap_fixed<8,3,AP_RND,AP_SAT>",
            "1.37",
            "nan",
            "-19",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"input": "1.37", "raw": 44, "value": "1.375", "bits_hex": "0x2c"},
            {"input": "-19", "raw": -128, "value": "-4", "bits_hex": "0x80"},
        ])
    );
}

#[test]
fn stdin_values_follow_the_arguments() {
    let out = binpoint(
        &[
            "fixed",
            "cast",
            "ap_fixed<4,4,AP_TRN,AP_SAT_SYM>",
            "1",
            "--stdin",
            "--format",
            "tsv",
        ],
        Some("19 -19\n\n 2.5\t-2.5\r\n100"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<(String, i128)> = tsv_rows(&out)
        .into_iter()
        .map(|r| (r.input, r.raw))
        .collect();
    let expected = [
        ("1", 1),
        ("19", 7),
        ("-19", -7),
        ("2.5", 2),
        ("-2.5", -3),
        ("100", 7),
    ];
    let expected: Vec<(String, i128)> = expected.iter().map(|&(i, r)| (i.to_string(), r)).collect();
    assert_eq!(got, expected);
}

#[test]
fn many_stdin_values_match_the_runtime() {
    let ty_text = "ap_fixed<20,5,AP_RND_CONV,AP_SAT>";
    let ty: FixedType = ty_text.parse().unwrap();
    // Deterministic spread of values, some out of range, some on rounding ties.
    let inputs: Vec<String> = (0..20_000i64)
        .map(|k| {
            let x = ((k * 7919) % 40_001 - 20_000) as f64 / 613.0;
            if k % 5 == 0 {
                format!("{}", (k - 10_000) as f64 / 32768.0 / 2.0)
            } else {
                format!("{x:e}")
            }
        })
        .collect();
    let out = binpoint(
        &["fixed", "cast", ty_text, "--stdin", "--format", "tsv"],
        Some(&inputs.join("\n")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = tsv_rows(&out);
    assert_eq!(rows.len(), inputs.len());
    for (row, input) in rows.iter().zip(&inputs) {
        let expected = Fixed::from_f64(input.parse().unwrap(), ty).unwrap();
        assert_eq!(&row.input, input);
        assert_eq!(row.raw, expected.raw(), "{input}");
        // The exact decimal, read back with correct rounding, is the header's to_double().
        assert_eq!(
            row.value.parse::<f64>().unwrap(),
            expected.to_f64(),
            "{input}"
        );
        assert_eq!(row.bits, format!("0x{:05x}", expected.bits()), "{input}");
    }
}

#[test]
fn malformed_types_are_usage_errors() {
    let cases = [
        ("ap_fixed<0,3>", "W must be between 1 and 64, got 0"),
        (
            "ap_fixed<8,3,AP_RDN>",
            "unknown quantization mode 'AP_RDN' (expected one of AP_TRN,",
        ),
        ("ap_fixed<8,3,AP_SAT>", "AP_SAT is an overflow mode"),
        ("ap_fixed<8,3.5>", "I must be an integer, got '3.5'"),
        ("ap_fixed<8,3", "missing '>'"),
        (
            "ap_fixed<8,3,AP_TRN,AP_WRAP,0,1>",
            "expected 2 to 5 template arguments",
        ),
        ("float", "unknown type name 'float'"),
    ];
    for (ty, reason) in cases {
        let out = binpoint(&["fixed", "cast", ty, "1"], None);
        assert_eq!(out.status.code(), Some(2), "{ty}");
        assert!(out.stdout.is_empty(), "{ty}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("invalid fixed-point type '{ty}'")),
            "{err}"
        );
        assert!(err.contains(reason), "{ty}: {err}");
        assert_no_panic(&out);
    }
}

#[test]
fn missing_values_is_a_usage_error() {
    let out = binpoint(&["fixed", "cast", "ap_fixed<8,3>"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<VALUES>"));
}

#[test]
fn bad_values_are_named_and_the_rest_still_converted() {
    let out = binpoint(
        &[
            "fixed",
            "cast",
            "ap_fixed<8,3>",
            "1",
            "nan",
            "1.2.3",
            "inf",
            "1e400",
            "0.5",
            "--format",
            "tsv",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_no_panic(&out);
    let inputs: Vec<String> = tsv_rows(&out).into_iter().map(|r| r.input).collect();
    assert_eq!(inputs, ["1", "0.5"]);
    let err = stderr(&out);
    assert!(
        err.contains("error: 'nan': cannot convert NaN to ap_fixed<8,3>"),
        "{err}"
    );
    assert!(err.contains("error: '1.2.3' is not a number"), "{err}");
    assert!(
        err.contains("error: 'inf': cannot convert inf to ap_fixed<8,3>"),
        "{err}"
    );
    assert!(
        err.contains("error: '1e400' is beyond the range of a double"),
        "{err}"
    );
    assert!(
        err.contains("error: 4 of 6 values could not be converted to ap_fixed<8,3>"),
        "{err}"
    );

    let out = binpoint(
        &["fixed", "cast", "ap_fixed<8,3>", "--stdin"],
        Some("0.25 abc\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("'abc' is not a number"));
    assert!(stdout(&out).contains("0.25"));
}

#[test]
fn negative_values_that_look_like_options_go_after_double_dash() {
    let out = binpoint(
        &[
            "fixed",
            "cast",
            "ap_fixed<8,3>",
            "-2",
            "--format",
            "tsv",
            "--",
            "-1e-3",
            "-.5",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let raws: Vec<i128> = tsv_rows(&out).into_iter().map(|r| r.raw).collect();
    assert_eq!(raws, [-64, -1, -16]);
}
