//! `Object` and `External` metrics (`replica_calculator.go`, §1.3, §1.3.2): one value for
//! the whole target (not per pod), against a `Value` target (`getUsageRatioReplicaCount`:
//! the ratio times the Running and Ready pods, or `ceil(ratio)` from zero replicas) or an
//! `AverageValue` target (the value over the target times the scale's status replicas).

use crate::autoscale::hpa::observation::PodPhase;
use crate::autoscale::hpa::replica_calculator::{MetricContext, MetricProposal, ceil_to_u32};
use crate::autoscale::hpa::spec::{MetricSpec, ValueTarget};

fn proposal(
    metric: &MetricSpec,
    replicas: u32,
    average: Option<i64>,
    ratio: f64,
) -> MetricProposal {
    MetricProposal {
        metric: metric.describe(),
        replicas: Some(replicas),
        utilization: None,
        average_value: average,
        usage_ratio: Some(ratio),
        adjusted_usage_ratio: None,
        ready_pods: 0,
        unready_pods: 0,
        missing_pods: 0,
        ignored_pods: 0,
        error: None,
    }
}

/// `GetObjectMetricReplicas` / `GetObjectPerPodMetricReplicas` and their External twins.
/// `usage` is the metric's value in milli-units (External: the sum of its samples).
pub(super) fn value_replicas(
    metric: &MetricSpec,
    target: ValueTarget,
    usage: Option<i64>,
    ctx: &MetricContext<'_>,
) -> MetricProposal {
    let name = match metric {
        MetricSpec::Object { name, .. } | MetricSpec::External { name, .. } => name.as_str(),
        _ => "",
    };
    let Some(usage) = usage else {
        let api = if matches!(metric, MetricSpec::External { .. }) {
            "external"
        } else {
            "custom"
        };
        return MetricProposal::failed(
            metric,
            format!("unable to get metric {name}: no value returned from the {api} metrics API"),
        );
    };
    let tol = ctx.tolerances;
    match target {
        ValueTarget::Value(t) => {
            let ratio = usage as f64 / t as f64;
            let replicas = if ctx.spec_replicas == 0 {
                // Scale up from zero: no tolerance, no pods to count.
                ceil_to_u32(ratio)
            } else if tol.is_within(ratio) {
                ctx.spec_replicas
            } else {
                if ctx.pods.is_empty() {
                    return MetricProposal::failed(
                        metric,
                        "unable to calculate ready pods: no pods returned by selector while calculating replica count",
                    );
                }
                // getReadyPodsCount: Running and Ready, terminating or not.
                let ready = ctx
                    .pods
                    .iter()
                    .filter(|p| p.phase == PodPhase::Running && p.ready)
                    .count();
                ceil_to_u32(ratio * ready as f64)
            };
            proposal(metric, replicas, Some(usage), ratio)
        }
        ValueTarget::AverageValue(t) => {
            let status = ctx.status_replicas;
            let ratio = usage as f64 / (t as f64 * status as f64);
            let replicas = if tol.is_within(ratio) {
                status
            } else {
                ceil_to_u32(usage as f64 / t as f64)
            };
            // The status reports the value per status replica, rounded up.
            let average = (status > 0).then(|| {
                let a = (usage as f64 / status as f64).ceil();
                if a >= i64::MAX as f64 {
                    i64::MAX
                } else {
                    a as i64
                }
            });
            proposal(metric, replicas, average, ratio)
        }
    }
}
