//! Kubernetes manifests as `kubectl apply -f` takes them (`tests/fixtures/k8s/`): a
//! Deployment's replicas and container requests replace the service's and drive the HPA
//! exactly as the capsim-side fields did; autoscaling/v1 and v2beta2 HPAs convert as the
//! API server converts them; other kinds are noted and skipped; a kind of a version capsim
//! does not read is refused with the kind, file and line.

use capsim::autoscale::hpa::{MetricSpec, ResourceName, ResourceTarget};
use capsim::autoscale::k8s::parse_hpas;
use capsim::model::load::load_model;
use capsim::spec::k8s_manifests::parse_manifests;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k8s")
        .join(name)
}

fn cpu(target: i32) -> MetricSpec {
    MetricSpec::Resource {
        resource: ResourceName::Cpu,
        target: ResourceTarget::Utilization(target),
    }
}

/// 300m requested by one container and 200m by a sidecar that gives only a limit (the API
/// server defaults its request to the limit): 500m, the capsim-side `cpu: 500m`; the
/// Deployment's 3 replicas replace the model's 1; the v1 HPA (60 %) equals the v2 one.
#[test]
fn a_deployments_requests_drive_the_hpa_as_the_capsim_side_fields_did() {
    let a = load_model(&fixture("model-capsim.yaml")).unwrap();
    let b = load_model(&fixture("model-deployment.yaml")).unwrap();
    let (sa, sb) = (&a.stations[0], &b.stations[0]);
    assert_eq!(sb.replicas, 3);
    assert_eq!(sb.resources.cpu_request_milli, Some(500));
    assert_eq!(sb.resources.memory_request_bytes, Some(384 * 1024 * 1024));
    assert_eq!(format!("{sa:?}"), format!("{sb:?}"));
    let (ka, kb) = (a.kubernetes.unwrap(), b.kubernetes.unwrap());
    assert_eq!(kb.hpas[0].hpa.metrics, vec![cpu(60)]);
    // The same HPAs on the same services (the Deployment also names the pods' containers).
    let hpas = |k: &capsim::model::Kubernetes| -> Vec<String> {
        k.hpas
            .iter()
            .map(|b| format!("{} {:?} {:?}", b.station, b.hpa, b.metric_sources))
            .collect()
    };
    assert_eq!(hpas(&ka), hpas(&kb));
    assert_eq!(kb.hpas[0].containers.len(), 2);
    // And the runs: the same decisions and time series, byte for byte.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("k8s_manifests");
    let mut got = Vec::new();
    for m in ["capsim", "deployment"] {
        let dir = out.join(m);
        let _ = std::fs::remove_dir_all(&dir);
        let o = Command::new(env!("CARGO_BIN_EXE_capsim"))
            .args(["run", "-q", "--no-plots", "--out"])
            .arg(&dir)
            .arg(fixture(&format!("exp-{m}.yaml")))
            .output()
            .unwrap();
        assert!(
            o.status.code().unwrap_or(9) <= 1,
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let d = std::fs::read(dir.join("decisions.csv")).unwrap();
        let t = std::fs::read(dir.join("timeseries.csv")).unwrap();
        got.push((d, t));
    }
    assert!(
        got[0].0.split(|&c| c == b'\n').count() > 2,
        "the HPA scaled"
    );
    assert_eq!(got[0], got[1]);
}

#[test]
fn other_kinds_are_listed_in_one_note_and_the_deployment_says_what_it_set() {
    let b = load_model(&fixture("model-deployment.yaml")).unwrap();
    let skipped: Vec<_> = b.notes.iter().filter(|n| n.contains("skipped")).collect();
    assert_eq!(skipped.len(), 1, "{:?}", b.notes);
    for want in [
        "app.yaml:3 Namespace `shop` (v1)",
        "app.yaml:8 ConfigMap `web-config` (v1)",
        "Service `web` (v1)",
    ] {
        assert!(skipped[0].contains(want), "{want} in {}", skipped[0]);
    }
    assert!(
        b.notes.iter().any(|n| n.contains(
            "Deployment `web-deployment` sets service `web`: replicas 3, cpu request 500m"
        )),
        "{:?}",
        b.notes
    );
}

#[test]
fn a_kind_of_a_version_capsim_does_not_read_names_kind_file_and_line() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: web}\n";
    let e = parse_manifests(text)
        .unwrap_err()
        .in_file(Path::new("app.yaml"))
        .to_string();
    for want in [
        "app.yaml",
        "line 5",
        "Deployment extensions/v1beta1",
        "apps/v1",
    ] {
        assert!(e.contains(want), "{want} in {e}");
    }
    let e = parse_manifests("kind: HorizontalPodAutoscaler\napiVersion: autoscaling/v2beta1\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("autoscaling/v2, autoscaling/v2beta2, autoscaling/v1"),
        "{e}"
    );
}

#[test]
fn v1_and_v2beta2_convert_as_the_api_server_does() {
    let v1 = "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 10
";
    // No targetCPUUtilizationPercentage: the default cpu 80 %, min 1.
    let h = &parse_hpas(v1).unwrap()[0];
    assert_eq!((h.min_replicas, h.max_replicas), (1, 10));
    assert_eq!(h.effective_metrics(), vec![cpu(80)]);
    let h = &parse_hpas(&format!("{v1}  targetCPUUtilizationPercentage: 45\n")).unwrap()[0];
    assert_eq!(h.metrics, vec![cpu(45)]);
    // v1 has no metrics field.
    assert!(parse_hpas(&format!("{v1}  metrics: [{{type: Pods}}]\n")).is_err());
    let v2 = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 10
  metrics:
  - type: Pods
    pods: {metric: {name: http_requests_per_second}, target: {type: AverageValue, averageValue: 50}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 60}
";
    let a = &parse_hpas(v2).unwrap()[0];
    let b = &parse_hpas(&v2.replace("autoscaling/v2", "autoscaling/v2beta2")).unwrap()[0];
    assert_eq!(a, b);
}
