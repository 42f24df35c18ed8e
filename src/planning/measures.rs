//! Per-replication measures the plan's table and criteria ask for, computed from one
//! replication's totals, time buckets and scaling decisions.

use crate::aggregate::observe::observe;
use crate::engine::outcome::Cause;
use crate::engine::result::ReplicationResult;
use crate::model::experiment::{Experiment, FlowStep};
use crate::model::threshold::{Aggregation, Metric, Operator};

/// Requests per iteration and mean think time per iteration (s) of the experiment's first
/// scenario's flow: the `k` and `Z` of the response-time law `X <= k N / (Z + k R)`.
pub fn flow_shape(exp: &Experiment) -> (f64, f64) {
    let Some(plan) = exp.scenarios.first() else {
        return (0.0, 0.0);
    };
    let flow = &exp.flows[plan.flow];
    let mut k = 0.0;
    let mut z = 0.0;
    for s in &flow.steps {
        match s {
            FlowStep::Request { .. } => k += 1.0,
            FlowStep::Sleep { dist } => z += exp.distributions[*dist].mean_secs(),
            FlowStep::Pause { nanos } => z += *nanos as f64 / 1e9,
            // Its requests are counted one by one (an upper bound on their time).
            FlowStep::Batch { .. } => {}
            FlowStep::GroupEnter { .. } | FlowStep::GroupExit { .. } => {}
        }
    }
    // A sampled flow's steps are all its traces: the mean over them.
    let n = flow.traces.len().max(1) as f64;
    (k / n, z / n)
}

/// The experiment's own `p(95)<X` (ms) and `rate<Y` thresholds on all requests.
pub fn threshold_limits(exp: &Experiment) -> (Option<f64>, Option<f64>) {
    let mut p95 = None;
    let mut err = None;
    for t in &exp.thresholds {
        if !t.filter.is_empty() || !matches!(t.operator, Operator::Lt | Operator::Le) {
            continue;
        }
        match (t.metric, t.aggregation) {
            (Metric::HttpReqDuration, Aggregation::Percentile(95.0)) => p95 = Some(t.value),
            (Metric::HttpReqFailed, Aggregation::Rate) => err = Some(t.value),
            _ => {}
        }
    }
    (p95, err)
}

/// Stations an autoscaler acted on in any replication, in index order.
pub fn scaled_stations(results: &[ReplicationResult]) -> Vec<usize> {
    let mut v: Vec<usize> = results
        .iter()
        .flat_map(|r| r.decisions.iter().map(|d| d.station))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Start and end (s) of the load spike, from the mean VUs per bucket: the span where VUs
/// exceed the starting level by more than 10 % of the rise to the peak. None without a rise.
pub fn spike_window(exp: &Experiment, results: &[ReplicationResult]) -> Option<[f64; 2]> {
    let n = results.iter().map(|r| r.buckets.len()).min()?;
    if n < 3 {
        return None;
    }
    let vus: Vec<f64> = (0..n)
        .map(|b| results.iter().map(|r| r.buckets[b].vus).sum::<f64>() / results.len() as f64)
        .collect();
    let base = vus[0];
    let peak = vus.iter().cloned().fold(f64::MIN, f64::max);
    if peak <= base * 1.2 + 1.0 {
        return None;
    }
    let level = base + 0.1 * (peak - base);
    let width = exp.bucket as f64 / 1e9;
    let first = vus.iter().position(|&v| v > level)?;
    let last = vus.iter().rposition(|&v| v > level)?;
    Some([first as f64 * width, (last + 1) as f64 * width])
}

/// One replication's measures; NaN where a measure does not apply or never happened.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measures {
    /// Request rate while the VUs are at their plateau (buckets with at least 95 % of the
    /// peak VUs): what a sustained rate means.
    pub plateau_rate: f64,
    /// Requests over the whole test run duration (k6's `http_reqs` rate).
    pub k6_rate: f64,
    pub avg_ms: f64,
    pub p95_ms: f64,
    pub error_rate: f64,
    pub peak_vus: f64,
    /// Every threshold of the experiment held.
    pub thresholds_pass: bool,
    /// USD per hour of the test (total cost / duration).
    pub hourly_cost: f64,
    /// From the end of the spike until every later bucket is within the limits.
    pub recovery_s: f64,
    /// From the start of the spike to the first scale-up decision after it.
    pub scale_up_s: f64,
    /// From the end of the spike until every scaled service is within 10 % of its
    /// pre-spike replicas.
    pub scale_down_s: f64,
    /// Sum over scaled services of their most ready replicas.
    pub max_replicas: f64,
    pub dead_jobs: f64,
    /// Requests refused without being processed (queue full, no replica).
    pub lost_requests: f64,
    /// Requests still in flight or cut off at the end (shown, not counted as loss).
    pub unfinished: f64,
}

impl Measures {
    pub fn data_loss(&self) -> f64 {
        self.dead_jobs + self.lost_requests
    }

    /// The named measure (criteria of the plan file).
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "request_rate" => self.plateau_rate,
            "k6_rate" => self.k6_rate,
            "avg_ms" => self.avg_ms,
            "p95_ms" => self.p95_ms,
            "error_rate" => self.error_rate,
            "peak_users" => self.peak_vus,
            "recovery_time_s" => self.recovery_s,
            "scale_up_time_s" => self.scale_up_s,
            "scale_down_time_s" => self.scale_down_s,
            "max_instances" => self.max_replicas,
            "data_loss" => self.data_loss(),
            "hourly_cost" => self.hourly_cost,
            _ => return None,
        })
    }
}

/// Names [`Measures::get`] accepts, plus `cost_increase` (from the cost pair).
pub const METRIC_NAMES: &[&str] = &[
    "request_rate",
    "k6_rate",
    "avg_ms",
    "p95_ms",
    "error_rate",
    "peak_users",
    "recovery_time_s",
    "scale_up_time_s",
    "scale_down_time_s",
    "max_instances",
    "data_loss",
    "hourly_cost",
    "cost_increase",
];

/// Context shared by the replications of one experiment.
pub struct Context {
    pub window: Option<[f64; 2]>,
    pub p95_limit: Option<f64>,
    pub error_limit: Option<f64>,
    pub scaled: Vec<usize>,
    pub bucket_s: f64,
}

impl Context {
    pub fn new(
        exp: &Experiment,
        results: &[ReplicationResult],
        window: Option<[f64; 2]>,
        limits: (Option<f64>, Option<f64>),
    ) -> Context {
        let (p, e) = threshold_limits(exp);
        Context {
            window: window.or_else(|| spike_window(exp, results)),
            p95_limit: limits.0.or(p),
            error_limit: limits.1.or(e),
            scaled: scaled_stations(results),
            bucket_s: exp.bucket as f64 / 1e9,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

pub fn measure(exp: &Experiment, ctx: &Context, r: &ReplicationResult) -> Measures {
    let dur_s = r.duration as f64 / 1e9;
    let peak_bucket = r.buckets.iter().map(|b| b.vus).fold(0.0, f64::max);
    let (mut req, mut span) = (0u64, 0.0);
    for b in &r.buckets {
        if peak_bucket > 0.0 && b.vus >= 0.95 * peak_bucket {
            req += b.requests;
            span += b.span_s;
        }
    }
    let plateau_rate = if span > 0.0 {
        req as f64 / span
    } else {
        f64::NAN
    };
    let thresholds_pass = exp
        .thresholds
        .iter()
        .all(|t| t.passes(observe(t, r, &exp.percentiles)));
    let mut m = Measures {
        plateau_rate,
        k6_rate: if dur_s > 0.0 {
            r.requests as f64 / dur_s
        } else {
            f64::NAN
        },
        avg_ms: r.latency.map(|t| t.avg).unwrap_or(f64::NAN),
        p95_ms: r.latency.map(|t| t.p95).unwrap_or(f64::NAN),
        error_rate: ratio(r.failures, r.requests),
        peak_vus: r.vus_peak as f64,
        thresholds_pass,
        hourly_cost: if dur_s > 0.0 {
            r.cost.total() / (dur_s / 3600.0)
        } else {
            f64::NAN
        },
        recovery_s: f64::NAN,
        scale_up_s: f64::NAN,
        scale_down_s: f64::NAN,
        max_replicas: ctx.scaled.iter().map(|&s| r.stations[s].replicas_max).sum(),
        dead_jobs: r.stations.iter().map(|s| s.dead_jobs as f64).sum(),
        lost_requests: (r.causes[Cause::QueueFull.index()] + r.causes[Cause::NoReplica.index()])
            as f64,
        unfinished: (r.accounting.interrupted + r.accounting.in_flight_at_end) as f64,
    };
    if ctx.scaled.is_empty() {
        m.max_replicas = f64::NAN;
    }
    let Some([start, end]) = ctx.window else {
        return m;
    };
    let w = ctx.bucket_s;
    // Recovery: the first bucket from the spike's end on after which every bucket (with
    // requests) is within the limits.
    let ok = |b: &crate::engine::result::BucketRow| {
        let p_ok = ctx
            .p95_limit
            .is_none_or(|l| b.p95_ms.is_nan() || b.p95_ms < l);
        let e_ok = ctx
            .error_limit
            .is_none_or(|l| b.requests == 0 || (b.failures as f64 / b.requests as f64) < l);
        p_ok && e_ok
    };
    let first_after = (end / w).round() as usize;
    if first_after < r.buckets.len() {
        let last_bad = (first_after..r.buckets.len())
            .rev()
            .find(|&i| !ok(&r.buckets[i]));
        m.recovery_s = match last_bad {
            None => 0.0,
            Some(i) if i + 1 < r.buckets.len() => (i + 1) as f64 * w - end,
            Some(_) => f64::NAN,
        };
    }
    // Scale-up: the first decision that adds replicas after the rise begins.
    m.scale_up_s = r
        .decisions
        .iter()
        .filter(|d| d.to > d.from && d.at as f64 / 1e9 >= start)
        .map(|d| d.at as f64 / 1e9 - start)
        .fold(f64::NAN, f64::min);
    // Scale-down: each scaled service back within 10 % of its replicas before the spike.
    if !ctx.scaled.is_empty() {
        let before = ((start / w).round() as usize).saturating_sub(1);
        let mut worst: f64 = 0.0;
        for &s in &ctx.scaled {
            let Some(pre) = r.buckets.get(before).map(|b| b.ready[s]) else {
                worst = f64::NAN;
                break;
            };
            let back = (first_after..r.buckets.len())
                .find(|&i| r.buckets[i].ready[s] <= pre * 1.1 + 1e-9)
                .map(|i| ((i + 1) as f64 * w - end).max(0.0));
            match back {
                Some(t) => worst = worst.max(t),
                None => {
                    worst = f64::NAN;
                    break;
                }
            }
        }
        m.scale_down_s = worst;
    }
    m
}
