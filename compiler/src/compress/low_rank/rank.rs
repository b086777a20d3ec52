//! Rank choice for the low-rank pass.
//!
//! Each factorizable layer gets its rule from, most specific first: its `[layer."<name>"]` table
//! (node, then tensor name), its `[op.<Type>]` table (`Dense`/`Conv`, then the ONNX aliases
//! `Gemm`/`MatMul`), the `--low-rank` flag, the config's `[default]` table. Then:
//!
//! - `energy=E`: the smallest `r` with `Σ_{i<r} σ_i² >= E·Σ σ_i²`.
//! - `rank=R`: `min(R, rank of the weight)`.
//! - `off`: the layer stays.
//! - `macs=B` (flag only): every layer without a rule of its own shares one budget, `B` times the
//!   model's MACs per sample, minus what every other layer costs. Greedy: all of them start at rank
//!   1; then, while a step fits in what is left, the step with the most *relative energy per MAC*
//!   is taken: one more rank (gain `σ_r² / Σσ²`, cost `positions·(rows + cols)` MACs), or, when the
//!   next rank no longer pays off, the whole layer back (gain: all the energy still discarded,
//!   cost: the difference to the original). Layers whose spectrum falls fast stop at a low rank;
//!   flat spectra get the MACs. Ties go to the earlier layer.
//!
//! A layer is factorized only when its rank pays off (`r(rows + cols) < rows·cols`); otherwise it
//! stays as it is.

use std::collections::BTreeMap;

use super::{Candidate, Choice, LayerRule, LowRankSpec, PASS_NAME};
use crate::error::CompileError;
use crate::ir::{Graph, Shape};
use crate::passes::pass_err;
use crate::quant::config::{PrecisionConfig, OP_ALIASES};

/// Relative slack on the energy comparison, so that `energy=1` keeps every non-zero σ and
/// rounding in `Σσ²` does not add a rank.
const ENERGY_SLACK: f64 = 1e-12;

/// The rank `rule` gives candidate `c` (before the pays-off check); None when it keeps the layer.
pub fn rank_for(c: &Candidate, rule: LayerRule) -> Option<usize> {
    let k = c.svd.sigma.len();
    let total = c.svd.energy();
    if total <= 0.0 {
        return None;
    }
    match rule {
        LayerRule::Off => None,
        LayerRule::Rank(r) => Some(r.min(k)),
        LayerRule::Energy(e) => {
            let target = e * total * (1.0 - ENERGY_SLACK);
            let mut kept = 0.0;
            for (i, s) in c.svd.sigma.iter().enumerate() {
                kept += s * s;
                if kept >= target {
                    return Some(i + 1);
                }
            }
            Some(k)
        }
    }
}

/// The precision config's `low_rank` for `c`: from its own layer or op table (`specific`), or from
/// `[default]`.
fn config_rule(
    g: &Graph,
    c: &Candidate,
    cfg: &PrecisionConfig,
) -> (Option<(LayerRule, String)>, Option<LayerRule>) {
    let node = g.node(c.node);
    let mut tables: Vec<(String, Option<LayerRule>)> = Vec::new();
    for name in [&node.name, &node.tensor] {
        tables.push((
            format!("[layer.\"{name}\"]"),
            cfg.layer.get(name.as_str()).and_then(|l| l.low_rank),
        ));
    }
    tables.push((
        format!("[op.{}]", c.op),
        cfg.op.get(c.op).and_then(|l| l.low_rank),
    ));
    for (alias, target) in OP_ALIASES {
        if *target == c.op {
            tables.push((
                format!("[op.{alias}]"),
                cfg.op.get(*alias).and_then(|l| l.low_rank),
            ));
        }
    }
    let specific = tables
        .into_iter()
        .find_map(|(t, r)| r.map(|r| (r, format!("{t} low_rank = \"{r}\""))));
    (specific, cfg.default.low_rank)
}

/// MACs per sample of every node of `g`.
pub fn model_macs(g: &Graph) -> u64 {
    g.node_indices()
        .into_iter()
        .map(|n| {
            let node = g.node(n);
            let ins: Vec<&Shape> = g
                .inputs_of(n)
                .into_iter()
                .map(|i| &g.node(i).shape)
                .collect();
            node.op.spec().macs(&ins, &node.shape)
        })
        .sum()
}

/// Node name → rank for every layer to factorize.
pub fn plan(
    g: &Graph,
    cands: &[Candidate],
    rule: Option<LowRankSpec>,
    cfg: Option<&PrecisionConfig>,
) -> Result<BTreeMap<String, Choice>, CompileError> {
    let mut out = BTreeMap::new();
    // (candidate index) of the layers sharing a MAC budget.
    let mut budgeted = Vec::new();
    let mut fixed_macs: u64 = 0;
    for (i, c) in cands.iter().enumerate() {
        let (specific, default) = match cfg {
            Some(cfg) => config_rule(g, c, cfg),
            None => (None, None),
        };
        let chosen: Option<(LayerRule, String)> = match (specific, rule, default) {
            (Some(s), _, _) => Some(s),
            (None, Some(LowRankSpec::Layer(r)), _) => Some((r, format!("--low-rank {r}"))),
            (None, Some(LowRankSpec::Macs(_)), _) => {
                budgeted.push(i);
                continue;
            }
            (None, Some(LowRankSpec::Tolerance(t)), _) => {
                return Err(pass_err(
                    g,
                    PASS_NAME,
                    format!("tolerance={t} is a search over rules (low_rank::tolerance::search), not a rule of its own"),
                ))
            }
            (None, None, Some(d)) => Some((d, format!("[default] low_rank = \"{d}\""))),
            (None, None, None) => None,
        };
        let r = chosen
            .as_ref()
            .and_then(|(rule, _)| rank_for(c, *rule))
            .filter(|&r| r <= c.max_rank());
        match (r, chosen) {
            (Some(r), Some((_, why))) => {
                fixed_macs += c.macs_at(r);
                out.insert(c.name.clone(), Choice { rank: r, rule: why });
            }
            _ => fixed_macs += c.macs(),
        }
    }
    if let Some(LowRankSpec::Macs(b)) = rule {
        if !budgeted.is_empty() {
            let others = model_macs(g) - cands.iter().map(|c| c.macs()).sum::<u64>();
            let budget = (b * model_macs(g) as f64).floor() as u64;
            let picked = spend(g, cands, &budgeted, budget, others + fixed_macs, b)?;
            for (i, r) in picked {
                out.insert(
                    cands[i].name.clone(),
                    Choice {
                        rank: r,
                        rule: format!("--low-rank macs={b}"),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// The greedy MAC budget (module docs). Returns (candidate index, rank) of the layers that stay
/// factorized.
fn spend(
    g: &Graph,
    cands: &[Candidate],
    layers: &[usize],
    budget: u64,
    fixed: u64,
    b: f64,
) -> Result<Vec<(usize, usize)>, CompileError> {
    // rank per budgeted layer; None = whole (original) layer.
    let mut rank: Vec<Option<usize>> = layers
        .iter()
        .map(|&i| {
            let c = &cands[i];
            (c.max_rank().min(c.svd.sigma.len()) >= 1 && c.svd.energy() > 0.0).then_some(1)
        })
        .collect();
    let cost = |rank: &[Option<usize>]| -> u64 {
        layers
            .iter()
            .zip(rank)
            .map(|(&i, r)| r.map_or(cands[i].macs(), |r| cands[i].macs_at(r)))
            .sum()
    };
    let least = fixed + cost(&rank);
    if least > budget {
        return Err(pass_err(
            g,
            PASS_NAME,
            format!(
                "--low-rank macs={b}: the budget of {budget} MACs per sample is below the least this \
                 model can reach ({least}: every factorizable layer at rank 1, the rest as they are); \
                 raise B"
            ),
        ));
    }
    let mut left = budget - least;
    loop {
        // (ratio, slot, cost of the step)
        let mut best: Option<(f64, usize, u64)> = None;
        for (slot, &i) in layers.iter().enumerate() {
            let Some(r) = rank[slot] else { continue };
            let c = &cands[i];
            let total = c.svd.energy();
            let (gain, step) = if r < c.max_rank().min(c.svd.sigma.len()) {
                (
                    c.svd.sigma[r].powi(2) / total,
                    c.macs_at(r + 1) - c.macs_at(r),
                )
            } else {
                (c.svd.discarded(r) / total, c.macs() - c.macs_at(r))
            };
            if gain <= 0.0 || step > left {
                continue;
            }
            let ratio = gain / step.max(1) as f64;
            if best.is_none_or(|(b, _, _)| ratio > b) {
                best = Some((ratio, slot, step));
            }
        }
        let Some((_, slot, step)) = best else { break };
        let i = layers[slot];
        let c = &cands[i];
        rank[slot] = match rank[slot] {
            Some(r) if r < c.max_rank().min(c.svd.sigma.len()) => Some(r + 1),
            _ => None,
        };
        left -= step;
    }
    Ok(layers
        .iter()
        .zip(rank)
        .filter_map(|(&i, r)| r.map(|r| (i, r)))
        .collect())
}
