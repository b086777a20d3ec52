//! A few thousand mutated copies of the fixtures go through load + cleanup (+ a batch-1 evaluation
//! when small) without a panic: every outcome is a graph or a CompileError.

use crate::frontend_util;

use binpoint::passes::{cleanup, CleanupOptions};
use frontend_util::fixtures;
use std::panic::{catch_unwind, AssertUnwindSafe};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        let at = rng.below(b.len());
        match rng.below(6) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = rng.next() as u8,
            2 => b.truncate(at),
            3 => {
                let v = [0xff, 0xff, 0xff, 0xff, 0x0f];
                b.splice(at..at, v);
            }
            4 => {
                let len = rng.below(16).min(b.len() - at);
                b.drain(at..at + len);
            }
            _ => {
                let from = rng.below(b.len());
                let len = rng.below(32).min(b.len() - from);
                let chunk: Vec<u8> = b[from..from + len].to_vec();
                b.splice(at..at, chunk);
            }
        }
    }
    b
}

fn run_one(bytes: &[u8]) {
    let Ok(mut g) = binpoint::onnx::load_bytes(bytes, "mutant.onnx", None) else {
        return;
    };
    let _ = binpoint::inspect::report(&g);
    let _ = g.dump();
    if cleanup(&mut g, &CleanupOptions::default()).is_err() {
        return;
    }
    let small = binpoint::inspect::report(&g).totals.macs < 10_000_000
        && g.inputs().len() == 1
        && g.node(g.inputs()[0])
            .shape
            .fixed_numel()
            .is_some_and(|n| n < 1 << 16);
    if small {
        let dims = g.node(g.inputs()[0]).shape.concrete(1);
        let x = ndarray::ArrayD::<f32>::from_elem(ndarray::IxDyn(&dims), 0.5);
        let _ = binpoint::eval::run_f32(&g, &x);
    }
}

const NASTY: [i64; 10] = [0, -1, 1, 2, 3, 7, -7, 1 << 40, i64::MAX, i64::MIN];

/// Structure-aware mutation: attribute values, tensor dims and input dims set to extreme numbers.
fn mutate_fields(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    use protobuf::Message;
    let Ok(mut m) = onnx_protobuf::ModelProto::parse_from_bytes(bytes) else {
        return bytes.to_vec();
    };
    let Some(g) = m.graph.as_mut() else {
        return bytes.to_vec();
    };
    for _ in 0..1 + rng.below(3) {
        let nasty = NASTY[rng.below(NASTY.len())];
        match rng.below(4) {
            0 if !g.node.is_empty() => {
                let n = rng.below(g.node.len());
                let node = &mut g.node[n];
                if !node.attribute.is_empty() {
                    let a = rng.below(node.attribute.len());
                    let attr = &mut node.attribute[a];
                    attr.i = nasty;
                    attr.f = nasty as f32;
                    if !attr.ints.is_empty() {
                        let k = rng.below(attr.ints.len());
                        attr.ints[k] = nasty;
                    }
                } else if !node.input.is_empty() {
                    let k = rng.below(node.input.len());
                    node.input[k] = if rng.below(2) == 0 {
                        String::new()
                    } else {
                        node.output.first().cloned().unwrap_or_default()
                    };
                }
            }
            1 if !g.initializer.is_empty() => {
                let t = rng.below(g.initializer.len());
                let init = &mut g.initializer[t];
                if init.dims.is_empty() {
                    init.dims.push(nasty);
                } else {
                    let k = rng.below(init.dims.len());
                    init.dims[k] = nasty;
                }
                if rng.below(2) == 0 {
                    init.int64_data = vec![nasty; init.dims.len().max(1)];
                }
            }
            2 if !g.input.is_empty() => {
                use onnx_protobuf::type_proto::Value;
                if let Some(Some(Value::TensorType(t))) =
                    g.input[0].type_.as_mut().map(|t| t.value.as_mut())
                {
                    if let Some(shape) = t.shape.as_mut() {
                        if !shape.dim.is_empty() {
                            let k = rng.below(shape.dim.len());
                            shape.dim[k].set_dim_value(nasty);
                        }
                    }
                }
            }
            _ if !g.node.is_empty() => {
                let a = rng.below(g.node.len());
                let b = rng.below(g.node.len());
                g.node.swap(a, b);
                if rng.below(2) == 0 {
                    let ops = [
                        "Relu", "Conv", "Gemm", "Reshape", "Concat", "MaxPool", "Softmax", "Pad",
                        "Squeeze",
                    ];
                    g.node[a].op_type = ops[rng.below(ops.len())].into();
                }
            }
            _ => {}
        }
    }
    m.write_to_bytes().unwrap_or_default()
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut files = Vec::new();
    for m in ["mlp", "cnn_bn", "resnet", "dwsep", "conv1d", "activations"] {
        for v in ["13", "18"] {
            files.push(fixtures().join(format!("{m}/{m}_opset{v}.onnx")));
        }
    }
    let per_file: usize = std::env::var("BINPOINT_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let (mut panics, mut total) = (Vec::new(), 0);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for f in &files {
        let bytes = std::fs::read(f).expect("fixture");
        for i in 0..per_file {
            let m = if i % 2 == 0 {
                mutate(&bytes, &mut rng)
            } else {
                mutate_fields(&bytes, &mut rng)
            };
            total += 1;
            if catch_unwind(AssertUnwindSafe(|| run_one(&m))).is_err() {
                let path =
                    std::env::temp_dir().join(format!("binpoint-mutant-{}-{i}.onnx", panics.len()));
                let _ = std::fs::write(&path, &m);
                panics.push(format!(
                    "{} mutation {i} -> {}",
                    f.display(),
                    path.display()
                ));
            }
        }
    }
    std::panic::set_hook(hook);
    eprintln!("{total} mutants, {} panics", panics.len());
    assert!(
        panics.is_empty(),
        "{} of {total} mutants panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
}
