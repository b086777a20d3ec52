//! Interval range propagation: a range `[lo, hi]` for every tensor that holds for every input in the
//! given input range, so that integer bits chosen from it can never overflow. Weights enter with their
//! values (a Conv/Dense output channel is bounded by `b + Σ min/max(w·lo, w·hi)`), so the bounds are
//! tight for one layer; deep chains widen them (no correlation between inputs is tracked).
//!
//! [`transfer`] is one op's rule; [`propagate`] runs it over the float graph. The typing pass runs
//! the same rules over the *quantized* weights and the typed input ranges.

use super::QuantError;
use crate::ir::{Graph, Op};
use petgraph::stable_graph::NodeIndex;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// A closed interval of reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        [self.lo, self.hi].serialize(s)
    }
}

impl Interval {
    pub fn new(lo: f64, hi: f64) -> Interval {
        Interval { lo, hi }
    }
    pub fn point(v: f64) -> Interval {
        Interval { lo: v, hi: v }
    }
    pub fn hull(self, o: Interval) -> Interval {
        Interval::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }
    pub fn with(self, v: f64) -> Interval {
        self.hull(Interval::point(v))
    }
    pub fn contains(&self, o: &Interval) -> bool {
        self.lo <= o.lo && o.hi <= self.hi
    }
    fn of_values(v: &[f64]) -> Option<Interval> {
        v.iter().map(|&x| Interval::point(x)).reduce(Interval::hull)
    }
    fn map_monotone(self, f: impl Fn(f64) -> f64) -> Interval {
        let (a, b) = (f(self.lo), f(self.hi));
        Interval::new(a.min(b), a.max(b))
    }
    fn scale(self, k: f64) -> Interval {
        self.map_monotone(|x| x * k)
    }
    fn mul(self, o: Interval) -> Interval {
        let p = [
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ];
        Interval::new(
            p.iter().copied().fold(f64::INFINITY, f64::min),
            p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    }
    fn max_abs(&self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }
    fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite() && self.lo <= self.hi
    }
}

/// `f` over `x`, given the points where `f` may have an extremum inside.
fn hull_at(x: Interval, f: impl Fn(f64) -> f64, inner: &[f64]) -> Interval {
    let mut out = Interval::point(f(x.lo)).with(f(x.hi));
    for &c in inner {
        if x.lo < c && c < x.hi {
            out = out.with(f(c));
        }
    }
    out
}

/// `y = Σ_k w[m,k]·x_k + b[m]` over every output row `m` of the weight (rows along axis 0).
fn mac(x: Interval, w: &[f64], rows: usize, b: Option<&[f64]>) -> Interval {
    let per = w.len().checked_div(rows).unwrap_or(0);
    let mut out: Option<Interval> = None;
    for m in 0..rows {
        let bias = b.and_then(|b| b.get(m)).copied().unwrap_or(0.0);
        let (mut lo, mut hi) = (bias, bias);
        for &wk in &w[m * per..(m + 1) * per] {
            let (a, c) = (wk * x.lo, wk * x.hi);
            lo += a.min(c);
            hi += a.max(c);
        }
        let r = Interval::new(lo, hi);
        out = Some(out.map_or(r, |o| o.hull(r)));
    }
    out.unwrap_or(Interval::point(0.0))
}

/// The range of node `n`'s output from its inputs' ranges `ins` (in slot order); `values(i)` gives
/// the values of a constant input `i` (row-major), float or quantized.
pub fn transfer(
    g: &Graph,
    n: NodeIndex,
    ins: &[Interval],
    values: &dyn Fn(NodeIndex) -> Option<Vec<f64>>,
) -> Result<Interval, String> {
    let inputs = g.inputs_of(n);
    let arg = |i: usize| {
        ins.get(i)
            .copied()
            .ok_or_else(|| format!("missing input {i}"))
    };
    let data = |i: usize| -> Result<Vec<f64>, String> {
        inputs
            .get(i)
            .and_then(|&k| values(k))
            .ok_or_else(|| format!("input {i} must be a constant"))
    };
    let rows = |i: usize| -> usize {
        inputs
            .get(i)
            .and_then(|&k| g.node(k).shape.dims().first().and_then(|d| d.fixed()))
            .unwrap_or(1)
    };
    let out = match &g.node(n).op {
        Op::Input(_) => return Err("graph inputs get their range from outside".into()),
        Op::Const(_) => Interval::of_values(&values(n).ok_or("constant without values")?)
            .unwrap_or(Interval::point(0.0)),
        Op::Conv(c) => {
            let mut x = arg(0)?;
            if c.window.pads.iter().any(|&p| p > 0) {
                x = x.with(0.0);
            }
            let b = if inputs.len() > 2 {
                Some(data(2)?)
            } else {
                None
            };
            mac(x, &data(1)?, rows(1), b.as_deref())
        }
        Op::Dense(_) => {
            let b = if inputs.len() > 2 {
                Some(data(2)?)
            } else {
                None
            };
            mac(arg(0)?, &data(1)?, rows(1), b.as_deref())
        }
        Op::Affine(_) => affine(arg(0)?, &data(1)?, &data(2)?),
        Op::Quant(_) => {
            return Err("a Quant left after cleanup (fold-quantizers) has no range".into())
        }
        Op::BatchNorm(bn) => {
            let p: Vec<Vec<f32>> = (1..5)
                .map(|i| data(i).map(|v| v.iter().map(|&x| x as f32).collect()))
                .collect::<Result<_, _>>()?;
            let (s, t) = bn.affine(&p[0], &p[1], &p[2], &p[3]);
            let f = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
            affine(arg(0)?, &f(s), &f(t))
        }
        Op::Gemm(gm) => {
            let a = inputs.first().map(|&k| &g.node(k).shape);
            let inner = a
                .and_then(|s| s.fixed_dim(usize::from(!gm.trans_a)).ok())
                .unwrap_or(1);
            let m =
                f64::from(gm.alpha).abs() * inner as f64 * arg(0)?.max_abs() * arg(1)?.max_abs();
            let c = if ins.len() > 2 {
                f64::from(gm.beta).abs() * arg(2)?.max_abs()
            } else {
                0.0
            };
            Interval::new(-(m + c), m + c)
        }
        Op::MatMul(_) => {
            let inner = inputs
                .first()
                .map(|&k| &g.node(k).shape)
                .and_then(|s| s.fixed_dim(s.rank().saturating_sub(1)).ok())
                .unwrap_or(1);
            arg(0)?.mul(arg(1)?).scale(inner as f64).with(0.0)
        }
        Op::Add(_) => {
            let (a, b) = (arg(0)?, arg(1)?);
            Interval::new(a.lo + b.lo, a.hi + b.hi)
        }
        Op::Sub(_) => {
            let (a, b) = (arg(0)?, arg(1)?);
            Interval::new(a.lo - b.hi, a.hi - b.lo)
        }
        Op::Mul(_) => arg(0)?.mul(arg(1)?),
        Op::Div(_) => {
            let b = arg(1)?;
            if b.lo <= 0.0 && b.hi >= 0.0 {
                return Err(format!(
                    "the divisor's range [{}, {}] contains 0: the quotient is unbounded",
                    b.lo, b.hi
                ));
            }
            arg(0)?.mul(Interval::new(1.0 / b.hi, 1.0 / b.lo))
        }
        Op::Relu(_) => arg(0)?.map_monotone(|x| x.max(0.0)),
        Op::Clip(c) => {
            let (lo, hi) = (f64::from(c.min), f64::from(c.max));
            arg(0)?.map_monotone(|x| x.max(lo).min(hi))
        }
        Op::LeakyRelu(l) => {
            let a = f64::from(l.alpha);
            hull_at(arg(0)?, |x| if x >= 0.0 { x } else { a * x }, &[0.0])
        }
        Op::Sigmoid(_) => arg(0)?.map_monotone(|x| 1.0 / (1.0 + (-x).exp())),
        Op::Tanh(_) => arg(0)?.map_monotone(f64::tanh),
        Op::Selu(s) => {
            let (a, g) = (f64::from(s.alpha), f64::from(s.gamma));
            arg(0)?.map_monotone(|x| crate::ir::ops::Selu::apply(a, g, x))
        }
        Op::HardSigmoid(h) => {
            let (a, b) = (f64::from(h.alpha), f64::from(h.beta));
            arg(0)?.map_monotone(|x| (a * x + b).clamp(0.0, 1.0))
        }
        Op::HardSwish(_) => hull_at(
            arg(0)?,
            |x| x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            &[-3.0, -1.5, 3.0],
        ),
        Op::Softmax(_) => Interval::new(0.0, 1.0),
        Op::AveragePool(p) => {
            let x = arg(0)?;
            if p.count_include_pad && p.window.pads.iter().any(|&v| v > 0) {
                x.with(0.0)
            } else {
                x
            }
        }
        Op::Pad(p) => arg(0)?.with(f64::from(p.value)),
        Op::Concat(_) => ins
            .iter()
            .copied()
            .reduce(Interval::hull)
            .ok_or("no inputs")?,
        Op::MaxPool(_)
        | Op::GlobalMaxPool(_)
        | Op::GlobalAveragePool(_)
        | Op::ReduceMean(_)
        | Op::Flatten(_)
        | Op::Reshape(_)
        | Op::Squeeze(_)
        | Op::Unsqueeze(_)
        | Op::Transpose(_)
        | Op::Identity(_)
        | Op::Dropout(_) => arg(0)?,
    };
    if !out.is_finite() {
        return Err(format!(
            "range [{}, {}] is not finite: the model's values are unbounded here",
            out.lo, out.hi
        ));
    }
    Ok(out)
}

fn affine(x: Interval, s: &[f64], t: &[f64]) -> Interval {
    s.iter()
        .zip(t)
        .map(|(&s, &t)| {
            let r = x.scale(s);
            Interval::new(r.lo + t, r.hi + t)
        })
        .reduce(Interval::hull)
        .unwrap_or(x)
}

/// The float values of a constant, row-major.
pub(crate) fn const_values(g: &Graph, n: NodeIndex) -> Option<Vec<f64>> {
    g.const_data(n)
        .map(|d| d.to_f32().iter().map(|&v| f64::from(v)).collect())
}

/// Ranges of every tensor for inputs in `inputs` (one interval per graph input, or one for all).
pub fn propagate(
    g: &Graph,
    inputs: &[Interval],
) -> Result<BTreeMap<NodeIndex, Interval>, QuantError> {
    let order = g
        .topo_order()
        .map_err(|_| QuantError::node(g, &g.name, "Graph", "graph has a cycle"))?;
    let mut out: BTreeMap<NodeIndex, Interval> = BTreeMap::new();
    let values = |k: NodeIndex| const_values(g, k);
    for n in order {
        let node = g.node(n);
        let r =
            if let Op::Input(_) = node.op {
                let pos = g.inputs().iter().position(|&i| i == n).unwrap_or(0);
                inputs.get(pos).or(inputs.last()).copied().ok_or_else(|| {
                    QuantError::node(g, &node.name, "Input", "no input range given")
                })?
            } else {
                let ins: Vec<Interval> = g
                    .inputs_of(n)
                    .iter()
                    .map(|i| out.get(i).copied().unwrap_or(Interval::point(0.0)))
                    .collect();
                transfer(g, n, &ins, &values)
                    .map_err(|r| QuantError::node(g, &node.name, node.op.name(), r))?
            };
        out.insert(n, r);
    }
    Ok(out)
}
