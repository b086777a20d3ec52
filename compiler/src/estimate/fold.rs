//! The folding chooser: the smallest reuse factors (the most parallel design) that fit the board
//! within [`FIT_MARGIN`] of every resource.
//!
//! Greedy, from the most parallel folding: while some resource is above the margin, try halving
//! the multipliers of each MAC layer that can still fold (`P → ceil(P/2)`, `R = ceil(fan_in/P)`),
//! keep the step that lowers the total excess (`Σ max(0, used/(margin·budget) − 1)`) the most
//! (ties: the smallest latency), and repeat. It stops when nothing is above the margin, or when
//! no step helps (activation arrays and fixed costs do not fold); then it also tries the fully
//! folded design and reports, in words, what does not fit.

use binpoint_runtime::model::format::ModelProto;

use super::work::{ModelWork, Shape};
use super::{evaluate, Estimate, EstimateError, Folding, FIT_MARGIN};
use crate::board::Board;

/// The most parallel folding of `model` that fits `board` within [`FIT_MARGIN`] (see the module
/// docs). Every layer's multiplies as HLS chooses ([`super::MulImpl::Auto`]).
pub fn choose_reuse(model: &ModelProto, board: &Board) -> Result<Folding, EstimateError> {
    let work = ModelWork::read(model)?;
    let start = Folding::from_work(&work, false);
    fold_work(&work, board, start)
}

/// Folds further from `start` (whose reuse factors are the lower bounds and whose `mul_impl`
/// flags are kept, e.g. shift-add layers from the K-hot rewrite) until the model fits `board`.
pub fn fold_to_fit(
    model: &ModelProto,
    board: &Board,
    start: Folding,
) -> Result<Folding, EstimateError> {
    let work = ModelWork::read(model)?;
    fold_work(&work, board, start)
}

/// How far above the margin the design is: 0 when it fits within it.
fn excess(e: &Estimate) -> f64 {
    let u = &e.utilization;
    [u.dsp, u.lut, u.ff, u.bram36]
        .iter()
        .map(|&p| (p / (FIT_MARGIN * 100.0) - 1.0).max(0.0))
        .sum()
}

fn fold_work(w: &ModelWork, board: &Board, start: Folding) -> Result<Folding, EstimateError> {
    let clock = board.default_clock_ns;
    let mut f = start;
    if f.layers.len() != w.layers.len() {
        return Err(EstimateError::Folding {
            folding: f.layers.len(),
            model: w.layers.len(),
        });
    }
    // Start no lower than each kernel can reach.
    for (l, lf) in w.layers.iter().zip(f.layers.iter_mut()) {
        if let Shape::Mac(m) = &l.shape {
            lf.fan_in = m.fan_in;
            let r = lf.reuse_factor.max(m.min_reuse);
            lf.set_reuse(r);
        }
    }
    let mut est = evaluate(w, board, clock, &f)?;
    let mut ex = excess(&est);
    while ex > 0.0 {
        let mut best: Option<(f64, u64, Folding, Estimate)> = None;
        for (i, l) in w.layers.iter().enumerate() {
            let Shape::Mac(m) = &l.shape else { continue };
            if m.khot.is_some() {
                continue; // constant-shift circuits: unrolled by construction
            }
            let lf = &f.layers[i];
            let p = m.fan_in.div_ceil(lf.reuse_factor);
            if p <= 1 {
                continue;
            }
            let mut trial = f.clone();
            trial.layers[i].set_reuse(m.fan_in.div_ceil(p.div_ceil(2)));
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
    if ex > 0.0 {
        // Stuck: compare with every MAC layer down to one multiplier.
        let mut full = f.clone();
        for (l, lf) in w.layers.iter().zip(full.layers.iter_mut()) {
            if let Shape::Mac(m) = &l.shape {
                if m.khot.is_none() {
                    lf.set_reuse(m.fan_in);
                }
            }
        }
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
             as they go (one multiplier each where that helps): {}. Try fewer bits (`--bits 8`: \
             narrower multipliers and memories), a larger board (`--board zcu104`), or a \
             smaller model",
            board.display_name,
            super::text::over_budget(&est)
        ))
    };
    Ok(f)
}
