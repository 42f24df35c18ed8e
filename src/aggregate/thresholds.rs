//! Thresholds across replications: each threshold's observed value, P(pass) with its
//! Wilson interval, and the verdict against the required level.

use crate::aggregate::observe::observe;
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Estimate, estimate, wilson_interval};
use serde::Serialize;

/// Default level a threshold's pass probability must reach (lower Wilson bound).
pub const DEFAULT_PASS_LEVEL: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The 95% interval on P(pass) lies at or above the required level.
    Pass,
    /// The interval lies below the required level.
    Fail,
    /// The interval straddles the level: more replications would decide.
    Inconclusive,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThresholdSummary {
    pub metric: String,
    pub threshold: String,
    /// The metric's value across replications.
    pub observed: Estimate,
    pub passes: usize,
    pub replications: usize,
    /// Fraction of replications in which the threshold held.
    pub pass_probability: f64,
    /// 95% Wilson interval on the pass probability.
    pub pass_probability_ci95: [f64; 2],
    pub required: f64,
    pub verdict: Verdict,
}

/// Evaluates every threshold on every replication and judges P(pass) against `required`.
pub fn thresholds(
    exp: &Experiment,
    results: &[ReplicationResult],
    required: f64,
) -> Vec<ThresholdSummary> {
    exp.thresholds
        .iter()
        .map(|t| {
            let observed: Vec<f64> = results
                .iter()
                .map(|r| observe(t, r, &exp.percentiles))
                .collect();
            let passes = observed.iter().filter(|&&v| t.passes(v)).count();
            let n = results.len();
            let (lo, hi) = wilson_interval(passes as u64, n as u64, 0.95);
            let verdict = if lo >= required {
                Verdict::Pass
            } else if hi < required {
                Verdict::Fail
            } else {
                Verdict::Inconclusive
            };
            ThresholdSummary {
                metric: t.key.clone(),
                threshold: t.expression.clone(),
                observed: estimate(&observed),
                passes,
                replications: n,
                pass_probability: if n > 0 {
                    passes as f64 / n as f64
                } else {
                    f64::NAN
                },
                pass_probability_ci95: [lo, hi],
                required,
                verdict,
            }
        })
        .collect()
}
