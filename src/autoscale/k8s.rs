//! HorizontalPodAutoscaler manifests into controller specs: checks each parsed manifest as
//! the API server would (`validation.go`) and applies the API defaults
//! (`SetDefaults_HorizontalPodAutoscaler`, reference §1.1): `minReplicas` 1, the cpu 80 %
//! metric when `metrics` is empty, and, only when `behavior` is present, every missing field
//! of `scaleUp`/`scaleDown` from the default rules. The documents themselves (and
//! quantities) are parsed in [`crate::spec::k8s`].

use crate::autoscale::hpa::{
    Behavior, Hpa, MetricSpec, PolicyType, ResourceName, ResourceTarget, ScalingPolicy,
    ScalingRules, SelectPolicy, ValueTarget,
};
use crate::error::FieldError;
use crate::spec::k8s::{
    HorizontalPodAutoscaler, ManifestError, MetricSpecManifest, MetricTargetManifest, Quantity,
    ScalingRulesManifest,
};
use crate::spec::k8s_manifests::parse_hpa_documents;

fn nearest_hint(given: &str, options: &[&str]) -> String {
    match crate::suggest::nearest(given, options.iter().copied()) {
        Some(n) => format!(" (did you mean \"{n}\"?)"),
        None => String::new(),
    }
}

fn resource_name(name: &str, path: &str) -> Result<ResourceName, FieldError> {
    match name {
        "cpu" => Ok(ResourceName::Cpu),
        "memory" => Ok(ResourceName::Memory),
        other => Err(FieldError::new(
            path,
            format!(
                "capsim simulates the resources \"cpu\" and \"memory\", not \"{other}\"{}",
                nearest_hint(other, &["cpu", "memory"])
            ),
        )),
    }
}

fn positive_quantity(q: Option<Quantity>, path: &str) -> Result<i64, FieldError> {
    match q {
        None => Err(FieldError::new(path, "is required for this target type")),
        Some(q) if q.milli() <= 0 => Err(FieldError::new(path, "must be positive")),
        Some(q) => Ok(q.milli()),
    }
}

/// The target of a `Resource` or `ContainerResource` metric.
fn resource_target(t: &MetricTargetManifest, tpath: &str) -> Result<ResourceTarget, FieldError> {
    match t.kind.as_str() {
        "Utilization" => {
            if t.average_value.is_some() || t.value.is_some() {
                return Err(FieldError::new(
                    tpath,
                    "a Utilization target takes only averageUtilization",
                ));
            }
            match t.average_utilization {
                None => Err(FieldError::new(
                    format!("{tpath}.averageUtilization"),
                    "must be set when type is Utilization",
                )),
                Some(u) if u <= 0 || u > i32::MAX as i64 => Err(FieldError::new(
                    format!("{tpath}.averageUtilization"),
                    "must be greater than 0",
                )),
                Some(u) => Ok(ResourceTarget::Utilization(u as i32)),
            }
        }
        "AverageValue" => {
            if t.average_utilization.is_some() || t.value.is_some() {
                return Err(FieldError::new(
                    tpath,
                    "an AverageValue target takes only averageValue",
                ));
            }
            Ok(ResourceTarget::AverageValue(positive_quantity(
                t.average_value,
                &format!("{tpath}.averageValue"),
            )?))
        }
        "Value" => Err(FieldError::new(
            format!("{tpath}.type"),
            "must be Utilization or AverageValue for a resource metric",
        )),
        other => Err(FieldError::new(
            format!("{tpath}.type"),
            format!(
                "unknown target type \"{other}\"; use Utilization or AverageValue{}",
                nearest_hint(other, &["Utilization", "AverageValue"])
            ),
        )),
    }
}

/// The target of an `Object` or `External` metric (`validateMetricTarget`).
fn value_target(t: &MetricTargetManifest, tpath: &str) -> Result<ValueTarget, FieldError> {
    if t.average_utilization.is_some() {
        return Err(FieldError::new(
            format!("{tpath}.averageUtilization"),
            "is only for Resource and ContainerResource metrics; use value or averageValue",
        ));
    }
    match t.kind.as_str() {
        "Value" => {
            if t.average_value.is_some() {
                return Err(FieldError::new(tpath, "a Value target takes only value"));
            }
            Ok(ValueTarget::Value(positive_quantity(
                t.value,
                &format!("{tpath}.value"),
            )?))
        }
        "AverageValue" => {
            if t.value.is_some() {
                return Err(FieldError::new(
                    tpath,
                    "an AverageValue target takes only averageValue",
                ));
            }
            Ok(ValueTarget::AverageValue(positive_quantity(
                t.average_value,
                &format!("{tpath}.averageValue"),
            )?))
        }
        other => Err(FieldError::new(
            format!("{tpath}.type"),
            format!(
                "must be Value or AverageValue for this metric, not \"{other}\"{}",
                nearest_hint(other, &["Value", "AverageValue"])
            ),
        )),
    }
}

fn metric_name(name: &str, path: &str) -> Result<String, FieldError> {
    if name.trim().is_empty() {
        return Err(FieldError::new(path, "must not be empty"));
    }
    Ok(name.to_string())
}

fn metric(m: &MetricSpecManifest, path: &str) -> Result<MetricSpec, FieldError> {
    // validateMetricSpec: only the source of the given type may be set.
    let sources = [
        ("Resource", "resource", m.resource.is_some()),
        ("Pods", "pods", m.pods.is_some()),
        ("Object", "object", m.object.is_some()),
        ("External", "external", m.external.is_some()),
        (
            "ContainerResource",
            "containerResource",
            m.container_resource.is_some(),
        ),
    ];
    let known = sources.iter().any(|(k, _, _)| *k == m.kind);
    if known {
        for (kind, field, set) in sources {
            if set && kind != m.kind {
                return Err(FieldError::new(
                    format!("{path}.{field}"),
                    format!("must be empty when type is {}", m.kind),
                ));
            }
        }
    }
    let required = |field: &str| {
        FieldError::new(
            format!("{path}.{field}"),
            format!("must be set when type is {}", m.kind),
        )
    };
    match m.kind.as_str() {
        "Resource" => {
            let r = m.resource.as_ref().ok_or_else(|| required("resource"))?;
            let resource = resource_name(&r.name, &format!("{path}.resource.name"))?;
            let target = resource_target(&r.target, &format!("{path}.resource.target"))?;
            Ok(MetricSpec::Resource { resource, target })
        }
        "ContainerResource" => {
            let r = m
                .container_resource
                .as_ref()
                .ok_or_else(|| required("containerResource"))?;
            let resource = resource_name(&r.name, &format!("{path}.containerResource.name"))?;
            let container =
                metric_name(&r.container, &format!("{path}.containerResource.container"))?;
            let target = resource_target(&r.target, &format!("{path}.containerResource.target"))?;
            Ok(MetricSpec::ContainerResource {
                resource,
                container,
                target,
            })
        }
        "Pods" => {
            let p = m.pods.as_ref().ok_or_else(|| required("pods"))?;
            let name = metric_name(&p.metric.name, &format!("{path}.pods.metric.name"))?;
            let tpath = format!("{path}.pods.target");
            if p.target.kind != "AverageValue" {
                return Err(FieldError::new(
                    format!("{tpath}.type"),
                    format!(
                        "must be AverageValue for a Pods metric, not \"{}\"",
                        p.target.kind
                    ),
                ));
            }
            if p.target.average_utilization.is_some() || p.target.value.is_some() {
                return Err(FieldError::new(
                    &tpath,
                    "an AverageValue target takes only averageValue",
                ));
            }
            Ok(MetricSpec::Pods {
                name,
                average_value: positive_quantity(
                    p.target.average_value,
                    &format!("{tpath}.averageValue"),
                )?,
            })
        }
        "Object" => {
            let o = m.object.as_ref().ok_or_else(|| required("object"))?;
            let d = &o.described_object;
            let kind = metric_name(&d.kind, &format!("{path}.object.describedObject.kind"))?;
            let object = metric_name(&d.name, &format!("{path}.object.describedObject.name"))?;
            let name = metric_name(&o.metric.name, &format!("{path}.object.metric.name"))?;
            let target = value_target(&o.target, &format!("{path}.object.target"))?;
            Ok(MetricSpec::Object {
                kind,
                object,
                name,
                target,
            })
        }
        "External" => {
            let e = m.external.as_ref().ok_or_else(|| required("external"))?;
            let name = metric_name(&e.metric.name, &format!("{path}.external.metric.name"))?;
            let target = value_target(&e.target, &format!("{path}.external.target"))?;
            Ok(MetricSpec::External { name, target })
        }
        // The controller keeps an HPA with a metric type it does not recognise and fails
        // that metric at every reconcile (`InvalidMetricSourceType`); the loader notes it
        // ([`unknown_metric_notes`]).
        other => Ok(MetricSpec::Unknown {
            kind: other.to_string(),
        }),
    }
}

fn rules(
    given: Option<&ScalingRulesManifest>,
    mut defaults: ScalingRules,
    path: &str,
) -> Result<ScalingRules, FieldError> {
    let Some(g) = given else { return Ok(defaults) };
    // copyHPAScalingRules: field by field; a user policy list replaces the default list.
    if let Some(w) = g.stabilization_window_seconds {
        if !(0..=crate::autoscale::hpa::MAX_STABILIZATION_WINDOW_SECONDS as i64).contains(&w) {
            return Err(FieldError::new(
                format!("{path}.stabilizationWindowSeconds"),
                format!(
                    "must be between 0 and {} (one hour)",
                    crate::autoscale::hpa::MAX_STABILIZATION_WINDOW_SECONDS
                ),
            ));
        }
        defaults.stabilization_window_seconds = Some(w as u32);
    }
    if let Some(sp) = &g.select_policy {
        defaults.select_policy = match sp.as_str() {
            "Max" => SelectPolicy::Max,
            "Min" => SelectPolicy::Min,
            "Disabled" => SelectPolicy::Disabled,
            other => {
                return Err(FieldError::new(
                    format!("{path}.selectPolicy"),
                    format!(
                        "must be Max, Min or Disabled, not \"{other}\"{}",
                        nearest_hint(other, &["Max", "Min", "Disabled"])
                    ),
                ));
            }
        };
    }
    if let Some(ps) = &g.policies {
        if ps.is_empty() {
            return Err(FieldError::new(
                format!("{path}.policies"),
                "must specify at least one Policy",
            ));
        }
        let mut out = Vec::with_capacity(ps.len());
        for (i, p) in ps.iter().enumerate() {
            let pp = format!("{path}.policies[{i}]");
            let kind = match p.kind.as_str() {
                "Pods" => PolicyType::Pods,
                "Percent" => PolicyType::Percent,
                other => {
                    return Err(FieldError::new(
                        format!("{pp}.type"),
                        format!(
                            "must be Pods or Percent, not \"{other}\"{}",
                            nearest_hint(other, &["Pods", "Percent"])
                        ),
                    ));
                }
            };
            if p.value <= 0 || p.value > i32::MAX as i64 {
                return Err(FieldError::new(
                    format!("{pp}.value"),
                    "must be greater than zero",
                ));
            }
            let max = crate::autoscale::hpa::MAX_PERIOD_SECONDS as i64;
            if p.period_seconds <= 0 || p.period_seconds > max {
                return Err(FieldError::new(
                    format!("{pp}.periodSeconds"),
                    format!("must be greater than zero and less than or equal to {max}"),
                ));
            }
            out.push(ScalingPolicy {
                kind,
                value: p.value as u32,
                period_seconds: p.period_seconds as u32,
            });
        }
        defaults.policies = out;
    }
    if let Some(t) = g.tolerance {
        if t.milli() < 0 {
            return Err(FieldError::new(
                format!("{path}.tolerance"),
                "must be greater than or equal to 0",
            ));
        }
        defaults.tolerance = Some(t.as_f64());
    }
    Ok(defaults)
}

/// One note per metric of a type the controller does not recognise (with the nearest
/// known type when it looks like a typo).
pub fn unknown_metric_notes(hpa: &Hpa) -> Vec<String> {
    let kinds = [
        "Resource",
        "Pods",
        "Object",
        "External",
        "ContainerResource",
    ];
    hpa.metrics
        .iter()
        .filter_map(|m| match m {
            MetricSpec::Unknown { kind } => Some(format!(
                "HPA `{}`: metric type \"{kind}\" is not one the controller recognises{}; as in Kubernetes the HPA is kept and every reconcile fails that metric with InvalidMetricSourceType, which blocks scale-down",
                hpa.name,
                nearest_hint(kind, &kinds)
            )),
            _ => None,
        })
        .collect()
}

impl HorizontalPodAutoscaler {
    /// Validates the manifest and applies the API defaults. autoscaling/v1 is converted as
    /// the API server converts it (`targetCPUUtilizationPercentage` becomes a cpu
    /// `Utilization` metric; none means the default cpu 80 %); v2beta2 has v2's shape.
    pub fn to_hpa(&self) -> Result<Hpa, FieldError> {
        let v1 = self.api_version == "autoscaling/v1";
        if !crate::spec::k8s_manifests::HPA_VERSIONS.contains(&self.api_version.as_str()) {
            return Err(FieldError::new(
                "apiVersion",
                format!(
                    "capsim reads autoscaling/v2, v2beta2 and v1 HPAs, not \"{}\"; write it as autoscaling/v2",
                    self.api_version
                ),
            ));
        }
        if v1 && (!self.spec.metrics.is_empty() || self.spec.behavior.is_some()) {
            return Err(FieldError::new(
                "apiVersion",
                "autoscaling/v1 has no `metrics` or `behavior`; use apiVersion autoscaling/v2 for them",
            ));
        }
        if !v1 && self.spec.target_cpu_utilization_percentage.is_some() {
            return Err(FieldError::new(
                "spec.targetCPUUtilizationPercentage",
                format!(
                    "is an autoscaling/v1 field; in {} write `metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: N}}}}}}]`, or set apiVersion autoscaling/v1",
                    self.api_version
                ),
            ));
        }
        if self.kind != "HorizontalPodAutoscaler" {
            return Err(FieldError::new(
                "kind",
                format!("must be HorizontalPodAutoscaler, not \"{}\"", self.kind),
            ));
        }
        let name = match &self.metadata.name {
            Some(n) if !n.trim().is_empty() => n.clone(),
            _ => return Err(FieldError::new("metadata.name", "is required")),
        };
        let spec = &self.spec;
        if spec.scale_target_ref.kind.trim().is_empty() {
            return Err(FieldError::new("spec.scaleTargetRef.kind", "is required"));
        }
        if spec.scale_target_ref.name.trim().is_empty() {
            return Err(FieldError::new("spec.scaleTargetRef.name", "is required"));
        }
        let min = spec.min_replicas.unwrap_or(1);
        if min < 1 || min > i32::MAX as i64 {
            return Err(FieldError::new(
                "spec.minReplicas",
                "must be at least 1 (0 needs the HPAScaleToZero feature gate and an Object or External metric; capsim simulates a service that keeps running)",
            ));
        }
        if spec.max_replicas < 1 || spec.max_replicas > i32::MAX as i64 {
            return Err(FieldError::new("spec.maxReplicas", "must be at least 1"));
        }
        if spec.max_replicas < min {
            return Err(FieldError::new(
                "spec.maxReplicas",
                format!("must be greater than or equal to `minReplicas` ({min})"),
            ));
        }
        let mut metrics = Vec::with_capacity(spec.metrics.len());
        for (i, m) in spec.metrics.iter().enumerate() {
            metrics.push(metric(m, &format!("spec.metrics[{i}]"))?);
        }
        if let Some(p) = spec.target_cpu_utilization_percentage {
            if p < 1 || p > i32::MAX as i64 {
                return Err(FieldError::new(
                    "spec.targetCPUUtilizationPercentage",
                    "must be greater than 0",
                ));
            }
            metrics.push(MetricSpec::Resource {
                resource: ResourceName::Cpu,
                target: ResourceTarget::Utilization(p as i32),
            });
        }
        if metrics.is_empty() {
            metrics.push(MetricSpec::default_cpu());
        }
        let behavior = match &spec.behavior {
            None => None,
            Some(b) => Some(Behavior {
                scale_up: rules(
                    b.scale_up.as_ref(),
                    ScalingRules::default_scale_up(),
                    "spec.behavior.scaleUp",
                )?,
                scale_down: rules(
                    b.scale_down.as_ref(),
                    ScalingRules::default_scale_down(),
                    "spec.behavior.scaleDown",
                )?,
            }),
        };
        let hpa = Hpa {
            name,
            min_replicas: min as u32,
            max_replicas: spec.max_replicas as u32,
            metrics,
            behavior,
        };
        hpa.validate().map_err(|e| e.within("spec"))?;
        Ok(hpa)
    }
}

/// Turns parsed manifests into HPAs, each with its `scaleTargetRef.name` (the Deployment it
/// scales). Field paths in errors start with `[i]`, the document's index; two HPAs may not
/// share a name.
pub fn hpas_with_targets(
    docs: &[HorizontalPodAutoscaler],
) -> Result<Vec<(String, Hpa)>, ManifestError> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let hpa = d
            .to_hpa()
            .map_err(|e| ManifestError::Invalid(e.within(&format!("[{i}]"))))?;
        if out.iter().any(|(_, h): &(String, Hpa)| h.name == hpa.name) {
            return Err(ManifestError::Invalid(FieldError::new(
                format!("[{i}].metadata.name"),
                format!("another HPA in this file is already named \"{}\"", hpa.name),
            )));
        }
        out.push((d.spec.scale_target_ref.name.clone(), hpa));
    }
    Ok(out)
}

/// Parses every `HorizontalPodAutoscaler` document of a multi-document YAML text
/// ([`parse_hpa_documents`]) into HPAs. Field paths in errors start with `[i]`, the
/// document's index.
pub fn parse_hpas(text: &str) -> Result<Vec<Hpa>, ManifestError> {
    Ok(parse_hpas_with_targets(text)?
        .into_iter()
        .map(|(_, h)| h)
        .collect())
}

/// Like [`parse_hpas`], with each HPA's `scaleTargetRef.name` (the Deployment it scales).
pub fn parse_hpas_with_targets(text: &str) -> Result<Vec<(String, Hpa)>, ManifestError> {
    hpas_with_targets(&parse_hpa_documents(text)?)
}
