//! One evaluation of a setting for the searches of `capsim capacity` and `capsim size`:
//! replications with the experiment's seed and indices `0..n` (common random numbers, so
//! two settings differ by the setting, not by luck), each threshold judged as `check`
//! judges it, and the figures a search and its report need (throughput, p(95), cost, the
//! busiest resources).
//!
//! The decision: a setting *passes* when every threshold is shown to pass with
//! P(pass) >= level (as in `check`), or, where a threshold stays undecided, when its point
//! estimate of P(pass) (the values rule's predictive probability when the normal model
//! holds, else the fraction of passing replications) reaches the level. Replications are
//! added (doubling, up to a cap) only near the boundary: when a threshold is undecided and
//! its replications disagree or its values interval straddles the level. A setting whose
//! first two replications already fail a threshold in both is refused without more; one
//! whose first two pass every threshold far from its bound is accepted without more.

use crate::aggregate::summary::summarize;
use crate::aggregate::thresholds::{Verdict, judge, values_of};
use crate::engine::{ReplicationResult, RunError};
use crate::gate::Runner;
use crate::gate::check::{GateOptions, GateVerdict};
use crate::model::experiment::Experiment;
use crate::model::threshold::{Operator, Threshold};
use crate::stats::interval::{Domain, Estimate, estimate_in, quantile, wilson_interval};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// How a setting is evaluated.
#[derive(Debug, Clone, Copy)]
pub struct ProbeOptions {
    pub gate: GateOptions,
    /// Replications of a setting away from the boundary (at least 2).
    pub initial: u32,
    /// Most replications of a setting near the boundary.
    pub max_replications: u32,
}

/// What the cost of a setting is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostUnit {
    /// `cost.total_usd` from the model's prices.
    Usd,
    /// Replica-seconds of every service (the model sets no prices).
    ReplicaSeconds,
}

impl CostUnit {
    pub fn label(self) -> &'static str {
        match self {
            CostUnit::Usd => "USD",
            CostUnit::ReplicaSeconds => "replica-seconds",
        }
    }
}

/// One threshold at one setting.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdProbe {
    pub metric: String,
    pub threshold: String,
    pub observed: Estimate,
    /// Point estimate of P(pass).
    pub pass_probability: f64,
    /// Its interval (values rule when used, else Wilson) at the gate's confidence.
    pub pass_probability_ci: [f64; 2],
    pub verdict: GateVerdict,
    /// Slack of the metric's level-quantile to the bound, relative to the bound
    /// (>= 0: passes at the level). Used to aim the search, never to decide.
    pub margin: f64,
}

/// A resource that can queue: its utilization and the wait it adds.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub name: String,
    pub utilization: f64,
    /// Mean wait for a worker or a connection (ms).
    pub wait_ms: f64,
    /// False for job queues, whose backlog does not delay the responses.
    pub on_request_path: bool,
    /// A service an HPA or an auto scaling group resizes: its utilization is held near
    /// the autoscaler's target, so it does not tell where the load saturates it.
    pub autoscaled: bool,
}

/// One evaluated setting.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub replications: u32,
    /// The search's decision (see the module's note).
    pub passed: bool,
    /// `check`'s verdict at the same replications.
    pub verdict: GateVerdict,
    /// True when an undecided threshold was decided by its point estimate.
    pub by_estimate: bool,
    /// The smallest threshold margin.
    pub margin: f64,
    pub thresholds: Vec<ThresholdProbe>,
    /// Fraction of replications in which every threshold held, with its Wilson interval.
    pub attainment: f64,
    pub attainment_ci: [f64; 2],
    /// http_reqs per second.
    pub throughput: Estimate,
    pub p95_ms: Estimate,
    pub cost: Estimate,
    /// Services and database pools and cores, busiest first.
    pub resources: Vec<Resource>,
    /// The bottleneck analysis's sentence on the first resource to saturate, when one
    /// does (`aggregate::bottleneck`).
    pub saturated_first: Option<String>,
}

fn student_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The metric's slack at the level-quantile, relative to the bound.
fn margin(t: &Threshold, values: &[f64], level: f64, normal: bool) -> f64 {
    let below = match t.operator {
        Operator::Lt | Operator::Le => true,
        Operator::Gt | Operator::Ge => false,
        Operator::Eq | Operator::Ne => return f64::NAN,
    };
    let scale = if t.value.abs() > 0.0 {
        t.value.abs()
    } else {
        1.0
    };
    let clean: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if clean.len() < values.len() || clean.is_empty() {
        return f64::NAN;
    }
    let n = clean.len() as f64;
    let q = if normal && clean.len() >= 2 {
        let mean = clean.iter().sum::<f64>() / n;
        let s = (clean.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let k = student_quantile(level, n - 1.0) * s * (1.0 + 1.0 / n).sqrt();
        if below { mean + k } else { mean - k }
    } else if below {
        quantile(&clean, level)
    } else {
        quantile(&clean, 1.0 - level)
    };
    if below {
        (t.value - q) / scale
    } else {
        (q - t.value) / scale
    }
}

/// Judges every threshold; `(rows, passed, verdict, by_estimate, near)`.
fn judge_all(
    exp: &Experiment,
    results: &[ReplicationResult],
    gate: GateOptions,
) -> (Vec<ThresholdProbe>, bool, GateVerdict, bool, bool) {
    let mut rows = Vec::new();
    let (mut passed, mut by_estimate, mut near) = (true, false, false);
    let (mut any_fail, mut all_pass) = (false, true);
    for t in &exp.thresholds {
        let values = values_of(exp, t, results);
        let j = judge(t, &values, gate.level, gate.confidence);
        let (p, ci) = match &j.values {
            Some(v) => (v.pass_probability, v.ci),
            None => (j.pass_probability, j.pass_probability_ci95),
        };
        let verdict = match j.verdict {
            Verdict::Pass => GateVerdict::Pass,
            Verdict::Fail => GateVerdict::Fail,
            Verdict::Inconclusive => GateVerdict::Undecided,
        };
        match verdict {
            GateVerdict::Pass => {}
            GateVerdict::Fail => {
                any_fail = true;
                all_pass = false;
                passed = false;
            }
            GateVerdict::Undecided => {
                all_pass = false;
                by_estimate = true;
                passed &= p >= gate.level;
                let disagree = j.passes > 0 && j.passes < j.replications;
                let straddles = j
                    .values
                    .as_ref()
                    .is_some_and(|v| v.ci[0] < gate.level && v.ci[1] >= gate.level);
                near |= disagree || straddles;
            }
        }
        rows.push(ThresholdProbe {
            metric: j.metric.clone(),
            threshold: j.threshold.clone(),
            observed: j.observed,
            pass_probability: p,
            pass_probability_ci: ci,
            verdict,
            margin: margin(t, &values, gate.level, j.values.is_some()),
        });
    }
    let verdict = if any_fail {
        GateVerdict::Fail
    } else if all_pass {
        GateVerdict::Pass
    } else {
        GateVerdict::Undecided
    };
    (rows, passed, verdict, by_estimate && !any_fail, near)
}

/// Replica-seconds of every service in one replication.
pub fn replica_seconds(r: &ReplicationResult) -> f64 {
    let secs = r.duration as f64 / 1e9;
    r.stations.iter().map(|s| s.replicas_avg * secs).sum()
}

/// The resources of the summary, busiest first, and the bottleneck analysis's sentence
/// when a resource saturates.
fn resources(exp: &Experiment, results: &[ReplicationResult]) -> (Vec<Resource>, Option<String>) {
    let s = summarize(exp, results);
    let saturated_first = s
        .bottlenecks
        .first
        .is_some()
        .then(|| s.bottlenecks.headline.clone());
    let m = &exp.model;
    let autoscaled = |name: &str| {
        let station = m.stations.iter().position(|st| st.name == name);
        station.is_some_and(|i| {
            m.kubernetes
                .as_ref()
                .is_some_and(|k| k.hpas.iter().any(|h| h.station == i))
                || m.aws
                    .as_ref()
                    .is_some_and(|a| a.groups.iter().any(|g| g.station == i))
        })
    };
    let mut out: Vec<Resource> = s
        .services
        .iter()
        .map(|(name, v)| Resource {
            name: format!("{} ({})", name, v.kind.replace('_', " ")),
            utilization: v.utilization.mean,
            wait_ms: v.queue_wait_ms.mean,
            on_request_path: v.kind != "job_queue",
            autoscaled: autoscaled(name),
        })
        .collect();
    for (name, d) in &s.databases {
        if d.pool_size > 0 {
            out.push(Resource {
                name: format!("{name} (connection pool of {})", d.pool_size),
                utilization: d.connections_in_use.mean / d.pool_size as f64,
                wait_ms: d.pool_wait_ms.mean,
                on_request_path: true,
                autoscaled: false,
            });
        }
        out.push(Resource {
            name: format!("{name} (database cores)"),
            utilization: d.cpu_utilization.mean,
            wait_ms: 0.0,
            on_request_path: true,
            autoscaled: false,
        });
    }
    out.sort_by(|a, b| {
        b.utilization
            .total_cmp(&a.utilization)
            .then(b.wait_ms.total_cmp(&a.wait_ms))
    });
    (out, saturated_first)
}

impl Probe {
    /// The busiest resource on the request path (job queues are off it).
    pub fn busiest(&self) -> Option<&Resource> {
        self.resources.iter().find(|r| r.on_request_path)
    }

    /// The busiest resource on the request path that no autoscaler resizes: the one the
    /// bottleneck law says saturates first as the load grows.
    pub fn busiest_fixed(&self) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.on_request_path && !r.autoscaled && r.utilization.is_finite())
    }
}

/// Whether every threshold passes in every replication.
fn all_pass(exp: &Experiment, results: &[ReplicationResult]) -> bool {
    results.iter().all(|r| {
        exp.thresholds
            .iter()
            .all(|t| t.passes(crate::aggregate::observe::observe(t, r, &exp.percentiles)))
    })
}

/// The figures of a setting from its replications.
pub fn assess(
    exp: &Experiment,
    results: &[ReplicationResult],
    gate: GateOptions,
    unit: CostUnit,
) -> Probe {
    let (thresholds, passed, verdict, by_estimate, _) = judge_all(exp, results, gate);
    let n = results.len();
    let ok = results
        .iter()
        .filter(|r| all_pass(exp, std::slice::from_ref(*r)))
        .count();
    let (lo, hi) = wilson_interval(ok as u64, n as u64, gate.confidence);
    let per_s = |r: &ReplicationResult| {
        let s = r.duration as f64 / 1e9;
        if s > 0.0 {
            r.requests as f64 / s
        } else {
            f64::NAN
        }
    };
    let margin = thresholds
        .iter()
        .map(|t| t.margin)
        .filter(|m| !m.is_nan())
        .fold(f64::INFINITY, f64::min);
    let (resources, saturated_first) = resources(exp, results);
    Probe {
        replications: n as u32,
        passed,
        verdict,
        by_estimate,
        margin: if margin.is_finite() { margin } else { f64::NAN },
        thresholds,
        attainment: ok as f64 / n.max(1) as f64,
        attainment_ci: [lo, hi],
        throughput: estimate_in(
            &results.iter().map(per_s).collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        p95_ms: estimate_in(
            &results
                .iter()
                .map(|r| r.latency.map_or(f64::NAN, |t| t.p95))
                .collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        cost: estimate_in(
            &results
                .iter()
                .map(|r| match unit {
                    CostUnit::Usd => r.cost.total(),
                    CostUnit::ReplicaSeconds => replica_seconds(r),
                })
                .collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        resources,
        saturated_first,
    }
}

/// Replications added at a time once a setting needs more than its first two.
const CHUNK: u32 = 2;

/// A threshold margin (relative slack at the level-quantile) at or above this after the
/// first two replications is *far* from the boundary (see [`probe`]).
pub const FAR_MARGIN: f64 = 0.25;

/// Runs and judges one setting: two replications first. A clear failure stops there (a
/// threshold that fails in both is shown to fail), and so does a clear pass: every
/// threshold passes in both and its margin is at least [`FAR_MARGIN`] (with two
/// replications the normal model's level-quantile is `mean + t(level, 1) s sqrt(3/2)`,
/// about `mean + 3.8 s` at level 0.9, so the bound is far outside the replications'
/// spread). Otherwise up to `initial`, then doubling while near the boundary, up to the cap,
/// two at a time: a threshold shown to fail after any pair ends the setting there.
pub fn probe(
    exp: &Experiment,
    runner: &Runner,
    opts: ProbeOptions,
    unit: CostUnit,
) -> Result<Probe, RunError> {
    let initial = opts.initial.max(2);
    let cap = opts.max_replications.max(initial);
    let mut results = runner.run(exp, &[0, 1])?;
    let mut n = 2u32;
    loop {
        let (rows, _, verdict, _, near) = judge_all(exp, &results, opts.gate);
        let far = n == 2
            && verdict != GateVerdict::Fail
            && all_pass(exp, &results)
            && rows.iter().all(|t| t.margin >= FAR_MARGIN);
        let next = if verdict == GateVerdict::Fail || far {
            n
        } else if n < initial {
            initial
        } else if verdict == GateVerdict::Undecided && near && n < cap {
            (2 * n).min(cap)
        } else {
            n
        };
        if next == n {
            return Ok(assess(exp, &results, opts.gate, unit));
        }
        // Two at a time toward `next`, judged after each pair: a threshold shown to fail
        // stops the setting at once, as `check` would judge the replications so far.
        let mut stop = false;
        while n < next && !stop {
            let to = (n + CHUNK).min(next);
            let batch: Vec<u32> = (n..to).collect();
            results.extend(runner.run(exp, &batch)?);
            n = to;
            stop = n < next && judge_all(exp, &results, opts.gate).2 == GateVerdict::Fail;
        }
    }
}
