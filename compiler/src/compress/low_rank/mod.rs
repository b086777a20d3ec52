//! low-rank: factorizes large Dense and Conv layers of the float IR by truncated SVD, after cleanup
//! and before calibration/typing (docs/low-rank.md).
//!
//! - Dense `W` (m×n) → `<layer>.lr_v` (Dense n→r, weight `Σ_r^½ V_rᵀ`, no bias), then the original
//!   node, now a Dense r→m with weight `U_r Σ_r^½` and the original bias.
//! - Conv k×k C_in→C_out, `group = 1` → `<layer>.lr_v` (k×k conv C_in→r, with the original stride,
//!   pads and dilation, no bias), then the original node as a 1×1 conv r→C_out with the bias; the
//!   SVD is that of the kernel reshaped to C_out × (C_in·k²). Grouped and depthwise convs stay.
//! - Only where it pays: `r(a + b) < a·b` (a = rows, b = columns of the reshaped weight).
//!
//! The original node keeps its name and tensor, so graph outputs, downstream layers and
//! `[layer."<name>"]` precision tables see the same layer; the new intermediate tensor
//! `<layer>.lr_v` is calibrated and typed like any other.
//!
//! Rank choice ([`rank`]): `energy=E`, `rank=R`, `macs=B` (a MAC budget for the whole model), per
//! layer from the precision config (`low_rank = "energy=0.9" | "rank=4" | "off"`);
//! `tolerance=T` is a search over those rules checked with the bit-exact interpreter
//! ([`tolerance`]).

pub mod rank;
pub mod report;
pub mod tolerance;

pub use crate::rules::{LayerRule, LowRankSpec};

use std::collections::BTreeMap;

use faer::Mat;
use ndarray::{ArrayD, IxDyn};
use petgraph::stable_graph::NodeIndex;
use serde::Serialize;

use crate::error::CompileError;
use crate::ir::ops::{Conv, Dense, Window};
use crate::ir::{Graph, Op, TensorData};
use crate::passes::{pass_err, CleanupOptions, Pass};
use crate::quant::PrecisionConfig;

pub const PASS_NAME: &str = "low-rank";

/// The shape of a factorizable layer.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerShape {
    /// Dense weight [out, in].
    Dense { out: usize, inp: usize },
    /// Conv weight [out, inp, kernel...], group 1.
    Conv {
        out: usize,
        inp: usize,
        window: Window,
    },
}

/// A layer that can be factorized, with the SVD of its (reshaped) weight `A` (rows × cols).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub node: NodeIndex,
    pub name: String,
    pub op: &'static str,
    pub shape: LayerShape,
    /// Rows of `A`: output channels / features.
    pub rows: usize,
    /// Columns of `A`: inputs per output (C_in·k² for a conv).
    pub cols: usize,
    /// Output positions per sample (1 for a Dense on [N, in]; H_out·W_out for a conv).
    pub positions: u64,
    pub has_bias: bool,
    pub svd: Factorization,
}

impl Candidate {
    /// MACs per sample of the layer as it is.
    pub fn macs(&self) -> u64 {
        self.positions * (self.rows * self.cols) as u64
    }
    /// MACs per sample of the factorized pair at rank `r`.
    pub fn macs_at(&self, r: usize) -> u64 {
        self.positions * (r * (self.rows + self.cols)) as u64
    }
    pub fn params(&self) -> u64 {
        (self.rows * self.cols + if self.has_bias { self.rows } else { 0 }) as u64
    }
    fn params_at(&self, r: usize) -> u64 {
        (r * (self.rows + self.cols) + if self.has_bias { self.rows } else { 0 }) as u64
    }
    /// The largest rank that still pays: `r(rows + cols) < rows·cols`; 0 when none does.
    pub fn max_rank(&self) -> usize {
        (self.rows * self.cols).saturating_sub(1) / (self.rows + self.cols)
    }
}

/// Thin SVD `A = U Σ Vᵀ` in f64, singular values non-increasing.
#[derive(Clone, Debug)]
pub struct Factorization {
    pub rows: usize,
    pub cols: usize,
    /// rows × k, row-major (k = min(rows, cols)).
    pub u: Vec<f64>,
    /// The singular values, non-increasing.
    pub sigma: Vec<f64>,
    /// cols × k, row-major.
    pub v: Vec<f64>,
}

impl Factorization {
    /// The SVD of the row-major `rows × cols` matrix `a`.
    pub fn new(a: &[f64], rows: usize, cols: usize) -> Result<Factorization, String> {
        if a.len() != rows * cols || rows == 0 || cols == 0 {
            return Err(format!(
                "{} values do not make a {rows}×{cols} matrix",
                a.len()
            ));
        }
        if a.iter().any(|x| !x.is_finite()) {
            return Err("the weight has a non-finite value".into());
        }
        let m = Mat::<f64>::from_fn(rows, cols, |i, j| a[i * cols + j]);
        let svd = m
            .thin_svd()
            .map_err(|e| format!("SVD did not converge: {e:?}"))?;
        let k = rows.min(cols);
        let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
        let sigma: Vec<f64> = (0..k).map(|i| s[i]).collect();
        let u = (0..rows)
            .flat_map(|i| (0..k).map(move |j| u[(i, j)]))
            .collect();
        let v = (0..cols)
            .flat_map(|i| (0..k).map(move |j| v[(i, j)]))
            .collect();
        Ok(Factorization {
            rows,
            cols,
            u,
            sigma,
            v,
        })
    }

    pub fn energy(&self) -> f64 {
        self.sigma.iter().map(|s| s * s).sum()
    }

    /// `Σ_{i >= r} σ_i²`: the squared Frobenius error of the rank-`r` truncation.
    pub fn discarded(&self, r: usize) -> f64 {
        self.sigma.iter().skip(r).map(|s| s * s).sum()
    }

    /// The two factors at rank `r`: `(U_r Σ_r^½` (rows × r), `Σ_r^½ V_rᵀ` (r × cols)), row-major.
    pub fn factors(&self, r: usize) -> (Vec<f64>, Vec<f64>) {
        let k = self.sigma.len();
        let r = r.min(k);
        let root: Vec<f64> = self.sigma[..r].iter().map(|s| s.sqrt()).collect();
        let left = (0..self.rows)
            .flat_map(|i| (0..r).map(move |j| (i, j)))
            .map(|(i, j)| self.u[i * k + j] * root[j])
            .collect();
        let right = (0..r)
            .flat_map(|j| (0..self.cols).map(move |c| (j, c)))
            .map(|(j, c)| root[j] * self.v[c * k + j])
            .collect();
        (left, right)
    }

    /// `U_r Σ_r V_rᵀ`, row-major (rows × cols).
    pub fn reconstruct(&self, r: usize) -> Vec<f64> {
        let (l, rt) = self.factors(r);
        let r = r.min(self.sigma.len());
        let mut out = vec![0.0; self.rows * self.cols];
        for i in 0..self.rows {
            for j in 0..r {
                let a = l[i * r + j];
                for c in 0..self.cols {
                    out[i * self.cols + c] += a * rt[j * self.cols + c];
                }
            }
        }
        out
    }
}

/// The layers of `g` the pass can factorize, in topological order, each with its SVD.
pub fn candidates(g: &Graph) -> Result<Vec<Candidate>, CompileError> {
    let order = g.topo_order().map_err(|n| {
        pass_err(
            g,
            PASS_NAME,
            format!("the graph has a cycle through '{}'", g.node(n).name),
        )
    })?;
    let mut out = Vec::new();
    for n in order {
        let node = g.node(n);
        let ins = g.inputs_of(n);
        let Some(w) = ins.get(1).and_then(|&w| g.const_f32(w)) else {
            continue;
        };
        let has_bias = match ins.get(2) {
            None => false,
            Some(&b) if g.const_f32(b).is_some() => true,
            Some(_) => continue,
        };
        let ws = w.shape();
        let out_numel = node.shape.fixed_numel().unwrap_or(0);
        let (shape, rows, cols) = match &node.op {
            Op::Dense(_) if ws.len() == 2 => (
                LayerShape::Dense {
                    out: ws[0],
                    inp: ws[1],
                },
                ws[0],
                ws[1],
            ),
            Op::Conv(c) if c.group == 1 && ws.len() >= 3 => (
                LayerShape::Conv {
                    out: ws[0],
                    inp: ws[1],
                    window: c.window.clone(),
                },
                ws[0],
                ws[1..].iter().product(),
            ),
            _ => continue,
        };
        if rows == 0 || cols == 0 {
            continue;
        }
        let a: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
        let svd = Factorization::new(&a, rows, cols).map_err(|e| {
            pass_err(
                g,
                PASS_NAME,
                format!("node '{}' ({}): {e}", node.name, node.op.name()),
            )
        })?;
        out.push(Candidate {
            node: n,
            name: node.name.clone(),
            op: node.op.name(),
            shape,
            rows,
            cols,
            positions: out_numel / rows as u64,
            has_bias,
            svd,
        });
    }
    Ok(out)
}

/// One factorized layer, for the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decomposed {
    pub layer: String,
    pub op: String,
    /// The new first layer (and its output tensor).
    pub first: String,
    /// `[rows, cols]` of the (reshaped) weight.
    pub matrix: [usize; 2],
    pub rank: usize,
    /// What chose the rank (`energy=0.95`, `macs=0.5`, `[layer."fc"] rank=4`, ...).
    pub rule: String,
    /// Share of `Σσ²` the kept rank holds.
    pub energy_kept: f64,
    pub params_before: u64,
    pub params_after: u64,
    pub macs_before: u64,
    pub macs_after: u64,
}

/// The rank chosen for one layer and the rule that chose it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub rank: usize,
    pub rule: String,
}

/// The pass: factorizes the layers named in `ranks` (node name → rank and rule). Ranks come from
/// [`rank::plan`]; by name in the registry the plan is empty and the pass changes nothing.
#[derive(Clone, Debug, Default)]
pub struct LowRank {
    pub ranks: BTreeMap<String, Choice>,
}

impl LowRank {
    /// The pass with the ranks `rule` (and the precision config's `low_rank` keys) choose for `g`.
    pub fn plan(
        g: &Graph,
        cands: &[Candidate],
        rule: Option<LowRankSpec>,
        cfg: Option<&PrecisionConfig>,
    ) -> Result<LowRank, CompileError> {
        Ok(LowRank {
            ranks: rank::plan(g, cands, rule, cfg)?,
        })
    }

    /// (layer, rank) of every planned layer, by name.
    pub fn rank_list(&self) -> Vec<(String, usize)> {
        self.ranks
            .iter()
            .map(|(k, c)| (k.clone(), c.rank))
            .collect()
    }

    /// Rewrites every planned layer; returns what it did, in topological order.
    pub fn apply(
        &self,
        g: &mut Graph,
        cands: &[Candidate],
    ) -> Result<Vec<Decomposed>, CompileError> {
        let mut done = Vec::new();
        for c in cands {
            let Some(choice) = self.ranks.get(&c.name) else {
                continue;
            };
            if g.get(c.node).map(|n| n.name.as_str()) != Some(c.name.as_str()) {
                return Err(pass_err(
                    g,
                    PASS_NAME,
                    format!("layer '{}' is no longer in the graph", c.name),
                ));
            }
            done.push(factorize(g, c, choice)?);
        }
        if !done.is_empty() {
            g.remove_dead();
        }
        Ok(done)
    }
}

impl Pass for LowRank {
    fn name(&self) -> &'static str {
        PASS_NAME
    }
    fn run(&self, g: &mut Graph, _: &CleanupOptions) -> Result<bool, CompileError> {
        if self.ranks.is_empty() {
            return Ok(false);
        }
        let cands = candidates(g)?;
        Ok(!self.apply(g, &cands)?.is_empty())
    }
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn add_weight(
    g: &mut Graph,
    base: &str,
    dims: &[usize],
    v: Vec<f32>,
) -> Result<NodeIndex, CompileError> {
    let a = ArrayD::from_shape_vec(IxDyn(dims), v)
        .map_err(|e| pass_err(g, PASS_NAME, e.to_string()))?;
    let name = g.fresh_name(base);
    g.add_const(name, TensorData::F32(a))
}

/// Replaces layer `c` by the pair at `choice.rank`.
fn factorize(g: &mut Graph, c: &Candidate, choice: &Choice) -> Result<Decomposed, CompileError> {
    let r = choice.rank;
    if r == 0 || r > c.max_rank() || r > c.svd.sigma.len() {
        return Err(pass_err(
            g,
            PASS_NAME,
            format!(
                "node '{}': rank {r} does not pay off for a {}×{} weight (at most {})",
                c.name,
                c.rows,
                c.cols,
                c.max_rank().min(c.svd.sigma.len())
            ),
        ));
    }
    let (left, right) = c.svd.factors(r);
    let ins = g.inputs_of(c.node);
    let x = ins[0];
    let bias = ins.get(2).copied();
    let first_name = g.fresh_name(&format!("{}.lr_v", c.name));
    let (first, second_w) = match &c.shape {
        LayerShape::Dense { out, inp } => {
            let v = add_weight(
                g,
                &format!("{first_name}.weight"),
                &[r, *inp],
                to_f32(&right),
            )?;
            let first = g.add_node(first_name.clone(), first_name.clone(), Dense, &[x, v])?;
            let u_name = format!("{}.lr_u.weight", c.name);
            let u = add_weight(g, &u_name, &[*out, r], to_f32(&left))?;
            (first, (u, Op::from(Dense)))
        }
        LayerShape::Conv { out, inp, window } => {
            let mut dims = vec![r, *inp];
            dims.extend(&window.kernel);
            let v = add_weight(g, &format!("{first_name}.weight"), &dims, to_f32(&right))?;
            let conv = Conv {
                window: window.clone(),
                group: 1,
            };
            let first = g.add_node(first_name.clone(), first_name.clone(), conv, &[x, v])?;
            let k = window.kernel.len();
            let mut dims = vec![*out, r];
            dims.extend(std::iter::repeat_n(1, k));
            let u = add_weight(g, &format!("{}.lr_u.weight", c.name), &dims, to_f32(&left))?;
            let pointwise = Conv {
                window: Window::new(vec![1; k]),
                group: 1,
            };
            (first, (u, Op::from(pointwise)))
        }
    };
    let (u, op) = second_w;
    let mut args = vec![first, u];
    args.extend(bias);
    g.set_op(c.node, op, &args)?;
    let energy = c.svd.energy();
    Ok(Decomposed {
        layer: c.name.clone(),
        op: c.op.to_string(),
        first: first_name,
        matrix: [c.rows, c.cols],
        rank: r,
        rule: choice.rule.clone(),
        energy_kept: if energy > 0.0 {
            1.0 - c.svd.discarded(r) / energy
        } else {
            1.0
        },
        params_before: c.params(),
        params_after: c.params_at(r),
        macs_before: c.macs(),
        macs_after: c.macs_at(r),
    })
}

/// Finds the candidates, plans by `rule` and the config, rewrites, and verifies the graph.
pub fn run(
    g: &mut Graph,
    rule: Option<LowRankSpec>,
    cfg: Option<&PrecisionConfig>,
) -> Result<Vec<Decomposed>, CompileError> {
    let cands = candidates(g)?;
    let pass = LowRank::plan(g, &cands, rule, cfg)?;
    let done = pass.apply(g, &cands)?;
    g.verify_after(PASS_NAME)?;
    Ok(done)
}

/// What `compile` runs: the search for `tolerance=T` (which needs `data`), the rules otherwise
/// (the flag's, and the config's `low_rank` keys, which apply without a flag too).
pub fn for_compile(
    g: &mut Graph,
    rule: Option<LowRankSpec>,
    cfg: &PrecisionConfig,
    score: Option<&dyn tolerance::Score>,
) -> Result<(Vec<Decomposed>, Option<tolerance::Search>), CompileError> {
    match (rule, score) {
        (Some(LowRankSpec::Tolerance(t)), Some(score)) => {
            let (done, search) = tolerance::search(g, t, cfg, score)?;
            Ok((done, Some(search)))
        }
        (Some(LowRankSpec::Tolerance(t)), None) => Err(pass_err(
            g,
            PASS_NAME,
            format!("--low-rank tolerance={t} needs labelled calibration data (--calib X.npy --labels L.npy)"),
        )),
        _ => Ok((run(g, rule, Some(cfg))?, None)),
    }
}

#[cfg(test)]
mod tests;
