//! The ONNX frontend, and the only code that sees protobuf types.
//!
//! Loading: parse → check the opset (5..=21) and adapt old opsets' node forms ([`opset`]) → fold
//! exporters' Transpose/Unsqueeze pairs around BatchNormalization ([`idioms`]) → list *all*
//! unsupported ops at once (grouped by type) → decode initializers →
//! declare graph inputs → topologically sort the nodes (cycles and missing inputs are errors naming the
//! node) → convert each node through [`registry`] → drop dead nodes → `verify()`.
//!
//! Shape computations that exporters emit (Shape, Gather, Concat, Unsqueeze, Cast, ConstantOfShape on
//! integer tensors) are evaluated here, symbolically in the batch size, so that ops such as Reshape,
//! Squeeze, Pad or Clip get their shape-like inputs as typed attributes. Float constant arithmetic
//! stays in the graph for the constant-folding pass.

mod context;
mod idioms;
mod ops;
pub mod opset;
pub mod registry;
mod tensor;

use crate::error::{CompileError, UnsupportedOp};
use crate::ir::{Dim, Graph, Shape};
use context::{Loader, NodeCtx, Value};
use onnx_protobuf::{GraphProto, ModelProto, NodeProto};
use protobuf::Message;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

pub use opset::{MAX_OPSET, MIN_OPSET};

/// Loads a model file; external data is read only from inside the model's folder.
pub fn load_file(path: impl AsRef<Path>) -> Result<Graph, CompileError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let bytes = crate::input::read_regular(path).map_err(|source| CompileError::Io {
        file: file.clone(),
        source,
    })?;
    let dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        }
    });
    load_bytes(&bytes, &file, dir)
}

/// Loads a model from memory. `file` names it in errors; `base_dir` enables external data.
pub fn load_bytes(
    bytes: &[u8],
    file: &str,
    base_dir: Option<&Path>,
) -> Result<Graph, CompileError> {
    let mut model = ModelProto::parse_from_bytes(bytes).map_err(|e| CompileError::Parse {
        file: file.into(),
        reason: e.to_string(),
    })?;
    let invalid = |reason: String| CompileError::InvalidModel {
        file: file.into(),
        reason,
    };
    let opset = opset::check(&model, file)?;
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| invalid("model has no graph".into()))?;
    opset::adapt(graph, opset, file)?;
    idioms::fold_around_batch_norm(graph);
    let graph = &*graph;
    check_supported(graph, file, opset)?;
    // A fixed batch above 1 (pytorch 0.3 exported the batch it traced with, e.g. 789,444 rows) is
    // loaded as `N` when the graph converts that way: the IR refuses every op that would mix
    // samples (contracting, concatenating, reducing or flattening over `N`). Otherwise (e.g. a Gemm
    // with transA on a [5, 4] input) the dimension stays as declared.
    if graph.input.iter().any(|i| declared_batch(i).is_some()) {
        if let Ok(g) = convert(graph, file, base_dir, opset, true) {
            return Ok(g);
        }
    }
    convert(graph, file, base_dir, opset, false)
}

/// Declares the inputs and converts every node (`batch_as_n`: a fixed dimension 0 above 1 is `N`).
fn convert(
    graph: &GraphProto,
    file: &str,
    base_dir: Option<&Path>,
    opset: i64,
    batch_as_n: bool,
) -> Result<Graph, CompileError> {
    let invalid = |reason: String| CompileError::InvalidModel {
        file: file.into(),
        reason,
    };
    let name = if graph.name.is_empty() {
        "model".to_string()
    } else {
        graph.name.clone()
    };
    let mut l = Loader::new(Graph::new(name, file), file, base_dir, opset);
    if !graph.sparse_initializer.is_empty() {
        return Err(invalid("sparse initializers are not supported".into()));
    }
    // A name given twice would silently merge two tensors (or drop one): refused.
    let twice = |kind: &str, names: Vec<&str>| {
        let mut seen = HashSet::new();
        match names.into_iter().find(|n| !seen.insert(*n)) {
            Some(n) => Err(invalid(format!("two graph {kind} are named '{n}'"))),
            None => Ok(()),
        }
    };
    twice(
        "initializers",
        graph.initializer.iter().map(|t| t.name.as_str()).collect(),
    )?;
    twice(
        "inputs",
        graph.input.iter().map(|t| t.name.as_str()).collect(),
    )?;
    twice(
        "outputs",
        graph.output.iter().map(|t| t.name.as_str()).collect(),
    )?;
    for init in &graph.initializer {
        l.charge(tensor::ir_bytes(init, file)?, &init.name, "initializer")?;
        let data = tensor::decode(init, file, base_dir)?;
        if let Some(t) = tensor::small_int_type(init) {
            l.int_types.insert(init.name.clone(), t);
        }
        l.values.insert(init.name.clone(), Value::Const(data));
    }
    for input in &graph.input {
        if l.values.contains_key(&input.name) {
            continue; // an input that is also an initializer is a constant
        }
        let shape = input_shape(input, file, batch_as_n)?;
        if batch_as_n {
            l.declared_batch = l.declared_batch.or(declared_batch(input));
        }
        let n = l.graph.add_input(input.name.clone(), shape)?;
        l.values.insert(input.name.clone(), Value::Node(n));
    }
    let order = topo_sort(graph, &l, file)?;
    let used: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .chain(graph.output.iter().map(|o| &o.name))
        .map(|s| s.as_str())
        .collect();
    let mut names = HashSet::new();
    for i in order {
        let node = &graph.node[i];
        let base = if !node.name.is_empty() {
            node.name.clone()
        } else {
            node.output
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{}_{i}", node.op_type))
        };
        let mut unique = base.clone();
        let mut k = 1;
        while !names.insert(unique.clone()) {
            unique = format!("{base}#{k}");
            k += 1;
        }
        let convert = registry::lookup_in(&node.domain, &node.op_type)
            .ok_or_else(|| unsupported_err(file, node, &unique, opset))?;
        let mut ctx = NodeCtx {
            l: &mut l,
            node,
            name: unique,
            used: &used,
        };
        ctx.check_extra_outputs()?;
        convert(&mut ctx)?;
    }
    for out in &graph.output {
        let n = match l.values.get(&out.name) {
            Some(Value::Node(n)) => *n,
            Some(Value::Const(_)) => l.materialize(&out.name, &out.name)?,
            Some(Value::Sym(_)) | None => {
                return Err(invalid(format!(
                    "graph output '{}' is not produced by any node",
                    out.name
                )))
            }
        };
        l.graph.add_output(out.name.clone(), n);
    }
    let mut g = l.graph;
    g.remove_dead();
    g.verify_after("onnx-load")?;
    Ok(g)
}

fn unsupported_err(file: &str, node: &NodeProto, name: &str, opset: i64) -> CompileError {
    CompileError::UnsupportedOps {
        file: file.into(),
        ops: vec![UnsupportedOp {
            node: name.into(),
            op: op_label(node),
            opset,
        }],
    }
}

fn op_label(node: &NodeProto) -> String {
    if node.domain.is_empty() || node.domain == "ai.onnx" {
        node.op_type.clone()
    } else {
        format!("{}::{}", node.domain, node.op_type)
    }
}

/// All unsupported ops of the graph in one error.
fn check_supported(graph: &GraphProto, file: &str, opset: i64) -> Result<(), CompileError> {
    let ops: Vec<UnsupportedOp> = graph
        .node
        .iter()
        .enumerate()
        .filter(|(_, n)| registry::lookup_in(&n.domain, &n.op_type).is_none())
        .map(|(i, n)| UnsupportedOp {
            node: if n.name.is_empty() {
                n.output.first().cloned().unwrap_or_else(|| format!("#{i}"))
            } else {
                n.name.clone()
            },
            op: op_label(n),
            opset,
        })
        .collect();
    if ops.is_empty() {
        Ok(())
    } else {
        Err(CompileError::UnsupportedOps {
            file: file.into(),
            ops,
        })
    }
}

fn input_shape(
    input: &onnx_protobuf::ValueInfoProto,
    file: &str,
    batch_as_n: bool,
) -> Result<Shape, CompileError> {
    use onnx_protobuf::type_proto::Value as T;
    let err = |reason: String| CompileError::InvalidModel {
        file: file.into(),
        reason: format!("graph input '{}': {reason}", input.name),
    };
    let tensor = match input.type_.as_ref().and_then(|t| t.value.as_ref()) {
        Some(T::TensorType(t)) => t,
        _ => return Err(err("not a tensor".into())),
    };
    if tensor.elem_type != 1 {
        return Err(err(format!(
            "element type {} is not float32",
            tensor.elem_type
        )));
    }
    let shape = tensor
        .shape
        .as_ref()
        .ok_or_else(|| err("has no shape".into()))?;
    let mut dims = Vec::new();
    for (i, d) in shape.dim.iter().enumerate() {
        let v = d.dim_value();
        dims.push(if batch_as_n && i == 0 && d.has_dim_value() && v > 1 {
            Dim::Batch
        } else if d.has_dim_value() && v > 0 {
            Dim::Fixed(usize::try_from(v).map_err(|_| err(format!("dimension {v} too large")))?)
        } else if i == 0 {
            Dim::Batch
        } else {
            return Err(err(format!(
                "dimension {i} ('{}') is symbolic or zero; only the batch dimension (0) may be",
                d.dim_param()
            )));
        });
    }
    let shape = Shape(dims);
    crate::ir::check_size(&shape).map_err(|e| CompileError::TooLarge {
        file: file.into(),
        node: input.name.clone(),
        tensor: input.name.clone(),
        elements: e,
        limit: crate::ir::MAX_ELEMENTS,
    })?;
    Ok(shape)
}

/// The fixed size a graph input declares for dimension 0, when it declares one above 1.
fn declared_batch(input: &onnx_protobuf::ValueInfoProto) -> Option<i64> {
    use onnx_protobuf::type_proto::Value as T;
    match input.type_.as_ref()?.value.as_ref()? {
        T::TensorType(t) => t
            .shape
            .as_ref()?
            .dim
            .first()
            .filter(|d| d.has_dim_value() && d.dim_value() > 1)
            .map(|d| d.dim_value()),
        _ => None,
    }
}

/// Node indices in dependency order; errors name a node on a cycle or a node with a missing input.
fn topo_sort(graph: &GraphProto, l: &Loader, file: &str) -> Result<Vec<usize>, CompileError> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            if producer.insert(o.as_str(), i).is_some() || l.values.contains_key(o) {
                return Err(CompileError::InvalidModel {
                    file: file.into(),
                    reason: format!(
                        "tensor '{o}' is produced more than once (node '{}')",
                        n.name
                    ),
                });
            }
        }
    }
    let label = |n: &NodeProto, i: usize| {
        if n.name.is_empty() {
            n.output.first().cloned().unwrap_or(format!("#{i}"))
        } else {
            n.name.clone()
        }
    };
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); graph.node.len()];
    let mut users: Vec<Vec<usize>> = vec![vec![]; graph.node.len()];
    for (i, n) in graph.node.iter().enumerate() {
        for inp in n.input.iter().filter(|s| !s.is_empty()) {
            match producer.get(inp.as_str()) {
                Some(&p) => {
                    if deps[i].insert(p) {
                        users[p].push(i);
                    }
                }
                None if l.values.contains_key(inp) => {}
                None => {
                    return Err(CompileError::MissingInput {
                        file: file.into(),
                        node: label(n, i),
                        op: n.op_type.clone(),
                        input: inp.clone(),
                    })
                }
            }
        }
    }
    let mut indeg: Vec<usize> = deps.iter().map(|d| d.len()).collect();
    let mut ready: BTreeSet<usize> = (0..indeg.len()).filter(|&i| indeg[i] == 0).collect();
    let mut order = Vec::with_capacity(indeg.len());
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &u in &users[i] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if let Some(i) = (0..indeg.len()).find(|&i| indeg[i] > 0) {
        let n = &graph.node[i];
        return Err(CompileError::Cycle {
            file: file.into(),
            node: label(n, i),
            op: n.op_type.clone(),
        });
    }
    Ok(order)
}
