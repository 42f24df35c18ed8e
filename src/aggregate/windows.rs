//! Across replications, per time window: each stage of each scenario's profile, each
//! fault's window, and the steady state after the warm-up (fixed or MSER-5). Each
//! statistic is the mean over replications of that window's value, with its interval,
//! from the small per-replication window results (no histograms).

use crate::aggregate::estimate::{CounterEstimate, RateEstimate, TrendEstimate, est, ratio, trend};
use crate::engine::result::{ReplicationResult, WindowResult};
use crate::model::experiment::Experiment;
use crate::model::threshold::{Aggregation, Metric, Threshold};
use crate::model::windows::Warmup;
use crate::stats::interval::{Domain, Estimate};
use crate::stats::mser::mser;
use serde::Serialize;

/// k6's HTTP and iteration metrics inside one window.
#[derive(Debug, Clone, Serialize)]
pub struct WindowSummary {
    /// The window in test time (mean over replications: a window cut by the test end,
    /// or a warm-up chosen per replication, can differ between replications).
    pub start_s: f64,
    pub end_s: f64,
    pub http_req_duration: TrendEstimate,
    pub http_req_failed: RateEstimate,
    /// Count in the window, and per second of the window.
    pub http_reqs: CounterEstimate,
    pub iterations: CounterEstimate,
}

/// One stage of one scenario's profile (`stage` counts from 0 in the order of `stages:`).
#[derive(Debug, Clone, Serialize)]
pub struct StageSummary {
    pub scenario: String,
    pub stage: usize,
    /// The stage's target (VUs, or iterations per timeUnit) for the ramping executors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
    #[serde(flatten)]
    pub window: WindowSummary,
}

/// One fault's window: from the fault to its end (or to the test end).
#[derive(Debug, Clone, Serialize)]
pub struct FaultWindowSummary {
    pub fault: String,
    #[serde(flatten)]
    pub window: WindowSummary,
}

/// The test after its warm-up.
#[derive(Debug, Clone, Serialize)]
pub struct SteadyStateSummary {
    /// `fixed` (`warmup: 2m`) or `mser-5` (`warmup: auto`: MSER-5 on the series averaged
    /// over the replications, one cut for all).
    pub method: &'static str,
    /// End of the warm-up, seconds.
    pub warmup_s: f64,
    /// The run is too short for its warm-up: MSER-5 found its minimum at the edge of the
    /// first half (or had too few batches), or a fixed warm-up is half the run or more.
    pub too_short: bool,
    /// What to do when the run is too short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(flatten)]
    pub window: WindowSummary,
}

type Get<'a> = &'a dyn Fn(&ReplicationResult) -> Option<&WindowResult>;

/// The mean over replications of `f` of the window, with its interval in `domain`.
fn field(
    results: &[ReplicationResult],
    get: Get<'_>,
    domain: Domain,
    f: impl Fn(&WindowResult) -> f64,
) -> Estimate {
    est(results, domain, |r| get(r).map(&f).unwrap_or(f64::NAN))
}

fn per_s(c: u64, w: &WindowResult) -> f64 {
    let s = w.secs();
    if s > 0.0 { c as f64 / s } else { f64::NAN }
}

fn window_summary(results: &[ReplicationResult], get: Get<'_>) -> WindowSummary {
    let mean = |f: &dyn Fn(&WindowResult) -> f64| {
        let v: Vec<f64> = results.iter().filter_map(get).map(f).collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let nn = Domain::NonNegative;
    WindowSummary {
        start_s: mean(&|w| w.start as f64 / 1e9),
        end_s: mean(&|w| w.end as f64 / 1e9),
        http_req_duration: trend(results, |r| get(r).and_then(|w| w.latency)),
        http_req_failed: RateEstimate {
            rate: field(results, get, Domain::Proportion, |w| {
                ratio(w.failures, w.requests)
            }),
        },
        http_reqs: CounterEstimate {
            count: field(results, get, nn, |w| w.requests as f64),
            rate: field(results, get, nn, |w| per_s(w.requests, w)),
        },
        iterations: CounterEstimate {
            count: field(results, get, nn, |w| w.iterations as f64),
            rate: field(results, get, nn, |w| per_s(w.iterations, w)),
        },
    }
}

/// Every stage of every scenario, in the experiment's order.
pub fn stages(exp: &Experiment, results: &[ReplicationResult]) -> Vec<StageSummary> {
    exp.stages
        .iter()
        .enumerate()
        .map(|(i, s)| StageSummary {
            scenario: exp
                .scenarios
                .get(s.scenario)
                .map(|p| p.scenario.name.clone())
                .unwrap_or_default(),
            stage: s.stage,
            target: s.target,
            window: window_summary(results, &|r| r.stages.get(i)),
        })
        .collect()
}

/// Every fault's window, in the experiment's order.
pub fn fault_windows(exp: &Experiment, results: &[ReplicationResult]) -> Vec<FaultWindowSummary> {
    exp.faults
        .iter()
        .enumerate()
        .map(|(i, f)| FaultWindowSummary {
            fault: f.name.clone(),
            window: window_summary(results, &|r| r.fault_windows.get(i)),
        })
        .collect()
}

/// MSER-5 on the batch means averaged over the replications (each replication's batch
/// mean latency, over the replications with responses in that batch): the cut in
/// batches, and whether the run is too short to show the end of the transient.
pub fn mser_cut(results: &[ReplicationResult]) -> (usize, bool) {
    let len = results
        .iter()
        .filter_map(|r| r.steady.as_ref())
        .map(|s| s.series.len())
        .max()
        .unwrap_or(0);
    let means: Vec<f64> = (0..len)
        .map(|j| {
            let v: Vec<f64> = results
                .iter()
                .filter_map(|r| r.steady.as_ref()?.series.get(j))
                .filter(|b| b.1 > 0)
                .map(|b| b.0 / b.1 as f64)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        })
        .filter(|m| m.is_finite())
        .collect();
    match mser(&means) {
        Some(t) => (t.batches, t.at_edge),
        None => (0, true),
    }
}

/// The steady state after the warm-up (`None` without `warmup:`).
pub fn steady_state(exp: &Experiment, results: &[ReplicationResult]) -> Option<SteadyStateSummary> {
    match exp.warmup {
        Warmup::None => None,
        Warmup::Fixed(w) => {
            let n = results.len();
            let short = results
                .iter()
                .filter(|r| r.steady.as_ref().is_some_and(|s| s.too_short))
                .count();
            Some(SteadyStateSummary {
                method: "fixed",
                warmup_s: w as f64 / 1e9,
                too_short: short > 0,
                warning: (short > 0).then(|| {
                    format!(
                        "the warm-up is half or more of the run in {short} of {n} replications (they ended early); \
                         make the test longer or the warm-up shorter"
                    )
                }),
                window: window_summary(results, &|r| r.steady.as_ref().map(|s| &s.window)),
            })
        }
        Warmup::Auto => {
            let (cut, too_short) = mser_cut(results);
            let batch = results
                .iter()
                .find_map(|r| r.steady.as_ref().map(|s| s.batch))
                .unwrap_or(0);
            Some(SteadyStateSummary {
                method: "mser-5",
                warmup_s: (cut as u64 * batch) as f64 / 1e9,
                too_short,
                warning: too_short.then(|| {
                    "MSER-5 found no end of the warm-up in the first half of the run: the run is too short \
                     to show the end of its transient; make the test at least twice as long, or set a fixed `warmup:`"
                        .to_string()
                }),
                window: window_summary(results, &|r| {
                    r.steady.as_ref().and_then(|s| s.candidates.get(cut))
                }),
            })
        }
    }
}

/// A threshold's metric inside one window (`{stage:N}` thresholds).
pub fn observe_window(t: &Threshold, w: &WindowResult, percentiles: &[f64]) -> f64 {
    match t.metric {
        Metric::HttpReqDuration => {
            let Some(tr) = w.latency else {
                return f64::NAN;
            };
            match t.aggregation {
                Aggregation::Avg => tr.avg,
                Aggregation::Min => tr.min,
                Aggregation::Med => tr.med,
                Aggregation::Max => tr.max,
                Aggregation::Percentile(p) => percentiles
                    .iter()
                    .position(|&q| q == p)
                    .and_then(|i| w.quantiles.get(i).copied())
                    .unwrap_or(f64::NAN),
                _ => f64::NAN,
            }
        }
        Metric::HttpReqFailed => ratio(w.failures, w.requests),
        Metric::HttpReqs | Metric::Iterations => {
            let c = if t.metric == Metric::HttpReqs {
                w.requests
            } else {
                w.iterations
            };
            if t.aggregation == Aggregation::Count {
                c as f64
            } else {
                per_s(c, w)
            }
        }
        _ => f64::NAN,
    }
}
