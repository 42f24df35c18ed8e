//! The Kubernetes HorizontalPodAutoscaler controller (autoscaling/v2), decision for decision.
//!
//! This is a port of `pkg/controller/podautoscaler/horizontal.go`, `replica_calculator.go` and
//! `metrics/utilization.go` as described in `reference/semantics.md` section 1 (cited below as
//! "§1.x"). It is pure: the simulator calls [`reconcile`] once per sync period (15 s by
//! default) with what the controller would see (the target's spec replicas and one
//! [`PodObservation`] per pod the selector picks) and gets back the new spec replicas, the
//! per-metric proposals and the status conditions with Kubernetes' reasons. All controller
//! memory (the recommendation history and the scale events) lives in [`HpaState`].
//!
//! Metric sources: `Resource` and `ContainerResource` (cpu, memory) with `Utilization` or
//! `AverageValue` targets, `Pods` with `AverageValue` targets, and `Object` and `External`
//! with `Value` or `AverageValue` targets, whose values the caller reads from wherever
//! its metrics adapter would ([`Observed::metric_values`]). A type the controller does not
//! recognise fails at each reconcile with `InvalidMetricSourceType`.
//!
//! Units: every metric value is an integer in milli-units, as the controller computes them
//! (`Quantity.MilliValue()`): millicores for cpu, milli-bytes for memory (bytes × 1000),
//! milli-units for custom metrics (a rate of 95.3/s is 95300).
//!
//! Files, along the controller's seams: `spec` (the HPA after defaulting, its validation),
//! `config` (controller flags, tolerances), `observation` (what the controller sees of
//! pods), `replica_calculator` (`replica_calculator.go`), `value_metrics` (its Object and
//! External part), `state` (the controller's
//! memory), `normalize` (legacy and behavior paths), `conditions` (status conditions and
//! their messages); [`reconcile`], here, ties them together as `reconcileAutoscaler` does.

mod conditions;
mod config;
mod normalize;
mod observation;
mod replica_calculator;
mod spec;
mod state;
mod value_metrics;

pub use conditions::{Condition, ConditionType};
pub use config::{ControllerConfig, Tolerances};
pub use normalize::{
    convert_with_behavior_rate, convert_with_rules, replicas_change_per_period, scale_down_limit,
    scale_up_limit, stabilize_legacy, stabilize_with_behavior, store_scale_event,
};
pub use observation::{ContainerObservation, PodObservation, PodPhase, ResourceSample};
pub use replica_calculator::{
    MetricContext, MetricError, MetricProposal, PodClass, classify_pod, compute_proposal,
    compute_proposal_in, status_replicas,
};
pub use spec::{
    Behavior, DEFAULT_CPU_UTILIZATION, Hpa, MAX_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS,
    MetricSpec, PolicyType, ResourceName, ResourceTarget, ScalingPolicy, ScalingRules,
    SelectPolicy, ValueTarget,
};
pub use state::{HpaState, Recommendation, ScaleEvent};

use crate::autoscale::hpa::conditions::{Conditions, limit_message};
use crate::autoscale::hpa::normalize::secs;
use crate::time::Nanos;
use serde::Serialize;

/// The outcome of one reconcile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconcile {
    /// `scale.Spec.Replicas` as observed.
    pub current_replicas: u32,
    /// The new spec replicas (equal to current when nothing changes).
    pub desired_replicas: u32,
    /// The controller updated the scale (`rescale`).
    pub changed: bool,
    /// Maximum over valid metric proposals, before stabilization and limits.
    pub metric_desired_replicas: Option<u32>,
    /// After the stabilization window, before rate limits and min/max.
    pub stabilized_replicas: Option<u32>,
    pub proposals: Vec<MetricProposal>,
    /// In first-set order: `AbleToScale`, then `ScalingActive`, then `ScalingLimited`.
    pub conditions: Vec<Condition>,
    /// The controller's reason text for a rescale ("cpu resource utilization ... above target").
    pub rescale_reason: Option<String>,
}

impl Reconcile {
    pub fn condition(&self, kind: ConditionType) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
    /// The reason of a condition, if set.
    pub fn reason(&self, kind: ConditionType) -> Option<&str> {
        self.condition(kind).map(|c| c.reason.as_str())
    }
}

/// Everything one reconcile reads besides the controller's memory.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// `scale.Spec.Replicas`.
    pub spec_replicas: u32,
    /// `scale.Status.Replicas` (the `AverageValue` divisor of Object and External metrics).
    pub status_replicas: u32,
    /// The pods the target's selector matches.
    pub pods: &'a [PodObservation],
    /// Per entry of [`Hpa::effective_metrics`]: the value the custom or external metrics
    /// API serves for an `Object` or `External` metric (External: the sum of the samples
    /// its selector matches), in milli-units; `None` (or a short slice) fails that metric
    /// with `FailedGetObjectMetric` / `FailedGetExternalMetric`. Other metrics ignore it.
    pub metric_values: &'a [Option<i64>],
}

/// One reconcile of one HPA at time `now`, with the target's spec replicas and the pods its
/// selector matches (status replicas counted from the pods, no Object or External values).
/// Updates `state` (recommendations, scale events, last scale time).
pub fn reconcile(
    hpa: &Hpa,
    state: &mut HpaState,
    now: Nanos,
    current_replicas: u32,
    pods: &[PodObservation],
    config: &ControllerConfig,
) -> Reconcile {
    let observed = Observed {
        spec_replicas: current_replicas,
        status_replicas: status_replicas(pods),
        pods,
        metric_values: &[],
    };
    reconcile_observed(hpa, state, now, &observed, config)
}

/// [`reconcile`] with everything the controller reads spelled out ([`Observed`]).
pub fn reconcile_observed(
    hpa: &Hpa,
    state: &mut HpaState,
    now: Nanos,
    observed: &Observed<'_>,
    config: &ControllerConfig,
) -> Reconcile {
    let current_replicas = observed.spec_replicas;
    let mut conds = Conditions::default();
    conds.set(
        ConditionType::AbleToScale,
        true,
        "SucceededGetScale",
        "the HPA controller was able to get the target's current scale",
    );
    // §1.2 step 2: the first reconcile stores the current size as a recommendation.
    if state.recommendations.is_none() {
        state.recommendations = Some(vec![Recommendation {
            replicas: current_replicas,
            timestamp: now,
        }]);
    }
    let min = hpa.min_replicas;
    let max = hpa.max_replicas;
    let mut out = Reconcile {
        current_replicas,
        desired_replicas: current_replicas,
        changed: false,
        metric_desired_replicas: None,
        stabilized_replicas: None,
        proposals: Vec::new(),
        conditions: Vec::new(),
        rescale_reason: None,
    };
    let desired;
    let rescale;
    if current_replicas == 0 && min != 0 {
        desired = 0;
        rescale = false;
        conds.set(
            ConditionType::ScalingActive,
            false,
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        );
    } else if current_replicas > max {
        // §1.11.7: clamp without metrics, stabilization or rate limits.
        out.rescale_reason = Some("Current number of replicas above Spec.MaxReplicas".into());
        desired = max;
        rescale = desired != current_replicas;
    } else if current_replicas < min {
        out.rescale_reason = Some("Current number of replicas below Spec.MinReplicas".into());
        desired = min;
        rescale = desired != current_replicas;
    } else {
        // §1.7: maximum over valid proposals; no scale-down while any metric is invalid.
        let tol = Tolerances::for_hpa(hpa, config);
        let metrics = hpa.effective_metrics();
        let mut replicas: u32 = 0;
        let mut metric_name = String::new();
        let mut invalid = 0usize;
        let mut first_error: Option<MetricError> = None;
        let ctx = MetricContext {
            spec_replicas: current_replicas,
            status_replicas: observed.status_replicas,
            pods: observed.pods,
            now,
            config,
            tolerances: tol,
        };
        for (i, m) in metrics.iter().enumerate() {
            let value = observed.metric_values.get(i).copied().flatten();
            let p = compute_proposal_in(m, &ctx, value);
            match (p.replicas, &p.error) {
                (Some(r), None) => {
                    if replicas == 0 || r > replicas {
                        replicas = r;
                        metric_name = p.metric.clone();
                    }
                }
                _ => {
                    if first_error.is_none() {
                        first_error = p.error.clone();
                    }
                    invalid += 1;
                }
            }
            out.proposals.push(p);
        }
        if invalid >= metrics.len() || (invalid > 0 && replicas < current_replicas) {
            let e = first_error.unwrap_or(MetricError {
                reason: "FailedGetResourceMetric".into(),
                message: "no metrics".into(),
            });
            conds.set(
                ConditionType::ScalingActive,
                false,
                &e.reason,
                format!(
                    "the HPA was unable to compute the replica count: {}",
                    e.message
                ),
            );
            out.conditions = conds.0;
            return out;
        }
        conds.set(
            ConditionType::ScalingActive,
            true,
            "ValidMetricFound",
            format!(
                "the HPA was able to successfully calculate a replica count from {metric_name}"
            ),
        );
        out.metric_desired_replicas = Some(replicas);
        if replicas > current_replicas {
            out.rescale_reason = Some(format!("{metric_name} above target"));
        } else if replicas < current_replicas {
            out.rescale_reason = Some("All metrics below target".into());
        }
        let recs = state.recommendations.get_or_insert_with(Vec::new);
        let (stabilized, stab_reason, (normalized, limit_reason)) = match &hpa.behavior {
            None => {
                let s = stabilize_legacy(recs, replicas, now, config.downscale_stabilization);
                (
                    s,
                    "ScaleDownStabilized",
                    convert_with_rules(current_replicas, s, min, max, config),
                )
            }
            Some(b) => {
                let up_w = secs(b.scale_up.stabilization_window_seconds.unwrap_or(0));
                let down_w = b
                    .scale_down
                    .stabilization_window_seconds
                    .map(secs)
                    .unwrap_or(config.downscale_stabilization);
                let (s, reason) =
                    stabilize_with_behavior(recs, current_replicas, replicas, up_w, down_w, now);
                (
                    s,
                    reason,
                    convert_with_behavior_rate(current_replicas, s, min, max, b, state, now),
                )
            }
        };
        out.stabilized_replicas = Some(stabilized);
        if stabilized != replicas {
            let msg = if stab_reason == "ScaleUpStabilized" {
                "recent recommendations were lower than current one, applying the lowest recent recommendation"
            } else {
                "recent recommendations were higher than current one, applying the highest recent recommendation"
            };
            conds.set(ConditionType::AbleToScale, true, stab_reason, msg);
        } else {
            conds.set(
                ConditionType::AbleToScale,
                true,
                "ReadyForNewScale",
                "recommended size matches current size",
            );
        }
        conds.set(
            ConditionType::ScalingLimited,
            normalized != stabilized,
            limit_reason,
            limit_message(limit_reason),
        );
        desired = normalized;
        rescale = desired != current_replicas;
    }
    if rescale {
        conds.set(
            ConditionType::AbleToScale,
            true,
            "SucceededRescale",
            format!("the HPA controller was able to update the target scale to {desired}"),
        );
        store_scale_event(hpa.behavior.as_ref(), state, current_replicas, desired, now);
        state.last_scale_time = Some(now);
        out.desired_replicas = desired;
        out.changed = true;
    } else {
        out.desired_replicas = current_replicas;
    }
    out.conditions = conds.0;
    out
}
