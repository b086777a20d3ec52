//! The low-rank part of the report: report.json's top-level `low_rank` (one entry per factorized
//! layer: rank, rule, energy kept, params and MACs before and after) and `low_rank_search` (the
//! candidates `--low-rank tolerance=T` measured, null otherwise), and their lines in report.txt.

use std::fmt::Write;

use serde::Serialize;

use super::tolerance::Search;
use super::Decomposed;

/// Flattened into [`super::Report`]: both keys are top-level in report.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LowRankSection {
    /// Empty when no layer was factorized.
    pub low_rank: Vec<Decomposed>,
    pub low_rank_search: Option<Search>,
}

impl LowRankSection {
    /// The report.txt lines (nothing when the pass did not run).
    pub fn render(&self, s: &mut String) {
        if let Some(search) = &self.low_rank_search {
            let _ = writeln!(
                s,
                "\nlow-rank search (tolerance {} points, fixed-point accuracy on {} labelled \
                 calibration samples): baseline {:.2} % at {} MACs; chose {}",
                search.tolerance,
                search.samples,
                100.0 * search.baseline_accuracy,
                search.baseline_macs,
                search
                    .chosen
                    .as_deref()
                    .unwrap_or("nothing (no candidate within the tolerance)")
            );
            for t in &search.trials {
                let _ = writeln!(
                    s,
                    "  {:<14} {} layer(s)  {} MACs  {:.2} %",
                    t.rule,
                    t.layers,
                    t.macs,
                    100.0 * t.fixed_accuracy
                );
            }
        }
        if self.low_rank.is_empty() {
            if self.low_rank_search.is_some() {
                s.push_str("\nlow-rank: no layer factorized\n");
            }
            return;
        }
        s.push_str("\nlow-rank (truncated SVD; the new first layer is <layer>.lr_v):\n");
        let mut rows = vec![[
            "layer", "matrix", "rank", "energy", "params", "MACs", "rule",
        ]
        .map(String::from)];
        for d in &self.low_rank {
            rows.push([
                d.layer.clone(),
                format!("{}x{}", d.matrix[0], d.matrix[1]),
                d.rank.to_string(),
                format!("{:.4}", d.energy_kept),
                format!("{} -> {}", d.params_before, d.params_after),
                format!("{} -> {}", d.macs_before, d.macs_after),
                d.rule.clone(),
            ]);
        }
        let (mb, ma) = self
            .low_rank
            .iter()
            .fold((0, 0), |(b, a), d| (b + d.macs_before, a + d.macs_after));
        let (pb, pa) = self.low_rank.iter().fold((0, 0), |(b, a), d| {
            (b + d.params_before, a + d.params_after)
        });
        let ratio = if ma > 0 { mb as f64 / ma as f64 } else { 0.0 };
        rows.push([
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            format!("{pb} -> {pa}"),
            format!("{mb} -> {ma} ({ratio:.2}x fewer)"),
            String::new(),
        ]);
        let widths: Vec<usize> = (0..7)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for r in rows {
            let mut line = String::from(" ");
            for (c, cell) in r.iter().enumerate() {
                let _ = write!(line, " {cell:<w$}", w = widths[c]);
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
    }
}
