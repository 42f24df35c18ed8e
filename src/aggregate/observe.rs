//! A threshold's metric observed in one replication's results: the value that k6 would
//! compare against the threshold's bound at the end of that run.

use crate::engine::result::ReplicationResult;
use crate::model::threshold::{Aggregation, CustomKind, Metric, Threshold};
use crate::stats::interval::Domain;
use crate::stats::latency::TrendStats;

/// A trend's aggregation from its stats and its threshold percentiles.
fn of_trend(
    agg: Aggregation,
    trend: Option<TrendStats>,
    quantiles: &[f64],
    percentiles: &[f64],
) -> f64 {
    let Some(t) = trend else { return f64::NAN };
    match agg {
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
    let count_or_rate = |c: u64| {
        if threshold.aggregation == Aggregation::Count {
            c as f64
        } else if secs > 0.0 {
            c as f64 / secs
        } else {
            f64::NAN
        }
    };
    let agg = threshold.aggregation;
    // A sub-metric's samples (filtered thresholds and `iteration_duration`).
    if let Some(k) = threshold.sub {
        let Some(s) = r.submetrics.get(k) else {
            return f64::NAN;
        };
        return match threshold.metric {
            Metric::HttpReqDuration
            | Metric::HttpReqWaiting
            | Metric::IterationDuration
            | Metric::GroupDuration => of_trend(agg, s.latency, &s.quantiles, percentiles),
            m if m.always_zero() => zero_trend(s.count),
            Metric::HttpReqFailed => ratio(s.bad, s.count),
            Metric::Checks => ratio(s.count.saturating_sub(s.bad), s.count),
            Metric::HttpReqs | Metric::Iterations | Metric::DroppedIterations => {
                count_or_rate(s.count)
            }
            Metric::Custom { kind, .. } => match kind {
                CustomKind::Trend => of_trend(agg, s.latency, &s.quantiles, percentiles),
                CustomKind::Rate => ratio(s.bad, s.count),
                CustomKind::Counter if agg == Aggregation::Count => s.sum,
                CustomKind::Counter if secs > 0.0 => s.sum / secs,
                _ => f64::NAN,
            },
            _ => f64::NAN,
        };
    }
    match threshold.metric {
        // In a simulation the whole response time is waiting (time to first byte).
        Metric::HttpReqDuration | Metric::HttpReqWaiting => {
            of_trend(agg, r.latency, &r.quantiles, percentiles)
        }
        m if m.always_zero() => zero_trend(r.requests),
        Metric::HttpReqFailed => ratio(r.failures, r.requests),
        Metric::HttpReqs => count_or_rate(r.requests),
        Metric::Iterations => count_or_rate(r.iterations),
        Metric::DroppedIterations => count_or_rate(r.dropped_iterations),
        Metric::Checks => {
            let (p, f) = r.checks.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
            ratio(p, p + f)
        }
        Metric::Vus => r.vus_peak as f64,
        Metric::VusMax => r.vus_max as f64,
        // Always has a sub-metric (built with the experiment).
        _ => f64::NAN,
    }
}

/// A trend whose every sample is 0 (sending, receiving, blocked, connecting, TLS): 0 for
/// every aggregation when there are samples.
fn zero_trend(samples: u64) -> f64 {
    if samples == 0 { f64::NAN } else { 0.0 }
}

/// The (count, trials) behind a threshold on a proportion in one replication: failed
/// requests of all requests for http_req_failed, passed checks of all checks for checks;
/// `None` for other metrics.
pub fn proportion_counts(threshold: &Threshold, r: &ReplicationResult) -> Option<(u64, u64)> {
    match threshold.metric {
        Metric::HttpReqFailed => Some(match (threshold.stage, threshold.sub) {
            (Some(k), _) => r
                .stages
                .get(k)
                .map(|w| (w.failures, w.requests))
                .unwrap_or((0, 0)),
            (None, Some(k)) => r
                .submetrics
                .get(k)
                .map(|s| (s.bad, s.count))
                .unwrap_or((0, 0)),
            (None, None) => (r.failures, r.requests),
        }),
        Metric::Custom {
            kind: CustomKind::Rate,
            ..
        } => Some(
            threshold
                .sub
                .and_then(|k| r.submetrics.get(k))
                .map(|s| (s.bad, s.count))
                .unwrap_or((0, 0)),
        ),
        Metric::Checks => {
            if let Some(k) = threshold.sub {
                return Some(
                    r.submetrics
                        .get(k)
                        .map(|s| (s.count.saturating_sub(s.bad), s.count))
                        .unwrap_or((0, 0)),
                );
            }
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
        Metric::HttpReqFailed
        | Metric::Checks
        | Metric::Custom {
            kind: CustomKind::Rate,
            ..
        } => Domain::Proportion,
        // A custom trend or counter may take any value the script adds.
        Metric::Custom { .. } => Domain::Real,
        _ => Domain::NonNegative,
    }
}
