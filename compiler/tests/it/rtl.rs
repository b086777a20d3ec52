//! The RTL backend (docs/rtl.md): the mlp fixture at 8 bits, with binpoint's default modes
//! (AP_RND_CONV, AP_SAT) and with ap_fixed's (AP_TRN, AP_WRAP), emitted as Verilog, linted with
//! `verilator --lint-only -Wall` and verified bit for bit through Verilator on 1,005 vectors plus
//! the 360 test digits, latency included; a mutated design is caught; a layer the RTL cannot
//! build is refused by name. Needs verilator on PATH (`.ci/run` installs it): a missing tool
//! fails the test, it never skips.

use std::path::PathBuf;

use binpoint::emit::hls::verify::VerifyOptions;
use binpoint::emit::rtl::verify::verify_rtl;
use binpoint::emit::rtl::{emit, verilator, write_rtl, RtlError};
use binpoint::lower::{lower, LowerOptions};
use binpoint::quant::{calibrate, type_graph, Method, PrecisionConfig, RangeSource};
use binpoint_runtime::model::Model;

use crate::compile_util::{fixtures, graph, inputs, verify_dir};

/// `model` typed with `config`, calibrated on the training digits: its folder (model.bpm) and model.
fn compiled(model: &str, name: &str, config: &str) -> (PathBuf, Model) {
    let g = graph(model, 13, false);
    let train = inputs(&g, "train_x", usize::MAX);
    let cfg = PrecisionConfig::parse(config, name).unwrap();
    let cal = calibrate(&g, std::slice::from_ref(&train), Method::MaxAbs).unwrap();
    let typed = type_graph(&g, &cfg, RangeSource::Calibrated(&cal)).unwrap();
    let lowered = lower(
        &typed,
        &LowerOptions {
            source: format!("{model}_opset13.onnx"),
            float_model: String::new(),
        },
    )
    .unwrap();
    let out = verify_dir("rtl", name, &lowered.proto);
    let m = Model::from_proto(&lowered.proto).unwrap();
    (out, m)
}

fn opts() -> VerifyOptions {
    VerifyOptions {
        vectors: 1000,
        calib: Some(fixtures().join("data/test_x.npy")),
        ..VerifyOptions::default()
    }
}

fn bit_exact(name: &str, config: &str) {
    let (out, model) = compiled("mlp", name, config);
    let rtl = write_rtl(&model, &out).unwrap();
    // Input register + the dense layers' stages + 2 ReLU.
    let cycles: Vec<u32> = rtl.stages.iter().map(|s| s.cycles).collect();
    eprintln!("{name}: stages {cycles:?}");
    assert_eq!(rtl.latency, 1 + cycles.iter().sum::<u32>());
    verilator::lint(&out.join("rtl")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let r = verify_rtl(&out, &opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.samples, 5 + 1000 + 360);
    assert_eq!((r.passed, r.failed), (1365, 0), "{name}:\n{}", r.output);
    assert_eq!(
        r.latency_measured,
        Some(rtl.latency),
        "{name}:\n{}",
        r.output
    );
    assert_eq!(r.latency_stated, rtl.latency);
    // The emitted text has no multiplier (constant products are shift-add).
    for (file, text) in &rtl.files {
        assert!(!text.contains('*'), "{file} has a '*'");
    }
}

#[test]
fn mlp_8_bits_default_modes_is_bit_exact_in_verilator() {
    bit_exact("mlp_8_rnd_conv_sat", "[default]\nbits = 8\n");
}

#[test]
fn mlp_8_bits_trn_wrap_is_bit_exact_in_verilator() {
    bit_exact(
        "mlp_8_trn_wrap",
        "[default]\nbits = 8\nrounding = \"AP_TRN\"\noverflow = \"AP_WRAP\"\n",
    );
}

#[test]
fn emission_is_deterministic_and_a_mutated_design_is_caught() {
    let (out, model) = compiled("mlp", "mlp_8_mutated", "[default]\nbits = 8\n");
    let a = emit(&model).unwrap();
    let b = emit(&model).unwrap();
    assert_eq!(a.files, b.files);
    write_rtl(&model, &out).unwrap();
    // Outputs 0 and 1 swapped: same widths, lint-clean, wrong values.
    let top = out.join("rtl/binpoint_top.v");
    let text = std::fs::read_to_string(&top).unwrap();
    let wrong = text
        .replace("assign out_0 = t4[7:0];", "SWAP")
        .replace("assign out_1 = t4[15:8];", "assign out_1 = t4[7:0];")
        .replace("SWAP", "assign out_0 = t4[15:8];");
    assert_ne!(wrong, text, "the top's output assignments moved");
    std::fs::write(&top, wrong).unwrap();
    let r = verify_rtl(
        &out,
        &VerifyOptions {
            vectors: 100,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert!(r.failed > 0, "{}", r.output);
    assert!(r.output.contains("mismatch: sample"), "{}", r.output);
}

#[test]
fn unsupported_layers_are_refused_by_name() {
    // A convolution with a user accumulator: refused, naming the conv (the dense builder's check).
    let (_, model) = compiled(
        "cnn_bn",
        "cnn_bn_8_user_accum",
        "[default]\nbits = 8\naccum = \"ap_fixed<14,8>\"\n",
    );
    let e = emit(&model).unwrap_err().to_string();
    assert!(
        e.contains("'/features/features.0/Conv' (Conv)") && e.contains("user accumulator"),
        "{e}"
    );
    // AP_WRAP_SM has no RTL cast yet: refused, naming the layer.
    let (_, model) = compiled(
        "mlp",
        "mlp_8_wrap_sm",
        "[default]\nbits = 8\noverflow = \"AP_WRAP_SM\"\n",
    );
    let e = emit(&model).unwrap_err().to_string();
    assert!(e.contains("layer 0 '/net/net.0/Gemm' (Dense)"), "{e}");
    assert!(e.contains("AP_WRAP_SM"), "{e}");
    // A user accumulator narrower than the exact one: refused, naming the layer.
    let (_, model) = compiled(
        "mlp",
        "mlp_8_user_accum",
        "[default]\nbits = 8\naccum = \"ap_fixed<14,8>\"\n",
    );
    let e = emit(&model).unwrap_err().to_string();
    assert!(
        e.contains("layer 0 '/net/net.0/Gemm' (Dense)") && e.contains("user accumulator"),
        "{e}"
    );
}

#[test]
fn a_missing_tool_is_named() {
    let e = verilator::run_tool(
        "binpoint-no-such-tool",
        "verilator",
        &[],
        std::path::Path::new("."),
    )
    .unwrap_err();
    assert!(matches!(e, RtlError::MissingTool { .. }));
    let m = e.to_string();
    assert!(
        m.contains("`binpoint-no-such-tool` is not installed")
            && m.contains("apt-get install -y verilator"),
        "{m}"
    );
}

/// A Flatten of a 2x3 input (a view: wires), dense 6 -> 4, ReLU, dense 4 -> 3, at 6 bits
/// (range propagation from [-1, 1]).
fn tiny() -> binpoint_runtime::model::format::ModelProto {
    use binpoint::ir::ops::{Dense, Flatten, Relu};
    use binpoint::ir::GraphBuilder;
    use binpoint::quant::Interval;
    let values = |k: usize| move |i: usize| ((i * 7 + k) % 11) as f32 / 8.0 - 0.6;
    let mut b = GraphBuilder::new("tiny");
    let x = b.input("x", &[0, 2, 3]);
    let x = b.op("flatten", Flatten { axis: 1 }, &[x]).unwrap();
    let w1 = b.constant_fn("w1", &[4, 6], values(1));
    let b1 = b.constant_fn("b1", &[4], values(2));
    let d1 = b.op("fc1", Dense, &[x, w1, b1]).unwrap();
    let r = b.op("relu", Relu, &[d1]).unwrap();
    let w2 = b.constant_fn("w2", &[3, 4], values(3));
    let b2 = b.constant_fn("b2", &[3], values(4));
    let y = b.op("fc2", Dense, &[r, w2, b2]).unwrap();
    b.output(y);
    let g = b.finish().unwrap();
    let typed = type_graph(
        &g,
        &PrecisionConfig::uniform(6).unwrap(),
        RangeSource::Propagated(vec![Interval::new(-1.0, 1.0)]),
    )
    .unwrap();
    lower(&typed, &LowerOptions::default()).unwrap().proto
}

#[test]
fn yosys_maps_a_small_model_without_dsp() {
    let proto = tiny();
    let out = verify_dir("rtl", "tiny_synth", &proto);
    let model = Model::from_proto(&proto).unwrap();
    let rtl = write_rtl(&model, &out).unwrap();
    // The view is wires: input register + dense + ReLU (a select, no register: its cast is the
    // identity) + dense.
    assert_eq!(model.layers()[0].kernel(), "view");
    let cycles: Vec<u32> = rtl.stages.iter().map(|s| s.cycles).collect();
    assert_eq!(cycles[1], 0, "{cycles:?}");
    assert_eq!(rtl.latency, 1 + cycles.iter().sum::<u32>());
    vivado_tcl_parses(&out, &rtl);
    let r = verify_rtl(&out, &VerifyOptions::default()).unwrap();
    assert_eq!((r.passed, r.failed), (1005, 0), "{}", r.output);
    let s = binpoint::emit::rtl::synth::synth(&out, &model).unwrap();
    assert!(s.tool.starts_with("Yosys"), "{}", s.tool);
    assert_eq!(s.layers.len(), 3);
    assert!(s.total.lut > 0 && s.total.ff > 0, "{:?}", s.total);
    assert_eq!(s.total.dsp, 0, "constant products must not become DSPs");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["synth"]["label"],
        "Yosys-mapped cells of binpoint's RTL"
    );
    assert_eq!(report["synth"]["total"]["lut"], s.total.lut);
}

/// OUT/rtl/vivado_ooc.tcl: tclsh parses it, and run with every Vivado command stubbed it reads
/// every Verilog file, constrains clk at 5 ns, synthesizes out of context on the Ultra96's part
/// and writes the reports. A missing tclsh fails the test.
fn vivado_tcl_parses(out: &std::path::Path, rtl: &binpoint::emit::rtl::Rtl) {
    let tcl = out.join("rtl").join(binpoint::emit::rtl::vivado::FILE);
    let text = std::fs::read_to_string(&tcl).unwrap();
    let harness = out.join("stub_vivado.tcl");
    std::fs::write(
        &harness,
        r#"set ::calls {}
rename unknown _tcl_unknown
proc unknown {args} { lappend ::calls $args; return stub }
set script [lindex $argv 0]
if {![info complete [read [open $script]]]} { puts "INCOMPLETE"; exit 1 }
if {[catch {uplevel #0 [list source $script]} err]} { puts "ERROR $err"; exit 1 }
foreach c $::calls { puts "CALL $c" }
"#,
    )
    .unwrap();
    let o = std::process::Command::new("tclsh")
        .arg(&harness)
        .arg(&tcl)
        .output()
        .expect("tclsh must be installed (apt-get install -y tcl)");
    let log = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{log}\n{text}");
    for (file, _) in &rtl.files {
        assert!(
            log.contains(&format!(
                "CALL read_verilog {}",
                out.join("rtl").join(file).canonicalize().unwrap().display()
            )),
            "{file}:\n{log}"
        );
    }
    assert!(
        log.contains(
            "CALL synth_design -top binpoint_top -part xczu3eg-sbva484-1-i -mode out_of_context"
        ),
        "{log}"
    );
    assert!(log.contains("CALL report_utilization -file"), "{log}");
    assert!(log.contains("CALL report_timing"), "{log}");
    let xdc = std::fs::read_to_string(out.join("rtl/vivado/clock.xdc")).unwrap();
    assert_eq!(
        xdc.trim(),
        "create_clock -name clk -period 5 [get_ports clk]"
    );
}
