//! The training loop: distillation loss (+ cross-entropy with labels), Adam, epochs over a seeded
//! shuffle of the training samples; the best epoch is kept. With a held-out split ([`split`], the
//! default), "best" is the highest accuracy on the held-out samples (ties: the lower held-out
//! loss), so learning stops where the fixed-point model generalizes best and never ends worse than
//! the calibrated types on data it did not train on; without one, the lowest loss on all samples.
//!
//! Loss, per batch: `mean((s - t)²)` over the logits `s` of the fixed-point forward and `t` of the
//! float forward (MSE on logits: it keeps the fixed model's margins, not only its ranking, and needs
//! no temperature), plus `mean(-log softmax(s)[y])` when labels are given.

use candle_core::{DType, Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::error::LearnError;
use super::forward::{Mode, Student};
use super::progress::Progress;
use super::LearnOptions;

/// Weights move `WEIGHT_LR_RATIO` times slower than integer bits (`--lr` is in bits per step).
pub const WEIGHT_LR_RATIO: f64 = 0.02;

/// The loss and accuracy of the fixed-point forward on all samples.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Score {
    /// Distillation plus cross-entropy.
    pub loss: f64,
    /// The MSE between fixed and float logits.
    pub distill: f64,
    /// Argmax accuracy, against the labels or (without them) the float model's argmax.
    pub accuracy: f64,
}

/// One epoch's result.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Epoch {
    pub epoch: usize,
    /// Mean of the batch losses while training.
    pub train_loss: f64,
    /// All samples, after the epoch.
    pub score: Score,
}

/// Which samples train and which are held out for choosing the epoch (indices into the data).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<u32>,
    /// Empty: no held-out split (the epoch is chosen by the loss on all samples).
    pub held_out: Vec<u32>,
}

/// Seeds the held-out draw apart from the sample order (both come from `--seed`).
const SPLIT_STREAM: u64 = 0x0068_6f6c_646f_7574;

/// A seeded split of `n` samples: `round(holdout · n)` held out (at least 1 and at most `n - 1`
/// when `holdout > 0` and `n ≥ 2`), both parts in ascending order.
pub fn split(n: usize, holdout: f64, seed: u64) -> Split {
    let all: Vec<u32> = (0..n as u32).collect();
    if holdout <= 0.0 || n < 2 {
        return Split {
            train: all,
            held_out: Vec::new(),
        };
    }
    let k = ((holdout * n as f64).round() as usize).clamp(1, n - 1);
    let mut order = all;
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ SPLIT_STREAM));
    let mut held_out = order[..k].to_vec();
    let mut train = order[k..].to_vec();
    held_out.sort_unstable();
    train.sort_unstable();
    Split { train, held_out }
}

#[derive(Clone, Debug)]
pub struct History {
    /// With the calibrated types, on the held-out samples (all samples without a split).
    pub initial: Score,
    pub epochs: Vec<Epoch>,
    /// The epoch whose parameters were kept (0: none improved on the calibrated types).
    pub best_epoch: usize,
    pub last: Score,
    pub steps: usize,
}

fn err(e: candle_core::Error) -> LearnError {
    LearnError::candle("training", "Graph", e)
}

/// The logits as `[N, classes]`.
fn rows(t: &Tensor) -> Result<Tensor, LearnError> {
    let n = t.dims().first().copied().unwrap_or(1);
    t.reshape((n, ())).map_err(err)
}

/// The loss of logits `s` against teacher logits `t` (and labels `y`, u32): (loss, distill).
fn loss(s: &Tensor, t: &Tensor, y: Option<&Tensor>) -> Result<(Tensor, Tensor), LearnError> {
    let (s, t) = (rows(s)?, rows(t)?);
    let distill = s
        .sub(&t)
        .map_err(err)?
        .sqr()
        .map_err(err)?
        .mean_all()
        .map_err(err)?;
    let total = match y {
        Some(y) => {
            let m = s.max_keepdim(1).map_err(err)?.detach();
            let shifted = s.broadcast_sub(&m).map_err(err)?;
            let lse = shifted
                .exp()
                .and_then(|e| e.sum_keepdim(1))
                .and_then(|e| e.log())
                .map_err(err)?;
            let logp = shifted.broadcast_sub(&lse).map_err(err)?;
            let picked = logp.gather(&y.unsqueeze(1).map_err(err)?, 1).map_err(err)?;
            let ce = picked.mean_all().and_then(|c| c.neg()).map_err(err)?;
            (&distill + ce).map_err(err)?
        }
        None => distill.clone(),
    };
    Ok((total, distill))
}

/// Correct argmax predictions of `s` against `y` (or the argmax of `t`).
fn correct(s: &Tensor, t: &Tensor, y: Option<&Tensor>) -> Result<usize, LearnError> {
    let pred = rows(s)?.argmax(1).map_err(err)?;
    let want = match y {
        Some(y) => y.clone(),
        None => rows(t)?.argmax(1).map_err(err)?,
    };
    let eq = pred
        .eq(&want)
        .map_err(err)?
        .to_dtype(DType::F64)
        .map_err(err)?;
    Ok(eq
        .sum_all()
        .and_then(|v| v.to_scalar::<f64>())
        .map_err(err)? as usize)
}

/// Loss and accuracy on all samples.
pub fn score(
    student: &Student,
    x: &Tensor,
    teacher: &Tensor,
    y: Option<&Tensor>,
    batch: usize,
) -> Result<Score, LearnError> {
    let s = student.predict(x, Mode::Fixed, batch)?;
    let (total, distill) = loss(&s, teacher, y)?;
    let n = x.dims()[0].max(1);
    Ok(Score {
        loss: total.to_scalar::<f64>().map_err(err)?,
        distill: distill.to_scalar::<f64>().map_err(err)?,
        accuracy: correct(&s, teacher, y)? as f64 / n as f64,
    })
}

/// Adam over a set of variables, each with its learning rate.
struct Adam {
    vars: Vec<(Var, f64, Tensor, Tensor)>,
    t: i32,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

impl Adam {
    fn new(vars: Vec<(Var, f64)>) -> Result<Adam, LearnError> {
        let vars = vars
            .into_iter()
            .map(|(v, lr)| {
                let z = v.as_tensor().zeros_like().map_err(err)?;
                Ok((v, lr, z.clone(), z))
            })
            .collect::<Result<_, LearnError>>()?;
        Ok(Adam { vars, t: 0 })
    }

    fn step(&mut self, grads: &candle_core::backprop::GradStore) -> Result<(), LearnError> {
        self.t += 1;
        let c1 = 1.0 - BETA1.powi(self.t);
        let c2 = 1.0 - BETA2.powi(self.t);
        for (var, lr, m, v) in &mut self.vars {
            let Some(g) = grads.get(var.as_tensor()) else {
                continue;
            };
            *m = ((&*m * BETA1).map_err(err)? + (g * (1.0 - BETA1)).map_err(err)?).map_err(err)?;
            *v = ((&*v * BETA2).map_err(err)?
                + (g.sqr().map_err(err)? * (1.0 - BETA2)).map_err(err)?)
            .map_err(err)?;
            let update = (&*m / c1)
                .and_then(|mh| {
                    let denom = ((&*v / c2)?.sqrt()? + EPS)?;
                    (mh / denom)? * *lr
                })
                .map_err(err)?;
            let next = var.as_tensor().sub(&update).map_err(err)?.detach();
            var.set(&next).map_err(err)?;
        }
        Ok(())
    }
}

/// Saved parameter values.
struct Snapshot(Vec<Tensor>);

fn snapshot(vars: &[Var]) -> Result<Snapshot, LearnError> {
    Ok(Snapshot(
        vars.iter()
            .map(|v| v.as_tensor().copy().map(|t| t.detach()))
            .collect::<Result<_, _>>()
            .map_err(err)?,
    ))
}

fn restore(vars: &[Var], s: &Snapshot) -> Result<(), LearnError> {
    for (v, t) in vars.iter().zip(&s.0) {
        v.set(t).map_err(err)?;
    }
    Ok(())
}

/// Whether `s` beats the best so far: held-out accuracy first (ties: loss), else the loss alone.
fn better(s: &Score, best: &Score, held_out: bool) -> bool {
    if held_out && s.accuracy != best.accuracy {
        return s.accuracy > best.accuracy;
    }
    s.loss < best.loss
}

/// The rows `idx` of `t`.
fn rows_of(t: &Tensor, idx: &[u32], dev: &candle_core::Device) -> Result<Tensor, LearnError> {
    let i = Tensor::from_slice(idx, idx.len(), dev).map_err(err)?;
    t.index_select(&i, 0).map_err(err)
}

/// Trains `student` on the `split.train` samples of `x` (f64, model input shape) against the float
/// model, choosing the epoch on `split.held_out`; labels `y` are u32.
pub fn train(
    student: &Student,
    x: &Tensor,
    y: Option<&Tensor>,
    split: &Split,
    opts: &LearnOptions,
) -> Result<History, LearnError> {
    let batch = opts.batch.max(1);
    let dev = &student.device;
    let teacher_all = student.predict(x, Mode::Float, batch)?;
    let held = !split.held_out.is_empty();
    // The samples that choose the epoch: the held-out ones, or all of them.
    let (vx, vt, vy) = if held {
        let h = &split.held_out;
        let vy = match y {
            Some(y) => Some(rows_of(y, h, dev)?),
            None => None,
        };
        (rows_of(x, h, dev)?, rows_of(&teacher_all, h, dev)?, vy)
    } else {
        (x.clone(), teacher_all.clone(), y.cloned())
    };
    let (x, teacher, y) = if held {
        let t = &split.train;
        let ty = match y {
            Some(y) => Some(rows_of(y, t, dev)?),
            None => None,
        };
        (rows_of(x, t, dev)?, rows_of(&teacher_all, t, dev)?, ty)
    } else {
        (x.clone(), teacher_all, y.cloned())
    };
    let (x, y) = (&x, y.as_ref());
    let n = x.dims()[0];
    let (bits, weights) = student.vars();
    // Integer bits stay within one word length of their calibrated value.
    let bounds: Vec<(f64, f64)> = student
        .points
        .values()
        .filter(|p| p.trainable)
        .map(|p| {
            let (i, w) = (f64::from(p.base.int_bits()), f64::from(p.base.width()));
            (i - w, i + w)
        })
        .collect();
    let mut all: Vec<(Var, f64)> = bits.iter().map(|v| ((*v).clone(), opts.lr)).collect();
    all.extend(
        weights
            .iter()
            .map(|v| ((*v).clone(), opts.lr * WEIGHT_LR_RATIO)),
    );
    let vars: Vec<Var> = all.iter().map(|(v, _)| v.clone()).collect();
    let mut adam = Adam::new(all)?;

    let initial = score(student, &vx, &vt, vy.as_ref(), batch)?;
    let mut best = (initial, 0usize, snapshot(&vars)?);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let per_epoch = n.div_ceil(batch);
    let progress = Progress::new(opts.progress, (opts.epochs * per_epoch) as u64);
    let mut epochs = Vec::new();
    let mut steps = 0;
    for epoch in 1..=opts.epochs {
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut rng);
        let (mut sum, mut right, mut seen) = (0.0, 0usize, 0usize);
        for chunk in order.chunks(batch) {
            let idx = Tensor::from_slice(chunk, chunk.len(), &student.device).map_err(err)?;
            let xb = x.index_select(&idx, 0).map_err(err)?;
            let tb = teacher.index_select(&idx, 0).map_err(err)?;
            let yb = match y {
                Some(y) => Some(y.index_select(&idx, 0).map_err(err)?),
                None => None,
            };
            let s = student.forward(&xb, Mode::Fixed)?;
            let (total, _) = loss(&s, &tb, yb.as_ref())?;
            let grads = total.backward().map_err(err)?;
            adam.step(&grads)?;
            for (v, &(lo, hi)) in bits.iter().zip(&bounds) {
                let t = v.as_tensor().clamp(lo, hi).map_err(err)?;
                v.set(&t).map_err(err)?;
            }
            steps += 1;
            let l = total.to_scalar::<f64>().map_err(err)?;
            sum += l * chunk.len() as f64;
            right += correct(&s, &tb, yb.as_ref())?;
            seen += chunk.len();
            progress.step(
                epoch,
                opts.epochs,
                sum / seen as f64,
                right as f64 / seen as f64,
            );
        }
        let score = score(student, &vx, &vt, vy.as_ref(), batch)?;
        if better(&score, &best.0, held) {
            best = (score, epoch, snapshot(&vars)?);
        }
        epochs.push(Epoch {
            epoch,
            train_loss: sum / seen.max(1) as f64,
            score,
        });
    }
    progress.finish();
    restore(&vars, &best.2)?;
    let last = best.0;
    Ok(History {
        initial,
        epochs,
        best_epoch: best.1,
        last,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn the_held_out_split_is_seeded_disjoint_and_complete() {
        let a = split(1437, 0.2, 7);
        assert_eq!(a, split(1437, 0.2, 7), "same seed, same split");
        assert_ne!(a.held_out, split(1437, 0.2, 8).held_out);
        assert_eq!(a.held_out.len(), 287);
        let mut all: Vec<u32> = a.train.iter().chain(&a.held_out).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1437).collect::<Vec<_>>());
        assert!(split(100, 0.0, 0).held_out.is_empty());
        assert!(
            split(1, 0.5, 0).held_out.is_empty(),
            "one sample cannot be split"
        );
        assert_eq!(
            split(3, 0.01, 0).held_out.len(),
            1,
            "at least one when asked"
        );
    }
}
