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
//! Supported metric sources: `Resource` (cpu, memory) with `Utilization` or `AverageValue`
//! targets, and `Pods` with `AverageValue` targets. `Object`, `External` and
//! `ContainerResource` sources are not simulated.
//!
//! Units: every metric value is an integer in milli-units, as the controller computes them
//! (`Quantity.MilliValue()`): millicores for cpu, milli-bytes for memory (bytes × 1000),
//! milli-units for custom metrics (a rate of 95.3/s is 95300).

use crate::error::FieldError;
use crate::time::{NANOS_PER_SEC, Nanos};
use serde::Serialize;
use std::collections::BTreeMap;

/// `autoscaling.DefaultCPUUtilization`: the metric used when an HPA lists none (§1.1).
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;
/// Validation limit on `periodSeconds` (§1.1).
pub const MAX_PERIOD_SECONDS: u32 = 1800;
/// Validation limit on `stabilizationWindowSeconds` (§1.1).
pub const MAX_STABILIZATION_WINDOW_SECONDS: u32 = 3600;

// ---------------------------------------------------------------------------------------
// Spec
// ---------------------------------------------------------------------------------------

/// A resource a `Resource` metric can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceName {
    Cpu,
    Memory,
}

impl ResourceName {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
        }
    }
}

/// The target of a `Resource` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceTarget {
    /// `averageUtilization`: percent of the pods' requests.
    Utilization(i32),
    /// `averageValue` in milli-units (millicores, or milli-bytes for memory).
    AverageValue(i64),
}

/// One entry of `spec.metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum MetricSpec {
    Resource {
        resource: ResourceName,
        target: ResourceTarget,
    },
    /// A per-pod custom metric (`http_requests_per_second`) with an `AverageValue` target
    /// in milli-units.
    Pods { name: String, average_value: i64 },
}

impl MetricSpec {
    /// The default metric: cpu at 80 % utilization (§1.1).
    pub fn default_cpu() -> MetricSpec {
        MetricSpec::Resource {
            resource: ResourceName::Cpu,
            target: ResourceTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        }
    }

    /// The controller's own name for the metric, as used in its events and messages.
    pub fn describe(&self) -> String {
        match self {
            MetricSpec::Resource {
                resource,
                target: ResourceTarget::Utilization(_),
            } => format!(
                "{} resource utilization (percentage of request)",
                resource.as_str()
            ),
            MetricSpec::Resource { resource, .. } => format!("{} resource", resource.as_str()),
            MetricSpec::Pods { name, .. } => format!("pods metric {name}"),
        }
    }

    /// The `ScalingActive` reason when this metric cannot be computed.
    fn failure_reason(&self) -> &'static str {
        match self {
            MetricSpec::Resource { .. } => "FailedGetResourceMetric",
            MetricSpec::Pods { .. } => "FailedGetPodsMetric",
        }
    }
}

/// `Pods` or `Percent` scaling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PolicyType {
    Pods,
    Percent,
}

/// One `behavior.scaleUp/scaleDown.policies[]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScalingPolicy {
    #[serde(rename = "type")]
    pub kind: PolicyType,
    pub value: u32,
    pub period_seconds: u32,
}

impl ScalingPolicy {
    pub fn pods(value: u32, period_seconds: u32) -> Self {
        ScalingPolicy {
            kind: PolicyType::Pods,
            value,
            period_seconds,
        }
    }
    pub fn percent(value: u32, period_seconds: u32) -> Self {
        ScalingPolicy {
            kind: PolicyType::Percent,
            value,
            period_seconds,
        }
    }
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (default).
    #[default]
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// The rules of one direction, after API defaulting (§1.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingRules {
    /// `None` only for scale-down when the user left it out: the controller then uses its
    /// `--horizontal-pod-autoscaler-downscale-stabilization` flag
    /// (`maybeInitScaleDownStabilizationWindow`, §1.1).
    pub stabilization_window_seconds: Option<u32>,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
    /// Per-direction tolerance (`HPAConfigurableTolerance`, §1.6); `None`: the cluster flag.
    pub tolerance: Option<f64>,
}

impl ScalingRules {
    /// `defaultHPAScaleUpRules`: window 0, Max of {4 pods, 100 %} per 15 s.
    pub fn default_scale_up() -> Self {
        ScalingRules {
            stabilization_window_seconds: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy::pods(4, 15), ScalingPolicy::percent(100, 15)],
            tolerance: None,
        }
    }
    /// `defaultHPAScaleDownRules`: window from the controller flag, 100 % per 15 s.
    pub fn default_scale_down() -> Self {
        ScalingRules {
            stabilization_window_seconds: None,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy::percent(100, 15)],
            tolerance: None,
        }
    }

    fn longest_period(&self) -> u32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
    }
}

/// `spec.behavior`, both directions filled in from the defaults field by field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior {
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules::default_scale_down(),
        }
    }
}

/// A validated HorizontalPodAutoscaler spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hpa {
    pub name: String,
    /// `minReplicas` (API default 1).
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// `spec.metrics`; empty means the default cpu 80 % metric.
    pub metrics: Vec<MetricSpec>,
    /// `None`: the legacy path (§1.8), which is *not* the documented default behavior
    /// (§1.9.5). `Some`: the behavior path (§1.9), already defaulted.
    pub behavior: Option<Behavior>,
}

impl Hpa {
    /// An HPA with no behavior (legacy normalization).
    pub fn new(
        name: impl Into<String>,
        min_replicas: u32,
        max_replicas: u32,
        metrics: Vec<MetricSpec>,
    ) -> Hpa {
        Hpa {
            name: name.into(),
            min_replicas,
            max_replicas,
            metrics,
            behavior: None,
        }
    }

    /// Sets `behavior`.
    pub fn with_behavior(mut self, behavior: Behavior) -> Hpa {
        self.behavior = Some(behavior);
        self
    }

    /// The metrics the controller evaluates (the default cpu metric when none are listed).
    pub fn effective_metrics(&self) -> Vec<MetricSpec> {
        if self.metrics.is_empty() {
            vec![MetricSpec::default_cpu()]
        } else {
            self.metrics.clone()
        }
    }

    /// The API server's validation rules (`validation.go`), for HPAs built in code.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.max_replicas < 1 {
            return Err(FieldError::new("maxReplicas", "must be at least 1"));
        }
        if self.min_replicas > self.max_replicas {
            return Err(FieldError::new(
                "maxReplicas",
                format!(
                    "must be greater than or equal to minReplicas ({})",
                    self.min_replicas
                ),
            ));
        }
        for (i, m) in self.metrics.iter().enumerate() {
            let path = format!("metrics[{i}]");
            match m {
                MetricSpec::Resource {
                    target: ResourceTarget::Utilization(u),
                    ..
                } if *u <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.resource.target.averageUtilization"),
                        "must be greater than 0",
                    ));
                }
                MetricSpec::Resource {
                    target: ResourceTarget::AverageValue(v),
                    ..
                } if *v <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.resource.target.averageValue"),
                        "must be positive",
                    ));
                }
                MetricSpec::Pods { average_value, .. } if *average_value <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.pods.target.averageValue"),
                        "must be positive",
                    ));
                }
                _ => {}
            }
        }
        if let Some(b) = &self.behavior {
            validate_rules(&b.scale_up, "behavior.scaleUp")?;
            validate_rules(&b.scale_down, "behavior.scaleDown")?;
        }
        Ok(())
    }
}

fn validate_rules(rules: &ScalingRules, path: &str) -> Result<(), FieldError> {
    if let Some(w) = rules.stabilization_window_seconds
        && w > MAX_STABILIZATION_WINDOW_SECONDS
    {
        return Err(FieldError::new(
            format!("{path}.stabilizationWindowSeconds"),
            format!("must be between 0 and {MAX_STABILIZATION_WINDOW_SECONDS}"),
        ));
    }
    if rules.policies.is_empty() {
        return Err(FieldError::new(
            format!("{path}.policies"),
            "must specify at least one Policy",
        ));
    }
    for (i, p) in rules.policies.iter().enumerate() {
        if p.value == 0 {
            return Err(FieldError::new(
                format!("{path}.policies[{i}].value"),
                "must be greater than zero",
            ));
        }
        if p.period_seconds == 0 || p.period_seconds > MAX_PERIOD_SECONDS {
            return Err(FieldError::new(
                format!("{path}.policies[{i}].periodSeconds"),
                format!("must be greater than zero and less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    if let Some(t) = rules.tolerance
        && !(t >= 0.0 && t.is_finite())
    {
        return Err(FieldError::new(
            format!("{path}.tolerance"),
            "must be greater than or equal to 0",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Controller flags
// ---------------------------------------------------------------------------------------

/// kube-controller-manager flags and hard-coded constants (§1.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControllerConfig {
    /// `--horizontal-pod-autoscaler-sync-period` (15 s). The simulator calls [`reconcile`]
    /// this often; [`reconcile`] itself does not use it.
    pub sync_period: Nanos,
    /// `--horizontal-pod-autoscaler-tolerance` (0.1), both directions.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (5 m).
    pub cpu_initialization_period: Nanos,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay: Nanos,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (5 m).
    pub downscale_stabilization: Nanos,
    /// The resource-metrics window (`PodMetrics.Window`) used by the CPU readiness check of
    /// pods inside their initialization period (§1.4). metrics-server reports tens of
    /// seconds; 30 s is a tunable default, the controller tests use 1 m.
    pub metric_window: Nanos,
    /// `scaleUpLimitFactor` (2.0; the Kubernetes tests set 8) for the legacy path.
    pub scale_up_limit_factor: f64,
    /// `scaleUpLimitMinimum` (4.0) for the legacy path.
    pub scale_up_limit_minimum: f64,
    /// Honour `behavior.*.tolerance` (the `HPAConfigurableTolerance` gate, §1.6).
    pub configurable_tolerance: bool,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            sync_period: 15 * NANOS_PER_SEC,
            tolerance: 0.1,
            cpu_initialization_period: 300 * NANOS_PER_SEC,
            initial_readiness_delay: 30 * NANOS_PER_SEC,
            downscale_stabilization: 300 * NANOS_PER_SEC,
            metric_window: 30 * NANOS_PER_SEC,
            scale_up_limit_factor: 2.0,
            scale_up_limit_minimum: 4.0,
            configurable_tolerance: true,
        }
    }
}

/// Scale-down and scale-up tolerances (`Tolerances`, §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    pub fn both(t: f64) -> Self {
        Tolerances {
            scale_down: t,
            scale_up: t,
        }
    }
    /// Inclusive bounds: a ratio of exactly 0.9 or 1.1 is within a 0.1 tolerance (§1.6).
    pub fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
    /// The tolerances an HPA gets under `config`.
    pub fn for_hpa(hpa: &Hpa, config: &ControllerConfig) -> Self {
        let mut t = Tolerances::both(config.tolerance);
        if config.configurable_tolerance
            && let Some(b) = &hpa.behavior
        {
            if let Some(up) = b.scale_up.tolerance {
                t.scale_up = up;
            }
            if let Some(down) = b.scale_down.tolerance {
                t.scale_down = down;
            }
        }
        t
    }
}

// ---------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------

/// `pod.Status.Phase` (Succeeded pods behave like Running ones in `groupPods`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum PodPhase {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
}

/// Request and latest usage sample of one resource of one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ResourceSample {
    /// Sum of the containers' requests; `None` when a container has none (the metric then
    /// fails with "missing request for ...").
    pub request: Option<i64>,
    /// `None`: metrics-server returned no sample for this pod ("missing" pod, §1.5).
    pub usage: Option<i64>,
}

impl ResourceSample {
    pub fn new(request: i64, usage: Option<i64>) -> Self {
        ResourceSample {
            request: Some(request),
            usage,
        }
    }
}

/// What the controller sees of one pod matched by the target's selector.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PodObservation {
    pub name: String,
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp` is set (terminating).
    pub deleting: bool,
    /// `status.startTime`; `None` (not started) makes the pod unready for cpu.
    pub start_time: Option<Nanos>,
    /// Status of the `Ready` condition.
    pub ready: bool,
    /// `lastTransitionTime` of the `Ready` condition. A pod that has never been ready has
    /// `ready == false` and a transition at (or near) its start time.
    pub ready_transition: Nanos,
    /// cpu in millicores.
    pub cpu: ResourceSample,
    /// memory in bytes.
    pub memory: ResourceSample,
    /// Custom per-pod metrics (`Pods` sources) in milli-units; absent = missing sample.
    pub custom: BTreeMap<String, i64>,
    /// Timestamp of the metric samples; `None` means `now`.
    pub sample_time: Option<Nanos>,
}

impl PodObservation {
    /// A running, ready pod started at `start` (ready since then) with the given cpu sample.
    pub fn running(name: impl Into<String>, start: Nanos, cpu: ResourceSample) -> Self {
        PodObservation {
            name: name.into(),
            phase: PodPhase::Running,
            start_time: Some(start),
            ready: true,
            ready_transition: start,
            cpu,
            ..Default::default()
        }
    }

    /// Milli-unit samples of `resource`: (request, usage).
    fn resource_milli(&self, resource: ResourceName) -> (Option<i64>, Option<i64>) {
        match resource {
            ResourceName::Cpu => (self.cpu.request, self.cpu.usage),
            ResourceName::Memory => (
                self.memory.request.map(|b| b.saturating_mul(1000)),
                self.memory.usage.map(|b| b.saturating_mul(1000)),
            ),
        }
    }
}

/// How `groupPods` files a pod for one metric (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PodClass {
    Ready,
    /// Pending, or (cpu only) unready / too fresh: metric dropped, 0 on a scale-up.
    Unready,
    /// No sample: filled at 0 (scale-up) or at the target (scale-down).
    Missing,
    /// Deleting or Failed: dropped completely.
    Ignored,
}

/// `groupPods` for one pod (§1.4). `cpu_gating` is true only for cpu resource metrics.
pub fn classify_pod(
    pod: &PodObservation,
    has_metric: bool,
    cpu_gating: bool,
    now: Nanos,
    config: &ControllerConfig,
) -> PodClass {
    if pod.deleting || pod.phase == PodPhase::Failed {
        return PodClass::Ignored;
    }
    if pod.phase == PodPhase::Pending {
        return PodClass::Unready;
    }
    if !has_metric {
        return PodClass::Missing;
    }
    if cpu_gating {
        let unready = match pod.start_time {
            None => true,
            Some(start) => {
                if start.saturating_add(config.cpu_initialization_period) > now {
                    // Inside the initialization period: count only if Ready and the sample's
                    // whole window was collected after the last transition (§1.4).
                    let sample = pod.sample_time.unwrap_or(now);
                    !pod.ready || sample < pod.ready_transition.saturating_add(config.metric_window)
                } else {
                    // Afterwards: drop only pods that are unready and have never been ready.
                    !pod.ready
                        && start.saturating_add(config.initial_readiness_delay)
                            > pod.ready_transition
                }
            }
        };
        if unready {
            return PodClass::Unready;
        }
    }
    PodClass::Ready
}

// ---------------------------------------------------------------------------------------
// Controller memory
// ---------------------------------------------------------------------------------------

/// One stored recommendation (`timestampedRecommendation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub replicas: u32,
    pub timestamp: Nanos,
}

/// One stored scale event (`timestampedScaleEvent`); `change` is the absolute change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScaleEvent {
    pub change: u32,
    pub timestamp: Nanos,
    pub outdated: bool,
}

impl ScaleEvent {
    pub fn new(change: u32, timestamp: Nanos) -> Self {
        ScaleEvent {
            change,
            timestamp,
            outdated: false,
        }
    }
}

/// What the controller remembers about one HPA between reconciles.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HpaState {
    /// `None` until the first reconcile, which stores `{currentReplicas, now}`: a freshly
    /// created HPA, or a restarted controller, cannot scale down for one stabilization
    /// window (§1.2 step 2). `Some(vec![])` is a controller that has run but kept nothing.
    pub recommendations: Option<Vec<Recommendation>>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
    /// `status.lastScaleTime`.
    pub last_scale_time: Option<Nanos>,
}

impl HpaState {
    /// A controller that has just started (or an HPA just created).
    pub fn new() -> Self {
        HpaState::default()
    }
    /// A controller with this recommendation history and no scale events.
    pub fn with_recommendations(recommendations: Vec<Recommendation>) -> Self {
        HpaState {
            recommendations: Some(recommendations),
            ..Default::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

/// `AbleToScale`, `ScalingActive`, `ScalingLimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConditionType {
    AbleToScale,
    ScalingActive,
    ScalingLimited,
}

/// One status condition; setting a type again replaces it (`setCondition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: ConditionType,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Default)]
struct Conditions(Vec<Condition>);

impl Conditions {
    fn set(&mut self, kind: ConditionType, status: bool, reason: &str, message: impl Into<String>) {
        let c = Condition {
            kind,
            status,
            reason: reason.to_string(),
            message: message.into(),
        };
        match self.0.iter_mut().find(|x| x.kind == kind) {
            Some(slot) => *slot = c,
            None => self.0.push(c),
        }
    }
}

/// Why a metric could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricError {
    /// `FailedGetResourceMetric` or `FailedGetPodsMetric`.
    pub reason: String,
    pub message: String,
}

/// One metric's replica proposal (`computeReplicasForMetric`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricProposal {
    pub metric: String,
    /// `None` when the metric failed.
    pub replicas: Option<u32>,
    /// Current average utilization in percent (Utilization targets), unadjusted (§1.2 step 6).
    pub utilization: Option<i32>,
    /// Current average value in milli-units over pods with samples, unadjusted.
    pub average_value: Option<i64>,
    /// Usage ratio before the missing/unready adjustment.
    pub usage_ratio: Option<f64>,
    /// Usage ratio after filling missing and unready pods, when that path ran.
    pub adjusted_usage_ratio: Option<f64>,
    pub ready_pods: u32,
    pub unready_pods: u32,
    pub missing_pods: u32,
    pub ignored_pods: u32,
    pub error: Option<MetricError>,
}

impl MetricProposal {
    fn failed(metric: &MetricSpec, message: impl Into<String>) -> Self {
        MetricProposal {
            metric: metric.describe(),
            replicas: None,
            utilization: None,
            average_value: None,
            usage_ratio: None,
            adjusted_usage_ratio: None,
            ready_pods: 0,
            unready_pods: 0,
            missing_pods: 0,
            ignored_pods: 0,
            error: Some(MetricError {
                reason: metric.failure_reason().to_string(),
                message: message.into(),
            }),
        }
    }
}

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

// ---------------------------------------------------------------------------------------
// Replica calculator (§1.3–1.6)
// ---------------------------------------------------------------------------------------

fn ceil_to_u32(x: f64) -> u32 {
    let c = x.ceil();
    if c.is_nan() || c <= 0.0 {
        0
    } else if c >= i32::MAX as f64 {
        i32::MAX as u32
    } else {
        c as u32
    }
}

/// `GetResourceUtilizationRatio` (§1.3.1): (ratio, truncated utilization %, raw average).
fn utilization_ratio(
    entries: &[(i64, i64)], // (usage, request)
    target: i32,
) -> Result<(f64, i32, i64), String> {
    let mut metrics_total: i128 = 0;
    let mut requests_total: i128 = 0;
    for &(usage, request) in entries {
        metrics_total += usage as i128;
        requests_total += request as i128;
    }
    if requests_total == 0 || entries.is_empty() {
        return Err("no metrics returned matched known pods".into());
    }
    // Integer division: the percentage is truncated before dividing by the target.
    let utilization =
        ((metrics_total * 100) / requests_total).clamp(i32::MIN as i128, i32::MAX as i128) as i32;
    let raw = (metrics_total / entries.len() as i128) as i64;
    Ok((utilization as f64 / target as f64, utilization, raw))
}

/// `GetMetricUsageRatio`: integer average in milli-units over the target.
fn usage_ratio(values: &[i64], target: i64) -> (f64, i64) {
    let total: i128 = values.iter().map(|&v| v as i128).sum();
    let avg = (total / values.len().max(1) as i128) as i64;
    (avg as f64 / target as f64, avg)
}

struct Grouped {
    ready: usize,
    classes: Vec<PodClass>,
}

fn group(
    pods: &[PodObservation],
    values: &[Option<i64>],
    cpu_gating: bool,
    now: Nanos,
    config: &ControllerConfig,
) -> Grouped {
    let classes: Vec<PodClass> = pods
        .iter()
        .zip(values)
        .map(|(p, v)| classify_pod(p, v.is_some(), cpu_gating, now, config))
        .collect();
    Grouped {
        ready: classes.iter().filter(|c| **c == PodClass::Ready).count(),
        classes,
    }
}

fn counts(p: &mut MetricProposal, classes: &[PodClass]) {
    let n = |k: PodClass| classes.iter().filter(|c| **c == k).count() as u32;
    p.ready_pods = n(PodClass::Ready);
    p.unready_pods = n(PodClass::Unready);
    p.missing_pods = n(PodClass::Missing);
    p.ignored_pods = n(PodClass::Ignored);
}

/// One metric's proposal against `current_replicas` (spec replicas), as the replica
/// calculator computes it. Public so that `replica_calculator_test.go` cases can be checked
/// on their own.
pub fn compute_proposal(
    metric: &MetricSpec,
    current_replicas: u32,
    pods: &[PodObservation],
    now: Nanos,
    config: &ControllerConfig,
    tolerances: Tolerances,
) -> MetricProposal {
    match metric {
        MetricSpec::Resource {
            resource,
            target: ResourceTarget::Utilization(target),
        } => resource_replicas(
            metric,
            *resource,
            *target,
            current_replicas,
            pods,
            now,
            config,
            tolerances,
        ),
        MetricSpec::Resource {
            resource,
            target: ResourceTarget::AverageValue(target),
        } => {
            let values: Vec<Option<i64>> =
                pods.iter().map(|p| p.resource_milli(*resource).1).collect();
            if values.iter().all(Option::is_none) {
                return MetricProposal::failed(
                    metric,
                    format!(
                        "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                        resource.as_str()
                    ),
                );
            }
            plain_replicas(
                metric,
                &values,
                *resource == ResourceName::Cpu,
                *target,
                current_replicas,
                pods,
                now,
                config,
                tolerances,
            )
        }
        MetricSpec::Pods {
            name,
            average_value,
        } => {
            let values: Vec<Option<i64>> =
                pods.iter().map(|p| p.custom.get(name).copied()).collect();
            if values.iter().all(Option::is_none) {
                return MetricProposal::failed(
                    metric,
                    format!(
                        "unable to get metric {name}: no metrics returned from custom metrics API"
                    ),
                );
            }
            plain_replicas(
                metric,
                &values,
                false,
                *average_value,
                current_replicas,
                pods,
                now,
                config,
                tolerances,
            )
        }
    }
}

/// `GetResourceReplicas` (§1.5).
#[allow(clippy::too_many_arguments)]
fn resource_replicas(
    metric: &MetricSpec,
    resource: ResourceName,
    target: i32,
    current: u32,
    pods: &[PodObservation],
    now: Nanos,
    config: &ControllerConfig,
    tol: Tolerances,
) -> MetricProposal {
    let samples: Vec<(Option<i64>, Option<i64>)> =
        pods.iter().map(|p| p.resource_milli(resource)).collect();
    if samples.iter().all(|s| s.1.is_none()) {
        return MetricProposal::failed(
            metric,
            format!(
                "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                resource.as_str()
            ),
        );
    }
    if pods.is_empty() {
        return MetricProposal::failed(
            metric,
            "no pods returned by selector while calculating replica count",
        );
    }
    let values: Vec<Option<i64>> = samples.iter().map(|s| s.1).collect();
    let g = group(pods, &values, resource == ResourceName::Cpu, now, config);
    let fail = |msg: String| {
        let mut p = MetricProposal::failed(metric, msg);
        counts(&mut p, &g.classes);
        p
    };
    // Metrics of ready pods (unready and ignored removed; missing have none).
    let kept: Vec<usize> = (0..pods.len())
        .filter(|&i| g.classes[i] == PodClass::Ready)
        .collect();
    if kept.is_empty() {
        return fail("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    // calculatePodRequests covers every pod the selector lists.
    let mut requests = Vec::with_capacity(pods.len());
    for (p, s) in pods.iter().zip(&samples) {
        match s.0 {
            Some(r) => requests.push(r),
            None => {
                return fail(format!(
                    "missing request for {} in pod {}",
                    resource.as_str(),
                    p.name
                ));
            }
        }
    }
    let entries: Vec<(i64, i64)> = kept
        .iter()
        .map(|&i| (values[i].unwrap_or(0), requests[i]))
        .collect();
    let (ratio, utilization, raw) = match utilization_ratio(&entries, target) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let mut out = MetricProposal {
        metric: metric.describe(),
        replicas: None,
        utilization: Some(utilization),
        average_value: Some(raw),
        usage_ratio: Some(ratio),
        adjusted_usage_ratio: None,
        ready_pods: 0,
        unready_pods: 0,
        missing_pods: 0,
        ignored_pods: 0,
        error: None,
    };
    counts(&mut out, &g.classes);
    let unready: Vec<usize> = (0..pods.len())
        .filter(|&i| g.classes[i] == PodClass::Unready)
        .collect();
    let missing: Vec<usize> = (0..pods.len())
        .filter(|&i| g.classes[i] == PodClass::Missing)
        .collect();
    let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        out.replicas = Some(if tol.is_within(ratio) {
            current
        } else {
            // Ready pod count, not current replicas (§1.5).
            ceil_to_u32(ratio * g.ready as f64)
        });
        return out;
    }
    let mut adjusted = entries.clone();
    if !missing.is_empty() {
        if ratio < 1.0 {
            // Scale-down: missing pods at 100 % of request, or at the target if above 100 %.
            let fallback = 100.max(target) as i64;
            for &i in &missing {
                adjusted.push((requests[i].saturating_mul(fallback) / 100, requests[i]));
            }
        } else if ratio > 1.0 {
            for &i in &missing {
                adjusted.push((0, requests[i]));
            }
        }
        // ratio == 1.0 exactly: neither branch (§1.5).
    }
    if scale_up_with_unready {
        for &i in &unready {
            adjusted.push((0, requests[i]));
        }
    }
    let new_ratio = match utilization_ratio(&adjusted, target) {
        Ok((r, _, _)) => r,
        Err(e) => return fail(e),
    };
    out.adjusted_usage_ratio = Some(new_ratio);
    out.replicas = Some(finish_adjusted(
        ratio,
        new_ratio,
        adjusted.len(),
        current,
        tol,
    ));
    out
}

/// The common tail of both calculators after the missing/unready fill (§1.5).
fn finish_adjusted(ratio: f64, new_ratio: f64, n: usize, current: u32, tol: Tolerances) -> u32 {
    if tol.is_within(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        // Too small a change, or the fill flipped the direction.
        return current;
    }
    let new_replicas = ceil_to_u32(new_ratio * n as f64);
    if (new_ratio < 1.0 && new_replicas > current) || (new_ratio > 1.0 && new_replicas < current) {
        return current;
    }
    new_replicas
}

/// `calcPlainMetricReplicas` (Pods metrics and Resource `AverageValue`, §1.3, §1.5).
#[allow(clippy::too_many_arguments)]
fn plain_replicas(
    metric: &MetricSpec,
    values: &[Option<i64>],
    cpu_gating: bool,
    target: i64,
    current: u32,
    pods: &[PodObservation],
    now: Nanos,
    config: &ControllerConfig,
    tol: Tolerances,
) -> MetricProposal {
    if pods.is_empty() {
        return MetricProposal::failed(
            metric,
            "no pods returned by selector while calculating replica count",
        );
    }
    let g = group(pods, values, cpu_gating, now, config);
    let kept: Vec<i64> = (0..pods.len())
        .filter(|&i| g.classes[i] == PodClass::Ready)
        .map(|i| values[i].unwrap_or(0))
        .collect();
    if kept.is_empty() {
        let mut p = MetricProposal::failed(
            metric,
            "did not receive metrics for targeted pods (pods might be unready)",
        );
        counts(&mut p, &g.classes);
        return p;
    }
    let (ratio, avg) = usage_ratio(&kept, target);
    let mut out = MetricProposal {
        metric: metric.describe(),
        replicas: None,
        utilization: None,
        average_value: Some(avg),
        usage_ratio: Some(ratio),
        adjusted_usage_ratio: None,
        ready_pods: 0,
        unready_pods: 0,
        missing_pods: 0,
        ignored_pods: 0,
        error: None,
    };
    counts(&mut out, &g.classes);
    let n_unready = g
        .classes
        .iter()
        .filter(|c| **c == PodClass::Unready)
        .count();
    let n_missing = g
        .classes
        .iter()
        .filter(|c| **c == PodClass::Missing)
        .count();
    let scale_up_with_unready = n_unready > 0 && ratio > 1.0;
    if !scale_up_with_unready && n_missing == 0 {
        out.replicas = Some(if tol.is_within(ratio) {
            current
        } else {
            ceil_to_u32(ratio * g.ready as f64)
        });
        return out;
    }
    let mut adjusted = kept.clone();
    if n_missing > 0 {
        if ratio < 1.0 {
            // Scale-down: missing pods exactly on target.
            adjusted.extend(std::iter::repeat_n(target, n_missing));
        } else if ratio > 1.0 {
            adjusted.extend(std::iter::repeat_n(0, n_missing));
        }
    }
    if scale_up_with_unready {
        adjusted.extend(std::iter::repeat_n(0, n_unready));
    }
    let (new_ratio, _) = usage_ratio(&adjusted, target);
    out.adjusted_usage_ratio = Some(new_ratio);
    out.replicas = Some(finish_adjusted(
        ratio,
        new_ratio,
        adjusted.len(),
        current,
        tol,
    ));
    out
}

// ---------------------------------------------------------------------------------------
// Normalization building blocks (§1.8, §1.9)
// ---------------------------------------------------------------------------------------

fn secs(s: u32) -> Nanos {
    s as Nanos * NANOS_PER_SEC
}

/// `t.After(now - window)` without underflow: the record is younger than the window.
fn within(t: Nanos, window: Nanos, now: Nanos) -> bool {
    t.saturating_add(window) > now
}

/// `t.Before(now - window)`: the record is older than the window.
fn older(t: Nanos, window: Nanos, now: Nanos) -> bool {
    t.saturating_add(window) < now
}

/// `stabilizeRecommendation` (legacy path, §1.8): the maximum over records whose age is at
/// most `window` (`!Before(cutoff)`, so `<=`), then stores `desired` in the last expired
/// slot or appends it.
pub fn stabilize_legacy(
    recommendations: &mut Vec<Recommendation>,
    desired: u32,
    now: Nanos,
    window: Nanos,
) -> u32 {
    let mut max_rec = desired;
    let mut old: Option<usize> = None;
    for (i, r) in recommendations.iter().enumerate() {
        if older(r.timestamp, window, now) {
            old = Some(i);
        } else if r.replicas > max_rec {
            max_rec = r.replicas;
        }
    }
    let rec = Recommendation {
        replicas: desired,
        timestamp: now,
    };
    match old {
        Some(i) => recommendations[i] = rec,
        None => recommendations.push(rec),
    }
    max_rec
}

/// `convertDesiredReplicasWithRules` (legacy path, §1.8): (replicas, condition reason).
pub fn convert_with_rules(
    current: u32,
    desired: u32,
    min: u32,
    max: u32,
    config: &ControllerConfig,
) -> (u32, &'static str) {
    let limit = (config.scale_up_limit_factor * current as f64).max(config.scale_up_limit_minimum);
    let scale_up_limit = if limit >= i32::MAX as f64 {
        i32::MAX as u32
    } else {
        limit as u32 // int32() truncation
    };
    let (maximum, reason) = if max > scale_up_limit {
        (scale_up_limit, "ScaleUpLimit")
    } else {
        (max, "TooManyReplicas")
    };
    if desired < min {
        (min, "TooFewReplicas")
    } else if desired > maximum {
        (maximum, reason)
    } else {
        (desired, "DesiredWithinRange")
    }
}

/// `stabilizeRecommendationWithBehaviors` (§1.9.1): clamps `current` between the minimum
/// of recent recommendations in the scale-up window and the maximum in the scale-down
/// window (both `age < window`), records `desired`, and returns (replicas, reason).
pub fn stabilize_with_behavior(
    recommendations: &mut Vec<Recommendation>,
    current: u32,
    desired: u32,
    up_window: Nanos,
    down_window: Nanos,
    now: Nanos,
) -> (u32, &'static str) {
    let mut up = desired;
    let mut down = desired;
    let mut old: Option<usize> = None;
    for (i, r) in recommendations.iter().enumerate() {
        if within(r.timestamp, up_window, now) {
            up = up.min(r.replicas);
        }
        if within(r.timestamp, down_window, now) {
            down = down.max(r.replicas);
        }
        if older(r.timestamp, up_window, now) && older(r.timestamp, down_window, now) {
            old = Some(i);
        }
    }
    let mut recommendation = current;
    if recommendation < up {
        recommendation = up;
    }
    if recommendation > down {
        recommendation = down;
    }
    let rec = Recommendation {
        replicas: desired,
        timestamp: now,
    };
    match old {
        Some(i) => recommendations[i] = rec,
        None => recommendations.push(rec),
    }
    let reason = if desired >= current {
        "ScaleUpStabilized"
    } else {
        "ScaleDownStabilized"
    };
    (recommendation, reason)
}

/// `getReplicasChangePerPeriod` (§1.9.3): the sum of changes younger than the period.
pub fn replicas_change_per_period(period_seconds: u32, events: &[ScaleEvent], now: Nanos) -> i64 {
    events
        .iter()
        .filter(|e| within(e.timestamp, secs(period_seconds), now))
        .map(|e| e.change as i64)
        .sum()
}

/// `calculateScaleUpLimitWithScalingRules` (§1.9.2), from the replica count at the start of
/// each policy's period (`current - added + deleted`).
pub fn scale_up_limit(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Nanos,
) -> i64 {
    let pick: fn(i64, i64) -> i64 = match rules.select_policy {
        SelectPolicy::Disabled => return current as i64,
        SelectPolicy::Min => i64::min,
        SelectPolicy::Max => i64::max,
    };
    let mut result = match rules.select_policy {
        SelectPolicy::Min => i32::MAX as i64,
        _ => i32::MIN as i64,
    };
    for p in &rules.policies {
        let added = replicas_change_per_period(p.period_seconds, up_events, now);
        let deleted = replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current as i64 - added + deleted;
        let proposed = match p.kind {
            PolicyType::Pods => start + p.value as i64,
            // Rounded up so that a small percentage can still add a pod.
            PolicyType::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i64,
        };
        result = pick(result, proposed);
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors` (§1.9.2); percent limits are truncated.
pub fn scale_down_limit(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Nanos,
) -> i64 {
    let pick: fn(i64, i64) -> i64 = match rules.select_policy {
        SelectPolicy::Disabled => return current as i64,
        SelectPolicy::Min => i64::max,
        SelectPolicy::Max => i64::min,
    };
    let mut result = match rules.select_policy {
        SelectPolicy::Min => i32::MIN as i64,
        _ => i32::MAX as i64,
    };
    for p in &rules.policies {
        let added = replicas_change_per_period(p.period_seconds, up_events, now);
        let deleted = replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current as i64 - added + deleted;
        let proposed = match p.kind {
            PolicyType::Pods => start - p.value as i64,
            PolicyType::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)) as i64,
        };
        result = pick(result, proposed);
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate` (§1.9.2): rate limits plus the min/max clamp in
/// the direction of movement. Returns (replicas, condition reason).
pub fn convert_with_behavior_rate(
    current: u32,
    desired: u32,
    min: u32,
    max: u32,
    behavior: &Behavior,
    state: &HpaState,
    now: Nanos,
) -> (u32, &'static str) {
    if desired > current {
        let mut limit = scale_up_limit(
            current,
            &state.scale_up_events,
            &state.scale_down_events,
            &behavior.scale_up,
            now,
        );
        if limit < current as i64 {
            // Never force a scale-down while recent scale-ups age out.
            limit = current as i64;
        }
        let (maximum, reason) = if (max as i64) > limit {
            (limit as u32, "ScaleUpLimit")
        } else {
            (max, "TooManyReplicas")
        };
        if desired > maximum {
            return (maximum, reason);
        }
    } else if desired < current {
        let mut limit = scale_down_limit(
            current,
            &state.scale_up_events,
            &state.scale_down_events,
            &behavior.scale_down,
            now,
        );
        if limit > current as i64 {
            limit = current as i64;
        }
        let (minimum, reason) = if (min as i64) < limit {
            (limit as u32, "ScaleDownLimit")
        } else {
            (min, "TooFewReplicas")
        };
        if desired < minimum {
            return (minimum, reason);
        }
    }
    (desired, "DesiredWithinRange")
}

fn mark_outdated_and_store(
    events: &mut Vec<ScaleEvent>,
    longest_period: u32,
    change: u32,
    now: Nanos,
) {
    let mut old: Option<usize> = None;
    for (i, e) in events.iter_mut().enumerate() {
        if older(e.timestamp, secs(longest_period), now) {
            e.outdated = true;
        }
        if e.outdated {
            old = Some(i);
        }
    }
    let ev = ScaleEvent::new(change, now);
    match old {
        Some(i) => events[i] = ev,
        None => events.push(ev),
    }
}

/// `storeScaleEvent` (§1.9.4): nothing without behavior; otherwise marks events older than
/// the direction's longest policy period as outdated and reuses one such slot.
pub fn store_scale_event(
    behavior: Option<&Behavior>,
    state: &mut HpaState,
    previous: u32,
    new: u32,
    now: Nanos,
) {
    let Some(b) = behavior else { return };
    if new > previous {
        mark_outdated_and_store(
            &mut state.scale_up_events,
            b.scale_up.longest_period(),
            new - previous,
            now,
        );
    } else {
        mark_outdated_and_store(
            &mut state.scale_down_events,
            b.scale_down.longest_period(),
            previous - new,
            now,
        );
    }
}

// ---------------------------------------------------------------------------------------
// Reconcile (§1.2, §1.7, §1.10)
// ---------------------------------------------------------------------------------------

/// One reconcile of one HPA at time `now`, with the target's spec replicas and the pods its
/// selector matches. Updates `state` (recommendations, scale events, last scale time).
pub fn reconcile(
    hpa: &Hpa,
    state: &mut HpaState,
    now: Nanos,
    current_replicas: u32,
    pods: &[PodObservation],
    config: &ControllerConfig,
) -> Reconcile {
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
        for m in &metrics {
            let p = compute_proposal(m, current_replicas, pods, now, config, tol);
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

fn limit_message(reason: &str) -> &'static str {
    match reason {
        "ScaleUpLimit" => {
            "the desired replica count is increasing faster than the maximum scale rate"
        }
        "ScaleDownLimit" => {
            "the desired replica count is decreasing faster than the maximum scale rate"
        }
        "TooManyReplicas" => "the desired replica count is more than the maximum replica count",
        "TooFewReplicas" => "the desired replica count is less than the minimum replica count",
        _ => "the desired count is within the acceptable range",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_bounds_are_inclusive() {
        let t = Tolerances::both(0.1);
        assert!(t.is_within(0.9));
        assert!(t.is_within(1.1));
        assert!(!t.is_within(1.1000001));
        assert!(!t.is_within(0.8999999));
    }

    #[test]
    fn utilization_is_truncated_before_dividing() {
        // 990 m over 4000 m: 24 %, not 24.75 % (§1.3.1).
        let (ratio, util, _) = utilization_ratio(&[(990, 4000)], 50).unwrap();
        assert_eq!(util, 24);
        assert_eq!(ratio, 0.48);
    }
}
