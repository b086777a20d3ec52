//! A constant matrix times a vector (`y_o = Σ_i W[o][i]·x_i`, integers) as one adder graph with
//! the common subexpressions of the whole matrix shared, then summed per output by level. Pure
//! data: no Verilog here ([`super::adders`] renders it, `estimate::rtl` counts it).
//!
//! 1. Every weight is its canonical-signed-digit form: output `o` is a set of terms
//!    `±(x_i << s)`.
//! 2. Two-term common-subexpression elimination across all outputs: the pattern
//!    `(a << s) ± (b << (s + d))` (two nodes, a relative shift, a relative sign; any base shift `s`)
//!    that occurs most often is made one new node `n = (a << ka) ± (b << kb)` and every occurrence
//!    becomes one term `±(n << s)`. Repeated while some pattern occurs at least twice. Ties go to
//!    the pattern whose node sits at the lower adder level, then to the smaller key: the graph is
//!    a function of the matrix and the input types only (deterministic).
//! 3. Each output's remaining terms are summed two at a time, always the two of lowest level
//!    first (a Huffman-like order by level), so the depth stays `max level + ceil(log2 terms)` at
//!    worst.
//!
//! Every node carries its value as an exact linear combination of the inputs, so its range over
//! the input box, and so its width, is exact: no bit is wider than the values it can hold.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use binpoint_runtime::fixed::csd_digits;

/// One signed, shifted use of a node: `±(node << shift)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    pub node: usize,
    pub shift: u32,
    pub negative: bool,
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Input `i` of the vector.
    Input(usize),
    /// `(a << ka) + (b << kb)` or, when `subtract`, `(a << ka) - (b << kb)`.
    Add {
        a: usize,
        ka: u32,
        b: usize,
        kb: u32,
        subtract: bool,
    },
}

/// A node and the exact range of its value.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub lo: i128,
    pub hi: i128,
    /// Adders on the longest path from an input (inputs: 0).
    pub level: u32,
    /// Used by more than one output (a shared subexpression).
    pub shared: bool,
}

impl Node {
    /// Bits of a two's complement wire holding every value in `[lo, hi]` (signed).
    pub fn width(&self) -> u32 {
        signed_width(self.lo, self.hi)
    }
}

/// Bits of a signed wire that holds every value in `[lo, hi]`.
pub fn signed_width(lo: i128, hi: i128) -> u32 {
    let bits = |v: i128| -> u32 {
        // v >= 0 needs its magnitude bits + a sign; v < 0 needs bits of !v + a sign.
        let m = if v < 0 { !v } else { v };
        128 - m.leading_zeros() + 1
    };
    bits(lo).max(bits(hi)).max(1)
}

/// An input of the product: the range of its raw values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputRange {
    pub lo: i128,
    pub hi: i128,
}

impl InputRange {
    /// The raw range of a `width`-bit signed or unsigned value.
    pub fn of_bits(width: u32, signed: bool) -> InputRange {
        if signed {
            InputRange {
                lo: -(1i128 << (width - 1)),
                hi: (1i128 << (width - 1)) - 1,
            }
        } else {
            InputRange {
                lo: 0,
                hi: (1i128 << width) - 1,
            }
        }
    }
}

/// The adder graph of a constant matrix.
#[derive(Clone, Debug)]
pub struct Graph {
    /// The inputs first (`nodes[i]` is input `i`), then the adders in an order where every adder
    /// comes after its operands.
    pub nodes: Vec<Node>,
    /// Output `o`: `±(node << shift)`, or `None` when the row is all zeros.
    pub outputs: Vec<Option<Term>>,
    /// Adders before sharing: Σ over the rows of (CSD digits - 1), what one tree per output costs.
    pub adders_without_sharing: usize,
}

impl Graph {
    pub fn adders(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Add { .. }))
            .count()
    }

    /// The deepest output's level (adders from the inputs).
    pub fn depth(&self) -> u32 {
        self.outputs
            .iter()
            .flatten()
            .map(|t| self.nodes[t.node].level)
            .max()
            .unwrap_or(0)
    }
}

/// A pattern: `(a << 0) ± (b << d)` with `a < b`, or `a == b` and `d > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    a: usize,
    b: usize,
    d: i64,
    subtract: bool,
}

/// The pattern of two terms of one output and which of them is the first operand.
fn key(p: Term, q: Term) -> (Key, Term, Term) {
    let (p, q) = if (q.node, q.shift) < (p.node, p.shift) {
        (q, p)
    } else {
        (p, q)
    };
    (
        Key {
            a: p.node,
            b: q.node,
            d: i64::from(q.shift) - i64::from(p.shift),
            subtract: p.negative != q.negative,
        },
        p,
        q,
    )
}

struct Builder {
    nodes: Vec<Node>,
    /// Each node's value as Σ coefficient · input.
    coefs: Vec<BTreeMap<usize, i128>>,
    inputs: Vec<InputRange>,
    by_kind: HashMap<(usize, u32, usize, u32, bool), usize>,
}

impl Builder {
    /// The node `(a << ka) ± (b << kb)` (one node per distinct expression).
    fn add(&mut self, a: usize, ka: u32, b: usize, kb: u32, subtract: bool) -> usize {
        if let Some(&n) = self.by_kind.get(&(a, ka, b, kb, subtract)) {
            return n;
        }
        let mut c = BTreeMap::new();
        for (&i, &v) in &self.coefs[a] {
            *c.entry(i).or_insert(0) += v << ka;
        }
        for (&i, &v) in &self.coefs[b] {
            let v = v << kb;
            *c.entry(i).or_insert(0) += if subtract { -v } else { v };
        }
        c.retain(|_, v| *v != 0);
        let (mut lo, mut hi) = (0i128, 0i128);
        for (&i, &v) in &c {
            let r = self.inputs[i];
            if v > 0 {
                lo += v * r.lo;
                hi += v * r.hi;
            } else {
                lo += v * r.hi;
                hi += v * r.lo;
            }
        }
        let level = self.nodes[a].level.max(self.nodes[b].level) + 1;
        let n = self.nodes.len();
        self.nodes.push(Node {
            kind: NodeKind::Add {
                a,
                ka,
                b,
                kb,
                subtract,
            },
            lo,
            hi,
            level,
            shared: false,
        });
        self.coefs.push(c);
        self.by_kind.insert((a, ka, b, kb, subtract), n);
        n
    }

    /// The node of pattern `k` and the term that replaces the occurrence `(p, q)`.
    fn apply(&mut self, k: Key, p: Term) -> Term {
        let (ka, kb) = if k.d >= 0 {
            (0, k.d as u32)
        } else {
            ((-k.d) as u32, 0)
        };
        let n = self.add(k.a, ka, k.b, kb, k.subtract);
        Term {
            node: n,
            shift: p.shift - ka,
            negative: p.negative,
        }
    }
}

/// Pattern counts with the most frequent first: `(Reverse(count), level, key)`.
struct Counts {
    count: HashMap<Key, u32>,
    order: BTreeSet<(Reverse<u32>, u32, Key)>,
}

impl Counts {
    fn bump(&mut self, k: Key, level: u32, up: bool) {
        let c = self.count.entry(k).or_insert(0);
        if *c > 0 {
            self.order.remove(&(Reverse(*c), level, k));
        }
        if up {
            *c += 1;
        } else {
            *c -= 1;
        }
        if *c > 0 {
            self.order.insert((Reverse(*c), level, k));
        } else {
            self.count.remove(&k);
        }
    }
}

/// The adder graph of the `n_out × n_in` matrix `w` (row-major, raw integers) on inputs with the
/// raw ranges `inputs` (see the module docs).
pub fn build(inputs: &[InputRange], w: &[i64], n_out: usize) -> Graph {
    let n_in = inputs.len();
    let mut b = Builder {
        nodes: inputs
            .iter()
            .enumerate()
            .map(|(i, r)| Node {
                kind: NodeKind::Input(i),
                lo: r.lo,
                hi: r.hi,
                level: 0,
                shared: false,
            })
            .collect(),
        coefs: (0..n_in).map(|i| BTreeMap::from([(i, 1i128)])).collect(),
        inputs: inputs.to_vec(),
        by_kind: HashMap::new(),
    };
    // Each output's terms, keyed by (node, shift) (unique within an output: the digits of one
    // weight have distinct shifts, and a new node replaces the terms it is made of).
    let mut rows: Vec<BTreeMap<(usize, u32), bool>> = (0..n_out)
        .map(|o| {
            (0..n_in)
                .flat_map(|i| {
                    csd_digits(w[o * n_in + i])
                        .into_iter()
                        .map(move |d| ((i, d.shift), d.negative))
                })
                .collect()
        })
        .collect();
    let adders_without_sharing = rows.iter().map(|r| r.len().saturating_sub(1)).sum();
    let term = |(&(node, shift), &negative): (&(usize, u32), &bool)| Term {
        node,
        shift,
        negative,
    };
    let level_of = |nodes: &[Node], k: &Key| nodes[k.a].level.max(nodes[k.b].level) + 1;
    let mut counts = Counts {
        count: HashMap::new(),
        order: BTreeSet::new(),
    };
    for row in &rows {
        let terms: Vec<Term> = row.iter().map(term).collect();
        for (j, &p) in terms.iter().enumerate() {
            for &q in &terms[j + 1..] {
                let (k, _, _) = key(p, q);
                let l = level_of(&b.nodes, &k);
                counts.bump(k, l, true);
            }
        }
    }
    // Rows where a node appears, to find occurrences quickly.
    let mut rows_of: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n_in];
    for (o, row) in rows.iter().enumerate() {
        for &(node, _) in row.keys() {
            rows_of[node].insert(o);
        }
    }
    while let Some(&(Reverse(c), _, k)) = counts.order.iter().next() {
        if c < 2 {
            break;
        }
        let candidates: Vec<usize> = rows_of[k.a].intersection(&rows_of[k.b]).copied().collect();
        let mut used_rows = 0;
        let mut new_node = None;
        for o in candidates {
            let mut hit = false;
            loop {
                // The first occurrence in this row (lowest shift of `a`).
                let found = rows[o]
                    .range((k.a, 0)..(k.a + 1, 0))
                    .find_map(|(&(_, s), &neg)| {
                        let sq = i64::from(s) + k.d;
                        if sq < 0 {
                            return None;
                        }
                        let qk = (k.b, sq as u32);
                        if qk == (k.a, s) {
                            return None;
                        }
                        let qn = *rows[o].get(&qk)?;
                        ((neg != qn) == k.subtract).then_some((s, neg, sq as u32, qn))
                    });
                let Some((sp, np, sq, nq)) = found else { break };
                let p = Term {
                    node: k.a,
                    shift: sp,
                    negative: np,
                };
                let q = Term {
                    node: k.b,
                    shift: sq,
                    negative: nq,
                };
                // Remove p and q from the row's pair counts.
                rows[o].remove(&(p.node, p.shift));
                rows[o].remove(&(q.node, q.shift));
                let rest: Vec<Term> = rows[o].iter().map(term).collect();
                for &t in &rest {
                    for x in [p, q] {
                        let (kk, _, _) = key(x, t);
                        let l = level_of(&b.nodes, &kk);
                        counts.bump(kk, l, false);
                    }
                }
                let (kk, _, _) = key(p, q);
                let l = level_of(&b.nodes, &kk);
                counts.bump(kk, l, false);
                let r = b.apply(k, p);
                if rows_of.len() < b.nodes.len() {
                    rows_of.resize(b.nodes.len(), BTreeSet::new());
                }
                for &t in &rest {
                    let (kk, _, _) = key(r, t);
                    let l = level_of(&b.nodes, &kk);
                    counts.bump(kk, l, true);
                }
                rows[o].insert((r.node, r.shift), r.negative);
                rows_of[r.node].insert(o);
                new_node = Some(r.node);
                hit = true;
            }
            if hit {
                used_rows += 1;
            }
            for n in [k.a, k.b] {
                if !rows[o].range((n, 0)..(n + 1, 0)).any(|_| true) {
                    rows_of[n].remove(&o);
                }
            }
        }
        if let Some(n) = new_node {
            if used_rows > 1 {
                b.nodes[n].shared = true;
            }
        }
        if new_node.is_none() {
            // Counted but never found as a whole occurrence (cannot happen; stops a loop).
            let l = level_of(&b.nodes, &k);
            while counts.count.contains_key(&k) {
                counts.bump(k, l, false);
            }
        }
    }
    // Each output: its terms summed lowest level first.
    let mut outputs = Vec::with_capacity(n_out);
    for row in &rows {
        let mut heap: BTreeSet<(u32, Term)> = row
            .iter()
            .map(term)
            .map(|t| (b.nodes[t.node].level, t))
            .collect();
        while heap.len() > 1 {
            let (_, x) = heap.pop_first().unwrap_or((0, Term::default_zero()));
            let (_, y) = heap.pop_first().unwrap_or((0, Term::default_zero()));
            // The positive one first, so that a subtraction is `pos - neg`.
            let (p, q) = if x.negative && !y.negative {
                (y, x)
            } else {
                (x, y)
            };
            let base = p.shift.min(q.shift);
            let n = b.add(
                p.node,
                p.shift - base,
                q.node,
                q.shift - base,
                p.negative != q.negative,
            );
            let t = Term {
                node: n,
                shift: base,
                negative: p.negative,
            };
            heap.insert((b.nodes[n].level, t));
        }
        outputs.push(heap.pop_first().map(|(_, t)| t));
    }
    Graph {
        nodes: b.nodes,
        outputs,
        adders_without_sharing,
    }
}

impl Term {
    fn default_zero() -> Term {
        Term {
            node: 0,
            shift: 0,
            negative: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of every output for input `x`, from the graph.
    fn eval(g: &Graph, x: &[i128]) -> Vec<i128> {
        let mut v = vec![0i128; g.nodes.len()];
        for (n, node) in g.nodes.iter().enumerate() {
            v[n] = match node.kind {
                NodeKind::Input(i) => x[i],
                NodeKind::Add {
                    a,
                    ka,
                    b,
                    kb,
                    subtract,
                } => {
                    let (l, r) = (v[a] << ka, v[b] << kb);
                    if subtract {
                        l - r
                    } else {
                        l + r
                    }
                }
            };
            assert!(node.lo <= v[n] && v[n] <= node.hi, "node {n} out of range");
        }
        g.outputs
            .iter()
            .map(|t| match t {
                None => 0,
                Some(t) => {
                    let y = v[t.node] << t.shift;
                    if t.negative {
                        -y
                    } else {
                        y
                    }
                }
            })
            .collect()
    }

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn the_graph_computes_the_product_exactly_and_shares_adders() {
        let mut seed = 7u64;
        let (n_in, n_out) = (12, 9);
        let w: Vec<i64> = (0..n_in * n_out)
            .map(|_| (lcg(&mut seed) % 63) as i64 - 31)
            .collect();
        let inputs = vec![InputRange::of_bits(6, true); n_in];
        let g = build(&inputs, &w, n_out);
        assert!(
            g.adders() < g.adders_without_sharing,
            "{} adders, {} without sharing",
            g.adders(),
            g.adders_without_sharing
        );
        for _ in 0..200 {
            let x: Vec<i128> = (0..n_in)
                .map(|_| (lcg(&mut seed) % 64) as i128 - 32)
                .collect();
            let want: Vec<i128> = (0..n_out)
                .map(|o| (0..n_in).map(|i| i128::from(w[o * n_in + i]) * x[i]).sum())
                .collect();
            assert_eq!(eval(&g, &x), want);
        }
        // The extremes reach the stated ranges' corners without leaving them.
        eval(&g, &vec![-32; n_in]);
        eval(&g, &vec![31; n_in]);
        // Deterministic.
        let h = build(&inputs, &w, n_out);
        assert_eq!(format!("{:?}", g.nodes), format!("{:?}", h.nodes));
    }

    #[test]
    fn zero_rows_and_single_digits_need_no_adder() {
        let inputs = vec![InputRange::of_bits(4, false); 2];
        let g = build(&inputs, &[0, 0, 4, 0, 0, -1], 3);
        assert_eq!(g.adders(), 0);
        assert_eq!(g.outputs[0], None);
        assert_eq!(
            g.outputs[1],
            Some(Term {
                node: 0,
                shift: 2,
                negative: false
            })
        );
        assert_eq!(eval(&g, &[15, 3]), vec![0, 60, -3]);
    }

    #[test]
    fn widths_are_exact() {
        assert_eq!(signed_width(-128, 127), 8);
        assert_eq!(signed_width(0, 255), 9);
        assert_eq!(signed_width(-1, 0), 1);
        assert_eq!(signed_width(0, 0), 1);
        assert_eq!(signed_width(-129, 0), 9);
    }
}
