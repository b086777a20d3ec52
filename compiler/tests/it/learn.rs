//! Learned binary points (`compiler/src/learn`, docs/learning.md): the quantizer's gradients against
//! finite differences, the learning forward against the bit-exact interpreter, learning lowering
//! the distillation loss, typed errors for bad input.

use crate::compile_util;

use binpoint::learn::quantizer::{cast, FixedCast};
use binpoint::learn::{learn, LearnError, LearnOptions, Mode, Student};
use binpoint::quant::{Kernel, PrecisionConfig};
use binpoint_runtime::model::Threads;
use binpoint_runtime::{FixedType, Overflow, Rounding};
use candle_core::{Device, Tensor, Var};
use compile_util::*;
use rand::{Rng, SeedableRng};

fn ty(w: u32, i: i32) -> FixedType {
    FixedType::new(true, w, i, Rounding::RndConv, Overflow::Sat, 0).unwrap()
}

/// `sum(loss(cast(x, ap_fixed<8, I>)))` and its autodiff gradients with respect to x and I.
fn cast_grads(
    x: &[f64],
    i: i32,
    loss: impl Fn(&Tensor, &Tensor) -> candle_core::Result<Tensor>,
) -> (f64, Vec<f64>, f64) {
    let dev = Device::Cpu;
    let xv = Var::from_vec(x.to_vec(), x.len(), &dev).unwrap();
    let iv = Var::from_tensor(&Tensor::new(f64::from(i), &dev).unwrap()).unwrap();
    let q = xv
        .as_tensor()
        .apply_op2(
            iv.as_tensor(),
            FixedCast {
                ty: ty(8, i),
                khot: None,
            },
        )
        .unwrap();
    let l = loss(&q, xv.as_tensor()).unwrap();
    let g = l.backward().unwrap();
    (
        l.to_scalar::<f64>().unwrap(),
        g.get(xv.as_tensor()).unwrap().to_vec1::<f64>().unwrap(),
        g.get(iv.as_tensor()).unwrap().to_scalar::<f64>().unwrap(),
    )
}

#[test]
fn binary_point_gradient_matches_a_finite_difference_of_the_expected_loss() {
    // Inside the range the rounding error is uniform over a step 2^(I-W+1): the expected squared
    // error is N·step²/12, so d ln(E)/dI = 2·ln2, and a finite difference over integer I of the
    // real loss (many values, none saturating at I-1) must agree with the autodiff gradient.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let x: Vec<f64> = (0..20_000).map(|_| rng.random_range(-0.9..0.9)).collect();
    let sq = |q: &Tensor, x: &Tensor| q.sub(&x.detach())?.sqr()?.sum_all();
    for i in [2, 3, 4] {
        let (l, _, di) = cast_grads(&x, i, sq);
        let (lo, _, _) = cast_grads(&x, i - 1, sq);
        let (hi, _, _) = cast_grads(&x, i + 1, sq);
        let fd = (hi.ln() - lo.ln()) / 2.0; // d ln L / dI
        let autodiff = di / l;
        assert!(
            (autodiff - fd).abs() < 0.02 * fd,
            "I={i}: autodiff d lnL/dI {autodiff}, finite difference {fd}"
        );
        assert!((autodiff - 2.0 * std::f64::consts::LN_2).abs() < 1e-9);
    }
}

#[test]
fn saturated_values_get_the_gradient_of_the_range_end_and_no_x_gradient() {
    // ap_fixed<8,2>: [-2, 1.984375]. The end is ±c·2^I, so ln(end) moves by exactly ln2 per bit.
    let x = [5.0, -7.0, 0.3, -0.55];
    let (_, dx, di) = cast_grads(&x, 2, |q, _| q.sum_all());
    assert_eq!(dx, vec![0.0, 0.0, 1.0, 1.0], "STE inside, 0 when saturated");
    let ln2 = std::f64::consts::LN_2;
    let (q03, q055) = (cast(0.3, &ty(8, 2)).0, cast(-0.55, &ty(8, 2)).0);
    let want = ln2 * (1.984375 - 2.0 + (q03 - 0.3) + (q055 + 0.55));
    assert!((di - want).abs() < 1e-12, "{di} vs {want}");
    // Finite difference of the saturated part alone over integer I: ln(max(I+1)/max(I)) = ln2.
    let max = |i| cast(5.0, &ty(8, i)).0;
    assert!(((max(3) / max(2)).ln() - ln2).abs() < 1e-12);
    let (_, _, di_pos) = cast_grads(&[5.0], 2, |q, _| q.sum_all());
    assert!((di_pos - ln2 * max(2)).abs() < 1e-12);
    let (_, _, di_neg) = cast_grads(&[-7.0], 2, |q, _| q.sum_all());
    assert!((di_neg - ln2 * -2.0).abs() < 1e-12, "sign of the lower end");
}

/// The learning forward with the calibrated types is the compiled model, value for value.
#[test]
fn learning_forward_computes_what_the_interpreter_computes() {
    for model in ["mlp", "cnn_bn", "resnet", "dwsep", "conv1d"] {
        for (bits, keep_bn) in [(8, false), (6, true)] {
            let g = graph(model, 13, keep_bn);
            let train = inputs(&g, "train_x", 512);
            let test = inputs(&g, "test_x", 96);
            let t = typed(&g, &train, bits);
            let m = compiled(&t).unwrap();
            let n = test.shape()[0];
            let want = m.run_f32(&[&flat(&test)], n, Threads::Single).unwrap()[0]
                .values
                .clone();
            let s = Student::new(&t, &g, false).unwrap();
            let x = Tensor::from_vec(
                test.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
                test.shape(),
                &s.device,
            )
            .unwrap();
            let got = s.predict(&x, Mode::Fixed, 32).unwrap();
            let got: Vec<f64> = got.flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(got.len(), want.len(), "{model}");
            let diff = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            assert_eq!(
                diff, 0,
                "{model} {bits} bits keep_bn={keep_bn}: values differ"
            );
        }
    }
}

#[test]
fn learning_lowers_the_distillation_loss_and_freezes_into_the_typed_ir() {
    let g = graph("cnn_bn", 13, false);
    let train = inputs(&g, "train_x", 512);
    let y: Vec<i64> = labels("train_y").into_iter().take(512).collect();
    let t = typed(&g, &train, 6);
    let cfg = PrecisionConfig::uniform(6).unwrap();
    // Binary points only, the epoch by the loss on all samples: the loss must fall.
    let opts = LearnOptions {
        epochs: 3,
        finetune: false,
        holdout: 0.0,
        ..LearnOptions::default()
    };
    let l = learn(&g, &cfg, &t, &train, Some(&y), &opts).unwrap();
    let r = &l.report;
    assert!(
        r.last.distill < 0.8 * r.initial.distill,
        "distillation loss {} -> {}",
        r.initial.distill,
        r.last.distill
    );
    assert!(r.changed() > 0);
    // Every learned I is in the typed IR (and its config), and the compiled model runs.
    for tensor in r.tensors.iter().filter(|t| t.learned) {
        let layer = l.typed.by_name(&tensor.tensor).unwrap();
        assert_eq!(
            layer.output.ty.int_bits(),
            tensor.int_bits_after,
            "{}",
            tensor.tensor
        );
        assert_eq!(
            l.config.layer[&tensor.tensor].int_bits,
            Some(tensor.int_bits_after)
        );
    }
    compiled(&l.typed).unwrap();
}

#[test]
fn bad_options_and_kernels_are_typed_errors_naming_the_node() {
    let g = graph("mlp", 13, false);
    let train = inputs(&g, "train_x", 64);
    let t = typed(&g, &train, 8);
    let cfg = PrecisionConfig::uniform(8).unwrap();
    let zero = LearnOptions {
        epochs: 0,
        ..LearnOptions::default()
    };
    let e = learn(&g, &cfg, &t, &train, None, &zero).err().unwrap();
    assert!(matches!(e, LearnError::Options(_)), "{e}");
    assert!(e.to_string().contains("--epochs"), "{e}");
    let bad_labels = vec![3i64; 10];
    let e = learn(
        &g,
        &cfg,
        &t,
        &train,
        Some(&bad_labels),
        &LearnOptions::default(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("10 labels for 64"), "{e}");
    // A layer whose typed kernel the learning forward does not compute.
    let mut broken = t.clone();
    let (&n, layer) = broken
        .layers
        .iter_mut()
        .find(|(_, l)| l.op == "Dense")
        .unwrap();
    layer.kernel = Kernel::Move;
    let name = broken.graph.node(n).name.clone();
    let e = Student::new(&broken, &g, false).err().unwrap();
    assert!(
        matches!(&e, LearnError::Unsupported { node, op, .. } if *node == name && op == "Dense"),
        "{e}"
    );
}

/// K-hot layers (`--khot 2`): the learning forward projects the float weights as typing does, so
/// it still computes what the interpreter computes; learning keeps every weight K-hot.
#[test]
fn khot_weights_are_projected_in_the_forward_and_stay_khot_after_learning() {
    use binpoint::quant::khot::weight_of;
    use binpoint::quant::project_weights;
    use binpoint::quant::{calibrate, type_graph, Method, RangeSource};
    let g = graph("cnn_bn", 13, false);
    let train = inputs(&g, "train_x", 384);
    let test = inputs(&g, "test_x", 64);
    let mut cfg = PrecisionConfig::uniform(8).unwrap();
    cfg.set_default_khot(2).unwrap();
    let gk = project_weights(&g, &cfg).unwrap();
    let cal = calibrate(&gk, std::slice::from_ref(&train), Method::MaxAbs).unwrap();
    let t = type_graph(&gk, &cfg, RangeSource::Calibrated(&cal)).unwrap();
    let m = compiled(&t).unwrap();
    let n = test.shape()[0];
    let want = m.run_f32(&[&flat(&test)], n, Threads::Single).unwrap()[0]
        .values
        .clone();
    let s = Student::new(&t, &g, false).unwrap();
    let khot_weights = s.points.values().filter(|p| p.khot == Some(2)).count();
    assert_eq!(khot_weights, 3, "two convs and the dense layer are K-hot");
    let x = Tensor::from_vec(
        test.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        test.shape(),
        &s.device,
    )
    .unwrap();
    let got: Vec<f64> = s
        .predict(&x, Mode::Fixed, 32)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(got, want, "K-hot forward vs interpreter");

    let y: Vec<i64> = labels("train_y").into_iter().take(384).collect();
    let opts = LearnOptions {
        epochs: 2,
        finetune: true,
        ..LearnOptions::default()
    };
    let l = learn(&g, &cfg, &t, &train, Some(&y), &opts).unwrap();
    // The kept epoch is the best on the held-out share (epoch 0 = the calibrated types).
    assert!(l.report.last.accuracy >= l.report.initial.accuracy);
    assert_eq!(l.held_out.len(), 77, "20% of 384");
    for (&n, layer) in &l.typed.layers {
        if let Kernel::Mac { khot: Some(k), .. } = layer.kernel {
            let w = l.typed.graph.inputs_of(n)[1];
            let raw = l.typed.raw_const(w).unwrap();
            assert!(raw.iter().all(|&r| weight_of(r) <= k), "{}", layer.node);
        }
    }
    compiled(&l.typed).unwrap();
}
