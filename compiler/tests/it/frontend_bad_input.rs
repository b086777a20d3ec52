//! Bad input never panics: each class gets one error naming the file, the node and the op.

use crate::frontend_util;

use binpoint::onnx::{load_bytes, load_file};
use binpoint::CompileError;
use frontend_util::*;
use onnx_protobuf::tensor_proto::{DataLocation, DataType};
use onnx_protobuf::StringStringEntryProto;
use protobuf::Enum;

fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixtures().join("mlp/mlp_opset13.onnx")).expect("fixture")
}

fn mlp(opset: i64) -> Model {
    let mut m = Model::new(opset);
    m.input("x", &[0, 4]).weight("w", &[3, 4]).weight("b", &[3]);
    m.node("Gemm", &["x", "w", "b"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    m
}

#[test]
fn truncated_file() {
    let bytes = fixture_bytes();
    for cut in [1, 7, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let e = load_bytes(&bytes[..cut], "mlp.onnx", None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("mlp.onnx: "), "{msg}");
        assert!(
            matches!(
                e,
                CompileError::Parse { .. }
                    | CompileError::InvalidModel { .. }
                    | CompileError::Tensor { .. }
            ),
            "{msg}"
        );
    }
}

#[test]
fn garbage_file() {
    let mut state = 0x2545F4914F6CDD1Du64;
    for len in [0usize, 1, 16, 1000, 50_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let e = load_bytes(&bytes, "garbage.onnx", None).unwrap_err();
        assert!(e.to_string().starts_with("garbage.onnx: "), "{e}");
    }
    let e = load_file("/nonexistent/model.onnx").unwrap_err();
    assert!(matches!(e, CompileError::Io { .. }), "{e}");
}

#[test]
fn cyclic_graph() {
    let mut m = Model::new(13);
    m.input("x", &[0, 4]);
    m.node("Add", &["x", "b"], &["a"], vec![]);
    m.node("Relu", &["a"], &["b"], vec![]);
    m.node("Relu", &["b"], &["y"], vec![]).output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Cycle { node, op, .. } if node == "Add_0" && op == "Add"),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "test.onnx: graph has a cycle through node 'Add_0' (Add)"
    );
}

#[test]
fn missing_initializer() {
    let mut m = Model::new(13);
    m.input("x", &[0, 3, 8, 8]);
    m.node("Conv", &["x", "conv.weight"], &["y"], vec![])
        .output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::MissingInput { node, op, input, .. } if node == "Conv_0" && op == "Conv" && input == "conv.weight"),
        "{e}"
    );
}

#[test]
fn mismatched_shapes() {
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).weight("w", &[5, 3]);
    m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Shape { node, op, .. } if node == "Gemm_0" && op == "Gemm"),
        "{e}"
    );

    let mut m = Model::new(13);
    m.input("x", &[0, 3, 8, 8]).weight("w", &[4, 2, 3, 3]);
    m.node("Conv", &["x", "w"], &["y"], vec![]).output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Shape { node, op, .. } if node == "Conv_0" && op == "Conv"),
        "{e}"
    );

    let mut m = Model::new(13);
    m.input("x", &[0, 3, 4, 4]).weight("w", &[4, 3, 5, 5]);
    m.node("Conv", &["x", "w"], &["y"], vec![]).output("y");
    assert!(
        matches!(m.load().unwrap_err(), CompileError::Shape { .. }),
        "kernel larger than input"
    );
}

#[test]
fn absurd_dimensions_are_rejected_before_allocating() {
    // An initializer claiming 2^40 elements without data.
    let mut m = Model::new(13);
    m.input("x", &[0, 4])
        .init(tensor_f32("w", &[1 << 20, 1 << 20], vec![]));
    m.node("MatMul", &["x", "w"], &["y"], vec![]).output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Tensor { tensor, .. } if tensor == "w"),
        "{e}"
    );
    // A product that overflows i64/u64.
    let mut m = Model::new(13);
    m.input("x", &[0, 4])
        .init(tensor_f32("w", &[i64::MAX, 4, 4], vec![]));
    m.node("MatMul", &["x", "w"], &["y"], vec![]).output("y");
    assert!(matches!(m.load().unwrap_err(), CompileError::Tensor { .. }));
    // A graph input with absurd dimensions.
    let mut m = Model::new(13);
    m.input("x", &[0, 1 << 20, 1 << 20]);
    m.node("Relu", &["x"], &["y"], vec![]).output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::TooLarge { .. }
    ));
    // ConstantOfShape asked for 10^12 elements.
    let mut m = Model::new(13);
    m.input("x", &[0, 4])
        .init(tensor_i64("shape", &[2], vec![1_000_000, 1_000_000]));
    m.node("ConstantOfShape", &["shape"], &["c"], vec![]);
    m.node("Add", &["x", "c"], &["y"], vec![]).output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Shape { op, .. } if op == "ConstantOfShape"),
        "{e}"
    );
    // An intermediate that grows past the limit (Pad).
    let mut m = Model::new(13);
    m.input("x", &[0, 4, 4]).init(tensor_i64(
        "pads",
        &[6],
        vec![0, 1 << 30, 1 << 30, 0, 1 << 30, 1 << 30],
    ));
    m.node("Pad", &["x", "pads"], &["y"], vec![]).output("y");
    assert!(m.load().is_err());
}

#[test]
fn unsupported_ops_are_listed_together() {
    let mut m = Model::new(17);
    m.input("x", &[0, 4]);
    m.node("Erf", &["x"], &["a"], vec![]);
    m.node("LSTM", &["a"], &["b"], vec![]);
    m.node("Relu", &["b"], &["c"], vec![]);
    m.node("MyOp", &["c"], &["y"], vec![]).output("y");
    m.graph.node[3].domain = "com.example".into();
    let e = m.load().unwrap_err();
    match &e {
        CompileError::UnsupportedOps { file, ops } => {
            assert_eq!(file, "test.onnx");
            let got: Vec<_> = ops
                .iter()
                .map(|o| (o.node.as_str(), o.op.as_str(), o.opset))
                .collect();
            assert_eq!(
                got,
                [
                    ("Erf_0", "Erf", 17),
                    ("LSTM_1", "LSTM", 17),
                    ("MyOp_3", "com.example::MyOp", 17)
                ]
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        e.to_string(),
        "test.onnx: 3 unsupported op(s) of 3 type(s) (model opset 17):\n  Erf ×1, node 'Erf_0'\n  \
         LSTM ×1, node 'LSTM_1'\n  com.example::MyOp ×1, node 'MyOp_3'"
    );
}

#[test]
fn opset_out_of_range() {
    for opset in [1, 4, 22] {
        let e = mlp(opset).load().unwrap_err();
        assert!(
            matches!(e, CompileError::UnsupportedOpset { opset: o, .. } if o == opset),
            "{e}"
        );
    }
    for opset in [5, 6, 7, 9, 11, 21] {
        mlp(opset).load().unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn bad_tensor_data() {
    let mut t = tensor_f32("w", &[3, 4], vec![]);
    t.raw_data = vec![0; 47];
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).init(t);
    m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    assert!(matches!(m.load().unwrap_err(), CompileError::Tensor { .. }));

    let mut m = Model::new(13);
    m.input("x", &[0, 4])
        .init(tensor_f32("w", &[3, 4], vec![1.0; 11]));
    m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    assert!(matches!(m.load().unwrap_err(), CompileError::Tensor { .. }));

    let mut t = tensor_f32("w", &[2], vec![]);
    t.data_type = DataType::STRING.value();
    let mut m = Model::new(13);
    m.input("x", &[0, 2]).init(t);
    m.node("Add", &["x", "w"], &["y"], vec![]).output("y");
    assert!(matches!(m.load().unwrap_err(), CompileError::Tensor { .. }));
}

#[test]
fn external_data_must_stay_in_the_model_folder() {
    let dir = std::env::temp_dir().join(format!("binpoint-ext-{}", std::process::id()));
    let inner = dir.join("model");
    std::fs::create_dir_all(&inner).expect("tmp");
    std::fs::write(dir.join("secret.bin"), [0u8; 48]).expect("write");
    std::fs::write(inner.join("w.bin"), [0u8; 48]).expect("write");
    let with_location = |loc: &str, len: usize| {
        let mut t = tensor_f32("w", &[3, 4], vec![]);
        t.data_location = DataLocation::EXTERNAL.into();
        for (k, v) in [("location", loc.to_string()), ("length", len.to_string())] {
            let mut e = StringStringEntryProto::new();
            e.key = k.into();
            e.value = v;
            t.external_data.push(e);
        }
        let mut m = Model::new(13);
        m.input("x", &[0, 4]).init(t);
        m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
            .output("y");
        let path = inner.join("m.onnx");
        std::fs::write(&path, m.bytes()).expect("write");
        load_file(&path)
    };
    with_location("w.bin", 48).unwrap_or_else(|e| panic!("{e}"));
    for bad in ["../secret.bin", "/etc/passwd", "missing.bin"] {
        let e = with_location(bad, 48).unwrap_err();
        assert!(
            matches!(&e, CompileError::ExternalData { tensor, .. } if tensor == "w"),
            "{bad}: {e}"
        );
    }
    let e = with_location("w.bin", 4000).unwrap_err();
    assert!(matches!(e, CompileError::ExternalData { .. }), "{e}");
    // From memory there is no folder to read from.
    let mut t = tensor_f32("w", &[3, 4], vec![]);
    t.data_location = DataLocation::EXTERNAL.into();
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).init(t);
    m.node("Gemm", &["x", "w"], &["y"], vec![attr_i("transB", 1)])
        .output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::ExternalData { .. }
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_attributes_name_node_and_op() {
    let mut m = Model::new(13);
    m.input("x", &[0, 3, 8, 8]).weight("w", &[4, 3, 3, 3]);
    m.node("Conv", &["x", "w"], &["y"], vec![attr_f("group", 1.0)])
        .output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Attribute { node, op, attr, .. } if node == "Conv_0" && op == "Conv" && *attr == "group"),
        "{e}"
    );
    let mut m = Model::new(13);
    m.input("x", &[0, 3, 8, 8]).weight("w", &[4, 3, 3, 3]);
    m.node(
        "Conv",
        &["x", "w"],
        &["y"],
        vec![attr_ints("strides", &[0, 1])],
    )
    .output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Attribute { .. }
    ));
    let mut m = Model::new(13);
    m.input("x", &[0, 3, 8, 8]);
    m.node(
        "MaxPool",
        &["x"],
        &["y"],
        vec![
            attr_ints("kernel_shape", &[3, 3]),
            attr_s("auto_pad", "WRONG"),
        ],
    )
    .output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Attribute { .. }
    ));
    let mut m = Model::new(13);
    m.input("x", &[0, 3, 4]);
    m.node(
        "Transpose",
        &["x"],
        &["y"],
        vec![attr_ints("perm", &[0, 0, 1])],
    )
    .output("y");
    assert!(matches!(m.load().unwrap_err(), CompileError::Shape { .. }));
}

#[test]
fn unsupported_uses_are_named() {
    // MaxPool's Indices output used downstream.
    let mut m = Model::new(13);
    m.input("x", &[0, 1, 4, 4]);
    m.node(
        "MaxPool",
        &["x"],
        &["p", "idx"],
        vec![attr_ints("kernel_shape", &[2, 2])],
    );
    m.node("Cast", &["idx"], &["y"], vec![attr_i("to", 1)])
        .output("y");
    let e = m.load().unwrap_err();
    assert!(
        matches!(&e, CompileError::Unsupported { op, .. } if op == "MaxPool"),
        "{e}"
    );
    // A symbolic dimension other than the batch.
    let mut m = Model::new(13);
    m.input("x", &[0, 0]);
    m.node("Relu", &["x"], &["y"], vec![]).output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::InvalidModel { .. }
    ));
    // Gather on data.
    let mut m = Model::new(13);
    m.input("x", &[0, 4]).init(tensor_i64("i", &[1], vec![2]));
    m.node("Gather", &["x", "i"], &["y"], vec![attr_i("axis", 1)])
        .output("y");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::Unsupported { .. }
    ));
    // Non-constant Reshape target.
    let mut m = Model::new(13);
    m.input("x", &[0, 4]);
    m.node("Cast", &["x"], &["s"], vec![attr_i("to", 7)]);
    m.node("Reshape", &["x", "s"], &["y"], vec![]).output("y");
    assert!(m.load().is_err());
    // Graph output nobody produces.
    let mut m = mlp(13);
    m.output("nowhere");
    assert!(matches!(
        m.load().unwrap_err(),
        CompileError::InvalidModel { .. }
    ));
}

#[test]
fn eval_rejects_wrong_input_shapes() {
    let g = mlp(13).load().expect("loads");
    let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 5]));
    let e = binpoint::eval::run_f32(&g, &x).unwrap_err();
    assert!(matches!(e, CompileError::Eval { .. }), "{e}");
    let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[2, 4, 1]));
    assert!(binpoint::eval::run_f32(&g, &x).is_err());
}

#[test]
fn unknown_pass_is_an_error() {
    let mut g = mlp(13).load().expect("loads");
    let e =
        binpoint::passes::run_pipeline(&mut g, &["no-such-pass"], &Default::default()).unwrap_err();
    assert!(
        matches!(&e, CompileError::Pass { pass, .. } if pass == "no-such-pass"),
        "{e}"
    );
}

/// A name given twice would merge two tensors or drop one without a word: refused, naming it.
#[test]
fn duplicate_graph_names_are_refused() {
    let mut m = mlp(13);
    m.input("x", &[0, 4]);
    let e = m.load().unwrap_err().to_string();
    assert!(e.contains("two graph inputs are named 'x'"), "{e}");
    let mut m = mlp(13);
    m.output("y");
    let e = m.load().unwrap_err().to_string();
    assert!(e.contains("two graph outputs are named 'y'"), "{e}");
    let mut m = mlp(13);
    m.weight("b", &[3]);
    let e = m.load().unwrap_err().to_string();
    assert!(e.contains("two graph initializers are named 'b'"), "{e}");
}
