//! Faults across replications: what each fault did and how long the service took to
//! recover from it, judged per time bucket against the recovery SLO.

use crate::aggregate::estimate::ratio;
use crate::engine::result::{ReplicationResult, SlimBucket};
use crate::model::experiment::Experiment;
use crate::stats::interval::{Domain, Estimate, estimate, estimate_in, wilson_interval};
use serde::Serialize;

/// What a fault did and how long the service took to recover from it.
#[derive(Debug, Clone, Serialize)]
pub struct FaultSummary {
    pub name: String,
    pub at_s: f64,
    pub until_s: Option<f64>,
    /// The SLO recovery is judged by: p95 latency (ms) and error rate per time bucket.
    pub p95_limit_ms: f64,
    pub error_rate_limit: f64,
    /// Seconds from the fault until the last time bucket that broke the SLO ended (0 when
    /// none did), over the replications that recovered before the test ended.
    pub recovery_s: Estimate,
    /// Fraction of replications whose SLO held again before the end of the test.
    pub recovered_fraction: f64,
    pub recovered_fraction_ci95: [f64; 2],
    /// Failed requests from the fault until it had recovered (or the end).
    pub failed_requests: Estimate,
}

/// The SLO a fault's recovery is judged by: the experiment's `p(95)<X` on
/// http_req_duration and `rate<Y` on http_req_failed; without them, 1.5 times the p95
/// before the first fault and one point more errors than before it.
fn recovery_limits(exp: &Experiment, results: &[ReplicationResult]) -> (f64, f64) {
    use crate::model::threshold::{Aggregation, Metric, Operator};
    let limit = |metric: Metric, agg: Aggregation| {
        exp.thresholds
            .iter()
            .filter(|t| t.metric == metric && t.filter.is_empty() && t.aggregation == agg)
            .filter(|t| matches!(t.operator, Operator::Lt | Operator::Le))
            .map(|t| t.value)
            .reduce(f64::min)
    };
    let first = exp.faults.iter().map(|f| f.at).min().unwrap_or(0);
    let before = |f: &dyn Fn(&SlimBucket) -> f64| {
        let v: Vec<f64> = results
            .iter()
            .flat_map(|r| {
                let rows = r.slim_rows();
                let n = (first / exp.bucket) as usize;
                rows.iter().take(n).map(f).collect::<Vec<_>>()
            })
            .collect();
        estimate(&v).mean
    };
    let p95 = limit(Metric::HttpReqDuration, Aggregation::Percentile(95.0))
        .unwrap_or_else(|| 1.5 * before(&|b| b.p95_ms));
    let errors = limit(Metric::HttpReqFailed, Aggregation::Rate)
        .unwrap_or_else(|| before(&|b| ratio(b.failures, b.requests)) + 0.01);
    (p95, errors)
}

/// Recovery from each fault, per replication, from the time buckets.
pub fn faults(exp: &Experiment, results: &[ReplicationResult]) -> Vec<FaultSummary> {
    if exp.faults.is_empty() {
        return Vec::new();
    }
    let (p95_limit, error_limit) = recovery_limits(exp, results);
    exp.faults
        .iter()
        .map(|f| {
            let first = (f.at / exp.bucket) as usize;
            let mut recovery = Vec::new();
            let mut failed = Vec::new();
            let mut recovered = 0u64;
            for r in results {
                let broken = |b: &SlimBucket| {
                    b.requests > 0
                        && (b.p95_ms >= p95_limit || ratio(b.failures, b.requests) >= error_limit)
                };
                let all = r.slim_rows();
                let rows = all.get(first..).unwrap_or(&[]);
                let last_broken = rows.iter().rposition(broken);
                let (held, until) = match last_broken {
                    None => (true, first),
                    Some(k) => (first + k + 1 < all.len(), first + k + 1),
                };
                failed.push(
                    all[first.min(all.len())..until.min(all.len())]
                        .iter()
                        .map(|b| b.failures as f64)
                        .sum(),
                );
                if held {
                    recovered += 1;
                    let end_s = (until as u64 * exp.bucket) as f64 / 1e9;
                    recovery.push((end_s - f.at as f64 / 1e9).max(0.0));
                }
            }
            let n = results.len() as u64;
            let (lo, hi) = wilson_interval(recovered, n, 0.95);
            FaultSummary {
                name: f.name.clone(),
                at_s: f.at as f64 / 1e9,
                until_s: f.until.map(|u| u as f64 / 1e9),
                p95_limit_ms: p95_limit,
                error_rate_limit: error_limit,
                recovery_s: estimate_in(&recovery, Domain::NonNegative),
                recovered_fraction: if n > 0 {
                    recovered as f64 / n as f64
                } else {
                    f64::NAN
                },
                recovered_fraction_ci95: [lo, hi],
                failed_requests: estimate_in(&failed, Domain::NonNegative),
            }
        })
        .collect()
}
