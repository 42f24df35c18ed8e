//! The replica calculator (`replica_calculator.go`, §1.3–1.6): `groupPods`, the usage and
//! utilization ratios, the missing/unready fill, the tolerance check, and one metric's
//! replica proposal.

use crate::autoscale::hpa::config::{ControllerConfig, Tolerances};
use crate::autoscale::hpa::observation::{PodObservation, PodPhase};
use crate::autoscale::hpa::spec::{MetricSpec, ResourceName, ResourceTarget};
use crate::time::Nanos;
use serde::Serialize;

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
    pub(super) fn failed(metric: &MetricSpec, message: impl Into<String>) -> Self {
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

pub(super) fn ceil_to_u32(x: f64) -> u32 {
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

/// What one metric's calculation reads besides the metric itself.
#[derive(Debug, Clone, Copy)]
pub struct MetricContext<'a> {
    /// `scale.Spec.Replicas`.
    pub spec_replicas: u32,
    /// `scale.Status.Replicas`: what `AverageValue` Object and External targets divide by.
    pub status_replicas: u32,
    pub pods: &'a [PodObservation],
    pub now: Nanos,
    pub config: &'a ControllerConfig,
    pub tolerances: Tolerances,
}

/// The pods a Deployment's `status.replicas` counts: not terminating, not finished.
pub fn status_replicas(pods: &[PodObservation]) -> u32 {
    pods.iter()
        .filter(|p| !p.deleting && !matches!(p.phase, PodPhase::Failed | PodPhase::Succeeded))
        .count() as u32
}

/// One metric's proposal against `current_replicas` (spec replicas), as the replica
/// calculator computes it, with the status replicas counted from `pods` and no Object or
/// External value. Public so that `replica_calculator_test.go` cases can be checked on
/// their own.
pub fn compute_proposal(
    metric: &MetricSpec,
    current_replicas: u32,
    pods: &[PodObservation],
    now: Nanos,
    config: &ControllerConfig,
    tolerances: Tolerances,
) -> MetricProposal {
    let ctx = MetricContext {
        spec_replicas: current_replicas,
        status_replicas: status_replicas(pods),
        pods,
        now,
        config,
        tolerances,
    };
    compute_proposal_in(metric, &ctx, None)
}

/// One metric's proposal (`computeReplicasForMetric`). `value` is what the custom or
/// external metrics API serves for an `Object` or `External` metric (for `External`, the
/// sum of the samples its selector matches); `None` fails that metric.
pub fn compute_proposal_in(
    metric: &MetricSpec,
    ctx: &MetricContext<'_>,
    value: Option<i64>,
) -> MetricProposal {
    let pods = ctx.pods;
    match metric {
        MetricSpec::Unknown { kind } => {
            MetricProposal::failed(metric, format!("unknown metric source type \"{kind}\""))
        }
        MetricSpec::Object { target, .. } | MetricSpec::External { target, .. } => {
            super::value_metrics::value_replicas(metric, *target, value, ctx)
        }
        MetricSpec::Resource { resource, target } => {
            let samples: Vec<(Option<i64>, Option<i64>)> =
                pods.iter().map(|p| p.resource_milli(*resource)).collect();
            let missing = |i: usize| {
                format!(
                    "missing request for {} in pod {}",
                    resource.as_str(),
                    pods[i].name
                )
            };
            resource_metric(metric, *resource, *target, &samples, &missing, ctx)
        }
        MetricSpec::ContainerResource {
            resource,
            container,
            target,
        } => {
            let mut samples = Vec::with_capacity(pods.len());
            for p in pods {
                match p.container_milli(*resource, container) {
                    Ok(s) => samples.push(s),
                    Err(e) => {
                        return MetricProposal::failed(
                            metric,
                            format!(
                                "unable to get metrics for resource {}: {e}",
                                resource.as_str()
                            ),
                        );
                    }
                }
            }
            let missing = |i: usize| {
                format!(
                    "missing request for {} in container {container} of Pod {}",
                    resource.as_str(),
                    pods[i].name
                )
            };
            resource_metric(metric, *resource, *target, &samples, &missing, ctx)
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
            plain_replicas(metric, &values, false, *average_value, ctx)
        }
    }
}

/// A `Resource` or `ContainerResource` metric from its (request, usage) samples per pod.
fn resource_metric(
    metric: &MetricSpec,
    resource: ResourceName,
    target: ResourceTarget,
    samples: &[(Option<i64>, Option<i64>)],
    missing_request: &dyn Fn(usize) -> String,
    ctx: &MetricContext<'_>,
) -> MetricProposal {
    if samples.iter().all(|s| s.1.is_none()) {
        return MetricProposal::failed(
            metric,
            format!(
                "unable to get metrics for resource {}: no metrics returned from resource metrics API",
                resource.as_str()
            ),
        );
    }
    match target {
        ResourceTarget::Utilization(t) => {
            resource_replicas(metric, resource, t, samples, missing_request, ctx)
        }
        ResourceTarget::AverageValue(t) => {
            let values: Vec<Option<i64>> = samples.iter().map(|s| s.1).collect();
            plain_replicas(metric, &values, resource == ResourceName::Cpu, t, ctx)
        }
    }
}

/// `GetResourceReplicas` (§1.5).
fn resource_replicas(
    metric: &MetricSpec,
    resource: ResourceName,
    target: i32,
    samples: &[(Option<i64>, Option<i64>)],
    missing_request: &dyn Fn(usize) -> String,
    ctx: &MetricContext<'_>,
) -> MetricProposal {
    let (pods, now, config, tol, current) = (
        ctx.pods,
        ctx.now,
        ctx.config,
        ctx.tolerances,
        ctx.spec_replicas,
    );
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
    for (i, s) in samples.iter().enumerate() {
        match s.0 {
            Some(r) => requests.push(r),
            None => return fail(missing_request(i)),
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
fn plain_replicas(
    metric: &MetricSpec,
    values: &[Option<i64>],
    cpu_gating: bool,
    target: i64,
    ctx: &MetricContext<'_>,
) -> MetricProposal {
    let (pods, now, config, tol, current) = (
        ctx.pods,
        ctx.now,
        ctx.config,
        ctx.tolerances,
        ctx.spec_replicas,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilization_is_truncated_before_dividing() {
        // 990 m over 4000 m: 24 %, not 24.75 % (§1.3.1).
        let (ratio, util, _) = utilization_ratio(&[(990, 4000)], 50).unwrap();
        assert_eq!(util, 24);
        assert_eq!(ratio, 0.48);
    }
}
