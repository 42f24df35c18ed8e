//! Thresholds across replications: each threshold's observed value and its probability of
//! passing in one run by two rules (the count of replications that passed, with a Wilson
//! interval; and the metric's values under a normal model, see `stats::predictive`), the
//! verdict of each rule against the required level, and which rule decided. Thresholds on
//! a proportion (http_req_failed, checks) also get P(pass) from the counts pooled over
//! the replications (`stats::pooled`), which decides a zero-error run with few
//! replications.

use crate::aggregate::observe::{domain, observe, proportion_counts};
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::model::threshold::{Operator, Threshold};
use crate::stats::interval::{Estimate, estimate_in, wilson_interval};
use crate::stats::pooled::pooled_pass;
use crate::stats::predictive::{Side, not_normal_reason, values_pass};
use serde::Serialize;

/// Default level a threshold's pass probability must reach (lower bound of its interval).
pub const DEFAULT_PASS_LEVEL: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval on P(pass) lies at or above the required level.
    Pass,
    /// The interval lies below the required level.
    Fail,
    /// The interval straddles the level (or the two rules disagree): undecided.
    Inconclusive,
}

impl Verdict {
    fn of([lo, hi]: [f64; 2], level: f64) -> Verdict {
        if lo >= level {
            Verdict::Pass
        } else if hi < level {
            Verdict::Fail
        } else {
            Verdict::Inconclusive
        }
    }
}

/// Which rule decided a threshold's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// Both rules decided, the same way.
    Both,
    /// The values rule decided; the count was undecided (or not used).
    Values,
    /// The count decided; the values rule was undecided or not used.
    Count,
    /// The pooled counts decided (a proportion's threshold); the count and the values
    /// were undecided or not used.
    Pooled,
    /// Neither rule decided.
    Neither,
    /// The rules decided opposite ways: no verdict is given.
    Disagree,
}

/// P(pass) from the metric's values under a normal model.
#[derive(Debug, Clone, Serialize)]
pub struct ValuesRule {
    /// Predictive probability that one more replication passes.
    pub pass_probability: f64,
    /// Interval on the probability that a replication passes (noncentral t).
    pub ci: [f64; 2],
    pub verdict: Verdict,
}

/// P(pass) from the pooled counts (see `stats::pooled`).
#[derive(Debug, Clone, Serialize)]
pub struct PooledRule {
    /// Pooled proportion over all replications, with its Clopper-Pearson interval.
    pub rate: f64,
    pub rate_ci: [f64; 2],
    /// Between-replication dispersion (1 = independent requests).
    pub dispersion: f64,
    pub pass_probability: f64,
    pub ci: [f64; 2],
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThresholdSummary {
    pub metric: String,
    pub threshold: String,
    /// The metric's value across replications.
    pub observed: Estimate,
    pub passes: usize,
    pub replications: usize,
    /// Count rule: fraction of replications in which the threshold held.
    pub pass_probability: f64,
    /// Count rule: Wilson interval on the pass probability (95% in summary.json).
    pub pass_probability_ci95: [f64; 2],
    /// The count rule's verdict on its own.
    pub count_verdict: Verdict,
    /// Values rule: P(pass) from the metric's values (`null` when not used).
    pub values: Option<ValuesRule>,
    /// Why the values rule was not used (`null` when it was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_not_used: Option<String>,
    /// Pooled-counts rule (http_req_failed and checks): P(pass) from the errors and
    /// requests of all replications together, quasi-binomial (absent for other metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooled: Option<PooledRule>,
    pub required: f64,
    pub verdict: Verdict,
    pub decided_by: DecidedBy,
    /// `abortOnFail` thresholds: the replications this threshold stopped, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<AbortSummary>,
}

/// When an `abortOnFail` threshold stopped replications (k6's abort), from the test start.
#[derive(Debug, Clone, Serialize)]
pub struct AbortSummary {
    /// Replications it stopped.
    pub replications: usize,
    /// The earliest, mean and latest stopping time, in seconds (null when none stopped).
    pub first_s: Option<f64>,
    pub mean_s: Option<f64>,
    pub last_s: Option<f64>,
}

/// The replications threshold `index` aborted, and when.
fn abort_summary(index: usize, results: &[ReplicationResult]) -> AbortSummary {
    let at: Vec<f64> = results
        .iter()
        .filter(|r| r.aborted_by == Some(index))
        .filter_map(|r| r.aborted_at)
        .map(|t| t as f64 / 1e9)
        .collect();
    let n = at.len();
    AbortSummary {
        replications: n,
        first_s: at.iter().copied().reduce(f64::min),
        mean_s: (n > 0).then(|| at.iter().sum::<f64>() / n as f64),
        last_s: at.iter().copied().reduce(f64::max),
    }
}

/// Which side of a threshold's bound passes; `None` for `==` and `!=` (no normal model).
fn side(t: &Threshold) -> Option<Side> {
    match t.operator {
        Operator::Lt | Operator::Le => Some(Side::Below),
        Operator::Gt | Operator::Ge => Some(Side::Above),
        Operator::Eq | Operator::Ne => None,
    }
}

/// Judges one threshold from its metric's values (one per replication) at `required`,
/// with intervals at `confidence`.
pub fn judge(t: &Threshold, values: &[f64], required: f64, confidence: f64) -> ThresholdSummary {
    judge_with_counts(t, values, None, required, confidence)
}

/// [`judge`] with, for a threshold on a proportion, each replication's (count, trials)
/// for the pooled rule.
pub fn judge_with_counts(
    t: &Threshold,
    values: &[f64],
    counts: Option<&[(u64, u64)]>,
    required: f64,
    confidence: f64,
) -> ThresholdSummary {
    let passes = values.iter().filter(|&&v| t.passes(v)).count();
    let n = values.len();
    let wilson = {
        let (lo, hi) = wilson_interval(passes as u64, n as u64, confidence);
        [lo, hi]
    };
    let count_verdict = Verdict::of(wilson, required);
    let dom = domain(t);
    let (values_rule, values_not_used) = match side(t) {
        None => (
            None,
            Some("an == or != threshold has no side to pass on".into()),
        ),
        Some(side) => match not_normal_reason(values, dom) {
            Some(why) => (None, Some(why)),
            None => match values_pass(values, side, t.value, confidence) {
                Some(v) => (
                    Some(ValuesRule {
                        pass_probability: v.pass_probability,
                        ci: v.ci,
                        verdict: Verdict::of(v.ci, required),
                    }),
                    None,
                ),
                None => (None, Some("the values give no spread".into())),
            },
        },
    };
    let pooled = match (side(t), counts) {
        (Some(side), Some(c)) => {
            let inclusive = matches!(t.operator, Operator::Le | Operator::Ge);
            pooled_pass(c, side, t.value, inclusive, confidence).map(|p| PooledRule {
                rate: p.rate,
                rate_ci: p.rate_ci,
                dispersion: p.dispersion,
                pass_probability: p.pass.pass_probability,
                ci: p.pass.ci,
                verdict: Verdict::of(p.pass.ci, required),
            })
        }
        _ => None,
    };
    let (verdict, decided_by) = combine_all(
        count_verdict,
        values_rule.as_ref().map(|v| v.verdict),
        pooled.as_ref().map(|p| p.verdict),
    );
    ThresholdSummary {
        metric: t.key.clone(),
        threshold: t.expression.clone(),
        observed: estimate_in(values, dom),
        passes,
        replications: n,
        pass_probability: if n > 0 {
            passes as f64 / n as f64
        } else {
            f64::NAN
        },
        pass_probability_ci95: wilson,
        count_verdict,
        values: values_rule,
        values_not_used,
        pooled,
        required,
        verdict,
        decided_by,
        aborted: None,
    }
}

/// The verdict from the two rules: a rule that decides wins over one that does not; two
/// that decide the same way agree; two that decide opposite ways give no verdict.
pub fn combine(count: Verdict, values: Option<Verdict>) -> (Verdict, DecidedBy) {
    use Verdict::Inconclusive as U;
    match (count, values) {
        (U, None) | (U, Some(U)) => (U, DecidedBy::Neither),
        (c, None) | (c, Some(U)) => (c, DecidedBy::Count),
        (U, Some(v)) => (v, DecidedBy::Values),
        (c, Some(v)) if c == v => (c, DecidedBy::Both),
        _ => (U, DecidedBy::Disagree),
    }
}

/// [`combine`] with the pooled rule: the values and the pooled counts form one model
/// rule (whichever decides; opposite decisions give no verdict), then the count checks it.
pub fn combine_all(
    count: Verdict,
    values: Option<Verdict>,
    pooled: Option<Verdict>,
) -> (Verdict, DecidedBy) {
    use Verdict::Inconclusive as U;
    let decided = |v: Option<Verdict>| v.filter(|&v| v != U);
    match (decided(values), decided(pooled)) {
        (Some(a), Some(b)) if a != b => (U, DecidedBy::Disagree),
        (None, Some(b)) => match combine(count, Some(b)) {
            (v, DecidedBy::Values) => (v, DecidedBy::Pooled),
            other => other,
        },
        _ => combine(count, values.or(pooled)),
    }
}

/// Every replication's (count, trials) of a threshold on a proportion (`None` otherwise).
pub fn counts_of(t: &Threshold, results: &[ReplicationResult]) -> Option<Vec<(u64, u64)>> {
    results.iter().map(|r| proportion_counts(t, r)).collect()
}

/// Judges a threshold on the replications' results (values, and counts where pooled).
pub fn judge_results(
    exp: &Experiment,
    t: &Threshold,
    results: &[ReplicationResult],
    required: f64,
    confidence: f64,
) -> ThresholdSummary {
    let counts = counts_of(t, results);
    judge_with_counts(
        t,
        &values_of(exp, t, results),
        counts.as_deref(),
        required,
        confidence,
    )
}

/// The threshold's metric in every replication, in replication order.
pub fn values_of(exp: &Experiment, t: &Threshold, results: &[ReplicationResult]) -> Vec<f64> {
    results
        .iter()
        .map(|r| observe(t, r, &exp.percentiles))
        .collect()
}

/// Evaluates every threshold on every replication and judges P(pass) against `required`
/// at 95% confidence.
pub fn thresholds(
    exp: &Experiment,
    results: &[ReplicationResult],
    required: f64,
) -> Vec<ThresholdSummary> {
    exp.thresholds
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut s = judge_results(exp, t, results, required, 0.95);
            if t.abort_on_fail {
                s.aborted = Some(abort_summary(i, results));
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::{Fail, Inconclusive as U, Pass};

    #[test]
    fn the_rules_combine_without_overriding_a_disagreement() {
        assert_eq!(combine(U, None), (U, DecidedBy::Neither));
        assert_eq!(combine(U, Some(U)), (U, DecidedBy::Neither));
        assert_eq!(combine(Pass, None), (Pass, DecidedBy::Count));
        assert_eq!(combine(Fail, Some(U)), (Fail, DecidedBy::Count));
        assert_eq!(combine(U, Some(Pass)), (Pass, DecidedBy::Values));
        assert_eq!(combine(U, Some(Fail)), (Fail, DecidedBy::Values));
        assert_eq!(combine(Pass, Some(Pass)), (Pass, DecidedBy::Both));
        assert_eq!(combine(Fail, Some(Pass)), (U, DecidedBy::Disagree));
        assert_eq!(combine(Pass, Some(Fail)), (U, DecidedBy::Disagree));
    }

    fn capsim_mean_sd(v: &[f64]) -> (f64, f64) {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
        (m, (ss / (v.len() as f64 - 1.0)).sqrt())
    }

    fn p95_below(bound: f64) -> Threshold {
        crate::model::threshold::parse_threshold(
            "http_req_duration",
            &format!("p(95)<{bound}"),
            &[],
        )
        .unwrap()
    }

    #[test]
    fn the_pooled_rule_joins_the_values_rule() {
        assert_eq!(combine_all(U, None, Some(Pass)), (Pass, DecidedBy::Pooled));
        assert_eq!(
            combine_all(U, Some(U), Some(Fail)),
            (Fail, DecidedBy::Pooled)
        );
        assert_eq!(
            combine_all(U, Some(Pass), Some(U)),
            (Pass, DecidedBy::Values)
        );
        assert_eq!(
            combine_all(U, Some(Pass), Some(Fail)),
            (U, DecidedBy::Disagree)
        );
        assert_eq!(
            combine_all(Fail, None, Some(Pass)),
            (U, DecidedBy::Disagree)
        );
        assert_eq!(
            combine_all(Pass, Some(Pass), Some(Pass)),
            (Pass, DecidedBy::Both)
        );
        assert_eq!(combine_all(U, None, None), (U, DecidedBy::Neither));
    }

    fn failed_below(bound: f64) -> Threshold {
        crate::model::threshold::parse_threshold("http_req_failed", &format!("rate<{bound}"), &[])
            .unwrap()
    }

    #[test]
    fn zero_errors_pass_with_8_replications_and_the_boundary_stays_undecided() {
        // 8 replications of ~10,000 requests with no error: the count alone (8 of 8)
        // cannot show 0.9, the values give no spread, the pooled counts decide.
        let counts: Vec<(u64, u64)> = (0..8).map(|i| (0, 9_900 + 30 * i)).collect();
        let values: Vec<f64> = counts.iter().map(|c| c.0 as f64 / c.1 as f64).collect();
        let j = judge_with_counts(&failed_below(0.01), &values, Some(&counts), 0.9, 0.95);
        assert_eq!(j.count_verdict, U);
        assert!(j.values.is_none());
        assert_eq!(
            (j.verdict, j.decided_by),
            (Pass, DecidedBy::Pooled),
            "{j:?}"
        );
        // At the boundary: ~0.87 % errors with binomial spread (sd ~9 errors per run),
        // where a run of 10,000 stays under 1 % with probability ~0.9; every run
        // passes, yet nothing decides.
        let counts = [78, 95, 87, 80, 99, 86, 74, 92].map(|x| (x, 10_000));
        let values: Vec<f64> = counts.iter().map(|c| c.0 as f64 / c.1 as f64).collect();
        let j = judge_with_counts(&failed_below(0.01), &values, Some(&counts), 0.9, 0.95);
        assert_eq!(j.passes, 8);
        assert_eq!(j.verdict, U, "{j:?}");
        // Far above the bound: fail.
        let counts = [(300, 10_000); 8];
        let j = judge_with_counts(&failed_below(0.01), &[0.03; 8], Some(&counts), 0.9, 0.95);
        assert_eq!(j.verdict, Fail, "{j:?}");
    }

    #[test]
    fn a_4x_margin_passes_with_8_values_and_the_boundary_stays_undecided() {
        let v = [74.1, 77.0, 76.2, 78.5, 75.3, 76.9, 73.8, 77.4];
        let far = judge(&p95_below(300.0), &v, 0.9, 0.95);
        assert_eq!(far.count_verdict, U, "8 of 8 cannot show 0.9 by counting");
        assert_eq!((far.verdict, far.decided_by), (Pass, DecidedBy::Values));
        // At its boundary: the bound at the metric's 90th percentile across replications
        // (mean + 1.2816 sd), where P(pass) is the required 0.9 itself.
        let e = capsim_mean_sd(&v);
        let at = judge(&p95_below(e.0 + 1.2816 * e.1), &v, 0.9, 0.95);
        assert_eq!(at.verdict, U, "{at:?}");
        assert_eq!(at.decided_by, DecidedBy::Neither, "{at:?}");
        // Far on the failing side: both rules say fail.
        let v2 = [10.0, 11.0, 10.5, 9.5, 10.2, 9.8, 10.1, 10.4];
        let fail = judge(&p95_below(5.0), &v2, 0.9, 0.95);
        assert_eq!((fail.verdict, fail.decided_by), (Fail, DecidedBy::Both));
    }
}
