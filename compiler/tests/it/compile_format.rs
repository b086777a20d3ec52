//! The compiled-model file: it round-trips, it is deterministic, and a corrupt one is an error
//! that names what is wrong, never a panic: every truncation, thousands of random byte mutations
//! (a mutated file that still loads must run without panicking), and hand-made corruptions of
//! single fields.

use crate::compile_util;

use binpoint_runtime::model::format::{layer::Kernel, ModelProto, TypeProto};
use binpoint_runtime::model::{Model, ModelError, Threads};
use compile_util::*;

/// A small deterministic generator (xorshift64*), enough to pick bytes to mutate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Compiled models covering every kernel kind the fixtures use.
fn protos() -> Vec<(String, ModelProto)> {
    let mut out = Vec::new();
    for (model, opset, keep, bits) in [
        ("cnn_bn", 13, true, 8),
        ("resnet", 18, false, 8),
        ("dwsep", 13, false, 16),
        ("conv1d", 18, false, 8),
        ("mlp", 13, false, 12),
        ("activations", 18, false, 8),
    ] {
        let g = graph(model, opset, keep);
        let t = typed(&g, &inputs(&g, "train_x", 128), bits);
        out.push((format!("{model} opset{opset}"), lowered(&t).proto));
    }
    out
}

/// Loads `bytes`; when that works, runs the model on two samples (valid raw inputs) and a
/// trace. Errors are fine; a panic fails the test.
fn load_and_run(bytes: &[u8], x: &[i64]) -> Result<(), ModelError> {
    let m = Model::from_bytes(bytes)?;
    let t = m.input();
    let raw: Vec<i64> = x
        .iter()
        .cycle()
        .take(2 * t.len)
        .map(|&v| v.clamp(t.ty.min_raw() as i64, t.ty.max_raw() as i64))
        .collect();
    let inputs: Vec<Vec<i64>> = m
        .inputs()
        .iter()
        .map(|&id| {
            let tt = &m.tensors()[id];
            raw.iter().cycle().take(2 * tt.len).copied().collect()
        })
        .collect();
    let views: Vec<&[i64]> = inputs.iter().map(Vec::as_slice).collect();
    m.run_raw(&views, 2, Threads::Single)?;
    let one: Vec<&[i64]> = views
        .iter()
        .zip(m.inputs())
        .map(|(v, &id)| &v[..m.tensors()[id].len])
        .collect();
    m.trace(&one)?;
    Ok(())
}

/// Some raw inputs: the quantized test digits, and extremes.
fn sample_raw() -> Vec<i64> {
    let mut v: Vec<i64> = (0..64).map(|i| (i * 37 % 200) as i64 - 100).collect();
    v.extend([i64::MIN, i64::MAX, 0, -1, 1]);
    v
}

#[test]
fn round_trip_and_determinism() {
    for (what, p) in protos() {
        let bytes = p.to_bytes();
        assert_eq!(ModelProto::from_bytes(&bytes).unwrap(), p, "{what}");
        assert_eq!(p.to_bytes(), bytes, "{what}: encoding is not deterministic");
        let m = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(m.layers().len(), p.layers.len(), "{what}");
        load_and_run(&bytes, &sample_raw()).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    // Lowering the same typed graph twice gives the same bytes.
    let g = graph("resnet", 13, false);
    let x = inputs(&g, "train_x", 64);
    let a = lowered(&typed(&g, &x, 8)).proto.to_bytes();
    let b = lowered(&typed(&g, &x, 8)).proto.to_bytes();
    assert_eq!(a, b);
}

#[test]
fn truncated_and_mutated_files_never_panic() {
    let x = sample_raw();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut errors, mut loaded) = (0usize, 0usize);
    for (what, p) in protos() {
        let bytes = p.to_bytes();
        for len in 0..bytes.len() {
            match load_and_run(&bytes[..len], &x) {
                Err(_) => errors += 1,
                Ok(()) => loaded += 1,
            }
        }
        for round in 0..1500 {
            let mut b = bytes.clone();
            for _ in 0..1 + round % 4 {
                let i = rng.below(b.len());
                b[i] = match rng.below(4) {
                    0 => b[i] ^ (1 << rng.below(8)),
                    1 => rng.next() as u8,
                    2 => 0xff,
                    _ => 0,
                };
            }
            match std::panic::catch_unwind(|| load_and_run(&b, &x)) {
                Ok(Err(_)) => errors += 1,
                Ok(Ok(())) => loaded += 1,
                Err(_) => {
                    let path = std::env::temp_dir().join("binpoint-panic.bpm");
                    std::fs::write(&path, &b).unwrap();
                    panic!(
                        "{what}: mutation {round} panicked (file: {})",
                        path.display()
                    );
                }
            }
        }
    }
    println!("{errors} corrupt files refused, {loaded} loaded and ran");
    assert!(errors > 10_000);
}

/// The first layer whose kernel matches `pick`.
fn layer_mut(
    p: &mut ModelProto,
    pick: impl Fn(&Kernel) -> bool,
) -> &mut binpoint_runtime::model::format::LayerProto {
    p.layers
        .iter_mut()
        .find(|l| l.kernel.as_ref().is_some_and(&pick))
        .expect("a layer of that kind")
}

fn error_of(p: &ModelProto) -> String {
    match Model::from_bytes(&p.to_bytes()) {
        Ok(_) => panic!("a corrupt model loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn corruptions_are_named() {
    let g = graph("cnn_bn", 13, true);
    let base = lowered(&typed(&g, &inputs(&g, "train_x", 128), 8)).proto;
    let check = |edit: &dyn Fn(&mut ModelProto), expect: &[&str]| {
        let mut p = base.clone();
        edit(&mut p);
        let e = error_of(&p);
        for s in expect {
            assert!(e.contains(s), "'{e}' does not contain '{s}'");
        }
    };
    check(
        &|p| p.version = 2,
        &["version 2", "compile the model again"],
    );
    check(
        &|p| p.magic = "onnx".into(),
        &["not a compiled binpoint model", "magic"],
    );
    check(
        &|p| {
            let l = layer_mut(p, |k| matches!(k, Kernel::Conv(_)));
            if let Some(Kernel::Conv(c)) = &mut l.kernel {
                c.weights.pop();
            }
        },
        &[
            "'/features/features.0/Conv' (Conv)",
            "weights",
            "expected 72",
        ],
    );
    check(
        &|p| {
            let l = layer_mut(p, |k| matches!(k, Kernel::Dense(_)));
            if let Some(Kernel::Dense(d)) = &mut l.kernel {
                d.weights[3] = 1 << 40;
            }
        },
        &["'/fc/Gemm' (Dense)", "value 3", "is not a raw value"],
    );
    check(
        &|p| {
            let l = layer_mut(p, |k| matches!(k, Kernel::Affine(_)));
            if let Some(Kernel::Affine(a)) = &mut l.kernel {
                a.scale_type = Some(TypeProto {
                    width: 0,
                    ..a.scale_type.unwrap()
                });
            }
        },
        &["(Affine)", "scale type", "W=0"],
    );
    check(
        &|p| {
            let l = layer_mut(p, |k| matches!(k, Kernel::Conv(_)));
            if let Some(Kernel::Conv(c)) = &mut l.kernel {
                // Accumulators may take up to 128 bits.
                c.accum_type = Some(TypeProto {
                    width: 200,
                    ..c.accum_type.unwrap()
                });
            }
        },
        &["(Conv)", "accumulator"],
    );
    check(
        &|p| {
            let l = layer_mut(p, |k| matches!(k, Kernel::MaxPool(_)));
            if let Some(Kernel::MaxPool(m)) = &mut l.kernel {
                m.window.as_mut().unwrap().stride_w = 0;
            }
        },
        &["(MaxPool)", "stride"],
    );
    check(
        &|p| p.layers[2].inputs = vec![999],
        &["layer 2", "tensor 999"],
    );
    check(
        &|p| {
            let last = p.layers.len() - 1;
            p.layers[0].inputs = vec![p.layers[last].output];
        },
        &["layer 0", "before any layer writes it"],
    );
    check(
        &|p| p.tensors[0].ty.as_mut().unwrap().rounding = 42,
        &["tensor 0", "unknown rounding mode 42"],
    );
    check(
        &|p| p.tensors[1].shape = vec![1 << 40],
        &["tensor 1", "dimension"],
    );
    check(
        &|p| p.layers[1].kernel = None,
        &["layer 1", "has no kernel"],
    );
    check(
        &|p| p.outputs = vec![],
        &["at least one input and one output"],
    );
    assert!(Model::from_bytes(b"not a model at all")
        .unwrap_err()
        .to_string()
        .contains("not a compiled binpoint model"));
    let e = Model::load("/nonexistent/model.bpm")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/model.bpm: cannot read"), "{e}");
}

#[test]
fn inputs_are_checked() {
    let g = graph("mlp", 13, false);
    let m = compiled(&typed(&g, &inputs(&g, "train_x", 128), 8)).unwrap();
    let e = m.run_raw(&[&[0; 63]], 1, Threads::Single).unwrap_err();
    assert!(e.to_string().contains("64 values per sample"), "{e}");
    let e = m
        .run_raw(&[&[1 << 20; 64]], 1, Threads::Single)
        .unwrap_err();
    assert!(e.to_string().contains("not a raw value of"), "{e}");
    let e = m.run_raw(&[], 1, Threads::Single).unwrap_err();
    assert!(e.to_string().contains("1 input(s), got 0"), "{e}");
    let e = m.quantize(m.inputs()[0], &[f32::NAN]).unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    // Threads do not change a bit.
    let x = flat(&inputs(&g, "test_x", 100));
    let one = m.run_f32(&[&x], 100, Threads::Single).unwrap();
    let all = m.run_f32(&[&x], 100, Threads::All).unwrap();
    let three = m.run_f32(&[&x], 100, Threads::Exactly(3)).unwrap();
    assert_eq!(one, all);
    assert_eq!(one, three);
    assert_eq!(one[0].raw.len(), 1000);
}
