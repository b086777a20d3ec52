//! Loader state and the per-node view that every op converter receives.

use crate::error::CompileError;
use crate::ir::budget::Budget;
use crate::ir::{Graph, Op, Shape, TensorData};
use ndarray::{ArrayD, IxDyn};
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::{AttributeProto, NodeProto, TensorProto};
use petgraph::stable_graph::NodeIndex;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// An entry of an integer shape tensor: a number or the (symbolic) batch size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sym {
    Int(i64),
    Batch,
}

/// A rank-0 or rank-1 integer tensor that depends on the batch size.
#[derive(Clone, Debug, PartialEq)]
pub struct SymTensor {
    pub scalar: bool,
    pub v: Vec<Sym>,
}

#[derive(Clone, Debug)]
pub enum Value {
    /// Computed by a graph node.
    Node(NodeIndex),
    /// Known at load time; becomes a Const node when an op uses it as data.
    Const(TensorData),
    Sym(SymTensor),
}

impl Value {
    /// A Const when no entry is the batch size, else a Sym.
    pub fn from_syms(scalar: bool, v: Vec<Sym>) -> Value {
        if v.iter().all(|s| matches!(s, Sym::Int(_))) {
            let ints: Vec<i64> = v
                .iter()
                .map(|s| if let Sym::Int(i) = s { *i } else { 0 })
                .collect();
            let dims: Vec<usize> = if scalar { vec![] } else { vec![ints.len()] };
            match ArrayD::from_shape_vec(IxDyn(&dims), ints) {
                Ok(a) => Value::Const(TensorData::I64(a)),
                Err(_) => Value::Sym(SymTensor { scalar, v }),
            }
        } else {
            Value::Sym(SymTensor { scalar, v })
        }
    }

    /// The value as (scalar?, entries) if it is a rank-0/1 integer tensor known at load time.
    pub fn syms(&self) -> Option<SymTensor> {
        match self {
            Value::Sym(s) => Some(s.clone()),
            Value::Const(TensorData::I64(a)) if a.ndim() <= 1 => Some(SymTensor {
                scalar: a.ndim() == 0,
                v: a.iter().map(|&i| Sym::Int(i)).collect(),
            }),
            _ => None,
        }
    }
}

pub struct Loader {
    pub graph: Graph,
    pub file: String,
    pub base_dir: Option<PathBuf>,
    pub opset: i64,
    /// The fixed batch a graph input declares (dimension 0 above 1), loaded as the batch `N`.
    pub declared_batch: Option<i64>,
    pub values: HashMap<String, Value>,
    materialized: HashMap<String, NodeIndex>,
    /// Bit width and signedness of the 8- and 16-bit integer initializers (what QDQ's zero points
    /// and quantized weights are): their values are i64 like any integer tensor.
    pub int_types: HashMap<String, (u32, bool)>,
    /// Constants decoded or computed at load time, charged before they are allocated.
    budget: Budget,
}

impl Loader {
    pub fn new(graph: Graph, file: &str, base_dir: Option<&Path>, opset: i64) -> Loader {
        Loader {
            graph,
            file: file.into(),
            base_dir: base_dir.map(Path::to_path_buf),
            opset,
            declared_batch: None,
            values: HashMap::new(),
            materialized: HashMap::new(),
            int_types: HashMap::new(),
            budget: Budget::default(),
        }
    }

    /// Charges a constant of `bytes` made by `node` (`op`) against the model's memory budget.
    pub fn charge(&mut self, bytes: u64, node: &str, op: &str) -> Result<(), CompileError> {
        self.budget.charge(bytes, &self.file, node, op)
    }

    /// The graph node holding constant tensor `tensor` (created once, on first use as data).
    pub fn materialize(&mut self, tensor: &str, user: &str) -> Result<NodeIndex, CompileError> {
        if let Some(&n) = self.materialized.get(tensor) {
            return Ok(n);
        }
        let data = match self.values.get(tensor) {
            Some(Value::Const(d @ TensorData::F32(_))) => d.clone(),
            Some(Value::Node(n)) => return Ok(*n),
            _ => {
                return Err(CompileError::Unsupported {
                    file: self.file.clone(),
                    node: user.into(),
                    op: "Const".into(),
                    reason: format!("integer tensor '{tensor}' is used as float data"),
                })
            }
        };
        let name = self.graph.fresh_name(tensor);
        let n = self
            .graph
            .add_node(name, tensor, crate::ir::ops::Const { data }, &[])?;
        self.materialized.insert(tensor.to_string(), n);
        Ok(n)
    }
}

pub struct NodeCtx<'a> {
    pub l: &'a mut Loader,
    pub node: &'a NodeProto,
    /// Unique node name used in the graph and in errors.
    pub name: String,
    pub used: &'a HashSet<&'a str>,
}

impl<'a> NodeCtx<'a> {
    pub fn op(&self) -> &str {
        &self.node.op_type
    }
    pub fn opset(&self) -> i64 {
        self.l.opset
    }

    // ---- errors -------------------------------------------------------------------------------
    pub fn unsupported(&self, reason: impl Into<String>) -> CompileError {
        CompileError::Unsupported {
            file: self.l.file.clone(),
            node: self.name.clone(),
            op: self.op().into(),
            reason: reason.into(),
        }
    }
    pub fn attr_err(&self, attr: &'static str, reason: impl Into<String>) -> CompileError {
        CompileError::Attribute {
            file: self.l.file.clone(),
            node: self.name.clone(),
            op: self.op().into(),
            attr,
            reason: reason.into(),
        }
    }
    pub fn shape_err(&self, reason: impl Into<String>) -> CompileError {
        CompileError::Shape {
            file: self.l.file.clone(),
            node: self.name.clone(),
            op: self.op().into(),
            reason: reason.into(),
        }
    }

    /// Only the first output is modelled; a node whose other outputs are used is unsupported.
    pub fn check_extra_outputs(&self) -> Result<(), CompileError> {
        if self.node.output.is_empty() {
            return Err(self.unsupported("node has no output"));
        }
        for (k, o) in self.node.output.iter().enumerate().skip(1) {
            if !o.is_empty() && self.used.contains(o.as_str()) {
                return Err(self.unsupported(format!(
                    "output {k} ('{o}') is used; only the first output is supported"
                )));
            }
        }
        Ok(())
    }

    // ---- inputs -------------------------------------------------------------------------------
    fn input_name(&self, i: usize) -> Option<&str> {
        self.node
            .input
            .get(i)
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
    }
    pub fn has(&self, i: usize) -> bool {
        self.input_name(i).is_some()
    }
    pub fn n_inputs(&self) -> usize {
        self.node.input.len()
    }

    pub fn value(&self, i: usize) -> Result<&Value, CompileError> {
        let name = self
            .input_name(i)
            .ok_or_else(|| self.unsupported(format!("required input {i} is missing")))?;
        self.l
            .values
            .get(name)
            .ok_or_else(|| CompileError::MissingInput {
                file: self.l.file.clone(),
                node: self.name.clone(),
                op: self.op().into(),
                input: name.into(),
            })
    }

    /// Input `i` as a graph node (constants become Const nodes).
    pub fn data(&mut self, i: usize) -> Result<NodeIndex, CompileError> {
        match self.value(i)? {
            Value::Node(n) => Ok(*n),
            Value::Const(TensorData::F32(_)) => {
                let tensor = self.input_name(i).unwrap_or_default().to_string();
                self.l.materialize(&tensor, &self.name)
            }
            _ => Err(self.unsupported(format!(
                "input {i} ('{}') is an integer shape tensor; only float tensors can flow through {}",
                self.input_name(i).unwrap_or_default(),
                self.op()
            ))),
        }
    }

    /// Whether input `i` is known at load time (not computed by a graph node).
    pub fn is_known(&self, i: usize) -> bool {
        matches!(self.value(i), Ok(Value::Const(_) | Value::Sym(_)))
    }

    /// Input `i` as integers that must be known at load time.
    pub fn ints(&self, i: usize) -> Result<Vec<i64>, CompileError> {
        match self.value(i)? {
            Value::Const(TensorData::I64(a)) => Ok(a.iter().copied().collect()),
            Value::Const(TensorData::F32(_)) => {
                Err(self.unsupported(format!("input {i} must be an integer tensor")))
            }
            Value::Sym(_) => Err(self.unsupported(format!("input {i} depends on the batch size"))),
            Value::Node(_) => Err(self.unsupported(format!(
                "input {i} ('{}') must be a constant, it is computed at run time",
                self.input_name(i).unwrap_or_default()
            ))),
        }
    }

    /// Input `i` as a known rank-0/1 integer tensor whose entries may be the batch size.
    pub fn syms(&self, i: usize) -> Result<SymTensor, CompileError> {
        self.value(i)?.syms().ok_or_else(|| {
            self.unsupported(format!(
                "input {i} must be a constant 0-D or 1-D integer tensor (a shape computation)"
            ))
        })
    }

    /// An optional scalar input known at load time.
    pub fn scalar_f32(&self, i: usize) -> Result<Option<f32>, CompileError> {
        if !self.has(i) {
            return Ok(None);
        }
        let v = match self.value(i)? {
            Value::Const(TensorData::F32(a)) if a.len() == 1 => a.iter().next().copied(),
            Value::Const(TensorData::I64(a)) if a.len() == 1 => a.iter().next().map(|&v| v as f32),
            _ => None,
        };
        v.map(Some)
            .ok_or_else(|| self.unsupported(format!("input {i} must be a constant scalar")))
    }

    pub fn shape(&self, i: usize) -> Result<Shape, CompileError> {
        Ok(match self.value(i)? {
            Value::Node(n) => self.l.graph.node(*n).shape.clone(),
            Value::Const(d) => Shape::fixed(d.shape()),
            Value::Sym(s) if s.scalar => Shape::fixed(&[]),
            Value::Sym(s) => Shape::fixed(&[s.v.len()]),
        })
    }

    // ---- outputs ------------------------------------------------------------------------------
    fn out_name(&self) -> String {
        self.node.output.first().cloned().unwrap_or_default()
    }

    /// Adds an IR node computing output 0.
    pub fn emit(
        &mut self,
        op: impl Into<Op>,
        inputs: &[NodeIndex],
    ) -> Result<NodeIndex, CompileError> {
        let tensor = self.out_name();
        let op_type = self.op().to_string();
        let n = self
            .l
            .graph
            .add_node(self.name.clone(), tensor.clone(), op, inputs)
            .map_err(|e| match e {
                CompileError::Shape {
                    file, node, reason, ..
                } => CompileError::Shape {
                    file,
                    node,
                    op: op_type,
                    reason,
                },
                other => other,
            })?;
        self.l.values.insert(tensor, Value::Node(n));
        Ok(n)
    }

    /// Output 0 is known at load time.
    pub fn define(&mut self, v: Value) {
        let tensor = self.out_name();
        self.l.values.insert(tensor, v);
    }

    /// Output 0 is input `i` unchanged.
    pub fn alias(&mut self, i: usize) -> Result<(), CompileError> {
        let v = self.value(i)?.clone();
        self.define(v);
        Ok(())
    }

    // ---- attributes ---------------------------------------------------------------------------
    fn attr(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn attr_typed(
        &self,
        name: &'static str,
        want: AttributeType,
    ) -> Result<Option<&'a AttributeProto>, CompileError> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => match a.type_.enum_value() {
                Ok(t) if t == want => Ok(Some(a)),
                Ok(AttributeType::UNDEFINED) => Ok(Some(a)),
                Ok(t) => Err(self.attr_err(name, format!("expected {want:?}, found {t:?}"))),
                Err(t) => Err(self.attr_err(name, format!("unknown attribute type {t}"))),
            },
        }
    }

    pub fn attr_i(&self, name: &'static str, default: i64) -> Result<i64, CompileError> {
        Ok(self
            .attr_typed(name, AttributeType::INT)?
            .map(|a| a.i)
            .unwrap_or(default))
    }
    pub fn attr_f(&self, name: &'static str, default: f32) -> Result<f32, CompileError> {
        Ok(self
            .attr_typed(name, AttributeType::FLOAT)?
            .map(|a| a.f)
            .unwrap_or(default))
    }
    pub fn attr_ints(&self, name: &'static str) -> Result<Option<Vec<i64>>, CompileError> {
        Ok(self
            .attr_typed(name, AttributeType::INTS)?
            .map(|a| a.ints.clone()))
    }
    pub fn attr_floats(&self, name: &'static str) -> Result<Option<Vec<f32>>, CompileError> {
        Ok(self
            .attr_typed(name, AttributeType::FLOATS)?
            .map(|a| a.floats.clone()))
    }
    pub fn attr_s(&self, name: &'static str) -> Result<Option<String>, CompileError> {
        Ok(self
            .attr_typed(name, AttributeType::STRING)?
            .map(|a| String::from_utf8_lossy(&a.s).into_owned()))
    }
    pub fn attr_t(&self, name: &'static str) -> Result<Option<&'a TensorProto>, CompileError> {
        match self.attr_typed(name, AttributeType::TENSOR)? {
            Some(a) => Ok(Some(a.t.as_ref().ok_or_else(|| {
                self.attr_err(name, "tensor attribute has no tensor")
            })?)),
            None => Ok(None),
        }
    }
    pub fn attr_bool(&self, name: &'static str, default: bool) -> Result<bool, CompileError> {
        Ok(self.attr_i(name, default as i64)? != 0)
    }

    /// A non-negative attribute value that fits comfortably in memory arithmetic.
    pub fn to_usize(&self, attr: &'static str, v: i64) -> Result<usize, CompileError> {
        if !(0..=(1 << 31)).contains(&v) {
            return Err(self.attr_err(attr, format!("value {v} out of range")));
        }
        Ok(v as usize)
    }
    pub fn usizes(&self, attr: &'static str, v: &[i64]) -> Result<Vec<usize>, CompileError> {
        v.iter().map(|&x| self.to_usize(attr, x)).collect()
    }

    /// Decodes a tensor attribute after charging its size to the model's memory budget.
    pub fn decode_tensor(&mut self, t: &TensorProto) -> Result<TensorData, CompileError> {
        let bytes = super::tensor::ir_bytes(t, &self.l.file)?;
        self.charge(bytes)?;
        super::tensor::decode(t, &self.l.file, self.l.base_dir.as_deref())
    }

    /// Charges `bytes` of a constant this node makes, before it is allocated.
    pub fn charge(&mut self, bytes: u64) -> Result<(), CompileError> {
        let op = self.node.op_type.clone();
        self.l.charge(bytes, &self.name, &op)
    }
}
