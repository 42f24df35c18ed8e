//! From the runs to the report's content: the predicted table rows, the success criteria
//! with their probabilities, and the contradictions in the plan's own numbers.

use super::Ran;
use super::measures::{Measures, flow_shape, threshold_limits};
use super::plan::{CriterionSpec, Expected, PlanSpec, ScalingExpected, SpikeExpected};
use crate::stats::interval::{Estimate, estimate, wilson_interval};
use serde::Serialize;

/// How often a condition held across replications, and what that says.
#[derive(Debug, Clone, Serialize)]
pub struct Probability {
    pub passes: usize,
    pub replications: usize,
    pub p: f64,
    /// 95% Wilson interval.
    pub ci95: [f64; 2],
    /// PASS, FAIL or UNCERTAIN against the plan's level.
    pub verdict: &'static str,
}

pub fn probability(held: &[bool], level: f64) -> Probability {
    let n = held.len();
    let k = held.iter().filter(|&&b| b).count();
    let (lo, hi) = wilson_interval(k as u64, n as u64, 0.95);
    let verdict = if n == 0 {
        "UNCERTAIN"
    } else if lo >= level {
        "PASS"
    } else if hi < level {
        "FAIL"
    } else {
        "UNCERTAIN"
    };
    Probability {
        passes: k,
        replications: n,
        p: if n > 0 { k as f64 / n as f64 } else { f64::NAN },
        ci95: [lo, hi],
        verdict,
    }
}

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

#[derive(Debug, Clone, Serialize)]
pub struct CriterionReport {
    pub name: String,
    pub experiment: String,
    pub metric: String,
    pub condition: String,
    pub value: Estimate,
    /// Replications where the measure is undefined (never happened); they count as misses.
    pub undefined: usize,
    pub probability: Probability,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contradiction {
    /// Which row or criterion.
    pub subject: String,
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub experiment: String,
    pub replications: u32,
    pub simulated_s: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub plan: String,
    pub source: Option<String>,
    pub capsim_version: &'static str,
    pub level: f64,
    pub quick: bool,
    pub rows: Vec<RowReport>,
    pub spike: Option<SpikeReport>,
    pub scaling: Option<ScalingReport>,
    pub cost: Option<CostReport>,
    pub criteria: Vec<CriterionReport>,
    pub contradictions: Vec<Contradiction>,
    /// Plain sentences for the customer.
    pub findings: Vec<String>,
    pub timings: Vec<Timing>,
    pub total_wall_s: f64,
}

fn find<'a>(runs: &'a [Ran], name: &str) -> Option<&'a Ran> {
    runs.iter().find(|r| r.name == name)
}

fn est(run: &Ran, f: impl Fn(&Measures) -> f64) -> Estimate {
    estimate(&run.values(f))
}

fn row_report(plan: &PlanSpec, row: &super::plan::RowSpec, run: &Ran) -> RowReport {
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

fn cost_increase(plan: &PlanSpec, runs: &[Ran]) -> Option<(CostReport, Vec<f64>)> {
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

fn criterion_default_experiments(plan: &PlanSpec, c: &CriterionSpec) -> Vec<String> {
    if !c.experiments.is_empty() {
        return c.experiments.clone();
    }
    let spike = || plan.spike.as_ref().map(|s| s.experiment.clone());
    let scaling = || plan.scaling.as_ref().map(|s| s.experiment.clone());
    match c.metric.as_str() {
        "recovery_time_s" | "data_loss" | "peak_users" => spike().into_iter().collect(),
        "scale_up_time_s" | "scale_down_time_s" | "max_instances" => {
            scaling().or_else(spike).into_iter().collect()
        }
        "cost_increase" => plan.cost.iter().map(|c| c.scaled.clone()).collect(),
        _ => plan.rows.iter().map(|r| r.experiment.clone()).collect(),
    }
}

fn criteria(plan: &PlanSpec, runs: &[Ran], cost_inc: Option<&[f64]>) -> Vec<CriterionReport> {
    let mut out = Vec::new();
    for c in &plan.criteria {
        for name in criterion_default_experiments(plan, c) {
            let Some(run) = find(runs, &name) else {
                continue;
            };
            let values: Vec<f64> = if c.metric == "cost_increase" {
                match cost_inc {
                    Some(v) => v.to_vec(),
                    None => continue,
                }
            } else {
                run.values(|m| m.get(&c.metric).unwrap_or(f64::NAN))
            };
            let held: Vec<bool> = values
                .iter()
                .map(|&v| match (c.below, c.at_least) {
                    (Some(b), _) => v < b,
                    (_, Some(a)) => v >= a,
                    _ => false,
                })
                .collect();
            let condition = match (c.below, c.at_least) {
                (Some(b), _) => format!("{} < {}", c.metric, num(b)),
                (_, Some(a)) => format!("{} >= {}", c.metric, num(a)),
                _ => String::new(),
            };
            out.push(CriterionReport {
                name: c.name.clone(),
                experiment: name.clone(),
                metric: c.metric.clone(),
                condition,
                value: estimate(&values),
                undefined: values.iter().filter(|v| v.is_nan()).count(),
                probability: probability(&held, plan.level),
            });
        }
    }
    out
}

/// A number without needless decimals.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if (x == x.round() && x.abs() < 1e15) || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn passing(status: &Option<String>) -> bool {
    status.as_deref().is_some_and(|s| {
        s.to_ascii_uppercase().contains("PASS") || s.to_ascii_uppercase().contains("ACCEPT")
    })
}

/// The response-time law for a closed loop: N users, each iteration k requests and Z s of
/// think time, mean response R s: X <= k N / (Z + k R).
pub fn closed_loop_ceiling(n: f64, k: f64, z: f64, r_s: f64) -> f64 {
    k * n / (z + k * r_s)
}

/// Contradictions between the plan's numbers, the operational laws, its own thresholds and
/// its own success criteria.
pub fn contradictions(plan: &PlanSpec, runs: &[Ran]) -> Vec<Contradiction> {
    let mut out = Vec::new();
    for row in &plan.rows {
        let Some(run) = find(runs, &row.experiment) else {
            continue;
        };
        let e = &row.expected;
        let (k, z) = flow_shape(&run.exp);
        let (p95_lim, err_lim) = threshold_limits(&run.exp);
        if let (Some(n), Some(x)) = (e.users, e.request_rate)
            && k > 0.0
            && z > 0.0
        {
            let at_zero = closed_loop_ceiling(n, k, z, 0.0);
            let needed_r_ms = (k * n / x - z) / k * 1000.0;
            match e.response_time_ms {
                Some(r) => {
                    let cap = closed_loop_ceiling(n, k, z, r / 1000.0);
                    if x > cap * 1.005 {
                        let tail = if x > at_zero {
                            format!(
                                "no response time can deliver it: even at R = 0 the ceiling is {} req/s",
                                num(at_zero)
                            )
                        } else {
                            format!(
                                "{} req/s would need an average response time of {} ms, not {} ms",
                                num(x),
                                num(needed_r_ms),
                                num(r)
                            )
                        };
                        out.push(Contradiction {
                            subject: row.row.clone(),
                            kind: "response-time law",
                            text: format!(
                                "{} users running this flow ({} requests and {} s of think time per iteration) \
                                 with {} ms responses make at most X = {}x{} / ({} + {}x{}) = {} req/s; the plan claims {} req/s ({} % more). {tail}.",
                                num(n),
                                num(k),
                                num(z),
                                num(r),
                                num(k),
                                num(n),
                                num(z),
                                num(k),
                                num(r / 1000.0),
                                num(cap),
                                num(x),
                                num((x / cap - 1.0) * 100.0)
                            ),
                        });
                    }
                }
                None if x > at_zero * 1.005 => out.push(Contradiction {
                    subject: row.row.clone(),
                    kind: "response-time law",
                    text: format!(
                        "{} users with {} s of think time per {} requests make at most {} req/s even at zero response time; the plan claims {}.",
                        num(n),
                        num(z),
                        num(k),
                        num(at_zero),
                        num(x)
                    ),
                }),
                None => {}
            }
        }
        if let (Some(er), Some(lim)) = (e.error_rate, err_lim)
            && er >= lim
            && passing(&e.status)
        {
            out.push(Contradiction {
                subject: row.row.clone(),
                kind: "own threshold",
                text: format!(
                    "the plan expects {} errors and status {:?}, but its own test threshold is http_req_failed rate<{}: \
                     with {} errors k6 fails the test.",
                    pct(er),
                    e.status.clone().unwrap_or_default(),
                    num(lim),
                    pct(er)
                ),
            });
        }
        if let (Some(avg), Some(lim)) = (e.response_time_ms, p95_lim)
            && avg >= lim
            && passing(&e.status)
        {
            let tail_avg = (avg - 0.95 * lim) / 0.05;
            out.push(Contradiction {
                subject: row.row.clone(),
                kind: "own threshold",
                text: format!(
                    "the plan expects an average of {} ms and status {:?}, but its threshold is p(95)<{}: \
                     for the average to be {} ms with 95 % of requests under {} ms, the slowest 5 % would have to average over {} ms. \
                     In practice the p(95) threshold fails.",
                    num(avg),
                    e.status.clone().unwrap_or_default(),
                    num(lim),
                    num(avg),
                    num(lim),
                    num(tail_avg)
                ),
            });
        }
    }
    // The spike's claimed peak against what its scenario reaches.
    if let Some(s) = &plan.spike
        && let (Some(claimed), Some(run)) = (s.expected.peak_users, find(runs, &s.experiment))
    {
        let peak = est(run, |m| m.peak_vus).mean;
        if (peak - claimed).abs() > 0.05 * claimed {
            out.push(Contradiction {
                subject: s.row.clone(),
                kind: "scenario",
                text: format!(
                    "the plan's results say {} peak users, but the spike scenario it runs reaches {} VUs.",
                    num(claimed),
                    num(peak)
                ),
            });
        }
    }
    // Success criteria against the table and the tests' thresholds.
    for c in &plan.criteria {
        match (c.metric.as_str(), c.below, c.at_least) {
            ("error_rate", Some(lim), _) => {
                for row in &plan.rows {
                    if let Some(er) = row.expected.error_rate
                        && er >= lim
                    {
                        out.push(Contradiction {
                            subject: c.name.clone(),
                            kind: "criterion vs table",
                            text: format!(
                                "the criterion asks for errors under {}, but the plan's own table expects {} for {} (status {:?}).",
                                pct(lim),
                                pct(er),
                                row.row,
                                row.expected.status.clone().unwrap_or_default()
                            ),
                        });
                    }
                }
            }
            ("p95_ms", Some(lim), _) => {
                let mut gates: Vec<f64> = plan
                    .rows
                    .iter()
                    .filter_map(|r| find(runs, &r.experiment))
                    .filter_map(|r| threshold_limits(&r.exp).0)
                    .collect();
                gates.sort_by(f64::total_cmp);
                gates.dedup();
                for g in gates {
                    if (g - lim).abs() > 1e-9 {
                        out.push(Contradiction {
                            subject: c.name.clone(),
                            kind: "criterion vs threshold",
                            text: format!(
                                "the criterion is p(95) under {} ms, but the plan's k6 tests gate on p(95)<{}: \
                                 a run can meet the criterion and still fail the test.",
                                num(lim),
                                num(g)
                            ),
                        });
                    }
                }
            }
            ("request_rate", _, Some(want)) => {
                for name in criterion_default_experiments(plan, c) {
                    let Some(run) = find(runs, &name) else {
                        continue;
                    };
                    let (k, z) = flow_shape(&run.exp);
                    let n = est(run, |m| m.peak_vus).mean;
                    if k > 0.0 && z > 0.0 {
                        let at_zero = closed_loop_ceiling(n, k, z, 0.0);
                        let needed = (k * n / want - z) / k * 1000.0;
                        if want > at_zero * 1.005 {
                            out.push(Contradiction {
                                subject: c.name.clone(),
                                kind: "response-time law",
                                text: format!(
                                    "{} req/s from {} VUs ({}) is impossible: the ceiling at zero response time is {} req/s.",
                                    num(want),
                                    num(n),
                                    name,
                                    num(at_zero)
                                ),
                            });
                        } else if needed < 250.0 {
                            out.push(Contradiction {
                                subject: c.name.clone(),
                                kind: "response-time law",
                                text: format!(
                                    "{} req/s from {} VUs ({}) needs an average response time of at most {} ms \
                                     (ceiling {} req/s at R = 0), while the plan's own table expects {} ms at that load.",
                                    num(want),
                                    num(n),
                                    name,
                                    num(needed),
                                    num(at_zero),
                                    plan.rows
                                        .iter()
                                        .find(|r| r.experiment == name)
                                        .and_then(|r| r.expected.response_time_ms)
                                        .map(num)
                                        .unwrap_or_else(|| "-".into())
                                ),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn findings(report: &PlanReport) -> Vec<String> {
    let mut f = Vec::new();
    for r in &report.rows {
        if let Some(x) = r.expected.request_rate
            && let Some([lo, hi]) = r.request_rate.ci95
            && (x < lo || x > hi)
        {
            f.push(format!(
                "{}: capsim predicts {} req/s [{}, {}] where the plan expects {} ({:+.0} %); average response {} ms (plan {}), p(95) {} ms; the test's thresholds hold in {} of {} replications ({}).",
                r.row,
                num(r.request_rate.mean),
                num(lo),
                num(hi),
                num(x),
                (r.request_rate.mean / x - 1.0) * 100.0,
                num(r.avg_ms.mean),
                r.expected.response_time_ms.map(num).unwrap_or_else(|| "-".into()),
                num(r.p95_ms.mean),
                r.status.passes,
                r.status.replications,
                r.status.verdict
            ));
        }
    }
    let failed: Vec<String> = report
        .criteria
        .iter()
        .filter(|c| c.probability.verdict != "PASS")
        .map(|c| format!("{} [{}]: {}", c.name, c.experiment, c.probability.verdict))
        .collect();
    if failed.is_empty() {
        f.push("Every success criterion is predicted to hold.".into());
    } else {
        f.push(format!(
            "Success criteria not shown to hold: {}.",
            failed.join("; ")
        ));
    }
    if !report.contradictions.is_empty() {
        f.push(format!(
            "The plan's expected results contradict themselves or the operational laws in {} place(s) (see Contradictions): \
             they cannot all come true, whatever the infrastructure does.",
            report.contradictions.len()
        ));
    }
    f
}

/// Builds the whole report from the runs.
pub fn build(plan: &PlanSpec, runs: &[Ran], quick: bool) -> PlanReport {
    let rows = plan
        .rows
        .iter()
        .filter_map(|row| find(runs, &row.experiment).map(|run| row_report(plan, row, run)))
        .collect();
    let spike = plan.spike.as_ref().and_then(|s| {
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
    });
    let scaling = plan.scaling.as_ref().and_then(|s| {
        let run = find(runs, &s.experiment)?;
        let scaled = super::measures::scaled_stations(&run.results);
        let w = run.exp.bucket as f64 / 1e9;
        let before = run
            .window
            .map(|[a, _]| ((a / w).round() as usize).saturating_sub(1));
        let services = scaled
            .iter()
            .map(|&i| ServiceScaling {
                service: run.exp.model.stations[i].name.clone(),
                max_replicas: estimate(
                    &run.results
                        .iter()
                        .map(|r| r.stations[i].replicas_max)
                        .collect::<Vec<_>>(),
                ),
                pre_spike_replicas: estimate(
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
    });
    let cost = cost_increase(plan, runs);
    let criteria = criteria(plan, runs, cost.as_ref().map(|c| c.1.as_slice()));
    let timings: Vec<Timing> = runs
        .iter()
        .map(|r| Timing {
            experiment: r.name.clone(),
            replications: r.exp.replications,
            simulated_s: r.exp.end_time() as f64 / 1e9,
            wall_s: r.wall_s,
        })
        .collect();
    let mut report = PlanReport {
        plan: plan.name.clone(),
        source: plan.source.clone(),
        capsim_version: env!("CARGO_PKG_VERSION"),
        level: plan.level,
        quick,
        rows,
        spike,
        scaling,
        cost: cost.map(|c| c.0),
        criteria,
        contradictions: contradictions(plan, runs),
        findings: Vec::new(),
        total_wall_s: timings.iter().map(|t| t.wall_s).sum(),
        timings,
    };
    report.findings = findings(&report);
    report
}
