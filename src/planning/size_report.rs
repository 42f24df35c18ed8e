//! The console view of a `capsim size` answer: the answer or why there is none, the knobs'
//! directions, every evaluated setting with the Pareto front marked, and the count of
//! evaluations against the grid's size.

use crate::gate::metrics::fmt_num;
use crate::planning::probe::CostUnit;
use crate::planning::size::Sizing;

fn est(e: &crate::stats::interval::Estimate) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!("{} [{}, {}]", fmt_num(e.mean), fmt_num(lo), fmt_num(hi)),
        None => fmt_num(e.mean),
    }
}

impl Sizing {
    /// The answer in one sentence.
    pub fn headline(&self) -> String {
        let Some(b) = self.best.map(|i| &self.evaluated[i]) else {
            return "no setting was evaluated".into();
        };
        if self.feasible {
            format!(
                "cheapest setting that meets every threshold with P(pass) >= {}: {} (cost {} {}, SLO attainment {:.2} [{:.2}, {:.2}], p(95) {} ms, {} req/s)",
                self.level,
                b.set.join(", "),
                est(&b.probe.cost),
                self.cost_unit.label(),
                b.probe.attainment,
                b.probe.attainment_ci[0],
                b.probe.attainment_ci[1],
                est(&b.probe.p95_ms),
                est(&b.probe.throughput)
            )
        } else {
            let fails: Vec<String> = b
                .probe
                .thresholds
                .iter()
                .filter(|t| t.pass_probability < self.level)
                .map(|t| {
                    format!(
                        "{} '{}' P(pass) {:.2}",
                        t.metric, t.threshold, t.pass_probability
                    )
                })
                .collect();
            format!(
                "infeasible: no setting in the ranges meets every threshold with P(pass) >= {}; the best seen is {} (SLO attainment {:.2}{})",
                self.level,
                b.set.join(", "),
                b.probe.attainment,
                if fails.is_empty() {
                    String::new()
                } else {
                    format!("; short: {}", fails.join(", "))
                }
            )
        }
    }

    pub fn table(&self) -> String {
        let mut s = format!(
            "capsim size: {} on {} (seed {}, level {})\n",
            self.experiment, self.model, self.seed, self.level
        );
        if self.cost_unit == CostUnit::ReplicaSeconds {
            s.push_str("  cost: replica-seconds of every service (the model sets no prices)\n");
        } else {
            s.push_str("  cost: cost.total_usd from the model's prices\n");
        }
        for d in &self.directions {
            s.push_str(&format!(
                "  knob {}: generous end {} ({})\n",
                d.path, d.generous_end, d.evidence
            ));
        }
        s.push('\n');
        let mut head: Vec<String> = self.knobs.iter().map(|k| k.path.clone()).collect();
        head.extend(
            [
                "verdict",
                "reps",
                "SLO attainment",
                "p(95) ms",
                "cost",
                "pareto",
            ]
            .map(String::from),
        );
        let mut order: Vec<usize> = (0..self.evaluated.len()).collect();
        order.sort_by(|&a, &b| {
            self.evaluated[a]
                .probe
                .cost
                .mean
                .total_cmp(&self.evaluated[b].probe.cost.mean)
        });
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|&i| {
                let e = &self.evaluated[i];
                let mut r: Vec<String> = self
                    .knobs
                    .iter()
                    .zip(&e.values)
                    .map(|(k, &v)| k.text(v))
                    .collect();
                r.push(if e.probe.passed { "pass" } else { "fail" }.into());
                r.push(e.probe.replications.to_string());
                r.push(format!("{:.2}", e.probe.attainment));
                r.push(fmt_num(e.probe.p95_ms.mean));
                r.push(fmt_num(e.probe.cost.mean));
                r.push(match (Some(i) == self.best, e.pareto) {
                    (true, _) => "* best".into(),
                    (false, true) => "*".into(),
                    _ => String::new(),
                });
                r
            })
            .collect();
        let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::from(" ");
            for (i, c) in cells.iter().enumerate() {
                l.push_str(&format!(" {:<width$}", c, width = w[i]));
            }
            l.trim_end().to_string() + "\n"
        };
        s.push_str(&line(&head));
        for r in &rows {
            s.push_str(&line(r));
        }
        s.push_str(&format!("\n  {}\n", self.headline()));
        s.push_str(
            "  pareto (*): no other evaluated setting is as cheap and as good on SLO attainment\n",
        );
        for v in &self.violations {
            s.push_str(&format!("  monotonicity assumption contradicted: {v}\n"));
        }
        s.push_str(&format!(
            "  {} evaluations of a {:.0}-setting grid, {} replications\n",
            self.evaluations, self.grid_size, self.replications
        ));
        s
    }
}
