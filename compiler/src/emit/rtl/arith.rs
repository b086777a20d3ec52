//! What the element-wise, pooling and table modules share: the module shell (ports `clk`, `x`,
//! `y`, one register at the end), slices of a bus, sign/zero extension, a product by a constant as
//! canonical-signed-digit shift-add (no `*`), exact comparisons of two fixed-point values with
//! different binary points, and a balanced maximum tree. The shell's methods that write logic
//! (`cast`, `const_mul`, `sum`, `max_tree`, `compare_const`) also count what they build in its
//! [`Parts`] (the RTL estimate's input); a module that writes logic of its own counts it there.
//!
//! Arithmetic is modulo `2^W` on plain `W`-bit wires: where the runtime's value is exact in a
//! type of `W` bits, the wrapped sum or product of extended operands has the same low `W` bits.
//! Compares are the only signed operations, always on `$signed` wires of one width.

use std::fmt::Write as _;

use binpoint_runtime::fixed::csd_digits;
use binpoint_runtime::FixedType;

use binpoint_runtime::fixed::Requant;

use super::cast::{self, bits_literal};
use super::{Module, Parts};

/// A module under construction: `x` (`in_bits`: the inputs' values, concatenated, value 0 in the
/// low bits), `y` (`out_bits`) registered on `clk`. Input values are declared as wires `x<i>`
/// when first read ([`Shell::input`]); the values no output reads are gathered into one unused
/// wire, so `verilator -Wall` stays meaningful.
pub struct Shell {
    pub v: String,
    head: String,
    name: String,
    outs: Vec<String>,
    out_bits: u32,
    /// `(lo bit, width)` of every input value, and whether it was read.
    inputs: Vec<(u32, u32)>,
    used: Vec<bool>,
    /// What the module is built of so far (the output register is added by `finish`).
    pub parts: Parts,
}

impl Shell {
    /// `inputs`: the width and count of each input tensor's values, in port order.
    pub fn new(name: &str, about: &str, inputs: &[(u32, usize)], out_bits: u32) -> Shell {
        let mut head = String::new();
        let mut spans = Vec::new();
        let mut at = 0;
        for &(w, n) in inputs {
            for _ in 0..n {
                spans.push((at, w));
                at += w;
            }
        }
        let _ = writeln!(head, "// {about}");
        let _ = writeln!(head, "module {name} (");
        let _ = writeln!(head, "  input wire clk,");
        let _ = writeln!(head, "  input wire [{}:0] x,", at.max(1) - 1);
        let _ = writeln!(head, "  output reg [{}:0] y", out_bits - 1);
        let _ = writeln!(head, ");");
        Shell {
            v: String::new(),
            head,
            name: name.to_string(),
            outs: Vec::new(),
            out_bits,
            used: vec![false; spans.len()],
            inputs: spans,
            parts: Parts::default(),
        }
    }

    /// The wire of input value `i` (counted over every input tensor, in port order).
    pub fn input(&mut self, i: usize) -> String {
        let (lo, w) = self.inputs[i];
        if !self.used[i] {
            self.used[i] = true;
            let _ = writeln!(
                self.head,
                "  wire [{}:0] x{i} = x[{}:{lo}];",
                w - 1,
                lo + w - 1
            );
        }
        format!("x{i}")
    }

    /// The next output value (output 0 first): an expression of the output type's width.
    pub fn out(&mut self, wire: String) {
        self.outs.push(wire);
    }

    pub fn finish(mut self) -> Module {
        let unused: Vec<String> = self
            .inputs
            .iter()
            .zip(&self.used)
            .filter(|(_, &u)| !u)
            .map(|(&(lo, w), _)| format!("x[{}:{lo}]", lo + w - 1))
            .collect();
        if !unused.is_empty() {
            let _ = writeln!(
                self.head,
                "  wire unused_x = &{{1'b0, {}, 1'b0}};",
                unused.join(", ")
            );
        }
        self.outs.reverse();
        let mut text = self.head;
        text.push_str(&self.v);
        let _ = writeln!(
            text,
            "  always @(posedge clk) y <= {{{}}};",
            self.outs.join(", ")
        );
        let _ = writeln!(text, "endmodule");
        // One cycle: the logic counted while building, then the output register.
        let mut parts = self.parts;
        parts.register_bits += u64::from(self.out_bits);
        Module {
            name: self.name,
            text,
            cycles: 1,
            parts,
        }
    }

    /// The cast of wire `x` by `rq` ([`cast::cast`]), counted.
    pub fn cast(&mut self, p: &str, x: &str, rq: &Requant) -> Result<String, String> {
        self.parts.casts.push(cast::parts(rq));
        cast::cast(&mut self.v, p, x, rq)
    }

    /// One adder (or subtractor) of `bits` bits that the module writes itself, counted.
    pub fn adder(&mut self, bits: u32) {
        self.parts.adders.push(bits);
    }

    /// A 2:1 select of `bits` bits that the module writes itself, counted.
    pub fn mux(&mut self, bits: u32) {
        self.parts.mux_bits += u64::from(bits);
    }

    /// A select of `bits` bits between data and constants into the output register, counted:
    /// the flip-flops' synchronous set/reset takes it (as a registered ReLU's).
    pub fn const_select(&mut self, bits: u32) {
        self.parts.select_bits += u64::from(bits);
    }
}

/// The `w`-bit wire `e` (bits of a value, signed or not) extended to `to >= w` bits.
pub fn extend(e: &str, w: u32, signed: bool, to: u32) -> String {
    if to == w {
        return e.to_string();
    }
    let fill = if signed {
        format!("{e}[{}]", w - 1)
    } else {
        "1'b0".into()
    };
    format!("{{{{{}{{{fill}}}}}, {e}}}", to - w)
}

impl Shell {
    /// Declares `name` = `x · c` modulo `2^width`, `x` a `w`-bit wire (signed or not), `c` a raw
    /// constant, by its CSD digits (shifts and adds; `c = 0` is 0). Exact when the product fits
    /// `width` bits in the product's signedness. `x` is extended only to the bits its terms keep.
    pub fn const_mul(&mut self, name: &str, x: &str, w: u32, signed: bool, c: i64, width: u32) {
        let v = &mut self.v;
        let digits: Vec<_> = csd_digits(c)
            .into_iter()
            .filter(|d| d.shift < width)
            .collect();
        let Some(m) = digits.iter().map(|d| d.shift).min() else {
            let _ = writeln!(v, "  wire unused_{name} = &{{1'b0, {x}, 1'b0}};");
            let _ = writeln!(v, "  wire [{}:0] {name} = {width}'h0;", width - 1);
            return;
        };
        let we = width - m;
        let xe = format!("{name}_x");
        let ext = if we >= w {
            extend(x, w, signed, we)
        } else {
            let _ = writeln!(
                v,
                "  wire unused_{name} = &{{1'b0, {x}[{}:{we}], 1'b0}};",
                w - 1
            );
            format!("{x}[{}:0]", we - 1)
        };
        let _ = writeln!(v, "  wire [{}:0] {xe} = {ext};", we - 1);
        let terms: Vec<Term> = digits
            .iter()
            .map(|d| Term {
                negative: d.negative,
                expr: if d.shift == 0 {
                    xe.clone()
                } else if d.shift == m {
                    format!("{{{xe}, {}'b0}}", d.shift)
                } else {
                    format!("{{{xe}[{}:0], {}'b0}}", width - 1 - d.shift, d.shift)
                },
            })
            .collect();
        for _ in 1..terms.len() {
            self.parts.adders.push(we);
        }
        let _ = writeln!(
            v,
            "  wire [{}:0] {name} = {};",
            width - 1,
            sum_tree(terms, width)
        );
    }
}

/// Declares `name` = the `w`-bit wire `x` shifted left by `s` into `width >= w + s` bits
/// (extended by its signedness).
pub fn align(v: &mut String, name: &str, x: &str, w: u32, signed: bool, s: u32, width: u32) {
    let e = extend(x, w, signed, width - s);
    let e = if s == 0 {
        e
    } else {
        format!("{{{e}, {s}'b0}}")
    };
    let _ = writeln!(v, "  wire [{}:0] {name} = {e};", width - 1);
}

/// The width needed to compare a value of `a` with one of `b` exactly at one binary point: both
/// signed, both shifted to `max(F_a, F_b)` fractional bits.
fn compare_width(a: FixedType, b: FixedType) -> (u32, i32) {
    let f = a.frac_bits().max(b.frac_bits());
    let need = |t: FixedType| t.width() as i32 + (f - t.frac_bits()) + 1;
    ((need(a).max(need(b)) + 1) as u32, f)
}

/// Declares `name`, a `$signed` wire holding the raw `w`-bit value `x` of type `t` at `f`
/// fractional bits in `k` bits.
fn at_point(v: &mut String, name: &str, x: &str, t: FixedType, f: i32, k: u32) {
    align(
        v,
        name,
        x,
        t.width(),
        t.is_signed(),
        (f - t.frac_bits()) as u32,
        k,
    );
}

/// An exact comparison `x OP c` of wire `x` (raw bits of `xt`) with the constant `c` (raw value
/// of `ct`): declares the working wires `{p}_*` and returns a 1-bit expression. `op` is a Verilog
/// comparison operator.
fn compare_const(
    v: &mut String,
    p: &str,
    x: &str,
    xt: FixedType,
    op: &str,
    c: i128,
    ct: FixedType,
) -> String {
    let (k, f) = compare_width(xt, ct);
    at_point(v, &format!("{p}_a"), x, xt, f, k);
    let s = (f - ct.frac_bits()) as u32;
    let cv = c << s;
    let lit = if cv < 0 {
        format!("-{k}'sd{}", cv.unsigned_abs())
    } else {
        format!("{k}'sd{cv}")
    };
    format!("($signed({p}_a) {op} {lit})")
}

/// `a OP b` for two wires of one type `t` (raw bits), exact: a 1-bit expression.
pub fn compare_same(a: &str, b: &str, t: FixedType, op: &str) -> String {
    if t.is_signed() {
        format!("($signed({a}) {op} $signed({b}))")
    } else {
        format!("({a} {op} {b})")
    }
}

/// Declares the maximum of `items` (wires of type `t`) as a balanced tree named `{p}_m*`;
/// returns the root's name. On equal values either is the maximum (the same bits).
fn max_tree(v: &mut String, p: &str, items: Vec<String>, t: FixedType) -> String {
    let w = t.width();
    let mut level = items;
    let mut n = 0;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                next.push(a);
                break;
            };
            let m = format!("{p}_m{n}");
            n += 1;
            let _ = writeln!(
                v,
                "  wire [{}:0] {m} = {} ? {b} : {a};",
                w - 1,
                compare_same(&b, &a, t, ">")
            );
            next.push(m);
        }
        level = next;
    }
    level.remove(0)
}

/// Declares `name` = `Σ items` modulo `2^width` (each item already `width` bits) as a balanced
/// adder tree, with the raw constant `c` added when non-zero.
fn sum(v: &mut String, name: &str, items: Vec<String>, c: i128, width: u32) {
    let mut terms: Vec<Term> = items
        .into_iter()
        .map(|expr| Term {
            negative: false,
            expr,
        })
        .collect();
    if c != 0 {
        terms.push(Term {
            negative: false,
            expr: bits_literal(width, c),
        });
    }
    let _ = writeln!(
        v,
        "  wire [{}:0] {name} = {};",
        width - 1,
        sum_tree(terms, width)
    );
}

impl Shell {
    /// [`compare_const`] of `x` (raw bits of `xt`) with the constant `c` (raw, of `ct`), counted.
    #[allow(clippy::too_many_arguments)]
    pub fn compare_const(
        &mut self,
        p: &str,
        x: &str,
        xt: FixedType,
        op: &str,
        c: i128,
        ct: FixedType,
    ) -> String {
        // The aligned wire's other bits are constants: the compare reads the value's bits.
        self.parts.const_compare_bits += u64::from(xt.width());
        compare_const(&mut self.v, p, x, xt, op, c, ct)
    }

    /// [`max_tree`] of `items` (wires of type `t`), counted: a comparison and a select of the
    /// type's bits per pair.
    pub fn max_tree(&mut self, p: &str, items: Vec<String>, t: FixedType) -> String {
        for _ in 1..items.len() {
            self.parts.compares.push(t.width());
            self.parts.mux_bits += u64::from(t.width());
        }
        max_tree(&mut self.v, p, items, t)
    }

    /// [`sum`] of `items` and `c` in `width` bits, counted: one adder per term after the first.
    pub fn sum(&mut self, name: &str, items: Vec<String>, c: i128, width: u32) {
        let terms = items.len() + usize::from(c != 0);
        for _ in 1..terms {
            self.parts.adders.push(width);
        }
        sum(&mut self.v, name, items, c, width)
    }
}

// A balanced adder tree of signed terms `±e`, all of one width (arithmetic modulo `2^W`), for
// the one-cycle modules (pools, CSD products by one constant): depth `ceil(log2 n)`; a pair of
// negative terms is added and its sign carried up (`-a - b = -(a + b)`), so the root is negated
// at most once. Constant matrices use `adders::constant_matrix` instead.

/// One term of a sum: `expr` (a `W`-bit expression), negated when `negative`.
#[derive(Clone, Debug)]
pub struct Term {
    pub negative: bool,
    pub expr: String,
}

/// The expression of `Σ ±term` in `width` bits (0 without terms).
pub fn sum_tree(mut terms: Vec<Term>, width: u32) -> String {
    if terms.is_empty() {
        return format!("{width}'h0");
    }
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        let mut it = terms.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                next.push(a);
                break;
            };
            next.push(match (a.negative, b.negative) {
                (false, false) => Term {
                    negative: false,
                    expr: format!("({} + {})", a.expr, b.expr),
                },
                (false, true) => Term {
                    negative: false,
                    expr: format!("({} - {})", a.expr, b.expr),
                },
                (true, false) => Term {
                    negative: false,
                    expr: format!("({} - {})", b.expr, a.expr),
                },
                (true, true) => Term {
                    negative: true,
                    expr: format!("({} + {})", a.expr, b.expr),
                },
            });
        }
        terms = next;
    }
    let root = terms.remove(0);
    if root.negative {
        format!("{width}'h0 - {}", root.expr)
    } else {
        root.expr
    }
}
