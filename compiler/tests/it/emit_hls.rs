//! The HLS backend's emitted files: `<` survives rendering, output is deterministic, the firmware
//! stays in the synthesizable subset, hostile names from the model compile safely, and the
//! AXI-Stream variant builds and verifies. (Every fixture's firmware is built with g++ -Wall
//! -Werror and verified bit-exact in `verify_fixtures.rs`.)

use crate::compile_util;

use std::collections::BTreeSet;
use std::path::PathBuf;

use binpoint::emit::hls::verify::{verify, Vectors, VerifyOptions};
use binpoint::emit::hls::{render_firmware, render_tb, write_tb, Files, Interface};
use binpoint_runtime::model::format::ModelProto;
use binpoint_runtime::model::Model;
use compile_util::*;

/// The fixture compiled at `bits` (calibrated on the training digits).
fn proto(model: &str, opset: u32, bits: u32) -> ModelProto {
    let g = graph(model, opset, false);
    let train = inputs(&g, "train_x", 256);
    lowered(&typed(&g, &train, bits)).proto
}

/// The validated model of `proto`.
fn validated(proto: &ModelProto) -> Model {
    Model::from_proto(proto).unwrap()
}

/// `proto`'s firmware with the default hardware plan.
fn firmware(proto: &ModelProto) -> Files {
    let m = validated(proto);
    render_firmware(&m, &hls_options(&m)).unwrap()
}

/// A fresh OUT folder under the target dir holding `proto` and its hardware plan.
fn out_dir(name: &str, proto: &ModelProto) -> PathBuf {
    verify_dir("emit-hls-tests", name, proto)
}

#[test]
fn angle_brackets_survive_rendering() {
    let fw = firmware(&proto("mlp", 13, 8));
    let defines = fw.get("defines.h").unwrap();
    assert!(defines.contains("typedef ap_fixed<8,"), "{defines}");
    assert!(
        defines.contains("typedef ap_int<32> io_word_t;"),
        "{defines}"
    );
    for (name, text) in &fw.files {
        for escaped in [
            "&lt;", "&gt;", "&#60;", "&#62;", "&#x3c;", "&quot;", "&amp;",
        ] {
            assert!(!text.contains(escaped), "{name} holds {escaped}");
        }
    }
    let params = fw.get("parameters.h").unwrap();
    assert!(params.contains("binpoint::param<"), "{params}");
    assert!(params.contains("#include \"dense.h\""));
}

#[test]
fn emitted_files_are_deterministic() {
    for (model, opset) in [("mlp", 13), ("resnet", 18)] {
        let (a, b) = (proto(model, opset, 8), proto(model, opset, 8));
        assert_eq!(a.to_bytes(), b.to_bytes());
        let (ma, mb) = (validated(&a), validated(&b));
        let opts = hls_options(&ma);
        assert_eq!(
            render_firmware(&ma, &opts).unwrap(),
            render_firmware(&mb, &opts).unwrap()
        );
        assert_eq!(
            render_tb(&ma, &opts).unwrap(),
            render_tb(&mb, &opts).unwrap()
        );
        // OUT/tb with the default vectors, written twice from two compiles: the same bytes.
        let mut written = Vec::new();
        for (k, p) in [a, b].iter().enumerate() {
            let out = out_dir(&format!("determinism-{model}-{k}"), p);
            let m = validated(p);
            let v = Vectors::generate(&m, 32, 0, None).unwrap();
            write_tb(&m, &out, &opts, Some(&v)).unwrap();
            let mut files = Vec::new();
            for f in ["tb.cpp", "input_raw.txt", "expected_raw.txt"] {
                files.push(std::fs::read(out.join("tb").join(f)).unwrap());
            }
            written.push(files);
        }
        assert_eq!(written[0], written[1], "{model}: OUT/tb differs");
    }
}

/// The body of the function whose definition starts at `at` (brace-matched; "" for a
/// declaration).
fn body(text: &str, at: usize) -> &str {
    let start = match text[at..].find(['{', ';']) {
        Some(i) if text[at + i..].starts_with('{') => at + i,
        _ => return "",
    };
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..start + i + 1];
                }
            }
            _ => {}
        }
    }
    &text[start..]
}

/// Text without `//` comments (names from the model appear there, escaped).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// No dynamic memory, no std containers or streams, no recursion, fixed loop bounds.
fn assert_synthesizable(fw: &Files) {
    for (name, text) in &fw.files {
        let code = code(text);
        for word in ["new", "delete", "malloc", "calloc", "realloc", "free"] {
            let hit = code.match_indices(word).any(|(i, _)| {
                let before = code[..i].chars().last();
                let after = code[i + word.len()..].chars().next();
                let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !ident(before) && !ident(after)
            });
            assert!(!hit, "{name}: uses `{word}`");
        }
        assert!(!code.contains("std::"), "{name}: uses the standard library");
        for header in [
            "<vector>",
            "<map>",
            "<string>",
            "<list>",
            "<deque>",
            "<set>",
            "<memory>",
            "<iostream>",
            "<cstdlib>",
            "<cstdio>",
        ] {
            assert!(!code.contains(header), "{name}: includes {header}");
        }
        // Every function defined here: its body never calls it (no recursion).
        let mut defined = BTreeSet::new();
        for (i, _) in code.match_indices('(') {
            let head = &code[..i];
            let fname: String = head
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
                .chars()
                .rev()
                .collect();
            let before = head[..head.len() - fname.len()].trim_end();
            let is_def = before.ends_with("void")
                || before.ends_with('T')
                || before.ends_with("WORD")
                || before.ends_with('>') && before.contains("ap_int<D>");
            if fname.is_empty() || !is_def {
                continue;
            }
            let b = body(&code, i);
            let rest = &b[1.min(b.len())..];
            for pat in [
                format!(" {fname}("),
                format!(" {fname}<"),
                format!("::{fname}("),
            ] {
                assert!(!rest.contains(&pat), "{name}: {fname} calls itself");
            }
            defined.insert(fname);
        }
        // Loop bounds: config constants, literals, local constants computed from config constants
        // (`const int cin_g = CONFIG::in_channels / CONFIG::groups;`), or the documented
        // variables.
        let consts: BTreeSet<String> = code
            .match_indices("const int ")
            .filter_map(|(i, _)| {
                let rest = &code[i + "const int ".len()..];
                let (name, rhs) = rest.split_once('=')?;
                let rhs = rhs.split(';').next()?.trim();
                rhs.starts_with("CONFIG::").then(|| name.trim().to_string())
            })
            .collect();
        for (i, _) in code.match_indices("for (") {
            let cond = code[i..].split(';').nth(1).unwrap_or("");
            let bound = cond.split('<').nth(1).unwrap_or("").trim();
            let ok = bound.starts_with("CONFIG::")
                || bound.chars().next().is_some_and(|c| c.is_ascii_digit())
                || consts.contains(bound)
                || ["n", "n_samples"].contains(&bound);
            assert!(ok, "{name}: loop bound `{bound}`");
        }
    }
    let top = code(fw.get("binpoint_top.cpp").unwrap());
    assert_eq!(
        top.matches("binpoint_top(").count(),
        1,
        "the top calls itself"
    );
}

#[test]
fn firmware_stays_in_the_synthesizable_subset() {
    for (model, opset) in [
        ("cnn_bn", 13),
        ("resnet", 18),
        ("dwsep", 13),
        ("conv1d", 18),
    ] {
        let fw = firmware(&proto(model, opset, 8));
        assert_synthesizable(&fw);
        let top = fw.get("binpoint_top.cpp").unwrap();
        for pragma in [
            "BP_PRAGMA(HLS INTERFACE m_axi port=input offset=slave bundle=gmem0 depth=",
            "BP_PRAGMA(HLS INTERFACE m_axi port=output offset=slave bundle=gmem1 depth=",
            "BP_PRAGMA(HLS INTERFACE s_axilite port=input bundle=control)",
            "BP_PRAGMA(HLS INTERFACE s_axilite port=output bundle=control)",
            "BP_PRAGMA(HLS INTERFACE s_axilite port=n_samples bundle=control)",
            "BP_PRAGMA(HLS INTERFACE s_axilite port=return bundle=control)",
        ] {
            assert!(top.contains(pragma), "{model}: {pragma}");
        }
        assert!(top.contains(
            "void binpoint_top(const io_word_t *input, io_word_t *output, unsigned n_samples)"
        ));
        let params = fw.get("parameters.h").unwrap();
        assert!(params.contains("static const int reuse_factor = "));
        assert!(
            !params.contains('.') || !code(params).contains("e-"),
            "a float literal"
        );
    }
}

/// Every tensor and layer renamed to something hostile.
fn hostile(mut p: ModelProto) -> ModelProto {
    let names = [
        "x; system(\"rm -rf /\"); //",
        "*/ int main() { return 1; } /*",
        "a\nb\\",
        "??/",
        "binpoint_top",
        "input",
        "stdout",
        "ψ\u{202e}",
        "",
        "int",
    ];
    for (i, t) in p.tensors.iter_mut().enumerate() {
        t.name = names[i % names.len()].to_string();
    }
    for (i, l) in p.layers.iter_mut().enumerate() {
        l.name = names[(i + 3) % names.len()].to_string();
        l.op = names[(i + 5) % names.len()].to_string();
    }
    p.name = names[0].to_string();
    p.source = names[1].to_string();
    p
}

#[test]
fn hostile_names_yield_safe_compiling_code() {
    let p = hostile(proto("cnn_bn", 13, 8));
    let fw = firmware(&p);
    for (name, text) in &fw.files {
        let code = code(text);
        assert!(
            !code.contains("system("),
            "{name}: a name escaped into code"
        );
        assert!(!code.contains("rm -rf"), "{name}: a name escaped into code");
        assert!(!code.contains("main()"), "{name}: a name escaped into code");
        assert!(!text.contains('\u{202e}'), "{name}: a bidi override");
        for line in text.lines() {
            assert!(!line.ends_with('\\'), "{name}: a line continuation: {line}");
        }
    }
    assert_synthesizable(&fw);
    let out = out_dir("hostile", &p);
    let r = verify(
        &out,
        &VerifyOptions {
            vectors: 50,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert_eq!((r.passed, r.failed), (50, 0), "{}", r.tb_output);
}

#[test]
fn axi_stream_variant_builds_and_verifies() {
    let p = proto("mlp", 18, 8);
    let m = validated(&p);
    let mut opts = hls_options(&m);
    opts.hardware.interface = Interface::AxiStream;
    let fw = render_firmware(&m, &opts).unwrap();
    let top = fw.get("binpoint_top.cpp").unwrap();
    assert!(top.contains("BP_PRAGMA(HLS INTERFACE axis port=input)"));
    assert!(top.contains(
        "void binpoint_top(hls::stream<io_axis_t> &input, hls::stream<io_axis_t> &output, \
         unsigned n_samples)"
    ));
    assert_synthesizable(&fw);
    let out = out_dir("stream", &p);
    let r = verify(
        &out,
        &VerifyOptions {
            vectors: 200,
            stream: true,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert_eq!((r.passed, r.failed), (200, 0), "{}", r.tb_output);
}

#[test]
fn a_wrong_constant_is_caught_and_its_layer_named() {
    // Emit the firmware of one model with the expected outputs of a model whose output layer
    // has one bias changed to its type's far end: verify must fail and the trace must name
    // that layer.
    let p = proto("mlp", 13, 8);
    let out = out_dir("mutant", &p);
    let fw = firmware(&p);
    let mut mutant = p.clone();
    let layer = mutant.layers.len() - 1;
    let Some(binpoint_runtime::model::format::layer::Kernel::Dense(d)) =
        &mut mutant.layers[layer].kernel
    else {
        panic!("the last layer is not dense");
    };
    let ty = d.bias_type.unwrap().to_fixed().unwrap();
    d.bias[0] = if d.bias[0] > 0 {
        ty.min_raw() as i64
    } else {
        ty.max_raw() as i64
    };
    // OUT holds the mutant model; its firmware is the original's.
    std::fs::write(out.join("model.bpm"), mutant.to_bytes()).unwrap();
    fw.write(&out.join("firmware")).unwrap();
    let r = verify(
        &out,
        &VerifyOptions {
            vectors: 300,
            trace: true,
            ..VerifyOptions::default()
        },
    )
    .unwrap();
    assert!(r.failed > 0, "{}", r.tb_output);
    let m = r.first_mismatch.expect("a layer is named");
    assert_eq!(m.index, layer, "{m:?}");
    assert_eq!(m.layer, mutant.layers[layer].name);
}
