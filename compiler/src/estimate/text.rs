//! The estimate as text: a per-layer table, the totals against the budget, latency, warnings.

use std::fmt::Write;

use super::{Estimate, Multiplier};
use crate::hardware::Io;

pub(super) fn render(e: &Estimate) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "resource estimate: {} ({}) at {} ns ({:.1} MHz)",
        e.board,
        e.part,
        e.clock_ns,
        1000.0 / e.clock_ns
    );
    let header = [
        "layer", "kernel", "strategy", "MACs", "reuse", "mults", "mult", "DSP", "LUT", "FF",
        "BRAM36", "II", "cycles",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for l in &e.layers {
        let mult = match l.multiplier {
            None => "-".to_string(),
            Some(Multiplier::Dsp) => format!("dsp×{}", l.dsp_per_multiplier),
            Some(Multiplier::Fabric) => "lut".into(),
            Some(Multiplier::ShiftAdd) => "shift-add".into(),
        };
        rows.push(vec![
            l.name.clone(),
            l.kernel.clone(),
            l.strategy.as_str().to_string(),
            l.macs.to_string(),
            l.reuse_factor.to_string(),
            l.multipliers.to_string(),
            mult,
            l.dsp.to_string(),
            l.lut.to_string(),
            l.ff.to_string(),
            half(l.bram18),
            l.ii.to_string(),
            l.latency_cycles.to_string(),
        ]);
    }
    for (what, o) in [
        (
            match e.io {
                Io::Parallel => "(activation arrays)",
                Io::Stream => "(FIFOs, line buffers)",
            },
            &e.buffers,
        ),
        ("(AXI interfaces)", &e.interface),
    ] {
        let mut r = vec![what.to_string()];
        r.extend(["", "", "", "", "", "", "0"].iter().map(|c| c.to_string()));
        r.extend([
            o.lut.to_string(),
            o.ff.to_string(),
            half(o.bram18),
            String::new(),
            o.latency_cycles.to_string(),
        ]);
        rows.push(r);
    }
    table(&mut s, &rows);
    let t = &e.totals;
    let u = &e.utilization;
    let b = &e.budget;
    let _ = writeln!(s, "total:");
    let _ = writeln!(s, "  DSP48   {:>9} / {:<7} ({:.1}%)", t.dsp, b.dsp, u.dsp);
    let _ = writeln!(s, "  LUT     {:>9} / {:<7} ({:.1}%)", t.lut, b.lut, u.lut);
    let _ = writeln!(s, "  FF      {:>9} / {:<7} ({:.1}%)", t.ff, b.ff, u.ff);
    let _ = writeln!(
        s,
        "  BRAM36  {:>9} / {:<7} ({:.1}%)",
        t.bram36, b.bram36, u.bram36
    );
    match e.io {
        Io::Stream => {
            let _ = writeln!(
                s,
                "  latency {} cycles per sample = {:.2} us at {} ns; a new sample every {} cycles \
                 (II; dataflow: layers overlap)",
                t.latency_cycles, e.latency_us, e.clock_ns, t.ii
            );
        }
        Io::Parallel if e.pipelined => {
            let _ = writeln!(
                s,
                "  latency {} cycles per sample = {:.2} us at {} ns with the DDR transfers; the \
                 layers are one pipeline: {} cycles, a new sample every {} cycles ({} with the \
                 interface's one word per cycle)",
                t.latency_cycles, e.latency_us, e.clock_ns, t.core_latency_cycles, t.core_ii, t.ii
            );
        }
        Io::Parallel => {
            let _ = writeln!(
                s,
                "  latency {} cycles per sample = {:.2} us at {} ns (layers run one after the other)",
                t.latency_cycles, e.latency_us, e.clock_ns
            );
        }
    }
    let _ = writeln!(
        s,
        "  fits: {}",
        if e.fits() {
            if e.within(super::FIT_MARGIN) {
                "yes"
            } else {
                "yes, above the 80% margin"
            }
        } else {
            "NO"
        }
    );
    for w in &e.warnings {
        let _ = writeln!(s, "  warning: {w}");
    }
    s
}

/// BRAM18 count as BRAM36 (halves shown as .5).
fn half(bram18: u64) -> String {
    match bram18 % 2 {
        0 => (bram18 / 2).to_string(),
        _ => format!("{}.5", bram18 / 2),
    }
}

fn table(s: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c < 2 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            line.push_str("  ");
        }
        let _ = writeln!(s, "  {}", line.trim_end());
    }
}

/// The resources above 100%, as "DSP 420/360 (116.7%), LUT ...".
pub(super) fn over_budget(e: &Estimate) -> String {
    over_budget_share(e, 1.0)
}

/// The resources above `share` of the budget.
pub(super) fn over_budget_share(e: &Estimate, share: f64) -> String {
    let t = &e.totals;
    let b = &e.budget;
    let u = &e.utilization;
    let all = [
        ("DSP", t.dsp as f64, b.dsp, u.dsp),
        ("LUT", t.lut as f64, b.lut, u.lut),
        ("FF", t.ff as f64, b.ff, u.ff),
        ("BRAM36", t.bram36, b.bram36, u.bram36),
    ];
    all.iter()
        .filter(|r| r.3 > share * 100.0 + 1e-9)
        .map(|(n, used, have, pct)| format!("{n} {used}/{have} ({pct:.1}%)"))
        .collect::<Vec<_>>()
        .join(", ")
}
