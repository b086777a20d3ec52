//! The precision config: the minimal file, precedence (layer > op > default), and every invalid
//! config with the words its error must contain (file, table, key).

use binpoint::ir::ops::{Dense, Relu};
use binpoint::ir::GraphBuilder;
use binpoint::quant::{
    type_graph, ConfigError, Interval, Method, PrecisionConfig, QuantError, RangeSource,
};
use binpoint::Graph;
use binpoint_runtime::{Overflow, Rounding};

const MINIMAL: &str = "[default]\nbits = 16\nrounding = \"AP_RND_CONV\"\noverflow = \"AP_SAT\"\n";

/// x [N,4] -> fc1 (Dense 4->3) -> relu -> fc2 (Dense 3->2).
fn small_graph() -> Graph {
    let mut b = GraphBuilder::new("small");
    let x = b.input("x", &[0, 4]);
    let w1 = b.constant_fn("fc1.weight", &[3, 4], |i| (i as f32 - 5.0) / 8.0);
    let b1 = b.constant_fn("fc1.bias", &[3], |i| i as f32 / 16.0);
    let h = b.op("fc1", Dense, &[x, w1, b1]).unwrap();
    let r = b.op("relu", Relu, &[h]).unwrap();
    let w2 = b.constant_fn("fc2.weight", &[2, 3], |i| 1.5 - i as f32 / 2.0);
    let y = b.op("fc2", Dense, &[r, w2]).unwrap();
    b.output(y);
    b.finish().unwrap()
}

fn parse(text: &str) -> Result<PrecisionConfig, ConfigError> {
    PrecisionConfig::parse(text, "precision.toml")
}

fn node<'a>(g: &'a Graph, name: &str) -> &'a binpoint::ir::Node {
    g.node(g.find(name).unwrap())
}

#[test]
fn minimal_config_reads_as_written() {
    let cfg = parse(MINIMAL).unwrap();
    assert_eq!(cfg.default.bits, Some(16));
    assert_eq!(cfg.default.rounding, Some(Rounding::RndConv));
    assert_eq!(cfg.default.overflow, Some(Overflow::Sat));
    assert!(cfg.op.is_empty() && cfg.layer.is_empty());
    let g = small_graph();
    let r = cfg.resolve(node(&g, "fc1"));
    assert_eq!(
        (r.bits, r.rounding, r.overflow),
        (16, Rounding::RndConv, Overflow::Sat)
    );
    assert_eq!((r.weight_bits, r.bias_bits, r.table_bits), (16, 16, 16));
    assert_eq!(cfg.calibration.method(), Method::MaxAbs);
}

#[test]
fn uniform_bits_is_the_minimal_config_with_w() {
    let g = small_graph();
    let cfg = PrecisionConfig::uniform(8).unwrap();
    let r = cfg.resolve(node(&g, "fc2"));
    assert_eq!(
        (r.bits, r.rounding, r.overflow),
        (8, Rounding::RndConv, Overflow::Sat)
    );
    for bad in [0, 65] {
        let e = PrecisionConfig::uniform(bad).unwrap_err().to_string();
        assert!(e.contains("--bits") && e.contains("1..=64"), "{e}");
    }
}

#[test]
fn precedence_is_layer_then_op_then_default() {
    let cfg = parse(
        r#"
[default]
bits = 16
rounding = "AP_TRN"

[op.Dense]
bits = 8
weight_bits = 6
overflow = "AP_WRAP"

[layer."fc2"]
bits = 4
rounding = "AP_RND"

[layer."fc1.bias"]
bits = 12

[op.Relu]
int_bits = 3
"#,
    )
    .unwrap();
    let g = small_graph();
    cfg.check_names(&g).unwrap();
    let fc1 = cfg.resolve(node(&g, "fc1"));
    assert_eq!((fc1.bits, fc1.weight_bits, fc1.bias_bits), (8, 6, 8));
    assert_eq!(
        (fc1.rounding, fc1.overflow),
        (Rounding::Trn, Overflow::Wrap)
    );
    let fc2 = cfg.resolve(node(&g, "fc2"));
    // The layer's own `bits` beats the op's `weight_bits`: the most specific table wins.
    assert_eq!((fc2.bits, fc2.weight_bits, fc2.bias_bits), (4, 4, 4));
    assert_eq!(
        (fc2.rounding, fc2.overflow),
        (Rounding::Rnd, Overflow::Wrap)
    );
    let relu = cfg.resolve(node(&g, "relu"));
    assert_eq!((relu.bits, relu.int_bits), (16, Some(3)));

    // Through the typing pass: weights and biases read their consumer's tables, or their own.
    let t = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    let w = |name: &str| t.by_name(name).unwrap().output.ty;
    assert_eq!(w("fc1.weight").width(), 6);
    assert_eq!(w("fc1.bias").width(), 12);
    assert_eq!(w("fc2.weight").width(), 4);
    assert_eq!(w("fc1").width(), 8);
    assert_eq!(w("fc2").width(), 4);
    assert_eq!(w("x").width(), 16);
    assert_eq!(w("fc2").rounding(), Rounding::Rnd);
    // Relu has its own int_bits, so it is a cast into ap_fixed<16,3>, not a move.
    assert_eq!(w("relu").to_string(), "ap_fixed<16,3,AP_TRN,AP_SAT>");
}

#[test]
fn a_pinned_type_wins_for_its_tensor() {
    let cfg = parse(
        "[default]\nbits = 10\n[layer.fc1]\ntype = \"ap_fixed<12,5,AP_RND,AP_SAT>\"\n\
         [layer.\"fc2.weight\"]\ntype = \"ap_fixed<6,1,AP_RND_CONV,AP_SAT>\"\n",
    )
    .unwrap();
    let g = small_graph();
    let t = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    assert_eq!(
        t.by_name("fc1").unwrap().output.ty.to_string(),
        "ap_fixed<12,5,AP_RND,AP_SAT>"
    );
    assert_eq!(
        t.by_name("fc2.weight").unwrap().output.ty.to_string(),
        "ap_fixed<6,1,AP_RND_CONV,AP_SAT>"
    );
    assert_eq!(t.by_name("fc2").unwrap().output.ty.width(), 10);
}

#[test]
fn calibration_table() {
    let cfg = parse("[calibration]\npercentile = 99.9\ninput_range = [0.0, 1.0]\n").unwrap();
    assert_eq!(cfg.calibration.method(), Method::Percentile(99.9));
    assert_eq!(cfg.input_range(), Some((0.0, 1.0)));
    let cfg = parse("[calibration]\nmethod = \"max-abs\"\n").unwrap();
    assert_eq!(cfg.calibration.method(), Method::MaxAbs);
}

#[test]
fn propagation_input_range_defaults() {
    use binpoint::quant::propagation_range;
    let x = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 2]), vec![0.0f32, 0.5, 0.25, 0.75])
        .unwrap();
    let none = PrecisionConfig::uniform(8).unwrap();
    let with = parse("[calibration]\ninput_range = [-2.0, 2.0]\n").unwrap();
    let r = |given, cfg: &PrecisionConfig, xs: &[ndarray::ArrayD<f32>]| {
        let i = propagation_range(given, cfg, xs);
        (i.lo, i.hi)
    };
    assert_eq!(
        r(Some((0.0, 1.0)), &with, std::slice::from_ref(&x)),
        (0.0, 1.0)
    );
    assert_eq!(r(None, &with, std::slice::from_ref(&x)), (-2.0, 2.0));
    assert_eq!(r(None, &none, &[x]), (0.0, 0.75));
    assert_eq!(r(None, &none, &[]), (-1.0, 1.0));
}

#[test]
fn config_round_trips_through_toml() {
    let text = r#"
[default]
bits = 12
overflow = "AP_SAT_SYM"
unsigned = true

[op.Softmax]
table_size = 256
table_bits = 18

[layer."fc1"]
type = "ap_fixed<12,5,AP_RND,AP_SAT>"
"#;
    let cfg = parse(text).unwrap();
    let again = toml::to_string(&cfg).unwrap();
    let back = parse(&again).unwrap();
    assert_eq!(cfg.default, back.default);
    assert_eq!(cfg.op, back.op);
    assert_eq!(cfg.layer, back.layer);
}

/// Each invalid config and the fragments its message must contain.
#[test]
fn every_invalid_config_names_file_table_and_key() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[default]\nbitz = 8\n",
            &[
                "precision.toml",
                "[default]",
                "unknown key 'bitz'",
                "bits, int_bits",
            ],
        ),
        (
            "[default]\nbits = 0\n",
            &["precision.toml", "[default]", "bits", "1..=64, got 0"],
        ),
        ("[default]\nbits = 65\n", &["[default]", "bits", "got 65"]),
        (
            "[op.Dense]\nweight_bits = 0\n",
            &["[op.Dense]", "weight_bits", "1..=64"],
        ),
        (
            "[layer.fc1]\ntable_bits = 70\n",
            &["[layer.fc1]", "table_bits", "got 70"],
        ),
        (
            "[default]\nbits = \"16\"\n",
            &["[default]", "bits", "invalid type", "string"],
        ),
        (
            "[default]\nrounding = \"AP_RND_CONVV\"\n",
            &[
                "[default]",
                "rounding",
                "unknown rounding mode 'AP_RND_CONVV'",
                "AP_RND_CONV",
            ],
        ),
        (
            "[op.Relu]\noverflow = \"SAT\"\n",
            &[
                "[op.Relu]",
                "overflow",
                "unknown overflow mode 'SAT'",
                "AP_SAT_SYM",
            ],
        ),
        (
            "[op.Convolution]\nbits = 8\n",
            &[
                "precision.toml",
                "[op.Convolution]",
                "unknown op type 'Convolution'",
                "Conv",
            ],
        ),
        (
            "[defaults]\nbits = 8\n",
            &["precision.toml", "unknown table [defaults]"],
        ),
        (
            "bits = 8\n",
            &["precision.toml", "top level", "bits", "[default]"],
        ),
        (
            "[default]\ntype = \"ap_fixed<8,3>\"\n",
            &["[default]", "type", "only allowed in [layer"],
        ),
        (
            "[layer.fc1]\ntype = \"ap_fixed<8,3>\"\nbits = 8\n",
            &["[layer.fc1]", "type", "not both"],
        ),
        (
            "[layer.fc1]\ntype = \"ap_fixed<8>\"\n",
            &["[layer.fc1]", "type", "ap_fixed<8>"],
        ),
        (
            "[op.Tanh]\ntable_size = 1000\n",
            &["[op.Tanh]", "table_size", "power of two"],
        ),
        (
            "[default]\nbits = 4\nsat_bits = 5\n",
            &["[default]", "sat_bits", "exceed"],
        ),
        (
            "[default]\nint_bits = 5000\n",
            &["[default]", "int_bits", "5000"],
        ),
        (
            "[default]\nunsigned = 1\n",
            &["[default]", "unsigned", "invalid type"],
        ),
        (
            "[default\nbits = 8\n",
            &["precision.toml", "invalid TOML", "line 1"],
        ),
        (
            "default = 3\n",
            &["precision.toml", "default", "must be a table"],
        ),
        ("[op]\nDense = 3\n", &["[op.Dense]", "must be a table"]),
        (
            "[calibration]\npercentile = 0.0\n",
            &["[calibration]", "percentile", "(0, 100]"],
        ),
        (
            "[calibration]\nmethod = \"max-abs\"\npercentile = 99.0\n",
            &["[calibration]", "percentile", "max-abs"],
        ),
        (
            "[calibration]\nmethod = \"median\"\n",
            &["[calibration]", "method", "unknown variant"],
        ),
        (
            "[calibration]\nsamples = 5\n",
            &["[calibration]", "unknown key 'samples'"],
        ),
        (
            "[calibration]\ninput_range = [1.0, -1.0]\n",
            &["[calibration]", "input_range", "LO <= HI"],
        ),
    ];
    for (text, want) in cases {
        let err = parse(text).expect_err(text).to_string();
        for w in *want {
            assert!(
                err.contains(w),
                "config {text:?}: error {err:?} lacks {w:?}"
            );
        }
    }
}

#[test]
fn unknown_layer_names_are_caught_against_the_graph() {
    let g = small_graph();
    let cfg = parse("[layer.\"fc3\"]\nbits = 8\n").unwrap();
    let err = cfg.check_names(&g).unwrap_err().to_string();
    for w in [
        "precision.toml",
        "[layer.fc3]",
        "'fc3'",
        "did you mean 'fc1'",
    ] {
        assert!(err.contains(w), "{err} lacks {w}");
    }
    // The typing pass checks the names first.
    let err = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(0.0, 1.0)]),
    )
    .unwrap_err();
    assert!(
        matches!(err, QuantError::Config(ConfigError::UnknownLayer { .. })),
        "{err}"
    );
    // Tensor names are layer names too (weights have no node name of their own).
    parse("[layer.\"fc1.weight\"]\nbits = 8\n")
        .unwrap()
        .check_names(&g)
        .unwrap();
}

#[test]
fn a_missing_file_is_named() {
    let err = PrecisionConfig::from_file("/nonexistent/precision.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/precision.toml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn config_problems_found_while_typing_name_the_node() {
    let g = small_graph();
    // sat_bits larger than a layer's own (smaller) bits: caught when the type is built.
    let cfg =
        parse("[default]\nsat_bits = 6\noverflow = \"AP_WRAP\"\n[layer.fc2]\nbits = 4\n").unwrap();
    let err = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(0.0, 1.0)]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("'fc2") && err.contains("N=6"), "{err}");
    // ap_ufixed with AP_WRAP_SM is refused by the header.
    let cfg = parse("[default]\nunsigned = true\noverflow = \"AP_WRAP_SM\"\n").unwrap();
    let err = type_graph(
        &g,
        &cfg,
        RangeSource::Propagated(vec![Interval::new(0.0, 1.0)]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("AP_WRAP_SM") && err.contains("node '"),
        "{err}"
    );
}
