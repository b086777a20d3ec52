//! Compares the header's answers with the runtime, raw bit for raw bit.
//!
//! Every compared raw value counts as one case. The runtime is evaluated under
//! `catch_unwind`, so a panic is reported as a mismatch of that case rather than ending
//! the run. Checks that build on an earlier result take the header's value as input (e.g.
//! `to_f64` of the header's `x`, the cast of the header's `a + b`), so each bug shows up
//! once, in the check that owns it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use binpoint_runtime::{Fixed, FixedError, FixedType, Overflow, Rounding};

use super::gen::Plan;
use super::{Answer, BinOp, CppType, Group, Timing};
use crate::Error;

/// Mismatches kept with full details (all are counted).
const KEPT: usize = 10_000;

/// One case where the runtime and the header disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The check, e.g. `double -> T`, `cast`, `add`, `result type`.
    pub check: String,
    /// The group's types, C++ spelling.
    pub group: String,
    pub input: String,
    pub cpp: String,
    pub rust: String,
    /// Check plus destination modes: mismatches of one kind usually share a cause.
    pub kind: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}\n    input {}\n    C++  {}\n    Rust {}",
            self.check, self.group, self.input, self.cpp, self.rust
        )
    }
}

/// The outcome of a differential run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub seed: u64,
    pub groups: usize,
    /// Compared raw values per check.
    pub counts: BTreeMap<String, u64>,
    /// Compared values per destination (signed, Q, O).
    pub combos: BTreeMap<(bool, Rounding, Overflow), u64>,
    /// Runtime-only checks (errors the runtime must return), per check.
    pub rust_only: BTreeMap<String, u64>,
    pub mismatch_count: u64,
    /// The first mismatches (up to 10,000).
    pub mismatches: Vec<Mismatch>,
    /// Mismatches per kind, with the first example of each.
    pub kinds: BTreeMap<String, (u64, Mismatch)>,
    /// Compared casts on which the header, built without `NDEBUG`, aborts (see
    /// [`header_asserts`]), and the first such type pair.
    pub assert_cases: u64,
    pub assert_example: Option<String>,
    pub timing: Timing,
}

impl Report {
    /// Total compared raw values.
    pub fn compared(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Seed, counts per check, coverage and timings, one item per line.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "oracle: seed {:#x} (BINPOINT_ORACLE_SEED), {} groups, {} compared values, {} mismatches\n",
            self.seed,
            self.groups,
            self.compared(),
            self.mismatch_count
        );
        for (check, n) in &self.counts {
            s += &format!("  {check:<28} {n:>8}\n");
        }
        for (check, n) in &self.rust_only {
            s += &format!("  {check:<28} {n:>8}  (runtime only)\n");
        }
        let low = self.combos.values().min().copied().unwrap_or(0);
        s += &format!(
            "  destination (signedness, Q, O) combinations covered: {} (fewest values: {low})\n",
            self.combos.len()
        );
        if let Some(example) = &self.assert_example {
            s += &format!(
                "  casts that abort in the header without NDEBUG: {} (e.g. {example})\n",
                self.assert_cases
            );
        }
        let t = &self.timing;
        s += &format!(
            "  g++: {} compiled in {:.1} s, {} from cache; run {:.2} s\n",
            t.compiled,
            t.compile.as_secs_f64(),
            t.cached,
            t.run.as_secs_f64()
        );
        s
    }

    /// One example per kind, then the first `limit` mismatches; with the seed to replay.
    pub fn mismatch_text(&self, limit: usize) -> String {
        let mut s = format!(
            "{} mismatches between the runtime and the ap_fixed headers \
             (replay with BINPOINT_ORACLE_SEED={:#x}).\n\nBy kind ({}):\n",
            self.mismatch_count,
            self.seed,
            self.kinds.len()
        );
        for (kind, (n, m)) in &self.kinds {
            s += &format!("{kind}: {n} mismatches, e.g.\n{m}\n");
        }
        let shown = limit.min(self.mismatches.len());
        s += &format!("\nThe first {shown}:\n");
        for m in self.mismatches.iter().take(limit) {
            s += &format!("{m}\n");
        }
        s
    }

    fn compared_one(&mut self, check: &str, to: Option<&FixedType>) {
        *self.counts.entry(check.to_string()).or_default() += 1;
        if let Some(t) = to {
            *self
                .combos
                .entry((t.is_signed(), t.rounding(), t.overflow()))
                .or_default() += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        check: &str,
        group: &Group,
        to: Option<&FixedType>,
        input: impl FnOnce() -> String,
        cpp: u128,
        rust: Result<u128, String>,
        show: impl Fn(u128) -> String,
    ) {
        self.compared_one(check, to);
        if rust.as_ref().is_ok_and(|&r| r == cpp) {
            return;
        }
        let rust = match rust {
            Ok(r) => show(r),
            Err(e) => e,
        };
        self.mismatch(Mismatch {
            check: check.to_string(),
            group: group.describe(),
            input: input(),
            cpp: show(cpp),
            rust,
            kind: kind(check, to),
        });
    }

    fn note_assert(&mut self, from: &FixedType, to: &FixedType) {
        if header_asserts(from, to) {
            self.assert_cases += 1;
            if self.assert_example.is_none() {
                self.assert_example = Some(format!("{from} -> {to}"));
            }
        }
    }

    fn mismatch(&mut self, m: Mismatch) {
        self.mismatch_count += 1;
        self.kinds
            .entry(m.kind.clone())
            .and_modify(|(n, _)| *n += 1)
            .or_insert_with(|| (1, m.clone()));
        if self.mismatches.len() < KEPT {
            self.mismatches.push(m);
        }
    }
}

/// Whether the header's converting `operator=` from `from` to `to` reads the rounding bit
/// beyond `from`'s MSB, which `ap_private::get_bit` asserts against: the result is well
/// defined (that bit is not used), but a build without `NDEBUG` aborts.
pub fn header_asserts(from: &FixedType, to: &FixedType) -> bool {
    let quantizes = match to.rounding() {
        Rounding::Trn => false,
        Rounding::TrnZero => from.is_signed(),
        _ => true,
    };
    let dropped = i64::from(from.frac_bits()) - i64::from(to.frac_bits());
    quantizes && dropped > i64::from(from.width())
}

fn kind(check: &str, to: Option<&FixedType>) -> String {
    match to {
        Some(t) => format!(
            "{check} into {} {} {}",
            if t.is_signed() {
                "ap_fixed"
            } else {
                "ap_ufixed"
            },
            t.rounding(),
            t.overflow()
        ),
        None => check.to_string(),
    }
}

/// `0x1f (raw 31)`: raw bits of `ty` with their two's-complement reading.
fn show_raw(ty: FixedType) -> impl Fn(u128) -> String {
    move |bits| format!("{bits:#x} (raw {})", Fixed::from_bits(bits, ty).raw())
}

fn show_f64(bits: u128) -> String {
    format!("{bits:#018x} ({:e})", f64::from_bits(bits as u64))
}

/// Checks `answers` (the header's, in `plan.groups` order) against the runtime.
pub fn check(seed: u64, plan: &Plan, answers: &[Answer], timing: Timing) -> Result<Report, Error> {
    if answers.len() != plan.groups.len() {
        return Err(Error::Output(format!(
            "{} answers for {} groups",
            answers.len(),
            plan.groups.len()
        )));
    }
    let mut report = Report {
        seed,
        groups: plan.groups.len(),
        timing,
        ..Report::default()
    };
    for (group, answer) in plan.groups.iter().zip(answers) {
        match (group, answer) {
            (Group::FromF64 { to, inputs }, Answer::FromF64(values)) => {
                check_f64(&mut report, group, to, inputs, values)
            }
            (Group::Cast { from, to, inputs }, Answer::Cast(values)) => {
                check_cast(&mut report, group, from, to, inputs, values)
            }
            (
                Group::Binary {
                    op,
                    lhs,
                    rhs,
                    to,
                    inputs,
                },
                Answer::Binary { result, values },
            ) => check_binary(
                &mut report,
                group,
                (*op, lhs, rhs, to),
                inputs,
                result,
                values,
            ),
            _ => {
                return Err(Error::Output(format!(
                    "answer of the wrong kind for {}",
                    group.describe()
                )))
            }
        }
    }
    for (op, lhs, rhs) in &plan.too_wide {
        check_too_wide(&mut report, *op, lhs, rhs);
    }
    Ok(report)
}

fn check_f64(
    r: &mut Report,
    group: &Group,
    to: &FixedType,
    inputs: &[f64],
    values: &[(u128, u64)],
) {
    for (&x, &(bits, dbl)) in inputs.iter().zip(values) {
        let input = || show_f64(u128::from(x.to_bits()));
        let rust = guard(|| Fixed::from_f64(x, *to))
            .and_then(|v| v.map(|v| v.bits()).map_err(|e| format!("Err({e})")));
        r.compare(
            "double -> T",
            group,
            Some(to),
            input,
            bits,
            rust,
            show_raw(*to),
        );
        let header_x = Fixed::from_bits(bits, *to);
        let rust = guard(|| u128::from(header_x.to_f64().to_bits()));
        let input = || format!("{} of {to}", show_raw(*to)(bits));
        r.compare(
            "to_double",
            group,
            None,
            input,
            u128::from(dbl),
            rust,
            show_f64,
        );
    }
    // Not sent to C++: the runtime must refuse NaN and infinities.
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        *r.rust_only.entry("non-finite -> Err".into()).or_default() += 1;
        let got = guard(|| Fixed::from_f64(x, *to));
        if !matches!(got, Ok(Err(FixedError::NotFinite { .. }))) {
            r.mismatch(Mismatch {
                check: "non-finite -> Err".into(),
                group: group.describe(),
                input: format!("{x}"),
                cpp: "(not asked) NotFinite error expected".into(),
                rust: format!("{got:?}"),
                kind: "non-finite -> Err".into(),
            });
        }
    }
}

fn check_cast(
    r: &mut Report,
    group: &Group,
    from: &FixedType,
    to: &FixedType,
    inputs: &[u128],
    values: &[(u128, u64)],
) {
    let check = if from == to {
        "cast (same type)"
    } else {
        "cast"
    };
    for (&bits_in, &(bits, dbl)) in inputs.iter().zip(values) {
        let s = Fixed::from_bits(bits_in, *from);
        let input = || show_raw(*from)(bits_in);
        let rust = guard(|| s.cast(*to).bits());
        r.compare(check, group, Some(to), input, bits, rust, show_raw(*to));
        r.note_assert(from, to);
        let rust = guard(|| u128::from(s.to_f64().to_bits()));
        let input = || format!("{} of {from}", show_raw(*from)(bits_in));
        r.compare(
            "to_double",
            group,
            None,
            input,
            u128::from(dbl),
            rust,
            show_f64,
        );
    }
}

fn check_binary(
    r: &mut Report,
    group: &Group,
    (op, lhs, rhs, to): (BinOp, &FixedType, &FixedType, &FixedType),
    inputs: &[(u128, u128)],
    result: &CppType,
    values: &[(u128, u128, u64)],
) {
    let zero = |ty: &FixedType| Fixed::from_bits(0, *ty);
    let rty = match guard(|| op.eval(&zero(lhs), &zero(rhs))) {
        Ok(Ok(v)) => v.ty(),
        other => {
            r.compared_one("result type", None);
            r.mismatch(Mismatch {
                check: "result type".into(),
                group: group.describe(),
                input: "-".into(),
                cpp: format!("{result:?}"),
                rust: format!("{other:?}"),
                kind: format!("{} result type", op.name()),
            });
            return;
        }
    };
    let rust_type = CppType {
        width: rty.width(),
        int_bits: rty.int_bits(),
        signed: rty.is_signed(),
        rounding: rty.rounding(),
        overflow: rty.overflow(),
    };
    r.compared_one("result type", None);
    if rust_type != *result {
        r.mismatch(Mismatch {
            check: "result type".into(),
            group: group.describe(),
            input: "-".into(),
            cpp: format!("{result:?}"),
            rust: format!("{rust_type:?}"),
            kind: format!("{} result type", op.name()),
        });
        return;
    }
    let cast_check = format!("cast of {} result", op.name());
    for (&(a_bits, b_bits), &(r_bits, t_bits, dbl)) in inputs.iter().zip(values) {
        let a = Fixed::from_bits(a_bits, *lhs);
        let b = Fixed::from_bits(b_bits, *rhs);
        let input = || {
            format!(
                "a = {}, b = {}",
                show_raw(*lhs)(a_bits),
                show_raw(*rhs)(b_bits)
            )
        };
        let rust = guard(|| op.eval(&a, &b))
            .and_then(|v| v.map(|v| v.bits()).map_err(|e| format!("Err({e})")));
        r.compare(op.name(), group, None, input, r_bits, rust, show_raw(rty));

        let header_r = Fixed::from_bits(r_bits, rty);
        let input = || format!("r = {} of {rty}", show_raw(rty)(r_bits));
        let rust = guard(|| header_r.cast(*to).bits());
        r.compare(
            &cast_check,
            group,
            Some(to),
            input,
            t_bits,
            rust,
            show_raw(*to),
        );
        r.note_assert(&rty, to);

        let input = || format!("r = {} of {rty}", show_raw(rty)(r_bits));
        let rust = guard(|| u128::from(header_r.to_f64().to_bits()));
        r.compare(
            "to_double",
            group,
            None,
            input,
            u128::from(dbl),
            rust,
            show_f64,
        );
    }
}

/// `a + b` / `a - b` wider than 128 bits: the runtime must return `ResultTooWide` with the
/// header's width, `max(I1 + (S2∧¬S1), I2 + (S1∧¬S2)) + 1 + max(F1, F2)`.
fn check_too_wide(r: &mut Report, op: BinOp, lhs: &FixedType, rhs: &FixedType) {
    let check = "too wide -> Err";
    *r.rust_only.entry(check.into()).or_default() += 1;
    let (s1, s2) = (lhs.is_signed(), rhs.is_signed());
    let i1 = i64::from(lhs.int_bits()) + i64::from(s2 && !s1);
    let i2 = i64::from(rhs.int_bits()) + i64::from(s1 && !s2);
    let expected = i1.max(i2) + 1 + i64::from(lhs.frac_bits().max(rhs.frac_bits()));
    let zero = |ty: &FixedType| Fixed::from_bits(0, *ty);
    let got = guard(|| op.eval(&zero(lhs), &zero(rhs)));
    let ok = matches!(&got, Ok(Err(FixedError::ResultTooWide { width, .. })) if *width == expected);
    if !ok || expected <= 128 {
        r.mismatch(Mismatch {
            check: check.into(),
            group: format!("{lhs} {} {rhs}", op.symbol()),
            input: "-".into(),
            cpp: format!("(not asked) {expected}-bit result, ResultTooWide expected"),
            rust: format!("{got:?}"),
            kind: check.into(),
        });
    }
}

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err("panicked: ...")`; the panic is not printed.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string payload".into());
        format!("panicked: {msg}")
    })
}
