//! Across replications: turns per-replication results into the summary (k6 metric names,
//! each statistic a mean with its 95% interval) and the time series (mean and 5-95% band).

pub mod observe;

use crate::engine::outcome::Cause;
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Band, Estimate, band, estimate, wilson_interval};
use crate::stats::latency::TrendStats;
use observe::observe;
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

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub http_req_duration: TrendEstimate,
    pub http_req_failed: RateEstimate,
    pub http_reqs: CounterEstimate,
    pub iterations: CounterEstimate,
    pub dropped_iterations: CounterEstimate,
    /// Highest number of VUs active at once.
    pub vus: GaugeEstimate,
    pub vus_max: GaugeEstimate,
    /// Pass rate of all checks together (k6's `checks`), when the flow has checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<RateEstimate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointSummary {
    pub http_req_duration: TrendEstimate,
    pub http_req_failed: RateEstimate,
    pub http_reqs: CounterEstimate,
    pub errors: BTreeMap<&'static str, Estimate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    pub kind: &'static str,
    pub utilization: Estimate,
    pub mean_busy_workers: Estimate,
    pub mean_in_flight: Estimate,
    pub queue_wait_ms: Estimate,
    /// Probability that a task waited for a worker.
    pub p_wait: Estimate,
    pub response_ms: Estimate,
    /// Tasks that arrived per second (requests, calls or jobs).
    pub throughput: Estimate,
    pub arrivals: Estimate,
    pub succeeded: Estimate,
    /// Errors that arose here, by cause.
    pub errors: BTreeMap<&'static str, Estimate>,
    /// Failed because something it called failed.
    pub downstream_failures: Estimate,
    pub in_flight_at_end: Estimate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_jobs: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_retries: Option<Estimate>,
    /// arrivals = succeeded + errors + in flight at the end, in every replication.
    pub conserved: bool,
    /// Ready replicas over the test.
    pub replicas: ReplicaSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplicaSummary {
    pub min: Estimate,
    pub max: Estimate,
    pub avg: Estimate,
    /// Highest count the autoscaler asked for.
    pub desired_max: Estimate,
    pub scale_ups: Estimate,
    pub scale_downs: Estimate,
    /// Seconds from the test start to the first scale-up, over the replications that
    /// scaled up (`null` when none did).
    pub time_to_first_scale_up_s: Estimate,
    /// Fraction of replications with at least one scale-up.
    pub scaled_up_fraction: f64,
    pub cost_usd: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct CostSummary {
    pub total_usd: Estimate,
    /// Service replicas (billing minimums included).
    pub services_usd: Estimate,
    /// Database read replicas.
    pub database_replicas_usd: Estimate,
    /// Database primaries and cache nodes (fixed).
    pub fixed_usd: Estimate,
    /// External provider calls (compute units, gas).
    pub providers_usd: Estimate,
    /// Highest hourly spend, from the time-bucket averages.
    pub peak_hourly_usd: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseSummary {
    pub pool_size: u32,
    pub read_replicas: u32,
    pub connections_in_use: Estimate,
    pub cpu_utilization: Estimate,
    pub queries_per_s: Estimate,
    pub query_ms: Estimate,
    pub pool_wait_ms: Estimate,
    pub pool_timeouts: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    pub rate: Estimate,
    pub passes: Estimate,
    pub fails: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountingSummary {
    pub sent: Estimate,
    pub succeeded: Estimate,
    pub failed: Estimate,
    pub interrupted: Estimate,
    pub in_flight_at_end: Estimate,
    /// sent = succeeded + failed + interrupted + in flight, in every replication.
    pub conserved: bool,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub capsim_version: &'static str,
    pub experiment: String,
    pub model: String,
    pub seed: u64,
    pub replications: usize,
    /// Simulated length of the test, seconds (k6's test run duration: until the last
    /// iteration ends, at most the scenarios' end plus gracefulStop).
    pub test_run_duration_s: Estimate,
    pub metrics: Metrics,
    pub endpoints: BTreeMap<String, EndpointSummary>,
    pub services: BTreeMap<String, ServiceSummary>,
    pub databases: BTreeMap<String, DatabaseSummary>,
    pub checks: BTreeMap<String, CheckSummary>,
    pub thresholds: Vec<ThresholdSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSummary>,
    /// Failed requests by cause, as the users saw them.
    pub errors: BTreeMap<&'static str, Estimate>,
    pub accounting: AccountingSummary,
    pub cost: CostSummary,
    /// Events processed per replication (a measure of the work, not of wall time).
    pub events: Estimate,
}

fn est(results: &[ReplicationResult], f: impl Fn(&ReplicationResult) -> f64) -> Estimate {
    let v: Vec<f64> = results.iter().map(f).collect();
    estimate(&v)
}

fn trend(
    results: &[ReplicationResult],
    get: impl Fn(&ReplicationResult) -> Option<TrendStats>,
) -> TrendEstimate {
    let field =
        |f: fn(&TrendStats) -> f64| est(results, |r| get(r).map(|t| f(&t)).unwrap_or(f64::NAN));
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

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        f64::NAN
    } else {
        num as f64 / den as f64
    }
}

fn per_sec(count: u64, r: &ReplicationResult) -> f64 {
    let s = r.duration as f64 / 1e9;
    if s > 0.0 { count as f64 / s } else { f64::NAN }
}

fn causes(
    results: &[ReplicationResult],
    get: impl Fn(&ReplicationResult) -> &[u64; Cause::COUNT],
) -> BTreeMap<&'static str, Estimate> {
    Cause::ALL
        .iter()
        .filter(|c| results.iter().any(|r| get(r)[c.index()] > 0))
        .map(|c| (c.name(), est(results, |r| get(r)[c.index()] as f64)))
        .collect()
}

pub fn summarize(exp: &Experiment, results: &[ReplicationResult]) -> Summary {
    let model = &exp.model;
    let counter = |count: fn(&ReplicationResult) -> u64| CounterEstimate {
        count: est(results, |r| count(r) as f64),
        rate: est(results, |r| per_sec(count(r), r)),
    };
    let has_checks = !exp.checks.is_empty();
    let metrics = Metrics {
        http_req_duration: trend(results, |r| r.latency),
        http_req_failed: RateEstimate {
            rate: est(results, |r| ratio(r.failures, r.requests)),
        },
        http_reqs: counter(|r| r.requests),
        iterations: counter(|r| r.iterations),
        dropped_iterations: counter(|r| r.dropped_iterations),
        vus: GaugeEstimate {
            value: est(results, |r| r.vus_peak as f64),
        },
        vus_max: GaugeEstimate {
            value: est(results, |r| r.vus_max as f64),
        },
        checks: has_checks.then(|| RateEstimate {
            rate: est(results, |r| {
                let (p, f) = r.checks.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
                ratio(p, p + f)
            }),
        }),
    };
    let endpoints = model
        .endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let summary = EndpointSummary {
                http_req_duration: trend(results, |r| r.endpoints[i].latency),
                http_req_failed: RateEstimate {
                    rate: est(results, |r| {
                        ratio(r.endpoints[i].failures, r.endpoints[i].requests)
                    }),
                },
                http_reqs: CounterEstimate {
                    count: est(results, |r| r.endpoints[i].requests as f64),
                    rate: est(results, |r| per_sec(r.endpoints[i].requests, r)),
                },
                errors: causes(results, |r| &r.endpoints[i].causes),
            };
            (e.name.clone(), summary)
        })
        .collect();
    let services = model
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let jobs = s.kind == crate::model::StationKind::JobQueue;
            let summary = ServiceSummary {
                kind: if jobs { "job_queue" } else { "service" },
                utilization: est(results, |r| r.stations[i].utilization),
                mean_busy_workers: est(results, |r| r.stations[i].mean_busy_workers),
                mean_in_flight: est(results, |r| r.stations[i].mean_in_flight),
                queue_wait_ms: est(results, |r| r.stations[i].mean_queue_wait_ms),
                p_wait: est(results, |r| r.stations[i].p_wait),
                response_ms: est(results, |r| r.stations[i].mean_response_ms),
                throughput: est(results, |r| per_sec(r.stations[i].arrivals, r)),
                arrivals: est(results, |r| r.stations[i].arrivals as f64),
                succeeded: est(results, |r| r.stations[i].succeeded as f64),
                errors: causes(results, |r| &r.stations[i].causes),
                downstream_failures: est(results, |r| r.stations[i].downstream_failures as f64),
                in_flight_at_end: est(results, |r| r.stations[i].in_flight_at_end as f64),
                dead_jobs: jobs.then(|| est(results, |r| r.stations[i].dead_jobs as f64)),
                job_retries: jobs.then(|| est(results, |r| r.stations[i].job_retries as f64)),
                conserved: results.iter().all(|r| r.stations[i].balanced()),
                replicas: ReplicaSummary {
                    min: est(results, |r| r.stations[i].replicas_min),
                    max: est(results, |r| r.stations[i].replicas_max),
                    avg: est(results, |r| r.stations[i].replicas_avg),
                    desired_max: est(results, |r| r.stations[i].desired_max),
                    scale_ups: est(results, |r| r.stations[i].scale_ups as f64),
                    scale_downs: est(results, |r| r.stations[i].scale_downs as f64),
                    time_to_first_scale_up_s: est(results, |r| {
                        r.stations[i].first_scale_up_s.unwrap_or(f64::NAN)
                    }),
                    scaled_up_fraction: results
                        .iter()
                        .filter(|r| r.stations[i].first_scale_up_s.is_some())
                        .count() as f64
                        / results.len().max(1) as f64,
                    cost_usd: est(results, |r| r.stations[i].cost_usd),
                },
            };
            (s.name.clone(), summary)
        })
        .collect();
    let databases = model
        .databases
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let summary = DatabaseSummary {
                pool_size: d.primary.pool_size,
                read_replicas: d.read_replicas,
                connections_in_use: est(results, |r| r.databases[i].mean_connections_in_use),
                cpu_utilization: est(results, |r| r.databases[i].cpu_utilization),
                queries_per_s: est(results, |r| per_sec(r.databases[i].queries, r)),
                query_ms: est(results, |r| r.databases[i].mean_query_ms),
                pool_wait_ms: est(results, |r| r.databases[i].mean_pool_wait_ms),
                pool_timeouts: est(results, |r| r.databases[i].pool_timeouts as f64),
            };
            (d.name.clone(), summary)
        })
        .collect();
    let mut checks: BTreeMap<String, CheckSummary> = BTreeMap::new();
    let mut names: Vec<&str> = exp.checks.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let counts = |r: &ReplicationResult| {
            exp.checks
                .iter()
                .zip(&r.checks)
                .filter(|(c, _)| c.name == name)
                .fold((0u64, 0u64), |a, (_, n)| (a.0 + n.0, a.1 + n.1))
        };
        checks.insert(
            name.to_string(),
            CheckSummary {
                rate: est(results, |r| {
                    let (p, f) = counts(r);
                    ratio(p, p + f)
                }),
                passes: est(results, |r| counts(r).0 as f64),
                fails: est(results, |r| counts(r).1 as f64),
            },
        );
    }
    Summary {
        capsim_version: env!("CARGO_PKG_VERSION"),
        experiment: exp.name.clone(),
        model: model.name.clone(),
        seed: exp.seed,
        replications: results.len(),
        test_run_duration_s: est(results, |r| r.duration as f64 / 1e9),
        metrics,
        endpoints,
        services,
        databases,
        checks,
        thresholds: thresholds(exp, results, DEFAULT_PASS_LEVEL),
        faults: faults(exp, results),
        errors: causes(results, |r| &r.causes),
        accounting: AccountingSummary {
            sent: est(results, |r| r.accounting.sent as f64),
            succeeded: est(results, |r| r.accounting.succeeded as f64),
            failed: est(results, |r| r.accounting.failed as f64),
            interrupted: est(results, |r| r.accounting.interrupted as f64),
            in_flight_at_end: est(results, |r| r.accounting.in_flight_at_end as f64),
            conserved: results.iter().all(|r| r.accounting.balanced()),
        },
        cost: CostSummary {
            total_usd: est(results, |r| r.cost.total()),
            services_usd: est(results, |r| r.cost.services),
            database_replicas_usd: est(results, |r| r.cost.databases),
            fixed_usd: est(results, |r| r.cost.caches_and_fixed),
            providers_usd: est(results, |r| r.cost.providers),
            peak_hourly_usd: est(results, |r| {
                r.buckets
                    .iter()
                    .map(|b| b.cost_usd / (b.span_s / 3600.0))
                    .fold(0.0, f64::max)
            }),
        },
        events: est(results, |r| r.events as f64),
    }
}

/// The SLO a fault's recovery is judged by: the experiment's `p(95)<X` on
/// http_req_duration and `rate<Y` on http_req_failed; without them, 1.5 times the p95
/// before the first fault and one point more errors than before it.
fn recovery_limits(exp: &Experiment, results: &[ReplicationResult]) -> (f64, f64) {
    use crate::model::threshold::{Aggregation, Metric, Operator};
    let limit = |metric: Metric, agg: Aggregation| {
        exp.thresholds
            .iter()
            .filter(|t| t.metric == metric && t.endpoint.is_none() && t.aggregation == agg)
            .filter(|t| matches!(t.operator, Operator::Lt | Operator::Le))
            .map(|t| t.value)
            .reduce(f64::min)
    };
    let first = exp.faults.iter().map(|f| f.at).min().unwrap_or(0);
    let before = |f: &dyn Fn(&crate::engine::result::BucketRow) -> f64| {
        let v: Vec<f64> = results
            .iter()
            .flat_map(|r| r.buckets.iter().take((first / exp.bucket) as usize).map(f))
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
                let broken = |b: &crate::engine::result::BucketRow| {
                    b.requests > 0
                        && (b.p95_ms >= p95_limit || ratio(b.failures, b.requests) >= error_limit)
                };
                let rows = r.buckets.get(first..).unwrap_or(&[]);
                let last_broken = rows.iter().rposition(broken);
                let (held, until) = match last_broken {
                    None => (true, first),
                    Some(k) => (first + k + 1 < r.buckets.len(), first + k + 1),
                };
                failed.push(
                    r.buckets[first.min(r.buckets.len())..until.min(r.buckets.len())]
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
                recovery_s: estimate(&recovery),
                recovered_fraction: if n > 0 {
                    recovered as f64 / n as f64
                } else {
                    f64::NAN
                },
                recovered_fraction_ci95: [lo, hi],
                failed_requests: estimate(&failed),
            }
        })
        .collect()
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

/// One row of the time series: mean and 5-95% band across replications per column.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    pub time_s: f64,
    pub values: Vec<Band>,
}

/// Column names of the time series (without the `_mean/_p5/_p95` suffixes).
pub fn series_columns(exp: &Experiment) -> Vec<String> {
    let mut cols: Vec<String> = [
        "vus",
        "request_rate",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "error_rate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in &exp.model.stations {
        cols.push(format!("in_flight_{}", s.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("utilization_{}", s.name));
    }
    for d in &exp.model.databases {
        cols.push(format!("db_connections_{}", d.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("desired_replicas_{}", s.name));
    }
    for s in &exp.model.stations {
        cols.push(format!("ready_replicas_{}", s.name));
    }
    cols.push("cost_usd".to_string());
    cols
}

pub fn time_series(exp: &Experiment, results: &[ReplicationResult]) -> Vec<SeriesRow> {
    let n_buckets = results.iter().map(|r| r.buckets.len()).min().unwrap_or(0);
    let n_stations = exp.model.stations.len();
    (0..n_buckets)
        .map(|b| {
            let col = |f: &dyn Fn(&ReplicationResult) -> f64| {
                let v: Vec<f64> = results.iter().map(f).collect();
                band(&v)
            };
            let mut values = vec![
                col(&|r| r.buckets[b].vus),
                col(&|r| r.buckets[b].requests as f64 / r.buckets[b].span_s),
                col(&|r| r.buckets[b].p50_ms),
                col(&|r| r.buckets[b].p95_ms),
                col(&|r| r.buckets[b].p99_ms),
                col(&|r| ratio(r.buckets[b].failures, r.buckets[b].requests)),
            ];
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].in_flight[s]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].utilization[s]));
            }
            for d in 0..exp.model.databases.len() {
                values.push(col(&|r| r.buckets[b].db_in_use[d]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].desired[s]));
            }
            for s in 0..n_stations {
                values.push(col(&|r| r.buckets[b].ready[s]));
            }
            values.push(col(&|r| r.buckets[b].cost_usd));
            SeriesRow {
                time_s: b as f64 * exp.bucket as f64 / 1e9,
                values,
            }
        })
        .collect()
}

/// One row of latency.csv: an endpoint's latency at a percentile, across replications.
#[derive(Debug, Clone)]
pub struct DistributionRow {
    pub endpoint: String,
    pub percentile: f64,
    pub value: Band,
}

/// Each endpoint's latency distribution (percentiles 0..100 step 0.5), mean and 5-95% band
/// across the replications that had requests.
pub fn latency_distribution(
    exp: &Experiment,
    results: &[ReplicationResult],
) -> Vec<DistributionRow> {
    let percentiles: Vec<f64> = crate::engine::result::distribution_percentiles().collect();
    let mut rows = Vec::new();
    for (i, e) in exp.model.endpoints.iter().enumerate() {
        if results
            .iter()
            .all(|r| r.endpoints[i].distribution.is_empty())
        {
            continue;
        }
        for (k, &p) in percentiles.iter().enumerate() {
            let v: Vec<f64> = results
                .iter()
                .map(|r| {
                    r.endpoints[i]
                        .distribution
                        .get(k)
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect();
            rows.push(DistributionRow {
                endpoint: e.name.clone(),
                percentile: p,
                value: band(&v),
            });
        }
    }
    rows
}
