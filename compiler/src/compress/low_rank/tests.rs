use super::rank::model_macs;
use super::*;
use crate::eval::run_f32;
use crate::ir::ops::{Conv, Dense, Relu, Window};
use crate::ir::GraphBuilder;

/// xorshift64*, uniform in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        v as f64 / (1u64 << 52) as f64 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn frob2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[test]
fn reconstruction_error_equals_discarded_energy() {
    let mut rng = Rng(7);
    for (rows, cols) in [(12, 20), (20, 12), (9, 9), (1, 5)] {
        let a = rng.vec(rows * cols);
        let f = Factorization::new(&a, rows, cols).unwrap();
        assert!(f.sigma.windows(2).all(|w| w[0] >= w[1]));
        let total: f64 = a.iter().map(|x| x * x).sum();
        assert!((f.energy() - total).abs() <= 1e-10 * total);
        for r in 0..=f.sigma.len() {
            let err = frob2(&a, &f.reconstruct(r));
            let discarded = f.discarded(r);
            assert!(
                (err - discarded).abs() <= 1e-10 * total,
                "{rows}x{cols} rank {r}: ||A - A_r||^2 = {err}, discarded sigma^2 = {discarded}"
            );
        }
    }
}

#[test]
fn rank_r_matrix_is_recovered_exactly_at_rank_r() {
    let mut rng = Rng(11);
    let (rows, cols, r) = (15, 11, 3);
    let (b, c) = (rng.vec(rows * r), rng.vec(r * cols));
    let a: Vec<f64> = (0..rows * cols)
        .map(|k| {
            (0..r)
                .map(|j| b[k / cols * r + j] * c[j * cols + k % cols])
                .sum()
        })
        .collect();
    let f = Factorization::new(&a, rows, cols).unwrap();
    let total = f.energy();
    assert!(f.sigma[r - 1] > 1e-3 * f.sigma[0]);
    assert!(f.discarded(r) <= 1e-20 * total, "{:?}", f.sigma);
    assert!(frob2(&a, &f.reconstruct(r)) <= 1e-20 * total);
    assert!(frob2(&a, &f.reconstruct(r - 1)) > 1e-3 * total);
    // The energy rule finds that rank.
    let g = dense_graph(&a.iter().map(|&x| x as f32).collect::<Vec<_>>(), rows, cols);
    let cands = candidates(&g).unwrap();
    assert_eq!(rank::rank_for(&cands[0], LayerRule::Energy(1.0)), Some(r));
}

fn dense_graph(w: &[f32], rows: usize, cols: usize) -> Graph {
    let mut b = GraphBuilder::new("dense");
    let x = b.input("x", &[0, cols]);
    let wn = b.constant_fn("fc.weight", &[rows, cols], |i| w[i]);
    let bn = b.constant_fn("fc.bias", &[rows], |i| 0.1 * i as f32);
    let y = b.op("fc", Dense, &[x, wn, bn]).unwrap();
    b.output(y);
    b.finish().unwrap()
}

fn random_input(rng: &mut Rng, dims: &[usize]) -> ArrayD<f32> {
    let n = dims.iter().product();
    ArrayD::from_shape_vec(
        IxDyn(dims),
        rng.vec(n).into_iter().map(|v| v as f32).collect(),
    )
    .unwrap()
}

fn l2(v: impl Iterator<Item = f32>) -> f64 {
    v.map(|x| f64::from(x).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn decomposed_dense_matches_within_the_svd_bound() {
    let mut rng = Rng(3);
    let (rows, cols) = (16, 24);
    let w: Vec<f32> = rng.vec(rows * cols).into_iter().map(|v| v as f32).collect();
    let g = dense_graph(&w, rows, cols);
    let x = random_input(&mut rng, &[50, cols]);
    let y = run_f32(&g, &x).unwrap();
    for r in [1, 5, 9] {
        let mut d = g.clone();
        let done = run(&mut d, Some(LowRankSpec::Layer(LayerRule::Rank(r))), None).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].first, "fc.lr_v");
        assert_eq!(done[0].macs_after, (r * (rows + cols)) as u64);
        assert_eq!(done[0].params_after, (r * (rows + cols) + rows) as u64);
        let first = d.find("fc.lr_v").unwrap();
        assert_eq!(d.node(first).shape.to_string(), format!("[N,{r}]"));
        let svd = &candidates(&g).unwrap()[0].svd;
        let sigma_next = svd.sigma[r];
        let yd = run_f32(&d, &x).unwrap();
        // The pair computes W_r x + b, W_r = sum_{i<r} sigma_i u_i v_i^T (f32 factors and sums
        // against the f64 product).
        let k = svd.sigma.len();
        let wr: Vec<f64> = (0..rows * cols)
            .map(|e| {
                (0..r)
                    .map(|i| svd.sigma[i] * svd.u[e / cols * k + i] * svd.v[e % cols * k + i])
                    .sum()
            })
            .collect();
        for s in 0..50 {
            for j in 0..rows {
                let want: f64 = (0..cols)
                    .map(|k| wr[j * cols + k] * f64::from(x[[s, k]]))
                    .sum::<f64>()
                    + 0.1 * j as f64;
                let got = f64::from(yd[[s, j]]);
                assert!(
                    (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                    "{got} vs {want}"
                );
            }
        }
        let mut worst = 0f64;
        for s in 0..50 {
            let dy = l2((0..rows).map(|j| y[[s, j]] - yd[[s, j]]));
            let bound = sigma_next * l2((0..cols).map(|k| x[[s, k]]));
            // ||(W - W_r) x|| <= sigma_{r+1} ||x||, plus f32 rounding of the factors and sums.
            assert!(
                dy <= bound * (1.0 + 1e-4) + 1e-4,
                "rank {r} sample {s}: {dy} > {bound}"
            );
            worst = worst.max(dy / bound);
        }
        // The bound is tight enough to mean something: some sample gets within 2x of it.
        assert!(worst > 0.2, "rank {r}: worst ratio {worst}");
    }
}

fn conv_graph(rng: &mut Rng, group: usize) -> Graph {
    let (c_in, c_out) = (4, 8);
    let mut b = GraphBuilder::new("conv");
    let x = b.input("x", &[0, c_in, 9, 9]);
    let w: Vec<f32> = rng
        .vec(c_out * c_in / group * 9)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let wn = b.constant_fn("conv.weight", &[c_out, c_in / group, 3, 3], |i| w[i]);
    let bn = b.constant_fn("conv.bias", &[c_out], |i| 0.05 * i as f32);
    let conv = Conv {
        window: Window {
            kernel: vec![3, 3],
            strides: vec![2, 2],
            dilations: vec![1, 1],
            pads: vec![1, 1, 1, 1],
            ceil_mode: false,
        },
        group,
    };
    let y = b.op("conv", conv, &[x, wn, bn]).unwrap();
    let z = b.op("relu", Relu, &[y]).unwrap();
    b.output(z);
    b.finish().unwrap()
}

#[test]
fn decomposed_conv_keeps_geometry_and_matches_within_the_svd_bound() {
    let mut rng = Rng(5);
    let g = conv_graph(&mut rng, 1);
    let cands = candidates(&g).unwrap();
    assert_eq!((cands[0].rows, cands[0].cols), (8, 36));
    assert_eq!(cands[0].positions, 25);
    let r = 3;
    let mut d = g.clone();
    let done = run(&mut d, Some(LowRankSpec::Layer(LayerRule::Rank(r))), None).unwrap();
    assert_eq!(done[0].macs_before, 25 * 8 * 36);
    assert_eq!(done[0].macs_after, 25 * 3 * (8 + 36));
    assert_eq!(model_macs(&d), done[0].macs_after);
    let first = d.find("conv.lr_v").unwrap();
    assert_eq!(d.node(first).shape.to_string(), "[N,3,5,5]");
    let Op::Conv(c) = &d.node(first).op else {
        panic!("conv.lr_v is not a conv")
    };
    assert_eq!(
        (c.window.strides.clone(), c.window.pads.clone()),
        (vec![2, 2], vec![1, 1, 1, 1])
    );
    let second = d.find("conv").unwrap();
    let Op::Conv(c) = &d.node(second).op else {
        panic!("conv is not a conv")
    };
    assert_eq!(c.window.kernel, vec![1, 1]);
    assert_eq!(
        d.inputs_of(second).len(),
        3,
        "the bias moves to the 1x1 conv"
    );

    // Compare before the ReLU (1-Lipschitz, so the bound holds after it too): per output position,
    // ||dy|| <= sigma_{r+1} ||patch|| <= sigma_{r+1} ||x_sample||.
    let x = random_input(&mut rng, &[6, 4, 9, 9]);
    let (y, yd) = (run_f32(&g, &x).unwrap(), run_f32(&d, &x).unwrap());
    let sigma_next = cands[0].svd.sigma[r];
    for s in 0..6 {
        let bound = sigma_next * l2(x.index_axis(ndarray::Axis(0), s).iter().copied());
        for p in 0..25 {
            let dy = l2((0..8).map(|o| y[[s, o, p / 5, p % 5]] - yd[[s, o, p / 5, p % 5]]));
            assert!(
                dy <= bound * (1.0 + 1e-4) + 1e-4,
                "sample {s} position {p}: {dy} > {bound}"
            );
        }
    }
}

#[test]
fn grouped_convs_are_left_alone() {
    let mut rng = Rng(9);
    let g = conv_graph(&mut rng, 4);
    assert!(candidates(&g).unwrap().is_empty());
    let mut d = g.clone();
    let done = run(&mut d, Some(LowRankSpec::Layer(LayerRule::Rank(1))), None).unwrap();
    assert!(done.is_empty());
    assert_eq!(d.node_count(), g.node_count());
}

#[test]
fn only_ranks_that_pay_off_are_applied() {
    let mut rng = Rng(13);
    let w: Vec<f32> = rng.vec(16 * 24).into_iter().map(|v| v as f32).collect();
    let g = dense_graph(&w, 16, 24);
    // 9 * 40 = 360 < 384 pays off; 10 * 40 = 400 does not.
    let mut d = g.clone();
    assert_eq!(
        run(&mut d, Some(LowRankSpec::Layer(LayerRule::Rank(9))), None)
            .unwrap()
            .len(),
        1
    );
    let mut d = g.clone();
    assert!(
        run(&mut d, Some(LowRankSpec::Layer(LayerRule::Rank(10))), None)
            .unwrap()
            .is_empty()
    );
    // A random matrix needs nearly every rank for 99.9 % of its energy.
    let mut d = g.clone();
    assert!(run(
        &mut d,
        Some(LowRankSpec::Layer(LayerRule::Energy(0.999))),
        None
    )
    .unwrap()
    .is_empty());
}

fn mlp(rng: &mut Rng) -> Graph {
    // Layer 1 has a fast-falling spectrum (rank 2 plus noise), layer 2 a flat one.
    let (n0, n1, n2) = (32, 24, 10);
    let (p, q) = (rng.vec(n1 * 2), rng.vec(2 * n0));
    let w1: Vec<f32> = (0..n1 * n0)
        .map(|k| {
            let (i, j) = (k / n0, k % n0);
            (p[i * 2] * q[j] + p[i * 2 + 1] * q[n0 + j] + 0.01 * rng.next()) as f32
        })
        .collect();
    let w2: Vec<f32> = rng.vec(n2 * n1).into_iter().map(|v| v as f32).collect();
    let mut b = GraphBuilder::new("mlp");
    let x = b.input("x", &[0, n0]);
    let a = b.constant_fn("fc1.weight", &[n1, n0], |i| w1[i]);
    let y = b.op("fc1", Dense, &[x, a]).unwrap();
    let y = b.op("relu", Relu, &[y]).unwrap();
    let c = b.constant_fn("fc2.weight", &[n2, n1], |i| w2[i]);
    let z = b.op("fc2", Dense, &[y, c]).unwrap();
    b.output(z);
    b.finish().unwrap()
}

#[test]
fn mac_budget_is_met_and_spent_where_sigma_falls_fastest() {
    let mut rng = Rng(17);
    let g = mlp(&mut rng);
    let total = model_macs(&g);
    assert_eq!(total, 24 * 32 + 10 * 24);
    let mut ranks = Vec::new();
    for b in [0.25, 0.5, 1.0] {
        let mut d = g.clone();
        let done = run(&mut d, Some(LowRankSpec::Macs(b)), None).unwrap();
        assert!(model_macs(&d) as f64 <= b * total as f64, "macs={b}");
        assert!(done
            .iter()
            .all(|x| x.rule == format!("--low-rank macs={b}")));
        let rank_of = |l: &str| done.iter().find(|x| x.layer == l).map(|x| x.rank);
        ranks.push((rank_of("fc1"), rank_of("fc2")));
    }
    // 0.25: fc1's energy sits in two singular values, so it stops at rank 2 and the flat fc2
    // (the smaller layer) gets more ranks than fc1.
    assert_eq!(ranks[0].0, Some(2), "{ranks:?}");
    assert!(ranks[0].1.is_some_and(|r| r > 2), "{ranks:?}");
    // 0.5: fc2 is whole again before fc1 gets a third rank.
    assert_eq!(ranks[1].1, None, "{ranks:?}");
    assert!(ranks[1].0.is_some(), "{ranks:?}");
    // 1.0: the whole model fits.
    assert_eq!(ranks[2], (None, None));
    let mut d = g.clone();
    let e = run(&mut d, Some(LowRankSpec::Macs(0.05)), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("macs=0.05") && e.contains("below the least"),
        "{e}"
    );
}

#[test]
fn config_rules_override_the_flag() {
    let mut rng = Rng(19);
    let g = mlp(&mut rng);
    let cfg = PrecisionConfig::parse(
        "[layer.fc1]\nlow_rank = \"off\"\n[op.Dense]\nlow_rank = \"rank=2\"\n",
        "p.toml",
    )
    .unwrap();
    let mut d = g.clone();
    let done = run(
        &mut d,
        Some(LowRankSpec::Layer(LayerRule::Energy(0.5))),
        Some(&cfg),
    )
    .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].layer.as_str(), done[0].rank), ("fc2", 2));
    assert_eq!(done[0].rule, "[op.Dense] low_rank = \"rank=2\"");
    // [default] applies without a flag, and the flag beats it.
    let cfg = PrecisionConfig::parse("[default]\nlow_rank = \"rank=1\"\n", "p.toml").unwrap();
    let mut d = g.clone();
    let done = run(&mut d, None, Some(&cfg)).unwrap();
    assert!(done.iter().all(|x| x.rank == 1) && done.len() == 2);
    let mut d = g.clone();
    let done = run(
        &mut d,
        Some(LowRankSpec::Layer(LayerRule::Rank(3))),
        Some(&cfg),
    )
    .unwrap();
    assert!(done.iter().all(|x| x.rank == 3), "{done:?}");
}

#[test]
fn bad_specs_are_errors_that_say_why() {
    for (spec, needle) in [
        ("rank=0", "at least 1"),
        ("energy=0", "(0, 1]"),
        ("energy=1.5", "(0, 1]"),
        ("energy=nan", "finite"),
        ("macs=0", "(0, 1]"),
        ("tolerance=-1", "[0, 100]"),
        ("rank=2.5", "whole number"),
        ("speed=3", "unknown rule 'speed'"),
        ("0.9", "expected one of"),
    ] {
        let e = spec.parse::<LowRankSpec>().unwrap_err();
        assert!(e.contains(needle), "{spec}: {e}");
    }
    assert_eq!(
        "energy=0.98".parse::<LowRankSpec>(),
        Ok(LowRankSpec::Layer(LayerRule::Energy(0.98)))
    );
    assert_eq!(
        "tolerance=1".parse::<LowRankSpec>(),
        Ok(LowRankSpec::Tolerance(1.0))
    );
    let e = PrecisionConfig::parse("[layer.fc1]\nlow_rank = \"macs=0.5\"\n", "p.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("p.toml") && e.contains("low_rank") && e.contains("model-wide"),
        "{e}"
    );
    let e = PrecisionConfig::parse("[default]\nlow_rank = \"energy=2\"\n", "p.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[default]") && e.contains("low_rank") && e.contains("(0, 1]"),
        "{e}"
    );
}
