//! k6's `abortOnFail`: every 2 s of the test (k6's `thresholdsRate` in
//! `metrics/engine/engine.go`) the thresholds are evaluated on what the replication has
//! recorded so far, skipping metrics without samples as k6 does; the test stops at the first
//! evaluation where an `abortOnFail` threshold fails once its `delayAbortEval` has passed
//! (k6: `AbortGracePeriod < timeSpentInTest`). Counter rates divide by the time so far.

use crate::engine::recorder::Recorder;
use crate::model::experiment::Experiment;
use crate::model::threshold::{Aggregation, CustomKind, Family, Metric, Threshold};
use crate::stats::latency::LatencyHistogram;
use crate::time::{NANOS_PER_SEC, Nanos};

/// How often k6 evaluates thresholds during a test.
pub const EVERY: Nanos = 2 * NANOS_PER_SEC;

/// Whether any threshold can abort the test (then the loop schedules evaluations).
pub fn wanted(exp: &Experiment) -> bool {
    exp.thresholds.iter().any(|t| t.abort_on_fail)
}

/// The first `abortOnFail` threshold (its index in the experiment) that fails now and may
/// abort, if any.
pub fn breached(exp: &Experiment, rec: &Recorder, now: Nanos) -> Option<usize> {
    exp.thresholds.iter().position(|t| {
        t.abort_on_fail
            && t.delay_abort_eval < now
            && live_value(t, rec, now).is_some_and(|v| !t.passes(v))
    })
}

/// The threshold's metric now (`None` while it has no samples: k6 skips it).
fn live_value(t: &Threshold, rec: &Recorder, now: Nanos) -> Option<f64> {
    let overall;
    let (hist, count, bad): (Option<&LatencyHistogram>, u64, u64) = match t.sub {
        Some(k) => rec.subs.live(k)?,
        None => match t.metric.family() {
            Family::Http => {
                overall = rec.overall_histogram();
                (Some(&*overall), rec.requests, rec.failures)
            }
            Family::Iteration => (None, rec.iterations, 0),
            Family::Dropped => (None, rec.dropped_iterations, 0),
            Family::Check => {
                let (p, f) = rec
                    .checks
                    .iter()
                    .fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
                (None, p + f, f)
            }
            // Custom metrics and group_duration always have an accumulator.
            Family::Custom(_) | Family::Group => return None,
            Family::Vus => {
                return Some(if t.metric == Metric::Vus {
                    rec.vus_peak as f64
                } else {
                    rec.vus_max as f64
                });
            }
        },
    };
    if count == 0 {
        return None;
    }
    let value = match t.metric {
        m if m.always_zero() => 0.0,
        Metric::Custom { kind, .. } => match kind {
            CustomKind::Trend => trend_value(t.aggregation, hist?)?,
            CustomKind::Rate => bad as f64 / count as f64,
            CustomKind::Counter => {
                let sum = t.sub.map_or(0.0, |k| rec.subs.live_sum(k));
                if t.aggregation == Aggregation::Count {
                    sum
                } else {
                    sum / (now as f64 / 1e9)
                }
            }
            CustomKind::Gauge => return None,
        },
        Metric::HttpReqDuration
        | Metric::HttpReqWaiting
        | Metric::IterationDuration
        | Metric::GroupDuration => trend_value(t.aggregation, hist?)?,
        Metric::HttpReqFailed => bad as f64 / count as f64,
        Metric::Checks => (count - bad) as f64 / count as f64,
        _ => {
            if t.aggregation == Aggregation::Count {
                count as f64
            } else {
                count as f64 / (now as f64 / 1e9)
            }
        }
    };
    Some(value)
}

/// A trend's aggregation from its histogram so far.
fn trend_value(agg: Aggregation, h: &LatencyHistogram) -> Option<f64> {
    match agg {
        Aggregation::Percentile(p) => h.quantile_ms(p / 100.0),
        agg => {
            let s = h.trend()?;
            match agg {
                Aggregation::Avg => Some(s.avg),
                Aggregation::Min => Some(s.min),
                Aggregation::Med => Some(s.med),
                Aggregation::Max => Some(s.max),
                _ => None,
            }
        }
    }
}
