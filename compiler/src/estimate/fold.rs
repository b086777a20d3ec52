//! The design chooser: per multiply-accumulate layer, the fastest design (strategy and reuse
//! factor) that fits the board within [`FIT_MARGIN`] of every resource.
//!
//! Greedy, from the most parallel design (every MAC layer at reuse factor 1, `latency` when it is
//! allowed): while some resource is above the margin, try for each MAC layer that the user did
//! not fix the next design down: the same strategy at the smallest valid reuse factor at least
//! twice the current one, or, for a `latency` layer, `resource` at the same reuse factor (weights
//! in ROMs instead of constant circuits), or, for a `resource` convolution, the same design on
//! unpartitioned arrays (a block RAM and the ports' wait instead of registers and multiplexers);
//! keep the step that lowers the total excess (`Σ max(0, used/(margin·budget) − 1)`) the most
//! (ties: the smallest latency), and repeat. It stops when nothing is above the margin, or when
//! no step helps; then it also tries the fully folded design and reports, in words, what does
//! not fit. A greedy descent can fold further than it had to (a step that saved the most may
//! have cost more speed than two smaller ones), so a design that fits is then climbed back: any
//! layer's smaller valid reuse factor, `latency` for a `resource` layer, or a partitioned
//! convolution, taken while the design stays within the margin and gets faster (dataflow: II,
//! then latency; otherwise latency, then II), the fastest first, until none is. Layers that are not MAC layers are `latency` when every MAC layer is (the design is
//! then one pipeline), else `resource`.

use binpoint_runtime::model::format::ModelProto;

use super::work::{ModelWork, Shape};
use super::{evaluate, Estimate, EstimateError, Folding, FIT_MARGIN};
use crate::board::Board;
use crate::hardware::{Io, Strategy};

/// What the user fixed of one layer's design.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lock {
    /// Nothing: the chooser picks strategy and reuse factor.
    #[default]
    Free,
    /// The strategy (the chooser picks the reuse factor).
    Strategy,
    /// Strategy and reuse factor.
    Fixed,
}

/// What the chooser may pick: the strategies allowed, and per layer what it must leave as the
/// start has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// `latency` may be chosen for free layers.
    pub latency: bool,
    /// `resource` may be chosen for free layers.
    pub resource: bool,
    pub locked: Vec<Lock>,
}

impl Choice {
    /// Any strategy, nothing locked.
    pub fn free(layers: usize) -> Choice {
        Choice {
            latency: true,
            resource: true,
            locked: vec![Lock::Free; layers],
        }
    }
}

/// The fastest design of `model` that fits `board` within [`FIT_MARGIN`] (see the module docs).
pub fn choose_reuse(model: &ModelProto, board: &Board) -> Result<Folding, EstimateError> {
    let work = ModelWork::read(model)?;
    let start = Folding::from_work(&work, Strategy::Latency, false);
    let choice = Choice::free(work.layers.len());
    fold_work(&work, board, start, &choice)
}

/// Folds further from `start` (whose strategies and reuse factors are the starting point and
/// whose `mul_impl` flags are kept) until the model fits `board`, within `choice`.
pub fn fold_to_fit(
    model: &ModelProto,
    board: &Board,
    start: Folding,
    choice: &Choice,
) -> Result<Folding, EstimateError> {
    let work = ModelWork::read(model)?;
    fold_work(&work, board, start, choice)
}

/// How far above the margin the design is: 0 when it fits within it.
fn excess(e: &Estimate) -> f64 {
    let u = &e.utilization;
    [u.dsp, u.lut, u.ff, u.bram36]
        .iter()
        .map(|&p| (p / (FIT_MARGIN * 100.0) - 1.0).max(0.0))
        .sum()
}

/// Non-MAC layers follow the MAC layers: `latency` (one pipeline) when all of them are.
pub fn settle_strategies(w: &ModelWork, f: &mut Folding) {
    let all_latency = w
        .layers
        .iter()
        .zip(&f.layers)
        .filter(|(l, _)| matches!(l.shape, Shape::Mac(_)))
        .all(|(_, p)| p.strategy == Strategy::Latency);
    let s = if all_latency {
        Strategy::Latency
    } else {
        Strategy::Resource
    };
    for (l, p) in w.layers.iter().zip(f.layers.iter_mut()) {
        if !matches!(l.shape, Shape::Mac(_)) {
            p.strategy = s;
        }
    }
}

/// The advice to use fewer bits, for the widest multiply operand this design has: `--bits 8`
/// above 8 bits, fewer than it has at 8 bits or less (down to 4), nothing below.
fn fewer_bits(w: &ModelWork) -> String {
    let widest = w
        .layers
        .iter()
        .filter_map(|l| match &l.shape {
            Shape::Mac(m) => Some(m.x.width.max(m.w.width)),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    match widest {
        9.. => "fewer bits (`--bits 8`: narrower multipliers and memories), ".into(),
        5..=8 => format!(
            "fewer bits than the {widest} it uses (`--bits {}`, or `weight_bits` in a config), ",
            (widest - 2).max(4)
        ),
        _ => String::new(),
    }
}

/// The next designs down from layer `i`'s current one, in groups: the chooser takes the first
/// design of a group that reduces the excess. Folding is not monotone: at R = 1 every
/// multiplier has a constant weight (three-digit constants only cost one), at R = 2 every one
/// multiplies by a variable, so the reuse factors are tried upwards until one helps.
fn steps_down(f: &Folding, i: usize, choice: &Choice) -> Vec<Vec<Folding>> {
    let l = &f.layers[i];
    let mut out = Vec::new();
    let r = l.reuse_factor;
    let reuse: Vec<Folding> = l
        .valid_reuse()
        .iter()
        .filter(|&&v| v >= 2 * r)
        .map(|&next| {
            let mut t = f.clone();
            t.layers[i].set_reuse(next);
            t
        })
        .collect();
    out.push(reuse);
    if l.strategy == Strategy::Latency && choice.resource && choice.locked[i] == Lock::Free {
        let mut t = f.clone();
        t.layers[i].strategy = Strategy::Resource;
        out.push(vec![t]);
    }
    if l.strategy == Strategy::Resource && l.partition && l.kernel.starts_with("conv") {
        // The same convolution on unpartitioned arrays: a block RAM and the ports' wait
        // instead of registers and multiplexers.
        let mut t = f.clone();
        t.layers[i].partition = false;
        out.push(vec![t]);
    }
    out
}

/// The next designs up from layer `i`'s current one (the reverse of [`steps_down`]), never
/// above the start's: its reuse factors are lower bounds, and an unpartitioned start stays so.
fn steps_up(f: &Folding, start: &Folding, i: usize, choice: &Choice) -> Vec<Folding> {
    let l = &f.layers[i];
    let floor = start.layers[i].reuse_factor;
    let mut out: Vec<Folding> = l
        .valid_reuse()
        .iter()
        .filter(|&&v| v < l.reuse_factor && v >= floor)
        .rev()
        .take(UP_REUSE)
        .map(|&next| {
            let mut t = f.clone();
            t.layers[i].set_reuse(next);
            t
        })
        .collect();
    if l.strategy == Strategy::Resource && choice.latency && choice.locked[i] == Lock::Free {
        let mut t = f.clone();
        t.layers[i].strategy = Strategy::Latency;
        out.push(t);
    }
    if l.strategy == Strategy::Resource
        && !l.partition
        && start.layers[i].partition
        && l.kernel.starts_with("conv")
    {
        let mut t = f.clone();
        t.layers[i].partition = true;
        out.push(t);
    }
    out
}

/// Reuse factors tried per step up: the next smaller valid ones.
const UP_REUSE: usize = 4;

/// Steps down of other layers that may pay for one step up.
const PAY_STEPS: usize = 8;

/// How fast a design is, smaller first: a dataflow design by its II, then its latency; a
/// layer-sequential one by its latency, then its II.
fn speed(e: &Estimate, io: Io) -> (u64, u64) {
    match io {
        Io::Stream => (e.totals.ii, e.totals.latency_cycles),
        Io::Parallel => (e.totals.latency_cycles, e.totals.ii),
    }
}

/// Takes the fastest step up that stays within the margin, until none is faster. A step up
/// that does not fit on its own may pay with one step down of another layer (in a dataflow
/// design, a layer faster than the slowest one can fold for free).
fn climb_back(
    w: &ModelWork,
    board: &Board,
    start: &Folding,
    mut f: Folding,
    mut est: Estimate,
    choice: &Choice,
) -> Result<(Folding, Estimate), EstimateError> {
    let clock = board.default_clock_ns;
    loop {
        let mut best: Option<((u64, u64), Folding, Estimate)> = None;
        let now = speed(&est, f.io);
        let free = |i: usize| foldable(w, choice, i);
        // Per layer the moves up; in a dataflow design also one move that takes every slowest
        // stage one step up together (with several stages at the II, no single one lowers it).
        let mut moves: Vec<(Option<usize>, Folding)> = Vec::new();
        for i in (0..w.layers.len()).filter(|&i| free(i)) {
            moves.extend(
                steps_up(&f, start, i, choice)
                    .into_iter()
                    .map(|t| (Some(i), t)),
            );
        }
        if f.io == Io::Stream {
            let slowest = est.layers.iter().map(|l| l.ii).max().unwrap_or(0);
            let mut all = f.clone();
            let mut raised = 0;
            for i in (0..w.layers.len())
                .filter(|&i| free(i) && est.layers.get(i).is_some_and(|l| l.ii == slowest))
            {
                if let Some(t) = steps_up(&all, start, i, choice).into_iter().next() {
                    all = t;
                    raised += 1;
                }
            }
            if raised > 1 {
                moves.push((None, all));
            }
        }
        for (i, mut up) in moves {
            settle_strategies(w, &mut up);
            let e = evaluate(w, board, clock, &up)?;
            let found = if excess(&e) <= 0.0 {
                Some((up, e))
            } else {
                pay_for(w, board, choice, (up, e), i, now)?
            };
            if let Some((trial, e)) = found {
                let k = speed(&e, f.io);
                if k < now && best.as_ref().is_none_or(|(b, _, _)| k < *b) {
                    best = Some((k, trial, e));
                }
            }
        }
        match best {
            Some((_, trial, e)) => {
                f = trial;
                est = e;
            }
            None => return Ok((f, est)),
        }
    }
}

/// A MAC layer the chooser may fold: not K-hot (constant shifts are unrolled by construction)
/// and not fixed by the user.
fn foldable(w: &ModelWork, choice: &Choice, i: usize) -> bool {
    match &w.layers[i].shape {
        Shape::Mac(m) => m.khot.is_none() && choice.locked[i] != Lock::Fixed,
        _ => false,
    }
}

/// Pays for a step up (`up`, of layer `raised`, or of several layers) that does not fit: steps
/// other layers down, the step that lowers the excess most first, up to [`PAY_STEPS`] of them,
/// as long as the design stays faster than `now`. The design that fits, if one is reached.
fn pay_for(
    w: &ModelWork,
    board: &Board,
    choice: &Choice,
    up: (Folding, Estimate),
    raised: Option<usize>,
    now: (u64, u64),
) -> Result<Option<(Folding, Estimate)>, EstimateError> {
    let (mut cur, mut cur_e) = up;
    for _ in 0..PAY_STEPS {
        let mut pick: Option<(f64, Folding, Estimate)> = None;
        for j in (0..w.layers.len()).filter(|&j| foldable(w, choice, j) && Some(j) != raised) {
            for group in steps_down(&cur, j, choice) {
                let Some(mut t) = group.into_iter().next() else {
                    continue;
                };
                settle_strategies(w, &mut t);
                let e = evaluate(w, board, board.default_clock_ns, &t)?;
                let x = excess(&e);
                if speed(&e, cur.io) < now
                    && x < excess(&cur_e) - 1e-12
                    && pick.as_ref().is_none_or(|(px, _, _)| x < *px - 1e-12)
                {
                    pick = Some((x, t, e));
                }
            }
        }
        let Some((x, t, e)) = pick else { break };
        (cur, cur_e) = (t, e);
        if x <= 0.0 {
            return Ok(Some((cur, cur_e)));
        }
    }
    Ok(None)
}

fn fold_work(
    w: &ModelWork,
    board: &Board,
    start: Folding,
    choice: &Choice,
) -> Result<Folding, EstimateError> {
    let clock = board.default_clock_ns;
    let mut f = start.clone();
    if f.layers.len() != w.layers.len() || choice.locked.len() != w.layers.len() {
        return Err(EstimateError::Folding {
            folding: f.layers.len(),
            model: w.layers.len(),
        });
    }
    if !choice.latency {
        for (l, p) in f.layers.iter_mut().enumerate() {
            if choice.locked[l] == Lock::Free {
                p.strategy = Strategy::Resource;
            }
        }
    }
    settle_strategies(w, &mut f);
    let mut est = evaluate(w, board, clock, &f)?;
    let mut ex = excess(&est);
    while ex > 0.0 {
        let mut best: Option<(f64, u64, Folding, Estimate)> = None;
        for i in 0..w.layers.len() {
            if !foldable(w, choice, i) {
                continue;
            }
            for group in steps_down(&f, i, choice) {
                for mut trial in group {
                    settle_strategies(w, &mut trial);
                    let e = evaluate(w, board, clock, &trial)?;
                    let x = excess(&e);
                    if x >= ex - 1e-12 {
                        continue;
                    }
                    let better = match &best {
                        None => true,
                        Some((bx, bl, _, _)) => {
                            x < bx - 1e-12 || (x <= bx + 1e-12 && e.totals.latency_cycles < *bl)
                        }
                    };
                    if better {
                        best = Some((x, e.totals.latency_cycles, trial, e));
                    }
                    break;
                }
            }
        }
        match best {
            Some((x, _, trial, e)) => {
                f = trial;
                est = e;
                ex = x;
            }
            None => break,
        }
    }
    if ex <= 0.0 {
        (f, est) = climb_back(w, board, &start, f, est, choice)?;
    }
    if ex > 0.0 && choice.resource {
        // Stuck: compare with every free MAC layer `resource` at one multiplier.
        let mut full = f.clone();
        for (i, (l, p)) in w.layers.iter().zip(full.layers.iter_mut()).enumerate() {
            if let Shape::Mac(m) = &l.shape {
                if m.khot.is_none() && choice.locked[i] != Lock::Fixed {
                    if choice.locked[i] == Lock::Free {
                        p.strategy = Strategy::Resource;
                    }
                    p.set_reuse(p.products());
                }
            }
        }
        settle_strategies(w, &mut full);
        let e_full = evaluate(w, board, clock, &full)?;
        if excess(&e_full) < ex {
            ex = excess(&e_full);
            f = full;
            est = e_full;
        }
    }
    f.fits = est.fits();
    f.within_margin = ex <= 0.0;
    f.warning = if f.within_margin {
        None
    } else if f.fits {
        Some(format!(
            "folded as far as it helps, the design still uses more than {:.0}% of the {} ({}); \
             it may not place and route at {} ns",
            FIT_MARGIN * 100.0,
            board.display_name,
            super::text::over_budget_share(&est, FIT_MARGIN),
            clock
        ))
    } else {
        Some(format!(
            "the design does not fit the {} even with its multiply-accumulate layers folded as far \
             as they go (one multiplier each where that helps): {}. Try {}a larger board \
             (`--board zcu104`), or a smaller model",
            board.display_name,
            super::text::over_budget(&est),
            fewer_bits(w)
        ))
    };
    Ok(f)
}
