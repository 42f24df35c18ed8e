//! `capsim diff A B`: both configurations run with the same seed and replication indices
//! (common random numbers: replication i of each sees the same random streams), and each
//! metric's difference B - A gets a paired 95% interval. The unpaired (Welch) interval is
//! shown beside it: the gap between the two is the noise that pairing removed.

use crate::aggregate::observe::observe;
use crate::engine::RunError;
use crate::engine::result::ReplicationResult;
use crate::gate::Runner;
use crate::gate::metrics::{fmt_num, fmt_signed, key_metrics};
use crate::model::experiment::Experiment;
use crate::stats::interval::{Estimate, estimate_in, paired_difference};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Debug, Clone, Serialize)]
pub struct DiffRow {
    pub metric: String,
    pub unit: String,
    pub a: Estimate,
    pub b: Estimate,
    /// Mean of the paired differences B - A with its 95% interval.
    pub paired: Estimate,
    /// Welch's 95% interval on mean(B) - mean(A), ignoring the pairing.
    pub unpaired_ci95: Option<[f64; 2]>,
}

impl DiffRow {
    pub fn paired_width(&self) -> Option<f64> {
        self.paired.ci95.map(|[l, h]| h - l)
    }
    pub fn unpaired_width(&self) -> Option<f64> {
        self.unpaired_ci95.map(|[l, h]| h - l)
    }
    /// "p(95) +38 ms [+31, +45]".
    pub fn text(&self) -> String {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        match self.paired.ci95 {
            Some([l, h]) => format!(
                "{} {}{unit} [{}, {}]",
                self.metric,
                fmt_signed(self.paired.mean),
                fmt_signed(l),
                fmt_signed(h)
            ),
            None => format!("{} {}{unit}", self.metric, fmt_signed(self.paired.mean)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ThresholdDiff {
    pub metric: String,
    pub threshold: String,
    pub pass_probability_a: f64,
    pub pass_probability_b: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub a: String,
    pub b: String,
    pub seed: u64,
    pub replications: usize,
    pub metrics: Vec<DiffRow>,
    pub thresholds: Vec<ThresholdDiff>,
}

/// Welch's interval on mean(b) - mean(a) at 95%.
pub fn welch_interval(a: &[f64], b: &[f64]) -> Option<[f64; 2]> {
    let clean = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| !x.is_nan())
            .collect::<Vec<_>>()
    };
    let (a, b) = (clean(a), clean(b));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if na < 2.0 || nb < 2.0 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var = |v: &[f64], m: f64| {
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
    };
    let (ma, mb) = (mean(&a), mean(&b));
    let (va, vb) = (var(&a, ma) / na, var(&b, mb) / nb);
    let d = mb - ma;
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some([d, d]);
    }
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975);
    let h = t * se2.sqrt();
    Some([d - h, d + h])
}

/// Runs A and B side by side with the same replication indices (A's count): with the same
/// seed, the paired differences share their random numbers.
pub fn run_pair(
    runner: &Runner,
    exp_a: &Experiment,
    exp_b: &Experiment,
) -> Result<(Vec<ReplicationResult>, Vec<ReplicationResult>), RunError> {
    let idx: Vec<u32> = (0..exp_a.replications).collect();
    let (ra, rb) =
        runner.install(|| rayon::join(|| runner.run(exp_a, &idx), || runner.run(exp_b, &idx)));
    Ok((ra?, rb?))
}

pub fn compare(
    exp_a: &Experiment,
    res_a: &[ReplicationResult],
    exp_b: &Experiment,
    res_b: &[ReplicationResult],
    label_a: &str,
    label_b: &str,
) -> DiffReport {
    let defs_a = key_metrics(exp_a);
    let defs_b = key_metrics(exp_b);
    let metrics = defs_a
        .iter()
        .filter_map(|da| {
            let db = defs_b.iter().find(|d| d.name == da.name)?;
            let va = da.values(res_a);
            let vb = db.values(res_b);
            Some(DiffRow {
                metric: da.name.clone(),
                unit: da.unit.to_string(),
                a: estimate_in(&va, da.domain()),
                b: estimate_in(&vb, db.domain()),
                paired: paired_difference(&vb, &va),
                unpaired_ci95: welch_interval(&va, &vb),
            })
        })
        .collect();
    let pass = |exp: &Experiment, res: &[ReplicationResult], key: &str, expr: &str| {
        exp.thresholds
            .iter()
            .find(|t| t.key == key && t.expression == expr)
            .map(|t| {
                let n = res.len().max(1) as f64;
                res.iter()
                    .filter(|r| t.passes(observe(t, r, &exp.percentiles)))
                    .count() as f64
                    / n
            })
            .unwrap_or(f64::NAN)
    };
    let mut thresholds: Vec<ThresholdDiff> = Vec::new();
    for t in exp_a.thresholds.iter().chain(&exp_b.thresholds) {
        if thresholds
            .iter()
            .any(|d| d.metric == t.key && d.threshold == t.expression)
        {
            continue;
        }
        thresholds.push(ThresholdDiff {
            metric: t.key.clone(),
            threshold: t.expression.clone(),
            pass_probability_a: pass(exp_a, res_a, &t.key, &t.expression),
            pass_probability_b: pass(exp_b, res_b, &t.key, &t.expression),
        });
    }
    DiffReport {
        a: label_a.to_string(),
        b: label_b.to_string(),
        seed: exp_a.seed,
        replications: res_a.len(),
        metrics,
        thresholds,
    }
}

fn ci_text(ci: Option<[f64; 2]>) -> String {
    ci.map(|[l, h]| format!("[{}, {}]", fmt_signed(l), fmt_signed(h)))
        .unwrap_or_else(|| "-".into())
}

impl DiffReport {
    pub fn text(&self) -> String {
        let mut s = format!(
            "capsim diff (B - A, common random numbers: seed {}, replications 0..{} of each)\n  A: {}\n  B: {}\n\n",
            self.seed, self.replications, self.a, self.b
        );
        let head = [
            "metric",
            "A",
            "B",
            "B - A [paired 95%]",
            "unpaired 95%",
            "narrower",
        ];
        let rows: Vec<[String; 6]> = self
            .metrics
            .iter()
            .map(|r| {
                let narrower = match (r.paired_width(), r.unpaired_width()) {
                    (Some(p), Some(u)) if p > 0.0 => format!("{:.1}x", u / p),
                    (Some(p), Some(u)) if p == 0.0 && u > 0.0 => "exact".into(),
                    _ => "-".into(),
                };
                [
                    format!(
                        "{}{}",
                        r.metric,
                        if r.unit.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", r.unit)
                        }
                    ),
                    fmt_num(r.a.mean),
                    fmt_num(r.b.mean),
                    format!("{} {}", fmt_signed(r.paired.mean), ci_text(r.paired.ci95)),
                    ci_text(r.unpaired_ci95),
                    narrower,
                ]
            })
            .collect();
        s.push_str(&crate::gate::metrics::aligned_table(head, &rows));
        if !self.thresholds.is_empty() {
            s.push_str("\n  thresholds: P(pass) A -> B\n");
            for t in &self.thresholds {
                s.push_str(&format!(
                    "    {}: '{}': {:.3} -> {:.3}\n",
                    t.metric, t.threshold, t.pass_probability_a, t.pass_probability_b
                ));
            }
        }
        s
    }

    pub fn markdown(&self) -> String {
        let mut s = format!(
            "## capsim diff\n\nA: `{}`  \nB: `{}`  \nCommon random numbers: seed {}, {} paired replications.\n\n| metric | A | B | B - A (paired 95%) | unpaired 95% |\n|---|---|---|---|---|\n",
            self.a, self.b, self.seed, self.replications
        );
        for r in &self.metrics {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} {} | {} |\n",
                r.metric,
                fmt_num(r.a.mean),
                fmt_num(r.b.mean),
                fmt_signed(r.paired.mean),
                ci_text(r.paired.ci95),
                ci_text(r.unpaired_ci95)
            ));
        }
        s
    }
}
