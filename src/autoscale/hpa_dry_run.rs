//! `capsim hpa`: one reconcile of the HPA controller on a snapshot written by hand, to see
//! what Kubernetes would decide and why. The snapshot file's format and its reading are in
//! [`crate::spec::hpa_snapshot`]; here it is checked, turned into controller inputs and run.

use crate::autoscale::hpa::{
    ConditionType, ContainerObservation, ControllerConfig, Hpa, HpaState, MetricProposal,
    MetricSpec, Observed, PodObservation, PodPhase, Recommendation, Reconcile, ResourceSample,
    ScaleEvent, reconcile_observed, status_replicas,
};
use crate::autoscale::k8s::hpas_with_targets;
use crate::error::{FieldError, LoadError};
use crate::spec::hpa_snapshot::{PhaseSpec, ResourceSpec, SnapshotFile};
use crate::spec::k8s::Quantity;
use crate::time::{Duration, Nanos, format_duration};
use serde::Serialize;
use std::fmt::Write as _;

/// What `capsim hpa` prints (text) or writes (JSON).
#[derive(Debug, Clone, Serialize)]
pub struct DryRunReport {
    pub hpa: String,
    /// `"behavior"` or `"legacy (no behavior)"`.
    pub normalization: String,
    pub now: Duration,
    pub current_replicas: u32,
    pub desired_replicas: u32,
    pub changed: bool,
    pub metric_desired_replicas: Option<u32>,
    pub stabilized_replicas: Option<u32>,
    pub rescale_reason: Option<String>,
    pub proposals: Vec<MetricProposal>,
    pub conditions: Vec<crate::autoscale::hpa::Condition>,
    /// The controller's memory after this reconcile.
    pub state_after: HpaState,
}

fn check_time(t: Duration, now: Nanos, path: &str) -> Result<Nanos, FieldError> {
    if t.nanos() > now {
        Err(FieldError::new(
            path,
            format!(
                "{} is after now ({}); times are durations since t = 0, at or before now",
                t,
                format_duration(now)
            ),
        ))
    } else {
        Ok(t.nanos())
    }
}

fn resource(r: &Option<ResourceSpec>, bytes: bool) -> ResourceSample {
    let conv = |q: Quantity| if bytes { q.value() } else { q.milli() };
    match r {
        None => ResourceSample::default(),
        Some(r) => ResourceSample {
            request: r.request.map(conv),
            usage: r.usage.map(conv),
        },
    }
}

/// A snapshot checked and turned into controller inputs.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub hpa: Hpa,
    pub state: HpaState,
    pub now: Nanos,
    pub current_replicas: u32,
    pub pods: Vec<PodObservation>,
    pub config: ControllerConfig,
    /// `scale.Status.Replicas`.
    pub status_replicas: u32,
    /// Per effective metric: the Object or External metric's value (milli-units).
    pub metric_values: Vec<Option<i64>>,
}

/// The snapshot's `metric_values`, per effective metric of `hpa`; a name no Object or
/// External metric has is an error with the nearest name.
fn metric_values(
    hpa: &Hpa,
    spec: &crate::spec::hpa_snapshot::SnapshotSpec,
) -> Result<Vec<Option<i64>>, FieldError> {
    let metrics = hpa.effective_metrics();
    let name = |m: &MetricSpec| match m {
        MetricSpec::Object { name, .. } | MetricSpec::External { name, .. } => Some(name.clone()),
        _ => None,
    };
    let names: Vec<String> = metrics.iter().filter_map(name).collect();
    for k in spec.metric_values.keys() {
        if !names.contains(k) {
            return Err(FieldError::new(
                format!("metric_values.{k}"),
                crate::suggest::unknown_name(
                    "Object or External metric",
                    k,
                    names.iter().map(String::as_str),
                ),
            ));
        }
    }
    Ok(metrics
        .iter()
        .map(|m| name(m).and_then(|n| spec.metric_values.get(&n).map(|q| q.milli())))
        .collect())
}

/// Validates a parsed snapshot (errors name the snapshot file, or the manifest file for an
/// invalid HPA there) and turns it into controller inputs.
pub fn build_snapshot(snapshot: &SnapshotFile) -> Result<Snapshot, LoadError> {
    let spec = &snapshot.spec;
    let here = |e: FieldError| LoadError::invalid(&snapshot.path, e);
    let hpa = match (&spec.hpa_file, &spec.hpa) {
        (Some(_), Some(_)) => {
            return Err(here(FieldError::new(
                "hpa",
                "give either hpa_file or an inline hpa, not both",
            )));
        }
        (None, None) => {
            return Err(here(FieldError::new(
                "hpa_file",
                "missing: name a manifest file (hpa_file) or write the manifest inline (hpa)",
            )));
        }
        (None, Some(m)) => m.to_hpa().map_err(|e| here(e.within("hpa")))?,
        (Some(file), None) => {
            let manifest = snapshot.hpa_file.as_ref().ok_or_else(|| {
                here(FieldError::new(
                    "hpa_file",
                    format!("{file} was not read with the snapshot"),
                ))
            })?;
            let hpas: Vec<Hpa> = hpas_with_targets(&manifest.documents)
                .map_err(|e| e.in_file(&manifest.path))?
                .into_iter()
                .map(|(_, h)| h)
                .collect();
            match &spec.hpa_name {
                Some(name) => hpas.into_iter().find(|h| &h.name == name).ok_or_else(|| {
                    here(FieldError::new(
                        "hpa_name",
                        format!("no HPA named \"{name}\" in {file}"),
                    ))
                })?,
                None if hpas.len() == 1 => hpas.into_iter().next().expect("one HPA"),
                None => {
                    let names: Vec<&str> = hpas.iter().map(|h| h.name.as_str()).collect();
                    return Err(here(FieldError::new(
                        "hpa_name",
                        format!(
                            "{file} holds {} HPAs ({}); say which with hpa_name",
                            names.len(),
                            names.join(", ")
                        ),
                    )));
                }
            }
        }
    };
    let now = spec.now.nanos();
    let c = &spec.controller;
    let mut config = ControllerConfig::default();
    if let Some(t) = c.tolerance {
        if !(t.is_finite() && t >= 0.0) {
            return Err(here(FieldError::new(
                "controller.tolerance",
                "must be a number >= 0",
            )));
        }
        config.tolerance = t;
    }
    if let Some(d) = c.cpu_initialization_period {
        config.cpu_initialization_period = d.nanos();
    }
    if let Some(d) = c.initial_readiness_delay {
        config.initial_readiness_delay = d.nanos();
    }
    if let Some(d) = c.downscale_stabilization {
        config.downscale_stabilization = d.nanos();
    }
    if let Some(d) = c.metric_window {
        config.metric_window = d.nanos();
    }
    if let Some(f) = c.scale_up_limit_factor {
        if !(f.is_finite() && f >= 1.0) {
            return Err(here(FieldError::new(
                "controller.scale_up_limit_factor",
                "must be a number >= 1",
            )));
        }
        config.scale_up_limit_factor = f;
    }
    if let Some(m) = c.scale_up_limit_minimum {
        if !(m.is_finite() && m >= 0.0) {
            return Err(here(FieldError::new(
                "controller.scale_up_limit_minimum",
                "must be a number >= 0",
            )));
        }
        config.scale_up_limit_minimum = m;
    }
    if let Some(b) = c.configurable_tolerance {
        config.configurable_tolerance = b;
    }
    let mut state = HpaState::new();
    if let Some(h) = &spec.history {
        let mut recs = Vec::new();
        for (i, r) in h.recommendations.iter().enumerate() {
            recs.push(Recommendation {
                replicas: r.replicas,
                timestamp: check_time(r.at, now, &format!("history.recommendations[{i}].at"))
                    .map_err(here)?,
            });
        }
        state.recommendations = Some(recs);
        for (list, out, name) in [
            (
                &h.scale_up_events,
                &mut state.scale_up_events,
                "scale_up_events",
            ),
            (
                &h.scale_down_events,
                &mut state.scale_down_events,
                "scale_down_events",
            ),
        ] {
            for (i, e) in list.iter().enumerate() {
                out.push(ScaleEvent::new(
                    e.change,
                    check_time(e.at, now, &format!("history.{name}[{i}].at")).map_err(here)?,
                ));
            }
        }
        if let Some(t) = h.last_scale_time {
            state.last_scale_time =
                Some(check_time(t, now, "history.last_scale_time").map_err(here)?);
        }
    }
    let mut pods = Vec::new();
    for (i, p) in spec.pods.iter().enumerate() {
        let path = format!("pods[{i}]");
        let start = match p.start_time {
            Some(t) => Some(check_time(t, now, &format!("{path}.start_time")).map_err(here)?),
            None => None,
        };
        let ready_transition = match p.ready_since {
            Some(t) => check_time(t, now, &format!("{path}.ready_since")).map_err(here)?,
            None => start.unwrap_or(0),
        };
        let sample_time = match p.sampled_at {
            Some(t) => Some(check_time(t, now, &format!("{path}.sampled_at")).map_err(here)?),
            None => None,
        };
        let count = p.count.unwrap_or(1);
        if count == 0 || count > 10_000 {
            return Err(here(FieldError::new(
                format!("{path}.count"),
                "must be between 1 and 10000",
            )));
        }
        let containers: Vec<ContainerObservation> = p
            .containers
            .iter()
            .map(|c| ContainerObservation {
                name: c.name.clone(),
                cpu: resource(&c.cpu, false),
                memory: resource(&c.memory, true),
            })
            .collect();
        let sum = |pick: fn(&ContainerObservation) -> ResourceSample| {
            let all = |f: fn(ResourceSample) -> Option<i64>| -> Option<i64> {
                containers.iter().map(|c| f(pick(c))).sum()
            };
            ResourceSample {
                request: all(|s| s.request),
                usage: all(|s| s.usage),
            }
        };
        let (cpu, memory) = if containers.is_empty() {
            (resource(&p.cpu, false), resource(&p.memory, true))
        } else {
            (
                p.cpu
                    .as_ref()
                    .map(|_| resource(&p.cpu, false))
                    .unwrap_or_else(|| sum(|c| c.cpu)),
                p.memory
                    .as_ref()
                    .map(|_| resource(&p.memory, true))
                    .unwrap_or_else(|| sum(|c| c.memory)),
            )
        };
        for k in 0..count {
            pods.push(PodObservation {
                name: if count == 1 {
                    p.name.clone()
                } else {
                    format!("{}-{k}", p.name)
                },
                phase: match p.phase {
                    PhaseSpec::Pending => PodPhase::Pending,
                    PhaseSpec::Running => PodPhase::Running,
                    PhaseSpec::Succeeded => PodPhase::Succeeded,
                    PhaseSpec::Failed => PodPhase::Failed,
                },
                deleting: p.deleting,
                start_time: start,
                ready: p.ready,
                ready_transition,
                cpu,
                memory,
                custom: p
                    .metrics
                    .iter()
                    .map(|(k, v)| (k.clone(), v.milli()))
                    .collect(),
                sample_time,
                containers: containers.clone(),
            });
        }
    }
    let values = metric_values(&hpa, spec).map_err(here)?;
    Ok(Snapshot {
        hpa,
        state,
        now,
        current_replicas: spec.current_replicas,
        status_replicas: spec
            .status_replicas
            .unwrap_or_else(|| status_replicas(&pods)),
        pods,
        config,
        metric_values: values,
    })
}

/// Runs one reconcile on a parsed snapshot.
pub fn dry_run(snapshot: &SnapshotFile) -> Result<DryRunReport, LoadError> {
    let mut snap = build_snapshot(snapshot)?;
    let observed = Observed {
        spec_replicas: snap.current_replicas,
        status_replicas: snap.status_replicas,
        pods: &snap.pods,
        metric_values: &snap.metric_values,
    };
    let r = reconcile_observed(
        &snap.hpa,
        &mut snap.state,
        snap.now,
        &observed,
        &snap.config,
    );
    Ok(DryRunReport::new(&snap.hpa, snap.now, r, snap.state))
}

impl DryRunReport {
    pub fn new(hpa: &Hpa, now: Nanos, r: Reconcile, state_after: HpaState) -> Self {
        DryRunReport {
            hpa: hpa.name.clone(),
            normalization: if hpa.behavior.is_some() {
                "behavior".into()
            } else {
                "legacy (no behavior)".into()
            },
            now: Duration(now),
            current_replicas: r.current_replicas,
            desired_replicas: r.desired_replicas,
            changed: r.changed,
            metric_desired_replicas: r.metric_desired_replicas,
            stabilized_replicas: r.stabilized_replicas,
            rescale_reason: r.rescale_reason,
            proposals: r.proposals,
            conditions: r.conditions,
            state_after,
        }
    }

    /// The reason of one condition, if set.
    pub fn reason(&self, kind: ConditionType) -> Option<&str> {
        self.conditions
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.reason.as_str())
    }

    /// A human-readable report.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "HPA {} at {} ({} normalization)",
            self.hpa, self.now, self.normalization
        );
        let verb = if self.changed { "scale" } else { "keep" };
        let _ = writeln!(
            s,
            "  decision: {verb} {} -> {} replicas",
            self.current_replicas, self.desired_replicas
        );
        if let Some(r) = &self.rescale_reason {
            let _ = writeln!(s, "  reason:   {r}");
        }
        if let Some(m) = self.metric_desired_replicas {
            let _ = writeln!(s, "  metrics propose {m}");
        }
        if let Some(st) = self.stabilized_replicas {
            let _ = writeln!(s, "  after stabilization {st}");
        }
        let _ = writeln!(s, "  per metric:");
        for p in &self.proposals {
            let mut line = format!("    {:<55}", p.metric);
            match (&p.replicas, &p.error) {
                (_, Some(e)) => line.push_str(&format!(" FAILED {}: {}", e.reason, e.message)),
                (Some(r), None) => {
                    line.push_str(&format!(" -> {r} replicas"));
                    if let Some(u) = p.utilization {
                        line.push_str(&format!(", utilization {u}%"));
                    } else if let Some(v) = p.average_value {
                        line.push_str(&format!(", average {}", Quantity::from_milli(v)));
                    }
                    if let Some(ratio) = p.usage_ratio {
                        line.push_str(&format!(", ratio {ratio:.4}"));
                    }
                    if let Some(adj) = p.adjusted_usage_ratio {
                        line.push_str(&format!(" (adjusted {adj:.4})"));
                    }
                }
                (None, None) => {}
            }
            let _ = writeln!(s, "{line}");
            let _ = writeln!(
                s,
                "      pods: {} ready, {} unready, {} missing, {} ignored",
                p.ready_pods, p.unready_pods, p.missing_pods, p.ignored_pods
            );
        }
        let _ = writeln!(s, "  conditions:");
        for c in &self.conditions {
            let _ = writeln!(
                s,
                "    {:<15} {:<5} {:<24} {}",
                format!("{:?}", c.kind),
                if c.status { "True" } else { "False" },
                c.reason,
                c.message
            );
        }
        s
    }
}
