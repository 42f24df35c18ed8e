//! The HorizontalPodAutoscaler spec after API defaulting (§1.1): metrics, scaling rules and
//! behavior, the validation limits, and the API server's validation of HPAs built in code.

use crate::error::FieldError;
use serde::Serialize;

/// `autoscaling.DefaultCPUUtilization`: the metric used when an HPA lists none (§1.1).
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;
/// Validation limit on `periodSeconds` (§1.1).
pub const MAX_PERIOD_SECONDS: u32 = 1800;
/// Validation limit on `stabilizationWindowSeconds` (§1.1).
pub const MAX_STABILIZATION_WINDOW_SECONDS: u32 = 3600;

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

/// The target of an `Object` or `External` metric, in milli-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueTarget {
    /// `value`: the metric as a whole against the target; the proposal scales the ready
    /// pod count (`GetObjectMetricReplicas`, `GetExternalMetricReplicas`).
    Value(i64),
    /// `averageValue`: the metric divided by the scale's status replicas
    /// (`GetObjectPerPodMetricReplicas`, `GetExternalPerPodMetricReplicas`).
    AverageValue(i64),
}

impl ValueTarget {
    pub fn milli(self) -> i64 {
        match self {
            ValueTarget::Value(v) | ValueTarget::AverageValue(v) => v,
        }
    }
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
    /// A per-container resource metric (`ContainerResource`): only the named container's
    /// usage and request count.
    ContainerResource {
        resource: ResourceName,
        container: String,
        target: ResourceTarget,
    },
    /// A metric describing one object (`Object`): `kind`/`object` is its `describedObject`.
    Object {
        kind: String,
        object: String,
        name: String,
        target: ValueTarget,
    },
    /// A metric from outside the cluster (`External`): the sum of the samples the
    /// metric's selector matches.
    External { name: String, target: ValueTarget },
    /// A `type` the controller does not recognise: the HPA is kept, and every reconcile
    /// fails this metric with `InvalidMetricSourceType` (`computeReplicasForMetric`'s
    /// default case), which blocks scale-down while another metric asks for less.
    Unknown { kind: String },
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
            MetricSpec::ContainerResource {
                resource,
                target: ResourceTarget::Utilization(_),
                ..
            } => format!(
                "{} container resource utilization (percentage of request)",
                resource.as_str()
            ),
            MetricSpec::ContainerResource { resource, .. } => {
                format!("{} container resource", resource.as_str())
            }
            MetricSpec::Object { kind, name, .. } => format!("{kind} metric {name}"),
            MetricSpec::External { name, .. } => format!("external metric {name}"),
            MetricSpec::Unknown { kind } => format!("{kind} metric"),
        }
    }

    /// The `ScalingActive` reason when this metric cannot be computed.
    pub(super) fn failure_reason(&self) -> &'static str {
        match self {
            MetricSpec::Resource { .. } => "FailedGetResourceMetric",
            MetricSpec::Pods { .. } => "FailedGetPodsMetric",
            MetricSpec::ContainerResource { .. } => "FailedGetContainerResourceMetric",
            MetricSpec::Object { .. } => "FailedGetObjectMetric",
            MetricSpec::External { .. } => "FailedGetExternalMetric",
            MetricSpec::Unknown { .. } => "InvalidMetricSourceType",
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

    pub(super) fn longest_period(&self) -> u32 {
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
                MetricSpec::ContainerResource {
                    target: ResourceTarget::Utilization(u),
                    ..
                } if *u <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.containerResource.target.averageUtilization"),
                        "must be greater than 0",
                    ));
                }
                MetricSpec::ContainerResource {
                    target: ResourceTarget::AverageValue(v),
                    ..
                } if *v <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.containerResource.target.averageValue"),
                        "must be positive",
                    ));
                }
                MetricSpec::Object { target, .. } if target.milli() <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.object.target"),
                        "must be positive",
                    ));
                }
                MetricSpec::External { target, .. } if target.milli() <= 0 => {
                    return Err(FieldError::new(
                        format!("{path}.external.target"),
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
