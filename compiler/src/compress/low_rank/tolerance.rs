//! `--low-rank tolerance=T`: the largest MAC reduction whose fixed-point accuracy on the labelled
//! calibration data drops by at most `T` percentage points, measured with the bit-exact
//! interpreter.
//!
//! Every candidate rule of [`CANDIDATES`] (energy levels and MAC budgets) is planned on the float
//! graph; plans that factorize nothing, or the same ranks as an earlier candidate, are dropped. Each
//! remaining plan is applied to a copy of the graph, which the caller's [`Score`] measures: the
//! pipeline gives one that compiles the graph exactly as `compile` ships it (K-hot projection,
//! calibration, typing, lowering, the interpreter on every sample; `pipeline::Labelled`), so this
//! phase never runs the backend itself. The baseline is the undecomposed model, measured the same
//! way. The best plan has the fewest MACs per sample among those within
//! `T` points of the baseline (ties: the higher accuracy, then the earlier candidate); when none is,
//! nothing is factorized. Accuracy is not monotone in the rank, so every candidate is measured.
//!
//! Then a refinement, since one rule for all layers rarely suits each: layer by layer, costliest
//! first, lower the rank by a quarter (else by one) and keep the change when the accuracy stays
//! within `T` points; repeat while anything changes, at most [`MAX_REFINE_TRIALS`] measurements.
//! Every measurement is a `Trial` in the report (refined ones named `energy=0.93 + <layer>:9`).

use serde::Serialize;

use super::rank::model_macs;
use super::{candidates, Decomposed, LayerRule, LowRank, LowRankSpec, PASS_NAME};
use crate::error::CompileError;
use crate::ir::Graph;
use crate::passes::pass_err;
use crate::quant::PrecisionConfig;

/// The rules the search tries.
const CANDIDATES: &[LowRankSpec] = &[
    LowRankSpec::Layer(LayerRule::Energy(0.5)),
    LowRankSpec::Layer(LayerRule::Energy(0.6)),
    LowRankSpec::Layer(LayerRule::Energy(0.7)),
    LowRankSpec::Layer(LayerRule::Energy(0.8)),
    LowRankSpec::Layer(LayerRule::Energy(0.85)),
    LowRankSpec::Layer(LayerRule::Energy(0.9)),
    LowRankSpec::Layer(LayerRule::Energy(0.93)),
    LowRankSpec::Layer(LayerRule::Energy(0.95)),
    LowRankSpec::Layer(LayerRule::Energy(0.97)),
    LowRankSpec::Layer(LayerRule::Energy(0.98)),
    LowRankSpec::Layer(LayerRule::Energy(0.99)),
    LowRankSpec::Layer(LayerRule::Energy(0.995)),
    LowRankSpec::Layer(LayerRule::Energy(0.999)),
    LowRankSpec::Macs(0.2),
    LowRankSpec::Macs(0.3),
    LowRankSpec::Macs(0.4),
    LowRankSpec::Macs(0.5),
    LowRankSpec::Macs(0.6),
    LowRankSpec::Macs(0.7),
    LowRankSpec::Macs(0.8),
    LowRankSpec::Macs(0.9),
];

/// How the search measures a candidate: the fixed-point accuracy (0..1) of a float graph compiled
/// as the pipeline ships it, on labelled data.
pub trait Score {
    /// Labelled samples the accuracy is measured on.
    fn samples(&self) -> usize;
    fn accuracy(&self, g: &Graph) -> Result<f64, String>;
}

/// One measured candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trial {
    pub rule: String,
    /// Layers factorized.
    pub layers: usize,
    /// MACs per sample of the whole model.
    pub macs: u64,
    pub fixed_accuracy: f64,
}

/// What the search measured and chose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Search {
    pub tolerance: f64,
    pub samples: usize,
    pub baseline_macs: u64,
    pub baseline_accuracy: f64,
    /// The chosen rule, None when no candidate stayed within the tolerance.
    pub chosen: Option<String>,
    pub trials: Vec<Trial>,
}

/// A plan and what it measured.
struct Best {
    macs: u64,
    accuracy: f64,
    plan: LowRank,
    label: String,
}

/// Runs the search and factorizes `g` with the chosen plan (the precision config's own `low_rank`
/// rules stay in force in every candidate).
pub fn search(
    g: &mut Graph,
    tolerance: f64,
    cfg: &PrecisionConfig,
    score: &dyn Score,
) -> Result<(Vec<Decomposed>, Search), CompileError> {
    let err = |g: &Graph, what: &str, e: String| {
        pass_err(g, PASS_NAME, format!("tolerance={tolerance}: {what}: {e}"))
    };
    let cands = candidates(g)?;
    let baseline_accuracy = score.accuracy(g).map_err(|e| err(g, "baseline", e))?;
    let baseline_macs = model_macs(g);
    let within = |acc: f64| (baseline_accuracy - acc) * 100.0 <= tolerance + 1e-9;
    let mut trials = Vec::new();
    // Applies a plan to a copy of the graph and measures it.
    let mut measure = |plan: &LowRank, label: String| -> Result<(u64, f64), CompileError> {
        let mut trial = g.clone();
        plan.apply(&mut trial, &cands)?;
        trial.verify_after(PASS_NAME)?;
        let acc = score
            .accuracy(&trial)
            .map_err(|e| err(g, &format!("candidate {label}"), e))?;
        let macs = model_macs(&trial);
        trials.push(Trial {
            rule: label,
            layers: plan.ranks.len(),
            macs,
            fixed_accuracy: acc,
        });
        Ok((macs, acc))
    };
    let mut seen = Vec::new();
    let mut best: Option<Best> = None;
    for &rule in CANDIDATES {
        let plan = match LowRank::plan(g, &cands, Some(rule), Some(cfg)) {
            Ok(p) => p,
            // A MAC budget below what rank 1 everywhere reaches.
            Err(_) if matches!(rule, LowRankSpec::Macs(_)) => continue,
            Err(e) => return Err(e),
        };
        let ranks = plan.rank_list();
        if ranks.is_empty() || seen.contains(&ranks) {
            continue;
        }
        seen.push(ranks);
        let (macs, acc) = measure(&plan, rule.to_string())?;
        let better = best
            .as_ref()
            .is_none_or(|b| macs < b.macs || (macs == b.macs && acc > b.accuracy));
        if within(acc) && better && macs < baseline_macs {
            best = Some(Best {
                macs,
                accuracy: acc,
                plan: relabel(plan, &format!("tolerance={tolerance} (chose {rule})")),
                label: rule.to_string(),
            });
        }
    }
    // Refinement: lower one layer's rank at a time (by a quarter, else by one) while the result
    // stays within the tolerance; at most MAX_REFINE_TRIALS more measurements.
    if let Some(b) = best.as_mut() {
        let (base, base_plan) = (b.label.clone(), b.plan.clone());
        let mut left = MAX_REFINE_TRIALS;
        let mut improved = true;
        while improved && left > 0 {
            improved = false;
            let mut layers: Vec<(u64, String)> = b
                .plan
                .ranks
                .iter()
                .filter(|(_, c)| c.rule.starts_with("--low-rank"))
                .filter_map(|(name, c)| {
                    let cand = cands.iter().find(|x| &x.name == name)?;
                    Some((cand.macs_at(c.rank), name.clone()))
                })
                .collect();
            // The costliest layers first; names break ties.
            layers.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
            for (_, name) in layers {
                let r = b.plan.ranks[&name].rank;
                let mut steps = vec![(r / 4).max(1), 1];
                steps.dedup();
                for step in steps {
                    if step >= r || left == 0 {
                        continue;
                    }
                    left -= 1;
                    let mut plan = b.plan.clone();
                    if let Some(c) = plan.ranks.get_mut(&name) {
                        c.rank = r - step;
                    }
                    let label = refined_label(&base, &base_plan, &plan);
                    let (macs, acc) = measure(&plan, label.clone())?;
                    if within(acc) && macs < b.macs {
                        *b = Best {
                            macs,
                            accuracy: acc,
                            plan,
                            label,
                        };
                        improved = true;
                        break;
                    }
                }
            }
        }
        let label = b.label.clone();
        b.plan = relabel(
            std::mem::take(&mut b.plan),
            &format!("tolerance={tolerance} (chose {label})"),
        );
    }
    let chosen = best.as_ref().map(|b| b.label.clone());
    let done = match best {
        Some(b) => {
            let done = b.plan.apply(g, &cands)?;
            g.verify_after(PASS_NAME)?;
            done
        }
        None => Vec::new(),
    };
    Ok((
        done,
        Search {
            tolerance,
            samples: score.samples(),
            baseline_macs,
            baseline_accuracy,
            chosen,
            trials,
        },
    ))
}

/// Measurements the refinement may add after the candidate rules.
const MAX_REFINE_TRIALS: usize = 40;

/// `energy=0.93 + /fc/Gemm:10`: the base rule and every rank the refinement changed, by layer.
fn refined_label(base: &str, base_plan: &LowRank, plan: &LowRank) -> String {
    let mut s = base.to_string();
    for (name, c) in &plan.ranks {
        if base_plan.ranks.get(name).map(|b| b.rank) != Some(c.rank) {
            s.push_str(&format!(" + {name}:{}", c.rank));
        }
    }
    s
}

/// Names the search in every rule the plan's flag chose (config rules keep their own label).
fn relabel(mut plan: LowRank, why: &str) -> LowRank {
    for c in plan.ranks.values_mut() {
        if c.rule.starts_with("--low-rank") {
            c.rule = format!("--low-rank {why}");
        }
    }
    plan
}
