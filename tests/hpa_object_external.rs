//! `Object`, `External` and `ContainerResource` HPA metrics against the Kubernetes
//! controller's own unit tests (`pkg/controller/podautoscaler/replica_calculator_test.go`
//! and `horizontal_test.go`, cited by test name), the rule that a failing metric blocks a
//! scale-down (`computeReplicasForMetrics`), the manifests as kubectl applies them, the
//! model's `kubernetes.metrics` binding and a hand-checked run.
//!
//! Harness as in `tests/hpa_controller.rs`: tolerance 0.1, controller clock at four hours,
//! pods Running and Ready since t = 0. In `horizontal_test.go` the fake scale reports
//! `statusReplicas` and lists that many pods (or one per `reportedCPURequests` entry); the
//! replica calculator tests pass `currentReplicas` as the status replicas of the per-pod
//! (`AverageValue`) paths.

use capsim::autoscale::hpa::*;
use capsim::autoscale::k8s::parse_hpas;
use capsim::model::load::load_model;
use capsim::time::{NANOS_PER_SEC as S, Nanos};
use std::path::{Path, PathBuf};
use std::process::Command;

const NOW: Nanos = 4 * 3600 * S;

fn cfg() -> ControllerConfig {
    ControllerConfig {
        tolerance: 0.1,
        cpu_initialization_period: 120 * S,
        initial_readiness_delay: 10 * S,
        downscale_stabilization: 300 * S,
        metric_window: 60 * S,
        scale_up_limit_factor: 8.0,
        ..ControllerConfig::default()
    }
}

/// `n` Running, Ready pods with a 1-core request and no samples.
fn pods(n: usize) -> Vec<PodObservation> {
    (0..n)
        .map(|i| {
            PodObservation::running(format!("test-pod-{i}"), 0, ResourceSample::new(1000, None))
        })
        .collect()
}

fn object(target: ValueTarget) -> MetricSpec {
    MetricSpec::Object {
        kind: "Deployment".into(),
        object: "some-deployment".into(),
        name: "qps".into(),
        target,
    }
}

fn external(target: ValueTarget) -> MetricSpec {
    MetricSpec::External {
        name: "qps".into(),
        target,
    }
}

use ValueTarget::{AverageValue, Value};

/// One calculator call: spec replicas = status replicas = `current`, as the replica
/// calculator tests pass them.
fn calc(
    metric: &MetricSpec,
    current: u32,
    p: &[PodObservation],
    value: i64,
    tol: Tolerances,
) -> MetricProposal {
    let config = cfg();
    let ctx = MetricContext {
        spec_replicas: current,
        status_replicas: current,
        pods: p,
        now: NOW,
        config: &config,
        tolerances: tol,
    };
    compute_proposal_in(metric, &ctx, Some(value))
}

fn t01() -> Tolerances {
    Tolerances::both(0.1)
}

/// `Tolerances{defaultTestingTolerance, .01}`: scale-down 0.1, scale-up 0.01.
fn up01() -> Tolerances {
    Tolerances {
        scale_down: 0.1,
        scale_up: 0.01,
    }
}

fn expect(p: &MetricProposal, replicas: u32, usage: i64) {
    assert_eq!(p.error, None, "{p:?}");
    assert_eq!(
        (p.replicas, p.average_value),
        (Some(replicas), Some(usage)),
        "{p:?}"
    );
}

// =========================================================================================
// replica_calculator_test.go
// =========================================================================================

#[test]
fn replica_calc_object_value() {
    // TestReplicaCalcScaleUpCMObject: 20000 / 15000 x 3 ready pods -> 4.
    expect(
        &calc(&object(Value(15000)), 3, &pods(3), 20000, t01()),
        4,
        20000,
    );
    // TestReplicaCalcScaleDownCMObject: 12000 / 20000 x 5 -> 3.
    expect(
        &calc(&object(Value(20000)), 5, &pods(5), 12000, t01()),
        3,
        12000,
    );
    // TestReplicaCalcToleranceCMObject: 20666 / 20000 is within 10 %.
    expect(
        &calc(&object(Value(20000)), 3, &pods(3), 20666, t01()),
        3,
        20666,
    );
    // TestReplicaCalcConfigurableToleranceCMObject: not within a 1 % scale-up tolerance.
    expect(
        &calc(&object(Value(20000)), 3, &pods(3), 20666, up01()),
        4,
        20666,
    );
}

#[test]
fn replica_calc_object_value_counts_only_ready_pods() {
    // TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods: 50000 / 10000 = 5 x 1 ready pod
    // (15 if the unready pods counted).
    let mut p = pods(3);
    p[0].ready = false;
    p[2].ready = false;
    expect(&calc(&object(Value(10000)), 3, &p, 50000, t01()), 5, 50000);
}

#[test]
fn replica_calc_object_average_value() {
    // TestReplicaCalcScaleUpCMPerPodObject: ceil(20000 / 5000) = 4; usage 20000/3 -> 6667.
    expect(
        &calc(&object(AverageValue(5000)), 3, &pods(3), 20000, t01()),
        4,
        6667,
    );
    // TestReplicaCalcScaleDownPerPodCMObject: 6000 / 2000 = 3; usage 6000/5 = 1200.
    expect(
        &calc(&object(AverageValue(2000)), 5, &pods(5), 6000, t01()),
        3,
        1200,
    );
    // TestReplicaCalcTolerancePerPodCMObject: 20166 / (5000 x 4) within 10 %: stays 4.
    expect(
        &calc(&object(AverageValue(5000)), 4, &pods(4), 20166, t01()),
        4,
        5042,
    );
    // TestReplicaCalcConfigurableTolerancePerPodCMObject: 20208 / 20000 > 1.01 -> 5.
    expect(
        &calc(&object(AverageValue(5000)), 4, &pods(4), 20208, up01()),
        5,
        5052,
    );
}

#[test]
fn replica_calc_external_value() {
    // TestReplicaCalcScaleUpCMExternal (and NoLabels): 8600 / 4400 x 1 pod -> 2.
    expect(
        &calc(&external(Value(4400)), 1, &pods(1), 8600, t01()),
        2,
        8600,
    );
    // TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods: x 1 ready pod of 3 -> 2 (not 6).
    let mut p = pods(3);
    p[0].ready = false;
    p[2].ready = false;
    expect(&calc(&external(Value(4400)), 3, &p, 8600, t01()), 2, 8600);
    // TestReplicaCalcScaleDownCMExternal: 8600 / 14334 x 5 = 2.9999 -> 3.
    expect(
        &calc(&external(Value(14334)), 5, &pods(5), 8600, t01()),
        3,
        8600,
    );
    // TestReplicaCalcToleranceCMExternal: 8600 / 8888 within 10 %.
    expect(
        &calc(&external(Value(8888)), 3, &pods(3), 8600, t01()),
        3,
        8600,
    );
    // TestReplicaCalcConfigurableToleranceCMExternal: 8900 / 8800 > 1.01 -> ceil(3.03) = 4.
    expect(
        &calc(&external(Value(8800)), 3, &pods(3), 8900, up01()),
        4,
        8900,
    );
}

#[test]
fn replica_calc_external_average_value() {
    // TestReplicaCalcScaleUpPerPodCMExternal: ceil(8600 / 2150) = 4; usage 2867.
    expect(
        &calc(&external(AverageValue(2150)), 3, &pods(3), 8600, t01()),
        4,
        2867,
    );
    // TestReplicaCalcScaleDownPerPodCMExternal: ceil(8600 / 2867) = 3; usage 1720.
    expect(
        &calc(&external(AverageValue(2867)), 5, &pods(5), 8600, t01()),
        3,
        1720,
    );
    // TestReplicaCalcTolerancePerPodCMExternal: 8600 / (2900 x 3) within 10 %.
    expect(
        &calc(&external(AverageValue(2900)), 3, &pods(3), 8600, t01()),
        3,
        2867,
    );
    // TestReplicaCalcConfigurableTolerancePerPodCMExternal: 8600 / 8400 > 1.01 -> 4.
    expect(
        &calc(&external(AverageValue(2800)), 3, &pods(3), 8600, up01()),
        4,
        2867,
    );
}

#[test]
fn replica_calc_overflow_is_clamped() {
    // TestReplicaCalcScaleUpOverflow: MaxInt64 over a target of 1 -> MaxInt32 replicas.
    expect(
        &calc(&object(Value(1)), 3, &pods(3), i64::MAX, t01()),
        i32::MAX as u32,
        i64::MAX,
    );
    // TestExternalPerPodMetricReplicaOverflow / ...UsageOverflow.
    expect(
        &calc(&external(AverageValue(1)), 1, &pods(1), i64::MAX, t01()),
        i32::MAX as u32,
        i64::MAX,
    );
    expect(
        &calc(
            &external(AverageValue(i64::MAX)),
            1,
            &pods(1),
            i64::MAX,
            t01(),
        ),
        1,
        i64::MAX,
    );
}

#[test]
fn a_metric_with_no_value_fails_with_its_reason() {
    let config = cfg();
    let p = pods(3);
    let ctx = MetricContext {
        spec_replicas: 3,
        status_replicas: 3,
        pods: &p,
        now: NOW,
        config: &config,
        tolerances: t01(),
    };
    let o = compute_proposal_in(&object(Value(1000)), &ctx, None);
    assert_eq!(o.error.unwrap().reason, "FailedGetObjectMetric");
    let e = compute_proposal_in(&external(Value(1000)), &ctx, None);
    assert_eq!(e.error.unwrap().reason, "FailedGetExternalMetric");
}

// =========================================================================================
// horizontal_test.go: full reconciles
// =========================================================================================

/// A reconcile with `spec = status = current` and `current` pods (the fake scale's).
fn run(hpa: &Hpa, state: &mut HpaState, current: u32, value: Option<i64>) -> Reconcile {
    let p = pods(current as usize);
    let values = vec![value; hpa.effective_metrics().len()];
    let observed = Observed {
        spec_replicas: current,
        status_replicas: current,
        pods: &p,
        metric_values: &values,
    };
    reconcile_observed(hpa, state, NOW, &observed, &cfg())
}

fn reasons(r: &Reconcile) -> Vec<(ConditionType, bool, String)> {
    r.conditions
        .iter()
        .map(|c| (c.kind, c.status, c.reason.clone()))
        .collect()
}

#[test]
fn test_scale_up_cm_object_and_external() {
    let cases = [
        // (test, metric, current, value, expected)
        ("TestScaleUpCMObject", object(Value(15000)), 3, 20000, 4),
        (
            "TestScaleUpPerPodCMObject",
            object(AverageValue(10000)),
            3,
            40000,
            4,
        ),
        ("TestScaleUpCMExternal", external(Value(6666)), 3, 8600, 4),
        (
            "TestScaleUpPerPodCMExternal",
            external(AverageValue(2222)),
            3,
            8600,
            4,
        ),
    ];
    for (name, m, current, value, want) in cases {
        let hpa = Hpa::new("test-hpa", 2, 6, vec![m]);
        let r = run(&hpa, &mut HpaState::new(), current, Some(value));
        assert_eq!(r.desired_replicas, want, "{name}");
        assert_eq!(
            r.reason(ConditionType::ScalingActive),
            Some("ValidMetricFound"),
            "{name}"
        );
        assert_eq!(
            r.reason(ConditionType::AbleToScale),
            Some("SucceededRescale"),
            "{name}"
        );
    }
}

#[test]
fn test_scale_down_cm_object_and_external() {
    // recommendations: [] as in the tests (no initial-size stabilization).
    let cases = [
        ("TestScaleDownCMObject", object(Value(20000)), 12000),
        ("TestScaleDownCMExternal", external(Value(14400)), 8600),
        (
            "TestScaleDownPerPodCMExternal",
            external(AverageValue(3000)),
            8600,
        ),
    ];
    for (name, m, value) in cases {
        let hpa = Hpa::new("test-hpa", 2, 6, vec![m]);
        let r = run(
            &hpa,
            &mut HpaState::with_recommendations(vec![]),
            5,
            Some(value),
        );
        assert_eq!(r.desired_replicas, 3, "{name}");
    }
}

#[test]
fn test_tolerance_cm_object_and_external() {
    let cases = [
        ("TestToleranceCMObject", object(Value(20000)), 3, 20050),
        ("TestToleranceCMExternal", external(Value(8666)), 4, 8600),
        (
            "TestTolerancePerPodCMExternal",
            external(AverageValue(2200)),
            4,
            8600,
        ),
    ];
    for (name, m, current, value) in cases {
        let hpa = Hpa::new("test-hpa", 1, 6, vec![m]);
        let r = run(&hpa, &mut HpaState::new(), current, Some(value));
        assert_eq!(r.desired_replicas, current, "{name}");
        assert!(!r.changed, "{name}");
        assert_eq!(
            r.reason(ConditionType::AbleToScale),
            Some("ReadyForNewScale"),
            "{name}"
        );
    }
}

#[test]
fn test_scale_up_from_zero_cm_object() {
    // TestScaleUpFromZeroCMObject: minReplicas 0, spec 0: ceil(20000 / 15000) = 2.
    let hpa = Hpa::new("test-hpa", 0, 6, vec![object(Value(15000))]);
    let r = run(&hpa, &mut HpaState::new(), 0, Some(20000));
    assert_eq!(r.desired_replicas, 2);
    // TestScaleUpFromZeroIgnoresToleranceCMObject: 1000 / 1000 = 1.0, no tolerance -> 1.
    let hpa = Hpa::new("test-hpa", 0, 6, vec![object(Value(1000))]);
    let r = run(&hpa, &mut HpaState::new(), 0, Some(1000));
    assert_eq!(r.desired_replicas, 1);
}

#[test]
fn test_scale_down_container_resource() {
    // TestScaleDownContainerResource: container2 of two equal containers, cpu 50 %:
    // levels 100, 300, 500, 250, 250 per pod split evenly -> 28 % -> ceil(0.56 x 5) = 3.
    let levels = [100, 300, 500, 250, 250];
    let p: Vec<PodObservation> = levels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let mut pod = PodObservation::running(
                format!("test-pod-{i}"),
                0,
                ResourceSample::new(1000, Some(l)),
            );
            pod.containers = ["container1", "container2"]
                .iter()
                .map(|n| ContainerObservation {
                    name: n.to_string(),
                    cpu: ResourceSample::new(500, Some(l / 2)),
                    memory: ResourceSample::default(),
                })
                .collect();
            pod
        })
        .collect();
    let m = MetricSpec::ContainerResource {
        resource: ResourceName::Cpu,
        container: "container2".into(),
        target: ResourceTarget::Utilization(50),
    };
    let hpa = Hpa::new("test-hpa", 2, 6, vec![m.clone()]);
    let observed = Observed {
        spec_replicas: 5,
        status_replicas: 5,
        pods: &p,
        metric_values: &[],
    };
    let r = reconcile_observed(
        &hpa,
        &mut HpaState::with_recommendations(vec![]),
        NOW,
        &observed,
        &cfg(),
    );
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(r.proposals[0].utilization, Some(28));
    assert_eq!(
        r.proposals[0].metric,
        "cpu container resource utilization (percentage of request)"
    );
    // A container the pods do not run: metrics_client_test "Container not found".
    let missing = MetricSpec::ContainerResource {
        resource: ResourceName::Cpu,
        container: "nonexistent".into(),
        target: ResourceTarget::Utilization(50),
    };
    let hpa = Hpa::new("test-hpa", 2, 6, vec![missing]);
    let r = reconcile_observed(&hpa, &mut HpaState::new(), NOW, &observed, &cfg());
    assert_eq!(
        r.reason(ConditionType::ScalingActive),
        Some("FailedGetContainerResourceMetric")
    );
    let msg = &r.condition(ConditionType::ScalingActive).unwrap().message;
    assert!(
        msg.contains("container nonexistent not present in metrics for pod test-pod-0"),
        "{msg}"
    );
}

// -- a failing metric blocks a scale-down (computeReplicasForMetrics) ---------------------

fn cpu(target: i32) -> MetricSpec {
    MetricSpec::Resource {
        resource: ResourceName::Cpu,
        target: ResourceTarget::Utilization(target),
    }
}

/// TestScaleDown's pods: cpu 100, 300, 500, 250, 250 m of 1 core each (cpu asks for 3).
fn scale_down_pods() -> Vec<PodObservation> {
    [100, 300, 500, 250, 250]
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            PodObservation::running(
                format!("test-pod-{i}"),
                0,
                ResourceSample::new(1000, Some(l)),
            )
        })
        .collect()
}

#[test]
fn test_no_scale_down_one_metric_invalid_with_object_and_external() {
    // TestNoScaleDownOneMetricInvalid with the invalid metric an Object or External one the
    // adapter does not serve: 5 stay 5, ScalingActive False with the failing metric's reason.
    for (m, reason) in [
        (object(Value(1000)), "FailedGetObjectMetric"),
        (external(AverageValue(1000)), "FailedGetExternalMetric"),
        (
            MetricSpec::Unknown {
                kind: "CheddarCheese".into(),
            },
            "InvalidMetricSourceType",
        ),
    ] {
        let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(50), m]);
        let p = scale_down_pods();
        let observed = Observed {
            spec_replicas: 5,
            status_replicas: 5,
            pods: &p,
            metric_values: &[None, None],
        };
        let r = reconcile_observed(
            &hpa,
            &mut HpaState::with_recommendations(vec![]),
            NOW,
            &observed,
            &cfg(),
        );
        assert_eq!(r.proposals[0].replicas, Some(3));
        assert_eq!(r.desired_replicas, 5, "{reason}");
        assert!(!r.changed);
        assert_eq!(
            reasons(&r),
            vec![
                (ConditionType::AbleToScale, true, "SucceededGetScale".into()),
                (ConditionType::ScalingActive, false, reason.to_string()),
            ]
        );
    }
}

#[test]
fn test_scale_up_one_metric_invalid_with_external() {
    // TestScaleUpOneMetricInvalid: a failing metric does not stop a scale-up (cpu 40 % of a
    // 30 % target -> 4).
    let hpa = Hpa::new("test-hpa", 2, 6, vec![cpu(30), external(Value(1000))]);
    let p: Vec<PodObservation> = [300, 400, 500]
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            PodObservation::running(
                format!("test-pod-{i}"),
                0,
                ResourceSample::new(1000, Some(l)),
            )
        })
        .collect();
    let observed = Observed {
        spec_replicas: 3,
        status_replicas: 3,
        pods: &p,
        metric_values: &[],
    };
    let r = reconcile_observed(&hpa, &mut HpaState::new(), NOW, &observed, &cfg());
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(
        r.reason(ConditionType::ScalingActive),
        Some("ValidMetricFound")
    );
}

// =========================================================================================
// Manifests, the model's binding, the dry run and a run
// =========================================================================================

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k8s/metrics")
        .join(name)
}

#[test]
fn v2_and_v2beta2_manifests_read_object_external_and_container_resource() {
    let want = vec![
        MetricSpec::External {
            name: "queue_messages_ready".into(),
            target: AverageValue(30_000),
        },
        MetricSpec::Object {
            kind: "Ingress".into(),
            object: "main-route".into(),
            name: "requests-per-second".into(),
            target: Value(2_000_000),
        },
        MetricSpec::ContainerResource {
            resource: ResourceName::Cpu,
            container: "worker".into(),
            target: ResourceTarget::Utilization(70),
        },
    ];
    for f in ["worker.yaml", "worker-v2beta2.yaml"] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        let h = parse_hpas(&text).unwrap();
        assert_eq!(h[0].metrics, want, "{f}");
    }
}

const HEAD: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {kind: Deployment, name: w}\n  maxReplicas: 5\n  metrics:\n";

fn refusal(metric: &str) -> String {
    parse_hpas(&format!("{HEAD}{metric}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_object_and_external_metrics_name_the_field() {
    let e = refusal(
        "  - type: External\n    external:\n      metric: {name: q}\n      target: {type: Utilization, averageUtilization: 50}\n",
    );
    assert!(
        e.contains("spec.metrics[0].external.target.averageUtilization"),
        "{e}"
    );
    let e = refusal(
        "  - type: Object\n    object:\n      metric: {name: q}\n      describedObject: {kind: Ingress, name: i}\n      target: {type: Value}\n",
    );
    assert!(e.contains("spec.metrics[0].object.target.value"), "{e}");
    let e = refusal(
        "  - type: External\n    external:\n      metric: {name: q}\n      target: {type: Valu, value: 1}\n",
    );
    assert!(e.contains("did you mean \"Value\""), "{e}");
    let e = refusal(
        "  - type: External\n    object:\n      metric: {name: q}\n      describedObject: {kind: Ingress, name: i}\n      target: {type: Value, value: 1}\n",
    );
    assert!(
        e.contains("spec.metrics[0].object") && e.contains("must be empty when type is External"),
        "{e}"
    );
    let e = refusal(
        "  - type: Object\n    object:\n      metric: {name: q}\n      describedObjekt: {kind: Ingress, name: i}\n      target: {type: Value, value: 1}\n",
    );
    assert!(e.contains("describedObjekt"), "{e}");
}

fn model_with(metrics: &str) -> Result<capsim::model::Model, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hpa_object_external_{}", metrics.len()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("hpa-external.yaml"), dir.join("hpa-external.yaml")).unwrap();
    let model = std::fs::read_to_string(fixture("model.yaml")).unwrap();
    let cut = model.find("  metrics:").unwrap();
    let text = format!("{}{metrics}", &model[..cut]);
    let path = dir.join("model.yaml");
    std::fs::write(&path, text).unwrap();
    load_model(&path).map_err(|e| e.to_string())
}

#[test]
fn the_binding_names_a_quantity_and_unknown_names_get_did_you_mean() {
    let m = model_with("  metrics:\n    queue_messages_ready: {queue_length: web}\n").unwrap();
    let b = &m.kubernetes.unwrap().hpas[0];
    assert_eq!(
        b.metric_sources,
        vec![Some(capsim::model::MetricSource::QueueLength(0))]
    );
    let e = model_with("  metrics:\n    queue_messages_ready: {request_rate: webb}\n").unwrap_err();
    assert!(e.contains("did you mean `web`"), "{e}");
    let e = model_with("  metrics:\n    queue_messages_redy: {queue_length: web}\n").unwrap_err();
    assert!(
        e.contains("kubernetes.metrics.queue_messages_redy")
            && e.contains("did you mean `queue_messages_ready`"),
        "{e}"
    );
    let e = model_with("  metrics: {}\n").unwrap_err();
    assert!(
        e.contains("External metric `queue_messages_ready`, which nothing serves"),
        "{e}"
    );
    let e = model_with(
        "  metrics:\n    queue_messages_ready: {queue_length: web, request_rate: web}\n",
    )
    .unwrap_err();
    assert!(e.contains("exactly one of"), "{e}");
    let e =
        model_with("  metrics:\n    queue_messages_ready: {provider_rate: stripe}\n").unwrap_err();
    assert!(e.contains("unknown provider `stripe`"), "{e}");
}

/// The series is 0 until 2m, then 50; AverageValue 10 over the status replicas; legacy
/// normalization (no behavior) caps a scale-up at max(2 x current, 4). Reconciles every
/// 15 s: at 2m 0s, 50 / (10 x 2) = 2.5 asks ceil(50 / 10) = 5, capped at 4; at 2m 15s,
/// 50 / (10 x 4) = 1.25 asks 5; afterwards 50 / (10 x 5) = 1.0 keeps 5. Before 2m the
/// metric asks 0, held at minReplicas 2 (no change).
#[test]
fn a_series_bound_external_metric_scales_as_computed_by_hand() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hpa_object_external_run");
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .args(["run", "-q", "--no-plots", "--out"])
        .arg(&out)
        .arg(fixture("exp.yaml"))
        .output()
        .unwrap();
    assert!(
        o.status.code().unwrap_or(9) <= 1,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let d = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    let rows: Vec<&str> = d.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "two decisions per replication:\n{d}");
    for pair in rows.chunks(2) {
        let f: Vec<Vec<&str>> = pair.iter().map(|r| r.split(',').collect()).collect();
        assert_eq!(
            &f[0][1..],
            [
                "120",
                "web",
                "2",
                "4",
                "external metric queue_messages_ready above target"
            ],
            "{d}"
        );
        assert_eq!(
            &f[1][1..],
            [
                "135",
                "web",
                "4",
                "5",
                "external metric queue_messages_ready above target"
            ],
            "{d}"
        );
    }
}

fn hpa_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hpa")
        .join(name)
}

#[test]
fn dry_run_shows_the_failing_metric_and_the_served_one() {
    use capsim::model::load::hpa_dry_run;
    let r = hpa_dry_run(&hpa_fixture("external-missing.yaml")).unwrap();
    assert_eq!(
        (r.current_replicas, r.desired_replicas, r.changed),
        (5, 5, false)
    );
    assert_eq!(r.proposals[0].replicas, Some(3));
    assert_eq!(
        r.reason(ConditionType::ScalingActive),
        Some("FailedGetExternalMetric")
    );
    let text = r.text();
    assert!(text.contains("FAILED FailedGetExternalMetric"), "{text}");
    let r = hpa_dry_run(&hpa_fixture("external-served.yaml")).unwrap();
    assert_eq!(
        (r.current_replicas, r.desired_replicas, r.changed),
        (5, 8, true)
    );
    assert_eq!(r.proposals[1].replicas, Some(8));
    assert_eq!(r.proposals[1].average_value, Some(48_000));
    assert_eq!(
        r.rescale_reason.as_deref(),
        Some("external metric queue_messages_ready above target")
    );
    assert_eq!(
        r.reason(ConditionType::ScalingActive),
        Some("ValidMetricFound")
    );
}
