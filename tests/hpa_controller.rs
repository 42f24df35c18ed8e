//! The HPA controller against the Kubernetes controller's own unit tests
//! (`pkg/controller/podautoscaler/horizontal_test.go` and `replica_calculator_test.go`),
//! ported case by case with the tests' flags: tolerance 0.1, cpu initialization period 2 m,
//! initial readiness delay 10 s, metric window 1 m, downscale stabilization 5 m, and
//! `scaleUpLimitFactor = 8` in the full-controller tests. Vector names from
//! `reference/semantics.md` (ctl-01, rc-06, ...) are noted where the reference cites them.
//!
//! Differences of harness, not of rules: Kubernetes' "zero" start time is t = 0 here with
//! the clock at four hours; pods in `horizontal_test.go` have their Ready transition at their
//! start time, and so do ported `replica_calculator_test.go` pods (whose two containers are
//! folded into pod-level requests and usage, so the raw averages match theirs).

#![allow(clippy::type_complexity)]

use capsim::autoscale::hpa::*;
use capsim::autoscale::k8s::parse_hpas;
use capsim::error::LoadError;
use capsim::model::load::{hpa_dry_run as dry_run, load_hpas};
use capsim::spec::k8s::parse_quantity;
use capsim::time::{NANOS_PER_SEC as S, Nanos};
use std::path::PathBuf;

const NOW: Nanos = 4 * 3600 * S;
const MIN: Nanos = 60 * S;

fn cfg() -> ControllerConfig {
    ControllerConfig {
        tolerance: 0.1,
        cpu_initialization_period: 2 * MIN,
        initial_readiness_delay: 10 * S,
        downscale_stabilization: 5 * MIN,
        metric_window: MIN,
        scale_up_limit_factor: 8.0,
        ..ControllerConfig::default()
    }
}

fn hot() -> Nanos {
    NOW
}
fn cool() -> Nanos {
    NOW - 3 * MIN
}

/// Pods as `horizontal_test.go` builds them: requests in millicores, cpu levels for the
/// first `levels.len()` pods, Ready since the start time (t = 0).
fn pods(requests: &[i64], levels: &[i64]) -> Vec<PodObservation> {
    requests
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            PodObservation::running(
                format!("test-pod-{i}"),
                0,
                ResourceSample::new(r, levels.get(i).copied()),
            )
        })
        .collect()
}

fn unready(mut p: Vec<PodObservation>, readiness: &[bool]) -> Vec<PodObservation> {
    for (pod, &r) in p.iter_mut().zip(readiness) {
        pod.ready = r;
    }
    p
}

fn started(mut p: Vec<PodObservation>, starts: &[Nanos]) -> Vec<PodObservation> {
    for (pod, &s) in p.iter_mut().zip(starts) {
        pod.start_time = Some(s);
        pod.ready_transition = s;
    }
    p
}

fn phases(mut p: Vec<PodObservation>, ph: &[PodPhase]) -> Vec<PodObservation> {
    for (pod, &x) in p.iter_mut().zip(ph) {
        pod.phase = x;
    }
    p
}

fn deleting(mut p: Vec<PodObservation>, d: &[bool]) -> Vec<PodObservation> {
    for (pod, &x) in p.iter_mut().zip(d) {
        pod.deleting = x;
    }
    p
}

/// Adds a custom per-pod metric `qps` (milli-units) to the first `levels.len()` pods.
fn qps(mut p: Vec<PodObservation>, levels: &[i64]) -> Vec<PodObservation> {
    for (pod, &l) in p.iter_mut().zip(levels) {
        pod.custom.insert("qps".into(), l);
    }
    p
}

fn ones(n: usize) -> Vec<i64> {
    vec![1000; n]
}

fn cpu(target: i32) -> MetricSpec {
    MetricSpec::Resource {
        resource: ResourceName::Cpu,
        target: ResourceTarget::Utilization(target),
    }
}

fn qps_metric(target_milli: i64) -> MetricSpec {
    MetricSpec::Pods {
        name: "qps".into(),
        average_value: target_milli,
    }
}

/// A metric that always fails (no pod reports it): stands in for the tests' invalid
/// `CheddarCheese` source type and failing External metrics.
fn broken() -> MetricSpec {
    MetricSpec::Pods {
        name: "no-such-metric".into(),
        average_value: 1000,
    }
}

fn empty_history() -> HpaState {
    HpaState::with_recommendations(vec![])
}

fn run(hpa: &Hpa, state: &mut HpaState, current: u32, pods: &[PodObservation]) -> Reconcile {
    reconcile(hpa, state, NOW, current, pods, &cfg())
}

fn reasons(r: &Reconcile) -> Vec<(ConditionType, bool, String)> {
    r.conditions
        .iter()
        .map(|c| (c.kind, c.status, c.reason.clone()))
        .collect()
}

/// `statusOkWithOverrides`: SucceededRescale / ValidMetricFound / DesiredWithinRange with
/// overrides for AbleToScale and ScalingLimited.
fn status_ok(able: &str, limited: Option<&str>) -> Vec<(ConditionType, bool, String)> {
    let (lim_status, lim_reason) = match limited {
        None => (false, "DesiredWithinRange".to_string()),
        Some(r) => (true, r.to_string()),
    };
    vec![
        (ConditionType::AbleToScale, true, able.to_string()),
        (
            ConditionType::ScalingActive,
            true,
            "ValidMetricFound".into(),
        ),
        (ConditionType::ScalingLimited, lim_status, lim_reason),
    ]
}

fn failed(reason: &str) -> Vec<(ConditionType, bool, String)> {
    vec![
        (ConditionType::AbleToScale, true, "SucceededGetScale".into()),
        (ConditionType::ScalingActive, false, reason.into()),
    ]
}

// =========================================================================================
// horizontal_test.go: full reconciles
// =========================================================================================

#[test]
fn test_scale_up_ctl_01() {
    // TestScaleUp: ceil((50/30) * 3) == 5 in doubles.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&ones(3), &[300, 500, 700]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert!(r.changed);
    assert_eq!(r.proposals[0].utilization, Some(50));
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
}

#[test]
fn test_scale_up_unready_less_scale() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = unready(pods(&ones(3), &[300, 500, 700]), &[false, true, true]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.proposals[0].utilization, Some(60));
}

#[test]
fn test_scale_up_hot_cpu_less_scale() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = started(pods(&ones(3), &[300, 500, 700]), &[hot(), cool(), cool()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.proposals[0].utilization, Some(60));
}

#[test]
fn test_scale_up_unready_no_scale() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = unready(pods(&ones(3), &[400, 500, 700]), &[true, false, false]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 3);
    assert!(!r.changed);
    assert_eq!(r.proposals[0].utilization, Some(40));
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_scale_up_hot_cpu_no_scale() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = unready(pods(&ones(3), &[400, 500, 700]), &[true, false, false]);
    let p = started(p, &[cool(), hot(), hot()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_scale_up_ignores_failed_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = unready(pods(&ones(4), &[500, 700]), &[true, true, false, false]);
    let p = phases(
        p,
        &[
            PodPhase::Running,
            PodPhase::Running,
            PodPhase::Failed,
            PodPhase::Failed,
        ],
    );
    let r = run(&hpa, &mut HpaState::new(), 2, &p);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.proposals[0].utilization, Some(60));
    assert_eq!(r.proposals[0].ignored_pods, 2);
}

#[test]
fn test_scale_up_ignores_deletion_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30)]);
    let p = unready(pods(&ones(4), &[500, 700]), &[true, true, false, false]);
    let p = deleting(p, &[false, false, true, true]);
    let r = run(&hpa, &mut HpaState::new(), 2, &p);
    assert_eq!(r.desired_replicas, 4);
}

#[test]
fn test_scale_up_cm() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![qps_metric(15000)]);
    let p = qps(pods(&ones(3), &[]), &[20000, 10000, 30000]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.proposals[0].average_value, Some(20000));
}

#[test]
fn test_scale_up_cm_unready_and_hot_cpu_no_less_scale() {
    // Readiness is not checked for custom metrics (§1.4).
    let hpa = Hpa::new("test-hpa", 2, 6, vec![qps_metric(15000)]);
    let p = qps(pods(&ones(3), &[]), &[50000, 10000, 30000]);
    let p = started(unready(p, &[true, true, false]), &[cool(), cool(), hot()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 6);
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
}

#[test]
fn test_scale_up_cm_unready_and_cpu_hot() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![qps_metric(15000)]);
    let p = qps(pods(&ones(3), &[]), &[50000, 15000, 30000]);
    let p = started(unready(p, &[false, true, false]), &[hot(), cool(), hot()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 6);
    assert_eq!(r.metric_desired_replicas, Some(7));
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_scale_up_hot_cpu_no_scale_would_scale_down() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![qps_metric(15000)]);
    let p = qps(pods(&ones(3), &[]), &[50000, 15000, 30000]);
    let p = started(p, &[hot(), cool(), hot()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 6);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_scale_down() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let r = run(
        &hpa,
        &mut empty_history(),
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(r.proposals[0].utilization, Some(28));
}

#[test]
fn test_scale_down_with_scaling_rules() {
    // generateScalingRules(0, 0, 100, 15, 30) for scale-up; scale-down defaulted.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]).with_behavior(Behavior {
        scale_up: rules(0, 0, 100, 15, 30),
        scale_down: ScalingRules::default_scale_down(),
    });
    let r = run(
        &hpa,
        &mut empty_history(),
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
}

#[test]
fn test_scale_up_one_metric_invalid_and_one_metric_empty() {
    // TestScaleUpOneMetricInvalid / TestScaleUpOneMetricEmpty: scale-up still happens.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30), broken()]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&ones(3), &[300, 400, 500]),
    );
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
    assert!(r.proposals[1].error.is_some());
}

#[test]
fn test_scale_up_from_zero_one_metric_invalid() {
    let hpa = Hpa::new("test-hpa", 0, 6, vec![cpu(30), broken()]);
    let r = run(
        &hpa,
        &mut empty_history(),
        0,
        &pods(&ones(3), &[300, 400, 500]),
    );
    assert_eq!(r.desired_replicas, 4);
}

#[test]
fn test_scale_up_both_metrics_empty() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![broken()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &pods(&ones(3), &[]));
    assert_eq!(r.desired_replicas, 3);
    assert!(!r.changed);
    assert_eq!(reasons(&r), failed("FailedGetPodsMetric"));
}

#[test]
fn test_scale_down_stabilize_initial_size_ctl_03() {
    // No history: the first reconcile records the current size, which holds scale-down.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let mut st = HpaState::new();
    let r = run(
        &hpa,
        &mut st,
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(r.metric_desired_replicas, Some(3));
    assert_eq!(reasons(&r), status_ok("ScaleDownStabilized", None));
    // Five minutes later (exactly the window: still counted, §1.8 uses <=) and just after.
    let r = reconcile(
        &hpa,
        &mut st,
        NOW + 5 * MIN,
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
        &cfg(),
    );
    assert_eq!(r.desired_replicas, 5);
    let r = reconcile(
        &hpa,
        &mut st,
        NOW + 5 * MIN + 1,
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
        &cfg(),
    );
    assert_eq!(r.desired_replicas, 3);
}

#[test]
fn test_scale_down_cm() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![qps_metric(20000)]);
    let p = qps(pods(&ones(5), &[]), &[12000; 5]);
    let r = run(&hpa, &mut empty_history(), 5, &p);
    assert_eq!(r.desired_replicas, 3);
}

#[test]
fn test_scale_down_include_unready_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let p = unready(
        pods(&ones(5), &[100, 300, 500, 250, 250]),
        &[true, true, true, false, false],
    );
    let r = run(&hpa, &mut empty_history(), 5, &p);
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(r.proposals[0].utilization, Some(30));
}

#[test]
fn test_scale_down_ignore_hot_cpu_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let p = started(
        pods(&ones(5), &[100, 300, 500, 250, 250]),
        &[cool(), cool(), cool(), hot(), hot()],
    );
    let r = run(&hpa, &mut empty_history(), 5, &p);
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(r.proposals[0].utilization, Some(30));
}

#[test]
fn test_scale_down_ignores_failed_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let p = unready(
        pods(&ones(7), &[100, 300, 500, 250, 250]),
        &[true, true, true, true, true, false, false],
    );
    let mut ph = vec![PodPhase::Running; 5];
    ph.extend([PodPhase::Failed; 2]);
    let r = run(&hpa, &mut empty_history(), 5, &phases(p, &ph));
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(r.proposals[0].utilization, Some(28));
}

#[test]
fn test_scale_down_ignores_deletion_pods() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50)]);
    let p = unready(
        pods(&ones(7), &[100, 300, 500, 250, 250]),
        &[true, true, true, true, true, false, false],
    );
    let p = deleting(p, &[false, false, false, false, false, true, true]);
    let r = run(&hpa, &mut empty_history(), 5, &p);
    assert_eq!(r.desired_replicas, 3);
}

#[test]
fn test_tolerance() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(100)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&[900, 1000, 1100], &[1010, 1030, 1020]),
    );
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_tolerance_cm() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![qps_metric(20000)]);
    let p = qps(pods(&[900, 1000, 1100], &[]), &[20000, 20001, 21000]);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_min_replicas() {
    let hpa = Hpa::new("test-hpa", 2, 5, vec![cpu(90)]);
    let r = run(
        &hpa,
        &mut empty_history(),
        3,
        &pods(&[900, 1000, 1100], &[10, 95, 10]),
    );
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooFewReplicas"))
    );
}

#[test]
fn test_zero_min_replicas_desired_zero() {
    let hpa = Hpa::new("test-hpa", 0, 5, vec![cpu(90)]);
    let r = run(
        &hpa,
        &mut empty_history(),
        3,
        &pods(&[900, 1000, 1100], &[0, 0, 0]),
    );
    assert_eq!(r.desired_replicas, 0);
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
}

#[test]
fn test_min_replicas_desired_zero() {
    let hpa = Hpa::new("test-hpa", 2, 5, vec![cpu(90)]);
    let r = run(
        &hpa,
        &mut empty_history(),
        3,
        &pods(&[900, 1000, 1100], &[0, 0, 0]),
    );
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooFewReplicas"))
    );
}

#[test]
fn test_zero_replicas_scaling_disabled() {
    let hpa = Hpa::new("test-hpa", 3, 5, vec![cpu(90)]);
    let r = run(&hpa, &mut HpaState::new(), 0, &[]);
    assert_eq!(r.desired_replicas, 0);
    assert!(!r.changed);
    assert_eq!(reasons(&r), failed("ScalingDisabled"));
}

#[test]
fn test_too_few_replicas() {
    let hpa = Hpa::new("test-hpa", 3, 5, vec![cpu(90)]);
    let r = run(&hpa, &mut HpaState::new(), 2, &[]);
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(
        reasons(&r),
        vec![(ConditionType::AbleToScale, true, "SucceededRescale".into())]
    );
}

#[test]
fn test_too_many_replicas() {
    let hpa = Hpa::new("test-hpa", 3, 5, vec![cpu(90)]);
    let r = run(&hpa, &mut HpaState::new(), 10, &[]);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        reasons(&r),
        vec![(ConditionType::AbleToScale, true, "SucceededRescale".into())]
    );
}

#[test]
fn test_max_replicas() {
    let hpa = Hpa::new("test-hpa", 2, 5, vec![cpu(90)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&[900, 1000, 1100], &[8000, 9500, 1000]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_superfluous_metrics() {
    // Metrics for pods the selector does not list are ignored; capsim attaches samples to
    // pods, so only the four listed pods appear: 587 % of target 100 -> 24 -> max 6.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(100)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        4,
        &pods(&ones(4), &[4000, 9500, 3000, 7000]),
    );
    assert_eq!(r.desired_replicas, 6);
    assert_eq!(r.metric_desired_replicas, Some(24));
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_missing_metrics() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(100)]);
    let r = run(&hpa, &mut empty_history(), 4, &pods(&ones(4), &[400, 95]));
    assert_eq!(r.desired_replicas, 3);
}

#[test]
fn test_empty_metrics() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(100)]);
    let r = run(&hpa, &mut HpaState::new(), 4, &pods(&ones(4), &[]));
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(reasons(&r), failed("FailedGetResourceMetric"));
}

#[test]
fn test_empty_cpu_request() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(100)]);
    let mut p = pods(&[0], &[200]);
    p[0].cpu.request = None;
    let r = run(&hpa, &mut HpaState::new(), 1, &p);
    assert_eq!(r.desired_replicas, 1);
    assert_eq!(reasons(&r), failed("FailedGetResourceMetric"));
    let msg = &r.proposals[0].error.as_ref().unwrap().message;
    assert!(msg.contains("missing request for cpu"), "{msg}");
}

#[test]
fn test_event_created() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(50)]);
    let r = run(&hpa, &mut HpaState::new(), 1, &pods(&[200], &[200]));
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(
        r.rescale_reason.as_deref(),
        Some("cpu resource utilization (percentage of request) above target")
    );
}

#[test]
fn test_event_not_created() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(50)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        2,
        &pods(&[400, 400], &[200, 200]),
    );
    assert_eq!(r.desired_replicas, 2);
    assert!(!r.changed);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_missing_reports() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(50)]);
    let r = run(&hpa, &mut empty_history(), 4, &pods(&[200], &[200]));
    assert_eq!(r.desired_replicas, 2);
}

#[test]
fn test_upscale_cap() {
    let hpa = Hpa::new("test-hpa", 1, 100, vec![cpu(10)]).with_behavior(Behavior {
        scale_up: rules(0, 0, 700, 60, 0),
        scale_down: ScalingRules::default_scale_down(),
    });
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&[100, 100, 100], &[100, 200, 300]),
    );
    assert_eq!(r.desired_replicas, 24);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("ScaleUpLimit"))
    );
}

#[test]
fn test_upscale_cap_greater_than_max_replicas() {
    let hpa = Hpa::new("test-hpa", 1, 20, vec![cpu(10)]).with_behavior(Behavior {
        scale_up: rules(0, 0, 700, 60, 0),
        scale_down: ScalingRules::default_scale_down(),
    });
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&[100, 100, 100], &[100, 200, 300]),
    );
    assert_eq!(r.desired_replicas, 20);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_more_replicas_than_spec_no_scale_ctl_09() {
    // Rollout surge: 5 pods, spec 4, on target -> the proposal is spec replicas.
    let hpa = Hpa::new("test-hpa", 1, 8, vec![cpu(50)]);
    let r = run(&hpa, &mut HpaState::new(), 4, &pods(&ones(5), &[500; 5]));
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_condition_failed_get_metrics() {
    for (metric, reason) in [
        (cpu(10), "FailedGetResourceMetric"),
        (qps_metric(15000), "FailedGetPodsMetric"),
    ] {
        let hpa = Hpa::new("test-hpa", 1, 100, vec![metric]);
        let r = run(&hpa, &mut HpaState::new(), 3, &pods(&[100, 100, 100], &[]));
        assert_eq!(r.desired_replicas, 3);
        assert_eq!(reasons(&r), failed(reason));
    }
}

#[test]
fn test_no_backoff_upscale_cm() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![qps_metric(15000)]);
    let mut st = HpaState::new();
    st.last_scale_time = Some(NOW);
    let p = qps(pods(&ones(3), &[]), &[20000, 10000, 30000]);
    let r = run(&hpa, &mut st, 3, &p);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(reasons(&r), status_ok("SucceededRescale", None));
}

#[test]
fn test_no_backoff_upscale_cm_no_backoff_cpu() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(10), qps_metric(15000)]);
    let levels = [20000, 10000, 30000];
    let p = qps(pods(&ones(3), &levels), &levels);
    let r = run(&hpa, &mut HpaState::new(), 3, &p);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        reasons(&r),
        status_ok("SucceededRescale", Some("TooManyReplicas"))
    );
}

#[test]
fn test_stabilize_downscale() {
    let hpa = Hpa::new("test-hpa", 1, 5, vec![cpu(100)]);
    let mut st = HpaState::with_recommendations(vec![
        Recommendation {
            replicas: 10,
            timestamp: NOW - 10 * MIN,
        },
        Recommendation {
            replicas: 4,
            timestamp: NOW - MIN,
        },
    ]);
    let r = run(&hpa, &mut st, 4, &pods(&[100, 100, 100], &[50, 50, 50]));
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(reasons(&r), status_ok("ScaleDownStabilized", None));
}

#[test]
fn test_computed_tolerance_alg_implementation() {
    // 10 pods at 150 m, requests summing to 3000 m (50 % utilization).
    let requests = [400, 200, 310, 290, 302, 298, 301, 299, 300, 300];
    let requested_to_used = 2.0;
    let target = (1.0f64 / (requested_to_used * (1.0 - 0.1))).abs() + 0.01;
    let final_target = (target * 100.0) as i32;
    let used_ratio = 1500.0 / (3000.0 * target);
    let final_pods = (used_ratio * 10.0).ceil() as u32;
    assert_eq!((final_target, final_pods), (56, 9));
    let hpa = Hpa::new("test-hpa", 0, 1000, vec![cpu(final_target)]);
    let r = run(&hpa, &mut empty_history(), 10, &pods(&requests, &[150; 10]));
    assert_eq!(r.desired_replicas, final_pods);
    // Just inside the tolerance: no change.
    let target = (1.0f64 / (requested_to_used * (1.0 - 0.1))).abs() + 0.004;
    let hpa = Hpa::new("test-hpa", 0, 1000, vec![cpu((target * 100.0) as i32)]);
    let r = run(&hpa, &mut empty_history(), 10, &pods(&requests, &[150; 10]));
    assert_eq!(r.desired_replicas, 10);
    assert_eq!(reasons(&r), status_ok("ReadyForNewScale", None));
}

#[test]
fn test_scale_up_rc_immediately() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(80)]);
    let r = run(&hpa, &mut HpaState::new(), 1, &pods(&ones(4), &[0; 4]));
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(
        reasons(&r),
        vec![(ConditionType::AbleToScale, true, "SucceededRescale".into())]
    );
    assert!(r.proposals.is_empty());
}

#[test]
fn test_scale_down_rc_immediately() {
    let hpa = Hpa::new("test-hpa", 2, 5, vec![cpu(50)]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        6,
        &pods(&[900, 1000, 1100], &[8000, 9500, 1000]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        reasons(&r),
        vec![(ConditionType::AbleToScale, true, "SucceededRescale".into())]
    );
}

#[test]
fn test_avoid_unnecessary_updates() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(80)]);
    let p = started(pods(&ones(3), &[400, 500, 700]), &[cool(), hot(), hot()]);
    let r = run(&hpa, &mut empty_history(), 2, &p);
    assert_eq!(r.desired_replicas, 2);
    assert!(!r.changed);
    assert_eq!(
        reasons(&r),
        status_ok("ReadyForNewScale", Some("TooFewReplicas"))
    );
}

#[test]
fn test_no_scale_down_one_metric_invalid_ctl_08() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50), broken()]);
    let r = run(
        &hpa,
        &mut empty_history(),
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert!(!r.changed);
    assert_eq!(r.proposals[0].replicas, Some(3));
    assert_eq!(reasons(&r), failed("FailedGetPodsMetric"));
}

#[test]
fn test_no_scale_down_one_metric_empty() {
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50), qps_metric(1000)]);
    let r = run(
        &hpa,
        &mut empty_history(),
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(reasons(&r), failed("FailedGetPodsMetric"));
}

// -- TestConvertDesiredReplicasWithRules --------------------------------------------------

#[test]
fn test_convert_desired_replicas_with_rules() {
    let c = cfg();
    let cases = [
        (5, 7, 3, 8, 7, "DesiredWithinRange"),
        (3, 1, 2, 8, 2, "TooFewReplicas"),
        (1, 0, 0, 10, 0, "DesiredWithinRange"),
        (20, 1000, 1, 10, 10, "TooManyReplicas"),
        (3, 1000, 1, 2000, 24, "ScaleUpLimit"), // calculateScaleUpLimit(3) with factor 8
    ];
    for (cur, des, min, max, want, reason) in cases {
        assert_eq!(
            convert_with_rules(cur, des, min, max, &c),
            (want, reason),
            "{cur} {des} {min} {max}"
        );
    }
    // The production factor 2: max(2 * 3, 4) = 6; max(2 * 1, 4) = 4.
    let prod = ControllerConfig::default();
    assert_eq!(
        convert_with_rules(3, 1000, 1, 2000, &prod),
        (6, "ScaleUpLimit")
    );
    assert_eq!(
        convert_with_rules(1, 1000, 1, 2000, &prod),
        (4, "ScaleUpLimit")
    );
}

// -- TestCalculateScaleUp/DownLimit... ----------------------------------------------------

fn rules(
    pods: u32,
    pods_period: u32,
    percent: u32,
    percent_period: u32,
    window: u32,
) -> ScalingRules {
    // generateScalingRules
    let mut policies = Vec::new();
    if pods != 0 {
        policies.push(ScalingPolicy::pods(pods, pods_period));
    }
    if percent != 0 {
        policies.push(ScalingPolicy::percent(percent, percent_period));
    }
    ScalingRules {
        stabilization_window_seconds: Some(window),
        select_policy: SelectPolicy::Max,
        policies,
        tolerance: None,
    }
}

#[test]
fn test_calculate_scale_up_limit_with_scaling_rules() {
    let mut r = rules(2, 60, 50, 60, 300);
    r.select_policy = SelectPolicy::Min;
    assert_eq!(scale_up_limit(1, &[], &[], &r, NOW), 2);
}

#[test]
fn test_calculate_scale_down_limit_with_behaviors() {
    let mut r = rules(2, 60, 50, 60, 300);
    r.select_policy = SelectPolicy::Min;
    assert_eq!(scale_down_limit(5, &[], &[], &r, NOW), 3);
}

#[test]
fn disabled_select_policy_freezes_the_direction() {
    let mut r = rules(2, 60, 50, 60, 300);
    r.select_policy = SelectPolicy::Disabled;
    assert_eq!(scale_up_limit(5, &[], &[], &r, NOW), 5);
    assert_eq!(scale_down_limit(5, &[], &[], &r, NOW), 5);
}

// -- TestNormalizeDesiredReplicas (legacy stabilization) ----------------------------------

fn recs(list: &[(u32, Nanos)]) -> Vec<Recommendation> {
    list.iter()
        .map(|&(replicas, ago)| Recommendation {
            replicas,
            timestamp: NOW - ago,
        })
        .collect()
}

#[test]
fn test_normalize_desired_replicas() {
    let cases: Vec<(&str, Vec<Recommendation>, u32, u32, usize)> = vec![
        ("empty log", recs(&[]), 5, 5, 1),
        ("stabilize", recs(&[(4, 2 * MIN), (5, MIN)]), 3, 5, 3),
        ("no stabilize", recs(&[(1, 2 * MIN), (2, MIN)]), 3, 3, 3),
        (
            "no stabilize - old recommendations",
            recs(&[(10, 10 * MIN), (9, 9 * MIN)]),
            3,
            3,
            2,
        ),
        (
            "stabilize - old recommendations",
            recs(&[(10, 10 * MIN), (4, MIN), (5, 2 * MIN), (9, 9 * MIN)]),
            3,
            5,
            4,
        ),
    ];
    for (name, mut log, desired, want, len) in cases {
        assert_eq!(
            stabilize_legacy(&mut log, desired, NOW, 5 * MIN),
            want,
            "{name}"
        );
        assert_eq!(log.len(), len, "{name}");
    }
}

// -- TestScalingWithRules -----------------------------------------------------------------

/// generateEventsUniformDistribution: events spread over the last `period` seconds, each at
/// the middle of its segment, the offset truncated to whole seconds as the Go code does.
fn uniform_events(raw: &[u32], period: u32) -> Vec<ScaleEvent> {
    let seg = period as f64 / raw.len() as f64;
    raw.iter()
        .enumerate()
        .map(|(i, &c)| {
            let ago = (period as f64 - seg * (i + 1) as f64 + seg / 2.0) as u64;
            ScaleEvent::new(c, NOW - ago * S)
        })
        .collect()
}

struct RuleCase {
    name: &'static str,
    up_events: Vec<ScaleEvent>,
    down_events: Vec<ScaleEvent>,
    min: u32,
    max: u32,
    up: Option<ScalingRules>,
    down: Option<ScalingRules>,
    current: u32,
    desired: u32,
    want: u32,
    reason: &'static str,
}

fn rc(
    name: &'static str,
    min: u32,
    max: u32,
    current: u32,
    desired: u32,
    want: u32,
    reason: &'static str,
) -> RuleCase {
    RuleCase {
        name,
        up_events: vec![],
        down_events: vec![],
        min,
        max,
        up: None,
        down: None,
        current,
        desired,
        want,
        reason,
    }
}

impl RuleCase {
    fn up(mut self, r: ScalingRules) -> Self {
        self.up = Some(r);
        self
    }
    fn down(mut self, r: ScalingRules) -> Self {
        self.down = Some(r);
        self
    }
    fn up_events(mut self, e: Vec<ScaleEvent>) -> Self {
        self.up_events = e;
        self
    }
    fn down_events(mut self, e: Vec<ScaleEvent>) -> Self {
        self.down_events = e;
        self
    }
}

#[test]
fn test_scaling_with_rules() {
    let u = uniform_events;
    let cases = vec![
        rc("within range", 3, 8, 5, 7, 7, "DesiredWithinRange"),
        rc("< minReplicas", 2, 8, 3, 1, 2, "TooFewReplicas"),
        rc(
            "within range when min 0",
            0,
            10,
            1,
            0,
            0,
            "DesiredWithinRange",
        ),
        rc(
            "maxReplicas < scaleUpLimit",
            1,
            10,
            20,
            1000,
            10,
            "TooManyReplicas",
        ),
        rc(
            "more than maximum",
            100,
            150,
            100,
            1000,
            150,
            "TooManyReplicas",
        ),
        rc(
            "scaleUpLimit user policies",
            1,
            2000,
            3,
            1000,
            4,
            "ScaleUpLimit",
        )
        .up(rules(0, 0, 1, 60, 0)),
        rc(
            "scaleDownLimit user policies",
            3,
            2000,
            1000,
            3,
            980,
            "ScaleDownLimit",
        )
        .down(rules(20, 60, 0, 0, 0)),
        // rate-01: default behavior caps 10 -> 50 at 20.
        rc(
            "scaleUp with default behavior",
            1,
            1000,
            10,
            50,
            20,
            "ScaleUpLimit",
        ),
        rc("pods policy larger", 1, 1000, 10, 500, 110, "ScaleUpLimit")
            .up(rules(100, 60, 100, 60, 0)),
        rc(
            "percent policy larger",
            1,
            1000,
            10,
            500,
            20,
            "ScaleUpLimit",
        )
        .up(rules(2, 60, 100, 60, 0)),
        rc(
            "max with large pod policy",
            1,
            1000,
            10,
            50,
            50,
            "DesiredWithinRange",
        )
        .up(rules(100, 60, 0, 0, 0)),
        rc(
            "max with large percent policy",
            1,
            1000,
            10,
            50,
            50,
            "DesiredWithinRange",
        )
        .up(rules(10000, 60, 0, 0, 0)),
        rc("pod policy limitation", 1, 1000, 10, 50, 40, "ScaleUpLimit").up(rules(30, 60, 0, 0, 0)),
        rc(
            "percent policy limitation",
            1,
            1000,
            10,
            50,
            30,
            "ScaleUpLimit",
        )
        .up(rules(0, 0, 200, 60, 0)),
        rc("down percent larger", 1, 1000, 100, 2, 80, "ScaleDownLimit")
            .down(rules(20, 60, 1, 60, 300)),
        rc("down pod larger", 1, 1000, 100, 2, 98, "ScaleDownLimit").down(rules(2, 60, 1, 60, 300)),
        rc(
            "down min=nil large pod",
            1,
            1000,
            10,
            0,
            1,
            "TooFewReplicas",
        )
        .down(rules(100, 60, 0, 0, 300)),
        rc("down min large pod", 1, 1000, 10, 0, 1, "TooFewReplicas")
            .down(rules(100, 60, 0, 0, 300)),
        rc(
            "down min large percent",
            5,
            1000,
            10,
            2,
            5,
            "TooFewReplicas",
        )
        .down(rules(0, 0, 100, 60, 300)),
        rc("down pod limitation", 1, 1000, 10, 2, 5, "ScaleDownLimit")
            .down(rules(5, 60, 0, 0, 300)),
        rc(
            "down percent limitation",
            1,
            1000,
            10,
            5,
            5,
            "DesiredWithinRange",
        )
        .down(rules(0, 0, 50, 60, 300)),
        rc(
            "up max large pod + events",
            1,
            200,
            100,
            500,
            200,
            "TooManyReplicas",
        )
        .up(rules(300, 60, 0, 0, 0))
        .up_events(u(&[1, 5, 9], 120)),
        rc(
            "up max large percent + events",
            1,
            200,
            100,
            500,
            200,
            "TooManyReplicas",
        )
        .up(rules(0, 0, 10000, 60, 0))
        .up_events(u(&[1, 5, 9], 120)),
        rc(
            "up current limitation, many events",
            1,
            1000,
            100,
            500,
            100,
            "ScaleUpLimit",
        )
        .up(rules(5, 120, 0, 0, 0))
        .up_events(u(&[1, 5, 9], 120)),
        rc(
            "up pod policy + events",
            1,
            1000,
            100,
            500,
            235,
            "ScaleUpLimit",
        )
        .up(rules(150, 120, 0, 0, 0))
        .up_events(u(&[1, 5, 9], 120)),
        rc(
            "up percent policy + events",
            1,
            1000,
            100,
            500,
            255,
            "ScaleUpLimit",
        )
        .up(rules(0, 0, 200, 120, 0))
        .up_events(u(&[1, 5, 9], 120)),
        // rate-03: 6 - 4 + 2 = 4 -> ceil(4 * 4) = 16.
        rc(
            "up percent + up and down events",
            1,
            1000,
            6,
            24,
            16,
            "ScaleUpLimit",
        )
        .up(rules(0, 0, 300, 300, 0))
        .up_events(u(&[4], 120))
        .down_events(u(&[2], 120)),
        rc(
            "down default + events",
            1,
            1000,
            10,
            5,
            5,
            "DesiredWithinRange",
        )
        .down_events(u(&[1, 5, 9], 120)),
        rc(
            "down min=nil large pod + events",
            1,
            1000,
            100,
            0,
            1,
            "TooFewReplicas",
        )
        .down(rules(115, 120, 0, 0, 300))
        .down_events(u(&[1, 5, 9], 120)),
        rc(
            "down min large pod + events",
            5,
            1000,
            100,
            0,
            5,
            "TooFewReplicas",
        )
        .down(rules(130, 120, 0, 0, 300))
        .down_events(u(&[1, 5, 9], 120)),
        rc(
            "down min large percent + events",
            5,
            1000,
            100,
            2,
            5,
            "TooFewReplicas",
        )
        .down(rules(0, 0, 100, 120, 300))
        .down_events(u(&[1, 5, 9], 120)),
        rc(
            "down pod limitation + events",
            1,
            1000,
            100,
            2,
            100,
            "ScaleDownLimit",
        )
        .down(rules(5, 120, 0, 0, 300))
        .down_events(u(&[1, 5, 9], 120)),
        rc(
            "down percent limitation + events",
            1,
            1000,
            100,
            0,
            56,
            "ScaleDownLimit",
        )
        .down(rules(0, 0, 50, 120, 300))
        .down_events(u(&[2, 4, 6], 120)),
        rc(
            "down percent + up and down events",
            1,
            1000,
            10,
            1,
            6,
            "ScaleDownLimit",
        )
        .down(rules(0, 0, 50, 180, 0))
        .up_events(u(&[2], 120))
        .down_events(u(&[4], 120)),
        rc(
            "down events preventing further scale down",
            1,
            1000,
            100,
            0,
            100,
            "ScaleDownLimit",
        )
        .down(rules(0, 0, 10, 120, 300))
        .down_events(u(&[10, 10, 10], 120)),
        rc(
            "down events still allowing more",
            1,
            1000,
            10,
            5,
            5,
            "DesiredWithinRange",
        )
        .down(rules(0, 0, 1000, 120, 300))
        .down_events(u(&[10, 10, 10], 120)),
        rc(
            "outdated flag one behavior up",
            1,
            1000,
            100,
            200,
            200,
            "DesiredWithinRange",
        )
        .up(rules(1000, 60, 0, 0, 0))
        .up_events(u(&[8, 12, 9, 11], 120)),
        rc(
            "not outdated two policies up",
            1,
            1000,
            100,
            200,
            200,
            "DesiredWithinRange",
        )
        .up(rules(1000, 120, 100, 60, 0))
        .up_events(u(&[8, 12, 9, 11], 120)),
        rc(
            "outdated two policies up",
            1,
            1000,
            100,
            200,
            200,
            "DesiredWithinRange",
        )
        .up(rules(1000, 30, 100, 60, 0))
        .up_events(u(&[8, 12, 9, 11], 120)),
        rc(
            "outdated flag one behavior down",
            1,
            1000,
            100,
            5,
            5,
            "DesiredWithinRange",
        )
        .down(rules(1000, 60, 0, 0, 300))
        .down_events(u(&[8, 12, 9, 11], 120)),
        rc(
            "not outdated two policies down",
            1,
            1000,
            100,
            5,
            5,
            "DesiredWithinRange",
        )
        .down(rules(1000, 120, 100, 60, 300))
        .down_events(u(&[8, 12, 9, 11], 120)),
        rc(
            "outdated two policies down",
            1,
            1000,
            100,
            5,
            5,
            "DesiredWithinRange",
        )
        .down(rules(1000, 30, 100, 60, 300))
        .down_events(u(&[8, 12, 9, 11], 120)),
    ];
    assert_eq!(cases.len(), 42);
    for c in cases {
        let behavior = Behavior {
            scale_up: c.up.clone().unwrap_or_else(ScalingRules::default_scale_up),
            scale_down: c
                .down
                .clone()
                .unwrap_or_else(ScalingRules::default_scale_down),
        };
        let state = HpaState {
            scale_up_events: c.up_events.clone(),
            scale_down_events: c.down_events.clone(),
            ..HpaState::default()
        };
        let got =
            convert_with_behavior_rate(c.current, c.desired, c.min, c.max, &behavior, &state, NOW);
        assert_eq!(got, (c.want, c.reason), "{}", c.name);
    }
}

// -- TestStoreScaleEvents -----------------------------------------------------------------

#[test]
fn test_store_scale_events() {
    type Ev = (u32, u64, bool); // change, seconds ago, outdated
    let ev = |list: &[Ev]| -> Vec<ScaleEvent> {
        list.iter()
            .map(|&(c, ago, o)| ScaleEvent {
                change: c,
                timestamp: NOW - ago * S,
                outdated: o,
            })
            .collect()
    };
    let cases: Vec<(
        &str,
        Vec<ScaleEvent>,
        Vec<(u32, bool)>,
        Option<ScalingRules>,
        i64,
    )> = vec![
        ("empty, default behavior", ev(&[]), vec![], None, 0),
        (
            "empty, two-policy behavior",
            ev(&[]),
            vec![(5, false)],
            Some(rules(10, 60, 100, 60, 0)),
            0,
        ),
        (
            "outdated entry untouched without behavior",
            ev(&[(7, 61, false)]),
            vec![(7, false)],
            None,
            0,
        ),
        (
            "outdated entry replaced with behavior",
            ev(&[(7, 61, false)]),
            vec![(5, false)],
            Some(rules(10, 60, 100, 60, 0)),
            0,
        ),
        (
            "actual entry not touched",
            ev(&[(7, 58, false)]),
            vec![(7, false), (5, false)],
            Some(rules(10, 60, 100, 60, 0)),
            7,
        ),
        (
            "two entries, one replaced",
            ev(&[(7, 61, false), (6, 59, false)]),
            vec![(5, false), (6, false)],
            Some(rules(10, 60, 0, 0, 0)),
            6,
        ),
        (
            "replace one entry, policies with different periods",
            ev(&[
                (8, 29, false),
                (6, 59, false),
                (7, 61, false),
                (9, 61, false),
            ]),
            vec![(8, false), (6, false), (7, true), (5, false)],
            Some(rules(10, 60, 100, 30, 0)),
            14,
        ),
        (
            "two entries, both actual",
            ev(&[(7, 58, false), (6, 59, false)]),
            vec![(7, false), (6, false), (5, false)],
            Some(rules(10, 120, 100, 30, 0)),
            13,
        ),
    ];
    for (name, prev, want, r, change) in cases {
        for up in [true, false] {
            let behavior = r.as_ref().map(|r| Behavior {
                scale_up: r.clone(),
                scale_down: r.clone(),
            });
            let mut st = HpaState::default();
            if up {
                st.scale_up_events = prev.clone();
            } else {
                st.scale_down_events = prev.clone();
            }
            let list = |st: &HpaState| {
                if up {
                    st.scale_up_events.clone()
                } else {
                    st.scale_down_events.clone()
                }
            };
            assert_eq!(
                replicas_change_per_period(60, &list(&st), NOW),
                change,
                "{name}"
            );
            let new = if up { 15 } else { 5 };
            store_scale_event(behavior.as_ref(), &mut st, 10, new, NOW);
            let got: Vec<(u32, bool)> = list(&st).iter().map(|e| (e.change, e.outdated)).collect();
            assert_eq!(got, want, "{name} (up: {up})");
        }
    }
}

// -- TestNormalizeDesiredReplicasWithBehavior ---------------------------------------------

#[test]
fn test_normalize_desired_replicas_with_behavior() {
    // (name, history, current, desired, want, stored replicas or empty, up window s, down window s)
    let cases: Vec<(&str, Vec<Recommendation>, u32, u32, u32, Vec<u32>, u64, u64)> = vec![
        ("empty, scaling down", recs(&[]), 100, 5, 5, vec![5], 0, 0),
        (
            "simple scale down stabilization",
            recs(&[(4, 2 * MIN), (5, MIN)]),
            100,
            3,
            5,
            vec![4, 5, 3],
            0,
            180,
        ),
        (
            "simple scale up stabilization",
            recs(&[(4, 2 * MIN), (5, MIN)]),
            1,
            7,
            4,
            vec![4, 5, 7],
            300,
            0,
        ),
        (
            "no scale down stabilization",
            recs(&[(1, 2 * MIN), (2, MIN)]),
            100,
            3,
            3,
            vec![1, 2, 3],
            300,
            0,
        ),
        (
            "no scale up stabilization",
            recs(&[(4, 2 * MIN), (5, MIN)]),
            1,
            3,
            3,
            vec![4, 5, 3],
            0,
            300,
        ),
        (
            "no scale down stabilization, reuse element",
            recs(&[(10, 10 * MIN), (9, 9 * MIN)]),
            100,
            3,
            3,
            vec![10, 3],
            0,
            0,
        ),
        (
            "no scale up stabilization, reuse element",
            recs(&[(10, 10 * MIN), (9, 9 * MIN)]),
            1,
            100,
            100,
            vec![10, 100],
            0,
            0,
        ),
        (
            "scale down stabilization, reuse obsolete element",
            recs(&[(10, 10 * MIN), (4, MIN), (5, 2 * MIN), (9, 9 * MIN)]),
            100,
            3,
            5,
            vec![10, 4, 5, 3],
            0,
            180,
        ),
        (
            "scale up stabilization, reuse obsolete element",
            recs(&[(10, 100 * MIN), (6, MIN), (5, 2 * MIN), (9, 3 * MIN)]),
            1,
            100,
            5,
            vec![100, 6, 5, 9],
            300,
            0,
        ),
        (
            // stab-02: mixed directions hold current.
            "do not scale up when prenormalized rec goes down",
            recs(&[(2, 100 * MIN), (3, 3 * MIN)]),
            2,
            1,
            2,
            vec![],
            300,
            300,
        ),
        (
            "do not scale down when prenormalized rec goes up",
            recs(&[(2, 100 * MIN), (1, 3 * MIN)]),
            2,
            3,
            2,
            vec![],
            300,
            300,
        ),
    ];
    for (name, mut log, cur, desired, want, stored, up_w, down_w) in cases {
        let (got, _) = stabilize_with_behavior(&mut log, cur, desired, up_w * S, down_w * S, NOW);
        assert_eq!(got, want, "{name}");
        if !stored.is_empty() {
            let got: Vec<u32> = log.iter().map(|r| r.replicas).collect();
            assert_eq!(got, stored, "{name}");
        }
    }
}

// =========================================================================================
// replica_calculator_test.go: one metric, no normalization
// =========================================================================================

/// Pods as `replica_calculator_test.go` builds them: two containers each with the request
/// and usage given, folded into pod-level values (2x).
fn rc_pods(requests: &[i64], levels: &[i64]) -> Vec<PodObservation> {
    let r: Vec<i64> = requests.iter().map(|x| 2 * x).collect();
    let l: Vec<i64> = levels.iter().map(|x| 2 * x).collect();
    pods(&r, &l)
}

fn calc(metric: &MetricSpec, current: u32, p: &[PodObservation]) -> MetricProposal {
    compute_proposal(metric, current, p, NOW, &cfg(), Tolerances::both(0.1))
}

fn expect(p: &MetricProposal, replicas: u32, utilization: Option<i32>, raw: i64) {
    assert_eq!(p.error, None);
    assert_eq!(p.replicas, Some(replicas), "{p:?}");
    assert_eq!(p.utilization, utilization, "{p:?}");
    assert_eq!(p.average_value, Some(raw), "{p:?}");
}

#[test]
fn rc_scale_up() {
    expect(
        &calc(&cpu(30), 3, &rc_pods(&ones(3), &[300, 500, 700])),
        5,
        Some(50),
        1000,
    );
}

#[test]
fn rc_scale_up_unready_less_scale() {
    let p = unready(rc_pods(&ones(3), &[300, 500, 700]), &[false, true, true]);
    expect(&calc(&cpu(30), 3, &p), 4, Some(60), 1200);
}

#[test]
fn rc_scale_up_hot_cpu_less_scale() {
    let p = started(
        rc_pods(&ones(3), &[300, 500, 700]),
        &[hot(), cool(), cool()],
    );
    expect(&calc(&cpu(30), 3, &p), 4, Some(60), 1200);
}

#[test]
fn rc_scale_up_unready_no_scale() {
    let p = unready(rc_pods(&ones(3), &[400, 500, 700]), &[true, false, false]);
    expect(&calc(&cpu(30), 3, &p), 3, Some(40), 800);
}

#[test]
fn rc_scale_hot_cpu_no_scale() {
    let p = unready(rc_pods(&ones(3), &[400, 500, 700]), &[true, false, false]);
    let p = started(p, &[cool(), hot(), hot()]);
    expect(&calc(&cpu(30), 3, &p), 3, Some(40), 800);
}

#[test]
fn rc_scale_up_ignores_failed_and_deletion_pods() {
    let p = unready(rc_pods(&ones(4), &[500, 700]), &[true, true, false, false]);
    let f = phases(
        p.clone(),
        &[
            PodPhase::Running,
            PodPhase::Running,
            PodPhase::Failed,
            PodPhase::Failed,
        ],
    );
    expect(&calc(&cpu(30), 2, &f), 4, Some(60), 1200);
    let d = deleting(p, &[false, false, true, true]);
    expect(&calc(&cpu(30), 2, &d), 4, Some(60), 1200);
}

#[test]
fn rc_scale_up_cm() {
    let p = qps(rc_pods(&ones(3), &[]), &[20000, 10000, 30000]);
    let r = calc(&qps_metric(15000), 3, &p);
    assert_eq!((r.replicas, r.average_value), (Some(4), Some(20000)));
}

#[test]
fn rc_scale_up_cm_unready_hot_cpu_no_less_scale() {
    let p = qps(rc_pods(&ones(3), &[]), &[50000, 10000, 30000]);
    let p = started(unready(p, &[true, true, false]), &[cool(), cool(), hot()]);
    let r = calc(&qps_metric(15000), 3, &p);
    assert_eq!((r.replicas, r.average_value), (Some(6), Some(30000)));
}

#[test]
fn rc_scale_up_cm_unready_hot_cpu_scale_would_scale_down_rc_13() {
    let p = qps(rc_pods(&ones(3), &[]), &[50000, 15000, 30000]);
    let p = started(unready(p, &[false, true, false]), &[hot(), cool(), hot()]);
    let r = calc(&qps_metric(15000), 3, &p);
    assert_eq!((r.replicas, r.average_value), (Some(7), Some(31666)));
}

#[test]
fn rc_scale_up_cm_external_as_pod_metric() {
    // TestReplicaCalcScaleUpCMExternal / ...NoLabels use the pod-metric path.
    let p = qps(rc_pods(&ones(1), &[]), &[8600]);
    assert_eq!(calc(&qps_metric(4400), 1, &p).replicas, Some(2));
}

#[test]
fn rc_scale_down() {
    let p = rc_pods(&ones(5), &[100, 300, 500, 250, 250]);
    expect(&calc(&cpu(50), 5, &p), 3, Some(28), 560);
}

#[test]
fn rc_scale_down_cm() {
    let p = qps(rc_pods(&ones(5), &[]), &[12000; 5]);
    assert_eq!(calc(&qps_metric(20000), 5, &p).replicas, Some(3));
}

#[test]
fn rc_scale_down_include_unready_pods_rc_06() {
    let p = unready(
        rc_pods(&ones(5), &[100, 300, 500, 250, 250]),
        &[true, true, true, false, false],
    );
    expect(&calc(&cpu(50), 5, &p), 2, Some(30), 600);
}

#[test]
fn rc_scale_down_exclude_unscheduled_pods() {
    let p = unready(
        rc_pods(&ones(5), &[100]),
        &[true, false, false, false, false],
    );
    let mut ph = vec![PodPhase::Running];
    ph.extend([PodPhase::Pending; 4]);
    expect(&calc(&cpu(50), 5, &phases(p, &ph)), 1, Some(10), 200);
}

#[test]
fn rc_scale_down_ignore_hot_cpu_pods() {
    let p = started(
        rc_pods(&ones(5), &[100, 300, 500, 250, 250]),
        &[cool(), cool(), cool(), hot(), hot()],
    );
    expect(&calc(&cpu(50), 5, &p), 2, Some(30), 600);
}

#[test]
fn rc_scale_down_ignores_failed_and_deletion_pods() {
    let p = unready(
        rc_pods(&ones(7), &[100, 300, 500, 250, 250]),
        &[true, true, true, true, true, false, false],
    );
    let mut ph = vec![PodPhase::Running; 5];
    ph.extend([PodPhase::Failed; 2]);
    expect(
        &calc(&cpu(50), 5, &phases(p.clone(), &ph)),
        3,
        Some(28),
        560,
    );
    let d = deleting(p, &[false, false, false, false, false, true, true]);
    expect(&calc(&cpu(50), 5, &d), 3, Some(28), 560);
}

#[test]
fn rc_tolerance() {
    let p = rc_pods(&[900, 1000, 1100], &[1010, 1030, 1020]);
    expect(&calc(&cpu(100), 3, &p), 3, Some(102), 2040);
}

#[test]
fn rc_tolerance_cm() {
    let p = qps(rc_pods(&ones(3), &[]), &[20000, 21000, 21000]);
    let r = calc(&qps_metric(20000), 3, &p);
    assert_eq!((r.replicas, r.average_value), (Some(3), Some(20666)));
}

#[test]
fn rc_configurable_tolerance_rc_08() {
    // Zero tolerance: a ratio of 1.01 scales 3 -> 4; the default 0.1 does not.
    let p = pods(&ones(3), &[1010; 3]);
    let zero = compute_proposal(&cpu(100), 3, &p, NOW, &cfg(), Tolerances::both(0.0));
    assert_eq!(zero.replicas, Some(4));
    assert_eq!(calc(&cpu(100), 3, &p).replicas, Some(3));
    // Per-direction tolerances from behavior are honoured through reconcile.
    let mut b = Behavior::default();
    b.scale_up.tolerance = Some(0.0);
    let hpa = Hpa::new("t", 1, 10, vec![cpu(100)]).with_behavior(b);
    assert_eq!(run(&hpa, &mut HpaState::new(), 3, &p).desired_replicas, 4);
}

#[test]
fn rc_superfluous_metrics() {
    let p = rc_pods(&ones(4), &[4000, 9500, 3000, 7000]);
    expect(&calc(&cpu(100), 4, &p), 24, Some(587), 11750);
}

#[test]
fn rc_missing_metrics() {
    let p = rc_pods(&ones(4), &[400, 95]);
    expect(&calc(&cpu(100), 4, &p), 3, Some(24), 495);
}

#[test]
fn rc_empty_metrics() {
    let r = calc(&cpu(100), 4, &rc_pods(&ones(3), &[]));
    let e = r.error.unwrap();
    assert_eq!(e.reason, "FailedGetResourceMetric");
    assert!(
        e.message
            .contains("no metrics returned from resource metrics API")
    );
}

#[test]
fn rc_empty_cpu_request() {
    let mut p = rc_pods(&[0], &[200]);
    p[0].cpu.request = None;
    let e = calc(&cpu(100), 1, &p).error.unwrap();
    assert!(e.message.contains("missing request for"), "{}", e.message);
}

#[test]
fn rc_missing_metrics_no_change_eq_gt_lt() {
    for level in [1000, 1900, 600] {
        let p = rc_pods(&ones(2), &[level]);
        let r = calc(&cpu(100), 2, &p);
        assert_eq!(r.replicas, Some(2), "level {level}");
        assert_eq!(r.utilization, Some((level / 10) as i32));
    }
}

#[test]
fn rc_missing_metrics_unready_and_hot_cpu_no_change() {
    let p = unready(rc_pods(&ones(3), &[100, 450]), &[false, true, true]);
    expect(&calc(&cpu(50), 3, &p), 3, Some(45), 900);
    let p = started(rc_pods(&ones(3), &[100, 450]), &[hot(), cool(), cool()]);
    expect(&calc(&cpu(50), 3, &p), 3, Some(45), 900);
}

#[test]
fn rc_missing_metrics_unready_and_hot_cpu_scale_up() {
    let p = unready(rc_pods(&ones(3), &[100, 2000]), &[false, true, true]);
    expect(&calc(&cpu(50), 3, &p), 4, Some(200), 4000);
    let p = started(p, &[hot(), cool(), cool()]);
    expect(&calc(&cpu(50), 3, &p), 4, Some(200), 4000);
}

#[test]
fn rc_missing_metrics_unready_scale_down() {
    let p = unready(
        rc_pods(&ones(4), &[100, 100, 100]),
        &[false, true, true, true],
    );
    expect(&calc(&cpu(50), 4, &p), 3, Some(10), 200);
}

#[test]
fn rc_missing_metrics_scale_down_target_over_100_rc_12() {
    let p = unready(
        rc_pods(&[1000, 1000, 2000, 2000], &[200, 100, 100]),
        &[false, true, true, true],
    );
    expect(&calc(&cpu(300), 4, &p), 2, Some(6), 200);
}

#[test]
fn rc_during_rolling_update_with_max_surge() {
    let p = rc_pods(&ones(3), &[100, 100]);
    expect(&calc(&cpu(50), 2, &p), 2, Some(10), 200);
}

#[test]
fn rc_group_pods() {
    // TestGroupPods, with its 2 m initialization period and 10 s readiness delay.
    let c = cfg();
    let base = |start: Option<Nanos>, ready: bool, transition: Nanos| PodObservation {
        name: "p".into(),
        phase: PodPhase::Succeeded,
        start_time: start,
        ready,
        ready_transition: transition,
        ..Default::default()
    };
    // count in a ready pod - memory (no readiness check)
    assert_eq!(
        classify_pod(&base(None, false, 0), true, false, NOW, &c),
        PodClass::Ready
    );
    // ignore a pod without ready condition / start time - CPU
    assert_eq!(
        classify_pod(&base(None, false, 0), true, true, NOW, &c),
        PodClass::Unready
    );
    // count in a ready pod with fresh metrics during initialization period (30 s window)
    let mut c30 = c.clone();
    c30.metric_window = 30 * S;
    let fresh = base(Some(NOW - MIN), true, NOW - 30 * S);
    assert_eq!(classify_pod(&fresh, true, true, NOW, &c30), PodClass::Ready);
    // ... but not with a 60 s window
    assert_eq!(classify_pod(&fresh, true, true, NOW, &c), PodClass::Unready);
    // ignore an unready pod during initialization period (never ready: transition at +6 s)
    let p = base(Some(NOW - 10 * MIN), false, NOW - 9 * MIN - 54 * S);
    assert_eq!(classify_pod(&p, true, true, NOW, &c), PodClass::Unready);
    // count in a ready pod without fresh metrics after initialization period
    let mut p = base(Some(NOW - 3 * MIN), true, NOW - 3 * MIN);
    p.sample_time = Some(NOW - 2 * MIN);
    assert_eq!(classify_pod(&p, true, true, NOW, &c), PodClass::Ready);
    // count in an unready pod that was ready after initialization period
    let p = base(Some(NOW - 10 * MIN), false, NOW - 9 * MIN);
    assert_eq!(classify_pod(&p, true, true, NOW, &c), PodClass::Ready);
    // transition exactly at start + delay: not "never ready" (After is strict)
    let p = base(Some(NOW - 10 * MIN), false, NOW - 9 * MIN - 50 * S);
    assert_eq!(classify_pod(&p, true, true, NOW, &c), PodClass::Ready);
    // a missing pod
    let p = base(Some(NOW - 3 * MIN), true, NOW - 3 * MIN);
    assert_eq!(classify_pod(&p, false, true, NOW, &c), PodClass::Missing);
    // pending pods are unready, for every metric
    let mut p = base(None, false, 0);
    p.phase = PodPhase::Pending;
    assert_eq!(classify_pod(&p, false, false, NOW, &c), PodClass::Unready);
    // failed and deleting pods are ignored
    p.phase = PodPhase::Failed;
    assert_eq!(classify_pod(&p, true, false, NOW, &c), PodClass::Ignored);
    let mut p = base(Some(0), true, 0);
    p.deleting = true;
    assert_eq!(classify_pod(&p, true, false, NOW, &c), PodClass::Ignored);
}

// =========================================================================================
// Beyond the Go tests: rules from the reference that a simulator exercises
// =========================================================================================

#[test]
fn memory_utilization_and_average_value() {
    let mib = 1024 * 1024;
    let mut p = pods(&ones(2), &[500, 500]);
    for pod in &mut p {
        pod.memory = ResourceSample::new(512 * mib, Some(448 * mib));
    }
    // 87 % of request (truncated from 87.5) against 80 %: 1.0875 -> within tolerance.
    let mem = MetricSpec::Resource {
        resource: ResourceName::Memory,
        target: ResourceTarget::Utilization(80),
    };
    let r = calc(&mem, 2, &p);
    assert_eq!((r.replicas, r.utilization), (Some(2), Some(87)));
    // AverageValue 200Mi: 448/200 = 2.24 -> ceil(4.48) = 5, in milli-bytes.
    let avg = MetricSpec::Resource {
        resource: ResourceName::Memory,
        target: ResourceTarget::AverageValue(parse_quantity("200Mi").unwrap().milli()),
    };
    let r = calc(&avg, 2, &p);
    assert_eq!(r.replicas, Some(5));
    assert_eq!(r.average_value, Some(448 * mib * 1000));
    // Memory ignores readiness: a hot, unready pod still counts.
    let p2 = started(unready(p.clone(), &[false, true]), &[hot(), cool()]);
    assert_eq!(calc(&avg, 2, &p2).ready_pods, 2);
}

#[test]
fn cpu_average_value_has_readiness_gating() {
    let avg = MetricSpec::Resource {
        resource: ResourceName::Cpu,
        target: ResourceTarget::AverageValue(250),
    };
    let p = started(pods(&ones(3), &[500, 500, 500]), &[cool(), cool(), hot()]);
    let r = calc(&avg, 3, &p);
    assert_eq!((r.ready_pods, r.unready_pods), (2, 1));
    // ratio 2 with one unready pod re-added at 0: avg 333 -> 1.332 -> ceil(3.996) = 4.
    assert_eq!(r.replicas, Some(4));
}

#[test]
fn legacy_scale_up_limit_is_max_2x_or_4() {
    // §1.8/§1.9.5: no behavior -> max(2c, 4); default behavior -> max(c + 4, 2c).
    let prod = ControllerConfig::default();
    let hpa = Hpa::new("t", 1, 100, vec![cpu(10)]);
    let p = pods(&ones(1), &[1000]);
    let r = reconcile(&hpa, &mut HpaState::new(), NOW, 1, &p, &prod);
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(
        r.reason(ConditionType::ScalingLimited),
        Some("ScaleUpLimit")
    );
    let hpa = hpa.with_behavior(Behavior::default());
    let r = reconcile(&hpa, &mut HpaState::new(), NOW, 1, &p, &prod);
    assert_eq!(r.desired_replicas, 5);
    let p3 = pods(&ones(3), &[1000; 3]);
    let r = reconcile(&hpa, &mut HpaState::new(), NOW, 3, &p3, &prod);
    assert_eq!(r.desired_replicas, 7);
}

#[test]
fn clamps_store_events_and_count_in_later_periods() {
    // §1.11.7: the current > max shortcut stores a scale-down event when behavior is set.
    let b = Behavior {
        scale_up: ScalingRules::default_scale_up(),
        scale_down: rules(1, 60, 0, 0, 0),
    };
    let hpa = Hpa::new("t", 1, 5, vec![cpu(50)]).with_behavior(b);
    let mut st = HpaState::new();
    let r = run(&hpa, &mut st, 8, &[]);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(st.scale_down_events.len(), 1);
    assert_eq!(st.scale_down_events[0].change, 3);
    assert_eq!(st.recommendations.as_ref().unwrap().len(), 1); // only the initial one
    // 15 s later, metrics want 1: start of period = 5 + 3 = 8 -> limit 7 > 5 -> no change.
    let p = pods(&ones(5), &[10; 5]);
    let r = reconcile(&hpa, &mut st, NOW + 15 * S, 5, &p, &cfg());
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        r.reason(ConditionType::ScalingLimited),
        Some("ScaleDownLimit")
    );
}

#[test]
fn behavior_events_limit_successive_reconciles() {
    // The seed's backend HPA: scale-up Pods 4 per 60 s, window 120 s (but a fresh history).
    let hpas = load_hpas(&seed_path()).unwrap();
    let backend = hpas
        .iter()
        .find(|h| h.name == "hamballer-backend-hpa")
        .unwrap();
    let mut st = empty_history();
    let hot_cpu = |n: usize| pods(&vec![1000; n], &vec![1000; n]);
    // 100 % against 65 %: 1.538 * 5 -> 8; scale-up window 120 s holds only this record.
    let r = reconcile(
        backend,
        &mut st,
        NOW,
        5,
        &hot_cpu(5),
        &ControllerConfig::default(),
    );
    assert_eq!(r.desired_replicas, 8);
    assert_eq!(st.scale_up_events.len(), 1);
    // 15 s later: 8 pods at 100 % want 13; the up window's minimum is 8 (earlier record),
    // so stabilization holds at 8 and reports ScaleUpStabilized.
    let r = reconcile(
        backend,
        &mut st,
        NOW + 15 * S,
        8,
        &hot_cpu(8),
        &ControllerConfig::default(),
    );
    assert_eq!(r.stabilized_replicas, Some(8));
    assert_eq!(r.desired_replicas, 8);
    assert_eq!(
        r.reason(ConditionType::AbleToScale),
        Some("ScaleUpStabilized")
    );
    // At +135 s both earlier records have left the 120 s up window; the Pods
    // policy counts the +3 event only while it is younger than 60 s: at +135 s it is not,
    // so the limit is 8 + 4 = 12 -> ScaleUpLimit.
    let r = reconcile(
        backend,
        &mut st,
        NOW + 135 * S,
        8,
        &hot_cpu(8),
        &ControllerConfig::default(),
    );
    assert_eq!(r.desired_replicas, 12);
    assert_eq!(
        r.reason(ConditionType::ScalingLimited),
        Some("ScaleUpLimit")
    );
}

#[test]
fn default_metric_is_cpu_80() {
    let hpa = Hpa::new("t", 1, 10, vec![]);
    // 100 % vs 80 %: 1.25 -> ceil(2.5) = 3.
    let r = run(
        &hpa,
        &mut HpaState::new(),
        2,
        &pods(&ones(2), &[1000, 1000]),
    );
    assert_eq!(r.desired_replicas, 3);
}

// =========================================================================================
// Manifests: the seed plan's k8s-autoscaling.yaml and validation
// =========================================================================================

fn seed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/k8s/k8s-autoscaling.yaml")
}

#[test]
fn seed_plan_hpas_parse_with_their_values() {
    let hpas = load_hpas(&seed_path()).unwrap();
    assert_eq!(hpas.len(), 2);
    let api = &hpas[0];
    assert_eq!(api.name, "hamballer-api-hpa");
    assert_eq!((api.min_replicas, api.max_replicas), (4, 20));
    assert_eq!(
        api.metrics,
        vec![
            cpu(60),
            MetricSpec::Resource {
                resource: ResourceName::Memory,
                target: ResourceTarget::Utilization(80)
            },
            MetricSpec::Pods {
                name: "http_requests_per_second".into(),
                average_value: 100_000
            },
        ]
    );
    let b = api.behavior.as_ref().unwrap();
    assert_eq!(
        b.scale_up,
        ScalingRules {
            stabilization_window_seconds: Some(60),
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy::percent(100, 15)],
            tolerance: None,
        }
    );
    assert_eq!(b.scale_down.stabilization_window_seconds, Some(300));
    assert_eq!(b.scale_down.policies, vec![ScalingPolicy::percent(10, 60)]);

    let be = &hpas[1];
    assert_eq!(be.name, "hamballer-backend-hpa");
    assert_eq!((be.min_replicas, be.max_replicas), (5, 25));
    assert_eq!(
        be.metrics,
        vec![
            cpu(65),
            MetricSpec::Resource {
                resource: ResourceName::Memory,
                target: ResourceTarget::Utilization(75)
            },
        ]
    );
    let b = be.behavior.as_ref().unwrap();
    assert_eq!(b.scale_up.stabilization_window_seconds, Some(120));
    assert_eq!(b.scale_up.policies, vec![ScalingPolicy::pods(4, 60)]);
    assert_eq!(b.scale_down.stabilization_window_seconds, Some(300));
    assert_eq!(b.scale_down.policies, vec![ScalingPolicy::pods(2, 60)]);
}

const MINIMAL: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  labels: {app: web}
  annotations: {owner: team-a}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 10
";

#[test]
fn manifest_defaults() {
    let h = &parse_hpas(MINIMAL).unwrap()[0];
    assert_eq!(h.min_replicas, 1);
    assert_eq!(h.metrics, vec![cpu(80)]);
    assert_eq!(h.behavior, None);
    // behavior present with only scaleUp.policies: every other field from the defaults.
    let text = format!(
        "{MINIMAL}  behavior:\n    scaleUp:\n      policies: [{{type: Pods, value: 2, periodSeconds: 30}}]\n"
    );
    let h = &parse_hpas(&text).unwrap()[0];
    let b = h.behavior.as_ref().unwrap();
    assert_eq!(b.scale_up.policies, vec![ScalingPolicy::pods(2, 30)]);
    assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
    assert_eq!(b.scale_down, ScalingRules::default_scale_down());
}

fn invalid(text: &str) -> (String, String) {
    match parse_hpas(text).unwrap_err() {
        capsim::spec::k8s::ManifestError::Invalid(e) => (e.path, e.message),
        other => panic!("expected a field error, got {other}"),
    }
}

fn syntax_message(text: &str) -> String {
    match parse_hpas(text).unwrap_err() {
        capsim::spec::k8s::ManifestError::Syntax { message, line, .. } => {
            assert!(line > 0);
            message
        }
        other => panic!("expected a syntax error, got {other}"),
    }
}

#[test]
fn manifest_validation_errors_name_the_field() {
    let (path, _) =
        invalid(&MINIMAL.replace("maxReplicas: 10", "maxReplicas: 10\n  minReplicas: 11"));
    assert_eq!(path, "[0].spec.maxReplicas");
    let (path, _) =
        invalid(&MINIMAL.replace("maxReplicas: 10", "maxReplicas: 10\n  minReplicas: 0"));
    assert_eq!(path, "[0].spec.minReplicas");
    let with = |extra: &str| format!("{MINIMAL}{extra}");
    let (path, msg) = invalid(&with(
        "  behavior:\n    scaleDown:\n      selectPolicy: Maximum\n",
    ));
    assert_eq!(path, "[0].spec.behavior.scaleDown.selectPolicy");
    assert!(msg.contains("did you mean \"Max\""), "{msg}");
    let (path, _) = invalid(&with(
        "  behavior:\n    scaleUp:\n      policies: [{type: Pods, value: 1, periodSeconds: 1801}]\n",
    ));
    assert_eq!(path, "[0].spec.behavior.scaleUp.policies[0].periodSeconds");
    let (path, _) = invalid(&with("  behavior:\n    scaleUp:\n      policies: []\n"));
    assert_eq!(path, "[0].spec.behavior.scaleUp.policies");
    let (path, _) = invalid(&with(
        "  behavior:\n    scaleUp:\n      stabilizationWindowSeconds: 3601\n",
    ));
    assert_eq!(path, "[0].spec.behavior.scaleUp.stabilizationWindowSeconds");
    // External metrics are read (tests/hpa_object_external.rs); a wrong target is not.
    let (path, _) = invalid(&with(
        "  metrics:\n  - type: External\n    external: {metric: {name: q}, target: {type: Value, averageValue: 1}}\n",
    ));
    assert_eq!(path, "[0].spec.metrics[0].external.target");
    let (path, _) = invalid(&with(
        "  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization}}\n",
    ));
    assert_eq!(
        path,
        "[0].spec.metrics[0].resource.target.averageUtilization"
    );
    let (path, _) = invalid(&with(
        "  metrics:\n  - type: Pods\n    pods: {metric: {name: rps}, target: {type: Utilization, averageUtilization: 5}}\n",
    ));
    assert_eq!(path, "[0].spec.metrics[0].pods.target.type");
    let (path, _) = invalid(&with(
        "  metrics:\n  - type: Resource\n    resource: {name: gpu, target: {type: Utilization, averageUtilization: 5}}\n",
    ));
    assert_eq!(path, "[0].spec.metrics[0].resource.name");
    // autoscaling/v2beta1 (metric targets of another shape) is not read: the message says
    // which versions are.
    let (path, msg) = invalid(&MINIMAL.replace("autoscaling/v2", "autoscaling/v2beta1"));
    assert_eq!(path, "[0].apiVersion");
    assert!(
        msg.contains("line 1") && msg.contains("autoscaling/v1"),
        "{msg}"
    );
    // v1 has no metrics; v2 has no targetCPUUtilizationPercentage.
    let (path, _) = invalid(&with("  targetCPUUtilizationPercentage: 50\n"));
    assert_eq!(path, "[0].spec.targetCPUUtilizationPercentage");
    // A second document of another kind is skipped (the model loader notes it).
    let text = format!(
        "{MINIMAL}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\n"
    );
    assert_eq!(parse_hpas(&text).unwrap().len(), 1);
    // Duplicate names.
    let (path, _) = invalid(&format!("{MINIMAL}---\n{MINIMAL}"));
    assert_eq!(path, "[1].metadata.name");
}

#[test]
fn manifest_unknown_fields_are_rejected() {
    let msg = syntax_message(&MINIMAL.replace("maxReplicas", "maxReplica"));
    assert!(msg.contains("maxReplica"), "{msg}");
    let msg = syntax_message(&format!(
        "{MINIMAL}  behavior:\n    scaleUp:\n      stabilisationWindowSeconds: 5\n"
    ));
    assert!(msg.contains("stabilisationWindowSeconds"), "{msg}");
    // Metadata fields other than the standard ones are rejected too.
    let msg = syntax_message(&MINIMAL.replace("  labels:", "  lables:"));
    assert!(msg.contains("lables"), "{msg}");
}

#[test]
fn manifest_accepts_status_and_standard_metadata() {
    let text = MINIMAL.replace(
        "  name: web\n",
        "  name: web\n  namespace: prod\n  uid: 1234\n  resourceVersion: \"77\"\n  creationTimestamp: \"2024-01-01T00:00:00Z\"\n",
    ) + "status:\n  currentReplicas: 3\n  desiredReplicas: 3\n";
    assert_eq!(parse_hpas(&text).unwrap()[0].name, "web");
}

// =========================================================================================
// The dry run, through snapshot files (tests/fixtures/hpa)
// =========================================================================================

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hpa")
        .join(name)
}

#[test]
fn dry_run_scale_up_ctl_01() {
    let r = dry_run(&fixture("scale-up.yaml")).unwrap();
    assert_eq!(
        (r.current_replicas, r.desired_replicas, r.changed),
        (3, 5, true)
    );
    assert_eq!(r.proposals[0].utilization, Some(50));
    assert_eq!(
        r.reason(ConditionType::AbleToScale),
        Some("SucceededRescale")
    );
    assert_eq!(
        r.reason(ConditionType::ScalingActive),
        Some("ValidMetricFound")
    );
    assert_eq!(
        r.reason(ConditionType::ScalingLimited),
        Some("DesiredWithinRange")
    );
    let text = r.text();
    assert!(text.contains("scale 3 -> 5 replicas"), "{text}");
    assert!(text.contains("utilization 50%"), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["desired_replicas"], 5);
    assert_eq!(json["conditions"][0]["reason"], "SucceededRescale");
}

#[test]
fn dry_run_initial_size_is_stabilized_ctl_03() {
    let r = dry_run(&fixture("initial-size.yaml")).unwrap();
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(r.metric_desired_replicas, Some(3));
    assert_eq!(
        r.reason(ConditionType::AbleToScale),
        Some("ScaleDownStabilized")
    );
}

#[test]
fn dry_run_unready_and_missing_pods() {
    // TestReplicaCalcMissingMetricsUnreadyScaleUp through the file format.
    let r = dry_run(&fixture("unready-missing.yaml")).unwrap();
    assert_eq!(r.desired_replicas, 4);
    let p = &r.proposals[0];
    assert_eq!((p.ready_pods, p.unready_pods, p.missing_pods), (1, 1, 1));
    assert_eq!(p.utilization, Some(200));
}

#[test]
fn dry_run_seed_api_hpa_scale_up_stabilized() {
    // hamballer-api-hpa: scale-up window 60 s with a recent lower recommendation.
    let r = dry_run(&fixture("seed-api.yaml")).unwrap();
    assert_eq!(r.hpa, "hamballer-api-hpa");
    assert_eq!(r.normalization, "behavior");
    // rps 150 vs 100 -> 6; cpu 90 % vs 60 % -> 6; memory 50 % -> 3: max 6.
    assert_eq!(r.metric_desired_replicas, Some(6));
    // The 5 recorded 30 s ago is the up window's minimum.
    assert_eq!(r.stabilized_replicas, Some(5));
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        r.reason(ConditionType::AbleToScale),
        Some("SucceededRescale")
    );
    assert_eq!(r.state_after.scale_up_events.len(), 1);
}

#[test]
fn dry_run_seed_backend_scale_down_limited() {
    let r = dry_run(&fixture("seed-backend.yaml")).unwrap();
    assert_eq!(r.hpa, "hamballer-backend-hpa");
    // 10 % cpu of 65 %: proposal 2; the recorded 10 is older than the 5 min window; limit 10 - 2 = 8
    // (one event of 2 at -90 s has aged out of the 60 s period).
    assert_eq!(r.metric_desired_replicas, Some(2));
    assert_eq!(r.desired_replicas, 8);
    assert_eq!(
        r.reason(ConditionType::ScalingLimited),
        Some("ScaleDownLimit")
    );
}

#[test]
fn dry_run_errors_name_file_and_field() {
    match dry_run(&fixture("bad-time.yaml")).unwrap_err() {
        LoadError::Invalid { file, error } => {
            assert!(file.ends_with("bad-time.yaml"));
            assert_eq!(error.path, "pods[0].start_time");
        }
        other => panic!("{other}"),
    }
    match dry_run(&fixture("bad-ambiguous.yaml")).unwrap_err() {
        LoadError::Invalid { error, .. } => {
            assert_eq!(error.path, "hpa_name");
            assert!(
                error.message.contains("hamballer-api-hpa"),
                "{}",
                error.message
            );
        }
        other => panic!("{other}"),
    }
    match dry_run(&fixture("bad-unknown-field.yaml")).unwrap_err() {
        LoadError::Syntax { message, line, .. } => {
            assert!(message.contains("curent_replicas"), "{message}");
            assert!(line > 0);
        }
        other => panic!("{other}"),
    }
    match dry_run(&fixture("bad-inline.yaml")).unwrap_err() {
        LoadError::Invalid { error, .. } => {
            assert_eq!(error.path, "hpa.spec.maxReplicas");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn tolerance_bounds_are_inclusive_in_reconcile() {
    // §1.6: a ratio of exactly 1.1 or 0.9 is within the default 0.1 tolerance.
    let hpa = Hpa::new("t", 1, 10, vec![cpu(50)]);
    for (usage, want) in [(550, 4), (450, 4), (560, 5), (440, 4)] {
        let r = run(&hpa, &mut empty_history(), 4, &pods(&ones(4), &[usage; 4]));
        assert_eq!(r.desired_replicas, want, "usage {usage}");
    }
    // 44 % of 50 %: 0.88 -> ceil(3.52) = 4 as well, so check the proposal's path too.
    let p = calc(&cpu(50), 4, &pods(&ones(4), &[440; 4]));
    assert_eq!(p.usage_ratio, Some(0.88));
    let r = run(&hpa, &mut empty_history(), 5, &pods(&ones(5), &[450; 5]));
    assert_eq!(r.desired_replicas, 5);
    let r = run(&hpa, &mut empty_history(), 5, &pods(&ones(5), &[440; 5]));
    assert_eq!(r.desired_replicas, 5); // ceil(0.88 * 5) = 5
    let r = run(&hpa, &mut empty_history(), 10, &pods(&ones(10), &[440; 10]));
    assert_eq!(r.desired_replicas, 9); // ceil(8.8) = 9
    let r = run(&hpa, &mut empty_history(), 10, &pods(&ones(10), &[450; 10]));
    assert_eq!(r.desired_replicas, 10); // 0.9 exactly: within, not ceil(9.0) = 9
}

#[test]
fn unready_pods_are_not_re_added_on_scale_down() {
    // §1.5: on a scale-down unready pods are dropped, not counted at 0. A large unready
    // pod would pull the ratio down to 0.34 (-> 2) if it were re-added; without it, 3.
    let mut p = unready(
        pods(&[4000, 1000, 1000, 1000], &[0, 100, 100]),
        &[false, true, true, true],
    );
    p[0].cpu.usage = Some(0);
    let r = calc(&cpu(50), 4, &p);
    assert_eq!((r.unready_pods, r.missing_pods), (1, 1));
    assert_eq!(r.replicas, Some(3));
}

#[test]
fn percent_scale_down_limit_is_truncated() {
    // §1.9.2 docs example: 10 % per period from 80 -> 72, then 72 * 0.9 = 64.8 -> 64.
    let r = rules(0, 0, 10, 60, 300);
    assert_eq!(scale_down_limit(80, &[], &[], &r, NOW), 72);
    assert_eq!(scale_down_limit(72, &[], &[], &r, NOW), 64);
}

// =========================================================================================
// A metric type the controller does not recognise: the HPA is kept and the reconcile fails
// that metric with InvalidMetricSourceType (horizontal_test.go, `CheddarCheese`).
// =========================================================================================

fn cheddar() -> MetricSpec {
    MetricSpec::Unknown {
        kind: "CheddarCheese".into(),
    }
}

#[test]
fn manifest_with_an_unknown_metric_type_loads() {
    let text = format!(
        "{MINIMAL}  metrics:\n  - type: CheddarCheese\n  - type: Resource\n    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 30}}}}\n"
    );
    let h = &parse_hpas(&text).unwrap()[0];
    assert_eq!(h.metrics, vec![cheddar(), cpu(30)]);
    let notes = capsim::autoscale::k8s::unknown_metric_notes(h);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("InvalidMetricSourceType"), "{}", notes[0]);
}

#[test]
fn test_condition_invalid_source_type() {
    // TestConditionInvalidSourceType: the only metric is CheddarCheese; 3 replicas stay 3.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cheddar()]);
    let r = run(&hpa, &mut HpaState::new(), 3, &pods(&ones(1), &[20000]));
    assert_eq!(r.desired_replicas, 3);
    assert!(!r.changed);
    assert_eq!(reasons(&r), failed("InvalidMetricSourceType"));
    let active = r.condition(ConditionType::ScalingActive).unwrap();
    assert_eq!(
        active.message,
        "the HPA was unable to compute the replica count: unknown metric source type \"CheddarCheese\""
    );
}

#[test]
fn test_scale_up_one_metric_invalid_source_type() {
    // TestScaleUpOneMetricInvalid: cpu 40 % of a 30 % target -> ceil(3 x 1.33) = 4.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30), cheddar()]);
    let r = run(
        &hpa,
        &mut HpaState::new(),
        3,
        &pods(&ones(3), &[300, 400, 500]),
    );
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(
        r.proposals[1].error.as_ref().unwrap().reason,
        "InvalidMetricSourceType"
    );
}

#[test]
fn test_scale_down_blocked_by_invalid_source_type() {
    // test_scale_down's pods (cpu asks for 3 of 5) with a CheddarCheese metric beside it:
    // an invalid metric blocks scale-down (computeReplicasForMetrics), so 5 stay 5 and the
    // reconcile fails with the invalid metric's reason.
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50), cheddar()]);
    let r = run(
        &hpa,
        &mut empty_history(),
        5,
        &pods(&ones(5), &[100, 300, 500, 250, 250]),
    );
    assert_eq!(r.proposals[0].replicas, Some(3));
    assert_eq!(r.desired_replicas, 5);
    assert!(!r.changed);
    assert_eq!(reasons(&r), failed("InvalidMetricSourceType"));
}
