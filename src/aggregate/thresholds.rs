//! Thresholds across replications: each threshold's observed value and its probability of
//! passing in one run by two rules (the count of replications that passed, with a Wilson
//! interval; and the metric's values under a normal model, see `stats::predictive`), the
//! verdict of each rule against the required level, and which rule decided.

use crate::aggregate::observe::{domain, observe};
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::model::threshold::{Operator, Threshold};
use crate::stats::interval::{Estimate, estimate_in, wilson_interval};
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
    let (verdict, decided_by) = combine(count_verdict, values_rule.as_ref().map(|v| v.verdict));
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
            let mut s = judge(t, &values_of(exp, t, results), required, 0.95);
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
