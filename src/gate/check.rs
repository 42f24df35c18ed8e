//! `capsim check`: the CI gate. Each threshold is judged by two rules (see
//! `aggregate::thresholds`): the count of replications that passed (Wilson interval) and
//! the metric's values under a normal model (noncentral t interval). It passes when a rule
//! shows P(pass) >= level at the chosen confidence and the other does not show the
//! opposite. An *undecided* threshold fails the gate: CI must not merge on a coin toss.
//! `sequential` adds replications while one is undecided.

use crate::aggregate::thresholds::{DecidedBy, PooledRule, ValuesRule, Verdict, judge_results};
use crate::engine::result::ReplicationResult;
use crate::gate::metrics::fmt_num;
use crate::model::experiment::Experiment;
use crate::stats::interval::Estimate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GateOptions {
    /// Required probability that a threshold passes (default 0.9).
    pub level: f64,
    /// Confidence of the Wilson interval on that probability (default 0.95).
    pub confidence: f64,
}

impl Default for GateOptions {
    fn default() -> Self {
        GateOptions {
            level: 0.9,
            confidence: 0.95,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateVerdict {
    /// The whole interval on P(pass) is at or above the level.
    Pass,
    /// The whole interval is below the level.
    Fail,
    /// The interval straddles the level; a gate treats this as a failure.
    Undecided,
}

impl GateVerdict {
    pub fn word(self) -> &'static str {
        match self {
            GateVerdict::Pass => "PASS",
            GateVerdict::Fail => "FAIL",
            GateVerdict::Undecided => "UNDECIDED",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    pub metric: String,
    pub threshold: String,
    /// The metric across replications (mean and 95% interval).
    pub observed: Estimate,
    pub passes: usize,
    pub replications: usize,
    pub pass_probability: f64,
    /// Wilson interval on the pass probability at the chosen confidence.
    pub pass_probability_ci: [f64; 2],
    /// P(pass) from the metric's values (`null` when the normal model was not used).
    pub values: Option<ValuesRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_not_used: Option<String>,
    /// P(pass) from the pooled counts (http_req_failed and checks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled: Option<PooledRule>,
    pub decided_by: DecidedBy,
    pub verdict: GateVerdict,
    /// Why, in one sentence.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub experiment: String,
    pub model: String,
    pub seed: u64,
    pub replications: usize,
    pub level: f64,
    pub confidence: f64,
    pub overrides: Vec<String>,
    pub thresholds: Vec<GateRow>,
    /// True when every threshold passes.
    pub passed: bool,
    /// How the number of replications was chosen (sequential stopping), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping: Option<String>,
    /// Alert rules that fired in at least one replication.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<crate::gate::alerts::AlertSummary>,
}

/// Judges every threshold of `exp` on `results`.
pub fn evaluate(
    exp: &Experiment,
    results: &[ReplicationResult],
    opts: GateOptions,
    overrides: Vec<String>,
) -> GateReport {
    let rows: Vec<GateRow> = exp
        .thresholds
        .iter()
        .map(|t| {
            let j = judge_results(exp, t, results, opts.level, opts.confidence);
            let (passes, n) = (j.passes, j.replications);
            let [lo, hi] = j.pass_probability_ci95;
            let conf = format!("{:.0}%", opts.confidence * 100.0);
            let count = format!(
                "passed in {passes} of {n} replications (count interval [{lo:.3}, {hi:.3}])"
            );
            let values = match (&j.values, &j.values_not_used) {
                (Some(v), _) => format!(
                    "from the values P(pass) = {:.3} [{:.3}, {:.3}]",
                    v.pass_probability, v.ci[0], v.ci[1]
                ),
                (None, Some(why)) => format!("values rule not used: {why}"),
                (None, None) => "values rule not used".into(),
            };
            let values = match &j.pooled {
                Some(p) => format!(
                    "{values}; from the pooled counts P(pass) = {:.3} [{:.3}, {:.3}]",
                    p.pass_probability, p.ci[0], p.ci[1]
                ),
                None => values,
            };
            let level = opts.level;
            let verdict = match j.verdict {
                Verdict::Pass => GateVerdict::Pass,
                Verdict::Fail => GateVerdict::Fail,
                Verdict::Inconclusive => GateVerdict::Undecided,
            };
            let reason = match (j.verdict, j.decided_by) {
                (Verdict::Pass, by) => format!(
                    "P(pass) >= {level} with {conf} confidence, shown by {}; {count}; {values}",
                    by_words(by)
                ),
                (Verdict::Fail, by) => format!(
                    "P(pass) < {level} with {conf} confidence, shown by {}; {count}; {values}",
                    by_words(by)
                ),
                (_, DecidedBy::Disagree) => format!(
                    "the two rules disagree ({count}; {values}): no verdict, so the gate fails; \
                     the values may not be normal; run more replications"
                ),
                _ => format!(
                    "neither rule shows P(pass) on one side of {level} ({count}; {values}): \
                     not shown to pass, so the gate fails; raise --max-replications to decide"
                ),
            };
            GateRow {
                metric: j.metric,
                threshold: j.threshold,
                observed: j.observed,
                passes,
                replications: n,
                pass_probability: j.pass_probability,
                pass_probability_ci: j.pass_probability_ci95,
                values: j.values,
                values_not_used: j.values_not_used,
                pooled: j.pooled,
                decided_by: j.decided_by,
                verdict,
                reason,
            }
        })
        .collect();
    let passed = rows.iter().all(|r| r.verdict == GateVerdict::Pass);
    GateReport {
        experiment: exp.name.clone(),
        model: exp.model.name.clone(),
        seed: exp.seed,
        replications: results.len(),
        level: opts.level,
        confidence: opts.confidence,
        overrides,
        thresholds: rows,
        passed,
        stopping: None,
        alerts: Vec::new(),
    }
}

fn by_words(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Both => "both the count and the values",
        DecidedBy::Values => "the values (normal model)",
        DecidedBy::Count => "the count of passing replications",
        DecidedBy::Pooled => "the pooled counts (quasi-binomial)",
        DecidedBy::Neither | DecidedBy::Disagree => "neither rule",
    }
}

fn values_text(r: &GateRow) -> String {
    match &r.values {
        Some(v) => format!("{:.3} [{:.3}, {:.3}]", v.pass_probability, v.ci[0], v.ci[1]),
        None => "-".into(),
    }
}

fn by_word(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Both => "both",
        DecidedBy::Values => "values",
        DecidedBy::Count => "count",
        DecidedBy::Pooled => "pooled",
        DecidedBy::Neither => "-",
        DecidedBy::Disagree => "disagree",
    }
}

fn observed_text(e: &Estimate) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!("{} [{}, {}]", fmt_num(e.mean), fmt_num(lo), fmt_num(hi)),
        None => fmt_num(e.mean),
    }
}

impl GateReport {
    pub fn failures(&self) -> usize {
        self.thresholds
            .iter()
            .filter(|r| r.verdict != GateVerdict::Pass)
            .count()
    }

    /// One line for the end of the table and the top of the Markdown.
    pub fn headline(&self) -> String {
        if self.passed {
            format!(
                "PASS: all {} threshold(s) hold with P(pass) >= {} at {:.0}% confidence ({} replications)",
                self.thresholds.len(),
                self.level,
                self.confidence * 100.0,
                self.replications
            )
        } else {
            let fails = self
                .thresholds
                .iter()
                .filter(|r| r.verdict == GateVerdict::Fail)
                .count();
            let undecided = self
                .thresholds
                .iter()
                .filter(|r| r.verdict == GateVerdict::Undecided)
                .count();
            format!(
                "FAIL: {fails} threshold(s) predicted to fail, {undecided} undecided (an undecided threshold fails the gate) of {} ({} replications)",
                self.thresholds.len(),
                self.replications
            )
        }
    }

    /// The console table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "capsim check: {} on {} (seed {}, {} replications)\n",
            self.experiment, self.model, self.seed, self.replications
        );
        if !self.overrides.is_empty() {
            s.push_str(&format!("  overrides: {}\n", self.overrides.join(", ")));
        }
        if let Some(stop) = &self.stopping {
            s.push_str(&format!("  {stop}\n"));
        }
        s.push_str(&format!(
            "  rule: a threshold passes when the {conf:.0}% lower bound on P(pass) >= {lvl} by the count (Wilson) or by the values (normal model; for error and check rates also the pooled counts), and the other rule does not show the opposite\n\n",
            conf = self.confidence * 100.0,
            lvl = self.level
        ));
        let head = [
            "verdict",
            "metric",
            "threshold",
            "observed (mean [95% CI])",
            "P(pass) count",
            "interval",
            "P(pass) values",
            "decided by",
        ];
        let rows: Vec<[String; 8]> = self
            .thresholds
            .iter()
            .map(|r| {
                [
                    r.verdict.word().to_string(),
                    r.metric.clone(),
                    r.threshold.clone(),
                    observed_text(&r.observed),
                    format!("{:.3}", r.pass_probability),
                    format!(
                        "[{:.3}, {:.3}]",
                        r.pass_probability_ci[0], r.pass_probability_ci[1]
                    ),
                    values_text(r),
                    by_word(r.decided_by).to_string(),
                ]
            })
            .collect();
        s.push_str(&crate::gate::metrics::aligned_table(head, &rows));
        let why: Vec<&GateRow> = self
            .thresholds
            .iter()
            .filter(|r| r.verdict != GateVerdict::Pass)
            .collect();
        if !why.is_empty() {
            s.push('\n');
            for r in why {
                s.push_str(&format!(
                    "  {} {}: '{}': {}\n",
                    r.verdict.word(),
                    r.metric,
                    r.threshold,
                    r.reason
                ));
            }
        }
        if !self.alerts.is_empty() {
            s.push_str("\n  alerts that would fire:\n");
            for a in &self.alerts {
                s.push_str(&format!("    {}\n", a.line()));
            }
        }
        s.push_str(&format!("\n  {}\n", self.headline()));
        s
    }

    /// Markdown for a CI step summary (`$GITHUB_STEP_SUMMARY`).
    pub fn markdown(&self) -> String {
        let icon = if self.passed { "✅" } else { "❌" };
        let mut s = format!(
            "## {icon} capsim check: `{}`\n\n{}\n\n",
            md_escape(&self.experiment),
            self.headline()
        );
        s.push_str(&format!(
            "Model `{}`, seed {}, {} replications. A threshold passes when the {:.0}% lower bound on P(pass) is at least {} by the count of passing replications (Wilson) or by the metric's values (normal model), and the other rule does not show the opposite; an undecided one fails the gate.\n\n",
            md_escape(&self.model),
            self.seed,
            self.replications,
            self.confidence * 100.0,
            self.level
        ));
        if !self.overrides.is_empty() {
            let o: Vec<String> = self.overrides.iter().map(|o| format!("`{o}`")).collect();
            s.push_str(&format!("Overrides: {}\n\n", o.join(", ")));
        }
        if let Some(stop) = &self.stopping {
            s.push_str(&format!("{}\n\n", md_escape(stop)));
        }
        s.push_str(
            "| verdict | metric | threshold | observed (mean [95% CI]) | P(pass) count | interval | P(pass) values | decided by |\n",
        );
        s.push_str("|---|---|---|---|---|---|---|---|\n");
        for r in &self.thresholds {
            let mark = match r.verdict {
                GateVerdict::Pass => "✅ pass",
                GateVerdict::Fail => "❌ fail",
                GateVerdict::Undecided => "⚠️ undecided",
            };
            s.push_str(&format!(
                "| {mark} | `{}` | `{}` | {} | {:.3} | [{:.3}, {:.3}] | {} | {} |\n",
                md_escape(&r.metric),
                md_escape(&r.threshold),
                observed_text(&r.observed),
                r.pass_probability,
                r.pass_probability_ci[0],
                r.pass_probability_ci[1],
                values_text(r),
                by_word(r.decided_by)
            ));
        }
        let why: Vec<&GateRow> = self
            .thresholds
            .iter()
            .filter(|r| r.verdict != GateVerdict::Pass)
            .collect();
        if !why.is_empty() {
            s.push_str("\n**Why it failed**\n\n");
            for r in why {
                s.push_str(&format!(
                    "- `{}: {}`: {}\n",
                    md_escape(&r.metric),
                    md_escape(&r.threshold),
                    md_escape(&r.reason)
                ));
            }
        }
        if !self.alerts.is_empty() {
            s.push_str("\n**Alerts that would fire**\n\n");
            for a in &self.alerts {
                s.push_str(&format!("- {}\n", md_escape(&a.line())));
            }
        }
        s
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}
