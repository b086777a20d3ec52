//! The requant cast in Verilog: a raw value of `src` into `dst`, bit-exact with the runtime's
//! [`Requant`] (and so with `ap_fixed`'s converting assignment).
//!
//! 1. The source is extended to `K` bits (sign bit, or 0 for an unsigned source), `K` wide
//!    enough for every step below (the source plus a sign, the dropped bits, an up shift, the
//!    destination's bounds, and a carry).
//! 2. Quantization by `d = F_src - F_dst`: `d > 0` is an arithmetic shift right (floor) plus the
//!    rounding mode's increment, decided from the first dropped bit `qb`, the OR `r` of the others,
//!    the sign and the kept LSB (the same expressions as `Requant`'s `round_down`); `d < 0` is a
//!    shift left; `d = 0` nothing.
//! 3. Overflow as [`Requant::overflow_step`] decided it: keep the low `W_dst` bits (wrap), clamp
//!    into `[lo, hi]` (`AP_SAT`, `AP_SAT_SYM`), or 0 outside it (`AP_SAT_ZERO`). `AP_WRAP` with
//!    saturation bits and `AP_WRAP_SM` are refused (not in this slice).
//!
//! Every wire has an explicit width; signed compares and shifts go through `$signed` on wires of
//! equal width (an unsigned operand would make `>>>` logical and `<` unsigned).

use std::fmt::Write as _;

use binpoint_runtime::fixed::{FixedType, OverflowStep, Requant, Rounding};

/// A Verilog literal of `width` bits holding `v`'s two's complement bits (unsigned spelling).
pub fn bits_literal(width: u32, v: i128) -> String {
    let mask = if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    format!("{width}'h{:x}", (v as u128) & mask)
}

/// A signed Verilog literal of `width` bits with value `v` (|v| < 2^(width-1)).
fn signed_literal(width: u32, v: i128) -> String {
    if v < 0 {
        format!("-{width}'sd{}", v.unsigned_abs())
    } else {
        format!("{width}'sd{v}")
    }
}

/// Adder levels of the cast's logic, for the pipeline cuts: the rounding increment (a carry
/// chain) when it drops bits and rounds, the range compare when it saturates.
pub fn levels(rq: &Requant) -> u32 {
    let (src, dst) = (rq.src(), rq.dst());
    if rq.is_identity() && src.width() == dst.width() {
        return 0;
    }
    let rounds = src.frac_bits() > dst.frac_bits() && dst.rounding() != Rounding::Trn;
    let saturates = !matches!(rq.overflow_step(), OverflowStep::Wrap);
    u32::from(rounds) + u32::from(saturates)
}

/// What a cast is built of, for the estimate: the bits of its rounding increment (0: it does not
/// round), of its range compare (0: it wraps) and of its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CastParts {
    pub round_bits: u32,
    pub compare_bits: u32,
    pub out_bits: u32,
}

/// The parts of the cast `rq` (see [`cast`] for the logic they count).
pub fn parts(rq: &Requant) -> CastParts {
    let (src, dst) = (rq.src(), rq.dst());
    if rq.is_identity() && src.width() == dst.width() {
        return CastParts::default();
    }
    let d = i64::from(src.frac_bits()) - i64::from(dst.frac_bits());
    let k = width_for(src, dst, d);
    let kept = (i64::from(k) - d.max(0)).max(1) as u32;
    let rounds = d > 0 && dst.rounding() != Rounding::Trn;
    let saturates = !matches!(rq.overflow_step(), OverflowStep::Wrap);
    CastParts {
        round_bits: if rounds { kept } else { 0 },
        compare_bits: if saturates { kept } else { 0 },
        out_bits: dst.width(),
    }
}

/// The cast of wire `x` (`src.width()` bits, raw bits of `src`) into `dst`: declarations
/// appended to `v`, all named `{p}_...`; returns the name of the `dst.width()`-bit result.
/// `Err`: why this cast cannot be built (the caller names the layer).
pub fn cast(v: &mut String, p: &str, x: &str, rq: &Requant) -> Result<String, String> {
    let (src, dst) = (rq.src(), rq.dst());
    let (ws, wd) = (src.width(), dst.width());
    let y = format!("{p}_y");
    if rq.is_identity() && ws == wd {
        let _ = writeln!(v, "  wire [{}:0] {y} = {x};", wd - 1);
        return Ok(y);
    }
    let step = rq.overflow_step();
    if step == OverflowStep::General {
        return Err(format!(
            "the cast {src} -> {dst} (AP_WRAP with saturation bits, or AP_WRAP_SM) has no RTL yet"
        ));
    }
    let d = i64::from(src.frac_bits()) - i64::from(dst.frac_bits());
    let k = width_for(src, dst, d);
    let ext = if src.is_signed() {
        format!("{{{}{{{x}[{}]}}}}", k - ws, ws - 1)
    } else {
        format!("{{{}{{1'b0}}}}", k - ws)
    };
    let _ = writeln!(v, "  wire [{}:0] {p}_x = {{{ext}, {x}}};", k - 1);
    let q = format!("{p}_q");
    if d > 0 {
        let d = d as u32;
        let _ = writeln!(
            v,
            "  wire signed [{}:0] {p}_fl = $signed({p}_x) >>> {d};",
            k - 1
        );
        let inc = increment(v, p, k, d, dst.rounding());
        let _ = writeln!(
            v,
            "  wire signed [{}:0] {q} = {p}_fl + $signed({{{}'b0, {inc}}});",
            k - 1,
            k - 1
        );
    } else if d < 0 {
        let _ = writeln!(
            v,
            "  wire signed [{}:0] {q} = $signed({p}_x << {});",
            k - 1,
            -d
        );
    } else {
        let _ = writeln!(v, "  wire signed [{}:0] {q} = $signed({p}_x);", k - 1);
    }
    let low = format!("{q}[{}:0]", wd - 1);
    match step {
        OverflowStep::Wrap => {
            let _ = writeln!(v, "  wire [{}:0] {y} = {low};", wd - 1);
        }
        OverflowStep::Sat { lo, hi } => {
            let _ = writeln!(
                v,
                "  wire [{}:0] {y} = ({q} > {}) ? {} : ({q} < {}) ? {} : {low};",
                wd - 1,
                signed_literal(k, i128::from(hi)),
                bits_literal(wd, i128::from(hi)),
                signed_literal(k, i128::from(lo)),
                bits_literal(wd, i128::from(lo)),
            );
        }
        OverflowStep::SatZero { lo, hi } => {
            let _ = writeln!(
                v,
                "  wire [{}:0] {y} = ({q} > {} || {q} < {}) ? {wd}'h0 : {low};",
                wd - 1,
                signed_literal(k, i128::from(hi)),
                signed_literal(k, i128::from(lo)),
            );
        }
        OverflowStep::General => unreachable!("refused above"),
    }
    // The high bits of the quantized value only matter to a saturating mode.
    let _ = writeln!(
        v,
        "  wire unused_{p} = &{{1'b0, {q}[{}:{wd}], 1'b0}};",
        k - 1
    );
    Ok(y)
}

/// Bits of the working value: the source and a sign, the dropped bits and the bit above them,
/// an up shift, the destination's bounds with a sign, and a spare for the rounding carry.
fn width_for(src: FixedType, dst: FixedType, d: i64) -> u32 {
    let ws = i64::from(src.width()) + 1;
    let need = [ws, d + 2, ws - d.min(0), i64::from(dst.width()) + 1]
        .into_iter()
        .max()
        .unwrap_or(ws);
    (need + 1) as u32
}

/// The rounding increment's expression for a shift down by `d` of the `k`-bit `{p}_x`: declares
/// the first dropped bit `qb`, the OR `r` of the others and the sign `neg`, as the mode needs them.
fn increment(v: &mut String, p: &str, k: u32, d: u32, q: Rounding) -> String {
    let (qb, r, neg, lsb) = (
        format!("{p}_qb"),
        format!("{p}_r"),
        format!("{p}_neg"),
        format!("{p}_fl[0]"),
    );
    let (uses_r, uses_neg) = match q {
        Rounding::Trn => return "1'b0".into(),
        Rounding::Rnd => (false, false),
        Rounding::TrnZero | Rounding::RndZero | Rounding::RndInf => (true, true),
        Rounding::RndMinInf | Rounding::RndConv => (true, false),
    };
    let _ = writeln!(v, "  wire {qb} = {p}_x[{}];", d - 1);
    if uses_r {
        if d >= 2 {
            let _ = writeln!(v, "  wire {r} = |{p}_x[{}:0];", d - 2);
        } else {
            let _ = writeln!(v, "  wire {r} = 1'b0;");
        }
    }
    if uses_neg {
        let _ = writeln!(v, "  wire {neg} = {p}_x[{}];", k - 1);
    }
    match q {
        Rounding::Trn => "1'b0".into(),
        Rounding::TrnZero => format!("({neg} & ({qb} | {r}))"),
        Rounding::Rnd => qb,
        Rounding::RndZero => format!("({qb} & ({neg} | {r}))"),
        Rounding::RndMinInf => format!("({qb} & {r})"),
        Rounding::RndInf => format!("({qb} & (~{neg} | {r}))"),
        Rounding::RndConv => format!("({qb} & ({lsb} | {r}))"),
    }
}
