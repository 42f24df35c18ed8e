//! The `capsim hpa` snapshot file as written (serde mirror) and its reading: the snapshot,
//! and the HPA manifest file it names, read and parsed. The dry run itself (checking the
//! snapshot and one reconcile on it) is `autoscale::hpa_dry_run`.
//!
//! # Snapshot file format (YAML)
//!
//! ```yaml
//! # Either a manifest file (relative to this file), which may hold several HPAs ...
//! hpa_file: ../../models/k8s/k8s-autoscaling.yaml
//! hpa_name: hamballer-api-hpa      # required when hpa_file holds more than one HPA
//! # ... or one HorizontalPodAutoscaler manifest inline, as written for kubectl:
//! # hpa:
//! #   apiVersion: autoscaling/v2
//! #   kind: HorizontalPodAutoscaler
//! #   metadata: {name: web}
//! #   spec: {minReplicas: 2, maxReplicas: 10, scaleTargetRef: {kind: Deployment, name: web}, ...}
//! now: 10m                         # controller clock, a duration since t = 0
//! current_replicas: 4              # the target's spec.replicas
//! controller:                      # kube-controller-manager flags, all optional
//!   tolerance: 0.1
//!   cpu_initialization_period: 5m
//!   initial_readiness_delay: 30s
//!   downscale_stabilization: 5m    # the legacy path's window, and behavior's default
//!   metric_window: 30s             # metrics-server sample window (cpu readiness check)
//!   scale_up_limit_factor: 2       # legacy path: max(2 * current, 4)
//!   scale_up_limit_minimum: 4
//!   configurable_tolerance: true   # honour behavior.*.tolerance
//! history:                         # omit: the controller has just started, so the
//!   recommendations:               # current size is recorded first (blocks scale-down
//!     - {replicas: 6, at: 8m}      # for one window); [] = ran before, kept nothing
//!   scale_up_events:   [{change: 2, at: 9m30s}]
//!   scale_down_events: []
//!   last_scale_time: 9m30s
//! pods:
//!   - name: api-0
//!     count: 1                     # this many identical pods (names api-0-0, api-0-1 ...)
//!     phase: Running               # Pending | Running | Succeeded | Failed
//!     deleting: false              # deletionTimestamp set
//!     start_time: 0s               # omit: not started yet
//!     ready: true
//!     ready_since: 20s             # Ready's lastTransitionTime (default: start_time)
//!     cpu:    {request: 500m,  usage: 300m}   # omit usage: no sample (a missing pod)
//!     memory: {request: 512Mi, usage: 300Mi}
//!     metrics: {http_requests_per_second: "95"}  # Pods-metric samples (quantities)
//!     sampled_at: 10m              # metric timestamp (default: now)
//! ```
//!
//! Quantities are Kubernetes quantities (`500m`, `1`, `256Mi`); times are durations since
//! t = 0 (`90s`, `10m`), all at or before `now`.

use crate::error::LoadError;
use crate::spec::k8s::{HorizontalPodAutoscaler, Quantity};
use crate::spec::k8s_manifests::parse_hpa_documents;
use crate::time::Duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The snapshot file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSpec {
    pub hpa_file: Option<String>,
    pub hpa: Option<HorizontalPodAutoscaler>,
    pub hpa_name: Option<String>,
    pub now: Duration,
    pub current_replicas: u32,
    #[serde(default)]
    pub controller: ControllerSpec,
    pub history: Option<HistorySpec>,
    #[serde(default)]
    pub pods: Vec<PodSpec>,
    /// `scale.Status.Replicas`; default: the listed pods that are neither deleting nor
    /// finished.
    pub status_replicas: Option<u32>,
    /// What the custom and external metrics APIs serve for the HPA's Object and External
    /// metrics, by metric name (External: the sum of the samples); a metric left out
    /// fails with FailedGetObjectMetric / FailedGetExternalMetric.
    #[serde(default)]
    pub metric_values: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerSpec {
    pub tolerance: Option<f64>,
    pub cpu_initialization_period: Option<Duration>,
    pub initial_readiness_delay: Option<Duration>,
    pub downscale_stabilization: Option<Duration>,
    pub metric_window: Option<Duration>,
    pub scale_up_limit_factor: Option<f64>,
    pub scale_up_limit_minimum: Option<f64>,
    pub configurable_tolerance: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySpec {
    #[serde(default)]
    pub recommendations: Vec<RecommendationSpec>,
    #[serde(default)]
    pub scale_up_events: Vec<EventSpec>,
    #[serde(default)]
    pub scale_down_events: Vec<EventSpec>,
    pub last_scale_time: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationSpec {
    pub replicas: u32,
    pub at: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub change: u32,
    pub at: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub request: Option<Quantity>,
    pub usage: Option<Quantity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSpec {
    pub name: String,
    pub count: Option<u32>,
    #[serde(default)]
    pub phase: PhaseSpec,
    #[serde(default)]
    pub deleting: bool,
    pub start_time: Option<Duration>,
    #[serde(default = "yes")]
    pub ready: bool,
    pub ready_since: Option<Duration>,
    pub cpu: Option<ResourceSpec>,
    pub memory: Option<ResourceSpec>,
    #[serde(default)]
    pub metrics: BTreeMap<String, Quantity>,
    pub sampled_at: Option<Duration>,
    /// The pod's containers, for `ContainerResource` metrics; the pod's `cpu` and
    /// `memory`, when not given, are their sums.
    #[serde(default)]
    pub containers: Vec<ContainerSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub name: String,
    pub cpu: Option<ResourceSpec>,
    pub memory: Option<ResourceSpec>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum PhaseSpec {
    Pending,
    #[default]
    Running,
    Succeeded,
    Failed,
}

/// The HPA manifest file a snapshot names (`hpa_file`), read and parsed.
#[derive(Debug, Clone)]
pub struct HpaManifestFile {
    /// The file, resolved against the snapshot's directory.
    pub path: PathBuf,
    pub documents: Vec<HorizontalPodAutoscaler>,
}

/// A snapshot file read and parsed.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    /// The snapshot file (for messages).
    pub path: PathBuf,
    pub spec: SnapshotSpec,
    /// The manifest file `hpa_file` names, when the snapshot has no inline `hpa`.
    pub hpa_file: Option<HpaManifestFile>,
}

/// Reads and parses a snapshot file and, when it names one (`hpa_file`, relative to the
/// snapshot) and has no inline `hpa`, the HPA manifest file.
/// The manifest must resolve inside `files`' roots.
pub fn read_snapshot(
    path: &Path,
    files: &crate::spec::confine::Files,
) -> Result<SnapshotFile, LoadError> {
    let text = crate::spec::read::read_text(path)?;
    let spec: SnapshotSpec = crate::spec::yaml::parse_yaml(path, &text)?;
    let hpa_file = match (&spec.hpa_file, &spec.hpa) {
        (Some(file), None) => {
            let hpa_path = files.resolve(file).map_err(|e| {
                LoadError::invalid(path, crate::error::FieldError::new("hpa_file", e))
            })?;
            let text = crate::spec::read::read_text(&hpa_path)?;
            let documents = parse_hpa_documents(&text).map_err(|e| e.in_file(&hpa_path))?;
            Some(HpaManifestFile {
                path: hpa_path,
                documents,
            })
        }
        _ => None,
    };
    Ok(SnapshotFile {
        path: path.to_path_buf(),
        spec,
        hpa_file,
    })
}
