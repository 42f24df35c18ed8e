//! The predicted table: one row per experiment of the plan's table, the spike, the
//! scaling behaviour and the cost increase.

use crate::planning::Ran;
use crate::planning::measures::scaled_stations;
use crate::planning::plan::{Expected, PlanSpec, RowSpec, ScalingExpected, SpikeExpected};
use crate::planning::verdicts::probability::{Probability, est, find, probability};
use crate::stats::interval::{Domain, Estimate, estimate, estimate_in};

/// Replica counts are at or above 0.
fn estimate_nn(v: &[f64]) -> Estimate {
    estimate_in(v, Domain::NonNegative)
}
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub row: String,
    pub experiment: String,
    pub expected: Expected,
    pub users: Estimate,
    /// At the VU plateau.
    pub request_rate: Estimate,
    /// k6's http_reqs rate (over the whole test run).
    pub k6_rate: Estimate,
    pub avg_ms: Estimate,
    pub p95_ms: Estimate,
    pub error_rate: Estimate,
    /// Every threshold of the experiment holds.
    pub status: Probability,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpikeReport {
    pub row: String,
    pub experiment: String,
    pub expected: SpikeExpected,
    pub window_s: Option<[f64; 2]>,
    pub peak_users: Estimate,
    pub recovery_time_s: Estimate,
    /// Replications that never recovered within the run.
    pub not_recovered: usize,
    pub bucket_s: f64,
    pub data_loss: Estimate,
    pub dead_jobs: Estimate,
    pub lost_requests: Estimate,
    pub unfinished_requests: Estimate,
    pub status: Probability,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceScaling {
    pub service: String,
    pub max_replicas: Estimate,
    pub pre_spike_replicas: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalingReport {
    pub experiment: String,
    pub expected: ScalingExpected,
    pub services: Vec<ServiceScaling>,
    pub max_instances: Estimate,
    pub scale_up_time_s: Estimate,
    pub no_scale_up: usize,
    pub scale_down_time_s: Estimate,
    /// Replications in which some service was not back within 10 % by the end.
    pub not_scaled_down: usize,
    /// From the end of the spike to the end of the run: the most a scale-down can show.
    pub observed_after_spike_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CostReport {
    pub baseline: String,
    pub scaled: String,
    pub baseline_hourly_usd: Estimate,
    pub scaled_hourly_usd: Estimate,
    /// scaled / mean(baseline) - 1, per scaled replication.
    pub increase: Estimate,
}

pub(crate) fn row_report(plan: &PlanSpec, row: &RowSpec, run: &Ran) -> RowReport {
    let held: Vec<bool> = run.measures.iter().map(|m| m.thresholds_pass).collect();
    RowReport {
        row: row.row.clone(),
        experiment: run.name.clone(),
        expected: row.expected.clone(),
        users: est(run, |m| m.peak_vus),
        request_rate: est(run, |m| m.plateau_rate),
        k6_rate: est(run, |m| m.k6_rate),
        avg_ms: est(run, |m| m.avg_ms),
        p95_ms: est(run, |m| m.p95_ms),
        error_rate: est(run, |m| m.error_rate),
        status: probability(&held, plan.level),
    }
}

pub(crate) fn cost_increase(plan: &PlanSpec, runs: &[Ran]) -> Option<(CostReport, Vec<f64>)> {
    let c = plan.cost.as_ref()?;
    let (b, s) = (find(runs, &c.baseline)?, find(runs, &c.scaled)?);
    let base = est(b, |m| m.hourly_cost);
    let inc: Vec<f64> = s
        .measures
        .iter()
        .map(|m| {
            if base.mean > 0.0 {
                m.hourly_cost / base.mean - 1.0
            } else {
                f64::NAN
            }
        })
        .collect();
    Some((
        CostReport {
            baseline: b.name.clone(),
            scaled: s.name.clone(),
            baseline_hourly_usd: base,
            scaled_hourly_usd: est(s, |m| m.hourly_cost),
            increase: estimate(&inc),
        },
        inc,
    ))
}

/// The spike row: peak users, recovery, data loss, and whether the thresholds held.
pub(crate) fn spike_report(plan: &PlanSpec, runs: &[Ran]) -> Option<SpikeReport> {
    plan.spike.as_ref().and_then(|s| {
        let run = find(runs, &s.experiment)?;
        let held: Vec<bool> = run.measures.iter().map(|m| m.thresholds_pass).collect();
        Some(SpikeReport {
            row: s.row.clone(),
            experiment: run.name.clone(),
            expected: s.expected.clone(),
            window_s: run.window,
            peak_users: est(run, |m| m.peak_vus),
            recovery_time_s: est(run, |m| m.recovery_s),
            not_recovered: run
                .measures
                .iter()
                .filter(|m| m.recovery_s.is_nan())
                .count(),
            bucket_s: run.exp.bucket as f64 / 1e9,
            data_loss: est(run, |m| m.data_loss()),
            dead_jobs: est(run, |m| m.dead_jobs),
            lost_requests: est(run, |m| m.lost_requests),
            unfinished_requests: est(run, |m| m.unfinished),
            status: probability(&held, plan.level),
        })
    })
}

/// How the services scaled under the plan's scaling experiment.
pub(crate) fn scaling_report(plan: &PlanSpec, runs: &[Ran]) -> Option<ScalingReport> {
    plan.scaling.as_ref().and_then(|s| {
        let run = find(runs, &s.experiment)?;
        let scaled = scaled_stations(&run.results);
        let w = run.exp.bucket as f64 / 1e9;
        let before = run
            .window
            .map(|[a, _]| ((a / w).round() as usize).saturating_sub(1));
        let services = scaled
            .iter()
            .map(|&i| ServiceScaling {
                service: run.exp.model.stations[i].name.clone(),
                max_replicas: estimate_nn(
                    &run.results
                        .iter()
                        .map(|r| r.stations[i].replicas_max)
                        .collect::<Vec<_>>(),
                ),
                pre_spike_replicas: estimate_nn(
                    &run.results
                        .iter()
                        .map(|r| {
                            before
                                .and_then(|b| r.buckets.get(b))
                                .map(|b| b.ready[i])
                                .unwrap_or(f64::NAN)
                        })
                        .collect::<Vec<_>>(),
                ),
            })
            .collect();
        let end_s = run.exp.end_time() as f64 / 1e9;
        Some(ScalingReport {
            experiment: run.name.clone(),
            expected: s.expected.clone(),
            services,
            max_instances: est(run, |m| m.max_replicas),
            scale_up_time_s: est(run, |m| m.scale_up_s),
            no_scale_up: run
                .measures
                .iter()
                .filter(|m| m.scale_up_s.is_nan())
                .count(),
            scale_down_time_s: est(run, |m| m.scale_down_s),
            not_scaled_down: run
                .measures
                .iter()
                .filter(|m| m.scale_down_s.is_nan())
                .count(),
            observed_after_spike_s: run.window.map(|[_, e]| end_s - e).unwrap_or(f64::NAN),
        })
    })
}
