//! A threshold's metric observed in one replication's results: the value that k6 would
//! compare against the threshold's bound at the end of that run.

use crate::engine::result::ReplicationResult;
use crate::model::threshold::{Aggregation, Metric, Threshold};
use crate::stats::interval::Domain;

/// The metric's value in one replication (NaN when undefined, e.g. no requests).
pub fn observe(threshold: &Threshold, r: &ReplicationResult, percentiles: &[f64]) -> f64 {
    if let Some(k) = threshold.stage {
        return r
            .stages
            .get(k)
            .map(|w| crate::aggregate::windows::observe_window(threshold, w, percentiles))
            .unwrap_or(f64::NAN);
    }
    let secs = r.duration as f64 / 1e9;
    let ratio = |a: u64, b: u64| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    let per_s = |c: u64| {
        if secs > 0.0 {
            c as f64 / secs
        } else {
            f64::NAN
        }
    };
    match threshold.metric {
        Metric::HttpReqDuration => {
            let (trend, quantiles) = match threshold.endpoint {
                Some(e) => (r.endpoints[e].latency, &r.endpoints[e].quantiles),
                None => (r.latency, &r.quantiles),
            };
            let Some(t) = trend else { return f64::NAN };
            match threshold.aggregation {
                Aggregation::Avg => t.avg,
                Aggregation::Min => t.min,
                Aggregation::Med => t.med,
                Aggregation::Max => t.max,
                Aggregation::Percentile(p) => percentiles
                    .iter()
                    .position(|&q| q == p)
                    .and_then(|i| quantiles.get(i).copied())
                    .unwrap_or(f64::NAN),
                _ => f64::NAN,
            }
        }
        Metric::HttpReqFailed => match threshold.endpoint {
            Some(e) => ratio(r.endpoints[e].failures, r.endpoints[e].requests),
            None => ratio(r.failures, r.requests),
        },
        Metric::HttpReqs => {
            let c = threshold
                .endpoint
                .map(|e| r.endpoints[e].requests)
                .unwrap_or(r.requests);
            if threshold.aggregation == Aggregation::Count {
                c as f64
            } else {
                per_s(c)
            }
        }
        Metric::Iterations => {
            if threshold.aggregation == Aggregation::Count {
                r.iterations as f64
            } else {
                per_s(r.iterations)
            }
        }
        Metric::DroppedIterations => {
            if threshold.aggregation == Aggregation::Count {
                r.dropped_iterations as f64
            } else {
                per_s(r.dropped_iterations)
            }
        }
        Metric::Checks => {
            let (p, f) = r.checks.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
            ratio(p, p + f)
        }
        Metric::Vus => r.vus_peak as f64,
        Metric::VusMax => r.vus_max as f64,
    }
}

/// The (count, trials) behind a threshold on a proportion in one replication: failed
/// requests of all requests for http_req_failed, passed checks of all checks for checks;
/// `None` for other metrics.
pub fn proportion_counts(threshold: &Threshold, r: &ReplicationResult) -> Option<(u64, u64)> {
    match threshold.metric {
        Metric::HttpReqFailed => Some(match (threshold.stage, threshold.endpoint) {
            (Some(k), _) => r
                .stages
                .get(k)
                .map(|w| (w.failures, w.requests))
                .unwrap_or((0, 0)),
            (None, Some(e)) => (r.endpoints[e].failures, r.endpoints[e].requests),
            (None, None) => (r.failures, r.requests),
        }),
        Metric::Checks => {
            let (p, f) = r.checks.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
            Some((p, p + f))
        }
        _ => None,
    }
}

/// The set the threshold's metric lies in: a fraction for error and check rates, at or
/// above 0 for everything else (times, counts, rates per second, VUs).
pub fn domain(threshold: &Threshold) -> Domain {
    match threshold.metric {
        Metric::HttpReqFailed | Metric::Checks => Domain::Proportion,
        _ => Domain::NonNegative,
    }
}
