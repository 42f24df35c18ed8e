//! The bottleneck analysis across replications: a fold that takes each replication's
//! small observation as it finishes ([`BottleneckFold`]), each resource's figures with intervals,
//! the operational-law bounds beside the simulated throughput, the first resource to
//! saturate named in one sentence with its evidence, and where (and why) the simulation
//! departs from the laws.

use crate::aggregate::bottleneck::{BottleneckModel, ReplicationBottlenecks, ResourceKind};
use crate::engine::result::ReplicationResult;
use crate::model::experiment::Experiment;
use crate::stats::interval::{Domain, Estimate, estimate_in};
use crate::theory::operational;
use serde::Serialize;

/// One resource across replications.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceSummary {
    pub name: String,
    pub kind: ResourceKind,
    /// Servers: workers, connections, cores, tokens per second or VUs (time-averaged).
    pub capacity: Estimate,
    /// Time-average busy over capacity.
    pub utilization: Estimate,
    /// Share of the time at capacity (waiting rooms and rate limits: of arrivals refused).
    pub saturated: Estimate,
    /// Waiting for it as a share of the users' total response time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_share: Option<Estimate>,
    /// Work it refused: queue full, no replica, 429s, iterations dropped at maxVUs.
    pub refused: Estimate,
    /// The model's demand per request (seconds; calls for a rate limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_per_request: Option<Estimate>,
    /// Utilization law with the simulated throughput (X D / c).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_utilization: Option<Estimate>,
    /// Bottleneck law for this resource alone (c / D), requests per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_throughput_per_s: Option<Estimate>,
}

/// The closed-flow bounds (every scenario VU-based).
#[derive(Debug, Clone, Serialize)]
pub struct ClosedBounds {
    /// Time-averaged active VUs.
    pub vus: Estimate,
    /// Think time per request by the response-time law, Z = N / X - R.
    pub think_time_s: Estimate,
    /// N* = (R0 + Z) X_max.
    pub knee_vus: Estimate,
    /// min(N / (R0 + Z), X_max).
    pub throughput_bound_per_s: Estimate,
    pub above_knee: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoundsSummary {
    /// Simulated: users' requests answered per second and their mean response time.
    pub throughput_per_s: Estimate,
    pub response_ms: Estimate,
    /// Bottleneck law: min over resources of c / D.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_throughput_per_s: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_set_by: Option<String>,
    /// Response time with no waiting anywhere (the model's demands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_response_ms: Option<Estimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedBounds>,
}

/// summary.json's `bottlenecks`.
#[derive(Debug, Clone, Serialize)]
pub struct BottleneckSummary {
    /// One sentence: the first resource to saturate and the evidence.
    pub headline: String,
    /// Its name (`null` when none saturates).
    pub first: Option<String>,
    pub resources: Vec<ResourceSummary>,
    pub bounds: BoundsSummary,
    /// Where the simulation departs from the operational laws, and why.
    pub departures: Vec<String>,
}

/// A resource is saturated when it is this busy...
pub const SATURATED_UTILIZATION: f64 = 0.85;
/// ...or at capacity this share of the time...
pub const SATURATED_TIME: f64 = 0.85;
/// ...or (waiting rooms, rate limits, VU pools) refuses this share of its arrivals.
pub const SATURATED_REFUSALS: f64 = 0.01;

fn estimate_of(values: impl Iterator<Item = f64>, domain: Domain) -> Estimate {
    let v: Vec<f64> = values.collect();
    estimate_in(&v, domain)
}

fn some_estimate(values: impl Iterator<Item = f64>, domain: Domain) -> Option<Estimate> {
    let v: Vec<f64> = values.collect();
    v.iter()
        .any(|x| x.is_finite())
        .then(|| estimate_in(&v, domain))
}

/// A simulated utilization departs from the utilization law by more than this many
/// points (absolute)...
pub const DEPARTURE_POINTS: f64 = 0.02;
/// ...and this share of the law's value.
pub const DEPARTURE_SHARE: f64 = 0.1;

/// A percentage for a sentence: one decimal below 10 %, none above.
pub fn percent(x: f64) -> String {
    let p = x * 100.0;
    if !p.is_finite() {
        "n/a".to_string()
    } else if p.abs() < 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

/// Combines replications' observations as they finish; `finish` gives the summary.
#[derive(Debug, Clone)]
pub struct BottleneckFold {
    pub model: BottleneckModel,
    pub seen: Vec<ReplicationBottlenecks>,
}

impl BottleneckFold {
    pub fn new(exp: &Experiment) -> Self {
        BottleneckFold {
            model: BottleneckModel::new(exp),
            seen: Vec::new(),
        }
    }

    /// Adds one replication (any order: the summary sorts nothing and only averages).
    pub fn push(&mut self, exp: &Experiment, r: &ReplicationResult) {
        let obs = self.model.observe(exp, r);
        self.seen.push(obs);
    }

    pub fn finish(self) -> BottleneckSummary {
        summarize_bottlenecks(&self.model, &self.seen)
    }
}

/// The bottleneck analysis of a finished run.
pub fn bottlenecks(exp: &Experiment, results: &[ReplicationResult]) -> BottleneckSummary {
    let mut fold = BottleneckFold::new(exp);
    for r in results {
        fold.push(exp, r);
    }
    fold.finish()
}

fn summarize_bottlenecks(
    model: &BottleneckModel,
    seen: &[ReplicationBottlenecks],
) -> BottleneckSummary {
    let nn = Domain::NonNegative;
    let pr = Domain::Proportion;
    let col = |k: usize, f: fn(&crate::aggregate::bottleneck::ResourceObs) -> f64| {
        seen.iter().map(move |r| f(&r.resources[k]))
    };
    let resources: Vec<ResourceSummary> = model
        .resources
        .iter()
        .enumerate()
        .map(|(k, res)| ResourceSummary {
            name: res.name.clone(),
            kind: res.kind,
            capacity: estimate_of(col(k, |o| o.capacity), nn),
            utilization: estimate_of(col(k, |o| o.utilization), nn),
            saturated: estimate_of(col(k, |o| o.saturated), pr),
            response_share: some_estimate(col(k, |o| o.response_share), pr),
            refused: estimate_of(col(k, |o| o.refused as f64), nn),
            demand_per_request: some_estimate(col(k, |o| o.demand), nn),
            predicted_utilization: some_estimate(col(k, |o| o.predicted), nn),
            max_throughput_per_s: some_estimate(col(k, |o| o.max_throughput), nn),
        })
        .collect();
    let x_max_of = |r: &ReplicationBottlenecks| {
        r.resources
            .iter()
            .map(|o| o.max_throughput)
            .filter(|x| x.is_finite())
            .fold(f64::INFINITY, f64::min)
    };
    let finite_or_nan = |x: f64| if x.is_finite() { x } else { f64::NAN };
    let max_throughput = some_estimate(seen.iter().map(|r| finite_or_nan(x_max_of(r))), nn);
    let bound_set_by = resources
        .iter()
        .filter_map(|r| r.max_throughput_per_s.map(|e| (e.mean, &r.name)))
        .filter(|(x, _)| x.is_finite())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone());
    let closed = model.closed.then(|| {
        let per = |r: &ReplicationBottlenecks| {
            let z = operational::think_time(r.vus, r.throughput, r.response_s).max(0.0);
            let x_max = finite_or_nan(x_max_of(r));
            let knee = operational::knee(r.min_response_s, z, x_max);
            let bound = operational::closed_throughput_bound(r.vus, r.min_response_s, z, x_max);
            (z, knee, bound)
        };
        let vus = estimate_of(seen.iter().map(|r| r.vus), nn);
        let knee = estimate_of(seen.iter().map(|r| per(r).1), nn);
        ClosedBounds {
            above_knee: vus.mean > knee.mean,
            vus,
            think_time_s: estimate_of(seen.iter().map(|r| per(r).0), nn),
            knee_vus: knee,
            throughput_bound_per_s: estimate_of(seen.iter().map(|r| per(r).2), nn),
        }
    });
    let bounds = BoundsSummary {
        throughput_per_s: estimate_of(seen.iter().map(|r| r.throughput), nn),
        response_ms: estimate_of(seen.iter().map(|r| r.response_s * 1e3), nn),
        max_throughput_per_s: max_throughput,
        bound_set_by,
        min_response_ms: some_estimate(seen.iter().map(|r| r.min_response_s * 1e3), nn),
        closed,
    };
    let first = first_to_saturate(&resources);
    let headline = headline(&resources, first);
    let departures = departures(model, seen, &resources, &bounds);
    BottleneckSummary {
        headline,
        first: first.map(|k| resources[k].name.clone()),
        resources,
        bounds,
        departures,
    }
}

fn refusing(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::WaitingRoom | ResourceKind::RateLimit | ResourceKind::VuPool
    )
}

/// Whether the resource shows saturation: busy, at capacity, or refusing.
pub fn is_saturated(r: &ResourceSummary) -> bool {
    let u = r.utilization.mean;
    let s = r.saturated.mean;
    if refusing(r.kind) {
        s >= SATURATED_REFUSALS || u >= SATURATED_UTILIZATION
    } else {
        u >= SATURATED_UTILIZATION || s >= SATURATED_TIME
    }
}

/// The first resource to saturate: among the saturated ones, the one the model loads most
/// (largest X D / c: workers held while they wait downstream are busy without being the
/// cause); without model demands, the one at capacity longest.
pub fn first_to_saturate(resources: &[ResourceSummary]) -> Option<usize> {
    let load = |r: &ResourceSummary| r.predicted_utilization.map_or(f64::NAN, |e| e.mean);
    let saturated: Vec<usize> = (0..resources.len())
        .filter(|&k| is_saturated(&resources[k]))
        .collect();
    let share = |r: &ResourceSummary| r.response_share.map_or(0.0, |e| e.mean);
    let by_load = saturated
        .iter()
        .copied()
        .filter(|&k| load(&resources[k]).is_finite())
        .max_by(|&a, &b| {
            let (ra, rb) = (&resources[a], &resources[b]);
            load(ra)
                .total_cmp(&load(rb))
                .then(share(ra).total_cmp(&share(rb)))
                .then(b.cmp(&a))
        });
    by_load.or_else(|| {
        saturated.iter().copied().max_by(|&a, &b| {
            let (ra, rb) = (&resources[a], &resources[b]);
            let key = |r: &ResourceSummary| (r.saturated.mean, r.utilization.mean);
            key(ra)
                .0
                .total_cmp(&key(rb).0)
                .then(key(ra).1.total_cmp(&key(rb).1))
                .then(b.cmp(&a))
        })
    })
}

fn evidence(r: &ResourceSummary) -> String {
    let busy = format!("{}: {} busy", r.name, percent(r.utilization.mean));
    let at_cap = r.saturated.mean;
    let wait_word = match r.kind {
        ResourceKind::Pool => "pool wait",
        ResourceKind::Workers => "the wait for a worker",
        _ => "its wait",
    };
    match r.kind {
        ResourceKind::WaitingRoom => format!(
            "{}: {} full, {} of arrivals refused (queue full)",
            r.name,
            percent(r.utilization.mean),
            percent(at_cap)
        ),
        ResourceKind::RateLimit => {
            format!("{busy}; {} of its calls refused (429)", percent(at_cap))
        }
        ResourceKind::VuPool => format!(
            "{busy}; at maxVUs {} of the time, {:.0} iterations dropped there",
            percent(at_cap),
            r.refused.mean
        ),
        _ => match r.response_share {
            Some(share) if share.mean.is_finite() => format!(
                "{busy}, at capacity {} of the time; {wait_word} is {} of the response time",
                percent(at_cap),
                percent(share.mean)
            ),
            _ => format!("{busy}, at capacity {} of the time", percent(at_cap)),
        },
    }
}

fn headline(resources: &[ResourceSummary], first: Option<usize>) -> String {
    if let Some(k) = first {
        let r = &resources[k];
        let mut text = evidence(r);
        // Saturated cores show in the response time as the pool wait of their database.
        if r.kind == ResourceKind::PrimaryCores
            && let Some(stem) = r.name.strip_suffix(" primary cores")
            && let Some(share) = resources
                .iter()
                .find(|p| p.kind == ResourceKind::Pool && p.name == format!("{stem} pool"))
                .and_then(|p| p.response_share)
                .filter(|e| e.mean.is_finite())
        {
            text.push_str(&format!(
                "; pool wait is {} of the response time",
                percent(share.mean)
            ));
        }
        return format!("First to saturate: {text}.");
    }
    let busiest = resources
        .iter()
        .filter(|r| r.utilization.mean.is_finite())
        .max_by(|a, b| a.utilization.mean.total_cmp(&b.utilization.mean));
    match busiest {
        Some(r) => format!(
            "No resource saturates; the busiest is {} at {} busy.",
            r.name,
            percent(r.utilization.mean)
        ),
        None => "No resource here can queue or refuse.".to_string(),
    }
}

/// Where simulated figures leave the laws by more than 2 points and 10 %, with the
/// recorded reasons.
fn departures(
    model: &BottleneckModel,
    seen: &[ReplicationBottlenecks],
    resources: &[ResourceSummary],
    bounds: &BoundsSummary,
) -> Vec<String> {
    let mut out = Vec::new();
    let any = |k: usize, f: fn(&crate::aggregate::bottleneck::ResourceObs) -> bool| {
        seen.iter().any(|r| f(&r.resources[k]))
    };
    let waits_elsewhere: Vec<&str> = resources
        .iter()
        .filter(|r| r.response_share.is_some_and(|e| e.mean > 0.02))
        .map(|r| r.name.as_str())
        .collect();
    for (k, r) in resources.iter().enumerate() {
        let Some(pred) = r.predicted_utilization.map(|e| e.mean) else {
            continue;
        };
        let u = r.utilization.mean;
        if !(pred.is_finite() && u.is_finite())
            || (u - pred).abs() <= f64::max(DEPARTURE_POINTS, DEPARTURE_SHARE * pred)
        {
            continue;
        }
        let mut why: Vec<String> = Vec::new();
        let owner = model.resources[k].owner;
        if matches!(r.kind, ResourceKind::Workers | ResourceKind::JobWorkers) && u > pred {
            let others: Vec<&str> = waits_elsewhere
                .iter()
                .copied()
                .filter(|n| *n != r.name)
                .collect();
            if !others.is_empty() {
                why.push(format!(
                    "its workers are held while requests wait downstream ({}), which the demand leaves out",
                    others.join(", ")
                ));
            }
        }
        if any(k, |o| o.scaled) {
            why.push("autoscaling changed its capacity during the run".into());
        }
        if any(k, |o| o.timeouts > 0) {
            why.push("timeouts cut work short".into());
        }
        if any(k, |o| o.refused > 0) {
            why.push("refused work never used it".into());
        }
        if r.kind == ResourceKind::Pool && u > pred {
            let cores = resources.iter().find(|c| {
                c.kind == ResourceKind::PrimaryCores
                    && model
                        .resources
                        .iter()
                        .any(|m| m.name == c.name && m.owner == owner)
            });
            if cores.is_some_and(|c| c.saturated.mean > 0.05) {
                why.push(
                    "queries share the primary's cores, which stretches them beyond their demand"
                        .into(),
                );
            }
        }
        if why.is_empty() {
            why.push(
                "no recorded cause: the draws (branches, cache hits) or a changing load differ from the mean demand"
                    .into(),
            );
        }
        out.push(format!(
            "{}: {} busy simulated against {} by the utilization law (X D / c): {}.",
            r.name,
            percent(u),
            percent(pred),
            why.join("; ")
        ));
    }
    if let (Some(x_max), Some(by)) = (bounds.max_throughput_per_s, &bounds.bound_set_by) {
        let x = bounds.throughput_per_s.mean;
        if x > 1.02 * x_max.mean {
            let mut why: Vec<String> = Vec::new();
            let scaled: Vec<&str> = (0..resources.len())
                .filter(|&k| any(k, |o| o.scaled))
                .map(|k| resources[k].name.as_str())
                .collect();
            if !scaled.is_empty() {
                why.push(format!(
                    "autoscaling added capacity ({})",
                    scaled.join(", ")
                ));
            }
            for r in resources.iter().filter(|r| r.refused.mean > 0.0) {
                why.push(format!(
                    "{} refused {:.0} per replication, which fail at once instead of waiting",
                    r.name, r.refused.mean
                ));
            }
            if why.is_empty() {
                why.push("timeouts or failovers cut the demand short".into());
            }
            out.push(format!(
                "Throughput {:.1}/s is above the bottleneck bound {:.1}/s set by {by}: {}.",
                x,
                x_max.mean,
                why.join("; ")
            ));
        }
    }
    out
}
