//! Shared helpers of the frontend tests: fixture paths, tolerance checks and a small ModelProto builder.
#![allow(dead_code)]

use ndarray::ArrayD;
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{Tensor, Value as TypeValue};
use onnx_protobuf::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use protobuf::{Enum, Message};
use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testbench/fixtures")
}

/// The agreement criterion with onnxruntime: |a - b| <= 1e-6 or <= 1e-5 * |b|. Returns the largest difference.
pub fn close(got: &ArrayD<f32>, want: &ArrayD<f32>) -> Result<f32, String> {
    close_tol(got, want, 1e-6, 1e-5)
}

pub fn close_tol(got: &ArrayD<f32>, want: &ArrayD<f32>, abs: f32, rel: f32) -> Result<f32, String> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?} != {:?}", got.shape(), want.shape()));
    }
    let mut worst = 0f32;
    for (i, (&a, &b)) in got.iter().zip(want.iter()).enumerate() {
        let d = (a - b).abs();
        if !(d <= abs || d <= rel * b.abs()) {
            return Err(format!("element {i}: got {a}, want {b} (diff {d})"));
        }
        worst = worst.max(d);
    }
    Ok(worst)
}

// ---- ModelProto builder ---------------------------------------------------------------------------

pub struct Model {
    pub graph: GraphProto,
    pub opset: i64,
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    for &d in dims {
        let mut dim = Dimension::new();
        dim.value = Some(if d == 0 {
            dimension::Value::DimParam("N".into())
        } else {
            dimension::Value::DimValue(d)
        });
        shape.dim.push(dim);
    }
    let mut t = Tensor::new();
    t.elem_type = DataType::FLOAT.value();
    t.shape = Some(shape).into();
    let mut tp = TypeProto::new();
    tp.value = Some(TypeValue::TensorType(t));
    let mut v = ValueInfoProto::new();
    v.name = name.into();
    v.type_ = Some(tp).into();
    v
}

pub fn tensor_f32(name: &str, dims: &[i64], data: Vec<f32>) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = DataType::FLOAT.value();
    t.float_data = data;
    t
}

pub fn tensor_i64(name: &str, dims: &[i64], data: Vec<i64>) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.into();
    t.dims = dims.to_vec();
    t.data_type = DataType::INT64.value();
    t.int64_data = data;
    t
}

pub fn attr_i(name: &str, v: i64) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = AttributeType::INT.into();
    a.i = v;
    a
}
pub fn attr_f(name: &str, v: f32) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = AttributeType::FLOAT.into();
    a.f = v;
    a
}
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = AttributeType::INTS.into();
    a.ints = v.to_vec();
    a
}
pub fn attr_s(name: &str, v: &str) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = AttributeType::STRING.into();
    a.s = v.as_bytes().to_vec();
    a
}
pub fn attr_t(name: &str, t: TensorProto) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.into();
    a.type_ = AttributeType::TENSOR.into();
    a.t = Some(t).into();
    a
}

impl Model {
    pub fn new(opset: i64) -> Model {
        let mut graph = GraphProto::new();
        graph.name = "test".into();
        Model { graph, opset }
    }
    /// A float input; 0 in `dims` is the symbolic batch dimension.
    pub fn input(&mut self, name: &str, dims: &[i64]) -> &mut Self {
        self.graph.input.push(value_info(name, dims));
        self
    }
    pub fn output(&mut self, name: &str) -> &mut Self {
        self.graph.output.push(value_info(name, &[]));
        self
    }
    pub fn init(&mut self, t: TensorProto) -> &mut Self {
        self.graph.initializer.push(t);
        self
    }
    /// An initializer filled with a deterministic pattern.
    pub fn weight(&mut self, name: &str, dims: &[i64]) -> &mut Self {
        let n: i64 = dims.iter().product();
        let data = (0..n)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 17.0)
            .collect();
        self.init(tensor_f32(name, dims, data))
    }
    pub fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> &mut Self {
        let mut n = NodeProto::new();
        n.op_type = op.into();
        n.name = format!("{op}_{}", self.graph.node.len());
        n.input = inputs.iter().map(|s| s.to_string()).collect();
        n.output = outputs.iter().map(|s| s.to_string()).collect();
        n.attribute = attrs;
        self.graph.node.push(n);
        self
    }
    pub fn proto(&self) -> ModelProto {
        let mut m = ModelProto::new();
        m.ir_version = 8;
        let mut o = OperatorSetIdProto::new();
        o.version = self.opset;
        m.opset_import.push(o);
        m.graph = Some(self.graph.clone()).into();
        m
    }
    pub fn bytes(&self) -> Vec<u8> {
        self.proto().write_to_bytes().expect("serializes")
    }
    pub fn load(&self) -> Result<binpoint::Graph, binpoint::CompileError> {
        binpoint::onnx::load_bytes(&self.bytes(), "test.onnx", None)
    }
}

/// Deterministic input data.
pub fn ramp(dims: &[usize]) -> ArrayD<f32> {
    let n: usize = dims.iter().product();
    ArrayD::from_shape_vec(
        ndarray::IxDyn(dims),
        (0..n)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 9.0)
            .collect(),
    )
    .expect("shape")
}
