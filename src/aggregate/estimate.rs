//! k6-style estimates across replications (a trend's keys, a rate, a counter, a gauge) and
//! the helpers that turn per-replication values into them.

use crate::engine::outcome::Cause;
use crate::engine::result::ReplicationResult;
use crate::stats::interval::{Domain, Estimate, estimate_in};
use crate::stats::latency::TrendStats;
use serde::Serialize;
use std::collections::BTreeMap;

/// `http_req_duration` with k6's keys, each a mean over replications with its interval.
#[derive(Debug, Clone, Serialize)]
pub struct TrendEstimate {
    pub avg: Estimate,
    pub min: Estimate,
    pub med: Estimate,
    pub max: Estimate,
    #[serde(rename = "p(90)")]
    pub p90: Estimate,
    #[serde(rename = "p(95)")]
    pub p95: Estimate,
    #[serde(rename = "p(99)")]
    pub p99: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct RateEstimate {
    pub rate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct CounterEstimate {
    pub count: Estimate,
    pub rate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct GaugeEstimate {
    pub value: Estimate,
}

/// The mean of `f` over the replications with its 95% interval, the interval kept inside
/// the quantity's `domain` (named at every call: times and counts are never negative,
/// fractions never leave [0, 1]).
pub(crate) fn est(
    results: &[ReplicationResult],
    domain: Domain,
    f: impl Fn(&ReplicationResult) -> f64,
) -> Estimate {
    let v: Vec<f64> = results.iter().map(f).collect();
    estimate_in(&v, domain)
}

pub(crate) fn trend(
    results: &[ReplicationResult],
    get: impl Fn(&ReplicationResult) -> Option<TrendStats>,
) -> TrendEstimate {
    let field = |f: fn(&TrendStats) -> f64| {
        est(results, Domain::NonNegative, |r| {
            get(r).map(|t| f(&t)).unwrap_or(f64::NAN)
        })
    };
    TrendEstimate {
        avg: field(|t| t.avg),
        min: field(|t| t.min),
        med: field(|t| t.med),
        max: field(|t| t.max),
        p90: field(|t| t.p90),
        p95: field(|t| t.p95),
        p99: field(|t| t.p99),
    }
}

pub(crate) fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        f64::NAN
    } else {
        num as f64 / den as f64
    }
}

pub(crate) fn per_sec(count: u64, r: &ReplicationResult) -> f64 {
    let s = r.duration as f64 / 1e9;
    if s > 0.0 { count as f64 / s } else { f64::NAN }
}

pub(crate) fn causes(
    results: &[ReplicationResult],
    get: impl Fn(&ReplicationResult) -> &[u64; Cause::COUNT],
) -> BTreeMap<&'static str, Estimate> {
    Cause::ALL
        .iter()
        .filter(|c| results.iter().any(|r| get(r)[c.index()] > 0))
        .map(|c| {
            (
                c.name(),
                est(results, Domain::NonNegative, |r| get(r)[c.index()] as f64),
            )
        })
        .collect()
}
