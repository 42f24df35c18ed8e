//! The run's summary (summary.json): k6's metrics, endpoints, services, databases, checks,
//! thresholds, faults, accounting and cost, each a mean over replications with its interval.

use crate::aggregate::estimate::{
    CounterEstimate, GaugeEstimate, RateEstimate, TrendEstimate, causes, est, per_sec, ratio, trend,
};
use crate::aggregate::faults::{FaultSummary, faults};
use crate::aggregate::thresholds::{DEFAULT_PASS_LEVEL, ThresholdSummary, thresholds};
use crate::aggregate::windows::{self, FaultWindowSummary, StageSummary, SteadyStateSummary};
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Domain, Estimate};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// Each stage of each scenario's profile (a capsim extension; stages count from 0).
    pub stages: Vec<StageSummary>,
    /// Each fault's window, from the fault to its end (or the test end).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fault_windows: Vec<FaultWindowSummary>,
    /// The test after its warm-up (`warmup:`); the sections above cover the whole test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steady_state: Option<SteadyStateSummary>,
    /// What saturates first, every resource that can queue or refuse, and the
    /// operational-law bounds (aggregate/bottleneck.rs).
    pub bottlenecks: crate::aggregate::BottleneckSummary,
    /// A k6 script's custom metrics (aggregate/custom_metrics.rs).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_metrics: BTreeMap<String, crate::aggregate::custom_metrics::CustomMetricSummary>,
    /// A k6 script's groups: `group_duration`, whole and by group (aggregate/groups.rs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<crate::aggregate::groups::GroupsSummary>,
}
pub fn summarize(exp: &Experiment, results: &[ReplicationResult]) -> Summary {
    let model = &exp.model;
    let counter = |count: fn(&ReplicationResult) -> u64| CounterEstimate {
        count: est(results, Domain::NonNegative, |r| count(r) as f64),
        rate: est(results, Domain::NonNegative, |r| per_sec(count(r), r)),
    };
    let has_checks = !exp.checks.is_empty();
    let metrics = Metrics {
        http_req_duration: trend(results, |r| r.latency),
        http_req_failed: RateEstimate {
            rate: est(results, Domain::Proportion, |r| {
                ratio(r.failures, r.requests)
            }),
        },
        http_reqs: counter(|r| r.requests),
        iterations: counter(|r| r.iterations),
        dropped_iterations: counter(|r| r.dropped_iterations),
        vus: GaugeEstimate {
            value: est(results, Domain::NonNegative, |r| r.vus_peak as f64),
        },
        vus_max: GaugeEstimate {
            value: est(results, Domain::NonNegative, |r| r.vus_max as f64),
        },
        checks: has_checks.then(|| RateEstimate {
            rate: est(results, Domain::Proportion, |r| {
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
                    rate: est(results, Domain::Proportion, |r| {
                        ratio(r.endpoints[i].failures, r.endpoints[i].requests)
                    }),
                },
                http_reqs: CounterEstimate {
                    count: est(results, Domain::NonNegative, |r| {
                        r.endpoints[i].requests as f64
                    }),
                    rate: est(results, Domain::NonNegative, |r| {
                        per_sec(r.endpoints[i].requests, r)
                    }),
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
                // Busy over time-averaged capacity: replicas that drain while scaling in
                // can push it past 1, so only 0 is a known bound.
                utilization: est(results, Domain::NonNegative, |r| r.stations[i].utilization),
                mean_busy_workers: est(results, Domain::NonNegative, |r| {
                    r.stations[i].mean_busy_workers
                }),
                mean_in_flight: est(results, Domain::NonNegative, |r| {
                    r.stations[i].mean_in_flight
                }),
                queue_wait_ms: est(results, Domain::NonNegative, |r| {
                    r.stations[i].mean_queue_wait_ms
                }),
                p_wait: est(results, Domain::Proportion, |r| r.stations[i].p_wait),
                response_ms: est(results, Domain::NonNegative, |r| {
                    r.stations[i].mean_response_ms
                }),
                throughput: est(results, Domain::NonNegative, |r| {
                    per_sec(r.stations[i].arrivals, r)
                }),
                arrivals: est(results, Domain::NonNegative, |r| {
                    r.stations[i].arrivals as f64
                }),
                succeeded: est(results, Domain::NonNegative, |r| {
                    r.stations[i].succeeded as f64
                }),
                errors: causes(results, |r| &r.stations[i].causes),
                downstream_failures: est(results, Domain::NonNegative, |r| {
                    r.stations[i].downstream_failures as f64
                }),
                in_flight_at_end: est(results, Domain::NonNegative, |r| {
                    r.stations[i].in_flight_at_end as f64
                }),
                dead_jobs: jobs.then(|| {
                    est(results, Domain::NonNegative, |r| {
                        r.stations[i].dead_jobs as f64
                    })
                }),
                job_retries: jobs.then(|| {
                    est(results, Domain::NonNegative, |r| {
                        r.stations[i].job_retries as f64
                    })
                }),
                conserved: results.iter().all(|r| r.stations[i].balanced()),
                replicas: ReplicaSummary {
                    min: est(results, Domain::NonNegative, |r| r.stations[i].replicas_min),
                    max: est(results, Domain::NonNegative, |r| r.stations[i].replicas_max),
                    avg: est(results, Domain::NonNegative, |r| r.stations[i].replicas_avg),
                    desired_max: est(results, Domain::NonNegative, |r| r.stations[i].desired_max),
                    scale_ups: est(results, Domain::NonNegative, |r| {
                        r.stations[i].scale_ups as f64
                    }),
                    scale_downs: est(results, Domain::NonNegative, |r| {
                        r.stations[i].scale_downs as f64
                    }),
                    time_to_first_scale_up_s: est(results, Domain::NonNegative, |r| {
                        r.stations[i].first_scale_up_s.unwrap_or(f64::NAN)
                    }),
                    scaled_up_fraction: results
                        .iter()
                        .filter(|r| r.stations[i].first_scale_up_s.is_some())
                        .count() as f64
                        / results.len().max(1) as f64,
                    cost_usd: est(results, Domain::NonNegative, |r| r.stations[i].cost_usd),
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
                connections_in_use: est(results, Domain::NonNegative, |r| {
                    r.databases[i].mean_connections_in_use
                }),
                cpu_utilization: est(results, Domain::NonNegative, |r| {
                    r.databases[i].cpu_utilization
                }),
                queries_per_s: est(results, Domain::NonNegative, |r| {
                    per_sec(r.databases[i].queries, r)
                }),
                query_ms: est(results, Domain::NonNegative, |r| {
                    r.databases[i].mean_query_ms
                }),
                pool_wait_ms: est(results, Domain::NonNegative, |r| {
                    r.databases[i].mean_pool_wait_ms
                }),
                pool_timeouts: est(results, Domain::NonNegative, |r| {
                    r.databases[i].pool_timeouts as f64
                }),
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
                rate: est(results, Domain::Proportion, |r| {
                    let (p, f) = counts(r);
                    ratio(p, p + f)
                }),
                passes: est(results, Domain::NonNegative, |r| counts(r).0 as f64),
                fails: est(results, Domain::NonNegative, |r| counts(r).1 as f64),
            },
        );
    }
    Summary {
        capsim_version: env!("CARGO_PKG_VERSION"),
        experiment: exp.name.clone(),
        model: model.name.clone(),
        seed: exp.seed,
        replications: results.len(),
        test_run_duration_s: est(results, Domain::NonNegative, |r| r.duration as f64 / 1e9),
        metrics,
        endpoints,
        services,
        databases,
        checks,
        thresholds: thresholds(exp, results, DEFAULT_PASS_LEVEL),
        faults: faults(exp, results),
        errors: causes(results, |r| &r.causes),
        accounting: AccountingSummary {
            sent: est(results, Domain::NonNegative, |r| r.accounting.sent as f64),
            succeeded: est(results, Domain::NonNegative, |r| {
                r.accounting.succeeded as f64
            }),
            failed: est(results, Domain::NonNegative, |r| r.accounting.failed as f64),
            interrupted: est(results, Domain::NonNegative, |r| {
                r.accounting.interrupted as f64
            }),
            in_flight_at_end: est(results, Domain::NonNegative, |r| {
                r.accounting.in_flight_at_end as f64
            }),
            conserved: results.iter().all(|r| r.accounting.balanced()),
        },
        cost: CostSummary {
            total_usd: est(results, Domain::NonNegative, |r| r.cost.total()),
            services_usd: est(results, Domain::NonNegative, |r| r.cost.services),
            database_replicas_usd: est(results, Domain::NonNegative, |r| r.cost.databases),
            fixed_usd: est(results, Domain::NonNegative, |r| r.cost.caches_and_fixed),
            providers_usd: est(results, Domain::NonNegative, |r| r.cost.providers),
            peak_hourly_usd: est(results, Domain::NonNegative, |r| r.digest().peak_hourly_usd),
        },
        events: est(results, Domain::NonNegative, |r| r.events as f64),
        stages: windows::stages(exp, results),
        fault_windows: windows::fault_windows(exp, results),
        steady_state: windows::steady_state(exp, results),
        bottlenecks: crate::aggregate::bottlenecks(exp, results),
        custom_metrics: crate::aggregate::custom_metrics::custom_metrics(exp, results),
        groups: crate::aggregate::groups::groups(exp, results),
    }
}
