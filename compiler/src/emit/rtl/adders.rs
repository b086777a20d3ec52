//! A constant matrix times a vector in Verilog: the adder graph of [`super::cmvm`], one
//! `assign` per adder at its exact width, with pipeline registers cut every
//! `levels_per_stage` adder levels. This is the one entry point every layer with a constant
//! matrix uses ([`constant_matrix`]): dense here, convolution and the other constant-weight
//! kernels through the same call.
//!
//! **Stages.** A node at adder level `l >= 1` is computed in stage `(l - 1) / L` (`L` =
//! `levels_per_stage`); the inputs are available in stage 0 (they come from a register). The
//! caller states how many adder levels of its own follow the product (`tail_levels`: bias,
//! negation, the cast) in the last stage; the product then has `S = max(1, ceil((depth + tail) /
//! L))` stages and `S - 1` registers inside it, and the caller ends the last stage with its own
//! register: the layer's latency is `S` cycles. A value used in a later stage than the one it is
//! computed in goes through one register per stage boundary (shared by all its users).
//!
//! **Widths.** Every adder is `w` bits, `w` the exact width of its value range
//! ([`super::cmvm::Node::width`]); each operand is sign-extended or cut to `w` bits before the
//! add. Cutting is exact: the result fits in `w` bits, so arithmetic modulo `2^w` gives it.
//! Bits no user reads are gathered into one `unused` wire (Verilator's idiom), so
//! `verilator --lint-only -Wall` stays clean.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::cmvm::{build, Graph, InputRange, NodeKind, Term};

/// One input of the product: a raw value on `wire` (an expression such as `x[15:8]`).
#[derive(Clone, Debug)]
pub struct Operand {
    pub wire: String,
    pub width: u32,
    pub signed: bool,
}

/// How deep a stage may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pipeline {
    /// Adder levels between two registers (at least 1).
    pub levels_per_stage: u32,
}

/// 200 MHz on the Ultra96's xczu3eg (speed grade -1): see docs/rtl.md "Pipeline cuts".
pub const DEFAULT_LEVELS_PER_STAGE: u32 = 3;

impl Default for Pipeline {
    fn default() -> Pipeline {
        Pipeline {
            levels_per_stage: DEFAULT_LEVELS_PER_STAGE,
        }
    }
}

impl Pipeline {
    /// Stages of a product `depth` adder levels deep followed by `tail` levels.
    pub fn stages(&self, depth: u32, tail: u32) -> u32 {
        (depth + tail).div_ceil(self.levels_per_stage.max(1)).max(1)
    }

    fn stage_of(&self, level: u32) -> u32 {
        level.saturating_sub(1) / self.levels_per_stage.max(1)
    }
}

/// One output of the product, ready for the caller's last stage: `±expr`, `expr` a
/// `width`-bit expression (the width the caller asked for).
#[derive(Clone, Debug)]
pub struct ProductTerm {
    pub expr: String,
    pub negative: bool,
    /// Its low bits that are always 0 (the shift).
    pub low_zeros: u32,
}

/// The product in Verilog and what it is made of.
#[derive(Clone, Debug)]
pub struct Product {
    /// Per output, `None` for an all-zero row.
    pub outputs: Vec<Option<ProductTerm>>,
    /// Stages (the layer's latency when the caller adds one register at the end).
    pub stages: u32,
    /// The adder graph (for the estimate and the docs).
    pub graph: Graph,
    /// Bits of the pipeline registers inside the product.
    pub register_bits: u64,
    /// Each adder's carry-chain bits (its width less the low bits only one operand has).
    pub adder_bits: Vec<u32>,
}

/// Writes `y_o = Σ_i w[o·n_in + i]·x_i` into `v` (names `{p}...`): each output as a
/// `width`-bit expression of `y_o << shift` (modulo `2^width`), available in the last stage
/// (see the module docs). `tail_levels` adder levels of the caller follow in that stage.
#[allow(clippy::too_many_arguments)]
pub fn constant_matrix(
    v: &mut String,
    p: &str,
    x: &[Operand],
    w: &[i64],
    n_out: usize,
    width: u32,
    shift: u32,
    tail_levels: u32,
    pipe: Pipeline,
) -> Product {
    let ranges: Vec<InputRange> = x
        .iter()
        .map(|o| InputRange::of_bits(o.width, o.signed))
        .collect();
    let graph = build(&ranges, w, n_out);
    let stages = pipe.stages(graph.depth(), tail_levels);
    let mut r = Render {
        v,
        p,
        graph: &graph,
        pipe,
        used: BTreeMap::new(),
        delayed: BTreeMap::new(),
        register_bits: 0,
        adder_bits: Vec::new(),
    };
    // Inputs: a signed wire each (an unsigned value gets a 0 on top).
    for (i, o) in x.iter().enumerate() {
        let wn = graph.nodes[i].width();
        let e = if o.signed {
            o.wire.clone()
        } else {
            format!("{{1'b0, {}}}", o.wire)
        };
        let _ = writeln!(r.v, "  wire [{}:0] {p}n{i} = {e};", wn - 1);
        r.used.insert(format!("{p}n{i}"), (wn, None));
    }
    for n in x.len()..graph.nodes.len() {
        r.adder(n);
    }
    let last = stages - 1;
    let outputs = graph
        .outputs
        .iter()
        .map(|t| {
            t.map(|t: Term| {
                let wire = r.at(t.node, last);
                let wn = graph.nodes[t.node].width();
                ProductTerm {
                    expr: r.operand(&wire, wn, t.shift + shift, width),
                    negative: t.negative,
                    low_zeros: t.shift + shift,
                }
            })
        })
        .collect();
    r.finish();
    let (register_bits, adder_bits) = (r.register_bits, std::mem::take(&mut r.adder_bits));
    Product {
        outputs,
        stages,
        graph,
        register_bits,
        adder_bits,
    }
}

struct Render<'a> {
    v: &'a mut String,
    p: &'a str,
    graph: &'a Graph,
    pipe: Pipeline,
    /// Every declared wire or register: its width and the highest bit read (None: none yet).
    used: BTreeMap<String, (u32, Option<u32>)>,
    /// (node, stage) → its register in that stage.
    delayed: BTreeMap<(usize, u32), String>,
    register_bits: u64,
    adder_bits: Vec<u32>,
}

impl Render<'_> {
    fn stage(&self, n: usize) -> u32 {
        self.pipe.stage_of(self.graph.nodes[n].level)
    }

    /// The wire holding node `n` in stage `s` (registers inserted on the way).
    fn at(&mut self, n: usize, s: u32) -> String {
        let home = self.stage(n);
        let mut wire = format!("{}n{n}", self.p);
        for k in home + 1..=s {
            if let Some(r) = self.delayed.get(&(n, k)) {
                wire = r.clone();
                continue;
            }
            let wn = self.graph.nodes[n].width();
            let reg = format!("{}n{n}_s{k}", self.p);
            let _ = writeln!(self.v, "  reg [{}:0] {reg};", wn - 1);
            let _ = writeln!(self.v, "  always @(posedge clk) {reg} <= {wire};");
            self.mark(&wire, wn - 1);
            self.used.insert(reg.clone(), (wn, None));
            self.delayed.insert((n, k), reg.clone());
            self.register_bits += u64::from(wn);
            wire = reg;
        }
        wire
    }

    fn mark(&mut self, wire: &str, hi: u32) {
        if let Some((_, u)) = self.used.get_mut(wire) {
            *u = Some(u.map_or(hi, |h| h.max(hi)));
        }
    }

    /// `wire` (`wn` bits, signed) shifted left by `k`, in `w` bits (sign-extended or cut).
    fn operand(&mut self, wire: &str, wn: u32, k: u32, w: u32) -> String {
        if k >= w {
            return format!("{w}'h0");
        }
        let keep = w - k; // bits of the wire that land in the result
        let body = if keep <= wn {
            self.mark(wire, keep - 1);
            if keep == wn {
                wire.to_string()
            } else {
                format!("{wire}[{}:0]", keep - 1)
            }
        } else {
            self.mark(wire, wn - 1);
            format!("{{{{{}{{{wire}[{}]}}}}, {wire}}}", keep - wn, wn - 1)
        };
        if k == 0 {
            body
        } else {
            format!("{{{body}, {k}'b0}}")
        }
    }

    fn adder(&mut self, n: usize) {
        let node = &self.graph.nodes[n];
        let NodeKind::Add {
            a,
            ka,
            b,
            kb,
            subtract,
        } = node.kind
        else {
            return;
        };
        let w = node.width();
        let s = self.stage(n);
        let (wa, wb) = (self.graph.nodes[a].width(), self.graph.nodes[b].width());
        let xa = self.at(a, s);
        let xb = self.at(b, s);
        let ea = self.operand(&xa, wa, ka, w);
        let eb = self.operand(&xb, wb, kb, w);
        let op = if subtract { '-' } else { '+' };
        let name = format!("{}n{n}", self.p);
        let _ = writeln!(self.v, "  wire [{}:0] {name} = {ea} {op} {eb};", w - 1);
        self.adder_bits.push(w.saturating_sub(ka.max(kb)).max(1));
        self.used.insert(name, (w, None));
    }

    /// The `unused` wire of every bit nobody reads.
    fn finish(&mut self) {
        let mut parts = Vec::new();
        for (wire, &(w, u)) in &self.used {
            match u {
                None => parts.push(wire.clone()),
                Some(h) if h + 1 < w => parts.push(format!("{wire}[{}:{}]", w - 1, h + 1)),
                Some(_) => {}
            }
        }
        if !parts.is_empty() {
            let _ = writeln!(
                self.v,
                "  wire {}unused = &{{1'b0, {}, 1'b0}};",
                self.p,
                parts.join(", ")
            );
        }
    }
}
